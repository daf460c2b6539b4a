package relax_test

import (
	"math"
	"testing"

	"github.com/darts-go/darts/internal/dist"
	"github.com/darts-go/darts/internal/golden"
	"github.com/darts-go/darts/mixedop"
	"github.com/darts-go/darts/relax"
	"github.com/darts-go/darts/space"
	G "gorgonia.org/gorgonia"
)

// constant returns the case's constant called name.
func constant(t *testing.T, c golden.Case, name string) []float64 {
	t.Helper()
	for _, k := range c.Constants {
		if k.Name == name {
			return k.Data
		}
	}
	t.Fatalf("%s: no constant %q", c.Name, name)
	return nil
}

// TestGoldenMixing holds the mixing functions of DARTS, SNAS, GDAS and
// DrNAS to the wave-2 golden file's "mixing" cases ($DARTS_GOLDEN_WAVE2 or
// testdata/wave2.json), computed with PyTorch from each method's reference
// code at the file's fixed Gumbel noise: output and dL/dα, float64 to 1e-6
// and float32 to 1e-3 relative, one subtest per case. FairDARTS's and
// β-DARTS's cases belong to those methods.
func TestGoldenMixing(t *testing.T) {
	t.Run("float64", func(t *testing.T) { goldenMixing[float64](t) })
	t.Run("float32", func(t *testing.T) { goldenMixing[float32](t) })
}

func goldenMixing[T relax.Float](t *testing.T) {
	f, err := golden.LoadWave2()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, c := range f.CasesOf("mixing") {
		var b golden.Builder[T]
		var post func(t *testing.T) // checks after the run
		switch c.Method {
		case "softmax":
			b = func(g *mixedop.Graph[T], in []*G.Node) (*G.Node, error) {
				return g.Apply(&relax.SoftmaxBlock[T]{Label: "softmax"}, nil, in[0])
			}
		case "snas", "gdas":
			noise := constant(t, c, "gumbel")
			hard := c.Method == "gdas"
			blk := &relax.GumbelBlock[T]{Label: c.Method, Tau: relax.Constant(c.Tau), Hard: hard, Noise: noise}
			b = func(g *mixedop.Graph[T], in []*G.Node) (*G.Node, error) { return g.Apply(blk, nil, in[0]) }
			if hard {
				post = func(t *testing.T) {
					if len(blk.Index) != len(c.Index) {
						t.Fatalf("%d selected ops, want %d", len(blk.Index), len(c.Index))
					}
					for i, want := range c.Index {
						if blk.Index[i] != want {
							t.Errorf("row %d: selected op %d, the reference %d", i, blk.Index[i], want)
						}
					}
				}
			}
		case "drnas_concentration":
			t.Run(c.Name, func(t *testing.T) { checkConcentration(t, c) })
			seen[c.Method]++
			continue
		case "drnas_kl":
			t.Run(c.Name, func(t *testing.T) { checkKL[T](t, c) })
			seen[c.Method]++
			continue
		case "drnas_l2":
			// The L2 regularizer is the architecture optimizer's weight
			// decay, held by package method's tests; nothing of this
			// package computes it.
			continue
		default:
			continue
		}
		seen[c.Method]++
		t.Run(c.Name, func(t *testing.T) {
			golden.Check(t, c, b)
			if post != nil {
				post(t)
			}
		})
	}
	for _, m := range []string{"softmax", "snas", "gdas", "drnas_concentration", "drnas_kl"} {
		if seen[m] == 0 {
			t.Errorf("no mixing case of %s", m)
		}
	}
}

// checkConcentration: elu(α) + 1 and its derivative (the upstream times
// dc/dα) as dist computes them for DirichletBlock.
func checkConcentration(t *testing.T, c golden.Case) {
	alpha, up := c.Inputs[0].Data, c.Upstream.Data
	for i, a := range alpha {
		if d := math.Abs(dist.Concentration(a) - c.Output.Data[i]); d > 1e-9 {
			t.Fatalf("c[%d] = %.12g, want %.12g", i, dist.Concentration(a), c.Output.Data[i])
		}
		if d := math.Abs(up[i]*dist.ConcentrationDeriv(a) - c.GradInputs[0].Data[i]); d > 1e-9 {
			t.Fatalf("dL/dα[%d] = %.12g, want %.12g", i, up[i]*dist.ConcentrationDeriv(a), c.GradInputs[0].Data[i])
		}
	}
}

// checkKL: DrNAS's Regularize on the case's tensors (one for the 201
// space, alpha_normal and alpha_reduce for the DARTS space) gives the
// reference's reg_scale·Σ KL and its gradient. The golden gradients carry
// PyTorch's trigamma, about 2.3e-10 off the exact one: 1e-9 in float64.
func checkKL[T relax.Float](t *testing.T, c golden.Case) {
	var ts []relax.Term
	for _, in := range c.Inputs {
		rows, cols := in.Shape[0], in.Shape[1]
		v := make([]float64, len(in.Data))
		for i, x := range in.Data {
			v[i] = float64(T(x)) // the value a network of T holds
		}
		ts = append(ts, relax.Term{Tensor: space.Tensor{Cols: make([]string, cols)}, Rows: rows, Cols: cols, Value: v, Grad: make([]float64, len(v))})
	}
	r := relax.DrNAS[T]{KL: c.RegScale}.Regularize(ts, relax.Pass{})
	tol := 1e-9
	var z T
	if _, ok := any(z).(float32); ok {
		tol = 1e-3
	}
	want, up := c.Output.Data[0], c.Upstream.Data[0]
	if d := math.Abs(r - want); d > tol*math.Max(1, math.Abs(want)) {
		t.Errorf("R = %.12g, want %.12g", r, want)
	}
	for k, term := range ts {
		ref := c.GradInputs[k].Data
		var scale float64
		for _, v := range ref {
			scale = math.Max(scale, math.Abs(v))
		}
		for i, g := range term.Grad {
			if d := math.Abs(up*g - ref[i]); d > tol*math.Max(1, scale) {
				t.Fatalf("tensor %d: dL/dα[%d] = %.12g, want %.12g", k, i, up*g, ref[i])
			}
		}
	}
}
