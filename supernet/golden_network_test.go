package supernet

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/darts-go/darts/derive"
	"github.com/darts-go/darts/internal/golden"
	"github.com/darts-go/darts/mixedop"
)

// load copies the named tensors into the parameters, failing the test if a
// parameter has none or a tensor has no parameter (so that no part of the
// network escapes the comparison).
func load[T Float](t *testing.T, ps []*mixedop.Param[T], ts []golden.Raw) {
	t.Helper()
	byName := golden.ByName(ts)
	for _, p := range ps {
		x, ok := byName[p.Name]
		if !ok {
			t.Fatalf("no golden value for %s", p.Name)
		}
		if len(x.Data) != len(p.Value) {
			t.Fatalf("%s: %d golden values, the network has %d", p.Name, len(x.Data), len(p.Value))
		}
		for i, v := range x.Data {
			p.Value[i] = T(v)
		}
		delete(byName, p.Name)
	}
	for name := range byName {
		t.Fatalf("golden tensor %s matches no parameter", name)
	}
}

func compareAll[T Float](t *testing.T, what string, ps []*mixedop.Param[T], ts []golden.Raw, grad bool) {
	t.Helper()
	byName := golden.ByName(ts)
	for _, p := range ps {
		x, ok := byName[p.Name]
		if !ok {
			t.Errorf("%s: no golden value for %s", what, p.Name)
			continue
		}
		got := p.Value
		if grad {
			got = p.Grad
		}
		if msg := golden.Compare(what+" "+p.Name, got, x.Data); msg != "" {
			t.Error(msg)
		}
	}
}

func float32s(v []float64) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
	}
	return out
}

// TestGoldenEvalNetwork holds the network of a genotype (DARTS_V2 at C=4,
// L=4 on 3x32x32, auxiliary head, affine BatchNorm, no BN after pools) to
// PyTorch's model.py NetworkCIFAR: eval-mode logits and loss, training-mode
// logits, auxiliary logits, loss (CE + 0.4·CE_aux), the gradient of every
// parameter (auxiliary head included) and the running statistics after the
// training-mode pass, then eval-mode logits on them.
func TestGoldenEvalNetwork(t *testing.T) {
	t.Run("float64", func(t *testing.T) { goldenEvalNetwork[float64](t) })
	t.Run("float32", func(t *testing.T) { goldenEvalNetwork[float32](t) })
}

func goldenEvalNetwork[T Float](t *testing.T) {
	g, err := golden.LoadNetworks()
	if err != nil {
		t.Fatal(err)
	}
	c := g.EvalNetwork
	var conf struct {
		InputC, InputH, InputW int
		Classes                int
		C                      int             `json:"init_channels"`
		Layers                 int             `json:"layers"`
		Auxiliary              bool            `json:"auxiliary"`
		Genotype               derive.Genotype `json:"genotype"`
	}
	if err := json.Unmarshal(c.Config, &conf); err != nil {
		t.Fatal(err)
	}
	cfg := DiscreteConfig{InputC: 3, InputH: 32, InputW: 32, Classes: 10, C: conf.C, Layers: conf.Layers,
		Auxiliary: conf.Auxiliary, Genotype: conf.Genotype}
	n, err := NewDiscrete[T](cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	load(t, append(append([]*mixedop.Param[T](nil), n.Weights()...), n.AuxWeights()...), c.Params)
	load(t, n.State(), c.Buffers)
	x := float32s(c.Input.Data)
	batch := len(c.Target)

	ev, err := n.NewRunner(batch, false)
	if err != nil {
		t.Fatal(err)
	}
	defer ev.Close()
	res, err := ev.Run(x, c.Target)
	if err != nil {
		t.Fatal(err)
	}
	if msg := golden.Compare("eval logits", ev.logits.Value().Data().([]T), c.Eval.Logits.Data); msg != "" {
		t.Error(msg)
	}
	if d := math.Abs(res.Loss - c.Eval.Loss); d > golden.Tolerance[T]([]float64{c.Eval.Loss}) {
		t.Errorf("eval loss %v, PyTorch %v", res.Loss, c.Eval.Loss)
	}

	tr, err := n.NewRunner(batch, true)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	n.SetDropPath(DropPath{Prob: 0})
	res, err = tr.Run(x, c.Target)
	if err != nil {
		t.Fatal(err)
	}
	if d := math.Abs(res.Loss - c.Train.Loss); d > golden.Tolerance[T]([]float64{c.Train.Loss}) {
		t.Errorf("training loss (CE + 0.4·CE_aux) %v, PyTorch %v", res.Loss, c.Train.Loss)
	}
	if msg := golden.Compare("training logits", tr.logits.Value().Data().([]T), c.Train.Logits.Data); msg != "" {
		t.Error(msg)
	}
	if len(tr.heads) != 2 {
		t.Fatalf("%d loss heads, want the main and the auxiliary", len(tr.heads))
	}
	compareAll(t, "gradient", append(append([]*mixedop.Param[T](nil), n.Weights()...), n.AuxWeights()...), c.Train.Grads, true)
	compareAll(t, "running statistics after training", n.State(), c.Train.BuffersAfter, false)

	if _, err := ev.Run(x, c.Target); err != nil {
		t.Fatal(err)
	}
	if msg := golden.Compare("eval logits after training", ev.logits.Value().Data().([]T), c.EvalAfterTrain.Logits.Data); msg != "" {
		t.Error(msg)
	}
}
