package network

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/darts-go/darts/derive"
	"github.com/darts-go/darts/export/onnx"
	"github.com/darts-go/darts/mixedop"
	"github.com/darts-go/darts/space"
	"github.com/darts-go/darts/supernet"
)

// Tensor is one tensor of a network: its shape and its elements in C
// order.
type Tensor struct {
	Shape []int
	Data  []float32
}

// Weights are a network's tensors by darts-go name ("stem.conv",
// "cells.0.pre0.bn.running_mean", ..., see supernet.Discrete), parameters
// and BatchNorm running statistics together, as weights.dgo holds them.
type Weights map[string]Tensor

// FromParams collects parameters (or state tensors) into Weights,
// converting float64 to float32.
func FromParams[T mixedop.Float](groups ...[]*mixedop.Param[T]) Weights {
	w := Weights{}
	for _, g := range groups {
		for _, p := range g {
			d := make([]float32, len(p.Value))
			for i, v := range p.Value {
				d[i] = float32(v)
			}
			w[p.Name] = Tensor{Shape: slices.Clone(p.Shape), Data: d}
		}
	}
	return w
}

// Normalization is the per-channel input normalization a network was
// trained with (datasets.Info's Mean and Std, of pixels in [0, 1]): the
// network saw (x - Mean[c]) / Std[c], or x - Mean[c] where Std[c] is 0.
type Normalization struct {
	Mean, Std []float64
}

// Names of the graph's input and output.
const (
	InputName  = "input"
	OutputName = "logits"
)

// AuxPrefix starts the names of the auxiliary head's tensors, which the
// ONNX model leaves out.
const AuxPrefix = "aux."

// ONNX builds the inference model of the network of cfg with weights w
// (the auxiliary head's, if any, are ignored) and input normalization norm.
// Every other tensor of w must be used, each with the shape the network
// needs; a missing, extra or misshapen tensor, an op without an ONNX form
// (one registered outside package mixedop) or a config that does not make a
// network is an error. producerVersion is written as the model's
// producer_version (producer_name is "darts-go").
func ONNX(cfg supernet.DiscreteConfig, w Weights, norm Normalization, producerVersion string) (*onnx.Model, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if len(norm.Mean) != cfg.InputC || len(norm.Std) != cfg.InputC {
		return nil, fmt.Errorf("input normalization: %d means and %d standard deviations for %d input channels", len(norm.Mean), len(norm.Std), cfg.InputC)
	}
	e := &emitter{b: onnx.NewBuilder("darts-go "+cfg.Space+" network", "darts-go", producerVersion), w: w, used: map[string]bool{}}
	x := e.b.Input(InputName, int64(cfg.InputC), int64(cfg.InputH), int64(cfg.InputW))
	mean := make([]float32, cfg.InputC)
	std := make([]float32, cfg.InputC)
	for c := range mean {
		mean[c], std[c] = float32(norm.Mean[c]), float32(norm.Std[c])
		if norm.Std[c] == 0 {
			std[c] = 1
		}
		if !(norm.Std[c] >= 0) {
			return nil, fmt.Errorf("input normalization: standard deviation %v of channel %d", norm.Std[c], c)
		}
	}
	shape := []int64{1, int64(cfg.InputC), 1, 1}
	x = e.b.Div(e.b.Sub(x, e.b.Const("input_mean", shape, mean)), e.b.Const("input_std", shape, std))
	var out string
	if cfg.Space == space.NB201Name {
		out = e.nb201(cfg, x)
	} else {
		out = e.darts(cfg, x)
	}
	if e.err != nil {
		return nil, e.err
	}
	var unused []string
	for name := range w {
		if !e.used[name] && !strings.HasPrefix(name, AuxPrefix) {
			unused = append(unused, name)
		}
	}
	if len(unused) > 0 {
		sort.Strings(unused)
		return nil, fmt.Errorf("tensors the %s network of this config does not have: %s", cfg.Space, strings.Join(unused, ", "))
	}
	m, err := e.b.Model()
	if err != nil {
		return nil, err
	}
	// The classifier's Gemm is the last node; its output is the graph's.
	last := &m.Nodes[len(m.Nodes)-1]
	if last.Outputs[0] != out {
		return nil, fmt.Errorf("internal error: the last node computes %s, not the logits %s", last.Outputs[0], out)
	}
	last.Outputs[0] = OutputName
	m.Outputs = []onnx.ValueInfo{{Name: OutputName, ElemType: onnx.Float, Shape: []onnx.Dim{{Param: onnx.BatchParam}, {Value: int64(cfg.Classes)}}}}
	if _, err := m.InferShapes(); err != nil {
		return nil, fmt.Errorf("the exported graph: %w", err)
	}
	return m, nil
}

