package network

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/darts-go/darts/derive"
	"github.com/darts-go/darts/export/onnx"
	"github.com/darts-go/darts/export/onnx/onnxref"
	"github.com/darts-go/darts/internal/golden"
	"github.com/darts-go/darts/internal/rng"
	"github.com/darts-go/darts/mixedop"
	"github.com/darts-go/darts/supernet"
)

// maxRelDiff is max|got-want| / max(1, max|want|).
func maxRelDiff(got []float32, want []float64) float64 {
	d, m := 0.0, 1.0
	for i, w := range want {
		d = math.Max(d, math.Abs(float64(got[i])-w))
		m = math.Max(m, math.Abs(w))
	}
	return d / m
}

// roundTrip marshals m and decodes it again, so that a test runs what a
// file would hold.
func roundTrip(t *testing.T, m *onnx.Model) *onnx.Model {
	t.Helper()
	b, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	m2, err := onnx.Unmarshal(b)
	if err != nil {
		t.Fatal(err)
	}
	return m2
}

// TestONNXMatchesPyTorch exports the network of the golden eval case
// (model.py NetworkCIFAR with DARTS_V2, C 4, 4 layers, on 3x32x32, run by
// PyTorch in float64 by tools/golden/gen_networks.py) with the running
// statistics its training-mode pass left, and requires the reference
// evaluator's logits to equal PyTorch's eval-mode logits.
func TestONNXMatchesPyTorch(t *testing.T) {
	g, err := golden.LoadNetworks()
	if err != nil {
		t.Fatal(err)
	}
	c := g.EvalNetwork
	var conf struct {
		InputC    int             `json:"input_c"`
		InputH    int             `json:"input_h"`
		InputW    int             `json:"input_w"`
		Classes   int             `json:"classes"`
		C         int             `json:"init_channels"`
		Layers    int             `json:"layers"`
		Auxiliary bool            `json:"auxiliary"`
		Genotype  derive.Genotype `json:"genotype"`
	}
	if err := json.Unmarshal(c.Config, &conf); err != nil {
		t.Fatal(err)
	}
	cfg := supernet.DiscreteConfig{InputC: conf.InputC, InputH: conf.InputH, InputW: conf.InputW, Classes: conf.Classes,
		C: conf.C, Layers: conf.Layers, Auxiliary: conf.Auxiliary, Genotype: conf.Genotype}
	w := Weights{}
	for _, ts := range [][]golden.Raw{c.Params, c.Train.BuffersAfter} {
		for _, r := range ts {
			d := make([]float32, len(r.Data))
			for i, v := range r.Data {
				d[i] = float32(v)
			}
			w[r.Name] = Tensor{Shape: r.Shape, Data: d}
		}
	}
	norm := Normalization{Mean: make([]float64, conf.InputC), Std: []float64{1, 1, 1}}
	m, err := ONNX(cfg, w, norm, "test")
	if err != nil {
		t.Fatal(err)
	}
	n := len(c.Target)
	x := onnxref.Tensor{Shape: []int{n, conf.InputC, conf.InputH, conf.InputW}, Data: make([]float32, len(c.Input.Data))}
	for i, v := range c.Input.Data {
		x.Data[i] = float32(v)
	}
	out, err := onnxref.Run(roundTrip(t, m), map[string]onnxref.Tensor{InputName: x})
	if err != nil {
		t.Fatal(err)
	}
	y := out[OutputName]
	if len(y.Shape) != 2 || y.Shape[0] != n || y.Shape[1] != conf.Classes {
		t.Fatalf("logits of shape %v", y.Shape)
	}
	d := maxRelDiff(y.Data, c.EvalAfterTrain.Logits.Data)
	t.Logf("max |ONNX - PyTorch| / max(1, |logit|) = %.3g", d)
	if !(d <= 1e-4) { // NaN fails too
		t.Errorf("ONNX logits differ from PyTorch's by %.3g (relative)", d)
	}
}

