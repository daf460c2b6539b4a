package onnx_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/darts-go/darts/export/onnx"
	"github.com/darts-go/darts/export/onnx/onnxtest"
)

// TestFixtures requires the Builder's bytes to equal those of the same
// models built with the official onnx.helper (testdata/gen_fixtures.py).
func TestFixtures(t *testing.T) {
	n := 0
	for _, c := range onnxtest.Cases() {
		if !c.Fixture {
			continue
		}
		n++
		want, err := os.ReadFile(filepath.Join("testdata", c.Name+".onnx"))
		if err != nil {
			t.Fatal(err)
		}
		got, err := c.Model.Marshal()
		if err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		if !bytes.Equal(got, want) {
			fm, ferr := onnx.Unmarshal(want)
			t.Errorf("%s: %d bytes differ from onnx.helper's %d (fixture decodes to %+v, %v)", c.Name, len(got), len(want), fm, ferr)
		}
	}
	if n != 3 {
		t.Fatalf("%d fixture cases", n)
	}
}

// TestStructure decodes the fixture written by onnx.helper and checks the
// fields the task fixes: IR version, opset, producer, symbolic batch,
// count_include_pad, transB and raw little-endian weights.
func TestStructure(t *testing.T) {
	m, err := onnx.ReadFile("testdata/chain.onnx")
	if err != nil {
		t.Fatal(err)
	}
	if m.IRVersion != 7 || m.Opset != 13 || m.ProducerName != "darts-go" || m.ProducerVersion != "test" || m.GraphName != "chain" {
		t.Errorf("header %+v", m)
	}
	in := m.Inputs[0]
	if in.Name != "input" || in.ElemType != onnx.Float || !reflect.DeepEqual(in.Shape, []onnx.Dim{{Param: "N"}, {Value: 3}, {Value: 8}, {Value: 8}}) {
		t.Errorf("input %+v", in)
	}
	if out := m.Outputs[0]; out.Name != "Gemm_9" || !reflect.DeepEqual(out.Shape, []onnx.Dim{{Param: "N"}, {Value: 10}}) {
		t.Errorf("output %+v", out)
	}
	var ops []string
	for _, n := range m.Nodes {
		ops = append(ops, n.OpType)
	}
	if got := strings.Join(ops, " "); got != "Sub Div Conv BatchNormalization Relu MaxPool AveragePool GlobalAveragePool Flatten Gemm" {
		t.Errorf("ops %s", got)
	}
	if a, ok := m.Nodes[6].Attr("count_include_pad"); !ok || a.Type != onnx.AttrInt || a.I != 0 {
		t.Errorf("AveragePool count_include_pad %+v", a)
	}
	if a, ok := m.Nodes[9].Attr("transB"); !ok || a.I != 1 {
		t.Errorf("Gemm transB %+v", a)
	}
	if a, ok := m.Nodes[3].Attr("epsilon"); !ok || a.F != float32(1e-5) || len(m.Nodes[3].Inputs) != 5 {
		t.Errorf("BN %+v", m.Nodes[3])
	}
	w := m.Initializers[2]
	if w.Name != "stem.conv.weight" || !reflect.DeepEqual(w.Dims, []int64{4, 3, 3, 3}) || w.Float[0] != onnxtest.Values(1, 1)[0] {
		t.Errorf("weight %s %v %v", w.Name, w.Dims, w.Float[:3])
	}
	// The raw bytes themselves: find the weight's raw_data in the file and
	// read it as little-endian float32.
	raw, _ := os.ReadFile("testdata/chain.onnx")
	var le []byte
	for _, v := range w.Float {
		le = binary.LittleEndian.AppendUint32(le, math.Float32bits(v))
	}
	if !bytes.Contains(raw, le) {
		t.Error("weights are not stored as little-endian raw_data")
	}
	fr, err := onnx.ReadFile("testdata/factorized_reduce.onnx")
	if err != nil {
		t.Fatal(err)
	}
	var ends []int64
	for _, it := range fr.Initializers {
		if strings.HasSuffix(it.Name, "_ends") {
			ends = it.Int64
		}
	}
	if !reflect.DeepEqual(ends, []int64{math.MaxInt64, math.MaxInt64}) {
		t.Errorf("slice ends %v", ends)
	}
}

func sortAttrs(m *onnx.Model) {
	for i := range m.Nodes {
		a := m.Nodes[i].Attrs
		sort.SliceStable(a, func(x, y int) bool { return a[x].Name < a[y].Name })
	}
}

func TestRoundTrip(t *testing.T) {
	for _, c := range onnxtest.Cases() {
		b, err := c.Model.Marshal()
		if err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		m, err := onnx.Unmarshal(b)
		if err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		want := *c.Model
		want.Nodes = slices.Clone(want.Nodes)
		for i := range want.Nodes {
			want.Nodes[i].Attrs = slices.Clone(want.Nodes[i].Attrs)
		}
		sortAttrs(&want)
		for i := range want.Initializers {
			if len(want.Initializers[i].Dims) == 0 {
				want.Initializers[i].Dims = nil
			}
		}
		if !reflect.DeepEqual(m, &want) {
			t.Errorf("%s: round trip\n got %+v\nwant %+v", c.Name, m, &want)
		}
	}
}

