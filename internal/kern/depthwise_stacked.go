package kern

// The float32 vector path of the stride-1 depthwise convolution. All N
// planes of one channel share its filter, so they are padded into one tall
// plane (stacked) of N·(H+2·Pad) rows at pitch pw = W+2·Pad. At that pitch
// output (n, i, j) sits at (n·ph+i)·pw+j and its tap (kh, kw) a fixed
// kh·Dil·pw + kw·Dil further on, so each tap is one long vector axpy (dot
// product, for the filter gradient) over the whole stack, whatever the plane
// size; outputs that straddle two planes or the padding columns are computed
// and dropped. Taps are added in (kh, kw) order, as in the reference.

// stackDims are the padded plane's height and width and the length of the
// tall output (its last row needs no columns past OW).
func stackDims(g Geom) (ph, pw, n int) {
	ph, pw = g.H+2*g.Pad, g.W+2*g.Pad
	return ph, pw, ((g.N-1)*ph+g.OutH()-1)*pw + g.OutW()
}

// stack pads the N planes of channel c of x (through ReLU if reluIn) into s.
func stack[T Float](g Geom, reluIn bool, x []T, c int, s []T) {
	hw, pp := g.H*g.W, (g.H+2*g.Pad)*(g.W+2*g.Pad)
	for n := 0; n < g.N; n++ {
		xp := x[(n*g.C+c)*hw : (n*g.C+c+1)*hw]
		if reluIn {
			padReLU(xp, g.H, g.W, g.Pad, s[n*pp:(n+1)*pp])
		} else {
			pad(xp, g.H, g.W, g.Pad, s[n*pp:(n+1)*pp])
		}
	}
}

// corrStacked overwrites t with the correlation of the stack s (pitch pw)
// with the K×K filter w: one vector pass per kernel row for K = 3 and 5
// (the row's taps added in one go, see corrRow), else one per tap; with
// AVX-512 one pass for all rows at K = 3 (corrStack3x512, average pooling's
// 3×3 sum; the depthwise convolutions store rows with corrRows instead).
func corrStacked[T Float](k, d, pw int, s, w, t []T) {
	n := len(t)
	if n > 0 && is32[T]() && useAVX512 && k == 3 {
		// All k passes in one, with the same operations in the same order.
		_ = s[(k-1)*d*pw+n+(k-1)*d-1]
		_ = w[k*k-1]
		corrStack3x512(f32p(w), d, pw, f32p(s), f32p(t), n)
		return
	}
	for kh := 0; kh < k; kh++ {
		off := kh * d * pw
		corrRow(w[kh*k:(kh+1)*k], d, s[off:off+n+(k-1)*d], t, kh > 0)
	}
}

// corrRows is corrStacked of the stack s (planes of splane elements at
// pitch pw) followed by gradRows of each plane's rows×cols outputs into
// the planes of y (yplane elements apart, x's alike), in one pass with
// AVX-512 for K = 3 and 5 (corrRows3x512, corrRows5x512: the same
// operations for each element, so the same bits); it reports false, doing
// nothing, elsewhere.
func corrRows[T Float](k, d, pw int, s, w, x, y []T, planes, rows, cols, splane, yplane int, relu, acc bool) bool {
	if !hasCorrRows[T](k) {
		return false
	}
	if planes == 0 || rows == 0 || cols == 0 {
		return true
	}
	_ = s[(planes-1)*splane+(rows-1+(k-1)*d)*pw+cols-1+(k-1)*d]
	_ = w[k*k-1]
	_ = y[(planes-1)*yplane+rows*cols-1]
	xp := f32p(y) // not read without relu
	if relu {
		_ = x[(planes-1)*yplane+rows*cols-1]
		xp = f32p(x)
	}
	if k == 3 {
		corrRows3x512(f32p(w), d, pw, f32p(s), xp, f32p(y), planes, rows, cols, splane, yplane, relu, acc)
	} else {
		corrRows5x512(f32p(w), d, pw, f32p(s), xp, f32p(y), planes, rows, cols, splane, yplane, relu, acc)
	}
	return true
}

// hasCorrRows reports whether corrRows runs for K×K filters (else the
// caller needs corrStacked's buffer).
func hasCorrRows[T Float](k int) bool { return is32[T]() && useAVX512 && (k == 3 || k == 5) }

