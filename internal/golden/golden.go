// Package golden loads the reference vectors computed with PyTorch from the
// original DARTS code (testdata/darts_ops.json, or the file named by the
// DARTS_GOLDEN environment variable) for the tests of mixedop and supernet.
package golden

import (
	"compress/gzip"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
)

// Tensor is a named, shaped float64 tensor.
type Tensor struct {
	Name  string    `json:"name"`
	Shape []int     `json:"shape"`
	Data  []float64 `json:"data"`
}

// Case is one golden case: inputs and parameters, the upstream gradient u of
// L = Σ output ⊙ u, and the expected output and gradients.
type Case struct {
	Name          string   `json:"name"`
	Kind          string   `json:"kind"` // candidate, mixed or cell
	Op            string   `json:"op"`
	Stride        int      `json:"stride"`
	Channels      int      `json:"channels"`
	Primitives    []string `json:"primitives"`
	Reduction     bool     `json:"reduction"`
	ReductionPrev bool     `json:"reduction_prev"`
	Steps         int      `json:"steps"`
	Multiplier    int      `json:"multiplier"`
	// Affine is BatchNorm with learned scale and shift (the retrained
	// network's ops; testdata/nasnet_amoebanet.json).
	Affine bool `json:"affine"`
	// Fields of the wave-2 cases (testdata/wave2.json; its "about").
	InputNames  []string `json:"input_names"`
	Constants   []Tensor `json:"constants"`
	Method      string   `json:"method"`
	Tau         float64  `json:"tau"`
	Index       Ints     `json:"index"`
	K           int      `json:"k"`
	Beta        float64  `json:"beta"`
	RegScale    float64  `json:"reg_scale"`
	MaxNodes    int      `json:"max_nodes"`
	Edges       []string `json:"edges"`
	InChannels  int      `json:"in_channels"`
	OutChannels int      `json:"out_channels"`
	Inputs      []Tensor `json:"inputs"`
	Params      []Tensor `json:"params"`
	Upstream    Tensor   `json:"upstream"`
	Output      Tensor   `json:"output"`
	GradInputs  []Tensor `json:"grad_inputs"`
	GradParams  []Tensor `json:"grad_params"`
}

// Ints reads a JSON list of integers or a single integer.
type Ints []int

// UnmarshalJSON implements json.Unmarshaler.
func (x *Ints) UnmarshalJSON(b []byte) error {
	var one int
	if err := json.Unmarshal(b, &one); err == nil {
		*x = Ints{one}
		return nil
	}
	var many []int
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	*x = many
	return nil
}

// File is the whole golden file.
type File struct {
	Path       string   `json:"-"`
	About      string   `json:"about"`
	Primitives []string `json:"primitives"`
	Cases      []Case   `json:"cases"`
}

// Paths are the golden files the tests use: $DARTS_GOLDEN if set, else the
// repository's testdata/darts_ops.json (the vectors of the original DARTS
// code's shapes) and testdata/darts_ops_alt.json (other shapes, odd sizes
// and seeds, made with tools/golden/gen_darts_ops.py).
func Paths() []string {
	if p := os.Getenv("DARTS_GOLDEN"); p != "" {
		return []string{p}
	}
	return []string{testdata("darts_ops.json"), testdata("darts_ops_alt.json")}
}

// testdata is the repository's testdata/name.
func testdata(name string) string {
	_, here, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(here), "..", "..", "testdata", name)
}

// envOr is $env if set, else the repository's testdata/name.
func envOr(env, name string) string {
	if p := os.Getenv(env); p != "" {
		return p
	}
	return testdata(name)
}

// decodeGzipJSON decodes the gzipped JSON file at path into v; errors name
// the file.
func decodeGzipJSON(path string, v any) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("golden: %w", err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return fmt.Errorf("golden: %s: %w", path, err)
	}
	if err := json.NewDecoder(zr).Decode(v); err != nil {
		return fmt.Errorf("golden: %s: %w", path, err)
	}
	return nil
}

// Wave2Path is the wave-2 golden file (NAS-Bench-201, PC-DARTS, DARTS-, the
// mixing functions of GDAS, SNAS, FairDARTS, β-DARTS and DrNAS):
// $DARTS_GOLDEN_WAVE2 if set, else the repository's testdata/wave2.json.
func Wave2Path() string { return envOr("DARTS_GOLDEN_WAVE2", "wave2.json") }

// LoadWave2 reads and checks the wave-2 golden file.
func LoadWave2() (*File, error) { return Load(Wave2Path()) }

// LoadAll reads and checks every file of Paths.
func LoadAll() ([]*File, error) {
	var fs []*File
	for _, p := range Paths() {
		f, err := Load(p)
		if err != nil {
			return nil, err
		}
		fs = append(fs, f)
	}
	return fs, nil
}

// Load reads and checks one golden file.
func Load(p string) (*File, error) {
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("golden: %w", err)
	}
	f := File{Path: p}
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("golden: %s: %w", p, err)
	}
	if len(f.Cases) == 0 {
		return nil, fmt.Errorf("golden: %s: no cases", p)
	}
	for _, c := range f.Cases {
		for _, t := range append(append(append([]Tensor{c.Upstream, c.Output}, c.Inputs...), c.Params...), c.GradInputs...) {
			n := 1
			for _, d := range t.Shape {
				n *= d
			}
			if n != len(t.Data) {
				return nil, fmt.Errorf("golden: %s: case %s: tensor %q has shape %v but %d values", p, c.Name, t.Name, t.Shape, len(t.Data))
			}
		}
	}
	return &f, nil
}

// CasesOf returns the cases of the given kind.
func (f *File) CasesOf(kind string) []Case {
	var out []Case
	for _, c := range f.Cases {
		if c.Kind == kind {
			out = append(out, c)
		}
	}
	return out
}