func TestInferShapes(t *testing.T) {
	for _, c := range onnxtest.Cases() {
		if _, err := c.Model.InferShapes(); err != nil {
			t.Errorf("%s: %v", c.Name, err)
		}
	}
	s, err := onnxtest.FactorizedReduce().Model.InferShapes()
	if err != nil {
		t.Fatal(err)
	}
	if got := s["Slice_2"]; !reflect.DeepEqual(got, []onnx.Dim{{Param: "N"}, {Value: 4}, {Value: 7}, {Value: 7}}) {
		t.Errorf("x[:, :, 1:, 1:] of 8x8 has shape %v", got)
	}
	bad := func(name string, build func(b *onnx.Builder), want string) {
		t.Helper()
		b := onnx.NewBuilder("bad", "t", "0")
		build(b)
		m, err := b.Model()
		if err == nil {
			_, err = m.InferShapes()
		}
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want one containing %q", name, err, want)
		}
	}
	bad("conv channels", func(b *onnx.Builder) {
		x := b.Input("x", 3, 4, 4)
		b.Output(b.Conv(x, b.Const("w", []int64{2, 4, 1, 1}, make([]float32, 8)), "", onnx.ConvParams{}), 2, 4, 4)
	}, "input channels")
	bad("add", func(b *onnx.Builder) {
		x := b.Input("x", 3, 4, 4)
		b.Output(b.Add(x, b.Const("c", []int64{1, 2, 1, 1}, make([]float32, 2))), 3, 4, 4)
	}, "do not broadcast")
	bad("concat", func(b *onnx.Builder) {
		x := b.Input("x", 3, 4, 4)
		y := b.MaxPool(x, onnx.PoolParams{Kernel: []int64{2, 2}, Strides: []int64{2, 2}})
		b.Output(b.Concat(1, x, y), 6, 4, 4)
	}, "differ off axis")
	bad("declared output", func(b *onnx.Builder) {
		x := b.Input("x", 3, 4, 4)
		b.Output(b.Relu(x), 3, 4, 5)
	}, "declared")
	bad("gemm", func(b *onnx.Builder) {
		x := b.Input("x", 3)
		b.Output(b.Gemm(x, b.Const("w", []int64{2, 4}, make([]float32, 8)), ""), 2)
	}, "do not fit")
	bad("duplicate", func(b *onnx.Builder) {
		b.Input("x", 3)
		b.Const("x", []int64{1}, []float32{1})
	}, "used twice")
	bad("initializer size", func(b *onnx.Builder) {
		x := b.Input("x", 3)
		b.Output(b.Add(x, b.Const("c", []int64{3}, []float32{1})), 3)
	}, "does not match its data")
	bad("undefined", func(b *onnx.Builder) {
		b.Input("x", 3)
		b.Output(b.Relu("y"), 3)
	}, "before it is defined")
	bad("unknown op", func(b *onnx.Builder) {
		x := b.Input("x", 3)
		b.Output(b.Node("Softmax", []string{x}), 3)
	}, "not known")
}

func TestUnmarshalRejects(t *testing.T) {
	good, err := os.ReadFile("testdata/branches.onnx")
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string][]byte{
		"truncated":      good[:len(good)-5],
		"bad tag":        {0xff, 0xff},
		"no opset":       {0x08, 0x07},
		"other domain":   append([]byte{0x08, 0x07}, 0x42, 0x0c, 0x0a, 0x08, 'a', 'i', '.', 'o', 'n', 'n', 'x', 'X', 0x10, 0x01),
		"float_data":     {0x08, 0x07, 0x3a, 0x07, 0x2a, 0x05, 0x25, 0, 0, 0x80, 0x3f, 0x42, 0x02, 0x10, 0x0d},
		"ir as string":   {0x0a, 0x01, 'x'},
		"raw data short": {0x08, 0x07, 0x42, 0x02, 0x10, 0x0d, 0x3a, 0x0b, 0x2a, 0x09, 0x08, 0x02, 0x10, 0x01, 0x4a, 0x03, 0, 0, 0},
	}
	for name, in := range cases {
		_, err := onnx.Unmarshal(in)
		if !errors.Is(err, onnx.ErrProto) && !errors.Is(err, onnx.ErrUnsupported) && !errors.Is(err, onnx.ErrInvalid) {
			t.Errorf("%s: error %v", name, err)
		}
	}
}

func FuzzUnmarshal(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.onnx")
	for _, p := range files {
		b, err := os.ReadFile(p)
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
		_, _ = m.InferShapes() // must not panic
		b, err := m.Marshal()
		if err != nil {
			return // decodable but not a valid model
		}
		m2, err := onnx.Unmarshal(b)
		if err != nil {
			t.Fatalf("re-decoding: %v", err)
		}
		b2, err := m2.Marshal()
		if err != nil || !bytes.Equal(b, b2) {
			t.Fatalf("marshal is not stable: %v", err)
		}
	})
}

func FuzzUnmarshalTensor(f *testing.F) {
	seeds, _ := filepath.Glob("onnxref/testdata/onnx-node/test_slice/test_data_set_0/*.pb")
	for _, p := range seeds {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		x, err := onnx.UnmarshalTensor(in)
		if err != nil {
			return
		}
		if x.DataType == onnx.Float && len(x.Float) == 0 && len(x.Dims) == 0 {
			t.Fatalf("a scalar float tensor without its element")
		}
	})
}
