package onnx

import (
	"fmt"
	"math"
)

// Defaults written by NewBuilder.
const (
	IRVersion            = 7    // ONNX IR version 7 (IR_VERSION_2020_5_8)
	OpsetVersion         = 13   // default-domain operator set
	BatchParam           = "N"  // the symbolic batch dimension of inputs and outputs
	BNEpsilon    float32 = 1e-5 // PyTorch's BatchNorm2d default
)

// Builder assembles a Model node by node. Each op method appends one node
// and returns the name of its output; value names are generated ("Conv_3")
// unless given. Errors (such as a duplicate name) are kept and reported by
// Model and Marshal, so that a network can be built without checking each
// call.
type Builder struct {
	m     Model
	n     int
	names map[string]bool
	err   error
}

// NewBuilder starts a model with IR version 7, opset 13 and the given graph
// and producer names.
func NewBuilder(graphName, producerName, producerVersion string) *Builder {
	return &Builder{
		m:     Model{IRVersion: IRVersion, Opset: OpsetVersion, GraphName: graphName, ProducerName: producerName, ProducerVersion: producerVersion},
		names: map[string]bool{},
	}
}

func (b *Builder) use(name string) string {
	if b.names[name] && b.err == nil {
		b.err = fmt.Errorf("%w: value name %q used twice", ErrInvalid, name)
	}
	b.names[name] = true
	return name
}

func (b *Builder) fresh(op string) string {
	for {
		name := fmt.Sprintf("%s_%d", op, b.n)
		b.n++
		if !b.names[name] {
			return name
		}
	}
}

// Input declares a float graph input of shape [N, dims...], N symbolic.
func (b *Builder) Input(name string, dims ...int64) string {
	b.m.Inputs = append(b.m.Inputs, ValueInfo{Name: b.use(name), ElemType: Float, Shape: batchShape(dims)})
	return name
}

func batchShape(dims []int64) []Dim {
	s := []Dim{{Param: BatchParam}}
	for _, d := range dims {
		s = append(s, Dim{Value: d})
	}
	return s
}

// Output declares the value as a float graph output of shape [N, dims...].
func (b *Builder) Output(value string, dims ...int64) {
	b.m.Outputs = append(b.m.Outputs, ValueInfo{Name: value, ElemType: Float, Shape: batchShape(dims)})
}

// Const adds a float32 initializer and returns its name. The data is not
// copied.
func (b *Builder) Const(name string, dims []int64, data []float32) string {
	b.m.Initializers = append(b.m.Initializers, Tensor{Name: b.use(name), Dims: dims, DataType: Float, Float: data})
	return name
}

// ConstInt64 adds an int64 initializer and returns its name.
func (b *Builder) ConstInt64(name string, dims []int64, data []int64) string {
	b.m.Initializers = append(b.m.Initializers, Tensor{Name: b.use(name), Dims: dims, DataType: Int64, Int64: data})
	return name
}

// Node appends a node of any op type with one output and returns the
// output's name. An empty input name stands for an omitted optional input.
func (b *Builder) Node(opType string, inputs []string, attrs ...Attr) string {
	out := b.use(b.fresh(opType))
	b.m.Nodes = append(b.m.Nodes, Node{OpType: opType, Name: out, Inputs: inputs, Outputs: []string{out}, Attrs: attrs})
	return out
}

// ConvParams are the attributes of Conv. Nil slices are left out (ONNX
// defaults: strides and dilations 1, pads 0); Group 0 is left out (1).
type ConvParams struct {
	Kernel, Strides, Pads, Dilations []int64
	Group                            int64
}

// Conv appends Conv(x, w[, bias]) with w in OIHW layout ([M, C/group, kH,
// kW]); bias "" means none. Pads are [top, left, bottom, right].
func (b *Builder) Conv(x, w, bias string, p ConvParams) string {
	in := []string{x, w}
	if bias != "" {
		in = append(in, bias)
	}
	var a []Attr
	if p.Dilations != nil {
		a = append(a, Ints("dilations", p.Dilations...))
	}
	if p.Group != 0 {
		a = append(a, Int("group", p.Group))
	}
	if p.Kernel != nil {
		a = append(a, Ints("kernel_shape", p.Kernel...))
	}
	if p.Pads != nil {
		a = append(a, Ints("pads", p.Pads...))
	}
	if p.Strides != nil {
		a = append(a, Ints("strides", p.Strides...))
	}
	return b.Node("Conv", in, a...)
}

// BatchNorm appends the inference form of BatchNormalization(x, scale,
// bias, mean, var) with the given epsilon (BNEpsilon for PyTorch's default).
func (b *Builder) BatchNorm(x, scale, bias, mean, variance string, eps float32) string {
	return b.Node("BatchNormalization", []string{x, scale, bias, mean, variance}, FloatAttr("epsilon", eps))
}

