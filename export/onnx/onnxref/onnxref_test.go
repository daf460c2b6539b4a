package onnxref_test

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/darts-go/darts/export/onnx"
	"github.com/darts-go/darts/export/onnx/onnxref"
	"github.com/darts-go/darts/export/onnx/onnxtest"
)

func seq(n int, f func(i int) float32) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = f(i)
	}
	return v
}

// run builds a one-input model with build and runs it on x.
func run(t *testing.T, x onnxref.Tensor, build func(b *onnx.Builder, x string) string, outDims ...int64) onnxref.Tensor {
	t.Helper()
	b := onnx.NewBuilder("t", "t", "0")
	dims := make([]int64, len(x.Shape)-1)
	for i := range dims {
		dims[i] = int64(x.Shape[i+1])
	}
	in := b.Input("x", dims...)
	b.Output(build(b, in), outDims...)
	m, err := b.Model()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.InferShapes(); err != nil {
		t.Fatal(err)
	}
	res, err := onnxref.Run(m, map[string]onnxref.Tensor{"x": x})
	if err != nil {
		t.Fatal(err)
	}
	return res[m.Outputs[0].Name]
}

var nine = onnxref.Tensor{Shape: []int{1, 1, 3, 3}, Data: seq(9, func(i int) float32 { return float32(i + 1) })}

func TestAveragePoolExcludesPadding(t *testing.T) {
	// 1 2 3 / 4 5 6 / 7 8 9, 3x3 windows, stride 1, padding 1: the corner
	// averages 4 cells, an edge 6, the centre 9.
	got := run(t, nine, func(b *onnx.Builder, x string) string {
		return b.AveragePool(x, onnx.PoolParams{Kernel: []int64{3, 3}, Pads: []int64{1, 1, 1, 1}})
	}, 1, 3, 3)
	want := []float32{12.0 / 4, 21.0 / 6, 16.0 / 4, 27.0 / 6, 45.0 / 9, 33.0 / 6, 24.0 / 4, 39.0 / 6, 28.0 / 4}
	if !reflect.DeepEqual(got.Data, want) {
		t.Errorf("got %v, want %v", got.Data, want)
	}
}

func TestMaxPoolIgnoresPadding(t *testing.T) {
	neg := onnxref.Tensor{Shape: nine.Shape, Data: seq(9, func(i int) float32 { return -float32(i + 1) })}
	got := run(t, neg, func(b *onnx.Builder, x string) string {
		return b.MaxPool(x, onnx.PoolParams{Kernel: []int64{3, 3}, Strides: []int64{2, 2}, Pads: []int64{1, 1, 1, 1}})
	}, 1, 2, 2)
	// Each window holds 4 real cells and 5 padded ones; a zero pad would win.
	if want := []float32{-1, -2, -4, -5}; !reflect.DeepEqual(got.Data, want) {
		t.Errorf("got %v, want %v", got.Data, want)
	}
}

func TestConvByHand(t *testing.T) {
	ones := onnxref.Tensor{Shape: []int{1, 1, 3, 3}, Data: seq(9, func(int) float32 { return 1 })}
	got := run(t, ones, func(b *onnx.Builder, x string) string {
		w := b.Const("w", []int64{1, 1, 3, 3}, seq(9, func(int) float32 { return 1 }))
		return b.Conv(x, w, b.Const("b", []int64{1}, []float32{0.5}), onnx.ConvParams{Pads: []int64{1, 1, 1, 1}})
	}, 1, 3, 3)
	if want := []float32{4.5, 6.5, 4.5, 6.5, 9.5, 6.5, 4.5, 6.5, 4.5}; !reflect.DeepEqual(got.Data, want) {
		t.Errorf("got %v, want %v", got.Data, want)
	}
	// Depthwise, dilation 2, pads 2, on 2 channels of 1..9 and 10..18 with
	// all-1 and all-(-1) kernels: taps are 2 apart, so output (0,0) sees the
	// four corners, (0,1) the top and bottom middles, the centre only itself.
	two := onnxref.Tensor{Shape: []int{1, 2, 3, 3}, Data: seq(18, func(i int) float32 { return float32(i + 1) })}
	got = run(t, two, func(b *onnx.Builder, x string) string {
		w := b.Const("w", []int64{2, 1, 3, 3}, seq(18, func(i int) float32 { return float32(1 - 2*(i/9)) }))
		return b.Conv(x, w, "", onnx.ConvParams{Pads: []int64{2, 2, 2, 2}, Dilations: []int64{2, 2}, Group: 2})
	}, 2, 3, 3)
	if got.Data[0] != 1+3+7+9 || got.Data[1] != 2+8 || got.Data[4] != 5 || got.Data[13] != -14 || got.Data[9] != -(10+12+16+18) {
		t.Errorf("dilated depthwise: %v", got.Data)
	}
}

