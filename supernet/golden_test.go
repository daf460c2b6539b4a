package supernet_test

import (
	"path/filepath"
	"testing"

	"github.com/darts-go/darts/internal/golden"
	"github.com/darts-go/darts/mixedop"
	"github.com/darts-go/darts/relax"
	"github.com/darts-go/darts/space"
	"github.com/darts-go/darts/supernet"
	G "gorgonia.org/gorgonia"
)

func buildCell[T mixedop.Float](c golden.Case) golden.Builder[T] {
	return func(g *mixedop.Graph[T], in []*G.Node) (*G.Node, error) {
		ctx := &mixedop.Ctx{Training: true}
		cpp, cp := c.Inputs[0].Shape[1], c.Inputs[1].Shape[1]
		cell, err := supernet.NewDARTSCell[T](ctx, "", "normal", supernet.DARTSCell{Topology: space.DARTSCell(c.Steps, c.Multiplier),
			CPP: cpp, CP: cp, C: c.Channels, Reduction: c.Reduction, ReductionPrev: c.ReductionPrev, Ops: c.Primitives})
		if err != nil {
			return nil, err
		}
		w, err := g.Apply(&relax.SoftmaxBlock[T]{Label: "softmax"}, nil, in[2])
		if err != nil {
			return nil, err
		}
		return cell.Apply(g, []*G.Node{in[0], in[1]}, w)
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
