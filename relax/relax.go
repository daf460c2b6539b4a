package relax

import (
	"github.com/darts-go/darts/mixedop"
	"github.com/darts-go/darts/space"
)

// Float is the element type of a network.
type Float = mixedop.Float

// Phase says which forward pass of a search step is running.
type Phase int

// The forward passes of a search.
const (
	// PhaseArch is the architecture step's pass on a search-val batch.
	PhaseArch Phase = iota
	// PhaseWeight is the weight step's pass on a search-train batch.
	PhaseWeight
	// PhaseEval is the evaluation on search-val after an epoch.
	PhaseEval
	// PhaseExtra is any other pass of an architecture step (the unrolled
	// second-order passes, a method's own probes); Pass.Sub numbers them.
	PhaseExtra
)

// Pass identifies one forward pass of a search. A relaxation's random
// draws are a pure function of it and of the tensor's name.
type Pass struct {
	Seed   uint64
	Epoch  int // epoch in progress, from 0
	Epochs int // the run's epochs, for schedules
	Step   int // step of the epoch, from 0
	Phase  Phase
	Sub    int // number of the pass within its phase
}

// Relaxation turns architecture tensors into edge weights.
type Relaxation[T Float] interface {
	// Name identifies the relaxation in config.json and checkpoints.
	Name() string
	// Block returns the graph block that maps the values of tensor t
	// (rows × columns, see space.Tensor) to the edge weights of one forward
	// pass, of the same shape. pass points at the pass in progress; the
	// search sets it before every run, and the block reads it in Forward.
	Block(t space.Tensor, pass *Pass) mixedop.Block[T]
	// Weights returns the deterministic weights of tensor t for its values
	// alpha: what alphas.jsonl records and derivation reads (softmax(α) for
	// DARTS; the mean of a sampler for sampling relaxations).
	Weights(t space.Tensor, alpha [][]float64) [][]float64
}

// Term is one architecture tensor handed to a Regularizer: its description,
// its values and the gradient to add to, both row-major Rows × Cols.
type Term struct {
	Tensor     space.Tensor
	Rows, Cols int
	Value      []float64
	Grad       []float64
}

// Regularizer is implemented by a relaxation that adds a term R(α) to the
// architecture objective (FairDARTS's zero-one loss, β-DARTS's Beta-Decay,
// DrNAS's KL): Regularize adds ∂R/∂α into every term's Grad and returns R.
// It may depend on the pass's epoch (a ramped weight).
type Regularizer interface {
	Regularize(ts []Term, pass Pass) float64
}

// Sparse is implemented by a relaxation whose edge weights are one-hot in
// the forward pass (hard Gumbel with a straight-through gradient), so that
// a mixed edge may run only the selected op: Skip says which ops of weight
// exactly 0 the network's mixed edges leave out (mixedop.Skip).
type Sparse interface {
	Skip() mixedop.Skip
}
