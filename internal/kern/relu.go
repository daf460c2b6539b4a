package kern

// reluGrain is the smallest slice worth splitting across goroutines for the
// memory-bound element-wise kernels.
const reluGrain = 1 << 16

// ReLU is: for i, v := range x { y[i] = max(v, 0) }. y may be x itself.
// NaN propagates, as in PyTorch.
func ReLU[T Float](x, y []T) {
	y = y[:len(x)]
	parallelFor(len(x), reluGrain, func(lo, hi int) {
		yr := y[lo:hi]
		for i, v := range x[lo:hi] {
			yr[i] = max(v, 0)
		}
	})
}

// ReLUBackward is: for i, v := range x { if v > 0 { dx[i] += dy[i] } }.
// dx must not overlap x or dy.
func ReLUBackward[T Float](x, dy, dx []T) {
	dy, dx = dy[:len(x)], dx[:len(x)]
	parallelFor(len(x), reluGrain, func(lo, hi int) {
		maskAdd(x[lo:hi], dy[lo:hi], dx[lo:hi])
	})
}
