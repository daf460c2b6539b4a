package mixedop_test

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/darts-go/darts/internal/rng"
	"github.com/darts-go/darts/mixedop"
	"gorgonia.org/tensor"
)

// runMixed runs one forward and backward pass of a fresh mixed edge over
// the DARTS ops (parameters and input drawn from seed 7, the same for
// every call) at weights w with the given Skip, and returns the output,
// dL/dx, dL/dw, every parameter's gradient and the BatchNorm running
// statistics after the pass, for L = Σ y ⊙ u.
func runMixed(t *testing.T, w []float64, skip mixedop.Skip, stride int) (y, dx, dw []float64, sumU float64, grads, state map[string][]float64) {
	t.Helper()
	r := rng.New(7)
	m, err := mixedop.NewMixed[float64](&mixedop.Ctx{Training: true, Rand: r}, "e", skipOps, 0, mixedop.Args{C: 4, Stride: stride, PoolBN: true})
	if err != nil {
		t.Fatal(err)
	}
	m.Skip = skip
	xs := tensor.Shape{2, 4, 6, 6}
	x := make([]float64, xs.TotalSize())
	for i := range x {
		x[i] = r.NormFloat64()
	}
	out, err := m.Forward([][]float64{x, w}, []tensor.Shape{xs, {len(w)}})
	if err != nil {
		t.Fatal(err)
	}
	y = slices.Clone(out)
	u := make([]float64, len(y))
	for i := range u {
		u[i] = r.NormFloat64()
		sumU += u[i]
	}
	dx, dw = make([]float64, len(x)), make([]float64, len(w))
	grads, state = map[string][]float64{}, map[string][]float64{}
	for _, p := range m.Params() {
		clear(p.Grad)
	}
	if err := m.Backward(u, [][]float64{dx, dw}); err != nil {
		t.Fatal(err)
	}
	for _, p := range m.Params() {
		grads[p.Name] = slices.Clone(p.Grad)
	}
	for _, p := range m.State() {
		state[p.Name] = slices.Clone(p.Value)
	}
	return y, dx, dw, sumU, grads, state
}

var skipOps = []string{"none", "max_pool_3x3", "avg_pool_3x3", "skip_connect", "sep_conv_3x3", "sep_conv_5x5", "dil_conv_3x3", "dil_conv_5x5"}

// opOf is the column of the op a parameter "e.<op>.<role>" belongs to.
func opOf(t *testing.T, name string) int {
	parts := strings.SplitN(name, ".", 3)
	k := slices.Index(skipOps, parts[1])
	if k < 0 {
		t.Fatalf("parameter %s of no op", name)
	}
	return k
}

func maxDiff(a, b []float64) float64 {
	var d float64
	for i := range a {
		d = math.Max(d, math.Abs(a[i]-b[i]))
	}
	return d
}

// TestMixedSkip: at one-hot or sparse weights an edge that skips the
// zero-weight ops gives the output, input gradient and parameter gradients
// of the edge that runs them all (the oracle: RunAll multiplies them by 0),
// leaves the skipped ops' BatchNorm statistics untouched (they did not
// run), and gives the zero weights no gradient (SkipZero) or Σ dy
// (SkipZeroScalar) where RunAll gives Σ dy ⊙ op_k(x).
func TestMixedSkip(t *testing.T) {
	for _, c := range []struct {
		name   string
		w      []float64
		stride int
	}{
		{"sep_conv_3x3 selected", []float64{0, 0, 0, 0, 1, 0, 0, 0}, 1},
		{"skip_connect selected", []float64{0, 0, 0, 1, 0, 0, 0, 0}, 1},
		{"none selected", []float64{1, 0, 0, 0, 0, 0, 0, 0}, 1},
		{"max_pool selected, stride 2", []float64{0, 1, 0, 0, 0, 0, 0, 0}, 2},
		{"skip_connect (factorized reduce) selected, stride 2", []float64{0, 0, 0, 1, 0, 0, 0, 0}, 2},
		{"three ops", []float64{0, 0.2, 0, 0.5, 0, 0, 0.3, 0}, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			y0, dx0, dw0, _, g0, st0 := runMixed(t, c.w, mixedop.RunAll, c.stride)
			_, _, _, _, _, fresh := runMixed(t, make([]float64, len(c.w)), mixedop.SkipZero, c.stride) // runs nothing
			for _, skip := range []mixedop.Skip{mixedop.SkipZero, mixedop.SkipZeroScalar} {
				y, dx, dw, sumU, g, st := runMixed(t, c.w, skip, c.stride)
				if d := maxDiff(y, y0); d > 1e-12 {
					t.Errorf("skip %d: output differs from RunAll's by %g", skip, d)
				}
				if d := maxDiff(dx, dx0); d > 1e-12 {
					t.Errorf("skip %d: dL/dx differs from RunAll's by %g", skip, d)
				}
				for name, want := range g0 {
					if d := maxDiff(g[name], want); d > 1e-12 {
						t.Errorf("skip %d: gradient of %s differs from RunAll's by %g", skip, name, d)
					}
				}
				for k, wk := range c.w {
					want := dw0[k]
					switch {
					case wk != 0:
					case skip == mixedop.SkipZero:
						want = 0
					default:
						want = sumU
					}
					if math.Abs(dw[k]-want) > 1e-9 {
						t.Errorf("skip %d: dL/dw[%d] = %g, want %g (RunAll: %g)", skip, k, dw[k], want, dw0[k])
					}
				}
				for name, v := range st {
					ref := fresh[name] // a skipped op did not run
					if c.w[opOf(t, name)] != 0 {
						ref = st0[name]
					}
					if d := maxDiff(v, ref); d > 1e-12 {
						t.Errorf("skip %d: running statistic %s off by %g", skip, name, d)
					}
				}
			}
		})
	}
}
