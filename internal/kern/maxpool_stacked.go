package kern

import "math"

// The float32 vector path of DARTS's max_pool_3x3 (K = 3, pad 1, stride 1
// on a normal cell, 2 on a reduction cell). Consecutive planes are padded into one tall plane at
// pitch pw = W+2 with a margin of pw+1 at both ends, so that the window of
// the output at padded position p covers p+(kh-1)·pw+(kw-1) whatever the
// plane, and each vector pass runs over a whole chunk of planes.
//
// The backward runs in two passes without any scatter: maxCodeAVX finds,
// for every output, the first tap in (kh, kw) order that holds the maximum
// (its code, 0..8; the input is padded with NaN, which equals nothing); then
// maxScatterAVX gathers into each input the dy of the windows whose code
// points at it. VMAXPS drops NaNs, so a chunk whose input holds a NaN takes
// the scalar path, which propagates them as PyTorch does.
//
// With stride 2 the window of output (i, j) is the stride-1 window of input
// (2i, 2j): both passes run at full resolution, the forward keeps every
// other output, and the backward places y and dy at the even positions (NaN
// and 0 elsewhere, so that no other position selects anything). That is 4x
// the arithmetic of the outputs, still several times faster than the scalar
// window scans.

// stackedMax reports whether MaxPool of g takes the stacked path.
func stackedMax[T Float](g Geom) bool {
	return is32[T]() && g.K == 3 && (g.Stride == 1 || g.Stride == 2) && g.Pad == 1 && g.Dil == 1
}

// maxChunk is the number of planes of g per stacked chunk (about 16 KB of
// float32 per buffer).
func maxChunk(g Geom) int { return max(1, 4096/((g.H+2)*(g.W+2))) }

// hasNaN reports whether x holds a NaN (float32 on the vector paths only).
func hasNaN[T Float](x []T) bool {
	if len(x) == 0 {
		return false
	}
	if useAVX512 {
		return hasNaN512(f32p(x), len(x))
	}
	return hasNaNAVX(f32p(x), len(x))
}

// stackPlanes pads the planes of x into s after a margin of pw+1, the border
// and margins set to v.
func stackPlanes[T Float](g Geom, x, s []T, v T) {
	pw, hw := g.W+2, g.H*g.W
	pp, mg := (g.H+2)*pw, pw+1
	np := len(x) / hw
	fill(s[:mg], v)
	for k := 0; k < np; k++ {
		padFill(x[k*hw:(k+1)*hw], g.H, g.W, 1, s[mg+k*pp:mg+(k+1)*pp], v)
	}
	fill(s[mg+np*pp:mg+np*pp+mg], v)
}

// stackOut is stackPlanes for the outputs y of g: the same layout, y(i, j)
// at the input position (Stride·i, Stride·j), every other position v.
func stackOut[T Float](g Geom, y, s []T, v T) {
	if g.Stride == 1 {
		stackPlanes(g, y, s, v)
		return
	}
	pw, pp, mg := g.W+2, (g.H+2)*(g.W+2), g.W+3
	oh, ow := g.OutH(), g.OutW()
	np := len(y) / (oh * ow)
	fill(s[:np*pp+2*mg], v)
	for k := 0; k < np; k++ {
		for i := 0; i < oh; i++ {
			r := s[mg+k*pp+(g.Stride*i+1)*pw+1:]
			for j, yv := range y[(k*oh+i)*ow : (k*oh+i+1)*ow] {
				r[g.Stride*j] = yv
			}
		}
	}
}

func maxPoolStacked[T Float](g Geom, x, y []T) {
	hw, pw, pp, mg := g.H*g.W, g.W+2, (g.H+2)*(g.W+2), g.W+3
	oh, ow, st := g.OutH(), g.OutW(), g.Stride
	cp := maxChunk(g)
	parallelFor(g.N*g.C, cp, func(lo, hi int) {
		sp, buf := getScratch[T](2*(cp*pp+2*mg) + padLen(g))
		defer putScratch(sp)
		s, t, pbuf := buf[:cp*pp+2*mg], buf[cp*pp+2*mg:][:cp*pp], buf[2*(cp*pp+2*mg):]
		for a := lo; a < hi; a += cp {
			b := min(hi, a+cp)
			xs, ys := x[a*hw:b*hw], y[a*oh*ow:b*oh*ow]
			if hasNaN(xs) {
				for pl := 0; pl < b-a; pl++ {
					maxPlane(g, xs[pl*hw:(pl+1)*hw], ys[pl*oh*ow:(pl+1)*oh*ow], pbuf)
				}
				continue
			}
			np := b - a
			stackPlanes(g, xs, s, T(math.Inf(-1)))
			if useAVX512 {
				max9x512(f32p(s), pw, f32p(t), np*pp)
			} else {
				max9AVX(f32p(s), pw, f32p(t), np*pp)
			}
			for k := 0; k < np; k++ {
				if st == 1 {
					gradRows(nil, t[k*pp+pw+1:], ys[k*oh*ow:], oh, ow, pw, false, false)
					continue
				}
				for i := 0; i < oh; i++ {
					yr, tr := ys[(k*oh+i)*ow:][:ow], t[k*pp+(st*i+1)*pw+1:]
					for j := range yr {
						yr[j] = tr[st*j]
					}
				}
			}
		}
	})
}

func maxPoolBackwardStacked[T Float](g Geom, x, y, dy, dx []T, acc bool) {
	hw, pw, pp, mg := g.H*g.W, g.W+2, (g.H+2)*(g.W+2), g.W+3
	ohw := g.OutH() * g.OutW()
	cp := maxChunk(g)
	parallelFor(g.N*g.C, cp, func(lo, hi int) {
		l := cp*pp + 2*mg
		sp, buf := getScratch[T](4 * l)
		defer putScratch(sp)
		xs, ms, ds, cs := buf[:l], buf[l:2*l], buf[2*l:3*l], buf[3*l:4*l]
		nan := T(math.NaN())
		for a := lo; a < hi; a += cp {
			b := min(hi, a+cp)
			np := b - a
			if hasNaN(y[a*ohw : b*ohw]) {
				maxPoolBackwardPlanes(g, x, y, dy, dx, acc, a, b)
				continue
			}
			stackPlanes(g, x[a*hw:b*hw], xs, nan)
			stackOut(g, y[a*ohw:b*ohw], ms, nan)
			stackOut(g, dy[a*ohw:b*ohw], ds, 0)
			n := np * pp
			// The margins of cs are never written: what they hold is
			// masked with the zero margins of ds.
			t := ms[:n] // ms is read only by maxCode
			if useAVX512 {
				maxCode512(f32p(xs), pw, f32p(ms[mg:]), f32p(cs[mg:]), n)
				maxScatter512(f32p(cs), f32p(ds), pw, f32p(t), n)
			} else {
				maxCodeAVX(f32p(xs), pw, f32p(ms[mg:]), f32p(cs[mg:]), n)
				maxScatterAVX(f32p(cs), f32p(ds), pw, f32p(t), n)
			}
			for k := 0; k < np; k++ {
				gradRows(nil, t[k*pp+pw+1:], dx[(a+k)*hw:], g.H, g.W, pw, false, acc)
			}
		}
	})
}
