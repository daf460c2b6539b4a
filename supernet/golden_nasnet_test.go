package supernet

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/darts-go/darts/derive"
	"github.com/darts-go/darts/internal/golden"
)

// nasnetFile is what these tests read of testdata/nasnet_amoebanet.json
// (tools/golden/gen_nasnet.py: PyTorch, quark0/darts's model.py and
// operations.py).
type nasnetFile struct {
	Networks    []golden.EvalNetworkCase `json:"networks"`
	ParamCounts []struct {
		Genotype  string `json:"genotype"`
		C         int    `json:"init_channels"`
		Layers    int    `json:"layers"`
		Classes   int    `json:"classes"`
		Params    int    `json:"params"`
		AuxParams int    `json:"aux_params"`
	} `json:"param_counts"`
}

func loadNASNet(t *testing.T) nasnetFile {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "nasnet_amoebanet.json"))
	if err != nil {
		t.Fatal(err)
	}
	var f nasnetFile
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.Networks) != 2 || len(f.ParamCounts) != 16 {
		t.Fatalf("%d network cases and %d parameter counts, want 2 and 16", len(f.Networks), len(f.ParamCounts))
	}
	return f
}

// shippedGenotype parses a file of genotypes/ as darts train --genotype
// reads it: the text of quark0/darts genotypes.py as it is.
func shippedGenotype(t *testing.T, name string) derive.Genotype {
	t.Helper()
	file := map[string]string{"NASNet": "nasnet.txt", "AmoebaNet": "amoebanet.txt", "DARTS_V1": "darts-v1.txt", "DARTS_V2": "darts-v2.txt"}[name]
	if file == "" {
		t.Fatalf("no shipped file for %s", name)
	}
	g, err := derive.ReadFile(filepath.Join("..", "genotypes", file))
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// TestGoldenNASNetAmoebaNetNetworks holds the networks of NASNet and
// AmoebaNet (5 intermediate nodes, concat lists that leave nodes out,
// sep_conv_7x7 and conv_7x1_1x7) to PyTorch's NetworkCIFAR: eval-mode
// logits and loss, training-mode logits and loss, every parameter's
// gradient, the running statistics after the training pass and eval-mode
// logits on them. The genotypes are the shipped files' text, parsed.
func TestGoldenNASNetAmoebaNetNetworks(t *testing.T) {
	f := loadNASNet(t)
	for _, c := range f.Networks {
		t.Run(c.Name+"/float64", func(t *testing.T) { goldenNASNet[float64](t, c) })
		t.Run(c.Name+"/float32", func(t *testing.T) { goldenNASNet[float32](t, c) })
	}
}

func goldenNASNet[T Float](t *testing.T, c golden.EvalNetworkCase) {
	var conf struct {
		InputH, InputW int
		Classes        int             `json:"classes"`
		C              int             `json:"init_channels"`
		Layers         int             `json:"layers"`
		Name           string          `json:"genotype_name"`
		Genotype       derive.Genotype `json:"genotype"`
	}
	if err := json.Unmarshal(c.Config, &conf); err != nil {
		t.Fatal(err)
	}
	g := shippedGenotype(t, conf.Name)
	if !g.Equal(conf.Genotype) {
		t.Fatalf("genotypes/ file of %s parses to %v, the golden file has %v", conf.Name, g, conf.Genotype)
	}
	cfg := DiscreteConfig{InputC: 3, InputH: 16, InputW: 16, Classes: conf.Classes, C: conf.C, Layers: conf.Layers, Genotype: g}
	n, err := NewDiscrete[T](cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	load(t, n.Weights(), c.Params)
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
		t.Errorf("training loss %v, PyTorch %v", res.Loss, c.Train.Loss)
	}
	if msg := golden.Compare("training logits", tr.logits.Value().Data().([]T), c.Train.Logits.Data); msg != "" {
		t.Error(msg)
	}
	compareAll(t, "gradient", n.Weights(), c.Train.Grads, true)
	compareAll(t, "running statistics after training", n.State(), c.Train.BuffersAfter, false)
	if _, err := ev.Run(x, c.Target); err != nil {
		t.Fatal(err)
	}
	if msg := golden.Compare("eval logits after training", ev.logits.Value().Data().([]T), c.EvalAfterTrain.Logits.Data); msg != "" {
		t.Error(msg)
	}
}

// TestParamCountsMatchPyTorch: the network of every shipped baseline
// genotype (the text of genotypes.py, parsed) has, at four sizes, exactly
// the parameters PyTorch counts in model.py's NetworkCIFAR, as
// count_parameters_in_MB does (the auxiliary head apart).
func TestParamCountsMatchPyTorch(t *testing.T) {
	f := loadNASNet(t)
	for _, pc := range f.ParamCounts {
		g := shippedGenotype(t, pc.Genotype)
		n, err := NewDiscrete[float32](DiscreteConfig{InputC: 3, InputH: 32, InputW: 32, Classes: pc.Classes, C: pc.C,
			Layers: pc.Layers, Auxiliary: true, Genotype: g}, 1)
		if err != nil {
			t.Fatal(err)
		}
		if n.NumParams() != pc.Params || n.NumAuxParams() != pc.AuxParams {
			t.Errorf("%s C=%d L=%d, %d classes: %d parameters (+%d auxiliary), PyTorch %d (+%d)",
				pc.Genotype, pc.C, pc.Layers, pc.Classes, n.NumParams(), n.NumAuxParams(), pc.Params, pc.AuxParams)
		}
	}
}
