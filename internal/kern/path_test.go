package kern

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// onPath runs f with the float32 kernels on path p, then restores the path.
func onPath(p int, f func()) {
	old := curPath()
	setPath(p)
	defer setPath(old)
	f()
}

func TestChoosePath(t *testing.T) {
	for _, c := range []struct {
		env        string
		best, want int
	}{
		{"", pathAVX512, pathAVX512},
		{"plain", pathAVX512, pathPlain},
		{"avx2", pathAVX512, pathAVX2},
		{"avx512", pathAVX512, pathAVX512},
		{"avx512", pathAVX2, pathAVX2}, // the CPU lacks it
		{"avx512", pathPlain, pathPlain},
		{"avx2", pathPlain, pathPlain},
		{"AVX2", pathAVX512, pathAVX512}, // unknown: the widest
		{"sse", pathAVX2, pathAVX2},
	} {
		if got := choosePath(c.env, c.best); got != c.want {
			t.Errorf("choosePath(%q, %s) = %s, want %s", c.env, pathNames[c.best], pathNames[got], pathNames[c.want])
		}
	}
	for p := pathPlain; p <= bestPath; p++ {
		onPath(p, func() {
			if got := Path(); got != pathNames[p] {
				t.Errorf("on path %d: Path() = %q", p, got)
			}
		})
	}
}

// TestOtherPaths runs the reference tests again on every path the machine
// has other than the one the package runs on (the widest, unless
// DARTS_KERNELS says otherwise), so that the plain and AVX2 fallbacks are
// tested on AVX-512 machines too.
func TestOtherPaths(t *testing.T) {
	for p := pathPlain; p <= bestPath; p++ {
		if p == curPath() {
			continue
		}
		t.Run(pathNames[p], func(t *testing.T) {
			onPath(p, func() {
				t.Run("window", TestWindowKernelsMatchReference)
				t.Run("reluIn", TestDepthwiseReLUInMatchesReference)
				t.Run("pointwise", TestPointwiseMatchesReference)
				t.Run("batchnorm", TestBatchNormMatchesReference)
				t.Run("relu", TestReLU)
				t.Run("maxpoolTies", TestMaxPoolStackedTiesAndNaN)
				t.Run("weightedSum", TestWeightedSumAxpyDot)
				t.Run("primitives", TestVectorPrimitives)
				t.Run("dots", TestDots)
				t.Run("pad", TestPad)
				t.Run("deterministic", TestBackwardDeterministic)
			})
		})
	}
}

// sameBits runs f on the AVX2 and on the AVX-512 path and fails at the
// first output element whose bits differ. f must compute its outputs
// afresh from the same inputs on every call.
func sameBits(t *testing.T, name string, f func() [][]float32) {
	t.Helper()
	compareBits(t, name, f, false)
}

// sameBitsNaN is sameBits with any two NaNs taken as equal: where the AVX2
// path is a Go loop, which of two NaN operands an add passes on (and so the
// sign and payload of a NaN result) is the compiler's choice.
func sameBitsNaN(t *testing.T, name string, f func() [][]float32) {
	t.Helper()
	compareBits(t, name, f, true)
}

func compareBits(t *testing.T, name string, f func() [][]float32, anyNaN bool) {
	t.Helper()
	var want, got [][]float32
	onPath(pathAVX2, func() { want = f() })
	onPath(pathAVX512, func() { got = f() })
	for i := range want {
		for j := range want[i] {
			if anyNaN && got[i][j] != got[i][j] && want[i][j] != want[i][j] {
				continue
			}
			if a, b := math.Float32bits(got[i][j]), math.Float32bits(want[i][j]); a != b {
				t.Errorf("%s: output %d [%d]: avx512 %g (%#08x), avx2 %g (%#08x)", name, i, j, got[i][j], a, want[i][j], b)
				return
			}
		}
	}
}

func needAVX512(t *testing.T) {
	if bestPath < pathAVX512 {
		t.Skip("no AVX-512 on this machine")
	}
}

