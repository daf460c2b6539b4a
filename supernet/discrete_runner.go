package supernet

// DiscreteRunner runs a Discrete network on batches of one size, like
// Runner does for the search network. A training runner runs forward and
// backward with drop path (as set by Discrete.SetDropPath) and, if the
// network has one, the auxiliary head, whose loss enters the objective with
// weight AuxWeight; it leaves dObjective/dparam in every weight's Grad
// (auxiliary head's included). An eval runner runs forward only, with
// BatchNorm on its running statistics, no drop path and no auxiliary head.
type DiscreteRunner[T Float] struct {
	*graphRun[T]
	Net *Discrete[T]
}

// NewRunner builds the graph of n for batches of size batch; with train,
// the training graph with its backward pass.
func (n *Discrete[T]) NewRunner(batch int, train bool) (*DiscreteRunner[T], error) {
	c := n.Cfg
	gr, x, err := newGraphRun[T](batch, train, n.Ctx, [3]int{c.InputC, c.InputH, c.InputW}, c.Classes)
	if err != nil {
		return nil, err
	}
	r := &DiscreteRunner[T]{graphRun: gr, Net: n}
	logits, auxLogits, err := n.Apply(r.g, x, train)
	if err != nil {
		return nil, err
	}
	l, err := r.crossEntropy(logits)
	if err != nil {
		return nil, err
	}
	if auxLogits != nil {
		la, err := r.crossEntropy(auxLogits)
		if err != nil {
			return nil, err
		}
		if l, err = r.g.Apply(&weightedSum[T]{w: T(AuxWeight)}, nil, l, la); err != nil {
			return nil, err
		}
	}
	if _, err := r.finish(logits, l); err != nil {
		return nil, err
	}
	return r, nil
}

// Run feeds one batch (x: NCHW float32, len Batch·C·H·W; y: Batch labels)
// forward, and backward for a training runner. Result.Loss is the
// objective: the mean cross-entropy, plus AuxWeight times the auxiliary
// head's in a training run with it (as train.py reports it).
func (r *DiscreteRunner[T]) Run(x []float32, y []int) (Result, error) { return r.run(x, y) }
