package supernet_test

import (
	"path/filepath"
	"testing"

	"github.com/darts-go/darts/internal/golden"
	"github.com/darts-go/darts/mixedop"
	"github.com/darts-go/darts/supernet"
	G "gorgonia.org/gorgonia"
)

func buildCell[T mixedop.Float](c golden.Case) golden.Builder[T] {
	return func(g *mixedop.Graph[T], in []*G.Node) (*G.Node, error) {
		ctx := &mixedop.Ctx{Training: true}
		cpp, cp := c.Inputs[0].Shape[1], c.Inputs[1].Shape[1]
		cell, err := supernet.NewSearchCell[T](ctx, "", c.Steps, c.Multiplier, cpp, cp, c.Channels, c.Reduction, c.ReductionPrev, c.Primitives)
		if err != nil {
			return nil, err
		}
		w, err := g.Apply(&mixedop.Softmax[T]{Label: "softmax"}, nil, in[2])
		if err != nil {
			return nil, err
		}
		return cell.Apply(g, in[0], in[1], w)
	}
}

func runCells[T mixedop.Float](t *testing.T) {
	files, err := golden.LoadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		cases := f.CasesOf("cell")
		if len(cases) == 0 {
			t.Errorf("%s has no cell cases", f.Path)
		}
		for _, c := range cases {
			t.Run(filepath.Base(f.Path)+"/"+c.Name, func(t *testing.T) { golden.Check(t, c, buildCell[T](c)) })
		}
	}
}

func TestGoldenCellsFloat64(t *testing.T) { runCells[float64](t) }
func TestGoldenCellsFloat32(t *testing.T) { runCells[float32](t) }
