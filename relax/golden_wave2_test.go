package relax_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/darts-go/darts/internal/golden"
	"github.com/darts-go/darts/mixedop"
	"github.com/darts-go/darts/relax"
	G "gorgonia.org/gorgonia"
)

// TestGoldenWave2 holds FairDARTS's sigmoid and zero-one loss, β-DARTS's
// Beta-Decay regularizer and FairDARTS's sigmoid-weighted mixed edge to
// the wave-2 golden file ($DARTS_GOLDEN_WAVE2 or testdata/wave2.json,
// computed with PyTorch from the reference code): output and every
// gradient, one subtest per case, float64 to 1e-6 and float32 to 1e-3
// relative.
func TestGoldenWave2(t *testing.T) {
	f, err := golden.LoadWave2()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, c := range f.Cases {
		switch {
		case c.Kind == "mixing" && c.Method == "fairdarts_sigmoid":
			t.Run(c.Name, func(t *testing.T) {
				t.Run("float64", func(t *testing.T) { golden.Check(t, c, sigmoidBuilder[float64]) })
				t.Run("float32", func(t *testing.T) { golden.Check(t, c, sigmoidBuilder[float32]) })
			})
		case c.Kind == "mixing" && (c.Method == "fairdarts_zero_one" || c.Method == "beta_darts_reg"):
			t.Run(c.Name, func(t *testing.T) {
				t.Run("float64", func(t *testing.T) { checkRegularizer(t, c, false) })
				t.Run("float32", func(t *testing.T) { checkRegularizer(t, c, true) })
			})
		case c.Kind == "mixed_weights" && c.Method == "fairdarts":
			t.Run(c.Name, func(t *testing.T) {
				t.Run("float64", func(t *testing.T) { golden.Check(t, c, fairMixedBuilder[float64](c)) })
				t.Run("float32", func(t *testing.T) { golden.Check(t, c, fairMixedBuilder[float32](c)) })
			})
		default:
			continue
		}
		seen[c.Kind+"/"+c.Method]++
	}
	for k, want := range map[string]int{"mixing/fairdarts_sigmoid": 1, "mixing/fairdarts_zero_one": 1,
		"mixing/beta_darts_reg": 2, "mixed_weights/fairdarts": 2} {
		if seen[k] < want {
			t.Errorf("%s: %d cases in %s, want at least %d", k, seen[k], f.Path, want)
		}
	}
}

func sigmoidBuilder[T mixedop.Float](g *mixedop.Graph[T], in []*G.Node) (*G.Node, error) {
	return g.Apply(relax.Sigmoid[T]{}.Block(fairTensor, nil), nil, in[0])
}

// fairMixedBuilder is one DARTS edge over FairDARTS's 7 ops (pools followed
// by BatchNorm without affine, as its MixedOp) weighted by σ(α).
func fairMixedBuilder[T mixedop.Float](c golden.Case) golden.Builder[T] {
	return func(g *mixedop.Graph[T], in []*G.Node) (*G.Node, error) {
		w, err := g.Apply(&relax.SigmoidBlock[T]{Label: "sigmoid"}, nil, in[1])
		if err != nil {
			return nil, err
		}
		m, err := mixedop.NewMixed[T](&mixedop.Ctx{Training: true}, "mixed", c.Primitives, 0,
			mixedop.Args{C: c.Channels, Stride: c.Stride, PoolBN: true})
		if err != nil {
			return nil, err
		}
		return g.Apply(m, nil, in[0], w)
	}
}

// checkRegularizer evaluates the case's regularizer (weight 1: the file
// leaves FairDARTS's 10 and β-DARTS's ramp out) on its inputs and compares
// the value and the gradient of every input (of L = R·upstream). With f32 the inputs are
// rounded to float32 first, as a float32 search hands them over, and the
// gradients to float32 after, as it adds them.
func checkRegularizer(t *testing.T, c golden.Case, f32 bool) {
	round := func(x float64) float64 {
		if f32 {
			return float64(float32(x))
		}
		return x
	}
	terms := make([]relax.Term, len(c.Inputs))
	for i, in := range c.Inputs {
		rows, cols := 1, in.Shape[len(in.Shape)-1]
		if len(in.Shape) == 2 {
			rows = in.Shape[0]
		}
		terms[i] = relax.Term{Rows: rows, Cols: cols, Value: make([]float64, len(in.Data)), Grad: make([]float64, len(in.Data))}
		for j, v := range in.Data {
			terms[i].Value[j] = round(v)
		}
	}
	var got float64
	switch c.Method {
	case "fairdarts_zero_one":
		got = relax.ZeroOneLoss(terms, 1)
	case "beta_darts_reg":
		got = relax.BetaDecayLoss(terms, 1)
	}
	tol := golden.Tolerance[float64](c.Output.Data)
	if f32 {
		tol = golden.Tolerance[float32](c.Output.Data)
	}
	if d := math.Abs(got - c.Output.Data[0]); !(d <= tol) {
		t.Errorf("value %.12g, want %.12g (error %.3g, tolerance %.3g)", got, c.Output.Data[0], d, tol)
	}
	// The file's gradients are of L = R·u for its upstream scalar u.
	u := c.Upstream.Data[0]
	for i, tm := range terms {
		for j := range tm.Grad {
			tm.Grad[j] *= u
		}
		what := fmt.Sprintf("d/d %s", c.InputNames[i])
		var msg string
		if f32 {
			g := make([]float32, len(tm.Grad))
			for j, v := range tm.Grad {
				g[j] = float32(v)
			}
			msg = golden.Compare(what, g, c.GradInputs[i].Data)
		} else {
			msg = golden.Compare(what, tm.Grad, c.GradInputs[i].Data)
		}
		if msg != "" {
			t.Error(msg)
		}
	}
}