func TestSliceConcatGemmBN(t *testing.T) {
	got := run(t, nine, func(b *onnx.Builder, x string) string {
		return b.Slice(x, []int64{1, 1}, []int64{onnx.ToEnd, onnx.ToEnd}, []int64{2, 3})
	}, 1, 2, 2)
	if want := []float32{5, 6, 8, 9}; !reflect.DeepEqual(got.Data, want) {
		t.Errorf("slice %v", got.Data)
	}
	got = run(t, nine, func(b *onnx.Builder, x string) string {
		return b.Concat(1, x, b.Relu(b.Sub(x, b.Const("five", []int64{}, []float32{5}))))
	}, 2, 3, 3)
	if want := append(seq(9, func(i int) float32 { return float32(i + 1) }), 0, 0, 0, 0, 0, 1, 2, 3, 4); !reflect.DeepEqual(got.Data, want) {
		t.Errorf("concat %v", got.Data)
	}
	v := onnxref.Tensor{Shape: []int{2, 3}, Data: []float32{1, 2, 3, 4, 5, 6}}
	got = run(t, v, func(b *onnx.Builder, x string) string {
		return b.Gemm(x, b.Const("w", []int64{2, 3}, []float32{1, 0, -1, 0.5, 0.5, 0.5}), b.Const("c", []int64{2}, []float32{10, 20}))
	}, 2)
	if want := []float32{1 - 3 + 10, 3 + 20, 4 - 6 + 10, 7.5 + 20}; !reflect.DeepEqual(got.Data, want) {
		t.Errorf("gemm %v, want %v", got.Data, want)
	}
	c := onnxref.Tensor{Shape: []int{1, 2, 1, 1}, Data: []float32{3, 3}}
	got = run(t, c, func(b *onnx.Builder, x string) string {
		k := func(n string, v ...float32) string { return b.Const(n, []int64{2}, v) }
		return b.BatchNorm(x, k("s", 2, 1), k("b", 0, 1), k("m", 1, 3), k("v", 4-1e-5, 1-1e-5), onnx.BNEpsilon)
	}, 2, 1, 1)
	if math.Abs(float64(got.Data[0]-2)) > 1e-6 || math.Abs(float64(got.Data[1]-1)) > 1e-6 {
		t.Errorf("batchnorm %v, want [2 1]", got.Data)
	}
	got = run(t, nine, func(b *onnx.Builder, x string) string {
		return b.Pad(x, []int64{0, 0, 1, 0, 0, 0, 0, 1})
	}, 1, 4, 4)
	if want := []float32{0, 0, 0, 0, 1, 2, 3, 0, 4, 5, 6, 0, 7, 8, 9, 0}; !reflect.DeepEqual(got.Data, want) {
		t.Errorf("pad %v", got.Data)
	}
}

func TestCasesRun(t *testing.T) {
	for _, c := range onnxtest.Cases() {
		res, err := onnxref.Run(c.Model, map[string]onnxref.Tensor{c.Input: c.InputTensor()})
		if err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		for name, v := range res {
			for _, x := range v.Data {
				if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
					t.Fatalf("%s: output %s has %v", c.Name, name, x)
				}
			}
		}
	}
}