// corrRow is: for i := range t { t[i] = (t[i] if acc, else 0) + Σ_kw
// w[kw]*s[i+kw*d] }, the taps added in kw order.
func corrRow[T Float](w []T, d int, s, t []T, acc bool) {
	n, k := len(t), len(w)
	if n == 0 {
		return
	}
	s = s[:n+(k-1)*d]
	if is32[T]() && (k == 3 || k == 5) {
		switch {
		case k == 3 && useAVX512:
			corr3x512(f32p(w), d, f32p(s), f32p(t), n, acc)
		case k == 3:
			corr3AVX(f32p(w), d, f32p(s), f32p(t), n, acc)
		case useAVX512:
			corr5x512(f32p(w), d, f32p(s), f32p(t), n, acc)
		default:
			corr5AVX(f32p(w), d, f32p(s), f32p(t), n, acc)
		}
		return
	}
	for kw, wv := range w {
		if kw == 0 && !acc {
			scal(wv, s[:n], t)
			continue
		}
		axpy(wv, s[kw*d:kw*d+n], t)
	}
}

// depthwiseStacked is DepthwiseConv for float32 on the vector paths (AVX2, AVX-512) and stride 1.
func depthwiseStacked[T Float](g Geom, reluIn bool, x, w, y []T) {
	oh, ow, kk := g.OutH(), g.OutW(), g.K*g.K
	ph, pw, nt := stackDims(g)
	ns := g.N * ph * pw
	if hasCorrRows[T](g.K) {
		nt = 0
	}
	parallelFor(g.C, grain(g.N*oh*ow*kk), func(lo, hi int) {
		sp, buf := getScratch[T](ns + nt)
		defer putScratch(sp)
		s, t := buf[:ns], buf[ns:]
		for c := lo; c < hi; c++ {
			stack(g, reluIn, x, c, s)
			if corrRows(g.K, g.Dil, pw, s, w[c*kk:(c+1)*kk], nil, y[c*oh*ow:], g.N, oh, ow, ph*pw, g.C*oh*ow, false, false) {
				continue
			}
			corrStacked(g.K, g.Dil, pw, s, w[c*kk:(c+1)*kk], t)
			for n := 0; n < g.N; n++ {
				gradRows(nil, t[n*ph*pw:], y[(n*g.C+c)*oh*ow:], oh, ow, pw, false, false)
			}
		}
	})
}

