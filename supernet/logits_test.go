package supernet

import (
	"encoding/json"
	"testing"

	"github.com/darts-go/darts/derive"
	"github.com/darts-go/darts/internal/golden"
	"github.com/darts-go/darts/mixedop"
)

// TestRunnerLogits: Logits gives the eval logits of the last Run, those
// PyTorch computed for the golden network (model.py NetworkCIFAR), and nil
// before any run.
func TestRunnerLogits(t *testing.T) {
	g, err := golden.LoadNetworks()
	if err != nil {
		t.Fatal(err)
	}
	c := g.EvalNetwork
	var conf struct {
		C        int             `json:"init_channels"`
		Layers   int             `json:"layers"`
		Genotype derive.Genotype `json:"genotype"`
	}
	if err := json.Unmarshal(c.Config, &conf); err != nil {
		t.Fatal(err)
	}
	n, err := NewDiscrete[float32](DiscreteConfig{InputC: 3, InputH: 32, InputW: 32, Classes: 10, C: conf.C, Layers: conf.Layers,
		Auxiliary: true, Genotype: conf.Genotype}, 1)
	if err != nil {
		t.Fatal(err)
	}
	load(t, append(append([]*mixedop.Param[float32](nil), n.Weights()...), n.AuxWeights()...), c.Params)
	load(t, n.State(), c.Buffers)
	r, err := n.NewRunner(len(c.Target), false)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if l := r.Logits(); l != nil {
		t.Errorf("logits before a run: %v", l)
	}
	if _, err := r.Run(float32s(c.Input.Data), c.Target); err != nil {
		t.Fatal(err)
	}
	got := r.Logits()
	if len(got) != len(c.Target)*10 {
		t.Fatalf("%d logits", len(got))
	}
	if msg := golden.Compare("eval logits", got, c.Eval.Logits.Data); msg != "" {
		t.Error(msg)
	}
}
