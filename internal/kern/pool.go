package kern

import "math"

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
// over in-bounds positions only (padding is never selected). NaN propagates,
// as in PyTorch's CPU kernel. The one difference from PyTorch is the sign of
// a zero maximum: for a window holding both -0 and +0, y is +0 (on the
// float32 vector paths of 3x3 windows, whichever VMAXPS keeps) where PyTorch
// keeps whichever comes first; the backward treats ±0 as equal either way.
// y must not overlap x.
func MaxPool[T Float](g Geom, x, y []T) {
	if stackedMax[T](g) {
		maxPoolStacked(g, x, y)
		return
	}
	hw, ohw := g.H*g.W, g.OutH()*g.OutW()
	parallelFor(g.N*g.C, grain(ohw*g.K*g.K), func(lo, hi int) {
		sp, buf := getScratch[T](padLen(g))
		defer putScratch(sp)
		for pl := lo; pl < hi; pl++ {
			maxPlane(g, x[pl*hw:(pl+1)*hw], y[pl*ohw:(pl+1)*ohw], buf)
		}
	})
}

// maxPlane overwrites the output plane y with the window maxima of the plane
// x, padding it with -Inf into buf (padLen(g) elements): -Inf never wins
// over an in-bounds value, and every window holds one.
func maxPlane[T Float](g Geom, x, y, buf []T) {
	src, pw := x, g.W
	if g.Pad > 0 {
		padFill(x, g.H, g.W, g.Pad, buf, T(math.Inf(-1)))
		src, pw = buf, g.W+2*g.Pad
	}
	oh, ow := g.OutH(), g.OutW()
	s, d := g.Stride, g.Dil
	for i := 0; i < oh; i++ {
		yr := y[i*ow : (i+1)*ow]
		if g.K == 3 {
			r0, r1, r2 := src[i*s*pw:], src[(i*s+d)*pw:], src[(i*s+2*d)*pw:]
			for j := range yr {
				b := j * s
				yr[j] = max(r0[b], r0[b+d], r0[b+2*d], r1[b], r1[b+d], r1[b+2*d], r2[b], r2[b+d], r2[b+2*d])
			}
			continue
		}
		for j := range yr {
			m := T(math.Inf(-1))
			for kh := 0; kh < g.K; kh++ {
				r := src[(i*s+kh*d)*pw+j*s:]
				for kw := 0; kw < g.K; kw++ {
					m = max(m, r[kw*d])
				}
			}
			yr[j] = m
		}
	}
}

// MaxPoolBackward computes the input gradient of MaxPool given y, its
// output for x, and dy: for each n, c, i, j it adds dy[n,c,i,j] to dx at the
// position PyTorch selects from x: the first maximum in (kh, kw) order, or
// the last NaN if the window has any; dx is zeroed first unless acc. dx must
// not overlap x, y or dy.
func MaxPoolBackward[T Float](g Geom, x, y, dy, dx []T, acc bool) {
	if stackedMax[T](g) {
		maxPoolBackwardStacked(g, x, y, dy, dx, acc)
		return
	}
	parallelFor(g.N*g.C, grain(g.OutH()*g.OutW()*g.K*g.K), func(lo, hi int) {
		maxPoolBackwardPlanes(g, x, y, dy, dx, acc, lo, hi)
	})
}

// maxPoolBackwardPlanes is MaxPoolBackward on the planes [lo, hi).
func maxPoolBackwardPlanes[T Float](g Geom, x, y, dy, dx []T, acc bool, lo, hi int) {
	hw, oh, ow := g.H*g.W, g.OutH(), g.OutW()
	for pl := lo; pl < hi; pl++ {
		xp, dxp := x[pl*hw:(pl+1)*hw], dx[pl*hw:(pl+1)*hw]
		dyp, ym := dy[pl*oh*ow:(pl+1)*oh*ow], y[pl*oh*ow:(pl+1)*oh*ow]
		if !acc {
			zero(dxp)
		}
		for i := 0; i < oh; i++ {
			for j, v := range dyp[i*ow : (i+1)*ow] {
				dxp[firstEqual(g, xp, ym[i*ow+j], i, j)] += v
			}
		}
	}
}

