// Package onnxtest builds the small ONNX models that the tests of package
// onnx, the fixtures in export/onnx/testdata (gen_fixtures.py builds the
// first three again with the official onnx.helper) and tools/onnxcheck share:
// each exercises a part of what a DARTS or NAS-Bench-201 network exports to.
// Weights and inputs are simple exact-in-float32 formulas so that Python can
// recompute them.
//
// It touches nothing; it only returns values.
package onnxtest

import (
	"github.com/darts-go/darts/export/onnx"
	"github.com/darts-go/darts/export/onnx/onnxref"
)

// Producer is the producer name and version of every test model.
const (
	Producer        = "darts-go"
	ProducerVersion = "test"
)

// Case is one test model and the input to run it on.
type Case struct {
	Name       string
	Model      *onnx.Model
	Input      string // the graph input's name
	InputShape []int  // the input's shape, batch 2
	// Fixture says whether export/onnx/testdata/<Name>.onnx, written by
	// gen_fixtures.py with onnx.helper, must equal Model's bytes.
	Fixture bool
}

// Values returns n weights: ((7i + 3seed) mod 17 - 8) / 16.
func Values(n, seed int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32((7*i+3*seed)%17-8) / 16
	}
	return v
}

// Variances returns n positive BatchNorm variances: 0.5 + ((5i + seed) mod 7) / 8.
func Variances(n, seed int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = 0.5 + float32((5*i+seed)%7)/8
	}
	return v
}

// InputData returns the input of a case: ((37i + 11) mod 101 - 50) / 25.
func InputData(n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32((37*i+11)%101-50) / 25
	}
	return v
}

// InputTensor returns the case's input tensor.
func (c *Case) InputTensor() onnxref.Tensor {
	n := 1
	for _, d := range c.InputShape {
		n *= d
	}
	return onnxref.Tensor{Shape: c.InputShape, Data: InputData(n)}
}

func prod(d []int64) int {
	n := 1
	for _, v := range d {
		n *= int(v)
	}
	return n
}

type net struct {
	*onnx.Builder
	seed int
}

func (b *net) w(name string, dims ...int64) string {
	b.seed++
	return b.Const(name, dims, Values(prod(dims), b.seed))
}

func (b *net) bn(x, name string, c int64) string {
	b.seed++
	s := b.Const(name+".weight", []int64{c}, Values(int(c), b.seed))
	bias := b.Const(name+".bias", []int64{c}, Values(int(c), b.seed+1))
	mean := b.Const(name+".running_mean", []int64{c}, Values(int(c), b.seed+2))
	v := b.Const(name+".running_var", []int64{c}, Variances(int(c), b.seed))
	b.seed += 2
	return b.BatchNorm(x, s, bias, mean, v, onnx.BNEpsilon)
}

func newNet(name string) *net {
	return &net{Builder: onnx.NewBuilder(name, Producer, ProducerVersion)}
}

func must(m *onnx.Model, err error) *onnx.Model {
	if err != nil {
		panic(err) // the cases are fixed; a failure here is a bug in them
	}
	return m
}

// Chain is input normalization, Conv+BN+Relu, MaxPool, AveragePool,
// GlobalAveragePool, Flatten and Gemm: a DARTS network's stem and head.
func Chain() Case {
	b := newNet("chain")
	x := b.Input("input", 3, 8, 8)
	mean := b.Const("mean", []int64{1, 3, 1, 1}, []float32{0.5, 0.25, -0.25})
	std := b.Const("std", []int64{1, 3, 1, 1}, []float32{0.5, 0.25, 2})
	h := b.Div(b.Sub(x, mean), std)
	h = b.Conv(h, b.w("stem.conv.weight", 4, 3, 3, 3), b.w("stem.conv.bias", 4), onnx.ConvParams{Kernel: []int64{3, 3}, Pads: []int64{1, 1, 1, 1}})
	h = b.Relu(b.bn(h, "stem.bn", 4))
	h = b.MaxPool(h, onnx.PoolParams{Kernel: []int64{3, 3}, Strides: []int64{2, 2}, Pads: []int64{1, 1, 1, 1}})
	h = b.AveragePool(h, onnx.PoolParams{Kernel: []int64{3, 3}, Strides: []int64{1, 1}, Pads: []int64{1, 1, 1, 1}})
	h = b.Flatten(b.GlobalAveragePool(h), 1)
	out := b.Gemm(h, b.w("classifier.weight", 10, 4), b.w("classifier.bias", 10))
	b.Output(out, 10)
	return Case{Name: "chain", Model: must(b.Model()), Input: x, InputShape: []int{2, 3, 8, 8}, Fixture: true}
}

// Branches is a DARTS-like mixed node: a dilated depthwise-separable branch,
// pools, Add, Sum, a zero ('none') edge as Mul by 0, Identity and Concat.
func Branches() Case {
	b := newNet("branches")
	x := b.Input("input", 4, 6, 6)
	a := b.Relu(x)
	dw := b.Conv(a, b.w("dil.dw", 4, 1, 3, 3), "", onnx.ConvParams{Kernel: []int64{3, 3}, Pads: []int64{2, 2, 2, 2}, Dilations: []int64{2, 2}, Group: 4})
	pw := b.Conv(dw, b.w("dil.pw", 4, 4, 1, 1), "", onnx.ConvParams{Kernel: []int64{1, 1}})
	b1 := b.bn(pw, "dil.bn", 4)
	b2 := b.AveragePool(x, onnx.PoolParams{Kernel: []int64{3, 3}, Strides: []int64{1, 1}, Pads: []int64{1, 1, 1, 1}})
	b3 := b.MaxPool(x, onnx.PoolParams{Kernel: []int64{3, 3}, Strides: []int64{1, 1}, Pads: []int64{1, 1, 1, 1}})
	s1 := b.Add(b1, b2)
	s2 := b.Sum(b1, b2, b3)
	zero := b.Const("zero", []int64{}, []float32{0})
	s3 := b.Add(s2, b.Mul(x, zero))
	out := b.Concat(1, s1, s3, b.Identity(x))
	b.Output(out, 12, 6, 6)
	return Case{Name: "branches", Model: must(b.Model()), Input: x, InputShape: []int{2, 4, 6, 6}, Fixture: true}
}

