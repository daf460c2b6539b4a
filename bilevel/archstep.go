package bilevel

import (
	"fmt"

	"github.com/darts-go/darts/datasets"
	"github.com/darts-go/darts/optim"
	"github.com/darts-go/darts/relax"
	"github.com/darts-go/darts/supernet"
)

// ArchStep is the pluggable part of an architecture step: it leaves an
// estimate of dL_val/dα in the Grad of every architecture tensor
// (c.Net.ArchParams()), given the step's context. The search then adds the
// relaxation's regularizer, checks the gradients and takes the Adam step.
// FirstOrder and SecondOrder are DARTS's; code outside this package can
// implement its own from what StepContext exposes.
type ArchStep[T Float] interface {
	// Name identifies the estimator in config.json and checkpoints.
	Name() string
	// ArchGrad computes the architecture gradient of one step. It must
	// leave the weights and the BatchNorm statistics as it found them,
	// except for the statistics updates its training-mode passes make.
	ArchGrad(c *StepContext[T]) error
}

// StepContext is what an architecture step (or, before the weight step, a
// WeightPerturber) sees of the search: the network, the step's
// search-train and search-val batches, a read-only view of the weight
// optimizer, the settings and the position; Run, SetWeightGrads and
// SetBatchNormEval drive the network's training-mode runners, Eval its
// eval-mode ones.
type StepContext[T Float] struct {
	Net         *supernet.Network[T]
	Train, Val  *datasets.Batch
	WeightOpt   optim.SGDView[T]
	Settings    Settings
	Epoch, Step int

	s           *Search[T]
	weightGrads bool
	weight      bool // the context of a weight step (WeightPerturber)
	evalBN      bool
}

// Run feeds batch b forward and backward through the training-mode runner
// of its size as pass sub of the step's architecture phase (which keys a
// sampling relaxation's draws; sub 0 is the main pass on the search-val
// batch), leaving every gradient in its parameter's Grad (the weights'
// only if SetWeightGrads allows), and checks that the loss is finite. what
// names the pass in errors.
//
// In a weight step's context (WeightPerturber) the passes are of the weight
// phase, and sub must be 1 or more: 0 is the weight step's own pass.
func (c *StepContext[T]) Run(b *datasets.Batch, sub int, what string) (supernet.Result, error) {
	p, err := c.passOf(sub, what)
	if err != nil {
		return supernet.Result{}, err
	}
	r, err := c.s.runner(b.N, true)
	if err != nil {
		return supernet.Result{}, fmt.Errorf("%s: %w", what, err)
	}
	r.SetWeightGrads(c.weightGrads)
	r.SetBatchNormEval(c.evalBN)
	defer func() {
		r.SetWeightGrads(true)
		r.SetBatchNormEval(false)
	}()
	return c.s.run(true, b, p, what)
}

// Eval feeds batch b forward only, through the eval-mode runner of its size
// (BatchNorm on its running statistics, no gradient), as pass sub of the
// context's phase, and checks that the loss is finite.
func (c *StepContext[T]) Eval(b *datasets.Batch, sub int, what string) (supernet.Result, error) {
	p, err := c.passOf(sub, what)
	if err != nil {
		return supernet.Result{}, err
	}
	return c.s.run(false, b, p, what)
}

// passOf is the pass sub of the context's phase.
func (c *StepContext[T]) passOf(sub int, what string) (relax.Pass, error) {
	switch {
	case c.weight && sub < 1:
		return relax.Pass{}, fmt.Errorf("%s: pass %d of a weight step: its probes are numbered from 1 (0 is the weight step itself)", what, sub)
	case c.weight:
		return c.s.pass(relax.PhaseWeight, sub), nil
	case sub > 0:
		return c.s.pass(relax.PhaseExtra, sub), nil
	}
	return c.s.pass(relax.PhaseArch, 0), nil
}

// SetBatchNormEval makes the following Runs use BatchNorm's running
// statistics (PyTorch's model.eval()), still differentiating, and leave the
// statistics as they are; off, the default, Runs use batch statistics and
// update the running ones.
func (c *StepContext[T]) SetBatchNormEval(on bool) { c.evalBN = on }

// SetWeightGrads turns the weights' gradients on (the default) or off for
// the following Runs. Off, a run computes only the architecture tensors'
// gradients and skips every weight-gradient kernel: what a first-order
// step needs.
func (c *StepContext[T]) SetWeightGrads(on bool) { c.weightGrads = on }

// FirstOrder is first-order DARTS: the gradient of the validation loss at
// the current weights.
type FirstOrder[T Float] struct{}

// Name implements ArchStep.
func (FirstOrder[T]) Name() string { return "first-order" }

// ArchGrad implements ArchStep.
func (FirstOrder[T]) ArchGrad(c *StepContext[T]) error {
	c.SetWeightGrads(false) // only dα is needed
	_, err := c.Run(c.Val, 0, "architecture step")
	return err
}

// stepContext is the context of an architecture step on the given batches
// at the search's position.
func (s *Search[T]) stepContext(train, val *datasets.Batch) *StepContext[T] {
	return &StepContext[T]{Net: s.Net, Train: train, Val: val, WeightOpt: s.wOpt.View(),
		Settings: s.S, Epoch: s.Epoch, Step: s.Step, s: s, weightGrads: true}
}
