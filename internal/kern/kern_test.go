package kern

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
	"time"
)

func randSlice(rng *rand.Rand, n int) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = 2*rng.Float64() - 1
	}
	return x
}

func to32(x []float64) []float32 {
	if x == nil {
		return nil
	}
	y := make([]float32, len(x))
	for i, v := range x {
		y[i] = float32(v)
	}
	return y
}

func to64(x []float32) []float64 {
	if x == nil {
		return nil
	}
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = float64(v)
	}
	return y
}

// round32 rounds x to float32 precision, so that float32 kernels and the
// float64 reference see the same inputs.
func round32(x []float64) []float64 { return to64(to32(x)) }

// closeTo reports the first index where got and want differ by more than
// tol times the largest magnitude in want (at least 1).
func closeTo(got, want []float64, tol float64) error {
	if len(got) != len(want) {
		return fmt.Errorf("len %d, want %d", len(got), len(want))
	}
	scale := 1.0
	for _, v := range want {
		scale = max(scale, math.Abs(v))
	}
	for i := range got {
		if got[i] == want[i] {
			continue
		}
		if d := math.Abs(got[i] - want[i]); !(d <= tol*scale) {
			return fmt.Errorf("[%d] = %g, want %g (diff %g, tol %g)", i, got[i], want[i], d, tol*scale)
		}
	}
	return nil
}

const (
	tol64 = 1e-12
	tol32 = 1e-5
)

func check(t *testing.T, what string, got, want []float64, tol float64) {
	t.Helper()
	if err := closeTo(got, want, tol); err != nil {
		t.Errorf("%s: %v", what, err)
	}
}

func clone(x []float64) []float64 { return slices.Clone(x) }

// geoms lists windows over odd and tiny inputs with every combination of
// K ∈ {1,3,5}, stride ∈ {1,2}, dilation ∈ {1,2}, pad ∈ {0,1,2}, keeping those
// with a non-empty output; N cycles through 1..3 and C through 1..5.
func geoms(pool bool) []Geom {
	var gs []Geom
	sizes := [][2]int{{7, 5}, {9, 9}, {1, 1}, {4, 6}}
	i := 0
	for _, k := range []int{1, 3, 5} {
		for _, s := range []int{1, 2} {
			for _, d := range []int{1, 2} {
				for p := 0; p <= 2; p++ {
					for _, hw := range sizes {
						if pool && (2*p > k || (k == 1 && d == 2)) {
							continue // PyTorch requires Pad <= K/2
						}
						g := Geom{N: 1 + i%3, C: 1 + i%5, H: hw[0], W: hw[1], K: k, Stride: s, Pad: p, Dil: d}
						if g.H+2*p-d*(k-1) < 1 || g.W+2*p-d*(k-1) < 1 {
							continue
						}
						gs = append(gs, g)
						i++
					}
				}
			}
		}
	}
	return gs
}

func (g Geom) String() string {
	return fmt.Sprintf("N%dC%d_%dx%d_K%dS%dP%dD%d", g.N, g.C, g.H, g.W, g.K, g.Stride, g.Pad, g.Dil)
}

func (g Geom) inLen() int  { return g.N * g.C * g.H * g.W }
func (g Geom) outLen() int { return g.N * g.C * g.OutH() * g.OutW() }

// windowKernel bundles the fast kernel in both precisions with its reference,
// for the kernels whose gradients are dx and dw.
type windowKernel struct {
	name     string
	wLen     func(g Geom) int
	yLen     func(g Geom) int
	ref      func(g Geom, x, w, y []float64)
	refBack  func(g Geom, x, w, dy, dx, dw []float64)
	fwd64    func(g Geom, x, w, y []float64)
	back64   func(g Geom, x, w, dy, dx, dw []float64, acc bool)
	fwd32    func(g Geom, x, w, y []float32)
	back32   func(g Geom, x, w, dy, dx, dw []float32, acc bool)
	geometry func() []Geom
}

const testCout = 4

var windowKernels = []windowKernel{
	{
		name:    "DepthwiseConv",
		wLen:    func(g Geom) int { return g.C * g.K * g.K },
		yLen:    Geom.outLen,
		ref:     depthwiseConvRef,
		refBack: depthwiseConvBackwardRef,
		fwd64:   func(g Geom, x, w, y []float64) { DepthwiseConv(g, false, x, w, y) },
		back64: func(g Geom, x, w, dy, dx, dw []float64, acc bool) {
			DepthwiseConvBackward(g, false, x, w, dy, dx, dw, acc)
		},
		fwd32: func(g Geom, x, w, y []float32) { DepthwiseConv(g, false, x, w, y) },
		back32: func(g Geom, x, w, dy, dx, dw []float32, acc bool) {
			DepthwiseConvBackward(g, false, x, w, dy, dx, dw, acc)
		},
		geometry: func() []Geom { return geoms(false) },
	},
	{
		name: "Conv",
		wLen: func(g Geom) int { return testCout * g.C * g.K * g.K },
		yLen: func(g Geom) int { return g.N * testCout * g.OutH() * g.OutW() },
		ref: func(g Geom, x, w, y []float64) {
			convRef(g, testCout, x, w, y)
		},
		refBack: func(g Geom, x, w, dy, dx, dw []float64) {
			convBackwardRef(g, testCout, x, w, dy, dx, dw)
		},
		fwd64:    func(g Geom, x, w, y []float64) { Conv(g, testCout, x, w, y) },
		back64:   func(g Geom, x, w, dy, dx, dw []float64, acc bool) { ConvBackward(g, testCout, x, w, dy, dx, dw, acc) },
		fwd32:    func(g Geom, x, w, y []float32) { Conv(g, testCout, x, w, y) },
		back32:   func(g Geom, x, w, dy, dx, dw []float32, acc bool) { ConvBackward(g, testCout, x, w, dy, dx, dw, acc) },
		geometry: func() []Geom { return geoms(false) },
	},
	{
		name:    "MaxPool",
		wLen:    func(Geom) int { return 0 },
		yLen:    Geom.outLen,
		ref:     func(g Geom, x, _, y []float64) { maxPoolRef(g, x, y) },
		refBack: func(g Geom, x, _, dy, dx, _ []float64) { maxPoolBackwardRef(g, x, dy, dx) },
		fwd64:   func(g Geom, x, _, y []float64) { MaxPool(g, x, y) },
		back64: func(g Geom, x, _, dy, dx, _ []float64, acc bool) {
			y := make([]float64, g.outLen())
			MaxPool(g, x, y)
			MaxPoolBackward(g, x, y, dy, dx, acc)
		},
		fwd32: func(g Geom, x, _, y []float32) { MaxPool(g, x, y) },
		back32: func(g Geom, x, _, dy, dx, _ []float32, acc bool) {
			y := make([]float32, g.outLen())
			MaxPool(g, x, y)
			MaxPoolBackward(g, x, y, dy, dx, acc)
		},
		geometry: func() []Geom { return geoms(true) },
	},
	{
		name:    "AvgPool",
		wLen:    func(Geom) int { return 0 },
		yLen:    Geom.outLen,
		ref:     func(g Geom, x, _, y []float64) { avgPoolRef(g, x, y) },
		refBack: func(g Geom, _, _, dy, dx, _ []float64) { avgPoolBackwardRef(g, dy, dx) },
		fwd64:   func(g Geom, x, _, y []float64) { AvgPool(g, x, y) },
		back64:  func(g Geom, _, _, dy, dx, _ []float64, acc bool) { AvgPoolBackwardTo(g, dy, dx, acc) },
		fwd32:   func(g Geom, x, _, y []float32) { AvgPool(g, x, y) },
		back32:  func(g Geom, _, _, dy, dx, _ []float32, acc bool) { AvgPoolBackwardTo(g, dy, dx, acc) },
		geometry: func() []Geom {
			var gs []Geom
			for _, g := range geoms(true) {
				if g.Dil == 1 {
					gs = append(gs, g)
				}
			}
			return gs
		},
	},
}

