package mixedop

import (
	"math"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// mulBlock is y = x·s with s a one-element input or parameter: it records
// its backward calls and which input gradients were asked for.
type mulBlock struct {
	p        *Param[float64] // nil: s is the second input
	x, s     []float64
	out      []float64
	calls    int
	wantedDX []bool // per call: din[0] != nil
}

func (b *mulBlock) Name() string { return "mul" }
func (b *mulBlock) Params() []*Param[float64] {
	if b.p == nil {
		return nil
	}
	return []*Param[float64]{b.p}
}
func (b *mulBlock) OutShape(in []tensor.Shape) (tensor.Shape, error) { return in[0].Clone(), nil }
func (b *mulBlock) Forward(in [][]float64, _ []tensor.Shape) ([]float64, error) {
	b.x, b.s = in[0], nil
	if b.p != nil {
		b.s = b.p.Value
	} else {
		b.s = in[1]
	}
	b.out = grow(b.out, len(b.x))
	for i, v := range b.x {
		b.out[i] = v * b.s[0]
	}
	return b.out, nil
}
func (b *mulBlock) Backward(dy []float64, din [][]float64) error {
	b.calls++
	b.wantedDX = append(b.wantedDX, din[0] != nil)
	var ds float64
	for i, d := range dy {
		if din[0] != nil {
			din[0][i] += d * b.s[0]
		}
		ds += d * b.x[i]
	}
	switch {
	case b.p != nil && b.p.Grad != nil:
		b.p.Grad[0] += ds
	case b.p == nil && din[1] != nil:
		din[1][0] += ds
	}
	return nil
}

// machineGraph is L = Σ(a·α + a·α) with a = x·p: a parameter p behind the
// image x (which needs no gradient), an architecture-like input α read by
// two blocks (so G.Grad adds their gradients with a gorgonia op), and a
// gorgonia Add and Sum to the loss. In closed form L = 2·α·p·Σx,
// dL/dα = 2·p·Σx, dL/dp = 2·α·Σx.
type machineGraph struct {
	g            *Graph[float64]
	scale        *mulBlock
	m1, m2       *mulBlock
	p, alpha     *Param[float64]
	x            []float64
	loss, dAlpha *G.Node
	dP           *G.Node
}

func newMachineGraph(t *testing.T) *machineGraph {
	t.Helper()
	mg := &machineGraph{g: NewGraph[float64](), x: []float64{0.5, -1.25, 2, 0.75}}
	mg.p, mg.alpha = newParam[float64]("p", 1), newParam[float64]("alpha", 1)
	mg.p.Value[0], mg.alpha.Value[0] = 1.5, -0.75
	xv := tensor.New(tensor.WithBacking(mg.x), tensor.WithShape(4))
	x := G.NewTensor(mg.g.G, tensor.Float64, 1, G.WithShape(4), G.WithName("x"), G.WithValue(xv))
	an, err := mg.g.Param(mg.alpha)
	if err != nil {
		t.Fatal(err)
	}
	mg.scale = &mulBlock{p: mg.p}
	mg.m1, mg.m2 = &mulBlock{}, &mulBlock{}
	must := func(n *G.Node, err error) *G.Node {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	a := must(mg.g.Apply(mg.scale, []bool{false}, x))
	b := must(mg.g.Apply(mg.m1, nil, a, an))
	c := must(mg.g.Apply(mg.m2, nil, a, an))
	mg.loss = must(G.Sum(must(G.Add(b, c))))
	pn, err := mg.g.Param(mg.p)
	if err != nil {
		t.Fatal(err)
	}
	gs, err := G.Grad(mg.loss, an, pn)
	if err != nil {
		t.Fatal(err)
	}
	mg.dAlpha, mg.dP = gs[0], gs[1]
	return mg
}

func scalarOf(t *testing.T, v G.Value) float64 {
	t.Helper()
	switch d := v.Data().(type) {
	case float64:
		return d
	case []float64:
		if len(d) == 1 {
			return d[0]
		}
	}
	t.Fatalf("value %v is not one float64", v)
	return 0
}

func TestMachineClosedFormAndTape(t *testing.T) {
	mg := newMachineGraph(t)
	m, err := mg.g.NewMachine(mg.loss, mg.dAlpha)
	if err != nil {
		t.Fatal(err)
	}
	twin := newMachineGraph(t)
	tape := G.NewTapeMachine(twin.g.G)
	defer tape.Close()
	var sx float64
	for _, v := range mg.x {
		sx += v
	}
	check := func(step int, lite bool) {
		t.Helper()
		p, a := mg.p.Value[0], mg.alpha.Value[0]
		mg.g.SetParamGrads(!lite)
		defer mg.g.SetParamGrads(true)
		if err := m.Run(lite); err != nil {
			t.Fatal(err)
		}
		lv, err := m.Value(mg.loss)
		if err != nil {
			t.Fatal(err)
		}
		da, err := m.Data(mg.dAlpha)
		if err != nil {
			t.Fatal(err)
		}
		got := []float64{scalarOf(t, lv), da[0]}
		want := []float64{2 * a * p * sx, 2 * p * sx}
		if !lite {
			got = append(got, mg.p.Grad[0])
			want = append(want, 2*a*sx)
		}
		for i := range want {
			if math.Abs(got[i]-want[i]) > 1e-12*math.Max(1, math.Abs(want[i])) {
				t.Errorf("step %d (lite %v): quantity %d = %v, closed form %v", step, lite, i, got[i], want[i])
			}
		}
		if lite {
			return
		}
		twin.p.Value[0], twin.alpha.Value[0] = p, a
		tape.Reset()
		if err := tape.RunAll(); err != nil {
			t.Fatal(err)
		}
		if tl := scalarOf(t, twin.loss.Value()); math.Float64bits(tl) != math.Float64bits(got[0]) {
			t.Errorf("step %d: loss %v, tape machine %v", step, got[0], tl)
		}
		if td := scalarOf(t, twin.dAlpha.Value()); math.Float64bits(td) != math.Float64bits(got[1]) {
			t.Errorf("step %d: dα %v, tape machine %v", step, got[1], td)
		}
	}
	check(0, false)
	check(1, false) // registers and preallocated outputs reused
	calls := mg.scale.calls
	mg.p.Value[0], mg.alpha.Value[0] = -0.5, 2
	check(2, true)
	if mg.scale.calls != calls {
		t.Errorf("the lite program ran the backward of the block before the image, whose gradients only its parameter needs")
	}
	for _, b := range []*mulBlock{mg.m1, mg.m2} {
		if n := len(b.wantedDX); n != 3 || !b.wantedDX[0] || !b.wantedDX[1] || b.wantedDX[2] {
			t.Errorf("input gradients asked of an α block: %v, want [true true false] (the lite program needs only dα)", b.wantedDX)
		}
	}
	mg.p.Value[0] = 3
	check(3, false)
	if mg.scale.calls != calls+1 || !mg.m1.wantedDX[3] {
		t.Errorf("a full run after a lite one did not run every backward")
	}
}

func TestMachineErrors(t *testing.T) {
	mg := newMachineGraph(t)
	other := newMachineGraph(t)
	if _, err := mg.g.NewMachine(other.loss); err == nil {
		t.Error("NewMachine took a lite output of another graph")
	}
	m, err := mg.g.NewMachine()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Value(mg.loss); err == nil {
		t.Error("Value before any run gave no error")
	}
	if err := m.Run(true); err != nil { // no lite program: the full one
		t.Fatal(err)
	}
	if _, err := m.Value(other.loss); err == nil {
		t.Error("Value of a node of another graph gave no error")
	}
	if _, err := m.Data(mg.loss); err == nil {
		t.Error("Data of a scalar gave no error")
	}
}