// specials32 returns n random float32 values in [-1, 1) with, if special,
// zeros of both signs, infinities and NaNs sprinkled in.
func specials32(rng *rand.Rand, n int, special bool) []float32 {
	x := to32(randSlice(rng, n))
	if !special {
		return x
	}
	vals := []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), 1e-40}
	for i := range x {
		if rng.IntN(5) == 0 {
			x[i] = vals[rng.IntN(len(vals))]
		}
	}
	return x
}

// testLens are lengths around the multiples of 8 and 16 of both paths'
// vector bodies and unrolled loops.
var testLens = []int{0, 1, 2, 7, 8, 9, 15, 16, 17, 23, 31, 32, 33, 47, 63, 64, 65, 100, 129, 1000}

// TestAVX512PrimitivesSameBits holds each AVX-512 element-wise primitive to
// its AVX2 counterpart bit for bit, on every length around the vector
// widths, with zeros of both signs, infinities and NaNs among the inputs.
func TestAVX512PrimitivesSameBits(t *testing.T) {
	needAVX512(t)
	rng := rand.New(rand.NewPCG(12, 12))
	for _, n := range testLens {
		for _, special := range []bool{false, true} {
			x, y, z := specials32(rng, n+8, special), specials32(rng, n+8, special), specials32(rng, n, special)
			name := fmt.Sprintf("n=%d special=%v", n, special)
			out := func() []float32 { return append([]float32(nil), z...) }
			sameBits(t, "axpy "+name, func() [][]float32 { o := out(); axpy(0.375, x[:n], o); return [][]float32{o} })
			sameBits(t, "scal "+name, func() [][]float32 { o := out(); scal(-1.25, x[:n], o); return [][]float32{o} })
			sameBits(t, "relu "+name, func() [][]float32 { o := out(); reluInto(x[:n], o); return [][]float32{o} })
			for _, acc := range []bool{false, true} {
				sameBits(t, fmt.Sprintf("mask acc=%v %s", acc, name), func() [][]float32 {
					o := out()
					maskOut(x[:n], y[:n], o, acc)
					return [][]float32{o}
				})
			}
			sameBits(t, "bnNorm "+name, func() [][]float32 { o := out(); normInto(x[:n], o, 0.125, 3.5); return [][]float32{o} })
			sameBits(t, "bnDx "+name, func() [][]float32 {
				o1, o2 := out(), out()
				bnDxInto(x[:n], y[:n], o1, 0.75, 0.125, -0.5, false)
				bnDxInto(x[:n], y[:n], o2, 0.75, 0.125, -0.5, true)
				return [][]float32{o1, o2}
			})
			for _, k := range []int{3, 5} {
				for _, d := range []int{1, 2} {
					for _, acc := range []bool{false, true} {
						w := specials32(rng, k, special)
						s := specials32(rng, n+(k-1)*d, special)
						sameBits(t, fmt.Sprintf("corrRow k=%d d=%d acc=%v %s", k, d, acc, name), func() [][]float32 {
							o := out()
							corrRow(w, d, s, o, acc)
							return [][]float32{o}
						})
					}
				}
			}
			sameBits(t, "hasNaN "+name, func() [][]float32 {
				var r []float32
				for i := 0; i <= n; i++ {
					if hasNaN(x[i:n]) {
						r = append(r, 1)
					} else {
						r = append(r, 0)
					}
				}
				return [][]float32{r}
			})
		}
	}
}

