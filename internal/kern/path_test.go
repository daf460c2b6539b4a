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
	var want, got [][]float32
	onPath(pathAVX2, func() { want = f() })
	onPath(pathAVX512, func() { got = f() })
	for i := range want {
		for j := range want[i] {
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
		for p := 0; p <= 4; p++ {
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
// of 8) to the AVX2 path bit for bit, for shapes around every tile edge.
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
}
