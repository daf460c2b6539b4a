package golden

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/darts-go/darts/mixedop"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Builder builds the computation of a case in g from its input nodes and
// returns the output node. The parameters it creates (through g) are loaded
// from the case by name afterwards.
type Builder[T mixedop.Float] func(g *mixedop.Graph[T], inputs []*G.Node) (*G.Node, error)

func convert[T mixedop.Float](v []float64) []T {
	out := make([]T, len(v))
	for i, x := range v {
		out[i] = T(x)
	}
	return out
}

// Tolerance is the golden tests' standard: max abs error 1e-6 in float64,
// 1e-3 relative to the tensor's largest magnitude in float32.
func Tolerance[T mixedop.Float](ref []float64) float64 {
	var z T
	if _, ok := any(z).(float64); ok {
		return 1e-6
	}
	var m float64
	for _, v := range ref {
		m = math.Max(m, math.Abs(v))
	}
	return 1e-3 * math.Max(m, 1e-3)
}

// Compare returns a description of the worst mismatch of got against want
// beyond Tolerance, or "" if they agree.
func Compare[T mixedop.Float](what string, got []T, want []float64) string {
	if len(got) != len(want) {
		return fmt.Sprintf("%s: %d values, want %d", what, len(got), len(want))
	}
	tol := Tolerance[T](want)
	worst, at := 0.0, -1
	for i := range want {
		d := math.Abs(float64(got[i]) - want[i])
		if math.IsNaN(d) || d > worst {
			worst, at = d, i
			if math.IsNaN(d) {
				break
			}
		}
	}
	if at >= 0 && !(worst <= tol) {
		return fmt.Sprintf("%s: max abs error %.3g at %d (got %.9g, want %.9g), tolerance %.3g", what, worst, at, float64(got[at]), want[at], tol)
	}
	return ""
}

// vanishes reports whether a reference tensor is zero up to the file's
// rounding.
func vanishes(ref []float64) bool {
	for _, v := range ref {
		if math.Abs(v) > 1e-9 {
			return false
		}
	}
	return true
}

// vanishingTolerance is the tolerance of a gradient that is zero by
// construction: Tolerance in float64, and in float32 1e-3 of the scale of
// the terms that cancel, taken as the largest input gradient of the case.
func vanishingTolerance[T mixedop.Float](c Case) float64 {
	var z T
	if _, ok := any(z).(float64); ok {
		return 1e-6
	}
	var m float64
	for _, g := range c.GradInputs {
		for _, v := range g.Data {
			m = math.Max(m, math.Abs(v))
		}
	}
	return 1e-3 * math.Max(m, 1e-3)
}

// CompareWithin is Compare with an explicit tolerance.
func CompareWithin[T mixedop.Float](what string, got []T, want []float64, tol float64) string {
	if len(got) != len(want) {
		return fmt.Sprintf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range want {
		if d := math.Abs(float64(got[i]) - want[i]); !(d <= tol) {
			return fmt.Sprintf("%s: abs error %.3g at %d (got %.9g, want %.9g), tolerance %.3g", what, d, i, float64(got[i]), want[i], tol)
		}
	}
	return ""
}

// Check builds case c with build in a fresh graph, loads its parameters,
// runs L = Σ output ⊙ upstream forward and backward, and reports every
// output or gradient that differs from the reference.
func Check[T mixedop.Float](t testing.TB, c Case, build Builder[T]) {
	t.Helper()
	g := mixedop.NewGraph[T]()
	dt := mixedop.Dtype[T]()
	var ins []*G.Node
	for i, in := range c.Inputs {
		v := tensor.New(tensor.WithBacking(convert[T](in.Data)), tensor.WithShape(in.Shape...))
		ins = append(ins, G.NewTensor(g.G, dt, len(in.Shape), G.WithShape(in.Shape...), G.WithName(fmt.Sprintf("input%d", i)), G.WithValue(v)))
	}
	out, err := build(g, ins)
	if err != nil {
		t.Fatalf("%s: build: %v", c.Name, err)
	}
	if got := []int(out.Shape()); fmt.Sprint(got) != fmt.Sprint(c.Output.Shape) {
		t.Fatalf("%s: output shape %v, want %v", c.Name, got, c.Output.Shape)
	}
	byName := map[string]*mixedop.Param[T]{}
	for _, p := range g.Params() {
		byName[p.Name] = p
	}
	var pnodes []*G.Node
	var pwant []Tensor
	for i, cp := range c.Params {
		p, ok := byName[cp.Name]
		if !ok {
			var have []string
			for n := range byName {
				have = append(have, n)
			}
			t.Fatalf("%s: golden parameter %q not in the graph (graph has %s)", c.Name, cp.Name, strings.Join(have, ", "))
		}
		if fmt.Sprint(p.Shape) != fmt.Sprint(cp.Shape) {
			t.Fatalf("%s: parameter %q has shape %v, golden %v", c.Name, cp.Name, p.Shape, cp.Shape)
		}
		copy(p.Value, convert[T](cp.Data))
		delete(byName, cp.Name)
		n, _ := g.Param(p)
		pnodes = append(pnodes, n)
		pwant = append(pwant, c.GradParams[i])
	}
	if len(byName) != 0 {
		for n := range byName {
			t.Errorf("%s: graph parameter %q has no golden value", c.Name, n)
		}
		t.FailNow()
	}
	up := G.NewConstant(tensor.New(tensor.WithBacking(convert[T](c.Upstream.Data)), tensor.WithShape(c.Upstream.Shape...)), G.WithName("upstream"))
	loss := G.Must(G.Sum(G.Must(G.HadamardProd(out, up))))
	wrt := append(append([]*G.Node(nil), ins...), pnodes...)
	grads, err := G.Grad(loss, wrt...)
	if err != nil {
		t.Fatalf("%s: grad: %v", c.Name, err)
	}
	m := G.NewTapeMachine(g.G)
	defer m.Close()
	// Run twice: blocks reuse their buffers across runs, and the second
	// run must not see anything left from the first.
	for run := 0; run < 2; run++ {
		m.Reset()
		if err := m.RunAll(); err != nil {
			t.Fatalf("%s: run %d: %v", c.Name, run+1, err)
		}
	}
	var fails []string
	add := func(s string) {
		if s != "" {
			fails = append(fails, s)
		}
	}
	add(Compare("output", out.Value().Data().([]T), c.Output.Data))
	for i := range ins {
		add(Compare(fmt.Sprintf("d/d input%d", i), grads[i].Value().Data().([]T), c.GradInputs[i].Data))
	}
	for i, pw := range pwant {
		got := grads[len(ins)+i].Value().Data().([]T)
		if vanishes(pw.Data) {
			// A gradient that is zero by construction (a bias before a
			// mean-subtracting BatchNorm) has no scale of its own: float32
			// leaves rounding of the size of the terms that cancel.
			add(CompareWithin("d/d "+pw.Name, got, pw.Data, vanishingTolerance[T](c)))
			continue
		}
		add(Compare("d/d "+pw.Name, got, pw.Data))
	}
	for _, f := range fails {
		t.Errorf("%s: %s", c.Name, f)
	}
}
