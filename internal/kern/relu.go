package kern

// reluGrain is the smallest slice worth splitting across goroutines for the
// memory-bound element-wise kernels.
const reluGrain = 1 << 16

// ReLU is: for i, v := range x { y[i] = max(v, 0) }. y may be x itself.
// NaN propagates, as in PyTorch.
func ReLU[T Float](x, y []T) {
	y = y[:len(x)]
	parallelFor(len(x), reluGrain, func(lo, hi int) {
		reluInto(x[lo:hi], y[lo:hi])
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
			axpy(a, x[lo:hi], yr)
			return
		}
		scal(a, x[lo:hi], yr)
	})
}

// Add is: for i, v := range x { z[i] = v + y[i] }, each sum rounded once,
// the same bits on every path. z may be x or y; it must not overlap them
// otherwise.
func Add[T Float](x, y, z []T) {
	y, z = y[:len(x)], z[:len(x)]
	parallelFor(len(x), reluGrain, func(lo, hi int) { add(x[lo:hi], y[lo:hi], z[lo:hi]) })
}

// ScaleRows is, for the rows i of x and y (len(s) rows of equal length):
// y[i][j] = s[i]*x[i][j], or y[i][j] += s[i]*x[i][j] with the product rounded
// before the add if acc: drop path's per-example scale and its gradient.
func ScaleRows[T Float](s, x, y []T, acc bool) {
	if len(s) == 0 || len(x) == 0 {
		return
	}
	per := len(x) / len(s)
	y = y[:len(x)]
	parallelFor(len(s), max(1, reluGrain/max(1, per)), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			xr, yr := x[i*per:(i+1)*per], y[i*per:(i+1)*per]
			if acc {
				mulAdd(s[i], xr, yr)
			} else {
				scal(s[i], xr, yr)
			}
		}
	})
}

// AddRows is: for r < rows, i < w { dst[r*w+i] += src[r*spitch+i] }: the
// rows of src at pitch spitch added into contiguous rows of dst (a
// concatenation's gradient into one of its inputs).
func AddRows[T Float](src, dst []T, rows, w, spitch int) {
	gradRows(nil, src, dst, rows, w, spitch, false, true)
}

// Dot is Σ x[i]*y[i] summed in float64 in a fixed order, whatever
// GOMAXPROCS is: for float32 on the vector paths each product is exact in float64 and
// the sums run in 8 lanes (a serial float64 sum waits on each add); else
// each product is rounded to T and summed in index order.
func Dot[T Float](x, y []T) float64 {
	y = y[:len(x)]
	if len(x) > 0 && is32[T]() {
		_, s := sumDot64AVX(f32p(x), f32p(y), len(x))
		return s
	}
	var s float64
	for i, v := range x {
		s += float64(v * y[i])
	}
	return s
}

// DotsTo sets out[k] = Dot(x, ys[k]) for every k (each ys[k] as long as
// x): with AVX-512 four at a time (dots64x4: one read of x for four, and
// four chains in flight instead of one), each with Dot's bits, the groups
// of four in parallel.
func DotsTo[T Float](x []T, ys [][]T, out []float64) {
	out = out[:len(ys)]
	if !is32[T]() || !useAVX512 || len(x) == 0 {
		for k, y := range ys {
			out[k] = Dot(x, y)
		}
		return
	}
	for _, y := range ys {
		_ = y[len(x)-1]
	}
	groups := (len(ys) + 3) / 4
	parallelFor(groups, 1, func(lo, hi int) {
		for g := lo; g < hi; g++ {
			var p [4]*float32
			var o [4]float64
			for j := range p {
				k := min(4*g+j, len(ys)-1) // a short last group repeats the last
				p[j] = f32p(ys[k])
			}
			dots64x4(f32p(x), &p, len(x), &o)
			for j := 0; j < 4 && 4*g+j < len(ys); j++ {
				out[4*g+j] = o[j]
			}
		}
	})
}

// WeightedSum is, for each i: y[i] = a[0]*xs[0][i] + a[1]*xs[1][i] + …
// (+ y[i] first if acc), summed in k order: how a mixed op sums its
// candidates' outputs, and their input gradients, in one pass over y.
func WeightedSum[T Float](a []T, xs [][]T, y []T, acc bool) {
	if len(xs) == 0 {
		if !acc {
			zero(y)
		}
		return
	}
	parallelFor(len(y), reluGrain/2, func(lo, hi int) {
		// Blocks of y small enough to stay in L1 across the k passes.
		for b0 := lo; b0 < hi; b0 += 2048 {
			yr := y[b0:min(b0+2048, hi)]
			k := 0
			if !acc {
				scal(a[0], xs[0][b0:b0+len(yr)], yr)
				k = 1
			}
			for ; k < len(xs); k++ {
				axpy(a[k], xs[k][b0:b0+len(yr)], yr)
			}
		}
	})
}