// TestWindowKernelsMatchReference holds the fast kernels, forward and
// backward, in float64 and float32, to the reference. Gradient outputs start
// non-zero to check that they accumulate.
func TestWindowKernelsMatchReference(t *testing.T) {
	for _, k := range windowKernels {
		for _, g := range k.geometry() {
			t.Run(k.name+"/"+g.String(), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(uint64(g.H*1000+g.K), uint64(g.N*10+g.C)))
				x := round32(randSlice(rng, g.inLen()))
				w := round32(randSlice(rng, k.wLen(g)))
				dy := round32(randSlice(rng, k.yLen(g)))
				dx0 := round32(randSlice(rng, g.inLen()))
				dw0 := round32(randSlice(rng, k.wLen(g)))

				want := make([]float64, k.yLen(g))
				k.ref(g, x, w, want)
				wdx, wdw := clone(dx0), clone(dw0)
				k.refBack(g, x, w, dy, wdx, wdw)

				y := randSlice(rng, len(want)) // overwritten
				k.fwd64(g, x, w, y)
				check(t, "y float64", y, want, tol64)
				dx, dw := clone(dx0), clone(dw0)
				k.back64(g, x, w, dy, dx, dw, true)
				check(t, "dx float64", dx, wdx, tol64)
				check(t, "dw float64", dw, wdw, tol64)

				// Overwriting dx: the reference on a zero dx; dw still adds.
				odx := make([]float64, len(dx0))
				k.refBack(g, x, w, dy, odx, nil)
				dx, dw = randSlice(rng, len(dx0)), clone(dw0)
				k.back64(g, x, w, dy, dx, dw, false)
				check(t, "dx overwritten float64", dx, odx, tol64)
				check(t, "dw (dx overwritten) float64", dw, wdw, tol64)
				dx32o := to32(randSlice(rng, len(dx0)))
				k.back32(g, to32(x), to32(w), to32(dy), dx32o, nil, false)
				check(t, "dx overwritten float32", to64(dx32o), odx, tol32)

				y32 := make([]float32, len(want))
				k.fwd32(g, to32(x), to32(w), y32)
				check(t, "y float32", to64(y32), want, tol32)
				dx32, dw32 := to32(dx0), to32(dw0)
				k.back32(g, to32(x), to32(w), to32(dy), dx32, dw32, true)
				check(t, "dx float32", to64(dx32), wdx, tol32)
				check(t, "dw float32", to64(dw32), wdw, tol32)

				// Each gradient alone, the other skipped with nil.
				if len(w) > 0 {
					dx, dw = clone(dx0), clone(dw0)
					k.back64(g, x, w, dy, dx, nil, true)
					check(t, "dx alone", dx, wdx, tol64)
					k.back64(g, x, w, dy, nil, dw, true)
					check(t, "dw alone", dw, wdw, tol64)
				}
			})
		}
	}
}

// TestDepthwiseReLUInMatchesReference holds the depthwise convolution with
// the ReLU fused into its read to the reference on relu(x), its dx masked
// by x > 0, in both precisions and both dx modes.
func TestDepthwiseReLUInMatchesReference(t *testing.T) {
	for _, g := range geoms(false) {
		t.Run(g.String(), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(g.W*100+g.Pad), uint64(g.N*10+g.K)))
			x := round32(randSlice(rng, g.inLen()))
			x[0] = 0 // the mask's edge: relu'(0) = 0 as in PyTorch
			w := round32(randSlice(rng, g.C*g.K*g.K))
			dy := round32(randSlice(rng, g.outLen()))
			dx0 := round32(randSlice(rng, g.inLen()))
			dw0 := round32(randSlice(rng, len(w)))
			xr := make([]float64, len(x))
			for i, v := range x {
				xr[i] = max(v, 0)
			}
			want := make([]float64, g.outLen())
			depthwiseConvRef(g, xr, w, want)
			t0, wdw := make([]float64, len(x)), clone(dw0)
			depthwiseConvBackwardRef(g, xr, w, dy, t0, wdw)
			odx, wdx := make([]float64, len(x)), clone(dx0)
			for i, v := range x {
				if v > 0 {
					odx[i] = t0[i]
					wdx[i] += t0[i]
				}
			}

			y := randSlice(rng, len(want))
			DepthwiseConv(g, true, x, w, y)
			check(t, "y", y, want, tol64)
			dx, dw := clone(dx0), clone(dw0)
			DepthwiseConvBackward(g, true, x, w, dy, dx, dw, true)
			check(t, "dx", dx, wdx, tol64)
			check(t, "dw", dw, wdw, tol64)
			dx = randSlice(rng, len(x))
			DepthwiseConvBackward(g, true, x, w, dy, dx, nil, false)
			check(t, "dx overwritten", dx, odx, tol64)

			y32 := make([]float32, len(want))
			DepthwiseConv(g, true, to32(x), to32(w), y32)
			check(t, "y float32", to64(y32), want, tol32)
			dx32, dw32 := to32(randSlice(rng, len(x))), to32(dw0)
			DepthwiseConvBackward(g, true, to32(x), to32(w), to32(dy), dx32, dw32, false)
			check(t, "dx overwritten float32", to64(dx32), odx, tol32)
			check(t, "dw float32", to64(dw32), wdw, tol32)
		})
	}
}

