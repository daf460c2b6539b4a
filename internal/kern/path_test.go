package kern

import "testing"

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
