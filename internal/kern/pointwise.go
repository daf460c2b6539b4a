package kern

// Pointwise is the 1×1, stride-1 convolution: x is (N,Cin,P), w is
// (Cout,Cin), y is (N,Cout,P) with P = H*W. It overwrites y and is, for each
// n, o, q:
//
//	s := 0
//	for i := range cin { s += w[o,i] * r(x[n,i,q]) }
//	y[n,o,q] = s
//
// where r(v) = max(v, 0) if reluIn (the ReLU before a ReLU-Conv-BN, fused
// into the read) and r(v) = v otherwise. y must not overlap x.
func Pointwise[T Float](n, cin, cout, p int, reluIn bool, x, w, y []T) {
	parallelFor(n, grain(cin*cout*p), func(lo, hi int) {
		var sp *scratch
		var xr []T
		if reluIn {
			sp, xr = getScratch[T](cin * p)
			defer putScratch(sp)
		}
		for b := lo; b < hi; b++ {
			xb := x[b*cin*p : (b+1)*cin*p]
			if reluIn {
				reluInto(xb, xr)
				xb = xr
			}
			gemmNN(cout, p, cin, w, xb, y[b*cout*p:(b+1)*cout*p], false)
		}
	})
}

func reluInto[T Float](x, y []T) {
	y = y[:len(x)]
	if len(x) > 0 && is32[T]() {
		if useAVX512 {
			relu512(f32p(x), f32p(y), len(x))
		} else {
			reluAVX(f32p(x), f32p(y), len(x))
		}
		return
	}
	for i, v := range x {
		y[i] = max(v, 0)
	}
}

// PointwiseBackward computes the gradients of Pointwise given dy. It is,
// for each n, o, i, q:
//
//	dx[n,i,q] += dy[n,o,q] * w[o,i] * m   // m = 1, or (x[n,i,q] > 0) if reluIn
//	dw[o,i] += dy[n,o,q] * r(x[n,i,q])
//
// with dx zeroed first unless acc (dw always accumulates). dx or dw may be
// nil to skip it. dx must not overlap the other arguments. dw
// is summed over fixed chunks of the batch, so results do not depend on
// GOMAXPROCS.
func PointwiseBackward[T Float](n, cin, cout, p int, reluIn bool, x, w, dy, dx, dw []T, acc bool) {
	if dx == nil && dw == nil {
		return
	}
	spw, wt := getScratch[T](cin * cout)
	defer putScratch(spw)
	transpose(cout, cin, w, wt)
	reduceBatch(n, cout*cin, grain(2*batchChunk*cin*cout*p), dw, func(b0, b1 int, part []T) {
		sp, buf := getScratch[T](cin * p)
		defer putScratch(sp)
		for b := b0; b < b1; b++ {
			xb := x[b*cin*p : (b+1)*cin*p]
			dyb := dy[b*cout*p : (b+1)*cout*p]
			if part != nil {
				xr := xb
				if reluIn {
					reluInto(xb, buf)
					xr = buf
				}
				gemmNT(cout, cin, p, dyb, xr, part)
			}
			if dx == nil {
				continue
			}
			dxb := dx[b*cin*p : (b+1)*cin*p]
			if !reluIn {
				gemmNN(cin, p, cout, wt, dyb, dxb, acc)
				continue
			}
			gemmNN(cin, p, cout, wt, dyb, buf, false)
			maskOut(xb, buf, dxb, acc)
		}
	})
}
