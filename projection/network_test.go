package projection

import (
	"math"
	"testing"

	"github.com/darts-go/darts/datasets"
	"github.com/darts-go/darts/mixedop"
	"github.com/darts-go/darts/relax"
	"github.com/darts-go/darts/space"
	"github.com/darts-go/darts/supernet"
	"gorgonia.org/tensor"
)

// fixed is the oracle's relaxation: edge weights given by hand, passing
// no gradient.
type fixed struct{ w map[string][][]float64 }

func (f fixed) Name() string { return "fixed" }
func (f fixed) Weights(t space.Tensor, _ [][]float64) [][]float64 {
	return f.w[t.Name]
}
func (f fixed) Block(t space.Tensor, _ *relax.Pass) mixedop.Block[float64] {
	return &fixedBlock{w: f.w[t.Name]}
}

type fixedBlock struct{ w [][]float64 }

func (b *fixedBlock) Name() string                          { return "fixed" }
func (b *fixedBlock) Params() []*mixedop.Param[float64]     { return nil }
func (b *fixedBlock) Backward([]float64, [][]float64) error { return nil }
func (b *fixedBlock) OutShape(in []tensor.Shape) (tensor.Shape, error) {
	return in[0], nil
}
func (b *fixedBlock) Forward([][]float64, []tensor.Shape) ([]float64, error) {
	var y []float64
	for _, r := range b.w {
		y = append(y, r...)
	}
	return y, nil
}

func tinyCfg() supernet.Config {
	return supernet.Config{InputC: 1, InputH: 8, InputW: 8, Classes: 3, C: 4, Layers: 3,
		Primitives: []string{"none", "max_pool_3x3", "skip_connect", "sep_conv_3x3"}}
}

func tinyBatch(t *testing.T) datasets.Batch {
	t.Helper()
	d, err := datasets.Load(datasets.Options{Name: "synthetic", Shape: [3]int{1, 8, 8}, Classes: 3, Limit: 32, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	var b datasets.Batch
	if !d.Train.Batches(8, 0, 1, true, datasets.Augment{}, false).Next(&b) {
		t.Fatal("no batch")
	}
	return b
}

// newNet builds the tiny float64 supernet of seed 3 with relaxation r and
// alphas drawn larger than the default init, and runs one training batch.
func newNet(t *testing.T, r func(*supernet.Network[float64]) relax.Relaxation[float64]) (*supernet.Network[float64], *supernet.Runner[float64]) {
	t.Helper()
	net, err := supernet.NewNetwork[float64](tinyCfg(), 3)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range net.ArchParams() {
		for i := range a.Value {
			a.Value[i] = math.Sin(float64(3*i + len(a.Name))) // fixed, far from uniform
		}
	}
	net.Relax = r(net)
	run, err := net.NewRunner(8, true)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { run.Close() })
	return net, run
}

// decided is a projection with normal edge 1 fixed to skip_connect,
// reduce edge 4 to 'none', reduce node 1 keeping edges 2 and 4 (edge 3
// dropped), and the probe removing op sep_conv_3x3 of normal edge 6.
func decided(sp space.Space) *Projection {
	p := NewProjection(sp)
	p.commit(Decision{Kind: "op", Cell: "normal", Edge: 1, Op: "skip_connect"})
	p.commit(Decision{Kind: "op", Cell: "reduce", Edge: 4, Op: "none"})
	p.commit(Decision{Kind: "edge", Cell: "reduce", Node: 1, Kept: []int{2, 4}})
	p.probe = &probe{Tensor: "normal", Edge: 6, Op: 3}
	return p
}

// TestRelaxationForward: the supernet under the projection's relaxation
// gives the loss of the same supernet with its edge weights set by hand to
// softmax(α) with the decided rows one-hot, the dropped row zero and the
// probed weight zero.
func TestRelaxationForward(t *testing.T) {
	b := tinyBatch(t)
	var p *Projection
	net, run := newNet(t, func(n *supernet.Network[float64]) relax.Relaxation[float64] {
		p = decided(n.Space)
		return Relaxation[float64](relax.Softmax[float64]{}, p)
	})
	got, err := run.Run(b.X, b.Y)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][][]float64{}
	for _, a := range net.Arch() {
		rows := make([][]float64, a.Rows)
		for e := range rows {
			rows[e] = append([]float64(nil), a.Param.Value[e*a.Cols:(e+1)*a.Cols]...)
		}
		want[a.Tensor.Name] = relax.SoftmaxRows(rows)
	}
	want["normal"][1] = []float64{0, 0, 1, 0}
	want["reduce"][4] = []float64{1, 0, 0, 0}
	want["reduce"][3] = []float64{0, 0, 0, 0}
	want["normal"][6][3] = 0
	_, orun := newNet(t, func(*supernet.Network[float64]) relax.Relaxation[float64] { return fixed{want} })
	ref, err := orun.Run(b.X, b.Y)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(got.Loss-ref.Loss) > 1e-12 || got.Correct != ref.Correct {
		t.Fatalf("loss %.15g (correct %d), hand-set weights give %.15g (%d)", got.Loss, got.Correct, ref.Loss, ref.Correct)
	}
	// The probe matters: without it the loss differs.
	p.probe = nil
	free, err := run.Run(b.X, b.Y)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(free.Loss-ref.Loss) < 1e-9 {
		t.Fatalf("the probe changed nothing (%.15g)", free.Loss)
	}
	for _, tn := range net.Space.Tensors() {
		a, _ := net.ArchTensor(tn.Name)
		rows := make([][]float64, a.Rows)
		for e := range rows {
			rows[e] = append([]float64(nil), a.Param.Value[e*a.Cols:(e+1)*a.Cols]...)
		}
		p.probe = &probe{Tensor: "normal", Edge: 6, Op: 3}
		w := net.Relax.Weights(tn, rows)
		for e := range w {
			for k := range w[e] {
				if math.Abs(w[e][k]-want[tn.Name][e][k]) > 1e-15 {
					t.Fatalf("Weights %s[%d][%d] = %g, want %g", tn.Name, e, k, w[e][k], want[tn.Name][e][k])
				}
			}
		}
	}
}