// TestAVX512PadSameBits holds pad512 to padAVX on planes around the vector
// widths, pads 0 to 4, with a fill value and through ReLU.
func TestAVX512PadSameBits(t *testing.T) {
	needAVX512(t)
	rng := rand.New(rand.NewPCG(13, 13))
	for _, hw := range [][2]int{{1, 1}, {3, 7}, {8, 8}, {5, 9}, {2, 17}, {7, 16}, {4, 31}, {28, 28}, {3, 33}} {
		for _, p := range []int{0, 1, 2, 3, 4, 8, 9} { // 2p > 16: pad512's general path
			h, w := hw[0], hw[1]
			x := specials32(rng, h*w, true)
			pp := (h + 2*p) * (w + 2*p)
			sameBits(t, fmt.Sprintf("pad %dx%d p=%d", h, w, p), func() [][]float32 {
				a, b := make([]float32, pp), make([]float32, pp)
				padFill(x, h, w, p, a, -7.5)
				padReLU(x, h, w, p, b)
				return [][]float32{a, b}
			})
		}
	}
}

// TestAVX512GemmSameBits holds gemmNN (gemm4x512, its masked tail
// standing in for the AVX2 path's Go loop over the columns past a multiple
// of 8) and gemmNT (dotTile512 against dots) to the AVX2 path bit for bit,
// for shapes around every tile edge.
func TestAVX512GemmSameBits(t *testing.T) {
	needAVX512(t)
	rng := rand.New(rand.NewPCG(14, 14))
	for _, m := range []int{1, 3, 4, 5, 8, 9} {
		for _, n := range []int{1, 7, 8, 9, 15, 16, 17, 24, 31, 32, 33, 40, 47, 48, 49, 57, 196} {
			for _, k := range []int{1, 2, 5, 16} {
				for _, acc := range []bool{false, true} {
					a, b, c0 := specials32(rng, m*k, false), specials32(rng, k*n, false), specials32(rng, m*n, false)
					sameBits(t, fmt.Sprintf("gemmNN %dx%dx%d acc=%v", m, n, k, acc), func() [][]float32 {
						c := append([]float32(nil), c0...)
						gemmNN(m, n, k, a, b, c, acc)
						return [][]float32{c}
					})
				}
			}
		}
	}
	// gemmNT: the tiles of dotTile512 against dots (dot8AVX and dotT), with
	// columns past a multiple of 8, rows of a past a pair, rows of b past a
	// block of 8 (1-2 of them take dotT, 3-7 dot8AVX), and NaNs and
	// infinities.
	for _, m := range []int{1, 2, 3, 4, 7} {
		for _, n := range []int{1, 2, 3, 7, 8, 9, 10, 11, 16, 17, 24, 30, 64} {
			for _, k := range []int{1, 7, 8, 9, 15, 16, 17, 23, 49, 64, 196} {
				for _, special := range []bool{false, true} {
					a, b, c0 := specials32(rng, m*k, special), specials32(rng, n*k, special), specials32(rng, m*n, false)
					sameBitsNaN(t, fmt.Sprintf("gemmNT %dx%dx%d special=%v", m, n, k, special), func() [][]float32 {
						c := append([]float32(nil), c0...)
						gemmNT(m, n, k, a, b, c)
						return [][]float32{c}
					})
				}
			}
		}
	}
}

// bigGeoms are windows on the plane sizes of a search (28×28 to 7×7) and
// odd ones, for every depthwise and pooling op of DARTS.
func bigGeoms() []Geom {
	var gs []Geom
	for _, hw := range [][2]int{{28, 28}, {14, 14}, {7, 7}, {9, 13}, {16, 16}, {5, 32}} {
		for _, kd := range [][3]int{{3, 1, 1}, {5, 2, 1}, {3, 2, 2}, {5, 4, 2}, {1, 0, 1}} {
			for _, s := range []int{1, 2} {
				gs = append(gs, Geom{N: 3, C: 2, H: hw[0], W: hw[1], K: kd[0], Pad: kd[1], Dil: kd[2], Stride: s})
			}
		}
	}
	return gs
}