func TestPointwiseMatchesReference(t *testing.T) {
	i := 0
	for _, cin := range []int{1, 3, 5, 8} {
		for _, cout := range []int{1, 4, 5, 9} {
			for _, p := range []int{1, 7, 35, 130} {
				for _, relu := range []bool{false, true} {
					n := 1 + i%3
					i++
					t.Run(fmt.Sprintf("N%d_%dto%d_P%d_relu%v", n, cin, cout, p, relu), func(t *testing.T) {
						rng := rand.New(rand.NewPCG(uint64(i), 7))
						x := round32(randSlice(rng, n*cin*p))
						w := round32(randSlice(rng, cout*cin))
						dy := round32(randSlice(rng, n*cout*p))
						dx0 := round32(randSlice(rng, len(x)))
						dw0 := round32(randSlice(rng, len(w)))
						want := make([]float64, n*cout*p)
						pointwiseRef(n, cin, cout, p, relu, x, w, want)
						wdx, wdw := clone(dx0), clone(dw0)
						pointwiseBackwardRef(n, cin, cout, p, relu, x, w, dy, wdx, wdw)

						y := randSlice(rng, len(want))
						Pointwise(n, cin, cout, p, relu, x, w, y)
						check(t, "y float64", y, want, tol64)
						dx, dw := clone(dx0), clone(dw0)
						PointwiseBackward(n, cin, cout, p, relu, x, w, dy, dx, dw, true)
						check(t, "dx float64", dx, wdx, tol64)
						check(t, "dw float64", dw, wdw, tol64)
						dx = clone(dx0)
						PointwiseBackward(n, cin, cout, p, relu, x, w, dy, dx, nil, true)
						check(t, "dx alone", dx, wdx, tol64)
						dw = clone(dw0)
						PointwiseBackward(n, cin, cout, p, relu, x, w, dy, nil, dw, true)
						check(t, "dw alone", dw, wdw, tol64)
						odx := make([]float64, len(x))
						pointwiseBackwardRef(n, cin, cout, p, relu, x, w, dy, odx, nil)
						dx = randSlice(rng, len(x))
						PointwiseBackward(n, cin, cout, p, relu, x, w, dy, dx, nil, false)
						check(t, "dx overwritten", dx, odx, tol64)

						y32 := make([]float32, len(want))
						Pointwise(n, cin, cout, p, relu, to32(x), to32(w), y32)
						check(t, "y float32", to64(y32), want, tol32)
						dx32, dw32 := to32(dx0), to32(dw0)
						PointwiseBackward(n, cin, cout, p, relu, to32(x), to32(w), to32(dy), dx32, dw32, true)
						check(t, "dx float32", to64(dx32), wdx, tol32)
						check(t, "dw float32", to64(dw32), wdw, tol32)
					})
				}
			}
		}
	}
}

type bnCase struct {
	n, c, p int
	affine  bool
}

func bnCases() []bnCase {
	var cs []bnCase
	i := 0
	for _, c := range []int{1, 2, 5} {
		for _, p := range []int{1, 7, 35} {
			for _, affine := range []bool{false, true} {
				cs = append(cs, bnCase{n: 1 + i%3, c: c, p: p, affine: affine})
				i++
			}
		}
	}
	return cs
}

func TestBatchNormMatchesReference(t *testing.T) {
	const eps = 1e-5
	for i, bc := range bnCases() {
		n, c, p := bc.n, bc.c, bc.p
		t.Run(fmt.Sprintf("N%dC%dP%d_affine%v", n, c, p, bc.affine), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(i), 11))
			x := round32(randSlice(rng, n*c*p))
			for k := range x {
				x[k] = 3*x[k] + 0.5 // mean and variance away from 0 and 1
			}
			var gamma, beta []float64
			if bc.affine {
				gamma, beta = round32(randSlice(rng, c)), round32(randSlice(rng, c))
			}
			dy := round32(randSlice(rng, len(x)))
			dx0 := round32(randSlice(rng, len(x)))
			dg0, db0 := round32(randSlice(rng, c)), round32(randSlice(rng, c))

			wy, wxh := make([]float64, len(x)), make([]float64, len(x))
			wm, wv, wis := make([]float64, c), make([]float64, c), make([]float64, c)
			batchNormTrainRef(n, c, p, eps, x, gamma, beta, wy, wxh, wm, wv, wis)
			wdx, wdg, wdb := clone(dx0), clone(dg0), clone(db0)
			batchNormBackwardRef(n, c, p, wxh, wis, gamma, dy, wdx, wdg, wdb)

			y, xh := make([]float64, len(x)), make([]float64, len(x))
			m, v, is := make([]float64, c), make([]float64, c), make([]float64, c)
			BatchNormTrain(n, c, p, eps, x, gamma, beta, y, xh, m, v, is)
			for _, r := range []struct {
				name      string
				got, want []float64
			}{{"y", y, wy}, {"xhat", xh, wxh}, {"mean", m, wm}, {"uvar", v, wv}, {"invstd", is, wis}} {
				check(t, r.name, r.got, r.want, 1e-11)
			}
			dx, dg, db := clone(dx0), clone(dg0), clone(db0)
			BatchNormBackward(n, c, p, xh, is, gamma, dy, 1, dx, dg, db, true)
			check(t, "dx", dx, wdx, 1e-11)
			check(t, "dgamma", dg, wdg, 1e-11)
			check(t, "dbeta", db, wdb, 1e-11)

			// A scaled dy, dx overwritten: the reference on 0.375·dy and a
			// zero dx.
			sdy := clone(dy)
			for k := range sdy {
				sdy[k] *= 0.375
			}
			sdx, sdg, sdb := make([]float64, len(x)), clone(dg0), clone(db0)
			batchNormBackwardRef(n, c, p, wxh, wis, gamma, sdy, sdx, sdg, sdb)
			dx, dg, db = randSlice(rng, len(x)), clone(dg0), clone(db0)
			BatchNormBackward(n, c, p, xh, is, gamma, dy, 0.375, dx, dg, db, false)
			check(t, "dx scaled, overwritten", dx, sdx, 1e-11)
			check(t, "dgamma scaled", dg, sdg, 1e-11)
			check(t, "dbeta scaled", db, sdb, 1e-11)

			// Without affine, y may be xhat itself.
			if !bc.affine {
				yx := make([]float64, len(x))
				BatchNormTrain(n, c, p, eps, x, nil, nil, yx, yx, m, v, is)
				check(t, "y aliasing xhat", yx, wy, 1e-11)
				yx32 := make([]float32, len(x))
				BatchNormTrain(n, c, p, eps, to32(x), nil, nil, yx32, yx32, make([]float32, c), make([]float32, c), make([]float32, c))
				check(t, "y aliasing xhat float32", to64(yx32), wy, tol32)
			}

			// y may be x itself.
			xa := clone(x)
			BatchNormTrain(n, c, p, eps, xa, gamma, beta, xa, xh, m, v, is)
			check(t, "y aliasing x", xa, wy, 1e-11)

			x32, y32, xh32 := to32(x), make([]float32, len(x)), make([]float32, len(x))
			m32, v32, is32 := make([]float32, c), make([]float32, c), make([]float32, c)
			BatchNormTrain(n, c, p, eps, x32, to32(gamma), to32(beta), y32, xh32, m32, v32, is32)
			check(t, "y float32", to64(y32), wy, tol32)
			check(t, "invstd float32", to64(is32), wis, tol32)
			dx32, dg32, db32 := to32(dx0), to32(dg0), to32(db0)
			BatchNormBackward(n, c, p, xh32, is32, to32(gamma), to32(dy), 1, dx32, dg32, db32, true)
			check(t, "dx float32", to64(dx32), wdx, 1e-4)
			check(t, "dgamma float32", to64(dg32), wdg, tol32)
			check(t, "dbeta float32", to64(db32), wdb, tol32)

			// Eval with running statistics unrelated to the batch.
			rm, rv := randSlice(rng, c), randSlice(rng, c)
			for k := range rv {
				rv[k] += 1.5
			}
			want := make([]float64, len(x))
			batchNormEvalRef(n, c, p, eps, x, rm, rv, gamma, beta, want)
			ye := clone(x)
			BatchNormEval(n, c, p, eps, ye, rm, rv, gamma, beta, ye)
			check(t, "eval (in place)", ye, want, tol64)
		})
	}
}

