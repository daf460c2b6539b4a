package relax_test

import (
	"math"
	"testing"

	"github.com/darts-go/darts/internal/rng"
	"github.com/darts-go/darts/relax"
	"github.com/darts-go/darts/space"
	"gorgonia.org/tensor"
)

var fairTensor = space.Tensor{Name: "normal", Param: "alphas_normal", Cell: "normal"}

// randTerms returns two 14×7 terms (α_normal, α_reduce) with values drawn
// from N(0, scale²).
func randTerms(seed uint64, scale float64) []relax.Term {
	r := rng.New(seed)
	ts := make([]relax.Term, 2)
	for i := range ts {
		ts[i] = relax.Term{Rows: 14, Cols: 7, Value: make([]float64, 98), Grad: make([]float64, 98)}
		for j := range ts[i].Value {
			ts[i].Value[j] = scale * r.NormFloat64()
		}
	}
	return ts
}

// checkFD compares the gradient reg adds to central differences of the
// value it returns, entry by entry, to 1e-7 absolute.
func checkFD(t *testing.T, name string, ts []relax.Term, reg func([]relax.Term) float64) {
	t.Helper()
	reg(ts)
	zero := func() {
		for _, tm := range ts {
			clear(tm.Grad)
		}
	}
	grads := make([][]float64, len(ts))
	for i, tm := range ts {
		grads[i] = append([]float64(nil), tm.Grad...)
	}
	const h = 1e-5
	for i, tm := range ts {
		for j := range tm.Value {
			v := tm.Value[j]
			tm.Value[j] = v + h
			zero()
			up := reg(ts)
			tm.Value[j] = v - h
			zero()
			down := reg(ts)
			tm.Value[j] = v
			fd := (up - down) / (2 * h)
			if d := math.Abs(fd - grads[i][j]); d > 1e-7 {
				t.Fatalf("%s: term %d entry %d: gradient %.10g, finite difference %.10g", name, i, j, grads[i][j], fd)
			}
		}
	}
}

// TestZeroOneLossFiniteDifferences: ZeroOneLoss's gradient (weight 10, as
// FairDARTS) is the derivative of its value, and the value is the closed
// form at α = 0 (σ = ½ everywhere: 0) and for large |α| (σ → 0 or 1:
// −w/4).
func TestZeroOneLossFiniteDifferences(t *testing.T) {
	checkFD(t, "zero-one", randTerms(3, 1.5), func(ts []relax.Term) float64 { return relax.ZeroOneLoss(ts, 10) })
	zero := randTerms(4, 0)
	if v := relax.ZeroOneLoss(zero, 10); v != 0 {
		t.Errorf("zero-one loss at α = 0: %g, want 0", v)
	}
	for _, g := range zero[0].Grad {
		if g != 0 {
			t.Fatalf("zero-one gradient at α = 0: %g, want 0 (σ = ½ is a stationary point)", g)
		}
	}
	big := randTerms(5, 0)
	for i := range big {
		for j := range big[i].Value {
			big[i].Value[j] = 40 * float64(1-2*(j%2))
		}
	}
	if v := relax.ZeroOneLoss(big, 10); math.Abs(v+2.5) > 1e-12 {
		t.Errorf("zero-one loss at |α| = 40: %g, want −10/4", v)
	}
}

// TestBetaDecayFiniteDifferences: BetaDecayLoss's gradient is the
// derivative of its value; its gradient is softmax(row)/rows, so each
// row's gradient sums to 1/rows; a constant row c of K entries gives
// c + log K; huge logits do not overflow.
func TestBetaDecayFiniteDifferences(t *testing.T) {
	checkFD(t, "beta-decay", randTerms(6, 2), func(ts []relax.Term) float64 { return relax.BetaDecayLoss(ts, 3) })
	ts := randTerms(7, 1)
	relax.BetaDecayLoss(ts, 1)
	for i, tm := range ts {
		for r := 0; r < tm.Rows; r++ {
			var s float64
			for _, g := range tm.Grad[r*tm.Cols : (r+1)*tm.Cols] {
				if g <= 0 {
					t.Fatalf("term %d row %d: gradient %g, want > 0 (beta-decay pulls every logit down)", i, r, g)
				}
				s += g
			}
			if math.Abs(s-1.0/28) > 1e-15 {
				t.Errorf("term %d row %d: gradient sums to %g, want 1/28", i, r, s)
			}
		}
	}
	c := randTerms(8, 0)
	for i := range c {
		for j := range c[i].Value {
			c[i].Value[j] = 800
		}
	}
	if v := relax.BetaDecayLoss(c, 1); math.Abs(v-(800+math.Log(7))) > 1e-9 {
		t.Errorf("beta-decay of constant rows 800: %g, want 800 + log 7", v)
	}
}