// TestAVX512KernelsSameBits holds every float32 kernel on the AVX-512 path
// to the AVX2 path bit for bit, forward and backward, on small and
// search-sized planes.
func TestAVX512KernelsSameBits(t *testing.T) {
	needAVX512(t)
	rng := rand.New(rand.NewPCG(15, 15))
	for _, g := range append(geoms(false), bigGeoms()...) {
		x, w := specials32(rng, g.inLen(), false), specials32(rng, g.C*g.K*g.K, false)
		dy, dx0, dw0 := specials32(rng, g.outLen(), false), specials32(rng, g.inLen(), false), specials32(rng, len(w), false)
		for _, relu := range []bool{false, true} {
			for _, acc := range []bool{false, true} {
				sameBits(t, fmt.Sprintf("DepthwiseConv %v relu=%v acc=%v", g, relu, acc), func() [][]float32 {
					y := make([]float32, g.outLen())
					DepthwiseConv(g, relu, x, w, y)
					dx, dw := append([]float32(nil), dx0...), append([]float32(nil), dw0...)
					DepthwiseConvBackward(g, relu, x, w, dy, dx, dw, acc)
					return [][]float32{y, dx, dw}
				})
			}
		}
		// Zeros of both signs, infinities and NaN; windows of +0 with
		// negative weights sum to -0 if the first product is the start of
		// the sum and to +0 if it is added to 0.
		xs, ws := specials32(rng, g.inLen(), true), make([]float32, len(w))
		for i := range xs[:len(xs)/2] {
			xs[i] = 0
		}
		for i, v := range w {
			ws[i] = -float32(math.Abs(float64(v))) - 0.125
		}
		sameBitsNaN(t, fmt.Sprintf("DepthwiseConv %v special", g), func() [][]float32 {
			y := make([]float32, g.outLen())
			DepthwiseConv(g, false, xs, ws, y)
			return [][]float32{y}
		})
		const cout = 5
		wc, dyc := specials32(rng, cout*g.C*g.K*g.K, false), specials32(rng, g.N*cout*g.OutH()*g.OutW(), false)
		sameBits(t, fmt.Sprintf("Conv %v", g), func() [][]float32 {
			y := make([]float32, len(dyc))
			Conv(g, cout, x, wc, y)
			dx, dw := append([]float32(nil), dx0...), make([]float32, len(wc))
			ConvBackward(g, cout, x, wc, dyc, dx, dw, true)
			return [][]float32{y, dx, dw}
		})
		if 2*g.Pad > g.K || g.K == 1 && g.Dil == 2 {
			continue // not a PyTorch pooling window
		}
		sameBits(t, fmt.Sprintf("MaxPool %v", g), func() [][]float32 {
			y := make([]float32, g.outLen())
			MaxPool(g, x, y)
			dx := append([]float32(nil), dx0...)
			MaxPoolBackward(g, x, y, dy, dx, true)
			return [][]float32{y, dx}
		})
		if g.Dil == 1 {
			sameBits(t, fmt.Sprintf("AvgPool %v", g), func() [][]float32 {
				y := make([]float32, g.outLen())
				AvgPool(g, x, y)
				dx := append([]float32(nil), dx0...)
				AvgPoolBackwardTo(g, dy, dx, true)
				return [][]float32{y, dx}
			})
		}
	}
	for _, c := range []struct{ n, cin, cout, p int }{{2, 3, 5, 7}, {3, 8, 8, 49}, {2, 16, 16, 196}, {1, 8, 12, 784}, {2, 5, 9, 33}} {
		x, w := specials32(rng, c.n*c.cin*c.p, false), specials32(rng, c.cout*c.cin, false)
		dy, dx0 := specials32(rng, c.n*c.cout*c.p, false), specials32(rng, c.n*c.cin*c.p, false)
		for _, relu := range []bool{false, true} {
			for _, acc := range []bool{false, true} {
				sameBits(t, fmt.Sprintf("Pointwise %v relu=%v acc=%v", c, relu, acc), func() [][]float32 {
					y := make([]float32, len(dy))
					Pointwise(c.n, c.cin, c.cout, c.p, relu, x, w, y)
					dx, dw := append([]float32(nil), dx0...), make([]float32, len(w))
					PointwiseBackward(c.n, c.cin, c.cout, c.p, relu, x, w, dy, dx, dw, acc)
					return [][]float32{y, dx, dw}
				})
			}
		}
	}
	for _, c := range []struct{ n, ch, p int }{{2, 3, 7}, {3, 4, 49}, {4, 2, 196}, {2, 3, 784}, {1, 2, 33},
		{4, 3, 8}, {5, 2, 9}, {8, 1, 15}, {9, 2, 16}, {32, 2, 49}, {6, 1, 784}, {7, 2, 4}} {
		x, dy := specials32(rng, c.n*c.ch*c.p, false), specials32(rng, c.n*c.ch*c.p, false)
		for i := range x {
			x[i] = 3*x[i] + 0.5
		}
		gamma, beta := specials32(rng, c.ch, false), specials32(rng, c.ch, false)
		for _, affine := range []bool{false, true} {
			gm, bt := gamma, beta
			if !affine {
				gm, bt = nil, nil
			}
			sameBits(t, fmt.Sprintf("BatchNorm %v affine=%v", c, affine), func() [][]float32 {
				y, xh := make([]float32, len(x)), make([]float32, len(x))
				m, v, is := make([]float32, c.ch), make([]float32, c.ch), make([]float32, c.ch)
				BatchNormTrain(c.n, c.ch, c.p, 1e-5, x, gm, bt, y, xh, m, v, is)
				dx, dg, db := make([]float32, len(x)), make([]float32, c.ch), make([]float32, c.ch)
				BatchNormBackward(c.n, c.ch, c.p, xh, is, gm, dy, 0.625, dx, dg, db, false)
				return [][]float32{y, xh, m, v, is, dx, dg, db}
			})
		}
	}
	for _, n := range []int{1, 17, 100, 3*reluGrain + 5} {
		x, y0 := specials32(rng, n, true), specials32(rng, n, true)
		xs := [][]float32{specials32(rng, n, false), specials32(rng, n, false), specials32(rng, n, false)}
		sameBits(t, fmt.Sprintf("element-wise n=%d", n), func() [][]float32 {
			y, dx, ax, ws := make([]float32, n), append([]float32(nil), y0...), append([]float32(nil), y0...), make([]float32, n)
			ReLU(x, y)
			ReLUBackwardTo(x, y0, dx, true)
			Axpy(-0.75, x, ax, true)
			WeightedSum([]float32{0.25, -1.5, 3}, xs, ws, false)
			return [][]float32{y, dx, ax, ws, bits64(Dot(xs[0], xs[1]))}
		})
	}
}