func TestUpdateRunning(t *testing.T) {
	rmean, rvar := []float64{1, -2}, []float64{4, 0.5}
	UpdateRunning(0.1, []float64{2, 3}, []float64{1, 2.5}, rmean, rvar)
	// 0.9*1 + 0.1*2, 0.9*-2 + 0.1*3, 0.9*4 + 0.1*1, 0.9*0.5 + 0.1*2.5
	check(t, "rmean", rmean, []float64{1.1, -1.5}, 1e-15)
	check(t, "rvar", rvar, []float64{3.7, 0.7}, 1e-15)
}

func TestReLU(t *testing.T) {
	x := []float64{-2, -0.5, 0, 0.25, 3, math.Inf(-1), math.Inf(1)}
	y := make([]float64, len(x))
	ReLU(x, y)
	check(t, "y", y, []float64{0, 0, 0, 0.25, 3, 0, math.Inf(1)}, 0)
	nan := []float64{math.NaN()}
	ReLU(nan, nan)
	if !math.IsNaN(nan[0]) {
		t.Errorf("ReLU(NaN) = %g, want NaN as in PyTorch", nan[0])
	}
	dx := []float64{1, 1, 1, 1, 1, 1, 1}
	ReLUBackward(x, []float64{10, 20, 30, 40, 50, 60, 70}, dx)
	check(t, "dx", dx, []float64{1, 1, 1, 41, 51, 1, 71}, 0)
	ReLUBackwardTo(x, []float64{10, 20, 30, 40, 50, 60, 70}, dx, false)
	check(t, "dx overwritten", dx, []float64{0, 0, 0, 40, 50, 0, 70}, 0)
	dx32 := []float32{9, 9, 9, 9, 9, 9, 9}
	ReLUBackwardTo(to32(x), []float32{10, 20, 30, 40, 50, 60, 70}, dx32, false)
	check(t, "dx overwritten float32", to64(dx32), []float64{0, 0, 0, 40, 50, 0, 70}, 0)

	// The branch-free mask on the edges of v > 0, in both precisions.
	edge := []float64{math.Copysign(0, -1), math.NaN(), 0, 5e-324, -5e-324, 1e-40, math.Inf(1), -1}
	wantEdge := []float64{0, 0, 0, 1, 0, 1, 1, 0}
	got := make([]float64, len(edge))
	ReLUBackward(edge, []float64{1, 1, 1, 1, 1, 1, 1, 1}, got)
	check(t, "dx edges float64", got, wantEdge, 0)
	got32 := make([]float32, len(edge))
	ReLUBackward(to32(edge), []float32{1, 1, 1, 1, 1, 1, 1, 1}, got32)
	wantEdge[3] = 0 // 5e-324 rounds to +0 in float32
	check(t, "dx edges float32", to64(got32), wantEdge, 0)

	// Long enough to be split across goroutines; in place.
	rng := rand.New(rand.NewPCG(1, 2))
	big := randSlice(rng, 3*reluGrain+5)
	want := make([]float64, len(big))
	for i, v := range big {
		want[i] = max(v, 0)
	}
	ReLU(big, big)
	check(t, "big in place", big, want, 0)
}

func TestMaxPoolTiesAndNaN(t *testing.T) {
	g := Geom{N: 1, C: 1, H: 2, W: 4, K: 2, Stride: 2, Pad: 0, Dil: 1}
	// Window 0 holds 5 at (0,1) and (1,0): the first in scan order wins.
	// Window 1 holds NaN at (0,2) and (1,3): the last NaN wins, as PyTorch.
	x := []float64{1, 5, math.NaN(), 3, 5, 2, 4, math.NaN()}
	y := make([]float64, 2)
	MaxPool(g, x, y)
	if y[0] != 5 || !math.IsNaN(y[1]) {
		t.Errorf("y = %v, want [5 NaN]", y)
	}
	dx := make([]float64, 8)
	MaxPoolBackward(g, x, y, []float64{1, 10}, dx, true)
	check(t, "dx", dx, []float64{0, 1, 0, 0, 0, 0, 0, 10}, 0)

	// All -Inf with padding: the padding must still never be selected.
	g = Geom{N: 1, C: 1, H: 3, W: 3, K: 3, Stride: 2, Pad: 1, Dil: 1}
	x = []float64{math.Inf(-1), math.Inf(-1), math.Inf(-1), math.Inf(-1), math.Inf(-1), math.Inf(-1), math.Inf(-1), math.Inf(-1), math.Inf(-1)}
	dy := []float64{1, 2, 3, 4}
	want := make([]float64, 9)
	maxPoolBackwardRef(g, x, dy, want)
	y = make([]float64, 4)
	MaxPool(g, x, y)
	dx = make([]float64, 9)
	MaxPoolBackward(g, x, y, dy, dx, true)
	check(t, "dx all -Inf", dx, want, 0)
	for _, v := range y {
		if !math.IsInf(v, -1) {
			t.Errorf("all -Inf: y = %v", y)
		}
	}
}

// TestGeomOut checks the output size formula on PyTorch's documented cases.
func TestGeomOut(t *testing.T) {
	for _, c := range []struct {
		g      Geom
		oh, ow int
	}{
		{Geom{H: 32, W: 32, K: 3, Stride: 1, Pad: 1, Dil: 1}, 32, 32},
		{Geom{H: 32, W: 31, K: 3, Stride: 2, Pad: 1, Dil: 1}, 16, 16},
		{Geom{H: 16, W: 16, K: 5, Stride: 1, Pad: 4, Dil: 2}, 16, 16},
		{Geom{H: 7, W: 7, K: 1, Stride: 2, Pad: 0, Dil: 1}, 4, 4},
	} {
		if oh, ow := c.g.OutH(), c.g.OutW(); oh != c.oh || ow != c.ow {
			t.Errorf("%v: out %dx%d, want %dx%d", c.g, oh, ow, c.oh, c.ow)
		}
	}
}