// emitter appends a network's nodes to a builder, taking each tensor from
// w once. The first error is kept; later calls do nothing useful.
type emitter struct {
	b    *onnx.Builder
	w    Weights
	used map[string]bool
	err  error
	zero string
}

func (e *emitter) fail(format string, args ...any) {
	if e.err == nil {
		e.err = fmt.Errorf(format, args...)
	}
}

// has reports whether w holds name.
func (e *emitter) has(name string) bool { _, ok := e.w[name]; return ok }

// param adds tensor name as an initializer (once) and returns it and its
// shape; rank is the rank it must have.
func (e *emitter) param(name string, rank int) (string, []int) {
	t, ok := e.w[name]
	switch {
	case !ok:
		e.fail("no tensor %s", name)
		return name, make([]int, rank)
	case len(t.Shape) != rank:
		e.fail("tensor %s has shape %v, want %d dimensions", name, t.Shape, rank)
		return name, make([]int, rank)
	}
	n := 1
	for _, d := range t.Shape {
		n *= d
	}
	if n != len(t.Data) {
		e.fail("tensor %s: shape %v but %d values", name, t.Shape, len(t.Data))
		return name, t.Shape
	}
	if !e.used[name] {
		e.used[name] = true
		dims := make([]int64, len(t.Shape))
		for i, d := range t.Shape {
			dims[i] = int64(d)
		}
		e.b.Const(name, dims, t.Data)
	}
	return name, t.Shape
}

// vector adds a rank-1 tensor of n values.
func (e *emitter) vector(name string, n int) string {
	s, shape := e.param(name, 1)
	if e.err == nil && shape[0] != n {
		e.fail("tensor %s has %d values, want %d", name, shape[0], n)
	}
	return s
}

// conv appends a convolution with the weight name (OIHW) at stride and
// padding, dilation dil and group count group, with the bias bias if it is
// not empty. It returns the output and the weight's output channels.
func (e *emitter) conv(x, name, bias string, stride, pad, dil, group int) (string, int) {
	w, shape := e.param(name, 4)
	p := onnx.ConvParams{Kernel: []int64{int64(shape[2]), int64(shape[3])}}
	if stride != 1 {
		p.Strides = []int64{int64(stride), int64(stride)}
	}
	if pad != 0 {
		p.Pads = []int64{int64(pad), int64(pad), int64(pad), int64(pad)}
	}
	if dil != 1 {
		p.Dilations = []int64{int64(dil), int64(dil)}
	}
	if group != 1 {
		p.Group = int64(group)
	}
	b := ""
	if bias != "" {
		b = e.vector(bias, shape[0])
	}
	return e.b.Conv(x, w, b, p), shape[0]
}

// bn appends BatchNormalization with prefix.{weight,bias,running_mean,
// running_var} over c channels.
func (e *emitter) bn(x, prefix string, c int) string {
	return e.b.BatchNorm(x, e.vector(prefix+".weight", c), e.vector(prefix+".bias", c),
		e.vector(prefix+".running_mean", c), e.vector(prefix+".running_var", c), onnx.BNEpsilon)
}

// convBN is [ReLU →] convolution → BatchNorm with parameters prefix.conv
// (and prefix.conv_bias if w has it) and prefix.bn: mixedop's ConvUnit,
// DARTS's ReLUConvBN and stem, NAS-Bench-201's ReLUConvBN.
func (e *emitter) convBN(x, prefix string, relu bool, stride, pad int) string {
	if relu {
		x = e.b.Relu(x)
	}
	bias := ""
	if e.has(prefix + ".conv_bias") {
		bias = prefix + ".conv_bias"
	}
	y, c := e.conv(x, prefix+".conv", bias, stride, pad, 1, 1)
	return e.bn(y, prefix+".bn", c)
}