// bits64 packs the bits of float64 values into float32 slots, for sameBits.
func bits64(v ...float64) []float32 {
	var r []float32
	for _, f := range v {
		b := math.Float64bits(f)
		r = append(r, math.Float32frombits(uint32(b)), math.Float32frombits(uint32(b>>32)))
	}
	return r
}

// TestAVX512PlaneSumsSameBits holds the float64 sums over planes behind
// BatchNorm (sumDot64x4 and sqDev64x4, 4 planes at a time) to the AVX2
// path's plane by plane sums, bit for bit in float64, for plane counts
// around multiples of 4 and plane sizes around multiples of 8.
func TestAVX512PlaneSumsSameBits(t *testing.T) {
	needAVX512(t)
	rng := rand.New(rand.NewPCG(16, 16))
	for _, n := range []int{1, 3, 4, 5, 8, 9, 32} {
		for _, p := range []int{1, 7, 8, 9, 15, 16, 17, 49, 196} {
			for _, gap := range []int{0, 3} {
				stride := p + gap
				x, y := specials32(rng, n*stride, false), specials32(rng, n*stride, false)
				for i := range x {
					x[i] = 3*x[i] + 0.5
				}
				sameBits(t, fmt.Sprintf("plane sums n=%d p=%d stride=%d", n, p, stride), func() [][]float32 {
					s0, _ := sumDot64Planes(x, nil, n, p, stride)
					s1, s2 := sumDot64Planes(x, y, n, p, stride)
					s3 := sqDev64Planes(x, n, p, stride, 1.0/3) // x-mu inexact
					return [][]float32{bits64(s0, s1, s2, s3)}
				})
			}
		}
	}
}