// fdGrad returns the central-difference gradient of l with respect to v.
func fdGrad(v []float64, l func() float64) []float64 {
	const h = 1e-6
	g := make([]float64, len(v))
	for i := range v {
		old := v[i]
		v[i] = old + h
		lp := l()
		v[i] = old - h
		lm := l()
		v[i] = old
		g[i] = (lp - lm) / (2 * h)
	}
	return g
}

func dot(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

const tolFD = 1e-6

// TestWindowKernelGradients checks each fast backward against central
// differences of its fast forward on L = Σ y⊙r.
func TestWindowKernelGradients(t *testing.T) {
	gs := []Geom{
		{N: 2, C: 3, H: 7, W: 5, K: 3, Stride: 1, Pad: 1, Dil: 1},
		{N: 1, C: 2, H: 9, W: 9, K: 3, Stride: 2, Pad: 1, Dil: 1},
		{N: 2, C: 2, H: 9, W: 8, K: 5, Stride: 1, Pad: 4, Dil: 2},
		{N: 1, C: 3, H: 7, W: 7, K: 5, Stride: 2, Pad: 2, Dil: 1},
		{N: 3, C: 2, H: 6, W: 5, K: 1, Stride: 2, Pad: 0, Dil: 1},
	}
	for _, k := range windowKernels {
		for _, g := range gs {
			if k.name == "AvgPool" && g.Dil != 1 || (k.name == "AvgPool" || k.name == "MaxPool") && 2*g.Pad > g.K {
				continue
			}
			t.Run(k.name+"/"+g.String(), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(uint64(g.K), uint64(g.H)))
				x, w := randSlice(rng, g.inLen()), randSlice(rng, k.wLen(g))
				r := randSlice(rng, k.yLen(g))
				y := make([]float64, len(r))
				loss := func() float64 { k.fwd64(g, x, w, y); return dot(y, r) }
				dx, dw := make([]float64, len(x)), make([]float64, len(w))
				k.back64(g, x, w, r, dx, dw, true)
				check(t, "dx", dx, fdGrad(x, loss), tolFD)
				check(t, "dw", dw, fdGrad(w, loss), tolFD)
			})
		}
	}
}

func TestPointwiseGradients(t *testing.T) {
	for _, relu := range []bool{false, true} {
		n, cin, cout, p := 2, 3, 5, 11
		rng := rand.New(rand.NewPCG(3, 4))
		x, w, r := randSlice(rng, n*cin*p), randSlice(rng, cout*cin), randSlice(rng, n*cout*p)
		y := make([]float64, len(r))
		loss := func() float64 { Pointwise(n, cin, cout, p, relu, x, w, y); return dot(y, r) }
		dx, dw := make([]float64, len(x)), make([]float64, len(w))
		PointwiseBackward(n, cin, cout, p, relu, x, w, r, dx, dw, true)
		check(t, fmt.Sprintf("dx relu=%v", relu), dx, fdGrad(x, loss), tolFD)
		check(t, fmt.Sprintf("dw relu=%v", relu), dw, fdGrad(w, loss), tolFD)
	}
}

func TestBatchNormGradients(t *testing.T) {
	for _, bc := range []bnCase{{2, 3, 5, true}, {3, 2, 4, false}, {1, 2, 9, true}} {
		n, c, p := bc.n, bc.c, bc.p
		rng := rand.New(rand.NewPCG(uint64(n), uint64(p)))
		x, r := randSlice(rng, n*c*p), randSlice(rng, n*c*p)
		var gamma, beta []float64
		if bc.affine {
			gamma, beta = randSlice(rng, c), randSlice(rng, c)
		}
		y, xh := make([]float64, len(x)), make([]float64, len(x))
		m, v, is := make([]float64, c), make([]float64, c), make([]float64, c)
		loss := func() float64 {
			BatchNormTrain(n, c, p, 1e-5, x, gamma, beta, y, xh, m, v, is)
			return dot(y, r)
		}
		loss()
		dx, dg, db := make([]float64, len(x)), make([]float64, c), make([]float64, c)
		BatchNormBackward(n, c, p, slices.Clone(xh), slices.Clone(is), gamma, r, 1, dx, dg, db, true)
		name := fmt.Sprintf("N%dC%dP%d", n, c, p)
		check(t, name+" dx", dx, fdGrad(x, loss), tolFD)
		if bc.affine {
			check(t, name+" dgamma", dg, fdGrad(gamma, loss), tolFD)
			check(t, name+" dbeta", db, fdGrad(beta, loss), tolFD)
		}
	}
}

func TestReLUGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	x, r := randSlice(rng, 50), randSlice(rng, 50)
	for i := range x {
		if math.Abs(x[i]) < 1e-3 {
			x[i] = 0.5 // keep central differences away from the kink
		}
	}
	y := make([]float64, len(x))
	loss := func() float64 { ReLU(x, y); return dot(y, r) }
	dx := make([]float64, len(x))
	ReLUBackward(x, r, dx)
	check(t, "dx", dx, fdGrad(x, loss), tolFD)
}

// TestBackwardDeterministic checks that gradients reduced over the batch are
// bit-identical whatever GOMAXPROCS is.
func TestBackwardDeterministic(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	g := Geom{N: 13, C: 6, H: 16, W: 16, K: 3, Stride: 1, Pad: 1, Dil: 1}
	rng := rand.New(rand.NewPCG(8, 9))
	x32 := to32(randSlice(rng, g.inLen()))
	dy32 := to32(randSlice(rng, g.inLen()))
	w32 := to32(randSlice(rng, 8*g.C*9))
	dyc := to32(randSlice(rng, g.N*8*g.H*g.W))
	xh, is := make([]float32, len(x32)), make([]float32, g.C)
	m, v := make([]float32, g.C), make([]float32, g.C)
	BatchNormTrain(g.N, g.C, g.H*g.W, 1e-5, x32, nil, nil, make([]float32, len(x32)), xh, m, v, is)
	run := func() [][]float32 {
		dwDW := make([]float32, g.C*9)
		DepthwiseConvBackward(g, true, x32, w32[:g.C*9], dy32, nil, dwDW, true)
		dwPW := make([]float32, 8*g.C)
		PointwiseBackward(g.N, g.C, 8, g.H*g.W, true, x32, w32[:8*g.C], dyc, nil, dwPW, true)
		dwC := make([]float32, 8*g.C*9)
		ConvBackward(g, 8, x32, w32, dyc, nil, dwC, true)
		dg, db := make([]float32, g.C), make([]float32, g.C)
		BatchNormBackward(g.N, g.C, g.H*g.W, xh, is, nil, dy32, 1, nil, dg, db, true)
		return [][]float32{dwDW, dwPW, dwC, dg, db}
	}
	runtime.GOMAXPROCS(1)
	want := run()
	for _, procs := range []int{2, 3, 7} {
		runtime.GOMAXPROCS(procs)
		got := run()
		for i := range want {
			if !slices.Equal(got[i], want[i]) {
				t.Errorf("GOMAXPROCS=%d: gradient %d differs from GOMAXPROCS=1", procs, i)
			}
		}
	}
}

