package mixedop

import (
	"math"
	"strings"
	"testing"

	"github.com/darts-go/darts/internal/rng"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// scaleBlock computes y = a ⊙ x1 + x2·x2 with a parameter a of x's length:
// two inputs, one parameter, a non-linear term, enough to exercise every
// path of blockOp.
type scaleBlock struct {
	a   *Param[float64]
	x1  []float64
	x2  []float64
	out []float64
}

func (b *scaleBlock) Name() string              { return "scale" }
func (b *scaleBlock) Params() []*Param[float64] { return []*Param[float64]{b.a} }
func (b *scaleBlock) OutShape(in []tensor.Shape) (tensor.Shape, error) {
	return in[0].Clone(), nil
}
func (b *scaleBlock) Forward(in [][]float64, _ []tensor.Shape) ([]float64, error) {
	b.x1, b.x2 = in[0], in[1]
	if len(b.out) != len(in[0]) {
		b.out = make([]float64, len(in[0]))
	}
	for i := range b.out {
		b.out[i] = b.a.Value[i]*in[0][i] + in[1][i]*in[1][i]
	}
	return b.out, nil
}
func (b *scaleBlock) Backward(dy []float64, din [][]float64) error {
	for i := range dy {
		if din[0] != nil {
			din[0][i] += b.a.Value[i] * dy[i]
		}
		if din[1] != nil {
			din[1][i] += 2 * b.x2[i] * dy[i]
		}
		b.a.Grad[i] += b.x1[i] * dy[i]
	}
	return nil
}

// TestBlockOpGradients builds L = Σ r ⊙ f(f(x, x), x) with two blocks sharing
// inputs (so gorgonia sums gradient terms), runs it twice (buffers reused)
// and checks every gradient against central differences.
func TestBlockOpGradients(t *testing.T) {
	r := rng.New(1)
	const n = 6
	rand := func() []float64 {
		v := make([]float64, n)
		for i := range v {
			v[i] = r.NormFloat64()
		}
		return v
	}
	xv, rv := rand(), rand()
	b1 := &scaleBlock{a: newParam[float64]("b1.a", n)}
	b2 := &scaleBlock{a: newParam[float64]("b2.a", n)}
	copy(b1.a.Value, rand())
	copy(b2.a.Value, rand())

	g := NewGraph[float64]()
	x := G.NewTensor(g.G, tensor.Float64, 1, G.WithShape(n), G.WithName("x"),
		G.WithValue(tensor.New(tensor.WithBacking(xv), tensor.WithShape(n))))
	up := G.NewConstant(tensor.New(tensor.WithBacking(rv), tensor.WithShape(n)), G.WithName("r"))
	h, err := g.Apply(b1, nil, x, x)
	if err != nil {
		t.Fatal(err)
	}
	y, err := g.Apply(b2, nil, h, x)
	if err != nil {
		t.Fatal(err)
	}
	loss := G.Must(G.Sum(G.Must(G.HadamardProd(y, up))))
	a1, _ := g.Param(b1.a)
	a2, _ := g.Param(b2.a)
	grads, err := G.Grad(loss, x, a1, a2)
	if err != nil {
		t.Fatal(err)
	}
	m := G.NewTapeMachine(g.G)
	defer m.Close()
	eval := func() float64 {
		m.Reset()
		if err := m.RunAll(); err != nil {
			t.Fatal(err)
		}
		return loss.Value().Data().(float64)
	}
	for run := 0; run < 2; run++ {
		eval()
		got := [][]float64{
			append([]float64(nil), grads[0].Value().Data().([]float64)...),
			append([]float64(nil), b1.a.Grad...),
			append([]float64(nil), b2.a.Grad...),
		}
		vars := [][]float64{xv, b1.a.Value, b2.a.Value}
		for k, v := range vars {
			for i := range v {
				const eps = 1e-6
				old := v[i]
				v[i] = old + eps
				lp := eval()
				v[i] = old - eps
				lm := eval()
				v[i] = old
				fd := (lp - lm) / (2 * eps)
				if math.Abs(fd-got[k][i]) > 1e-6*math.Max(1, math.Abs(fd)) {
					t.Errorf("run %d: grad %d[%d] = %v, finite difference %v", run, k, i, got[k][i], fd)
				}
			}
		}
	}
}

func TestGraphRejectsDuplicateParamNames(t *testing.T) {
	g := NewGraph[float32]()
	if _, err := g.Param(newParam[float32]("w", 2)); err != nil {
		t.Fatal(err)
	}
	_, err := g.Param(newParam[float32]("w", 2))
	if err == nil {
		t.Fatal("second parameter named w accepted")
	}
	if want := `"w"`; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not name the parameter", err)
	}
}
