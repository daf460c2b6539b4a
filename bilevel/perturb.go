package bilevel

import "github.com/darts-go/darts/datasets"

// WeightPerturber is implemented by a relaxation that trains the weights
// under perturbed edge weights (SDARTS's random smoothing and adversarial
// attack). Before every weight step the search calls PerturbWeights with
// the weight step's context: Train is its batch, Val is nil, and the
// context's Run and Eval passes are of the weight phase, numbered from
// Sub 1. The relaxation's blocks then give the perturbed weights in the
// weight step's own pass (relax.PhaseWeight, Sub 0) and the unperturbed
// ones in every other pass, so that the architecture step and the
// evaluation never see the perturbation and nothing has to be restored.
// The perturbation must be a function of the search's state and of the
// pass (seed, epoch, step), so that a resumed search draws the same.
type WeightPerturber[T Float] interface {
	PerturbWeights(c *StepContext[T]) error
}

// weightContext is the context of the weight step on batch train.
func (s *Search[T]) weightContext(train *datasets.Batch) *StepContext[T] {
	c := s.stepContext(train, nil)
	c.weight = true
	return c
}
