package kern

// DepthwiseConv is the depthwise (groups = C) convolution: x is (N,C,H,W),
// w is (C,1,K,K), y is (N,C,OH,OW). It overwrites y and is, for each n, c, i, j:
//
//	s := 0
//	for kh, kw := range K×K {
//		s += x[n,c, i*Stride-Pad+kh*Dil, j*Stride-Pad+kw*Dil] * w[c,kh,kw] // x is 0 outside H×W
//	}
//	y[n,c,i,j] = s
//
// where, if reluIn, x is read as max(x, 0): the ReLU that starts DARTS's
// SepConv and DilConv, fused into the read so that relu(x) is never stored.
// y must not overlap x.
func DepthwiseConv[T Float](g Geom, reluIn bool, x, w, y []T) {
	if is32[T]() && g.Stride == 1 {
		depthwiseStacked(g, reluIn, x, w, y)
		return
	}
	hw, ohw, kk := g.H*g.W, g.OutH()*g.OutW(), g.K*g.K
	parallelFor(g.N*g.C, grain(ohw*kk), func(lo, hi int) {
		sp, buf := getScratch[T](srcLen(g, reluIn))
		defer putScratch(sp)
		for pl := lo; pl < hi; pl++ {
			c := pl % g.C
			dwPlane(g, reluIn, x[pl*hw:(pl+1)*hw], w[c*kk:(c+1)*kk], y[pl*ohw:(pl+1)*ohw], buf)
		}
	})
}

// padLen is the size of the zero-padded input plane (0 without padding).
func padLen(g Geom) int {
	if g.Pad == 0 {
		return 0
	}
	return (g.H + 2*g.Pad) * (g.W + 2*g.Pad)
}

// srcLen is the size of the plane a window kernel reads: the padded plane,
// or a copy through ReLU if reluIn, or nothing if x can be read directly.
func srcLen(g Geom, reluIn bool) int {
	if reluIn {
		return (g.H + 2*g.Pad) * (g.W + 2*g.Pad)
	}
	return padLen(g)
}

// source returns the plane a window kernel reads for the input plane x: x
// itself, or x padded (and passed through ReLU if reluIn) into buf
// (srcLen(g, reluIn) elements), with its row pitch.
func source[T Float](g Geom, reluIn bool, x, buf []T) ([]T, int) {
	switch {
	case reluIn:
		padReLU(x, g.H, g.W, g.Pad, buf)
	case g.Pad > 0:
		pad(x, g.H, g.W, g.Pad, buf)
	default:
		return x, g.W
	}
	return buf, g.W + 2*g.Pad
}

