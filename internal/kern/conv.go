package kern

// Conv is the dense (groups = 1) convolution: x is (N,C,H,W), w is
// (cout,C,K,K), y is (N,cout,OH,OW). It overwrites y and is, for each n, o, i, j:
//
//	s := 0
//	for c, kh, kw := range C×K×K {
//		s += x[n,c, i*Stride-Pad+kh*Dil, j*Stride-Pad+kw*Dil] * w[o,c,kh,kw] // x is 0 outside H×W
//	}
//	y[n,o,i,j] = s
//
// It lowers each sample to a (C·K·K)×(OH·OW) matrix (im2col) and multiplies.
// y must not overlap x.
func Conv[T Float](g Geom, cout int, x, w, y []T) {
	chw, ckk, q := g.C*g.H*g.W, g.C*g.K*g.K, g.OutH()*g.OutW()
	direct := isDirect(g)
	parallelFor(g.N, grain(cout*ckk*q), func(lo, hi int) {
		var sp *scratch
		var col []T
		if !direct {
			sp, col = getScratch[T](ckk * q)
			defer putScratch(sp)
		}
		for b := lo; b < hi; b++ {
			xb := x[b*chw : (b+1)*chw]
			if !direct {
				im2col(g, xb, col)
				xb = col
			}
			gemmNN(cout, q, ckk, w, xb, y[b*cout*q:(b+1)*cout*q], false)
		}
	})
}

// isDirect reports whether the im2col matrix of g is the input itself.
func isDirect(g Geom) bool { return g.K == 1 && g.Stride == 1 && g.Pad == 0 }

// im2col writes the (C·K·K)×(OH·OW) matrix of one sample's input windows:
// row (c, kh, kw), column (i, j) holds x[c, i*Stride-Pad+kh*Dil, j*Stride-Pad+kw*Dil],
// 0 outside H×W.
func im2col[T Float](g Geom, x, col []T) {
	oh, ow := g.OutH(), g.OutW()
	s := g.Stride
	r := 0
	for c := 0; c < g.C; c++ {
		xc := x[c*g.H*g.W : (c+1)*g.H*g.W]
		for kh := 0; kh < g.K; kh++ {
			for kw := 0; kw < g.K; kw++ {
				row := col[r*oh*ow : (r+1)*oh*ow]
				r++
				j0, j1 := validRange(g.W, ow, s, kw*g.Dil-g.Pad)
				for i := 0; i < oh; i++ {
					out := row[i*ow : (i+1)*ow]
					ii := i*s - g.Pad + kh*g.Dil
					if ii < 0 || ii >= g.H || j0 >= j1 {
						zero(out)
						continue
					}
					zero(out[:j0])
					zero(out[j1:])
					xr := xc[ii*g.W:]
					off := kw*g.Dil - g.Pad
					for j := j0; j < j1; j++ {
						out[j] = xr[j*s+off]
					}
				}
			}
		}
	}
}

// col2im adds the (C·K·K)×(OH·OW) matrix col back onto the input positions
// its entries were read from by im2col; the adjoint of im2col.
func col2im[T Float](g Geom, col, dx []T) {
	oh, ow := g.OutH(), g.OutW()
	s := g.Stride
	r := 0
	for c := 0; c < g.C; c++ {
		dc := dx[c*g.H*g.W : (c+1)*g.H*g.W]
		for kh := 0; kh < g.K; kh++ {
			for kw := 0; kw < g.K; kw++ {
				row := col[r*oh*ow : (r+1)*oh*ow]
				r++
				j0, j1 := validRange(g.W, ow, s, kw*g.Dil-g.Pad)
				off := kw*g.Dil - g.Pad
				for i := 0; i < oh; i++ {
					ii := i*s - g.Pad + kh*g.Dil
					if ii < 0 || ii >= g.H {
						continue
					}
					in := row[i*ow : (i+1)*ow]
					dr := dc[ii*g.W:]
					for j := j0; j < j1; j++ {
						dr[j*s+off] += in[j]
					}
				}
			}
		}
	}
}

// validRange returns the range [j0, j1) of output columns j < ow whose input
// column j*s+off lies in [0, w).
func validRange(w, ow, s, off int) (j0, j1 int) {
	if off < 0 {
		j0 = (-off + s - 1) / s
	}
	j1 = ow
	if last := w - 1 - off; last < 0 {
		j1 = 0
	} else if e := last/s + 1; e < j1 {
		j1 = e
	}
	if j0 > j1 {
		j0 = j1
	}
	return j0, j1
}

// ConvBackward computes the gradients of Conv given dy. It is, for each
// n, o, i, j and each (c, kh, kw) whose input position (ii, jj) is inside H×W:
//
//	dx[n,c,ii,jj] += dy[n,o,i,j] * w[o,c,kh,kw]
//	dw[o,c,kh,kw] += dy[n,o,i,j] * x[n,c,ii,jj]
//
// with dx zeroed first unless acc (dw always accumulates). dx or dw may be
// nil to skip it. dx must not overlap the other arguments. dw
// is summed over fixed chunks of the batch, so results do not depend on
// GOMAXPROCS.
func ConvBackward[T Float](g Geom, cout int, x, w, dy, dx, dw []T, acc bool) {
	if dx == nil && dw == nil {
		return
	}
	chw, ckk, q := g.C*g.H*g.W, g.C*g.K*g.K, g.OutH()*g.OutW()
	direct := isDirect(g)
	spw, wt := getScratch[T](cout * ckk)
	defer putScratch(spw)
	transpose(cout, ckk, w, wt)
	reduceBatch(g.N, cout*ckk, grain(2*batchChunk*cout*ckk*q), dw, func(b0, b1 int, part []T) {
		var sp *scratch
		var col []T
		if !direct {
			sp, col = getScratch[T](ckk * q)
			defer putScratch(sp)
		}
		for b := b0; b < b1; b++ {
			xb := x[b*chw : (b+1)*chw]
			dyb := dy[b*cout*q : (b+1)*cout*q]
			if part != nil {
				xc := xb
				if !direct {
					im2col(g, xb, col)
					xc = col
				}
				gemmNT(cout, ckk, q, dyb, xc, part)
			}
			if dx == nil {
				continue
			}
			dxb := dx[b*chw : (b+1)*chw]
			if direct {
				gemmNN(ckk, q, cout, wt, dyb, dxb, acc)
				continue
			}
			gemmNN(ckk, q, cout, wt, dyb, col, false)
			if !acc {
				zero(dxb)
			}
			col2im(g, col, dxb)
		}
	})
}
