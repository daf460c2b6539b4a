package kern

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// convRectRef is ConvRect's definition as nested loops.
func convRectRef(g RectGeom, cout int, x, w, y []float64) {
	oh, ow := g.OutH(), g.OutW()
	for n := 0; n < g.N; n++ {
		for o := 0; o < cout; o++ {
			for i := 0; i < oh; i++ {
				for j := 0; j < ow; j++ {
					s := 0.0
					for c := 0; c < g.C; c++ {
						for kh := 0; kh < g.KH; kh++ {
							for kw := 0; kw < g.KW; kw++ {
								ii, jj := i*g.SH-g.PH+kh, j*g.SW-g.PW+kw
								if ii < 0 || ii >= g.H || jj < 0 || jj >= g.W {
									continue
								}
								s += x[((n*g.C+c)*g.H+ii)*g.W+jj] * w[((o*g.C+c)*g.KH+kh)*g.KW+kw]
							}
						}
					}
					y[((n*cout+o)*oh+i)*ow+j] = s
				}
			}
		}
	}
}

var rectGeoms = []RectGeom{
	{N: 2, C: 3, H: 7, W: 9, KH: 1, KW: 7, SH: 1, SW: 1, PH: 0, PW: 3},
	{N: 2, C: 3, H: 7, W: 9, KH: 1, KW: 7, SH: 1, SW: 2, PH: 0, PW: 3},
	{N: 1, C: 2, H: 9, W: 5, KH: 7, KW: 1, SH: 2, SW: 1, PH: 3, PW: 0},
	{N: 5, C: 4, H: 6, W: 6, KH: 7, KW: 1, SH: 1, SW: 1, PH: 3, PW: 0},
	{N: 3, C: 2, H: 5, W: 4, KH: 1, KW: 1, SH: 1, SW: 1},
	{N: 2, C: 2, H: 8, W: 7, KH: 3, KW: 2, SH: 2, SW: 3, PH: 1, PW: 2},
}

func (g RectGeom) String() string {
	return fmt.Sprintf("%dx%dx%dx%d_k%dx%d_s%dx%d_p%dx%d", g.N, g.C, g.H, g.W, g.KH, g.KW, g.SH, g.SW, g.PH, g.PW)
}

// TestConvRectMatchesReference holds ConvRect and ConvRectBackward, float64
// and float32, to the nested loops of their definitions (the backward's
// reference is the adjoint computed by differentiating the loop body).
func TestConvRectMatchesReference(t *testing.T) {
	const cout = 3
	for _, g := range rectGeoms {
		t.Run(g.String(), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(g.KH), uint64(g.W)))
			x := round32(randSlice(rng, g.N*g.C*g.H*g.W))
			w := round32(randSlice(rng, cout*g.C*g.KH*g.KW))
			dy := round32(randSlice(rng, g.N*cout*g.OutH()*g.OutW()))
			want := make([]float64, len(dy))
			convRectRef(g, cout, x, w, want)
			wantDX, wantDW := make([]float64, len(x)), make([]float64, len(w))
			// The adjoint, from the same loops.
			oh, ow := g.OutH(), g.OutW()
			for n := 0; n < g.N; n++ {
				for o := 0; o < cout; o++ {
					for i := 0; i < oh; i++ {
						for j := 0; j < ow; j++ {
							d := dy[((n*cout+o)*oh+i)*ow+j]
							for c := 0; c < g.C; c++ {
								for kh := 0; kh < g.KH; kh++ {
									for kw := 0; kw < g.KW; kw++ {
										ii, jj := i*g.SH-g.PH+kh, j*g.SW-g.PW+kw
										if ii < 0 || ii >= g.H || jj < 0 || jj >= g.W {
											continue
										}
										xi, wi := ((n*g.C+c)*g.H+ii)*g.W+jj, ((o*g.C+c)*g.KH+kh)*g.KW+kw
										wantDX[xi] += d * w[wi]
										wantDW[wi] += d * x[xi]
									}
								}
							}
						}
					}
				}
			}

			y := make([]float64, len(dy))
			ConvRect(g, cout, x, w, y)
			check(t, "y64", y, want, tol64)
			dx, dw := make([]float64, len(x)), make([]float64, len(w))
			for i := range dx {
				dx[i] = 7 // overwritten, not accumulated, without acc
			}
			ConvRectBackward(g, cout, x, w, dy, dx, dw, false)
			check(t, "dx64", dx, wantDX, tol64)
			check(t, "dw64", dw, wantDW, tol64)
			ConvRectBackward(g, cout, x, w, dy, dx, nil, true)
			twice := clone(wantDX)
			for i := range twice {
				twice[i] *= 2
			}
			check(t, "dx64 accumulated", dx, twice, tol64)

			y32 := make([]float32, len(dy))
			ConvRect(g, cout, to32(x), to32(w), y32)
			check(t, "y32", to64(y32), want, tol32)
			dx32, dw32 := make([]float32, len(x)), make([]float32, len(w))
			ConvRectBackward(g, cout, to32(x), to32(w), to32(dy), dx32, dw32, false)
			check(t, "dx32", to64(dx32), wantDX, tol32)
			check(t, "dw32", to64(dw32), wantDW, tol32)
		})
	}
}

// TestConvRectGradients checks the backward against central differences of
// the forward on L = Σ y⊙r.
func TestConvRectGradients(t *testing.T) {
	const cout = 2
	for _, g := range rectGeoms {
		t.Run(g.String(), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(3, uint64(g.H)))
			x, w := randSlice(rng, g.N*g.C*g.H*g.W), randSlice(rng, cout*g.C*g.KH*g.KW)
			r := randSlice(rng, g.N*cout*g.OutH()*g.OutW())
			y := make([]float64, len(r))
			loss := func() float64 { ConvRect(g, cout, x, w, y); return dot(y, r) }
			dx, dw := make([]float64, len(x)), make([]float64, len(w))
			ConvRectBackward(g, cout, x, w, r, dx, dw, true)
			check(t, "dx", dx, fdGrad(x, loss), tolFD)
			check(t, "dw", dw, fdGrad(w, loss), tolFD)
		})
	}
}

// TestConvRectSquareIsConv: with a square window ConvRect computes what
// Conv (tested against its own reference) does.
func TestConvRectSquareIsConv(t *testing.T) {
	g := Geom{N: 2, C: 3, H: 9, W: 7, K: 3, Stride: 2, Pad: 1, Dil: 1}
	rg := RectGeom{N: 2, C: 3, H: 9, W: 7, KH: 3, KW: 3, SH: 2, SW: 2, PH: 1, PW: 1}
	rng := rand.New(rand.NewPCG(9, 9))
	x, w := randSlice(rng, 2*3*9*7), randSlice(rng, 4*3*9)
	a, b := make([]float64, 2*4*g.OutH()*g.OutW()), make([]float64, 2*4*rg.OutH()*rg.OutW())
	Conv(g, 4, x, w, a)
	ConvRect(rg, 4, x, w, b)
	check(t, "y", b, a, tol64)
}
