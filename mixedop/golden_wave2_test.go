package mixedop_test

import (
	"testing"

	"github.com/darts-go/darts/internal/golden"
	"github.com/darts-go/darts/mixedop"
	"github.com/darts-go/darts/relax"
	G "gorgonia.org/gorgonia"
)

// TestGoldenPartialAndAuxSkip holds PC-DARTS's partial-channel edge
// (kind pc_mixed: yuhuixu1993/PC-DARTS MixedOp, K = 4 and 2, stride 1 and
// 2) and DARTS-'s edge with the auxiliary skip (kind dartsminus_mixed:
// Meituan-AutoML/DARTS- MixedOp, identity at stride 1, FactorizedReduce at
// stride 2, the case's β) to the wave-2 golden file ($DARTS_GOLDEN_WAVE2 or
// testdata/wave2.json): output and every gradient, float64 to 1e-6 and
// float32 to 1e-3 relative, one subtest per case.
func TestGoldenPartialAndAuxSkip(t *testing.T) {
	t.Run("float64", func(t *testing.T) { runWave2Edges[float64](t) })
	t.Run("float32", func(t *testing.T) { runWave2Edges[float32](t) })
}

func runWave2Edges[T mixedop.Float](t *testing.T) {
	f, err := golden.LoadWave2()
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	for _, c := range f.Cases {
		if c.Kind != "pc_mixed" && c.Kind != "dartsminus_mixed" {
			continue
		}
		counts[c.Kind]++
		build := func(g *mixedop.Graph[T], in []*G.Node) (*G.Node, error) {
			ctx := &mixedop.Ctx{Training: true}
			w, err := g.Apply(&relax.SoftmaxBlock[T]{Label: "softmax"}, nil, in[1])
			if err != nil {
				return nil, err
			}
			a := mixedop.Args{C: c.Channels, Stride: c.Stride, PoolBN: true}
			if c.Kind == "pc_mixed" {
				p, err := mixedop.NewPartial[T](ctx, "mixed", c.Primitives, 0, c.K, a)
				if err != nil {
					return nil, err
				}
				return g.Apply(p, nil, in[0], w)
			}
			m, err := mixedop.NewMixed[T](ctx, "mixed", c.Primitives, 0, a)
			if err != nil {
				return nil, err
			}
			beta := c.Beta
			s, err := mixedop.NewAuxSkip[T](ctx, "mixed", m, c.Channels, c.Stride, func() float64 { return beta })
			if err != nil {
				return nil, err
			}
			return g.Apply(s, nil, in[0], w)
		}
		t.Run(c.Name, func(t *testing.T) { golden.Check(t, c, build) })
	}
	if counts["pc_mixed"] < 4 || counts["dartsminus_mixed"] < 2 {
		t.Errorf("cases: %v, want 4 pc_mixed and 2 dartsminus_mixed", counts)
	}
}
