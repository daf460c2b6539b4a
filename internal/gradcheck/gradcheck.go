// Package gradcheck holds a block's hand-written backward to central finite
// differences of its forward, for the tests of the packages that define
// blocks (mixedop, relax, supernet). It touches nothing but the block it is
// given and only runs in tests.
package gradcheck

import (
	"fmt"
	"math"
	"testing"

	"github.com/darts-go/darts/internal/rng"
	"github.com/darts-go/darts/mixedop"
	"gorgonia.org/tensor"
)

// Input is one activation input of a block: its values, its shape, and
// whether its gradient is checked (an input the block never differentiates,
// or one that takes too many forward passes to check whole, is not).
type Input struct {
	Value []float64
	Shape tensor.Shape
	Check bool
}

// Block compares the gradients b's Backward gives for L = Σ u ⊙ b(inputs)
// (u drawn from N(0, 1) with seed) — of every checked input and every
// parameter — with central differences of b's Forward (step 1e-5), to tol
// relative to the largest gradient of the tensor (and at least 1e-8).
// Tensors of more than maxCheck elements are checked at a spread sample of
// maxCheck of them. Forward must be a pure function of the inputs and
// parameters (BatchNorm in training mode is). It returns the largest
// relative error it saw.
func Block(t testing.TB, name string, b mixedop.Block[float64], ins []Input, seed uint64, tol float64) float64 {
	t.Helper()
	const h, maxCheck = 1e-5, 48
	vals := make([][]float64, len(ins))
	shapes := make([]tensor.Shape, len(ins))
	for i, in := range ins {
		vals[i], shapes[i] = in.Value, in.Shape
	}
	outShape, err := b.OutShape(shapes)
	if err != nil {
		t.Fatalf("%s: OutShape: %v", name, err)
	}
	r := rng.New(seed)
	u := make([]float64, outShape.TotalSize())
	for i := range u {
		u[i] = r.NormFloat64()
	}
	loss := func() float64 {
		y, err := b.Forward(vals, shapes)
		if err != nil {
			t.Fatalf("%s: Forward: %v", name, err)
		}
		var l float64
		for i, v := range y {
			l += v * u[i]
		}
		return l
	}
	loss()
	din := make([][]float64, len(ins))
	for i, in := range ins {
		if in.Check {
			din[i] = make([]float64, len(in.Value))
		}
	}
	for _, p := range b.Params() {
		clear(p.Grad)
	}
	if err := b.Backward(u, din); err != nil {
		t.Fatalf("%s: Backward: %v", name, err)
	}
	worst := 0.0
	compare := func(what string, got, v []float64) {
		t.Helper()
		scale := 1e-8
		for _, g := range got {
			scale = math.Max(scale, math.Abs(g))
		}
		step := max(1, len(v)/maxCheck)
		for i := 0; i < len(v); i += step {
			old := v[i]
			v[i] = old + h
			lp := loss()
			v[i] = old - h
			lm := loss()
			v[i] = old
			num := (lp - lm) / (2 * h)
			rel := math.Abs(num-got[i]) / scale
			worst = math.Max(worst, rel)
			if !(rel <= tol) {
				t.Errorf("%s: d/d %s[%d] = %.9g, central difference %.9g (error %.3g of the largest, tolerance %.3g)", name, what, i, got[i], num, rel, tol)
				return
			}
		}
	}
	grads := make([][]float64, len(b.Params()))
	for i, p := range b.Params() {
		grads[i] = append([]float64(nil), p.Grad...)
	}
	for i, in := range ins {
		if in.Check {
			compare(fmt.Sprintf("input %d", i), din[i], vals[i])
		}
	}
	for i, p := range b.Params() {
		compare(p.Name, grads[i], p.Value)
	}
	return worst
}

// Randomize fills every parameter of b with N(0, σ²) draws from seed (σ
// = scale), so that a test starts from weights
// with no symmetry.
func Randomize(b mixedop.Block[float64], seed uint64, scale float64) {
	r := rng.New(seed)
	for _, p := range b.Params() {
		for i := range p.Value {
			p.Value[i] = scale * r.NormFloat64()
		}
	}
}

// Normal returns n draws from N(0, 1) with seed.
func Normal(seed uint64, n int) []float64 {
	r := rng.New(seed)
	v := make([]float64, n)
	for i := range v {
		v[i] = r.NormFloat64()
	}
	return v
}
