package paramio

import (
	"encoding/json"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/darts-go/darts/internal/tensorio"
	"github.com/darts-go/darts/mixedop"
)

func params[T Float](scale T) []*mixedop.Param[T] {
	return []*mixedop.Param[T]{
		{Name: "conv", Shape: []int{2, 1, 3}, Value: []T{1 * scale, 2, 3, 4, 5, 6}},
		{Name: "bias", Shape: []int{2}, Value: []T{-1 * scale, 0.5}},
	}
}

// roundTrip writes ts through tensorio's encoder and reads them back, so
// that the tests see what a file holds.
func roundTrip(t *testing.T, ts []tensorio.Tensor) []tensorio.Tensor {
	t.Helper()
	var b strings.Builder
	if err := tensorio.Write(&b, map[string]string{"format": "x"}, ts); err != nil {
		t.Fatal(err)
	}
	_, out, err := tensorio.Read(strings.NewReader(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestRoundTripExactKeepsBits(t *testing.T) {
	src := params[float32](1)
	nan := math.Float32frombits(0x7fc00123) // a NaN with a payload
	src[0].Value[3] = nan
	ts := roundTrip(t, Tensors(Group[float32]{"w/", src}))
	if ts[0].Name != "w/conv" || !slices.Equal(ts[0].Shape, []int{2, 1, 3}) || ts[0].DType() != "float32" {
		t.Fatalf("tensor 0 = %q %v %s", ts[0].Name, ts[0].Shape, ts[0].DType())
	}
	dst := params[float32](0)
	apply, err := Check("f", ts, Match{Exact: true, Only: true}, Group[float32]{"w/", dst})
	if err != nil {
		t.Fatal(err)
	}
	if dst[0].Value[0] != 0 {
		t.Fatal("Check changed a parameter before apply")
	}
	apply()
	for i := range src {
		for j, v := range src[i].Value {
			if math.Float32bits(v) != math.Float32bits(dst[i].Value[j]) {
				t.Errorf("%s[%d] = %v, want %v (bits)", src[i].Name, j, dst[i].Value[j], v)
			}
		}
	}
}

func TestConvertsPrecisionUnlessExact(t *testing.T) {
	ts := roundTrip(t, Tensors(Group[float64]{"", params[float64](1.25)}))
	dst := params[float32](0)
	if _, err := Check("m.dgo", ts, Match{Exact: true}, Group[float32]{"", dst}); err == nil ||
		!strings.Contains(err.Error(), `m.dgo: tensor "conv" is float64, the network is float32`) {
		t.Fatalf("exact precision: err = %v", err)
	}
	apply, err := Check("m.dgo", ts, Match{}, Group[float32]{"", dst})
	if err != nil {
		t.Fatal(err)
	}
	apply()
	if dst[0].Value[0] != 1.25 || dst[1].Value[0] != -1.25 || dst[1].Value[1] != 0.5 {
		t.Fatalf("converted values %v %v", dst[0].Value, dst[1].Value)
	}
}

func TestCheckErrors(t *testing.T) {
	good := Tensors(Group[float64]{"w/", params[float64](1)})
	reshaped := slices.Clone(good)
	reshaped[0].Shape = []int{3, 2}
	flat := slices.Clone(good)
	flat[0].Shape = []int{6}
	short := slices.Clone(flat)
	short[0] = Tensor("w/conv", []int{5}, []float64{1, 2, 3, 4, 5})
	ints := slices.Clone(good)
	ints[1] = tensorio.Tensor{Name: "w/bias", Shape: []int{2}, I64: []int64{1, 2}}
	extra := append(slices.Clone(good), Tensor[float64]("w/other", nil, []float64{1}))
	cases := []struct {
		name string
		ts   []tensorio.Tensor
		m    Match
		want string // "" = accepted
	}{
		{"good", good, Match{Only: true}, ""},
		{"missing", good[:1], Match{What: "checkpoint"}, `f: checkpoint has no tensor "w/bias"`},
		{"shape", reshaped, Match{}, `f: tensor "w/conv" has shape [3 2], the network needs [2 1 3]`},
		{"flat vector refused", flat, Match{}, `f: tensor "w/conv" has shape [6], the network needs [2 1 3]`},
		{"flat vector of another length", short, Match{}, `f: tensor "w/conv" has shape [5], the network needs [2 1 3]`},
		{"integers", ints, Match{}, `f: tensor "w/bias" is int64, want float32 or float64`},
		{"extra allowed", extra, Match{}, ""},
		{"extra refused", extra, Match{Only: true}, `f: tensor "w/other" is not part of this network`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dst := params[float64](0)
			before := [][]float64{slices.Clone(dst[0].Value), slices.Clone(dst[1].Value)}
			apply, err := Check("f", c.ts, c.m, Group[float64]{"w/", dst})
			if c.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				apply()
				if dst[0].Value[5] != 6 || dst[1].Value[1] != 0.5 {
					t.Fatalf("not restored: %v %v", dst[0].Value, dst[1].Value)
				}
				return
			}
			if err == nil || err.Error() != c.want && !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
			if !slices.Equal(before[0], dst[0].Value) || !slices.Equal(before[1], dst[1].Value) {
				t.Fatal("a failed Check changed the parameters")
			}
		})
	}
}

func TestSplitAndPrefixed(t *testing.T) {
	ts := []tensorio.Tensor{{Name: "sgd/a"}, {Name: "w/b"}, {Name: "sgd/c"}}
	in, rest := Split(ts, "sgd/")
	if len(in) != 2 || in[0].Name != "a" || in[1].Name != "c" || len(rest) != 1 || rest[0].Name != "w/b" {
		t.Fatalf("Split: %v %v", in, rest)
	}
	if ts[0].Name != "sgd/a" {
		t.Fatal("Split renamed its input")
	}
	back := Prefixed("sgd/", in)
	if back[0].Name != "sgd/a" || back[1].Name != "sgd/c" || in[0].Name != "a" {
		t.Fatalf("Prefixed: %v (input %v)", back, in)
	}
}

func TestDecodeMeta(t *testing.T) {
	var meta struct {
		Format string `json:"format"`
		Epoch  int    `json:"epoch"`
	}
	if err := DecodeMeta("c.dgo", json.RawMessage(`{"format":"v1","epoch":3}`), &meta, "v1", "checkpoint"); err != nil || meta.Epoch != 3 {
		t.Fatalf("good: %v %+v", err, meta)
	}
	for raw, want := range map[string]string{
		`{"format":"v2","epoch":3}`:   `c.dgo: not a darts-go checkpoint (format "v2", want "v1")`,
		`{"epoch":3}`:                 `c.dgo: not a darts-go checkpoint (format "", want "v1")`,
		`[1,2]`:                       `c.dgo: checkpoint metadata:`,
		`{"format":"v1","epoch":"x"}`: `c.dgo: checkpoint metadata:`,
	} {
		err := DecodeMeta("c.dgo", json.RawMessage(raw), &meta, "v1", "checkpoint")
		if err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%s: err = %v, want %q", raw, err, want)
		}
	}
}

func TestDiffJSON(t *testing.T) {
	type inner struct {
		LR float64 `json:"lr"`
	}
	type cfg struct {
		Layers int    `json:"layers"`
		Name   string `json:"name"`
		Opt    inner  `json:"opt"`
	}
	if d := DiffJSON(cfg{5, "a", inner{0.1}}, cfg{5, "a", inner{0.1}}); d != "" {
		t.Errorf("equal configs: %q", d)
	}
	d := DiffJSON(cfg{5, "a", inner{0.1}}, cfg{8, "a", inner{0.2}})
	if d != "layers 5 in the file, 8 here; opt.lr 0.1 in the file, 0.2 here" {
		t.Errorf("diff = %q", d)
	}
	if d := DiffJSON(map[string]any{"x": 1}, map[string]any{"y": 1}); d != "x 1 in the file, null here; y null in the file, 1 here" {
		t.Errorf("missing keys: %q", d)
	}
}