// FactorizedReduce is DARTS's FactorizedReduce: Relu, two stride-2 1×1
// convolutions, one of them on x[:, :, 1:, 1:] (Slice), Concat and BN.
func FactorizedReduce() Case {
	b := newNet("factorized_reduce")
	x := b.Input("input", 4, 8, 8)
	r := b.Relu(x)
	p := onnx.ConvParams{Kernel: []int64{1, 1}, Strides: []int64{2, 2}}
	c1 := b.Conv(r, b.w("conv_1.weight", 2, 4, 1, 1), "", p)
	sl := b.Slice(r, []int64{1, 1}, []int64{onnx.ToEnd, onnx.ToEnd}, []int64{2, 3})
	c2 := b.Conv(sl, b.w("conv_2.weight", 2, 4, 1, 1), "", p)
	out := b.bn(b.Concat(1, c1, c2), "bn", 4)
	b.Output(out, 4, 4, 4)
	return Case{Name: "factorized_reduce", Model: must(b.Model()), Input: x, InputShape: []int{2, 4, 8, 8}, Fixture: true}
}

// Conv7 is DARTS's conv_7x1_1x7 with stride 2 behind a Pad: asymmetric
// kernels, strides and pads.
func Conv7() Case {
	b := newNet("conv_7x1_1x7")
	x := b.Input("input", 3, 7, 7)
	h := b.Relu(b.Pad(x, []int64{0, 0, 1, 1, 0, 0, 1, 1}))
	h = b.Conv(h, b.w("op.1.weight", 3, 3, 1, 7), "", onnx.ConvParams{Kernel: []int64{1, 7}, Strides: []int64{1, 2}, Pads: []int64{0, 3, 0, 3}})
	h = b.Conv(h, b.w("op.2.weight", 3, 3, 7, 1), "", onnx.ConvParams{Kernel: []int64{7, 1}, Strides: []int64{2, 1}, Pads: []int64{3, 0, 3, 0}})
	out := b.bn(h, "op.3", 3)
	b.Output(out, 3, 5, 5)
	return Case{Name: "conv7", Model: must(b.Model()), Input: x, InputShape: []int{2, 3, 7, 7}}
}

// PoolBorders is AveragePool (count_include_pad 0) and MaxPool, 3×3 with
// stride 2 and padding 1 on an odd-sized input, so that the windows at every
// border include padded cells; tools/onnxcheck compares it with PyTorch's
// avg_pool2d(count_include_pad=False) and max_pool2d.
func PoolBorders() Case {
	b := newNet("pool_borders")
	x := b.Input("input", 2, 7, 7)
	p := onnx.PoolParams{Kernel: []int64{3, 3}, Strides: []int64{2, 2}, Pads: []int64{1, 1, 1, 1}}
	avg := b.AveragePool(x, p)
	mx := b.MaxPool(x, p)
	b.Output(avg, 2, 4, 4)
	b.Output(mx, 2, 4, 4)
	return Case{Name: "pool_borders", Model: must(b.Model()), Input: x, InputShape: []int{2, 2, 7, 7}}
}

// NB201Cell is a NAS-Bench-201 cell (4 nodes, 6 edges) with one edge of
// each kind: nor_conv_3x3 and nor_conv_1x1 (Relu-Conv-BN), avg_pool_3x3,
// skip_connect and none, then a ResNet-style head.
func NB201Cell() Case {
	b := newNet("nb201_cell")
	x := b.Input("input", 4, 8, 8)
	rcb := func(h, name string, k int64) string {
		c := b.Conv(b.Relu(h), b.w(name+".conv", 4, 4, k, k), "", onnx.ConvParams{Kernel: []int64{k, k}, Pads: []int64{k / 2, k / 2, k / 2, k / 2}})
		return b.bn(c, name+".bn", 4)
	}
	n1 := rcb(x, "edge_1_0", 3)                                                                                                                      // 0->1 nor_conv_3x3
	n2 := b.Sum(b.AveragePool(x, onnx.PoolParams{Kernel: []int64{3, 3}, Strides: []int64{1, 1}, Pads: []int64{1, 1, 1, 1}}), rcb(n1, "edge_2_1", 1)) // 0->2 avg_pool, 1->2 nor_conv_1x1
	zero := b.Const("zero", []int64{}, []float32{0})
	n3 := b.Sum(b.Mul(x, zero), b.Identity(n1), n2) // 0->3 none, 1->3 skip, 2->3 skip
	h := b.Flatten(b.GlobalAveragePool(b.Relu(b.bn(n3, "lastact.bn", 4))), 1)
	out := b.Gemm(h, b.w("classifier.weight", 5, 4), b.w("classifier.bias", 5))
	b.Output(out, 5)
	return Case{Name: "nb201_cell", Model: must(b.Model()), Input: x, InputShape: []int{2, 4, 8, 8}}
}

// Cases returns every test model.
func Cases() []Case {
	return []Case{Chain(), Branches(), FactorizedReduce(), Conv7(), PoolBorders(), NB201Cell()}
}