// TestTasks runs every index once, on any GOMAXPROCS, with kernels called
// from inside the tasks (which split only onto idle workers) giving the
// same bits as when called alone.
func TestTasks(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	g := Geom{N: 8, C: 4, H: 16, W: 16, K: 3, Stride: 1, Pad: 1, Dil: 1}
	rng := rand.New(rand.NewPCG(3, 3))
	const n = 7
	xs := make([][]float32, n)
	for i := range xs {
		xs[i] = to32(randSlice(rng, g.inLen()))
	}
	w := to32(randSlice(rng, g.C*9))
	want := make([][]float32, n)
	for i := range want {
		want[i] = make([]float32, g.outLen())
		DepthwiseConv(g, i%2 == 0, xs[i], w, want[i])
	}
	for _, procs := range []int{1, 2, 3, 5} {
		runtime.GOMAXPROCS(procs)
		for rep := 0; rep < 20; rep++ {
			got := make([][]float32, n)
			var runs [n]int
			Tasks(n, func(i int) {
				runs[i]++
				got[i] = make([]float32, g.outLen())
				DepthwiseConv(g, i%2 == 0, xs[i], w, got[i])
			})
			for i := range runs {
				if runs[i] != 1 {
					t.Fatalf("GOMAXPROCS=%d: task %d ran %d times", procs, i, runs[i])
				}
				if !slices.Equal(got[i], want[i]) {
					t.Fatalf("GOMAXPROCS=%d: task %d gave other bits than alone", procs, i)
				}
			}
		}
	}
	Tasks(0, func(int) { t.Fatal("task run for n = 0") })
}

func TestWeightedSumAxpyDot(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	const n = 3*reluGrain + 77 // split across goroutines and blocks
	a := []float64{0.5, -2, 0.25}
	xs := [][]float64{randSlice(rng, n), randSlice(rng, n), randSlice(rng, n)}
	y0 := randSlice(rng, n)
	for _, acc := range []bool{false, true} {
		want := make([]float64, n)
		for i := range want {
			s := 0.0
			if acc {
				s = y0[i]
			}
			for k := range xs {
				s += a[k] * xs[k][i]
			}
			want[i] = s
		}
		y := clone(y0)
		WeightedSum(a, xs, y, acc)
		check(t, fmt.Sprintf("WeightedSum acc=%v", acc), y, want, tol64)
		y = clone(y0)
		Axpy(a[1], xs[1], y, acc)
		for i := range want {
			want[i] = a[1] * xs[1][i]
			if acc {
				want[i] += y0[i]
			}
		}
		check(t, fmt.Sprintf("Axpy acc=%v", acc), y, want, tol64)
	}
	y := clone(y0)
	WeightedSum(nil, nil, y, false)
	check(t, "WeightedSum of nothing", y, make([]float64, n), 0)
	if got, want := Dot(xs[0], xs[1]), dot(xs[0], xs[1]); math.Abs(got-want) > 1e-9 {
		t.Errorf("Dot = %g, want %g", got, want)
	}
}

// TestVectorPrimitives holds the float32 vector primitives (AVX2 on this
// machine, if it has it) to float64 loops, on lengths around every unroll
// boundary.
func TestVectorPrimitives(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 6))
	for _, n := range []int{0, 1, 7, 8, 9, 31, 32, 33, 40, 100, 1000} {
		x, y := round32(randSlice(rng, n)), round32(randSlice(rng, n))
		const a = 0.75
		wantAxpy, wantScal := make([]float64, n), make([]float64, n)
		for i := range x {
			wantAxpy[i] = y[i] + a*x[i]
			wantScal[i] = a * x[i]
		}
		y32 := to32(y)
		axpy(float32(a), to32(x), y32)
		check(t, fmt.Sprintf("axpy n=%d", n), to64(y32), wantAxpy, tol32)
		scal(float32(a), to32(x), y32)
		check(t, fmt.Sprintf("scal n=%d", n), to64(y32), wantScal, tol32)
		if n > 0 {
			s0, s1 := sumDot64(to32(x), to32(y))
			if math.Abs(s0-sum64(x)) > 1e-12*float64(n) || math.Abs(s1-dot(x, y)) > 1e-12*float64(n) {
				t.Errorf("sumDot64 n=%d = %g, %g, want %g, %g", n, s0, s1, sum64(x), dot(x, y))
			}
			if got, want := Dot(to32(x), to32(y)), dot(x, y); math.Abs(got-want) > 1e-7*float64(n) {
				t.Errorf("Dot float32 n=%d = %g, want %g", n, got, want)
			}
			r := to32(x)
			r[0] = float32(math.NaN())
			reluInto(r, r)
			if !math.IsNaN(float64(r[0])) {
				t.Errorf("relu(NaN) = %g in float32, want NaN", r[0])
			}
			for i, v := range x[1:] {
				if want := float32(max(v, 0)); r[i+1] != want {
					t.Errorf("relu n=%d [%d] = %g, want %g", n, i+1, r[i+1], want)
				}
			}
		}
		got := float64(dotT(to32(x), to32(y)))
		if want := dot(x, y); math.Abs(got-want) > tol32*max(1, float64(n)) {
			t.Errorf("dot n=%d = %g, want %g", n, got, want)
		}
	}
}

// TestMaxPoolStackedTiesAndNaN holds the float32 max_pool_3x3 of normal and
// reduction cells (the stacked vector path with AVX2) to the reference on inputs full
// of ties (few distinct values), with planes of -Inf and a NaN, over enough
// planes to span several chunks.
func TestMaxPoolStackedTiesAndNaN(t *testing.T) {
	for _, g := range []Geom{
		{N: 3, C: 50, H: 7, W: 7, K: 3, Stride: 1, Pad: 1, Dil: 1},
		{N: 2, C: 5, H: 32, W: 31, K: 3, Stride: 1, Pad: 1, Dil: 1},
		{N: 1, C: 3, H: 1, W: 9, K: 3, Stride: 1, Pad: 1, Dil: 1},
		{N: 3, C: 50, H: 8, W: 8, K: 3, Stride: 2, Pad: 1, Dil: 1},
		{N: 2, C: 5, H: 31, W: 32, K: 3, Stride: 2, Pad: 1, Dil: 1},
		{N: 2, C: 3, H: 1, W: 1, K: 3, Stride: 2, Pad: 1, Dil: 1},
	} {
		for _, special := range []string{"ties", "-Inf", "NaN"} {
			t.Run(g.String()+"/"+special, func(t *testing.T) {
				rng := rand.New(rand.NewPCG(uint64(g.H), uint64(g.C)))
				x := make([]float64, g.inLen())
				for i := range x {
					x[i] = float64(rng.IntN(4)) - 2 // many ties, ±0 among them
					if x[i] == 0 && rng.IntN(2) == 0 {
						x[i] = math.Copysign(0, -1)
					}
				}
				hw := g.H * g.W
				switch special {
				case "-Inf":
					fill(x[hw:2*hw], math.Inf(-1))
					x[3*hw-1] = math.Inf(-1)
				case "NaN":
					x[hw+hw/2] = math.NaN()
				}
				dy := round32(randSlice(rng, g.outLen()))
				dx0 := round32(randSlice(rng, g.inLen()))
				want := make([]float64, g.outLen())
				maxPoolRef(g, x, want)
				wdx := clone(dx0)
				maxPoolBackwardRef(g, x, dy, wdx)

				y := make([]float32, g.outLen())
				MaxPool(g, to32(x), y)
				for i, v := range y {
					if w := want[i]; v != float32(w) && !(math.IsNaN(w) && v != v) {
						t.Fatalf("y[%d] = %g, want %g", i, v, w)
					}
				}
				for _, acc := range []bool{true, false} {
					dx := to32(dx0)
					if !acc {
						dx = to32(randSlice(rng, len(dx0)))
					}
					MaxPoolBackward(g, to32(x), y, to32(dy), dx, acc)
					w := wdx
					if !acc {
						w = make([]float64, len(dx0))
						maxPoolBackwardRef(g, x, dy, w)
					}
					check(t, fmt.Sprintf("dx acc=%v", acc), to64(dx), w, tol32)
				}
			})
		}
	}
}