// factorizedReduce is DARTS's FactorizedReduce, parameters prefix.conv1,
// prefix.conv2 and prefix.bn.
func (e *emitter) factorizedReduce(x, prefix string) string {
	r := e.b.Relu(x)
	a, c1 := e.conv(r, prefix+".conv1", "", 2, 0, 1, 1)
	shifted := e.b.Slice(r, []int64{1, 1}, []int64{onnx.ToEnd, onnx.ToEnd}, []int64{2, 3})
	b, c2 := e.conv(shifted, prefix+".conv2", "", 2, 0, 1, 1)
	return e.bn(e.b.Concat(1, a, b), prefix+".bn", c1+c2)
}

func pool(k, stride, pad int) onnx.PoolParams {
	p := onnx.PoolParams{Kernel: []int64{int64(k), int64(k)}}
	if stride != 1 {
		p.Strides = []int64{int64(stride), int64(stride)}
	}
	if pad != 0 {
		p.Pads = []int64{int64(pad), int64(pad), int64(pad), int64(pad)}
	}
	return p
}

// op appends the candidate op called name at stride, parameters prefix.*
// (mixedop.Build's roles), on x. ok is false for 'none', whose output is
// zero and left out of sums.
func (e *emitter) op(x, name, prefix string, stride int) (y string, ok bool) {
	spec, err := mixedop.Lookup(name)
	if err != nil {
		e.fail("%s: %v", prefix, err)
		return x, true
	}
	switch spec.Kind {
	case mixedop.KindZero:
		return "", false
	case mixedop.KindMaxPool:
		return e.b.MaxPool(x, pool(spec.K, stride, spec.K/2)), true
	case mixedop.KindAvgPool:
		return e.b.AveragePool(x, pool(spec.K, stride, spec.K/2)), true
	case mixedop.KindSkip:
		if stride == 1 {
			return x, true
		}
		return e.factorizedReduce(x, prefix+".fr"), true
	case mixedop.KindSepConv:
		h := x
		for i, s := range []int{stride, 1} {
			role := func(r string) string { return fmt.Sprintf("%s.%s%d", prefix, r, i+1) }
			_, shape := e.param(role("dw"), 4)
			h, _ = e.conv(e.b.Relu(h), role("dw"), "", s, spec.K/2, 1, shape[0])
			var c int
			h, c = e.conv(h, role("pw"), "", 1, 0, 1, 1)
			h = e.bn(h, role("bn"), c)
		}
		return h, true
	case mixedop.KindDilConv:
		_, shape := e.param(prefix+".dw", 4)
		h, _ := e.conv(e.b.Relu(x), prefix+".dw", "", stride, spec.Dil*(spec.K-1)/2, spec.Dil, shape[0])
		h, c := e.conv(h, prefix+".pw", "", 1, 0, 1, 1)
		return e.bn(h, prefix+".bn", c), true
	case mixedop.KindReLUConvBN:
		return e.convBN(x, prefix, true, stride, spec.K/2), true
	}
	e.fail("%s: op %q has no ONNX form (it is defined outside darts-go's builtin ops)", prefix, name)
	return x, true
}

// zeros is Mul(x, 0): the zeros of a node whose every op is 'none'.
func (e *emitter) zeros(x string) string {
	if e.zero == "" {
		e.zero = e.b.Const("zero", []int64{}, []float32{0})
	}
	return e.b.Mul(x, e.zero)
}

// sum adds terms: itself for one, Add for two, Sum for more.
func (e *emitter) sum(terms []string) string {
	switch len(terms) {
	case 1:
		return terms[0]
	case 2:
		return e.b.Add(terms[0], terms[1])
	}
	return e.b.Sum(terms...)
}

// head is global average pooling, flattening and the classifier.
func (e *emitter) head(x string) string {
	f := e.b.Flatten(e.b.GlobalAveragePool(x), 1)
	w, shape := e.param("classifier.weight", 2)
	return e.b.Gemm(f, w, e.vector("classifier.bias", shape[0]))
}

// darts emits model.py's NetworkCIFAR in eval mode (no auxiliary head).
func (e *emitter) darts(cfg supernet.DiscreteConfig, x string) string {
	stem := e.convBN(x, "stem", false, 1, 1)
	s0, s1 := stem, stem
	redPrev := false
	for i := 0; i < cfg.Layers; i++ {
		red := supernet.IsReduction(i, cfg.Layers)
		name := "normal"
		if red {
			name = "reduce"
		}
		cell, _ := cfg.Genotype.Cell(name)
		out := e.dartsCell(fmt.Sprintf("cells.%d", i), cell, s0, s1, red, redPrev)
		s0, s1 = s1, out
		redPrev = red
		if e.err != nil {
			return ""
		}
	}
	return e.head(s1)
}