// PoolParams are the attributes of MaxPool and AveragePool; nil Strides and
// Pads are left out (1 and 0).
type PoolParams struct {
	Kernel, Strides, Pads []int64
}

func (p PoolParams) attrs() []Attr {
	a := []Attr{Ints("kernel_shape", p.Kernel...)}
	if p.Pads != nil {
		a = append(a, Ints("pads", p.Pads...))
	}
	if p.Strides != nil {
		a = append(a, Ints("strides", p.Strides...))
	}
	return a
}

// MaxPool appends MaxPool (padding never wins).
func (b *Builder) MaxPool(x string, p PoolParams) string {
	return b.Node("MaxPool", []string{x}, p.attrs()...)
}

// AveragePool appends AveragePool with count_include_pad=0, written
// explicitly: padded cells are not counted in the divisor, as in PyTorch's
// AvgPool2d(count_include_pad=False).
func (b *Builder) AveragePool(x string, p PoolParams) string {
	return b.Node("AveragePool", []string{x}, append(p.attrs(), Int("count_include_pad", 0))...)
}

// Relu appends Relu.
func (b *Builder) Relu(x string) string { return b.Node("Relu", []string{x}) }

// Identity appends Identity.
func (b *Builder) Identity(x string) string { return b.Node("Identity", []string{x}) }

// Add appends Add(a, c) (numpy broadcasting).
func (b *Builder) Add(a, c string) string { return b.Node("Add", []string{a, c}) }

// Sub appends Sub(a, c), e.g. input minus a (1,C,1,1) mean.
func (b *Builder) Sub(a, c string) string { return b.Node("Sub", []string{a, c}) }

// Mul appends Mul(a, c), e.g. by a zero scalar for a "none" edge.
func (b *Builder) Mul(a, c string) string { return b.Node("Mul", []string{a, c}) }

// Div appends Div(a, c), e.g. by a (1,C,1,1) standard deviation.
func (b *Builder) Div(a, c string) string { return b.Node("Div", []string{a, c}) }

// Sum appends Sum of one or more inputs.
func (b *Builder) Sum(xs ...string) string { return b.Node("Sum", xs) }

// Concat appends Concat along axis (1 for channels).
func (b *Builder) Concat(axis int64, xs ...string) string {
	return b.Node("Concat", xs, Int("axis", axis))
}

// GlobalAveragePool appends GlobalAveragePool ([N,C,H,W] to [N,C,1,1]).
func (b *Builder) GlobalAveragePool(x string) string {
	return b.Node("GlobalAveragePool", []string{x})
}

// Flatten appends Flatten with the given axis.
func (b *Builder) Flatten(x string, axis int64) string {
	return b.Node("Flatten", []string{x}, Int("axis", axis))
}

// Gemm appends Gemm(a, w, c) = a·wᵀ + c with transB=1, so that w has
// PyTorch's Linear layout [out, in]; c "" means no bias.
func (b *Builder) Gemm(a, w, c string) string {
	in := []string{a, w}
	if c != "" {
		in = append(in, c)
	}
	return b.Node("Gemm", in, Int("transB", 1))
}

// Slice appends Slice(x, starts, ends, axes) with the three lists stored as
// int64 initializers; an end of math.MaxInt64 means "to the end". For
// FactorizedReduce's x[:, :, 1:, 1:] use starts [1,1], ends [MaxInt64,
// MaxInt64], axes [2,3].
func (b *Builder) Slice(x string, starts, ends, axes []int64) string {
	out := b.fresh("Slice")
	n := int64(len(starts))
	s := b.ConstInt64(out+"_starts", []int64{n}, starts)
	e := b.ConstInt64(out+"_ends", []int64{int64(len(ends))}, ends)
	a := b.ConstInt64(out+"_axes", []int64{int64(len(axes))}, axes)
	b.use(out)
	b.m.Nodes = append(b.m.Nodes, Node{OpType: "Slice", Name: out, Inputs: []string{x, s, e, a}, Outputs: []string{out}})
	return out
}

// Pad appends a constant (zero) Pad with pads [x1_begin, x2_begin, ...,
// x1_end, x2_end, ...] over all axes, stored as an int64 initializer.
func (b *Builder) Pad(x string, pads []int64) string {
	out := b.fresh("Pad")
	p := b.ConstInt64(out+"_pads", []int64{int64(len(pads))}, pads)
	b.use(out)
	b.m.Nodes = append(b.m.Nodes, Node{OpType: "Pad", Name: out, Inputs: []string{x, p}, Outputs: []string{out}, Attrs: []Attr{{Name: "mode", Type: AttrString, S: "constant"}}})
	return out
}

// ToEnd is the Slice end that means "through the last element".
const ToEnd = math.MaxInt64

// Model returns the model built so far, or the first error a builder call
// ran into. The model shares the builder's slices.
func (b *Builder) Model() (*Model, error) {
	if b.err != nil {
		return nil, b.err
	}
	m := b.m
	return &m, nil
}