// TestDots holds dots (up to 8 dot products sharing x; dot8AVX with AVX2) to
// the plain sums for every row count and lengths around multiples of 8,
// adding into out.
func TestDots(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 8))
	for _, n := range []int{0, 1, 7, 8, 9, 16, 23, 64, 100} {
		for rows := 1; rows <= 8; rows++ {
			x := round32(randSlice(rng, n))
			ys := make([][]float32, rows)
			out0 := round32(randSlice(rng, rows))
			want := clone(out0)
			for j := range ys {
				y := round32(randSlice(rng, n+j)) // longer rows are cut to n
				ys[j] = to32(y)
				want[j] += dot(x, y[:n])
			}
			out := to32(out0)
			dots(to32(x), ys, out)
			check(t, fmt.Sprintf("n=%d rows=%d", n, rows), to64(out), want, tol32)
		}
	}
}

// TestPad checks padFill and padReLU (padAVX with AVX2) against the
// definition, for plane sizes around the vector width and pads 0 to 4.
func TestPad(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	for _, hw := range [][2]int{{1, 1}, {3, 7}, {8, 8}, {5, 9}, {2, 17}, {32, 32}} {
		for p := 0; p <= 4; p++ {
			h, w := hw[0], hw[1]
			x := to32(randSlice(rng, h*w))
			x[0] = float32(math.NaN())
			pw := w + 2*p
			for _, relu := range []bool{false, true} {
				const v = -7.5
				want := make([]float32, (h+2*p)*pw)
				for i := range want {
					r, c := i/pw-p, i%pw-p
					want[i] = v
					if relu {
						want[i] = 0
					}
					if r >= 0 && r < h && c >= 0 && c < w {
						want[i] = x[r*w+c]
						if relu && !(want[i] <= 0) && want[i] != want[i] {
							continue // NaN stays NaN
						}
						if relu {
							want[i] = max(want[i], 0)
						}
					}
				}
				got := to32(randSlice(rng, len(want)))
				if relu {
					padReLU(x, h, w, p, got)
				} else {
					padFill(x, h, w, p, got, v)
				}
				for i := range want {
					if got[i] != want[i] && !(got[i] != got[i] && want[i] != want[i]) {
						t.Fatalf("%dx%d p=%d relu=%v: [%d] = %g, want %g", h, w, p, relu, i, got[i], want[i])
					}
				}
			}
		}
	}
}

// TestSoftmax holds Softmax to the closed form exp(x_i)/Σexp(x_j) on small
// values and checks that large ones do not overflow.
func TestSoftmax(t *testing.T) {
	x := []float64{0.5, -1, 2, 0}
	var sum float64
	for _, v := range x {
		sum += math.Exp(v)
	}
	y := make([]float64, len(x))
	Softmax(x, y)
	for i, v := range x {
		if want := math.Exp(v) / sum; math.Abs(y[i]-want) > 1e-15 {
			t.Errorf("y[%d] = %v, want %v", i, y[i], want)
		}
	}
	big := []float32{1000, 1000, -1000}
	Softmax(big, big) // in place
	if big[0] != 0.5 || big[1] != 0.5 || big[2] != 0 {
		t.Errorf("large inputs: %v, want [0.5 0.5 0]", big)
	}
}

// TestAddBitsOnEveryPath holds Add to the plain sum x[i]+y[i] (one rounding
// per element) bit for bit on every path the machine has, with zeros of
// both signs, infinities and NaNs among the inputs (any NaN matches a NaN),
// into a third slice and in place, on lengths split across goroutines and
// blocks.
func TestAddBitsOnEveryPath(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 21))
	for p := pathPlain; p <= bestPath; p++ {
		for _, n := range append(testLens, reluGrain+2048+5, 2*reluGrain+3) {
			x, y := specials32(rng, n, true), specials32(rng, n, true)
			want := make([]float32, n)
			for i := range want {
				want[i] = x[i] + y[i]
			}
			for _, into := range []string{"z", "x", "y"} {
				var got []float32
				onPath(p, func() {
					switch into {
					case "z":
						got = make([]float32, n)
						Add(x, y, got)
					case "x":
						got = append([]float32(nil), x...)
						Add(got, y, got)
					case "y":
						got = append([]float32(nil), y...)
						Add(x, got, got)
					}
				})
				for i := range want {
					if w, g := want[i], got[i]; math.Float32bits(w) != math.Float32bits(g) && !(w != w && g != g) {
						t.Fatalf("%s n=%d into %s: [%d] = %g + %g gave %g (%#08x), want %g (%#08x)",
							pathNames[p], n, into, i, x[i], y[i], g, math.Float32bits(g), w, math.Float32bits(w))
					}
				}
			}
		}
	}
}

// TestScratchClass checks the scratch pools' size classes: a class's
// buffers hold any request of that class, waste at most a quarter of a
// request past 64 words, and one class has one capacity.
func TestScratchClass(t *testing.T) {
	capOf := map[int]int{}
	prev := 0
	for w := 0; w <= 1<<16+5; w++ {
		c, capacity := scratchClass(w)
		if capacity < w || (w > 64 && 4*capacity > 5*w) {
			t.Fatalf("scratchClass(%d) = capacity %d", w, capacity)
		}
		if c < prev || c >= len(scratchPools) {
			t.Fatalf("scratchClass(%d) = class %d after %d (of %d)", w, c, prev, len(scratchPools))
		}
		if old, ok := capOf[c]; ok && old != capacity {
			t.Fatalf("class %d has capacities %d and %d", c, old, capacity)
		}
		capOf[c], prev = capacity, c
	}
	if c, capacity := scratchClass(1 << 40); c >= len(scratchPools) || capacity < 1<<40 {
		t.Fatalf("scratchClass(2^40) = %d, %d", c, capacity)
	}
	s, b := getScratch[float32](1000)
	if len(b) != 1000 || cap(s.b) != 512 {
		t.Fatalf("getScratch(1000 float32) = len %d, buffer of %d words", len(b), cap(s.b))
	}
	putScratch(s)
}

