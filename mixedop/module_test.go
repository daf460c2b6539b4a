package mixedop

import (
	"fmt"
	"math"
	"testing"

	"github.com/darts-go/darts/internal/rng"
)

// The tests of the module files (relu_test.go, dwconv_test.go, ...) hold
// each module's backward to central finite differences of its forward: the
// independent oracle of a hand-written gradient. checkModule does the work.

// randomize fills v with N(0, 1) draws.
func randomize(r *rng.Rand, v []float64) {
	for i := range v {
		v[i] = r.NormFloat64()
	}
}

// lossOf is L = Σ y ⊙ u for the module's output on x.
func lossOf(m Module[float64], x []float64, in Shape, u []float64) float64 {
	y := m.Forward(x, in)
	var l float64
	for i, v := range y {
		l += v * u[i]
	}
	return l
}

// checkModule runs m on a random input of shape in and compares dL/dx and
// every parameter gradient of L = Σ y ⊙ u (random u) from Backward with
// central differences (step 1e-5, tolerance tol relative to the largest
// gradient). It also checks the internal backward's contract: with a scale
// s, it must give s times the gradients, and with acc = false it must
// overwrite a dx full of garbage. Parameters get random values first.
func checkModule(t *testing.T, name string, m Module[float64], in Shape, tol float64) {
	t.Helper()
	r := rng.New(uint64(len(name)) * 7919)
	for _, p := range m.Params() {
		randomize(r, p.Value)
	}
	x := make([]float64, in.Size())
	randomize(r, x)
	out, err := m.OutShape(in)
	if err != nil {
		t.Fatalf("%s: OutShape(%v): %v", name, in, err)
	}
	u := make([]float64, out.Size())
	randomize(r, u)

	lossOf(m, x, in, u)
	for _, p := range m.Params() {
		clear(p.Grad)
	}
	dx := make([]float64, len(x))
	m.Backward(u, dx)
	grads := make([][]float64, len(m.Params()))
	for i, p := range m.Params() {
		grads[i] = append([]float64(nil), p.Grad...)
	}

	const h = 1e-5
	numeric := func(v []float64, i int) float64 {
		old := v[i]
		v[i] = old + h
		lp := lossOf(m, x, in, u)
		v[i] = old - h
		lm := lossOf(m, x, in, u)
		v[i] = old
		return (lp - lm) / (2 * h)
	}
	compare := func(what string, got []float64, v []float64) {
		t.Helper()
		scale := 1e-8
		for _, g := range got {
			scale = math.Max(scale, math.Abs(g))
		}
		// Every element of small tensors, a spread sample of large ones.
		step := max(1, len(v)/64)
		for i := 0; i < len(v); i += step {
			want := numeric(v, i)
			if d := math.Abs(got[i] - want); d > tol*scale {
				t.Errorf("%s: d%s[%d] = %.10g, finite differences %.10g (|diff| %.3g > %.1g·%.3g)", name, what, i, got[i], want, d, tol, scale)
				return
			}
		}
	}
	compare("x", dx, x)
	for i, p := range m.Params() {
		compare(p.Name, grads[i], p.Value)
	}

	// The scaled, overwriting backward that chained modules use.
	if b, ok := m.(backwarder[float64]); ok {
		lossOf(m, x, in, u)
		for _, p := range m.Params() {
			clear(p.Grad)
		}
		dx2 := make([]float64, len(x))
		for i := range dx2 {
			dx2[i] = math.NaN()
		}
		const s = -2.5
		b.backward(u, s, dx2, false)
		for i := range dx {
			if d := math.Abs(dx2[i] - s*dx[i]); d > 1e-9*(1+math.Abs(dx[i])) || math.IsNaN(dx2[i]) {
				t.Errorf("%s: backward(s=%g, acc=false) dx[%d] = %g, want %g", name, s, i, dx2[i], s*dx[i])
				break
			}
		}
		for k, p := range m.Params() {
			for i := range p.Grad {
				if d := math.Abs(p.Grad[i] - s*grads[k][i]); d > 1e-9*(1+math.Abs(grads[k][i])) {
					t.Errorf("%s: backward(s=%g) d%s[%d] = %g, want %g", name, s, p.Name, i, p.Grad[i], s*grads[k][i])
					break
				}
			}
		}
	}
}

// shapes used by the module tests: odd and even planes, one example and
// several.
var testShapes = []Shape{{N: 2, C: 3, H: 6, W: 6}, {N: 1, C: 2, H: 5, W: 7}}

func forEachShape(t *testing.T, name string, even bool, build func(in Shape) Module[float64], tol float64) {
	t.Helper()
	for _, in := range testShapes {
		if even && (in.H%2 != 0 || in.W%2 != 0) {
			continue
		}
		checkModule(t, fmt.Sprintf("%s %v", name, in), build(in), in, tol)
	}
}