// TestBetaDecayRamp: λ_e = Weight·e/RampEpochs from the pass's 0-based
// epoch, β-DARTS's 50·e/100, with no cap past the ramp.
func TestBetaDecayRamp(t *testing.T) {
	b := relax.BetaDecay[float32]{Weight: 50, RampEpochs: 100}
	for _, c := range []struct {
		epoch int
		want  float64
	}{{0, 0}, {1, 0.5}, {99, 49.5}, {150, 75}} {
		if got := b.Lambda(c.epoch); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("λ at epoch %d = %g, want %g", c.epoch, got, c.want)
		}
	}
	ts := randTerms(9, 1)
	ref := randTerms(9, 1)
	v := b.Regularize(ts, relax.Pass{Epoch: 10})
	want := relax.BetaDecayLoss(ref, 5)
	if v != want {
		t.Errorf("Regularize at epoch 10 = %g, want BetaDecayLoss with λ = 5: %g", v, want)
	}
	for j := range ts[0].Grad {
		if ts[0].Grad[j] != ref[0].Grad[j] {
			t.Fatalf("Regularize's gradient differs from BetaDecayLoss's at λ = 5")
		}
	}
	if v := b.Regularize(randTerms(9, 1), relax.Pass{Epoch: 0}); v != 0 {
		t.Errorf("Regularize at epoch 0 = %g, want 0 (the ramp starts at 0)", v)
	}
}

// TestSigmoidBlockFiniteDifferences holds SigmoidBlock's backward to
// central differences of L = Σ σ(x)⊙u in float64, and its forward to the
// relaxation's Weights (what alphas.jsonl records), including |x| large
// enough to overflow a naive exp.
func TestSigmoidBlockFiniteDifferences(t *testing.T) {
	r := rng.New(11)
	x := make([]float64, 21)
	u := make([]float64, len(x))
	for i := range x {
		x[i], u[i] = 3*r.NormFloat64(), r.NormFloat64()
	}
	x[0], x[1] = 800, -800
	b := &relax.SigmoidBlock[float64]{Label: "s"}
	if _, err := b.OutShape([]tensor.Shape{{3, 7}}); err != nil {
		t.Fatal(err)
	}
	y, err := b.Forward([][]float64{x}, []tensor.Shape{{3, 7}})
	if err != nil {
		t.Fatal(err)
	}
	rows := [][]float64{x[:7], x[7:14], x[14:]}
	w := relax.Sigmoid[float64]{}.Weights(fairTensor, rows)
	for i := range x {
		if y[i] != w[i/7][i%7] {
			t.Fatalf("entry %d: block %g, Weights %g", i, y[i], w[i/7][i%7])
		}
		if math.IsNaN(y[i]) || y[i] < 0 || y[i] > 1 {
			t.Fatalf("σ(%g) = %g", x[i], y[i])
		}
	}
	dx := make([]float64, len(x))
	if err := b.Backward(u, [][]float64{dx}); err != nil {
		t.Fatal(err)
	}
	loss := func(x []float64) float64 {
		bb := &relax.SigmoidBlock[float64]{}
		y, _ := bb.Forward([][]float64{x}, nil)
		var s float64
		for i := range y {
			s += y[i] * u[i]
		}
		return s
	}
	const h = 1e-6
	for i := range x {
		v := x[i]
		x[i] = v + h
		up := loss(x)
		x[i] = v - h
		down := loss(x)
		x[i] = v
		if fd := (up - down) / (2 * h); math.Abs(fd-dx[i]) > 1e-8 {
			t.Errorf("entry %d (x = %g): gradient %.10g, finite difference %.10g", i, v, dx[i], fd)
		}
	}
}

// TestSigmoidRegularizer: the relaxation's Regularizer is ZeroOneWeight
// times the zero-one loss, and nothing without a weight.
func TestSigmoidRegularizer(t *testing.T) {
	var reg relax.Regularizer = relax.Sigmoid[float32]{ZeroOneWeight: 10}
	ts, ref := randTerms(12, 1), randTerms(12, 1)
	if got, want := reg.Regularize(ts, relax.Pass{Epoch: 3}), relax.ZeroOneLoss(ref, 10); got != want {
		t.Errorf("Regularize = %g, want %g", got, want)
	}
	none := randTerms(12, 1)
	if v := (relax.Sigmoid[float32]{}).Regularize(none, relax.Pass{}); v != 0 || none[0].Grad[0] != 0 {
		t.Errorf("no zero-one weight: value %g, gradient %g; want 0, 0", v, none[0].Grad[0])
	}
	var _ relax.Relaxation[float32] = relax.Sigmoid[float32]{}
	var _ relax.Relaxation[float64] = relax.BetaDecay[float64]{}
}
