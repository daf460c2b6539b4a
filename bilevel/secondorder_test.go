package bilevel

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/darts-go/darts/datasets"
	"github.com/darts-go/darts/mixedop"
	"github.com/darts-go/darts/optim"
	"github.com/darts-go/darts/relax"
	"github.com/darts-go/darts/supernet"
)

// The helpers of this file carry an "so" prefix: search_test.go, in the
// same package, has its own tiny-network helpers.

// soConfig is a network small enough to differentiate numerically through
// a whole virtual step: 3 cells (normal, reduce, reduce) of 2 nodes, so
// both alpha matrices matter, 5 edges × 4 ops each.
func soConfig() supernet.Config {
	return supernet.Config{InputC: 1, InputH: 8, InputW: 8, Classes: 3, C: 2, Layers: 3, Steps: 2,
		Primitives: []string{"none", "max_pool_3x3", "skip_connect", "sep_conv_3x3"}}
}

// soSearch builds a search on 32 synthetic 1×8×8 images (16 search-train,
// 16 search-val, batches of 8).
func soSearch[T Float](t testing.TB, order int, lr float64) *Search[T] {
	t.Helper()
	d, err := datasets.Load(datasets.Options{Name: "synthetic", Shape: [3]int{1, 8, 8}, Classes: 3, Limit: 32, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	st := DefaultSettings()
	st.Epochs, st.BatchSize, st.Seed, st.Order, st.LR, st.LRMin = 2, 8, 11, order, lr, 0
	st.ArchLR = 3e-2
	net, err := supernet.NewNetwork[T](soConfig(), st.Seed)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSearch(net, d, st, Method[T]{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// soBatches returns the first search-train and search-val batches.
func soBatches[T Float](s *Search[T]) (train, val *datasets.Batch) {
	train, val = new(datasets.Batch), new(datasets.Batch)
	s.Data.Train.Batches(s.S.BatchSize, 0, 1, true, datasets.Augment{}, true).Next(train)
	s.Data.Val.Batches(s.S.BatchSize, 0, 2, true, datasets.Augment{}, true).Next(val)
	return train, val
}

// soWarm takes real weight steps, so that the momentum buffers are not zero
// and the weights are not at their initialization, and spreads the alphas
// so that the softmax is far from uniform (a generic point).
func soWarm[T Float](t testing.TB, s *Search[T], train *datasets.Batch, steps int) {
	t.Helper()
	for range steps {
		if _, err := s.run(true, train, s.pass(relax.PhaseWeight, 0), "warm-up"); err != nil {
			t.Fatal(err)
		}
		optim.ClipGradNorm(s.weights, s.S.GradClip)
		s.wOpt.Step()
	}
	r := rand.New(rand.NewPCG(1, 2))
	for _, a := range s.arch {
		for j := range a.Value {
			a.Value[j] = T(0.5 * r.NormFloat64())
		}
	}
}

func soCopy[T Float](xs [][]T) [][]T {
	out := make([][]T, len(xs))
	for i, x := range xs {
		out[i] = append([]T(nil), x...)
	}
	return out
}

func soValues[T Float](ps []*mixedop.Param[T]) [][]T {
	out := make([][]T, len(ps))
	for i, p := range ps {
		out[i] = append([]T(nil), p.Value...)
	}
	return out
}

func soFlat[T Float](ps []*mixedop.Param[T], grad bool) []float64 {
	var out []float64
	for _, p := range ps {
		src := p.Value
		if grad {
			src = p.Grad
		}
		for _, v := range src {
			out = append(out, float64(v))
		}
	}
	return out
}

// soSameBits reports the first index (i, j) where a and b differ bitwise.
func soSameBits[T Float](a, b [][]T) (i, j int, same bool) {
	for i := range a {
		for j := range a[i] {
			if math.Float64bits(float64(a[i][j])) != math.Float64bits(float64(b[i][j])) {
				return i, j, false
			}
		}
	}
	return 0, 0, true
}

func soNorm(x []float64) float64 {
	var s float64
	for _, v := range x {
		s += v * v
	}
	return math.Sqrt(s)
}

// soRelErr is ‖got − want‖ / ‖want‖.
func soRelErr(got, want []float64) float64 {
	d := make([]float64, len(got))
	for i := range got {
		d[i] = got[i] - want[i]
	}
	return soNorm(d) / soNorm(want)
}

// unrolledLoss is the function whose α-derivative second order DARTS
// approximates: L_val(w − ξ·(μ·m + ∇w L_train(w, α) + λ·w), α), evaluated
// exactly (no Hessian approximation) at the current weights and alphas.
// It leaves the weights as it found them.
func unrolledLoss(t *testing.T, s *Search[float64], train, val *datasets.Batch) float64 {
	t.Helper()
	w := soValues(s.weights)
	defer func() {
		for i, p := range s.weights {
			copy(p.Value, w[i])
		}
	}()
	if _, err := s.run(true, train, s.pass(relax.PhaseExtra, 1), "∇w L_train"); err != nil {
		t.Fatal(err)
	}
	xi, mu, wd := s.wOpt.LR, s.S.Momentum, s.S.WeightDecay
	m := s.wOpt.Buffers()
	for i, p := range s.weights {
		for j := range p.Value {
			p.Value[j] = w[i][j] - xi*(mu*m[i][j]+p.Grad[j]+wd*w[i][j])
		}
	}
	res, err := s.run(true, val, s.pass(relax.PhaseArch, 0), "L_val(w')")
	if err != nil {
		t.Fatal(err)
	}
	return res.Loss
}

// exactHypergradient differentiates unrolledLoss by central differences of
// step eps on each alpha.
func exactHypergradient(t *testing.T, s *Search[float64], train, val *datasets.Batch, eps float64) []float64 {
	t.Helper()
	var g []float64
	for _, a := range s.arch {
		for j := range a.Value {
			a0 := a.Value[j]
			a.Value[j] = a0 + eps
			lp := unrolledLoss(t, s, train, val)
			a.Value[j] = a0 - eps
			lm := unrolledLoss(t, s, train, val)
			a.Value[j] = a0
			g = append(g, (lp-lm)/(2*eps))
		}
	}
	return g
}

// TestSecondOrderMatchesExactHypergradient holds SecondOrder.ArchGrad to
// central differences of the unrolled validation loss through the whole
// virtual step, on a float64 network with non-zero momentum buffers. It
// also checks that the comparison has the power to catch what matters: the
// first-order gradient, g1 without the Hessian term and the R/2 porting bug
// must all fail it.
//
// Both finite differences take short steps: R = 1e-7/‖v‖ instead of
// DARTS's 0.01/‖v‖, and 1e-7 on each alpha. The losses are only piecewise
// smooth (ReLU and max-pool kinks), and ∇α L_train and ∇w L_train jump
// across a kink by hundreds of times their smooth change over the step: on
// this network a weight step of norm 0.01 crosses such kinks and the
// Hessian term comes out wrong by O(1), for a reason that is DARTS's, not
// ours (logged below). The default step is held to 0.01 separately, and the
// test checks that its own reference is smooth at the point it uses.
func TestSecondOrderMatchesExactHypergradient(t *testing.T) {
	// The issue asks for 1e-3; with short steps the reference is good to
	// ~1e-7, and 1e-5 also catches a virtual step without weight decay.
	const (
		tol = 1e-5
		eps = 1e-7
	)
	// ξ = 0.1 and λ = 0.03 rather than DARTS's 0.025 and 3e-4 make the
	// second-order term and the decay in the virtual step large enough that
	// dropping or mis-scaling either is far outside tol.
	s := soSearch[float64](t, 2, 0.1)
	s.S.WeightDecay, s.wOpt.WeightDecay = 0.03, 0.03
	train, val := soBatches(s)
	soWarm(t, s, train, 3)
	if soNorm(soFlat(s.weights, false)) == 0 || soNorm(soFlatBufs(s.wOpt.Buffers())) == 0 {
		t.Fatal("warm-up left zero weights or zero momentum buffers")
	}

	want := exactHypergradient(t, s, train, val, eps)
	if e := soRelErr(exactHypergradient(t, s, train, val, 10*eps), want); !(e < 1e-6) {
		t.Fatalf("exact hypergradients with steps %g and %g differ by %.2g: a kink lies within the step, move the test point (seed, warm-up)", eps, 10*eps, e)
	}
	if n := soNorm(want); !(n > 1e-6) {
		t.Fatalf("exact hypergradient has norm %g: the test network does not depend on its alphas", n)
	}

	grad := func(o ArchStep[float64]) []float64 {
		t.Helper()
		if err := o.ArchGrad(s.stepContext(train, val)); err != nil {
			t.Fatal(err)
		}
		return soFlat(s.arch, true)
	}
	g1Only := func() []float64 {
		o := &SecondOrder[float64]{Epsilon: eps}
		grad(o)
		var out []float64
		for _, x := range o.g1 {
			out = append(out, x...)
		}
		return out
	}
	// rOverTwo is what a port with the R/2-for-1/(2R) bug returns: the
	// Hessian term g1 - g scaled by R², from the same run's g1 and R.
	rOverTwo := func() []float64 {
		o := &SecondOrder[float64]{Epsilon: eps}
		g := grad(o)
		var g1 []float64
		for _, x := range o.g1 {
			g1 = append(g1, x...)
		}
		var vv float64
		for _, v := range o.v {
			for _, x := range v {
				vv += x * x
			}
		}
		r := eps / math.Sqrt(vv)
		out := make([]float64, len(g))
		for i := range g {
			out[i] = g1[i] - (g1[i]-g[i])*r*r
		}
		return out
	}

	cases := []struct {
		name string
		got  []float64
		pass bool
	}{
		{"second order", grad(&SecondOrder[float64]{Epsilon: eps}), true},
		{"second order with R/2 for 1/(2R)", rOverTwo(), false},
		{"first order (∇α L_val at w)", grad(FirstOrder[float64]{}), false},
		{"∇α L_val at w' without the Hessian term", g1Only(), false},
	}
	for _, c := range cases {
		e := soRelErr(c.got, want)
		t.Logf("%s: relative error %.2e", c.name, e)
		if c.pass && !(e <= tol) {
			t.Errorf("%s: relative error %.3g against the exact hypergradient, want ≤ %g", c.name, e, tol)
		}
		if !c.pass && !(e > 10*tol) {
			t.Errorf("%s: relative error %.3g, want > %g (the test cannot tell it from the right gradient)", c.name, e, 10*tol)
		}
	}

	def := grad(&SecondOrder[float64]{})
	t.Logf("second order with DARTS's R = 0.01/‖v‖: relative error %.2e (kinks)", soRelErr(def, want))
	if i, j, ok := soSameBits([][]float64{def}, [][]float64{grad(&SecondOrder[float64]{Epsilon: 0.01})}); !ok {
		t.Errorf("default step differs from R = 0.01/‖v‖ at alpha %d (%d)", j, i)
	}
}

func soFlatBufs[T Float](bufs [][]T) []float64 {
	var out []float64
	for _, b := range bufs {
		for _, v := range b {
			out = append(out, float64(v))
		}
	}
	return out
}

// TestSecondOrderRestoresState checks that an architecture step leaves the
// weights, alphas and both optimizers' states bit for bit as they were, and
// updates the BatchNorm running statistics as PyTorch does, in float32
// (what darts search runs) and float64.
func TestSecondOrderRestoresState(t *testing.T) {
	t.Run("float32", func(t *testing.T) { testSecondOrderRestores[float32](t) })
	t.Run("float64", func(t *testing.T) { testSecondOrderRestores[float64](t) })
}

func testSecondOrderRestores[T Float](t *testing.T) {
	s := soSearch[T](t, 2, 0.025)
	train, val := soBatches(s)
	soWarm(t, s, train, 2)
	// Adam moments too: one real architecture step.
	if err := s.Method.Arch.ArchGrad(s.stepContext(train, val)); err != nil {
		t.Fatal(err)
	}
	s.aOpt.Step()

	state := s.Net.State()
	am, av := s.aOpt.Moments()
	type snap struct {
		name string
		cur  func() [][]T
		was  [][]T
	}
	snaps := []snap{
		{name: "weights", cur: func() [][]T { return soValues(s.weights) }},
		{name: "alphas", cur: func() [][]T { return soValues(s.arch) }},
		{name: "SGD momentum buffers", cur: func() [][]T { return soCopy(s.wOpt.Buffers()) }},
		{name: "Adam first moments", cur: func() [][]T { return soCopy(am) }},
		{name: "Adam second moments", cur: func() [][]T { return soCopy(av) }},
	}
	for i := range snaps {
		snaps[i].was = snaps[i].cur()
	}
	statsBefore := soValues(state)
	sgdSteps, adamSteps, lr := s.wOpt.Steps(), s.aOpt.Steps(), s.wOpt.LR

	if err := s.Method.Arch.ArchGrad(s.stepContext(train, val)); err != nil {
		t.Fatal(err)
	}
	if !optim.AllFinite(s.arch[0].Grad) || soNorm(soFlat(s.arch, true)) == 0 {
		t.Fatalf("architecture gradient is zero or not finite: %v", s.arch[0].Grad)
	}
	for _, sn := range snaps {
		if i, j, ok := soSameBits(sn.was, sn.cur()); !ok {
			t.Errorf("%s changed by the architecture step: tensor %d element %d was %v, is %v", sn.name, i, j, sn.was[i][j], sn.cur()[i][j])
		}
	}
	if s.wOpt.Steps() != sgdSteps || s.aOpt.Steps() != adamSteps || s.wOpt.LR != lr {
		t.Errorf("optimizer counters changed: SGD steps %d → %d, Adam steps %d → %d, LR %g → %g",
			sgdSteps, s.wOpt.Steps(), adamSteps, s.aOpt.Steps(), lr, s.wOpt.LR)
	}
	// The BatchNorm statistics are not restored: architect.py's passes at
	// w and w ± R·v run on the network itself and update them (what they
	// become is held to PyTorch by the whole-step golden test).
	if _, _, ok := soSameBits(statsBefore, soValues(state)); ok {
		t.Error("the second-order step left the BatchNorm running statistics as they were; PyTorch updates them three times")
	}
}

// TestSecondOrderSearch runs a whole tiny search in each order from the
// same seed: second order runs, stays finite, and ends at other alphas.
func TestSecondOrderSearch(t *testing.T) {
	final := map[int][]float64{}
	for _, order := range []int{1, 2} {
		s := soSearch[float32](t, order, 0.025)
		if _, ok := s.Method.Arch.(*SecondOrder[float32]); ok != (order == 2) {
			t.Fatalf("order %d: architecture gradient is %T", order, s.Method.Arch)
		}
		a0 := soFlat(s.arch, false)
		steps := 0
		for !s.Done() {
			m, err := s.RunEpoch(context.Background(), func(StepInfo) { steps++ })
			if err != nil {
				t.Fatalf("order %d: %v", order, err)
			}
			if math.IsNaN(m.TrainLoss) || math.IsNaN(m.ValLoss) {
				t.Fatalf("order %d: epoch %d metrics not finite: %+v", order, m.Epoch, m)
			}
		}
		if want := s.S.Epochs * s.StepsPerEpoch(); steps != want || steps == 0 {
			t.Fatalf("order %d: %d steps, want %d", order, steps, want)
		}
		a := soFlat(s.arch, false)
		if soRelErr(a, a0) < 1e-3 {
			t.Errorf("order %d: alphas hardly moved (relative change %.2g)", order, soRelErr(a, a0))
		}
		final[order] = a
	}
	d := make([]float64, len(final[1]))
	for i := range d {
		d[i] = final[2][i] - final[1][i]
	}
	// The orders differ by the ξ·h term at every step: far more than float32
	// rounding, but a fraction of the alphas' own movement.
	if e := soNorm(d) / soNorm(final[1]); !(e > 1e-4) {
		t.Errorf("second-order alphas equal first-order ones (relative difference %.2g)", e)
	}
}