// dwPlane overwrites the output plane y with the correlation of the input
// plane x (through ReLU if reluIn) with the K×K filter w. buf
// (srcLen(g, reluIn) elements) holds the padded input so that the inner
// loops need no bounds tests.
//
// Every path adds the taps to the output in (kh, kw) order starting from 0,
// the order of the reference, so they round alike. Where stride 1 with
// dilation 1 is not special-cased, each product is rounded before it is
// added (T(…): never fused, whatever GOAMD64), which dw2x512, the AVX-512
// kernel for stride 2, computes too.
func dwPlane[T Float](g Geom, reluIn bool, x, w, y, buf []T) {
	src, pw := source(g, reluIn, x, buf)
	oh, ow := g.OutH(), g.OutW()
	s, d := g.Stride, g.Dil
	if is32[T]() && useAVX512 && s == 2 && g.K <= 5 && oh > 0 && ow > 0 {
		var offs [25]int
		kk := g.K * g.K
		for t := range kk {
			offs[t] = t/g.K*d*pw + t%g.K*d
		}
		_ = src[(oh-1)*s*pw+offs[kk-1]+s*(ow-1)]
		dw2x512(f32p(src), s*pw, &offs[0], f32p(w[:kk]), kk, f32p(y[:oh*ow]), oh, ow, g.K == 3)
		return
	}
	switch {
	case g.K == 3 && s == 1 && d == 1:
		w = w[:9]
		w0, w1, w2, w3, w4, w5, w6, w7, w8 := w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7], w[8]
		for i := 0; i < oh; i++ {
			yr := y[i*ow : (i+1)*ow]
			r0 := src[i*pw : i*pw+len(yr)+2]
			r1 := src[(i+1)*pw : (i+1)*pw+len(yr)+2]
			r2 := src[(i+2)*pw : (i+2)*pw+len(yr)+2]
			for j := range yr {
				yr[j] = r0[j]*w0 + r0[j+1]*w1 + r0[j+2]*w2 +
					r1[j]*w3 + r1[j+1]*w4 + r1[j+2]*w5 +
					r2[j]*w6 + r2[j+1]*w7 + r2[j+2]*w8
			}
		}
	case g.K == 3:
		w = w[:9]
		w0, w1, w2, w3, w4, w5, w6, w7, w8 := w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7], w[8]
		for i := 0; i < oh; i++ {
			yr := y[i*ow : (i+1)*ow]
			r0 := src[i*s*pw:]
			r1 := src[(i*s+d)*pw:]
			r2 := src[(i*s+2*d)*pw:]
			for j := range yr {
				b := j * s
				yr[j] = T(r0[b]*w0) + T(r0[b+d]*w1) + T(r0[b+2*d]*w2) +
					T(r1[b]*w3) + T(r1[b+d]*w4) + T(r1[b+2*d]*w5) +
					T(r2[b]*w6) + T(r2[b+d]*w7) + T(r2[b+2*d]*w8)
			}
		}
	case g.K == 5:
		zero(y[:oh*ow])
		for i := 0; i < oh; i++ {
			yr := y[i*ow : (i+1)*ow]
			for kh := 0; kh < 5; kh++ {
				wr := w[kh*5 : kh*5+5]
				w0, w1, w2, w3, w4 := wr[0], wr[1], wr[2], wr[3], wr[4]
				r := src[(i*s+kh*d)*pw:]
				if s == 1 && d == 1 {
					r = r[:len(yr)+4]
					for j := range yr {
						yr[j] = yr[j] + r[j]*w0 + r[j+1]*w1 + r[j+2]*w2 + r[j+3]*w3 + r[j+4]*w4
					}
					continue
				}
				for j := range yr {
					b := j * s
					yr[j] = yr[j] + T(r[b]*w0) + T(r[b+d]*w1) + T(r[b+2*d]*w2) + T(r[b+3*d]*w3) + T(r[b+4*d]*w4)
				}
			}
		}
	default:
		zero(y[:oh*ow])
		for i := 0; i < oh; i++ {
			yr := y[i*ow : (i+1)*ow]
			for kh := 0; kh < g.K; kh++ {
				for kw := 0; kw < g.K; kw++ {
					wv := w[kh*g.K+kw]
					r := src[(i*s+kh*d)*pw+kw*d:]
					for j := range yr {
						yr[j] += T(r[j*s] * wv)
					}
				}
			}
		}
	}
}

// DepthwiseConvBackward computes the gradients of DepthwiseConv given dy,
// the gradient of its output. It is, for each n, c, i, j and each tap
// (kh, kw) whose input position (ii, jj) is inside H×W:
//
//	dx[n,c,ii,jj] += dy[n,c,i,j] * w[c,kh,kw] * m   // m = 1, or (x[n,c,ii,jj] > 0) if reluIn
//	dw[c,kh,kw] += dy[n,c,i,j] * r(x[n,c,ii,jj])    // r = ReLU if reluIn
//
// with dx zeroed first unless acc (dw always accumulates). dx or dw may be
// nil to skip it. dx must not overlap x, w or dy. Each channel's dw is summed
// over the batch by one goroutine in a fixed order, so results do not depend
// on GOMAXPROCS.
func DepthwiseConvBackward[T Float](g Geom, reluIn bool, x, w, dy, dx, dw []T, acc bool) {
	if dx == nil && dw == nil {
		return
	}
	oh, ow := g.OutH(), g.OutW()
	hw, ohw, kk := g.H*g.W, oh*ow, g.K*g.K
	// With stride 1, dx is the correlation of dy, padded by Dil*(K-1)-Pad, with
	// the flipped filter: the forward kernel again.
	flip := g.Stride == 1 && g.Pad <= g.Dil*(g.K-1)
	if is32[T]() && g.Pad <= g.Dil*(g.K-1) && g.Stride <= 2 {
		depthwiseBackwardStacked(g, reluIn, x, w, dy, dx, dw, acc)
		return
	}
	gt := Geom{N: 1, C: 1, H: oh, W: ow, K: g.K, Stride: 1, Pad: g.Dil*(g.K-1) - g.Pad, Dil: g.Dil}
	ph, pw := g.H+2*g.Pad, g.W+2*g.Pad
	parallelFor(g.C, grain(2*g.N*ohw*kk), func(lo, hi int) {
		// One buffer carved into: padded x, dx work plane, its padding
		// buffer, flipped filter, dw accumulator.
		nx, nd, nb := srcLen(g, reluIn), ph*pw, padLen(gt)
		sp, buf := getScratch[T](nx + nd + nb + 2*kk)
		defer putScratch(sp)
		xbuf, dbuf, tbuf := buf[:nx], buf[nx:nx+nd], buf[nx+nd:nx+nd+nb]
		wf, wacc := buf[nx+nd+nb:nx+nd+nb+kk], buf[nx+nd+nb+kk:nx+nd+nb+2*kk]
		for c := lo; c < hi; c++ {
			wc := w[c*kk : (c+1)*kk]
			for k := range wf {
				wf[k] = wc[kk-1-k]
			}
			zero(wacc)
			for n := 0; n < g.N; n++ {
				pl := n*g.C + c
				dyp := dy[pl*ohw : (pl+1)*ohw]
				xp := x[pl*hw : (pl+1)*hw]
				if dw != nil {
					dwAccPlane(g, reluIn, xp, dyp, wacc, xbuf)
				}
				if dx == nil {
					continue
				}
				dxp := dx[pl*hw : (pl+1)*hw]
				if flip {
					if !acc && !reluIn {
						dwPlane(gt, false, dyp, wf, dxp, tbuf)
						continue
					}
					t := dbuf[:hw]
					dwPlane(gt, false, dyp, wf, t, tbuf)
					gradOut(xp, t, dxp, reluIn, acc)
					continue
				}
				dxScatterPlane(g, wc, dyp, dbuf)
				for i := 0; i < g.H; i++ {
					r := dbuf[(i+g.Pad)*pw+g.Pad : (i+g.Pad)*pw+g.Pad+g.W]
					gradOut(xp[i*g.W:(i+1)*g.W], r, dxp[i*g.W:(i+1)*g.W], reluIn, acc)
				}
			}
			if dw != nil {
				dwc := dw[c*kk : (c+1)*kk]
				for k, v := range wacc {
					dwc[k] += v
				}
			}
		}
	})
}

