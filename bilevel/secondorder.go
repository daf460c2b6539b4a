package bilevel

import (
	"math"

	"github.com/darts-go/darts/mixedop"
)

// SecondOrder is the unrolled architecture gradient of DARTS (architect.py
// with unrolled=True). With ξ the current weight learning rate, m the SGD
// momentum buffer, μ the momentum and λ the weight decay:
//
//	w' = w − ξ·(μ·m + ∇w L_train(w, α) + λ·w)
//	g1 = ∇α L_val(w', α),  v = ∇w' L_val(w', α)
//	R  = 0.01/‖v‖
//	h  = (∇α L_train(w + R·v, α) − ∇α L_train(w − R·v, α)) / (2R)
//	∇α ≈ g1 − ξ·h
//
// The weights are restored bit for bit afterwards (copied back, not
// recomputed) and the momentum buffers are only read. The BatchNorm running
// statistics get what architect.py gives them: the updates of the
// training-mode passes at w, w + R·v and w − R·v, not the one at w', which
// PyTorch runs on a copy of the network.
//
// R is DARTS's (Epsilon = 0.01). ∇α L_train is only piecewise smooth (ReLU,
// max pooling), and a weight step of norm 0.01 crosses kinks where it
// jumps, so h is a smoothed Hessian-vector product: on small networks it
// can differ from the exact one by its own size. The tests hold the formula
// to the exact derivative with a much smaller Epsilon.
type SecondOrder[T Float] struct {
	// Epsilon sets R = Epsilon/‖v‖; 0 means DARTS's 0.01.
	Epsilon float64

	w, v   [][]T // snapshot of the weights; the direction v
	state  [][]T // snapshot of the BatchNorm running statistics
	g1, gp [][]T // alpha gradients at w' and at w + R·v
}

// Name implements ArchStep.
func (o *SecondOrder[T]) Name() string { return "second-order" }

func alloc[T Float](dst *[][]T, src []*mixedop.Param[T]) {
	if len(*dst) == len(src) {
		return
	}
	*dst = make([][]T, len(src))
	for i, p := range src {
		(*dst)[i] = make([]T, len(p.Value))
	}
}

func copyValues[T Float](dst [][]T, ps []*mixedop.Param[T]) {
	for i, p := range ps {
		copy(dst[i], p.Value)
	}
}

func copyGrads[T Float](dst [][]T, ps []*mixedop.Param[T]) {
	for i, p := range ps {
		copy(dst[i], p.Grad)
	}
}

func restoreValues[T Float](ps []*mixedop.Param[T], src [][]T) {
	for i, p := range ps {
		copy(p.Value, src[i])
	}
}

// ArchGrad implements ArchStep.
func (o *SecondOrder[T]) ArchGrad(c *StepContext[T]) error {
	ws, as := c.Net.Weights(), c.Net.ArchParams()
	state := c.Net.State()
	alloc(&o.w, ws)
	alloc(&o.v, ws)
	alloc(&o.state, state)
	alloc(&o.g1, as)
	alloc(&o.gp, as)
	copyValues(o.w, ws)
	defer restoreValues(ws, o.w)

	xi := c.WeightOpt.LR
	mu, wd := c.WeightOpt.Momentum, c.WeightOpt.WeightDecay
	bufs := c.WeightOpt.Buffers

	// ∇w L_train(w, α), then the virtual step.
	if _, err := c.Run(c.Train, 1, "unrolled step (train)"); err != nil {
		return err
	}
	for i, p := range ws {
		for j, w := range p.Value {
			d := T(mu)*bufs[i][j] + p.Grad[j] + T(wd)*w
			p.Value[j] = w - T(xi)*d
		}
	}
	// g1 and v at w'. PyTorch runs this pass on a copy of the network
	// (model.new()), so its BatchNorm statistics updates are dropped; the
	// passes at w and w ± R·v update the network's own.
	copyValues(o.state, state)
	_, err := c.Run(c.Val, 0, "unrolled step (val at w')")
	restoreValues(state, o.state)
	if err != nil {
		return err
	}
	copyGrads(o.g1, as)
	copyGrads(o.v, ws)
	var norm float64
	for _, v := range o.v {
		for _, x := range v {
			norm += float64(x) * float64(x)
		}
	}
	norm = math.Sqrt(norm)
	if norm == 0 || math.IsNaN(norm) || math.IsInf(norm, 0) {
		// No direction: the Hessian term vanishes.
		for i, a := range as {
			copy(a.Grad, o.g1[i])
		}
		if norm != 0 {
			return &NonFiniteError{Epoch: c.Epoch + 1, Step: c.Step, What: "validation gradient at the unrolled weights"}
		}
		return nil
	}
	eps := 0.01
	if o.Epsilon != 0 {
		eps = o.Epsilon
	}
	r := eps / norm
	shift := func(sign float64) {
		for i, p := range ws {
			for j := range p.Value {
				p.Value[j] = o.w[i][j] + T(sign*r)*o.v[i][j]
			}
		}
	}
	// The Hessian-vector product needs only dα at w ± R·v.
	c.SetWeightGrads(false)
	defer c.SetWeightGrads(true)
	shift(+1)
	if _, err := c.Run(c.Train, 2, "Hessian-vector product (w+R·v)"); err != nil {
		return err
	}
	copyGrads(o.gp, as)
	shift(-1)
	if _, err := c.Run(c.Train, 3, "Hessian-vector product (w−R·v)"); err != nil {
		return err
	}
	scale := xi / (2 * r)
	for i, a := range as {
		for j := range a.Grad {
			h := float64(o.gp[i][j]) - float64(a.Grad[j])
			a.Grad[j] = T(float64(o.g1[i][j]) - scale*h)
		}
	}
	return nil
}
