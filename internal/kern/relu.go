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
func ReLUBackward[T Float](x, dy, dx []T) { ReLUBackwardTo(x, dy, dx, true) }

// ReLUBackwardTo is ReLUBackward that overwrites dx unless acc:
//
//	for i, v := range x { m := 0; if v > 0 { m = 1 }; dx[i] = m*dy[i] (+ dx[i] if acc) }
func ReLUBackwardTo[T Float](x, dy, dx []T, acc bool) {
	dy, dx = dy[:len(x)], dx[:len(x)]
	parallelFor(len(x), reluGrain, func(lo, hi int) {
		maskOut(x[lo:hi], dy[lo:hi], dx[lo:hi], acc)
	})
}

// Axpy is: for i, v := range x { y[i] = a*v (+ y[i] if acc) }. It is how a
// mixed op weighs and sums its candidates' outputs and gradients.
func Axpy[T Float](a T, x, y []T, acc bool) {
	y = y[:len(x)]
	parallelFor(len(x), reluGrain, func(lo, hi int) {
		yr := y[lo:hi]
		if acc {
			for i, v := range x[lo:hi] {
				yr[i] += a * v
			}
			return
		}
		for i, v := range x[lo:hi] {
			yr[i] = a * v
		}
	})
}

// Dot is Σ x[i]*y[i], each product rounded to T and summed in float64 in
// index order, whatever GOMAXPROCS is.
func Dot[T Float](x, y []T) float64 {
	y = y[:len(x)]
	var s float64
	for i, v := range x {
		s += float64(v * y[i])
	}
	return s
}
