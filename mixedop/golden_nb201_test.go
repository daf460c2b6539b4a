package mixedop_test

import (
	"strings"
	"testing"

	"github.com/darts-go/darts/internal/golden"
	"github.com/darts-go/darts/mixedop"
	"github.com/darts-go/darts/relax"
	G "gorgonia.org/gorgonia"
)

// nb201Args are the settings of NAS-Bench-201's search-cell ops:
// BatchNorm without affine, so the convolutions have a bias, and no
// BatchNorm after the pool.
var nb201Args = mixedop.Args{ConvBias: true}

// TestGoldenNB201 holds NAS-Bench-201's candidate ops, its mixed edge and
// the residual block between stages to AutoDL-Projects' modules (the
// wave-2 golden file, $DARTS_GOLDEN_WAVE2 or testdata/wave2.json), output
// and every gradient, float64 to 1e-6 and float32 to 1e-3 relative, one
// subtest per case.
func TestGoldenNB201(t *testing.T) {
	t.Run("float64", func(t *testing.T) { runNB201[float64](t) })
	t.Run("float32", func(t *testing.T) { runNB201[float32](t) })
}

func runNB201[T mixedop.Float](t *testing.T) {
	f, err := golden.LoadWave2()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range f.Cases {
		var build golden.Builder[T]
		switch c.Kind {
		case "nb201_candidate":
			build = func(g *mixedop.Graph[T], in []*G.Node) (*G.Node, error) {
				a := nb201Args
				a.C, a.Stride = c.Channels, c.Stride
				m, err := mixedop.Build[T](&mixedop.Ctx{Training: true}, c.Op, "op", a)
				if err != nil {
					return nil, err
				}
				return g.Apply(&mixedop.ModuleBlock[T]{Label: c.Name, M: m}, nil, in[0])
			}
		case "nb201_mixed":
			build = func(g *mixedop.Graph[T], in []*G.Node) (*G.Node, error) {
				w, err := g.Apply(&relax.SoftmaxBlock[T]{Label: "softmax"}, nil, in[1])
				if err != nil {
					return nil, err
				}
				a := nb201Args
				a.C, a.Stride = c.Channels, c.Stride
				m, err := mixedop.NewMixed[T](&mixedop.Ctx{Training: true}, "mixed", c.Primitives, 0, a)
				if err != nil {
					return nil, err
				}
				return g.Apply(m, nil, in[0], w)
			}
		case "nb201_resblock":
			// AutoDL names the residual block's BatchNorm parameters
			// <conv>.bn_weight; darts-go's are <conv>.bn.weight.
			for i := range c.Params {
				c.Params[i].Name = strings.Replace(c.Params[i].Name, ".bn_", ".bn.", 1)
				c.GradParams[i].Name = c.Params[i].Name
			}
			build = func(g *mixedop.Graph[T], in []*G.Node) (*G.Node, error) {
				m, err := mixedop.NewResNetBlock[T](&mixedop.Ctx{Training: true}, "", c.InChannels, c.OutChannels, c.Stride, true)
				if err != nil {
					return nil, err
				}
				return g.Apply(&mixedop.ModuleBlock[T]{Label: c.Name, M: m}, nil, in[0])
			}
		default:
			continue
		}
		n++
		t.Run(c.Name, func(t *testing.T) { golden.Check(t, c, build) })
	}
	if n < 7 {
		t.Errorf("%d NAS-Bench-201 op, edge and block cases, want 7", n)
	}
}