// TestAffineIntoSameBitsOnEveryPath holds the vector kernels of BatchNorm's
// affine output (affineInto, used by BatchNormTrain with γ and β) to the
// plain path's Go loop, which is the loop BatchNormTrain ran on every path
// before: the same bits on every length around the vector widths, with
// zeros of both signs, infinities, NaNs and subnormals among the inputs
// (any NaN taken as equal to any NaN: which operand's NaN a Go add passes
// on is the compiler's choice), for γ = 1, β = 0 too (where -0 + 0 gives
// +0 on both).
func TestAffineIntoSameBitsOnEveryPath(t *testing.T) {
	if bestPath < pathAVX2 {
		t.Skip("no vector path on this machine")
	}
	rng := rand.New(rand.NewPCG(20, 20))
	for _, n := range testLens {
		for _, special := range []bool{false, true} {
			x := specials32(rng, n, special)
			for _, s := range [][4]float32{{0.125, 3.5, -0.75, 0.3}, {-0.2, 0.9, 1, 0}, {0, 1e30, 1e10, -1e-3}} {
				run := func() [2][]float32 {
					xh, y := make([]float32, n), make([]float32, n)
					affineInto(x, xh, y, s[0], s[1], s[2], s[3])
					return [2][]float32{xh, y}
				}
				var want [2][]float32
				onPath(pathPlain, func() { want = run() })
				for p := pathAVX2; p <= bestPath; p++ {
					var got [2][]float32
					onPath(p, func() { got = run() })
					for k := range want {
						for i := range want[k] {
							g, w := got[k][i], want[k][i]
							if g != g && w != w {
								continue
							}
							if math.Float32bits(g) != math.Float32bits(w) {
								t.Fatalf("n=%d special=%v %v: %s output %d [%d] = %g (%#08x), plain loop %g (%#08x)",
									n, special, s, pathNames[p], k, i, g, math.Float32bits(g), w, math.Float32bits(w))
							}
						}
					}
				}
			}
		}
	}
}

// TestAVX512GradRowsSameBits holds rows512 (gradRows and pitchRows on the avx512 path) to
// gradOut row by row on the AVX2 path, bit for bit, NaN payloads included,
// for rows around the vector width, with and without the ReLU mask and
// accumulation.
func TestAVX512GradRowsSameBits(t *testing.T) {
	needAVX512(t)
	rng := rand.New(rand.NewPCG(15, 15))
	for _, w := range []int{1, 7, 8, 15, 16, 17, 28, 32, 33} {
		for _, rows := range []int{1, 3, 8} {
			spitch := w + 4
			x, src := specials32(rng, rows*w, true), specials32(rng, rows*spitch, true)
			d0 := specials32(rng, rows*w+5, true)
			for _, relu := range []bool{false, true} {
				for _, acc := range []bool{false, true} {
					sameBits(t, fmt.Sprintf("gradRows w=%d rows=%d relu=%v acc=%v", w, rows, relu, acc), func() [][]float32 {
						d := append([]float32(nil), d0...)
						gradRows(x, src, d, rows, w, spitch, relu, acc)
						return [][]float32{d}
					})
					// x and dst at a pitch of their own.
					dp := w + 3
					xp, dp0 := specials32(rng, rows*dp, true), specials32(rng, rows*dp+2, true)
					sameBits(t, fmt.Sprintf("pitchRows w=%d rows=%d relu=%v acc=%v", w, rows, relu, acc), func() [][]float32 {
						d := append([]float32(nil), dp0...)
						pitchRows(xp, src, d, rows, w, spitch, dp, relu, acc)
						return [][]float32{d}
					})
				}
			}
		}
	}
}