// TestRelaxationGradient: decided and dropped rows get no α gradient (as
// the reference's copy into softmax's output gives); the others get the
// central differences of the loss.
func TestRelaxationGradient(t *testing.T) {
	b := tinyBatch(t)
	net, run := newNet(t, func(n *supernet.Network[float64]) relax.Relaxation[float64] {
		p := decided(n.Space)
		p.probe = nil
		return Relaxation[float64](relax.Softmax[float64]{}, p)
	})
	if _, err := run.Run(b.X, b.Y); err != nil {
		t.Fatal(err)
	}
	fixedRows := map[string][]int{"normal": {1}, "reduce": {3, 4}}
	checked := 0
	for _, a := range net.Arch() {
		grad := append([]float64(nil), a.Param.Grad...)
		for e := 0; e < a.Rows; e++ {
			isFixed := false
			for _, f := range fixedRows[a.Tensor.Name] {
				isFixed = isFixed || f == e
			}
			for k := 0; k < a.Cols; k++ {
				i := e*a.Cols + k
				if isFixed {
					if grad[i] != 0 {
						t.Errorf("%s[%d][%d]: gradient %g on a decided row", a.Tensor.Name, e, k, grad[i])
					}
					continue
				}
				if (e+k)%3 != 0 { // a sample of the free entries
					continue
				}
				const h = 1e-5
				v := a.Param.Value[i]
				a.Param.Value[i] = v + h
				lp, _ := run.Run(b.X, b.Y)
				a.Param.Value[i] = v - h
				lm, _ := run.Run(b.X, b.Y)
				a.Param.Value[i] = v
				fd := (lp.Loss - lm.Loss) / (2 * h)
				if math.Abs(fd-grad[i]) > 1e-6*math.Max(1, math.Abs(fd)) {
					t.Errorf("%s[%d][%d]: gradient %.10g, central difference %.10g", a.Tensor.Name, e, k, grad[i], fd)
				}
				checked++
			}
		}
	}
	if checked < 10 {
		t.Fatalf("only %d entries checked", checked)
	}
}