// depthwiseBackwardStacked is DepthwiseConvBackward for float32 on the
// vector paths and Pad <= Dil·(K-1). The filter gradient of a tap is one
// dot product of dy, laid out at the stack's pitch with zeros between
// planes, with the shifted stack of x; the zeros meet values of x outside
// the tap's windows, which is exact unless those are infinite or NaN. dx
// is the correlation of dy, padded by Dil·(K-1)-Pad, with the flipped
// filter: a stacked forward again. A stride s > 1 is the stride-1
// convolution keeping every s-th output, so its gradients are those of
// stride 1 for dy spread onto every s-th position with zeros between (s²
// times the arithmetic, in vector passes instead of the scalar scatter).
func depthwiseBackwardStacked[T Float](g Geom, reluIn bool, x, w, dy, dx, dw []T, acc bool) {
	oh, ow, kk := g.OutH(), g.OutW(), g.K*g.K
	st := g.Stride
	g1 := g
	g1.Stride = 1
	oh1, ow1 := g1.OutH(), g1.OutW()
	hw := g.H * g.W
	ph, pw, nt := stackDims(g1)
	gt := Geom{N: g.N, C: 1, H: oh1, W: ow1, K: g.K, Stride: 1, Pad: g.Dil*(g.K-1) - g.Pad, Dil: g.Dil}
	pht, pwt, ntt := stackDims(gt)
	ns, nst := g.N*ph*pw, g.N*pht*pwt
	// With stride 1 and "same" padding (Dil·(K-1) = 2·Pad, as every DARTS
	// op has) dy's stack for dx has x's stack's pitch and plane height, and
	// dy laid out at that pitch with zeros between (dd) is that stack
	// shifted by Pad rows and Pad columns: the same values (+0 in the
	// padding), so the filter gradient reads it there instead of a copy.
	shared := dw != nil && dx != nil && st == 1 && gt.Pad == g.Pad
	gdy := Geom{N: g.N, C: g.C, H: oh, W: ow, Pad: gt.Pad} // dy's planes, for stack
	parallelFor(g.C, grain(2*g.N*oh1*ow1*kk), func(lo, hi int) {
		var size int
		if dw != nil {
			size += ns
			if !shared {
				size += nt
			}
		}
		if dx != nil {
			size += nst + kk
			if !hasCorrRows[T](g.K) {
				size += ntt
			}
		}
		sp, buf := getScratch[T](size)
		defer putScratch(sp)
		var s, dd, sd, tt, wf []T
		if dw != nil {
			s, buf = buf[:ns], buf[ns:]
			if !shared {
				dd, buf = buf[:nt], buf[nt:]
			}
		}
		if dx != nil {
			sd, wf, buf = buf[:nst], buf[nst:nst+kk], buf[nst+kk:]
			if !hasCorrRows[T](g.K) {
				tt = buf[:ntt]
			}
		}
		for c := lo; c < hi; c++ {
			wc := w[c*kk : (c+1)*kk]
			if dx != nil {
				// dy's padded stack for dx (read by the filter gradient
				// too when shared).
				if st == 1 {
					stack(gdy, false, dy, c, sd)
				} else {
					zero(sd)
					for n := 0; n < g.N; n++ {
						spreadRows(sd[(n*pht+gt.Pad)*pwt+gt.Pad:], dy[(n*g.C+c)*oh*ow:], oh, ow, st*pwt, st)
					}
				}
			}
			if shared {
				dd = sd[g.Pad*pw+g.Pad : g.Pad*pw+g.Pad+nt]
			}
			if dw != nil {
				stack(g1, reluIn, x, c, s)
				if !shared {
					zero(dd)
					for n := 0; n < g.N; n++ {
						spreadRows(dd[n*ph*pw:], dy[(n*g.C+c)*oh*ow:], oh, ow, st*pw, st)
					}
				}
				// Up to 8 taps at a time share each read of dd.
				dwc := dw[c*kk : (c+1)*kk]
				var rows [8][]T
				for t0 := 0; t0 < kk; t0 += 8 {
					t1 := min(kk, t0+8)
					for t := t0; t < t1; t++ {
						off := t/g.K*g.Dil*pw + t%g.K*g.Dil
						rows[t-t0] = s[off : off+nt]
					}
					dots(dd, rows[:t1-t0], dwc[t0:t1])
				}
			}
			if dx == nil {
				continue
			}
			for k := range wf {
				wf[k] = wc[kk-1-k]
			}
			if corrRows(g.K, g.Dil, pwt, sd, wf, x[c*hw:], dx[c*hw:], g.N, g.H, g.W, pht*pwt, g.C*hw, reluIn, acc) {
				continue
			}
			corrStacked(g.K, g.Dil, pwt, sd, wf, tt)
			for n := 0; n < g.N; n++ {
				k := (n*g.C + c) * hw
				gradRows(x[k:], tt[n*pht*pwt:], dx[k:], g.H, g.W, pwt, reluIn, acc)
			}
		}
	})
}

// spreadRows is spread of rows rows of w elements of src (contiguous) onto
// the rows of dst at pitch dpitch. dst must be zero between the targets of
// each row (the stacks are zeroed first): with AVX-512 and stride 2 those
// positions are written with zeros.
func spreadRows[T Float](dst, src []T, rows, w, dpitch, s int) {
	if rows == 0 || w == 0 {
		return
	}
	_ = src[rows*w-1]
	_ = dst[(rows-1)*dpitch+(w-1)*s]
	if s == 1 {
		pitchRows(nil, src, dst, rows, w, w, dpitch, false, false)
		return
	}
	if s == 2 && is32[T]() && useAVX512 {
		spread2x512(f32p(src), f32p(dst), rows, w, dpitch)
		return
	}
	for r := range rows {
		spread(dst[r*dpitch:], src[r*w:(r+1)*w], s)
	}
}

// spread is: for j, v := range src { dst[j*s] = v }.
func spread[T Float](dst, src []T, s int) {
	if s == 1 || len(src) == 0 {
		copy(dst, src)
		return
	}
	dst = dst[:(len(src)-1)*s+1]
	for j, v := range src {
		dst[j*s] = v
	}
}