// dxScatterPlane overwrites buf, the zero-padded input-gradient plane of
// (H+2*Pad)×(W+2*Pad) elements, with the contributions of the
// output-gradient plane dy; its middle H×W is the input gradient.
func dxScatterPlane[T Float](g Geom, w, dy, buf []T) {
	oh, ow := g.OutH(), g.OutW()
	s, d, pw := g.Stride, g.Dil, g.W+2*g.Pad
	zero(buf)
	for i := 0; i < oh; i++ {
		dyr := dy[i*ow : (i+1)*ow]
		for kh := 0; kh < g.K; kh++ {
			for kw := 0; kw < g.K; kw++ {
				wv := w[kh*g.K+kw]
				r := buf[(i*s+kh*d)*pw+kw*d:]
				for j, v := range dyr {
					r[j*s] += v * wv
				}
			}
		}
	}
}

// dwAccPlane adds to acc (K×K) the filter gradient of one plane: the
// correlation of the padded input x (through ReLU if reluIn) with dy.
func dwAccPlane[T Float](g Geom, reluIn bool, x, dy, acc, buf []T) {
	src, pw := source(g, reluIn, x, buf)
	oh, ow := g.OutH(), g.OutW()
	s, d := g.Stride, g.Dil
	for i := 0; i < oh; i++ {
		dyr := dy[i*ow : (i+1)*ow]
		for kh := 0; kh < g.K; kh++ {
			r := src[(i*s+kh*d)*pw:]
			a := acc[kh*g.K : (kh+1)*g.K]
			switch {
			case g.K == 3 && s == 1 && d == 1:
				r = r[:len(dyr)+2]
				var a0, a1, a2 T
				for j, v := range dyr {
					a0 += v * r[j]
					a1 += v * r[j+1]
					a2 += v * r[j+2]
				}
				a[0] += a0
				a[1] += a1
				a[2] += a2
			case g.K == 3:
				var a0, a1, a2 T
				for j, v := range dyr {
					b := j * s
					a0 += v * r[b]
					a1 += v * r[b+d]
					a2 += v * r[b+2*d]
				}
				a[0] += a0
				a[1] += a1
				a[2] += a2
			case g.K == 5:
				var a0, a1, a2, a3, a4 T
				for j, v := range dyr {
					b := j * s
					a0 += v * r[b]
					a1 += v * r[b+d]
					a2 += v * r[b+2*d]
					a3 += v * r[b+3*d]
					a4 += v * r[b+4*d]
				}
				a[0] += a0
				a[1] += a1
				a[2] += a2
				a[3] += a3
				a[4] += a4
			default:
				for kw := range a {
					var t T
					rr := r[kw*d:]
					for j, v := range dyr {
						t += v * rr[j*s]
					}
					a[kw] += t
				}
			}
		}
	}
}