// TestAVX512SpreadRowsSameBits holds spread2x512 (spreadRows at stride 2 on
// the avx512 path) to spread row by row on the AVX2 path, over a zeroed
// stack, every element of it compared (nothing written outside the rows'
// targets but zeros between them).
func TestAVX512SpreadRowsSameBits(t *testing.T) {
	needAVX512(t)
	rng := rand.New(rand.NewPCG(16, 16))
	for _, w := range []int{1, 2, 7, 8, 9, 14, 16, 17, 28} {
		for _, rows := range []int{1, 2, 5} {
			src := specials32(rng, rows*w, true)
			dpitch := 2*(2*w+3) + 1
			sameBits(t, fmt.Sprintf("spreadRows w=%d rows=%d", w, rows), func() [][]float32 {
				d := make([]float32, rows*dpitch+7)
				spreadRows(d[3:], src, rows, w, dpitch, 2)
				return [][]float32{d}
			})
		}
	}
}

// TestDepthwiseFilterGradientSharedStack checks the filter gradient the
// stacked backward computes from dy's stack for dx (stride 1, "same"
// padding: DARTS's ops) against the one it computes from its own copy of
// dy (when dx is not wanted), bit for bit, on every path the machine has,
// with and without the ReLU read and accumulation into dw.
func TestDepthwiseFilterGradientSharedStack(t *testing.T) {
	rng := rand.New(rand.NewPCG(25, 25))
	for _, g := range []Geom{
		{N: 3, C: 2, H: 7, W: 7, K: 3, Stride: 1, Pad: 1, Dil: 1},
		{N: 2, C: 3, H: 8, W: 5, K: 5, Stride: 1, Pad: 2, Dil: 1},
		{N: 4, C: 2, H: 6, W: 9, K: 3, Stride: 1, Pad: 2, Dil: 2},
		{N: 2, C: 2, H: 7, W: 7, K: 5, Stride: 1, Pad: 4, Dil: 2},
		{N: 33, C: 1, H: 4, W: 4, K: 3, Stride: 1, Pad: 1, Dil: 1},
	} {
		x, w := specials32(rng, g.inLen(), false), specials32(rng, g.C*g.K*g.K, false)
		dy, dw0 := specials32(rng, g.outLen(), false), specials32(rng, len(w), false)
		for p := pathPlain; p <= bestPath; p++ {
			for _, relu := range []bool{false, true} {
				onPath(p, func() {
					shared, own := append([]float32(nil), dw0...), append([]float32(nil), dw0...)
					DepthwiseConvBackward(g, relu, x, w, dy, make([]float32, g.inLen()), shared, false)
					DepthwiseConvBackward(g, relu, x, w, dy, nil, own, false)
					for i := range own {
						if math.Float32bits(shared[i]) != math.Float32bits(own[i]) {
							t.Fatalf("%v on %s relu=%v: dw[%d] = %v with dx, %v without", g, pathNames[p], relu, i, shared[i], own[i])
						}
					}
				})
			}
		}
	}
}

// TestDotsToSameBits holds DotsTo (dots64x4 with AVX-512) to Dot, bit for
// bit, for lengths around the 8-element lanes and for 1 to 9 vectors
// (short last groups), with zeros of both signs, infinities and NaN.
func TestDotsToSameBits(t *testing.T) {
	rng := rand.New(rand.NewPCG(27, 27))
	for _, n := range []int{1, 7, 8, 9, 31, 64, 1001} {
		for m := 1; m <= 9; m++ {
			x := specials32(rng, n, m%3 == 0)
			ys := make([][]float32, m)
			for k := range ys {
				ys[k] = specials32(rng, n, m%3 == 0)
			}
			want := make([]float64, m)
			for k, y := range ys {
				want[k] = Dot(x, y)
			}
			got := make([]float64, m)
			DotsTo(x, ys, got)
			for k := range got {
				if math.Float64bits(got[k]) != math.Float64bits(want[k]) {
					t.Fatalf("n=%d m=%d: DotsTo[%d] = %v, Dot %v", n, m, k, got[k], want[k])
				}
			}
		}
	}
}
