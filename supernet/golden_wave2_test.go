package supernet_test

import (
	"testing"

	"github.com/darts-go/darts/internal/golden"
	"github.com/darts-go/darts/mixedop"
	"github.com/darts-go/darts/relax"
	"github.com/darts-go/darts/space"
	"github.com/darts-go/darts/supernet"
	G "gorgonia.org/gorgonia"
)

// TestGoldenPCAndDartsMinusCells holds the PC-DARTS search cell (kind
// pc_cell: partial-channel edges, each node the edge-normalized sum of its
// edges, yuhuixu1993/PC-DARTS Cell) and the DARTS- search cell (kind
// dartsminus_cell: every edge with the auxiliary skip, Meituan-AutoML/
// DARTS- Cell) to the wave-2 golden file ($DARTS_GOLDEN_WAVE2 or
// testdata/wave2.json), output and every gradient (inputs, α, β, every
// parameter), float64 to 1e-6 and float32 to 1e-3 relative, one subtest
// per case.
func TestGoldenPCAndDartsMinusCells(t *testing.T) {
	t.Run("float64", func(t *testing.T) { runWave2Cells[float64](t) })
	t.Run("float32", func(t *testing.T) { runWave2Cells[float32](t) })
}

func runWave2Cells[T mixedop.Float](t *testing.T) {
	f, err := golden.LoadWave2()
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	for _, c := range f.Cases {
		if c.Kind != "pc_cell" && c.Kind != "dartsminus_cell" {
			continue
		}
		counts[c.Kind]++
		build := func(g *mixedop.Graph[T], in []*G.Node) (*G.Node, error) {
			ctx := &mixedop.Ctx{Training: true}
			topo := space.DARTSCell(c.Steps, c.Multiplier)
			d := supernet.DARTSCell{Topology: topo, CPP: c.Inputs[0].Shape[1], CP: c.Inputs[1].Shape[1], C: c.Channels,
				Reduction: c.Reduction, ReductionPrev: c.ReductionPrev, Ops: c.Primitives}
			if c.Kind == "pc_cell" {
				d.Partial = c.K
			} else {
				beta := c.Beta
				d.AuxSkip = func() float64 { return beta }
			}
			cell, err := supernet.NewDARTSCell[T](ctx, "", "normal", d)
			if err != nil {
				return nil, err
			}
			w, err := g.Apply(&relax.SoftmaxBlock[T]{Label: "softmax"}, nil, in[2])
			if err != nil {
				return nil, err
			}
			var ew *G.Node
			if c.Kind == "pc_cell" {
				if ew, err = g.Apply(relax.NewEdgeSoftmaxBlock[T](space.EdgeTensor("normal"), topo), nil, in[3]); err != nil {
					return nil, err
				}
			}
			return cell.ApplyWithEdgeWeights(g, []*G.Node{in[0], in[1]}, w, ew)
		}
		t.Run(c.Name, func(t *testing.T) { golden.Check(t, c, build) })
	}
	if counts["pc_cell"] < 4 || counts["dartsminus_cell"] < 2 {
		t.Errorf("cases: %v, want 4 pc_cell and 2 dartsminus_cell", counts)
	}
}
