package mixedop_test

import (
	"path/filepath"
	"runtime"
	"testing"

	"github.com/darts-go/darts/internal/golden"
	"github.com/darts-go/darts/mixedop"
	G "gorgonia.org/gorgonia"
)

// nasnetGolden is testdata/nasnet_amoebanet.json, made with PyTorch by
// tools/golden/gen_nasnet.py from quark0/darts operations.py and model.py.
func nasnetGolden(t *testing.T) *golden.File {
	t.Helper()
	_, here, _, _ := runtime.Caller(0)
	f, err := golden.Load(filepath.Join(filepath.Dir(here), "..", "testdata", "nasnet_amoebanet.json"))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestGoldenNASNetOps holds the two ops of the NASNet and AmoebaNet cells
// that the DARTS primitives lack, sep_conv_7x7 and conv_7x1_1x7, to
// PyTorch: output, input gradient and every parameter gradient at stride 1
// and 2, BatchNorm affine or not, on even and odd input sizes.
func TestGoldenNASNetOps(t *testing.T) {
	f := nasnetGolden(t)
	cases := f.CasesOf("candidate")
	if len(cases) != 16 {
		t.Fatalf("%d candidate cases, want 16", len(cases))
	}
	for _, c := range cases {
		t.Run(c.Name+"/float64", func(t *testing.T) { golden.Check(t, c, buildOp[float64](c)) })
		t.Run(c.Name+"/float32", func(t *testing.T) { golden.Check(t, c, buildOp[float32](c)) })
	}
}

func buildOp[T mixedop.Float](c golden.Case) golden.Builder[T] {
	return func(g *mixedop.Graph[T], in []*G.Node) (*G.Node, error) {
		m, err := mixedop.Build[T](&mixedop.Ctx{Training: true}, c.Op, "op", mixedop.Args{C: c.Channels, Stride: c.Stride, Affine: c.Affine})
		if err != nil {
			return nil, err
		}
		return g.Apply(&mixedop.ModuleBlock[T]{Label: c.Name, M: m}, nil, in[0])
	}
}