// TestFill checks that fill sets every element to v's exact bits (zeros of
// both signs, infinities, NaN) on lengths around its hand-set run and its
// doubling copies.
func TestFill(t *testing.T) {
	for _, v := range []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(-1)), float32(math.NaN()), 1.5} {
		for _, n := range []int{0, 1, 63, 64, 65, 127, 128, 129, 300, 5000} {
			x := make([]float32, n+1)
			for i := range x {
				x[i] = 7
			}
			fill(x[:n], v)
			for i := range n {
				if math.Float32bits(x[i]) != math.Float32bits(v) {
					t.Fatalf("fill(%d, %g): x[%d] = %g", n, v, i, x[i])
				}
			}
			if x[n] != 7 {
				t.Fatalf("fill(%d, %g) wrote past the end", n, v)
			}
		}
	}
}

// TestScaleRowsBitsOnEveryPath holds ScaleRows to its definition bit for
// bit on every path (y = s·x one rounding; with acc y + s·x, the product
// rounded first, which a fused multiply-add would not), with zeros of
// both signs, infinities and NaNs (any NaN matches a NaN), on rows around
// the vector widths and enough rows to split across goroutines.
func TestScaleRowsBitsOnEveryPath(t *testing.T) {
	rng := rand.New(rand.NewPCG(22, 22))
	for p := pathPlain; p <= bestPath; p++ {
		for _, per := range []int{1, 7, 16, 17, 33, 100, 5000} {
			const rows = 31
			x, y0 := specials32(rng, rows*per, true), specials32(rng, rows*per, true)
			s := []float32{0, 1.25, -0.5, 1 / float32(0.7)}
			sc := make([]float32, rows)
			for i := range sc {
				sc[i] = s[i%len(s)]
			}
			for _, acc := range []bool{false, true} {
				want := append([]float32(nil), y0...)
				for i := range want {
					pr := float32(sc[i/per] * x[i])
					if acc {
						want[i] += pr
					} else {
						want[i] = pr
					}
				}
				got := append([]float32(nil), y0...)
				onPath(p, func() { ScaleRows(sc, x, got, acc) })
				for i := range want {
					if w, g := want[i], got[i]; math.Float32bits(w) != math.Float32bits(g) && !(w != w && g != g) {
						t.Fatalf("%s per=%d acc=%v: [%d] = %g, want %g (x %g, s %g)", pathNames[p], per, acc, i, g, w, x[i], sc[i/per])
					}
				}
			}
		}
	}
}

// TestBatchNormAffineSameBits checks that BatchNormAffine recomputes from
// x̂ exactly the output BatchNormTrain wrote (the product and the sum
// rounded separately), on every path the machine has, on plane sizes
// around the vector widths.
func TestBatchNormAffineSameBits(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 21))
	for _, c := range []struct{ n, ch, p int }{{2, 3, 7}, {3, 4, 49}, {4, 2, 16}, {2, 3, 33}, {1, 5, 1}} {
		x := specials32(rng, c.n*c.ch*c.p, false)
		gamma, beta := specials32(rng, c.ch, false), specials32(rng, c.ch, false)
		y, xh := make([]float32, len(x)), make([]float32, len(x))
		m, v, is := make([]float32, c.ch), make([]float32, c.ch), make([]float32, c.ch)
		BatchNormTrain(c.n, c.ch, c.p, 1e-5, x, gamma, beta, y, xh, m, v, is)
		for p := pathPlain; p <= bestPath; p++ {
			y2 := make([]float32, len(x))
			onPath(p, func() { BatchNormAffine(c.n, c.ch, c.p, xh, gamma, beta, y2) })
			for i := range y {
				if math.Float32bits(y[i]) != math.Float32bits(y2[i]) {
					t.Fatalf("%v on %s: y[%d] = %v, recomputed %v", c, pathNames[p], i, y[i], y2[i])
				}
			}
		}
	}
}

// TestScratchPool checks the scratch free lists: a released buffer is the
// next one a request of its class gets, one in use is not handed out
// twice, and a class that no request used for two collections is emptied.
func TestScratchPool(t *testing.T) {
	const n = 3 << 20 // a class nothing else in the tests uses
	s1, b1 := getScratch[float32](n)
	s2, b2 := getScratch[float32](n)
	if &b1[0] == &b2[0] {
		t.Fatal("two buffers in use at once are the same")
	}
	putScratch(s1)
	s3, b3 := getScratch[float32](n)
	if &b3[0] != &b1[0] {
		t.Fatal("a released buffer was not reused")
	}
	putScratch(s3)
	putScratch(s2)
	class, _ := scratchClass((n*4 + 7) / 8)
	l := &scratchPools[class]
	free := func() int {
		l.mu.Lock()
		defer l.mu.Unlock()
		return len(l.free)
	}
	if got := free(); got != 2 {
		t.Fatalf("%d free buffers in the class, want 2", got)
	}
	// Two trims after the last request: the first clears "used", the
	// second drops the buffers. Collections run them (a finalizer).
	deadline := time.Now().Add(10 * time.Second)
	for start := scratchTrims.Load(); scratchTrims.Load() < start+3; {
		if time.Now().After(deadline) {
			t.Fatalf("scratchTrim ran %d times in 10 s of collections, want 3", scratchTrims.Load()-start)
		}
		runtime.GC()
		time.Sleep(time.Millisecond)
	}
	if got := free(); got != 0 {
		t.Fatalf("%d free buffers left after two collections unused", got)
	}
}

// TestReduceBatchWaves checks that the batch reductions give the same bits
// whatever their wave size (the chunks whose partials are held at once).
func TestReduceBatchWaves(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 23))
	g := Geom{N: 13, C: 3, H: 6, W: 5, K: 3, Stride: 1, Pad: 1, Dil: 1}
	const cout = 4
	x, w := specials32(rng, g.inLen(), false), specials32(rng, cout*g.C*g.K*g.K, false)
	dy := specials32(rng, g.N*cout*g.OutH()*g.OutW(), false)
	run := func() []float32 {
		dw := make([]float32, len(w))
		ConvBackward(g, cout, x, w, dy, nil, dw, false)
		return dw
	}
	want := run()
	defer func(old int) { reduceWave = old }(reduceWave)
	for _, wave := range []int{1, len(w), 2*len(w) + 1, 3 * len(w)} {
		reduceWave = wave
		for i, v := range run() {
			if math.Float32bits(v) != math.Float32bits(want[i]) {
				t.Fatalf("reduceWave %d: dw[%d] = %v, in one wave %v", wave, i, v, want[i])
			}
		}
	}
}
