package supernet

import (
	"fmt"

	"github.com/darts-go/darts/mixedop"
	"github.com/darts-go/darts/relax"
	G "gorgonia.org/gorgonia"
)

// Runner runs a Network on batches of one size: it owns the gorgonia graph
// built for that size (gorgonia bakes the batch size into a graph) and its
// tape machine. A training Runner runs forward and backward and leaves the
// gradients in every parameter's Grad (weights and alphas); an eval Runner
// runs forward only, with BatchNorm on its running statistics.
type Runner[T Float] struct {
	*graphRun[T]
	Net    *Network[T]
	archP  []*mixedop.Param[T] // the architecture tensors in the graph
	alphaG []*G.Node           // their gradient nodes
	saved  [][]T               // BNBatch: the running statistics, put back after each run
}

// NewRunner builds the graph of n for batches of size batch. With train,
// it also builds the backward pass.
func (n *Network[T]) NewRunner(batch int, train bool) (*Runner[T], error) {
	c := n.Cfg
	gr, x, err := newGraphRun[T](batch, train, n.Ctx, [3]int{c.InputC, c.InputH, c.InputW}, c.Classes)
	if err != nil {
		return nil, err
	}
	r := &Runner[T]{graphRun: gr, Net: n}
	if sp, ok := n.Relax.(relax.Sparse); ok {
		// Only the ops a one-hot weight selects run (RSPS, a scored
		// candidate), as the reference computes them.
		r.skip = sp.Skip()
	}
	logits, err := n.Apply(r.g, x)
	if err != nil {
		return nil, err
	}
	l, err := r.crossEntropy(logits)
	if err != nil {
		return nil, err
	}
	grads, err := r.finish(logits, l, n.ArchParams()...)
	if err != nil {
		return nil, err
	}
	if train {
		for _, a := range n.ArchParams() {
			for i, p := range r.g.Params() {
				if p == a {
					r.archP = append(r.archP, a)
					r.alphaG = append(r.alphaG, grads[i])
				}
			}
		}
	}
	return r, nil
}

// SetWeightGrads turns the weights' gradients on (the default) or off for
// the following runs of a training Runner. Off, a run computes only the
// alphas' gradients, skipping every weight-gradient kernel: what a
// first-order architecture step needs.
func (r *Runner[T]) SetWeightGrads(on bool) { r.g.SetParamGrads(on) }

// SetBatchNormEval makes the following runs of a training Runner use
// BatchNorm's running statistics, as PyTorch's model.eval() does, while
// still running backward: the statistics are then read and not updated
// (SDARTS-ADV's attack on the edge weights). Off, the default, training
// runs use batch statistics and update the running ones.
func (r *Runner[T]) SetBatchNormEval(on bool) { r.evalBN = on }

// BNMode is how the BatchNorms of an eval Runner normalize.
type BNMode int

const (
	// BNRunning normalizes with the running statistics (eval mode, the
	// default).
	BNRunning BNMode = iota
	// BNBatch normalizes with each batch's own statistics, as training
	// does, and leaves the running statistics as they were: how a
	// candidate is scored with a one-shot supernet's shared weights,
	// whose running statistics are a mixture over every architecture
	// trained.
	BNBatch
	// BNBatchUpdate normalizes with each batch's statistics and updates
	// the running ones, as a training-mode forward does, without a
	// backward pass: what re-estimating them for one candidate takes.
	BNBatchUpdate
)

// SetBN sets how an eval Runner's BatchNorms normalize in the following
// runs (a training Runner uses batch statistics unless SetBatchNormEval).
func (r *Runner[T]) SetBN(m BNMode) {
	r.bn = m
	if m == BNBatch && r.saved == nil {
		for _, p := range r.Net.State() {
			r.saved = append(r.saved, make([]T, len(p.Value)))
		}
	}
}

// Result is what one run of a batch gives.
type Result struct {
	Loss    float64 // mean cross-entropy
	Correct int     // examples whose arg-max logit is the label
}

// Run feeds one batch (x: NCHW float32, len Batch·C·H·W; y: Batch labels)
// forward, and backward for a training Runner, after which every weight's
// and architecture tensor's Grad holds dLoss/dparam for this batch (zero for
// a tensor no cell reads).
func (r *Runner[T]) Run(x []float32, y []int) (Result, error) {
	if !r.train && r.bn == BNBatch {
		state := r.Net.State()
		for i, p := range state {
			copy(r.saved[i], p.Value)
		}
		defer func() {
			for i, p := range state {
				copy(p.Value, r.saved[i])
			}
		}()
	}
	res, err := r.run(x, y)
	if err != nil || !r.train {
		return res, err
	}
	for i, a := range r.archP {
		g, err := r.vm.Data(r.alphaG[i])
		if err != nil || len(g) != len(a.Grad) {
			return Result{}, fmt.Errorf("gradient of %s has an unexpected type or size", a.Name)
		}
		copy(a.Grad, g)
	}
	return res, nil
}

// Skip is which zero-weight ops the runner's runs leave out (Ctx.Skip):
// its relaxation's when that is relax.Sparse, else mixedop.RunAll.
func (r *Runner[T]) Skip() mixedop.Skip { return r.skip }