// dartsCell is model.py's Cell for a general DAG, as supernet.Discrete
// builds it: pairs reading a dropped node are skipped, stride 2 on the
// input edges of a reduction cell.
func (e *emitter) dartsCell(prefix string, g derive.Cell, s0, s1 string, red, redPrev bool) string {
	var p0 string
	if redPrev {
		p0 = e.factorizedReduce(s0, prefix+".pre0")
	} else {
		p0 = e.convBN(s0, prefix+".pre0", true, 1, 0)
	}
	p1 := e.convBN(s1, prefix+".pre1", true, 1, 0)
	states := []string{p0, p1}
	live := g.Live()
	j := 0
	for k, node := range g.Nodes {
		var terms, zeroTerms []string
		for _, p := range node {
			op := fmt.Sprintf("%s.ops.%d", prefix, j)
			j++
			if !live[k] || (p.Input >= g.Inputs && !live[p.Input-g.Inputs]) {
				continue
			}
			stride := 1
			if red && p.Input < g.Inputs {
				stride = 2
			}
			in := states[p.Input]
			if y, ok := e.op(in, p.Op, op, stride); ok {
				terms = append(terms, y)
			} else if stride == 1 {
				zeroTerms = append(zeroTerms, e.zeros(in))
			} else {
				zeroTerms = append(zeroTerms, e.zeros(e.b.MaxPool(in, pool(1, 2, 0))))
			}
		}
		switch {
		case !live[k]:
			states = append(states, "")
		case len(terms) > 0:
			states = append(states, e.sum(terms))
		default:
			states = append(states, zeroTerms[0])
		}
	}
	outs := make([]string, len(g.Concat))
	for i, s := range g.Concat {
		if states[s] == "" {
			e.fail("%s: the output concatenates node %d, which the cell drops", prefix, s-g.Inputs)
			return ""
		}
		outs[i] = states[s]
	}
	if len(outs) == 1 {
		return outs[0]
	}
	return e.b.Concat(1, outs...)
}

// nb201 emits AutoDL's TinyNetwork: a stem, three stages of N cells with a
// residual block between them, BatchNorm and ReLU, and the head.
func (e *emitter) nb201(cfg supernet.DiscreteConfig, x string) string {
	h := e.convBN(x, "stem", false, 1, 1)
	cell := cfg.Genotype.Cells[0]
	n := cfg.CellsPerStage
	for i := 0; i < 3*n+2; i++ {
		prefix := fmt.Sprintf("cells.%d", i)
		if i == n || i == 2*n+1 {
			h = e.resBlock(h, prefix)
		} else {
			h = e.nb201Cell(h, prefix, cell)
		}
		if e.err != nil {
			return ""
		}
	}
	_, shape := e.param("lastact.bn.weight", 1)
	h = e.b.Relu(e.bn(h, "lastact.bn", shape[0]))
	return e.head(h)
}

// nb201Cell is AutoDL's InferCell: node k sums its ops on the states they
// read; the cell's output is the last node.
func (e *emitter) nb201Cell(x, prefix string, g derive.Cell) string {
	states := []string{x}
	j := 0
	for _, node := range g.Nodes {
		var terms []string
		for _, p := range node {
			if y, ok := e.op(states[p.Input], p.Op, fmt.Sprintf("%s.ops.%d", prefix, j), 1); ok {
				terms = append(terms, y)
			}
			j++
		}
		if len(terms) == 0 {
			states = append(states, e.zeros(x))
		} else {
			states = append(states, e.sum(terms))
		}
	}
	return states[len(states)-1]
}

// resBlock is NAS-Bench-201's ResNetBasicblock at stride 2:
// conv_b(conv_a(x)) + conv(avgpool2x2(x)).
func (e *emitter) resBlock(x, prefix string) string {
	a := e.convBN(x, prefix+".conv_a", true, 2, 1)
	b := e.convBN(a, prefix+".conv_b", true, 1, 1)
	short, _ := e.conv(e.b.AveragePool(x, pool(2, 2, 0)), prefix+".downsample.conv", "", 1, 0, 1, 1)
	return e.b.Add(short, b)
}
