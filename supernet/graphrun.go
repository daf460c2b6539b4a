package supernet

import (
	"fmt"
	"sync/atomic"

	"github.com/darts-go/darts/mixedop"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// noShare, set by tests, builds machines without Share: gorgonia's tape
// machine, the oracle of mixedop.Machine, runs some sums in place into an
// input gradient it holds dead, which is another node's buffer once
// shared.
var noShare atomic.Bool

// graphRun is what Runner and DiscreteRunner share: a gorgonia graph built
// for one batch size (gorgonia bakes the batch size into a graph), its
// input buffer, the loss heads, and the machine that runs it
// (mixedop.Machine: the tape machine's order and values without its
// per-run allocations).
type graphRun[T Float] struct {
	Batch   int
	train   bool
	evalBN  bool         // training graphs only: BatchNorm on running statistics
	bn      BNMode       // eval graphs only
	skip    mixedop.Skip // the relaxation's (relax.Sparse): Ctx.Skip in runs
	ctx     *mixedop.Ctx
	classes int
	g       *mixedop.Graph[T]
	xbuf    []T
	heads   []*crossEntropy[T] // every cross-entropy; each gets the labels
	logits  *G.Node
	loss    *G.Node
	vm      *mixedop.Machine[T]
}

// newGraphRun makes an empty graph with its input node, of shape
// (batch, C, H, W).
func newGraphRun[T Float](batch int, train bool, ctx *mixedop.Ctx, shape [3]int, classes int) (*graphRun[T], *G.Node, error) {
	if batch < 1 {
		return nil, nil, fmt.Errorf("batch size %d: need at least 1", batch)
	}
	r := &graphRun[T]{Batch: batch, train: train, ctx: ctx, classes: classes, g: mixedop.NewGraph[T]()}
	r.xbuf = make([]T, batch*shape[0]*shape[1]*shape[2])
	dims := []int{batch, shape[0], shape[1], shape[2]}
	xv := tensor.New(tensor.WithBacking(r.xbuf), tensor.WithShape(dims...))
	x := G.NewTensor(r.g.G, mixedop.Dtype[T](), 4, G.WithShape(dims...), G.WithName("input"), G.WithValue(xv))
	return r, x, nil
}

// crossEntropy adds a loss head on logits.
func (r *graphRun[T]) crossEntropy(logits *G.Node) (*G.Node, error) {
	ce := &crossEntropy[T]{}
	r.heads = append(r.heads, ce)
	return r.g.Apply(ce, nil, logits)
}

// finish makes objective (a (1)-shaped node) the loss, builds the backward
// pass of a training graph (every parameter in g) and the machine, whose
// lite program (run while the weights' gradients are off) computes the loss,
// the logits and the gradients of the parameters in lite. It returns the
// gradient node of each of g.Params(), nil for eval graphs.
func (r *graphRun[T]) finish(logits, objective *G.Node, lite ...*mixedop.Param[T]) ([]*G.Node, error) {
	r.logits = logits
	var err error
	if r.loss, err = G.Sum(objective); err != nil {
		return nil, err
	}
	var grads []*G.Node
	if r.train {
		// Only the parameters the loss depends on get a gradient: a cell
		// can leave an op out of every path to the output (a NAS-Bench-201
		// node whose value only 'none' reads), and gorgonia refuses to
		// differentiate with respect to what the loss does not use. The
		// others keep a zero gradient.
		reach := reachable(r.g.G, r.loss)
		var wrt []*G.Node
		var at []int
		for i, p := range r.g.Params() {
			pn, _ := r.g.Param(p)
			if reach[pn.ID()] {
				wrt = append(wrt, pn)
				at = append(at, i)
			}
		}
		gs, err := G.Grad(r.loss, wrt...)
		if err != nil {
			return nil, fmt.Errorf("building the backward pass: %w", err)
		}
		grads = make([]*G.Node, len(r.g.Params()))
		for k, i := range at {
			grads[i] = gs[k]
		}
	}
	var outs []*G.Node
	if r.train && len(lite) > 0 {
		outs = []*G.Node{r.loss, r.logits}
		for i, p := range r.g.Params() {
			for _, q := range lite {
				if p == q && grads[i] != nil {
					outs = append(outs, grads[i])
				}
			}
		}
	}
	if r.vm, err = r.g.NewMachine(outs...); err != nil {
		return nil, err
	}
	// The activation gradients live only during a run: they share buffers.
	if noShare.Load() {
		return grads, nil
	}
	keep := []*G.Node{r.loss, r.logits, objective}
	for _, g := range grads {
		if g != nil {
			keep = append(keep, g)
		}
	}
	if err := r.vm.Share(keep...); err != nil {
		return nil, err
	}
	return grads, nil
}

// run feeds one batch forward (and backward for a training graph) with the
// network in the graph's mode.
func (r *graphRun[T]) run(x []float32, y []int) (Result, error) {
	if len(x) != len(r.xbuf) || len(y) != r.Batch {
		return Result{}, fmt.Errorf("batch of %d values and %d labels, want %d and %d", len(x), len(y), len(r.xbuf), r.Batch)
	}
	for i, v := range x {
		r.xbuf[i] = T(v)
	}
	for _, h := range r.heads {
		h.labels = y
	}
	prev, prevSkip := r.ctx.Training, r.ctx.Skip
	if r.train {
		r.ctx.Training = !r.evalBN
	} else {
		r.ctx.Training = r.bn != BNRunning
	}
	r.ctx.Skip = r.skip
	defer func() { r.ctx.Training, r.ctx.Skip = prev, prevSkip }()
	if err := r.vm.Run(!r.g.ParamGrads()); err != nil {
		return Result{}, err
	}
	lv, err := r.vm.Value(r.loss)
	if err != nil {
		return Result{}, err
	}
	loss, ok := lv.Data().(T)
	if !ok {
		return Result{}, fmt.Errorf("the loss is %T, want a scalar %v", lv.Data(), mixedop.Dtype[T]())
	}
	logits, err := r.vm.Data(r.logits)
	if err != nil {
		return Result{}, err
	}
	return Result{Loss: float64(loss), Correct: countCorrect(logits, y, r.classes)}, nil
}

// Close releases the machine.
func (r *graphRun[T]) Close() error { return nil }

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

// reachable lists the nodes out reads, directly or not.
func reachable(g *G.ExprGraph, out *G.Node) map[int64]bool {
	seen := map[int64]bool{out.ID(): true}
	stack := []int64{out.ID()}
	for len(stack) > 0 {
		id := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		it := g.From(id)
		for it.Next() {
			c := it.Node().ID()
			if !seen[c] {
				seen[c] = true
				stack = append(stack, c)
			}
		}
	}
	return seen
}
