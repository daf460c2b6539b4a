package mixedop_test

import (
	"testing"

	"github.com/darts-go/darts/internal/golden"
	"github.com/darts-go/darts/mixedop"
	"github.com/darts-go/darts/relax"
	G "gorgonia.org/gorgonia"
)

// TestGoldenMixedWeights holds the DARTS mixed edge fed each sampling
// method's weights to the wave-2 golden file's "mixed_weights" cases
// (PyTorch on the original DARTS ops): softmax(α); SNAS's
// softmax((α+g)/τ) at the file's noise; GDAS's hard sample with its
// straight-through gradient on an edge that runs only the selected op
// (mixedop.SkipZero, AutoDL's DARTS-space MixedOp.forward_gdas: the
// unselected ops' parameters get a zero gradient); and a given simplex
// weight standing in for a DrNAS draw. Output, dL/dx, dL/dα (or dL/dw) and
// every parameter's gradient, float64 to 1e-6, float32 to 1e-3 relative.
func TestGoldenMixedWeights(t *testing.T) {
	t.Run("float64", func(t *testing.T) { goldenMixedWeights[float64](t) })
	t.Run("float32", func(t *testing.T) { goldenMixedWeights[float32](t) })
}

func goldenMixedWeights[T mixedop.Float](t *testing.T) {
	f, err := golden.LoadWave2()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, c := range f.CasesOf("mixed_weights") {
		var weights func(g *mixedop.Graph[T], a *G.Node) (*G.Node, error)
		skip := mixedop.RunAll
		switch c.Method {
		case "softmax":
			weights = func(g *mixedop.Graph[T], a *G.Node) (*G.Node, error) {
				return g.Apply(&relax.SoftmaxBlock[T]{Label: "softmax"}, nil, a)
			}
		case "snas", "gdas":
			var noise []float64
			for _, k := range c.Constants {
				if k.Name == "gumbel" {
					noise = k.Data
				}
			}
			if noise == nil {
				t.Fatalf("%s: no gumbel constant", c.Name)
			}
			hard := c.Method == "gdas"
			if hard {
				skip = mixedop.SkipZero
			}
			weights = func(g *mixedop.Graph[T], a *G.Node) (*G.Node, error) {
				return g.Apply(&relax.GumbelBlock[T]{Label: c.Method, Tau: relax.Constant(c.Tau), Hard: hard, Noise: noise}, nil, a)
			}
		case "drnas_sample":
			weights = func(_ *mixedop.Graph[T], w *G.Node) (*G.Node, error) { return w, nil }
		default:
			continue // FairDARTS belongs to that method
		}
		seen[c.Method]++
		t.Run(c.Name, func(t *testing.T) {
			golden.Check(t, c, func(g *mixedop.Graph[T], in []*G.Node) (*G.Node, error) {
				w, err := weights(g, in[1])
				if err != nil {
					return nil, err
				}
				m, err := mixedop.NewMixed[T](&mixedop.Ctx{Training: true}, "mixed", c.Primitives, 0, mixedop.Args{C: c.Channels, Stride: c.Stride, PoolBN: true})
				if err != nil {
					return nil, err
				}
				m.Skip = skip
				return g.Apply(m, nil, in[0], w)
			})
		})
	}
	for _, m := range []string{"softmax", "snas", "gdas", "drnas_sample"} {
		if seen[m] != 2 {
			t.Errorf("%d mixed_weights cases of %s, want 2 (stride 1 and 2)", seen[m], m)
		}
	}
}