// firstEqual returns the index in the plane x of the first in-bounds position
// of the window of output (i, j) that holds m, the window's maximum; for a NaN
// maximum it defers to maxArg. The scan runs backwards with a conditional
// move rather than stopping at the first match, so it has no unpredictable
// branch.
func firstEqual[T Float](g Geom, x []T, m T, i, j int) int {
	if m != m {
		return maxArg(g, x, i, j)
	}
	kh0, kh1 := tapRange(i, g.Stride, g.Pad, g.Dil, g.K, g.H)
	kw0, kw1 := tapRange(j, g.Stride, g.Pad, g.Dil, g.K, g.W)
	ib, jb := i*g.Stride-g.Pad, j*g.Stride-g.Pad
	best := 0
	for kh := kh1 - 1; kh >= kh0; kh-- {
		row := (ib+kh*g.Dil)*g.W + jb
		for kw := kw1 - 1; kw >= kw0; kw-- {
			k := row + kw*g.Dil
			if x[k] == m {
				best = k
			}
		}
	}
	return best
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
	if stackedAvg[T](g) {
		avgPoolStacked(g, x, y)
		return
	}
	hw, oh, ow := g.H*g.W, g.OutH(), g.OutW()
	s, d := g.Stride, g.Dil
	parallelFor(g.N*g.C, grain(oh*ow*g.K*g.K), func(lo, hi int) {
		sp, buf := getScratch[T](padLen(g))
		defer putScratch(sp)
		for pl := lo; pl < hi; pl++ {
			// Summing the zero padding adds exact zeros, so the sums equal
			// those over in-bounds positions alone.
			src, pw := x[pl*hw:(pl+1)*hw], g.W
			if g.Pad > 0 {
				pad(src, g.H, g.W, g.Pad, buf)
				src, pw = buf, g.W+2*g.Pad
			}
			yp := y[pl*oh*ow : (pl+1)*oh*ow]
			for i := 0; i < oh; i++ {
				kh0, kh1 := tapRange(i, s, g.Pad, d, g.K, g.H)
				yr := yp[i*ow : (i+1)*ow]
				if g.K == 3 {
					r0, r1, r2 := src[i*s*pw:], src[(i*s+d)*pw:], src[(i*s+2*d)*pw:]
					for j := range yr {
						kw0, kw1 := tapRange(j, s, g.Pad, d, g.K, g.W)
						b := j * s
						sum := r0[b] + r0[b+d] + r0[b+2*d] + r1[b] + r1[b+d] + r1[b+2*d] + r2[b] + r2[b+d] + r2[b+2*d]
						yr[j] = sum / T((kh1-kh0)*(kw1-kw0))
					}
					continue
				}
				for j := range yr {
					kw0, kw1 := tapRange(j, s, g.Pad, d, g.K, g.W)
					var sum T
					for kh := 0; kh < g.K; kh++ {
						r := src[(i*s+kh*d)*pw+j*s:]
						for kw := 0; kw < g.K; kw++ {
							sum += r[kw*d]
						}
					}
					yr[j] = sum / T((kh1-kh0)*(kw1-kw0))
				}
			}
		}
	})
}

// AvgPoolBackward accumulates the input gradient of AvgPool given dy: for each
// n, c, i, j it adds dy[n,c,i,j]/cnt to dx at each of the cnt in-bounds
// positions of the window. dx must not overlap dy.
func AvgPoolBackward[T Float](g Geom, dy, dx []T) { AvgPoolBackwardTo(g, dy, dx, true) }

// AvgPoolBackwardTo is AvgPoolBackward with dx zeroed first unless acc.
func AvgPoolBackwardTo[T Float](g Geom, dy, dx []T, acc bool) {
	if stackedAvg[T](g) {
		avgPoolBackwardStacked(g, dy, dx, acc)
		return
	}
	hw, oh, ow := g.H*g.W, g.OutH(), g.OutW()
	s, d := g.Stride, g.Dil
	ph, pw := g.H+2*g.Pad, g.W+2*g.Pad
	parallelFor(g.N*g.C, grain(oh*ow*g.K*g.K), func(lo, hi int) {
		// The gradient is scattered into a zero-padded work plane, so the
		// inner loops need no bounds tests; the padding is then dropped.
		sp, buf := getScratch[T](ph*pw + ow)
		defer putScratch(sp)
		work, v := buf[:ph*pw], buf[ph*pw:]
		for pl := lo; pl < hi; pl++ {
			dxp, dyp := dx[pl*hw:(pl+1)*hw], dy[pl*oh*ow:(pl+1)*oh*ow]
			zero(work)
			for i := 0; i < oh; i++ {
				kh0, kh1 := tapRange(i, s, g.Pad, d, g.K, g.H)
				for j, dv := range dyp[i*ow : (i+1)*ow] {
					kw0, kw1 := tapRange(j, s, g.Pad, d, g.K, g.W)
					v[j] = dv / T((kh1-kh0)*(kw1-kw0))
				}
				for kh := 0; kh < g.K; kh++ {
					for kw := 0; kw < g.K; kw++ {
						r := work[(i*s+kh*d)*pw+kw*d:]
						for j, vv := range v {
							r[j*s] += vv
						}
					}
				}
			}
			for i := 0; i < g.H; i++ {
				r := work[(i+g.Pad)*pw+g.Pad : (i+g.Pad)*pw+g.Pad+g.W]
				gradOut(nil, r, dxp[i*g.W:(i+1)*g.W], false, acc)
			}
		}
	})
}
