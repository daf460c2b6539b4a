package supernet

import (
	"fmt"

	"github.com/darts-go/darts/mixedop"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// DiscreteRunner runs a Discrete network on batches of one size, like
// Runner does for the search network. A training runner runs forward and
// backward with drop path (as set by Discrete.SetDropPath) and, if the
// network has one, the auxiliary head, whose loss enters the objective with
// weight AuxWeight; it leaves dObjective/dparam in every weight's Grad
// (auxiliary head's included). An eval runner runs forward only, with
// BatchNorm on its running statistics, no drop path and no auxiliary head.
type DiscreteRunner[T Float] struct {
	Net    *Discrete[T]
	Batch  int
	train  bool
	g      *mixedop.Graph[T]
	xbuf   []T
	ce     *crossEntropy[T]
	ceAux  *crossEntropy[T]
	logits *G.Node
	loss   *G.Node
	vm     G.VM
}

// NewRunner builds the graph of n for batches of size batch; with train,
// the training graph with its backward pass.
func (n *Discrete[T]) NewRunner(batch int, train bool) (*DiscreteRunner[T], error) {
	if batch < 1 {
		return nil, fmt.Errorf("batch size %d: need at least 1", batch)
	}
	c := n.Cfg
	r := &DiscreteRunner[T]{Net: n, Batch: batch, train: train, g: mixedop.NewGraph[T](), ce: &crossEntropy[T]{}}
	r.xbuf = make([]T, batch*c.InputC*c.InputH*c.InputW)
	xv := tensor.New(tensor.WithBacking(r.xbuf), tensor.WithShape(batch, c.InputC, c.InputH, c.InputW))
	x := G.NewTensor(r.g.G, mixedop.Dtype[T](), 4, G.WithShape(batch, c.InputC, c.InputH, c.InputW), G.WithName("input"), G.WithValue(xv))
	logits, auxLogits, err := n.Apply(r.g, x, train)
	if err != nil {
		return nil, err
	}
	r.logits = logits
	l, err := r.g.Apply(r.ce, nil, logits)
	if err != nil {
		return nil, err
	}
	if auxLogits != nil {
		r.ceAux = &crossEntropy[T]{}
		la, err := r.g.Apply(r.ceAux, nil, auxLogits)
		if err != nil {
			return nil, err
		}
		if l, err = r.g.Apply(&weightedSum[T]{w: T(AuxWeight)}, nil, l, la); err != nil {
			return nil, err
		}
	}
	if r.loss, err = G.Sum(l); err != nil {
		return nil, err
	}
	if train {
		var wrt []*G.Node
		for _, p := range r.g.Params() {
			pn, _ := r.g.Param(p)
			wrt = append(wrt, pn)
		}
		if _, err := G.Grad(r.loss, wrt...); err != nil {
			return nil, fmt.Errorf("building the backward pass: %w", err)
		}
	}
	r.vm = G.NewTapeMachine(r.g.G)
	return r, nil
}

// Run feeds one batch (x: NCHW float32, len Batch·C·H·W; y: Batch labels)
// forward, and backward for a training runner. Result.Loss is the
// objective: the mean cross-entropy, plus AuxWeight times the auxiliary
// head's in a training run with it (as train.py reports it).
func (r *DiscreteRunner[T]) Run(x []float32, y []int) (Result, error) {
	if len(x) != len(r.xbuf) || len(y) != r.Batch {
		return Result{}, fmt.Errorf("batch of %d values and %d labels, want %d and %d", len(x), len(y), len(r.xbuf), r.Batch)
	}
	for i, v := range x {
		r.xbuf[i] = T(v)
	}
	r.ce.labels = y
	if r.ceAux != nil {
		r.ceAux.labels = y
	}
	prev := r.Net.Ctx.Training
	r.Net.Ctx.Training = r.train
	defer func() { r.Net.Ctx.Training = prev }()
	r.vm.Reset()
	if err := r.vm.RunAll(); err != nil {
		return Result{}, err
	}
	res := Result{Loss: float64(r.loss.Value().Data().(T))}
	res.Correct = countCorrect(r.logits.Value().Data().([]T), y, r.Net.Cfg.Classes)
	return res, nil
}

// Close releases the tape machine.
func (r *DiscreteRunner[T]) Close() error { return r.vm.Close() }
