package kern

// tapRange returns the taps [k0, k1) of a window of size k whose input
// position o*s-p+t*d lies in [0, n).
func tapRange(o, s, p, d, k, n int) (k0, k1 int) {
	base := o*s - p
	if d == 1 {
		k0 = max(0, -base)
		return k0, max(k0, min(k, n-base))
	}
	if base < 0 {
		k0 = (-base + d - 1) / d
	}
	k1 = k
	if last := n - 1 - base; last < 0 {
		k1 = 0
	} else if e := last/d + 1; e < k1 {
		k1 = e
	}
	return k0, max(k0, k1)
}

// maxArg returns the index in the plane x of the maximum of the window of
// output (i, j), scanning in (kh, kw) order: the first in-bounds position,
// replaced by each later one that is greater or NaN.
func maxArg[T Float](g Geom, x []T, i, j int) int {
	kh0, kh1 := tapRange(i, g.Stride, g.Pad, g.Dil, g.K, g.H)
	kw0, kw1 := tapRange(j, g.Stride, g.Pad, g.Dil, g.K, g.W)
	ib, jb := i*g.Stride-g.Pad, j*g.Stride-g.Pad
	best := (ib+kh0*g.Dil)*g.W + jb + kw0*g.Dil
	bv := x[best]
	for kh := kh0; kh < kh1; kh++ {
		row := (ib + kh*g.Dil) * g.W
		for kw := kw0; kw < kw1; kw++ {
			k := row + jb + kw*g.Dil
			if v := x[k]; v > bv || v != v {
				best, bv = k, v
			}
		}
	}
	return best
}

// MaxPool is max pooling: x is (N,C,H,W), y is (N,C,OH,OW). It overwrites y
// and is, for each n, c, i, j:
//
//	y[n,c,i,j] = max over kh, kw of x[n,c, i*Stride-Pad+kh*Dil, j*Stride-Pad+kw*Dil]
//
// over in-bounds positions only (padding is never selected). Ties go to the
// first maximum in (kh, kw) order and NaN propagates, as in PyTorch's CPU
// kernel. y must not overlap x.
func MaxPool[T Float](g Geom, x, y []T) {
	hw, oh, ow := g.H*g.W, g.OutH(), g.OutW()
	parallelFor(g.N*g.C, grain(oh*ow*g.K*g.K), func(lo, hi int) {
		for pl := lo; pl < hi; pl++ {
			xp, yp := x[pl*hw:(pl+1)*hw], y[pl*oh*ow:(pl+1)*oh*ow]
			for i := 0; i < oh; i++ {
				yr := yp[i*ow : (i+1)*ow]
				for j := range yr {
					yr[j] = xp[maxArg(g, xp, i, j)]
				}
			}
		}
	})
}

// MaxPoolBackward accumulates the input gradient of MaxPool given dy: for each
// n, c, i, j it adds dy[n,c,i,j] to dx at the position MaxPool selected from x.
// dx must not overlap x or dy.
func MaxPoolBackward[T Float](g Geom, x, dy, dx []T) {
	hw, oh, ow := g.H*g.W, g.OutH(), g.OutW()
	parallelFor(g.N*g.C, grain(oh*ow*g.K*g.K), func(lo, hi int) {
		for pl := lo; pl < hi; pl++ {
			xp, dxp := x[pl*hw:(pl+1)*hw], dx[pl*hw:(pl+1)*hw]
			dyp := dy[pl*oh*ow : (pl+1)*oh*ow]
			for i := 0; i < oh; i++ {
				for j, v := range dyp[i*ow : (i+1)*ow] {
					dxp[maxArg(g, xp, i, j)] += v
				}
			}
		}
	})
}

// AvgPool is average pooling with count_include_pad=False: x is (N,C,H,W), y
// is (N,C,OH,OW). It overwrites y and is, for each n, c, i, j:
//
//	s, cnt := 0, 0
//	for each kh, kw whose position (ii, jj) is inside H×W { s += x[n,c,ii,jj]; cnt++ }
//	y[n,c,i,j] = s / cnt
//
// (PyTorch's AvgPool2d has no dilation; Dil should be 1 to match it.) y must
// not overlap x.
func AvgPool[T Float](g Geom, x, y []T) {
	hw, oh, ow := g.H*g.W, g.OutH(), g.OutW()
	parallelFor(g.N*g.C, grain(oh*ow*g.K*g.K), func(lo, hi int) {
		for pl := lo; pl < hi; pl++ {
			xp, yp := x[pl*hw:(pl+1)*hw], y[pl*oh*ow:(pl+1)*oh*ow]
			for i := 0; i < oh; i++ {
				kh0, kh1 := tapRange(i, g.Stride, g.Pad, g.Dil, g.K, g.H)
				ib := i*g.Stride - g.Pad
				yr := yp[i*ow : (i+1)*ow]
				for j := range yr {
					kw0, kw1 := tapRange(j, g.Stride, g.Pad, g.Dil, g.K, g.W)
					jb := j*g.Stride - g.Pad
					var s T
					for kh := kh0; kh < kh1; kh++ {
						xr := xp[(ib+kh*g.Dil)*g.W+jb+kw0*g.Dil:]
						for t := 0; t < kw1-kw0; t++ {
							s += xr[t*g.Dil]
						}
					}
					yr[j] = s / T((kh1-kh0)*(kw1-kw0))
				}
			}
		}
	})
}

// AvgPoolBackward accumulates the input gradient of AvgPool given dy: for each
// n, c, i, j it adds dy[n,c,i,j]/cnt to dx at each of the cnt in-bounds
// positions of the window. dx must not overlap dy.
func AvgPoolBackward[T Float](g Geom, dy, dx []T) {
	hw, oh, ow := g.H*g.W, g.OutH(), g.OutW()
	parallelFor(g.N*g.C, grain(oh*ow*g.K*g.K), func(lo, hi int) {
		for pl := lo; pl < hi; pl++ {
			dxp, dyp := dx[pl*hw:(pl+1)*hw], dy[pl*oh*ow:(pl+1)*oh*ow]
			for i := 0; i < oh; i++ {
				kh0, kh1 := tapRange(i, g.Stride, g.Pad, g.Dil, g.K, g.H)
				ib := i*g.Stride - g.Pad
				for j, v := range dyp[i*ow : (i+1)*ow] {
					kw0, kw1 := tapRange(j, g.Stride, g.Pad, g.Dil, g.K, g.W)
					jb := j*g.Stride - g.Pad
					v /= T((kh1 - kh0) * (kw1 - kw0))
					for kh := kh0; kh < kh1; kh++ {
						dr := dxp[(ib+kh*g.Dil)*g.W+jb+kw0*g.Dil:]
						for t := 0; t < kw1-kw0; t++ {
							dr[t*g.Dil] += v
						}
					}
				}
			}
		}
	})
}