// randomize sets every BatchNorm's running statistics and affine
// parameters to values away from their initialization (mean 0, variance 1,
// scale U(0,1), shift 0), so that an export that mixes them up, drops one
// or applies them in training form is seen.
func randomize(net *supernet.Discrete[float32], seed uint64) {
	r := rng.New(seed)
	for _, p := range append(append([]*mixedop.Param[float32](nil), net.Weights()...), net.State()...) {
		switch {
		case strings.HasSuffix(p.Name, ".running_var"):
			for i := range p.Value {
				p.Value[i] = float32(0.25 + r.Float64())
			}
		case strings.HasSuffix(p.Name, ".running_mean"), strings.HasSuffix(p.Name, ".bias"):
			for i := range p.Value {
				p.Value[i] = float32(0.4 * (r.Float64() - 0.5))
			}
		case strings.HasSuffix(p.Name, ".weight") && len(p.Shape) == 1:
			for i := range p.Value {
				p.Value[i] = float32(0.5 + r.Float64())
			}
		}
	}
}

// images returns n images of pixels k/255 drawn from seed, and the same
// normalized as package datasets does.
func images(n int, cfg supernet.DiscreteConfig, norm Normalization, seed uint64) (raw, normalized []float32) {
	r := rng.New(seed)
	plane := cfg.InputH * cfg.InputW
	raw = make([]float32, n*cfg.InputC*plane)
	normalized = make([]float32, len(raw))
	for i := range raw {
		v := float64(r.Uint64() % 256)
		c := i / plane % cfg.InputC
		raw[i] = float32(v / 255)
		s := norm.Std[c]
		if s == 0 {
			s = 1
		}
		normalized[i] = float32((v/255 - norm.Mean[c]) / s)
	}
	return raw, normalized
}

// goLogits runs darts-go's own eval forward pass.
func goLogits(t *testing.T, net *supernet.Discrete[float32], x []float32, n int) []float64 {
	t.Helper()
	r, err := net.NewRunner(n, false)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := r.Run(x, make([]int, n)); err != nil {
		t.Fatal(err)
	}
	out := make([]float64, 0, n*net.Cfg.Classes)
	for _, v := range r.Logits() {
		out = append(out, float64(v))
	}
	return out
}

