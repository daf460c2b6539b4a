package kern

// RectGeom describes a rectangular convolution window over an NCHW input:
// KH×KW taps, strides SH and SW, zero padding PH rows above and below and
// PW columns left and right, no dilation. It is the window of the 1×7 and
// 7×1 convolutions of DARTS's conv_7x1_1x7 (Geom's windows are square).
type RectGeom struct {
	N, C, H, W int // input
	KH, KW     int
	SH, SW     int
	PH, PW     int
}

// OutH is the output height: (H+2*PH-KH)/SH + 1.
func (g RectGeom) OutH() int { return (g.H+2*g.PH-g.KH)/g.SH + 1 }

// OutW is the output width: (W+2*PW-KW)/SW + 1.
func (g RectGeom) OutW() int { return (g.W+2*g.PW-g.KW)/g.SW + 1 }

func (g RectGeom) direct() bool {
	return g.KH == 1 && g.KW == 1 && g.SH == 1 && g.SW == 1 && g.PH == 0 && g.PW == 0
}

// ConvRect is the dense (groups = 1) convolution over a rectangular window:
// x is (N,C,H,W), w is (cout,C,KH,KW), y is (N,cout,OH,OW). It overwrites y
// and is, for each n, o, i, j:
//
//	s := 0
//	for c, kh, kw := range C×KH×KW {
//		s += x[n,c, i*SH-PH+kh, j*SW-PW+kw] * w[o,c,kh,kw] // x is 0 outside H×W
//	}
//	y[n,o,i,j] = s
//
// It lowers each sample to a (C·KH·KW)×(OH·OW) matrix and multiplies, as
// Conv does. y must not overlap x.
func ConvRect[T Float](g RectGeom, cout int, x, w, y []T) {
	chw, ckk, q := g.C*g.H*g.W, g.C*g.KH*g.KW, g.OutH()*g.OutW()
	direct := g.direct()
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
				im2colRect(g, xb, col)
				xb = col
			}
			gemmNN(cout, q, ckk, w, xb, y[b*cout*q:(b+1)*cout*q], false)
		}
	})
}

// ConvRectBackward computes the gradients of ConvRect given dy: for each
// n, o, i, j and each (c, kh, kw) whose input position (ii, jj) is inside
// H×W,
//
//	dx[n,c,ii,jj] += dy[n,o,i,j] * w[o,c,kh,kw]
//	dw[o,c,kh,kw] += dy[n,o,i,j] * x[n,c,ii,jj]
//
// with dx zeroed first unless acc (dw always accumulates). dx or dw may be
// nil to skip it; dx must not overlap the other arguments. dw is summed
// over fixed chunks of the batch, so results do not depend on GOMAXPROCS.
func ConvRectBackward[T Float](g RectGeom, cout int, x, w, dy, dx, dw []T, acc bool) {
	if dx == nil && dw == nil {
		return
	}
	chw, ckk, q := g.C*g.H*g.W, g.C*g.KH*g.KW, g.OutH()*g.OutW()
	direct := g.direct()
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
					im2colRect(g, xb, col)
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
			col2imRect(g, col, dxb)
		}
	})
}

// im2colRect writes the (C·KH·KW)×(OH·OW) matrix of one sample's input
// windows: row (c, kh, kw), column (i, j) holds x[c, i*SH-PH+kh,
// j*SW-PW+kw], 0 outside H×W.
func im2colRect[T Float](g RectGeom, x, col []T) {
	oh, ow := g.OutH(), g.OutW()
	r := 0
	for c := 0; c < g.C; c++ {
		xc := x[c*g.H*g.W : (c+1)*g.H*g.W]
		for kh := 0; kh < g.KH; kh++ {
			for kw := 0; kw < g.KW; kw++ {
				row := col[r*oh*ow : (r+1)*oh*ow]
				r++
				off := kw - g.PW
				j0, j1 := validRange(g.W, ow, g.SW, off)
				for i := 0; i < oh; i++ {
					out := row[i*ow : (i+1)*ow]
					ii := i*g.SH - g.PH + kh
					if ii < 0 || ii >= g.H || j0 >= j1 {
						zero(out)
						continue
					}
					zero(out[:j0])
					zero(out[j1:])
					xr := xc[ii*g.W:]
					for j := j0; j < j1; j++ {
						out[j] = xr[j*g.SW+off]
					}
				}
			}
		}
	}
}

// col2imRect adds col back onto the input positions its entries were read
// from by im2colRect; the adjoint of im2colRect.
func col2imRect[T Float](g RectGeom, col, dx []T) {
	oh, ow := g.OutH(), g.OutW()
	r := 0
	for c := 0; c < g.C; c++ {
		dc := dx[c*g.H*g.W : (c+1)*g.H*g.W]
		for kh := 0; kh < g.KH; kh++ {
			for kw := 0; kw < g.KW; kw++ {
				row := col[r*oh*ow : (r+1)*oh*ow]
				r++
				off := kw - g.PW
				j0, j1 := validRange(g.W, ow, g.SW, off)
				for i := 0; i < oh; i++ {
					ii := i*g.SH - g.PH + kh
					if ii < 0 || ii >= g.H {
						continue
					}
					in := row[i*ow : (i+1)*ow]
					dr := dc[ii*g.W:]
					for j := j0; j < j1; j++ {
						dr[j*g.SW+off] += in[j]
					}
				}
			}
		}
	}
}
