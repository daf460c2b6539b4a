// Package bilevel trains a supernet by alternating architecture steps on
// the search-validation split with weight steps on the search-train split,
// as DARTS does, with the method's parts plugged in (Method): the
// relaxation on the network, the architecture step (ArchStep: FirstOrder,
// SecondOrder, or one written elsewhere from what StepContext gives), the
// derivation rule of its genotype, warm-up epochs, a relaxation's
// regularizer, and a relaxation's perturbation of the weight step's edge
// weights (WeightPerturber, SDARTS). It checkpoints the whole search
// state, method included, and resumes it bit for bit.
//
// Optimizers and schedules are package optim's; the run directory is
// package job's.
package bilevel

import "github.com/darts-go/darts/mixedop"

// Float is the element type of a search: float32 in normal use, float64 for
// exact tests.
type Float = mixedop.Float
