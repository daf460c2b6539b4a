package mixedop_test

import (
	"path/filepath"
	"testing"

	"github.com/darts-go/darts/internal/golden"
	"github.com/darts-go/darts/mixedop"
	"github.com/darts-go/darts/relax"
	G "gorgonia.org/gorgonia"
)

func buildCandidate[T mixedop.Float](c golden.Case) golden.Builder[T] {
	return func(g *mixedop.Graph[T], in []*G.Node) (*G.Node, error) {
		ctx := &mixedop.Ctx{Training: true}
		m, err := mixedop.Build[T](ctx, c.Op, "op", mixedop.Args{C: c.Channels, Stride: c.Stride, PoolBN: true})
		if err != nil {
			return nil, err
		}
		return g.Apply(&mixedop.ModuleBlock[T]{Label: c.Name, M: m}, nil, in[0])
	}
}

func buildMixed[T mixedop.Float](c golden.Case) golden.Builder[T] {
	return func(g *mixedop.Graph[T], in []*G.Node) (*G.Node, error) {
		ctx := &mixedop.Ctx{Training: true}
		w, err := g.Apply(&relax.SoftmaxBlock[T]{Label: "softmax"}, nil, in[1])
		if err != nil {
			return nil, err
		}
		m, err := mixedop.NewMixed[T](ctx, "mixed", c.Primitives, 0, mixedop.Args{C: c.Channels, Stride: c.Stride, PoolBN: true})
		if err != nil {
			return nil, err
		}
		return g.Apply(m, nil, in[0], w)
	}
}

func runGolden[T mixedop.Float](t *testing.T) {
	files, err := golden.LoadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		n := 0
		for _, c := range f.Cases {
			var b golden.Builder[T]
			switch c.Kind {
			case "candidate":
				b = buildCandidate[T](c)
			case "mixed":
				b = buildMixed[T](c)
			default:
				continue // cells are checked by package supernet
			}
			n++
			t.Run(filepath.Base(f.Path)+"/"+c.Name, func(t *testing.T) { golden.Check(t, c, b) })
		}
		if n == 0 {
			t.Errorf("%s has no candidate or mixed cases", f.Path)
		}
	}
}

func TestGoldenFloat64(t *testing.T) { runGolden[float64](t) }
func TestGoldenFloat32(t *testing.T) { runGolden[float32](t) }