func mustGenotype(t *testing.T, s string) derive.Genotype {
	t.Helper()
	g, err := derive.ParseText(strings.NewReader(s))
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// exportCases are networks of every op, both spaces, reduction cells read
// through FactorizedReduce, a general DAG with a dropped node and a
// NAS-Bench-201 node of 'none' only.
func exportCases(t *testing.T) []supernet.DiscreteConfig {
	allOps := mustGenotype(t, `Genotype(normal=[('sep_conv_3x3', 0), ('dil_conv_5x5', 1), ('avg_pool_3x3', 0), ('sep_conv_7x7', 2),
		('skip_connect', 1), ('max_pool_3x3', 3), ('dil_conv_3x3', 0), ('sep_conv_5x5', 4)], normal_concat=[2, 3, 4, 5],
		reduce=[('skip_connect', 0), ('max_pool_3x3', 1), ('avg_pool_3x3', 0), ('skip_connect', 2), ('sep_conv_5x5', 1),
		('dil_conv_3x3', 3), ('nor_conv_3x3', 0), ('nor_conv_1x1', 4)], reduce_concat=[3, 4, 5])`)
	v2 := mustGenotype(t, `Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('sep_conv_3x3', 1),
		('sep_conv_3x3', 1), ('skip_connect', 0), ('skip_connect', 0), ('dil_conv_3x3', 2)], normal_concat=[2, 3, 4, 5],
		reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 1), ('max_pool_3x3', 0),
		('skip_connect', 2), ('skip_connect', 2), ('max_pool_3x3', 1)], reduce_concat=[2, 3, 4, 5])`)
	// A DAG: node 0 has three pairs, node 1 none (dropped, and so is the
	// pair of node 2 that reads it), node 2 reads node 0.
	dag := derive.Genotype{Space: "darts", Cells: []derive.Cell{
		{Name: "normal", Inputs: 2, Nodes: [][]derive.Pair{
			{{Op: "sep_conv_3x3", Input: 0}, {Op: "skip_connect", Input: 1}, {Op: "avg_pool_3x3", Input: 1}},
			{},
			{{Op: "dil_conv_3x3", Input: 2}, {Op: "max_pool_3x3", Input: 3}},
		}, Concat: []int{2, 4}},
		{Name: "reduce", Inputs: 2, Nodes: [][]derive.Pair{
			{{Op: "none", Input: 0}, {Op: "skip_connect", Input: 1}},
			{{Op: "none", Input: 0}},
		}, Concat: []int{2, 3}},
	}}
	nb := func(s string) derive.Genotype {
		g, err := derive.ParseNB201(s)
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	return []supernet.DiscreteConfig{
		{InputC: 3, InputH: 8, InputW: 8, Classes: 5, C: 4, Layers: 3, Genotype: allOps},
		{InputC: 1, InputH: 12, InputW: 12, Classes: 3, C: 2, Layers: 5, Genotype: v2},
		{InputC: 2, InputH: 8, InputW: 8, Classes: 4, C: 4, Layers: 3, Genotype: dag},
		{InputC: 3, InputH: 8, InputW: 8, Classes: 4, C: 4, CellsPerStage: 2,
			Genotype: nb("|nor_conv_3x3~0|+|nor_conv_1x1~0|avg_pool_3x3~1|+|skip_connect~0|max_pool_3x3~1|none~2|")},
		{InputC: 1, InputH: 12, InputW: 8, Classes: 3, C: 3, CellsPerStage: 1,
			Genotype: nb("|none~0|+|skip_connect~0|none~1|+|none~0|nor_conv_3x3~1|none~2|")},
	}
}

// TestONNXMatchesDarts exports networks of random weights and statistics
// and requires the reference evaluator's logits on raw images in [0, 1] to
// equal darts-go's own eval forward pass on the same images normalized by
// package datasets' formula.
func TestONNXMatchesDarts(t *testing.T) {
	for i, cfg := range exportCases(t) {
		net, err := supernet.NewDiscrete[float32](cfg, uint64(i+1))
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		randomize(net, uint64(100+i))
		norm := Normalization{Mean: make([]float64, cfg.InputC), Std: make([]float64, cfg.InputC)}
		for c := range norm.Mean {
			norm.Mean[c], norm.Std[c] = 0.1+0.2*float64(c), 0.3+0.1*float64(c)
		}
		if cfg.InputC > 1 {
			norm.Std[1] = 0 // a constant channel: centred only
		}
		m, err := ONNX(cfg, FromParams(net.Weights(), net.State()), norm, "test")
		if err != nil {
			t.Fatalf("case %d (%s): %v", i, cfg.Genotype, err)
		}
		const n = 3
		raw, normalized := images(n, net.Cfg, norm, uint64(i))
		want := goLogits(t, net, normalized, n)
		out, err := onnxref.Run(roundTrip(t, m), map[string]onnxref.Tensor{InputName: {Shape: []int{n, cfg.InputC, cfg.InputH, cfg.InputW}, Data: raw}})
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		d := maxRelDiff(out[OutputName].Data, want)
		t.Logf("case %d (%s, %d nodes): max relative difference %.3g", i, net.Cfg.Space, len(m.Nodes), d)
		if !(d <= 1e-4) { // NaN fails too
			t.Errorf("case %d (%s): ONNX logits differ from darts-go's by %.3g\nonnx %v\ngo   %v", i, cfg.Genotype, d, out[OutputName].Data, want)
		}
	}
}

// TestONNXHeader: the model's fixed parts.
func TestONNXHeader(t *testing.T) {
	cfg := exportCases(t)[3]
	net, err := supernet.NewDiscrete[float32](cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	m, err := ONNX(cfg, FromParams(net.Weights(), net.State()), Normalization{Mean: []float64{0.5, 0.5, 0.5}, Std: []float64{0.2, 0.2, 0.2}}, "0.2")
	if err != nil {
		t.Fatal(err)
	}
	m = roundTrip(t, m)
	if m.IRVersion != 7 || m.Opset != 13 || m.ProducerName != "darts-go" || m.ProducerVersion != "0.2" {
		t.Errorf("header %d %d %q %q", m.IRVersion, m.Opset, m.ProducerName, m.ProducerVersion)
	}
	if len(m.Inputs) != 1 || m.Inputs[0].Name != "input" || m.Inputs[0].Shape[0].Param != "N" || m.Inputs[0].Shape[1].Value != 3 {
		t.Errorf("inputs %+v", m.Inputs)
	}
	if len(m.Outputs) != 1 || m.Outputs[0].Name != "logits" || m.Outputs[0].Shape[0].Param != "N" || m.Outputs[0].Shape[1].Value != 4 {
		t.Errorf("outputs %+v", m.Outputs)
	}
	if m.Nodes[0].OpType != "Sub" || m.Nodes[1].OpType != "Div" {
		t.Errorf("first nodes %s %s, want the normalization", m.Nodes[0].OpType, m.Nodes[1].OpType)
	}
	for _, nd := range m.Nodes {
		if nd.OpType == "AveragePool" {
			if a, ok := nd.Attr("count_include_pad"); !ok || a.I != 0 {
				t.Errorf("%s: count_include_pad %+v", nd.Name, a)
			}
		}
	}
}

// TestONNXErrors: tensors that do not fit the config are errors naming
// them.
func TestONNXErrors(t *testing.T) {
	cfg := exportCases(t)[0]
	net, err := supernet.NewDiscrete[float32](cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	norm := Normalization{Mean: []float64{0, 0, 0}, Std: []float64{1, 1, 1}}
	base := func() Weights { return FromParams(net.Weights(), net.State()) }
	for _, c := range []struct {
		name string
		edit func(w Weights, n *Normalization)
		want string
	}{
		{"missing", func(w Weights, _ *Normalization) { delete(w, "cells.1.ops.4.pw1") }, "no tensor cells.1.ops.4.pw1"},
		{"extra", func(w Weights, _ *Normalization) {
			w["cells.9.pre0.conv"] = Tensor{Shape: []int{1}, Data: []float32{1}}
		}, "does not have: cells.9.pre0.conv"},
		{"shape", func(w Weights, _ *Normalization) {
			t := w["classifier.bias"]
			w["classifier.bias"] = Tensor{Shape: []int{t.Shape[0] + 1}, Data: append(t.Data, 0)}
		}, "classifier.bias has 6 values, want 5"},
		{"values", func(w Weights, _ *Normalization) {
			t := w["stem.conv"]
			w["stem.conv"] = Tensor{Shape: t.Shape, Data: t.Data[1:]}
		}, "tensor stem.conv: shape"},
		{"norm", func(_ Weights, n *Normalization) { n.Mean = n.Mean[:2] }, "2 means"},
	} {
		w, n := base(), norm
		c.edit(w, &n)
		_, err := ONNX(cfg, w, n, "")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want it to contain %q", c.name, err, c.want)
		}
	}
	// Auxiliary head tensors are not part of the ONNX model.
	aux := supernet.DiscreteConfig{InputC: 1, InputH: 32, InputW: 32, Classes: 3, C: 4, Layers: 3, Auxiliary: true, Genotype: cfg.Genotype}
	an, err := supernet.NewDiscrete[float32](aux, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ONNX(aux, FromParams(an.Weights(), an.AuxWeights(), an.State()), Normalization{Mean: []float64{0}, Std: []float64{1}}, ""); err != nil {
		t.Errorf("with the auxiliary head's tensors: %v", err)
	}
}