func TestRunErrors(t *testing.T) {
	m := onnxtest.Chain().Model
	if _, err := onnxref.Run(m, nil); err == nil {
		t.Error("missing input accepted")
	}
	if _, err := onnxref.Run(m, map[string]onnxref.Tensor{"input": {Shape: []int{2, 3, 8, 9}, Data: make([]float32, 2*3*8*9)}}); err == nil {
		t.Error("wrong input shape accepted")
	}
}

// FuzzRun decodes arbitrary bytes as a model and runs it on zeros: Run must
// return a result or an error, never panic.
func FuzzRun(f *testing.F) {
	for _, c := range onnxtest.Cases() {
		b, err := c.Model.Marshal()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		m, err := onnx.Unmarshal(in)
		if err != nil {
			return
		}
		inputs := map[string]onnxref.Tensor{}
		for _, v := range m.Inputs {
			shape := make([]int, len(v.Shape))
			n := 1
			for i, d := range v.Shape {
				shape[i] = 1
				if d.Param == "" {
					if d.Value < 0 || d.Value > 64 {
						return
					}
					shape[i] = int(d.Value)
				}
				n *= shape[i]
			}
			if n > 1<<16 {
				return
			}
			inputs[v.Name] = onnxref.Tensor{Shape: shape, Data: make([]float32, n)}
		}
		_, _ = onnxref.Run(m, inputs)
	})
}

// TestONNXNodeTests runs ONNX's own backend test cases for the supported
// ops (testdata/onnx-node, from Debian's libonnx-testdata 1.12.0).
func TestONNXNodeTests(t *testing.T) {
	dirs, err := filepath.Glob("testdata/onnx-node/test_*")
	if err != nil || len(dirs) < 30 {
		t.Fatalf("%d test cases, %v", len(dirs), err)
	}
	for _, dir := range dirs {
		name := filepath.Base(dir)
		t.Run(name, func(t *testing.T) {
			m, err := onnx.ReadFile(filepath.Join(dir, "model.onnx"))
			if err != nil {
				t.Fatal(err)
			}
			read := func(f string) onnx.Tensor {
				b, err := os.ReadFile(filepath.Join(dir, "test_data_set_0", f))
				if err != nil {
					t.Fatal(err)
				}
				x, err := onnx.UnmarshalTensor(b)
				if err != nil {
					t.Fatal(err)
				}
				return x
			}
			// int64 inputs (Slice's starts, ends, axes, steps) become
			// initializers, which is how Builder writes them.
			inputs := map[string]onnxref.Tensor{}
			var graphInputs []onnx.ValueInfo
			for i, v := range m.Inputs {
				x := read(fmt.Sprintf("input_%d.pb", i))
				if x.DataType == onnx.Int64 {
					x.Name = v.Name
					m.Initializers = append(m.Initializers, x)
					continue
				}
				graphInputs = append(graphInputs, v)
				shape := make([]int, len(x.Dims))
				for j, d := range x.Dims {
					shape[j] = int(d)
				}
				inputs[v.Name] = onnxref.Tensor{Shape: shape, Data: x.Float}
			}
			m.Inputs = graphInputs
			res, err := onnxref.Run(m, inputs)
			if name == "test_conv_with_autopad_same" {
				if err == nil || !strings.Contains(err.Error(), "auto_pad") {
					t.Fatalf("auto_pad SAME accepted: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := read("output_0.pb")
			got := res[m.Outputs[0].Name]
			if len(got.Data) != len(want.Float) || len(got.Shape) != len(want.Dims) {
				t.Fatalf("output shape %v, want %v", got.Shape, want.Dims)
			}
			for i := range got.Shape {
				if int64(got.Shape[i]) != want.Dims[i] {
					t.Fatalf("output shape %v, want %v", got.Shape, want.Dims)
				}
			}
			for i := range got.Data {
				if d := math.Abs(float64(got.Data[i] - want.Float[i])); d > 1e-5 {
					t.Fatalf("element %d: %v, want %v", i, got.Data[i], want.Float[i])
				}
			}
		})
	}
}
