package bilevel

import (
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

// StepContext is what an architecture step sees of the search: the
// network, the training-mode runner at the search's batch size (whose
// SetWeightGrads(false) skips the weights' gradients), the step's
// search-train and search-val batches, a read-only view of the weight
// optimizer, the settings and the position.
type StepContext[T Float] struct {
	Net         *supernet.Network[T]
	Runner      *supernet.Runner[T]
	Train, Val  *datasets.Batch
	WeightOpt   optim.SGDView[T]
	Settings    Settings
	Epoch, Step int

	s *Search[T]
}

// Run feeds batch b forward and backward through the runner as pass sub of
// the step's architecture phase (which keys a sampling relaxation's draws;
// sub 0 is the main pass on b), leaving every gradient in its parameter's
// Grad, and checks that the loss is finite. what names the pass in errors.
func (c *StepContext[T]) Run(b *datasets.Batch, sub int, what string) (supernet.Result, error) {
	phase := relax.PhaseArch
	if sub > 0 {
		phase = relax.PhaseExtra
	}
	return c.s.run(c.Runner, b, c.s.pass(phase, sub), what)
}

// FirstOrder is first-order DARTS: the gradient of the validation loss at
// the current weights.
type FirstOrder[T Float] struct{}

// Name implements ArchStep.
func (FirstOrder[T]) Name() string { return "first-order" }

// ArchGrad implements ArchStep.
func (FirstOrder[T]) ArchGrad(c *StepContext[T]) error {
	c.Runner.SetWeightGrads(false) // only dα is needed
	defer c.Runner.SetWeightGrads(true)
	_, err := c.Run(c.Val, 0, "architecture step")
	return err
}

// stepContext is the context of an architecture step on the given batches
// at the search's position.
func (s *Search[T]) stepContext(train, val *datasets.Batch) *StepContext[T] {
	return &StepContext[T]{Net: s.Net, Runner: s.train, Train: train, Val: val, WeightOpt: s.wOpt.View(),
		Settings: s.S, Epoch: s.Epoch, Step: s.Step, s: s}
}
