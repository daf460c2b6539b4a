package supernet

import (
	"fmt"

	"github.com/darts-go/darts/mixedop"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Runner runs a Network on batches of one size: it owns the gorgonia graph
// built for that size (gorgonia bakes the batch size into a graph) and its
// tape machine. A training Runner runs forward and backward and leaves the
// gradients in every parameter's Grad (weights and alphas); an eval Runner
// runs forward only, with BatchNorm on its running statistics.
type Runner[T Float] struct {
	Net    *Network[T]
	Batch  int
	train  bool
	g      *mixedop.Graph[T]
	xbuf   []T
	ce     *crossEntropy[T]
	logits *G.Node
	loss   *G.Node
	alphaG []*G.Node
	vm     G.VM
}

// NewRunner builds the graph of n for batches of size batch. With train,
// it also builds the backward pass.
func (n *Network[T]) NewRunner(batch int, train bool) (*Runner[T], error) {
	if batch < 1 {
		return nil, fmt.Errorf("batch size %d: need at least 1", batch)
	}
	c := n.Cfg
	r := &Runner[T]{Net: n, Batch: batch, train: train, g: mixedop.NewGraph[T](), ce: &crossEntropy[T]{}}
	r.xbuf = make([]T, batch*c.InputC*c.InputH*c.InputW)
	xv := tensor.New(tensor.WithBacking(r.xbuf), tensor.WithShape(batch, c.InputC, c.InputH, c.InputW))
	x := G.NewTensor(r.g.G, mixedop.Dtype[T](), 4, G.WithShape(batch, c.InputC, c.InputH, c.InputW), G.WithName("input"), G.WithValue(xv))
	logits, err := n.Apply(r.g, x)
	if err != nil {
		return nil, err
	}
	r.logits = logits
	l, err := r.g.Apply(r.ce, nil, logits)
	if err != nil {
		return nil, err
	}
	r.loss, err = G.Sum(l)
	if err != nil {
		return nil, err
	}
	if train {
		var wrt []*G.Node
		for _, p := range r.g.Params() {
			pn, _ := r.g.Param(p)
			wrt = append(wrt, pn)
		}
		grads, err := G.Grad(r.loss, wrt...)
		if err != nil {
			return nil, fmt.Errorf("building the backward pass: %w", err)
		}
		for _, a := range n.Alphas() {
			for i, p := range r.g.Params() {
				if p == a {
					r.alphaG = append(r.alphaG, grads[i])
				}
			}
		}
	}
	r.vm = G.NewTapeMachine(r.g.G)
	return r, nil
}

// SetWeightGrads turns the weights' gradients on (the default) or off for
// the following runs of a training Runner. Off, a run computes only the
// alphas' gradients, skipping every weight-gradient kernel: what a
// first-order architecture step needs.
func (r *Runner[T]) SetWeightGrads(on bool) { r.g.SetParamGrads(on) }

// Result is what one run of a batch gives.
type Result struct {
	Loss    float64 // mean cross-entropy
	Correct int     // examples whose arg-max logit is the label
}

// Run feeds one batch (x: NCHW float32, len Batch·C·H·W; y: Batch labels)
// forward, and backward for a training Runner, after which every weight's
// and alpha's Grad holds dLoss/dparam for this batch.
func (r *Runner[T]) Run(x []float32, y []int) (Result, error) {
	if len(x) != len(r.xbuf) || len(y) != r.Batch {
		return Result{}, fmt.Errorf("batch of %d values and %d labels, want %d and %d", len(x), len(y), len(r.xbuf), r.Batch)
	}
	for i, v := range x {
		r.xbuf[i] = T(v)
	}
	r.ce.labels = y
	prev := r.Net.Ctx.Training
	r.Net.Ctx.Training = r.train
	defer func() { r.Net.Ctx.Training = prev }()
	r.vm.Reset()
	if err := r.vm.RunAll(); err != nil {
		return Result{}, err
	}
	if r.train {
		for i, a := range r.Net.Alphas() {
			g, ok := r.alphaG[i].Value().Data().([]T)
			if !ok || len(g) != len(a.Grad) {
				return Result{}, fmt.Errorf("gradient of %s has an unexpected type or size", a.Name)
			}
			copy(a.Grad, g)
		}
	}
	res := Result{Loss: float64(r.loss.Value().Data().(T))}
	res.Correct = countCorrect(r.logits.Value().Data().([]T), y, r.Net.Cfg.Classes)
	return res, nil
}

// Close releases the tape machine.
func (r *Runner[T]) Close() error { return r.vm.Close() }

// countCorrect counts the rows of logits (N×k) whose arg-max is the label;
// ties go to the lower class, as torch.max does.
func countCorrect[T Float](logits []T, y []int, k int) int {
	correct := 0
	for n, label := range y {
		row := logits[n*k : (n+1)*k]
		best := 0
		for j, v := range row {
			if v > row[best] {
				best = j
			}
		}
		if best == label {
			correct++
		}
	}
	return correct
}
