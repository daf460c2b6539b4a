package supernet

import (
	"fmt"
	"math"

	"github.com/darts-go/darts/internal/rng"
	"github.com/darts-go/darts/mixedop"
	"github.com/darts-go/darts/relax"
	"github.com/darts-go/darts/space"
	G "gorgonia.org/gorgonia"
)

// Arch is one architecture tensor of a supernet: its description (name,
// cell type, columns) and its parameter, Rows × Cols, row-major.
type Arch[T Float] struct {
	Tensor     space.Tensor
	Param      *mixedop.Param[T]
	Rows, Cols int
}

// Network is a search supernet: stem, cells of mixed edges, global pooling
// and a linear classifier, with architecture tensors (space.Tensor, one
// per cell type: DARTS's "normal" and "reduce") shared by all cells of a
// type, turned into edge weights by a relaxation (softmax by default).
type Network[T Float] struct {
	Cfg   Config
	Space space.Space
	Ctx   *mixedop.Ctx
	// Relax turns the architecture tensors into edge weights; set it before
	// the first NewRunner (runners build it into their graphs).
	Relax relax.Relaxation[T]
	// Pass is the forward pass in progress, read by the relaxation's blocks
	// (their random draws are a function of it): the search sets it before
	// every run.
	Pass *relax.Pass

	arch    []*Arch[T]
	stem    mixedop.Module[T]
	cells   []*SearchCell[T]
	nb201   []nb201Module[T]  // NAS-Bench-201: cells and blocks in order
	last    mixedop.Module[T] // BatchNorm and ReLU before the head (NAS-Bench-201, Config.LastAct)
	head    *classifier[T]
	weights []*mixedop.Param[T]
	state   []*mixedop.Param[T]
}

// NewNetwork builds a search network with parameters drawn from seed: conv
// and linear weights as PyTorch initializes them, then the architecture
// tensors 1e-3·N(0,1), in the space's tensor order.
func NewNetwork[T Float](cfg Config, seed uint64) (*Network[T], error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	sp, err := cfg.SearchSpace()
	if err != nil {
		return nil, err
	}
	r := rng.New(seed)
	init, _ := mixedop.ParseInit(cfg.Init)
	ctx := &mixedop.Ctx{Training: true, Rand: r, Init: init}
	n := &Network[T]{Cfg: cfg, Space: sp, Ctx: ctx, Relax: relax.Softmax[T]{}, Pass: &relax.Pass{}}
	build := n.buildDARTS
	if cfg.Space == space.NB201Name {
		build = n.buildNB201
	}
	if cfg.EdgeOps != nil {
		n.Relax = relax.MaskedSoftmax[T]{Masks: cfg.EdgeMasks()}
	}
	if err := build(r); err != nil {
		return nil, err
	}
	for _, t := range sp.Tensors() {
		ct, _ := sp.CellType(t.Cell)
		rows, cols := len(ct.Cell.Edges), len(t.Cols)
		p := &mixedop.Param[T]{Name: t.Param, Shape: []int{rows, cols}, Value: make([]T, rows*cols), Grad: make([]T, rows*cols)}
		ai := DefaultArchInit
		if cfg.ArchInit != nil {
			ai = *cfg.ArchInit
		}
		for i := range p.Value {
			p.Value[i] = T(ai.Mean + ai.Std*r.NormFloat64())
		}
		// The columns of ops an edge does not hold (Config.EdgeOps) are
		// drawn, so that the other draws do not depend on EdgeOps, then
		// zeroed: no pass reads them.
		if mask, ok := cfg.EdgeMasks()[t.Name]; ok {
			for e, row := range mask {
				for k, on := range row {
					if !on {
						p.Value[e*cols+k] = 0
					}
				}
			}
		}
		n.arch = append(n.arch, &Arch[T]{Tensor: t, Param: p, Rows: rows, Cols: cols})
	}
	n.weights = append(n.weights, n.stem.Params()...)
	n.state = append(n.state, n.stem.State()...)
	if n.nb201 == nil {
		for _, c := range n.cells {
			n.weights = append(n.weights, c.Params()...)
			n.state = append(n.state, c.State()...)
		}
	}
	for _, m := range n.nb201 {
		if m.block != nil {
			n.weights = append(n.weights, m.block.Params()...)
			n.state = append(n.state, m.block.State()...)
		} else {
			n.weights = append(n.weights, m.search.Params()...)
			n.state = append(n.state, m.search.State()...)
		}
	}
	if n.last != nil {
		n.weights = append(n.weights, n.last.Params()...)
		n.state = append(n.state, n.last.State()...)
	}
	n.weights = append(n.weights, n.head.Params()...)
	return n, nil
}

// buildDARTS builds the DARTS search network (model_search.py Network).
func (n *Network[T]) buildDARTS(r *rng.Rand) error {
	cfg, ctx := n.Cfg, n.Ctx
	n.stem = mixedop.NewConvBN[T](ctx, "stem", cfg.InputC, cfg.StemMultiplier*cfg.C, 3, 1, 1, true)
	normal, _ := n.Space.CellType("normal")
	reduce, _ := n.Space.CellType("reduce")
	dropout := n.skipDropout()
	plans, cp, err := planCells(cfg.StemMultiplier*cfg.C, cfg.C, cfg.InputH, cfg.InputW, cfg.Layers,
		func(red bool) int { return len(normal.Cell.Concat) })
	if err != nil {
		return err
	}
	for _, pl := range plans {
		prefix := fmt.Sprintf("cells.%d", pl.Index)
		ct := normal
		if pl.Reduction {
			ct = reduce
		}
		cell, err := NewDARTSCell[T](ctx, prefix, ct.Name, DARTSCell{Topology: ct.Cell, CPP: pl.CPP, CP: pl.CP, C: pl.C,
			Reduction: pl.Reduction, ReductionPrev: pl.ReductionPrev, Ops: n.Space.Ops, NoPoolBN: cfg.NoPoolBN,
			Partial: cfg.PartialChannels, AuxSkip: n.auxSkipCoef(), EdgeOps: cfg.edgeColumns(ct.Name), SkipDropout: dropout})
		if err != nil {
			return err
		}
		n.cells = append(n.cells, cell)
	}
	if cfg.LastAct {
		n.last = mixedop.NewSequence(mixedop.NewBatchNorm[T](ctx, "lastact.bn", cp, true), mixedop.NewReLU[T]())
	}
	n.head = newClassifier[T](cp, cfg.Classes)
	b := 1 / math.Sqrt(float64(cp))
	for _, p := range n.head.Params() {
		for i := range p.Value {
			p.Value[i] = T((2*r.Float64() - 1) * b)
		}
	}
	return nil
}

// Weights are the network weights (everything but the architecture
// tensors), in a fixed order.
func (n *Network[T]) Weights() []*mixedop.Param[T] { return n.weights }

// Arch lists the architecture tensors, in the space's order.
func (n *Network[T]) Arch() []*Arch[T] { return n.arch }

// ArchParams are the architecture tensors' parameters, in the space's
// order (DARTS: alphas_normal, then alphas_reduce).
func (n *Network[T]) ArchParams() []*mixedop.Param[T] {
	ps := make([]*mixedop.Param[T], len(n.arch))
	for i, a := range n.arch {
		ps[i] = a.Param
	}
	return ps
}

// UsedArchParams are the parameters of the architecture tensors some cell
// reads, in the space's order: a network of fewer than three DARTS cells
// has reduction cells only, and its normal tensor is not used.
func (n *Network[T]) UsedArchParams() []*mixedop.Param[T] {
	used := n.usedTensors()
	var ps []*mixedop.Param[T]
	for _, a := range n.arch {
		if used[a.Tensor.Cell] {
			ps = append(ps, a.Param)
		}
	}
	return ps
}

// ArchTensor returns the architecture tensor called name.
func (n *Network[T]) ArchTensor(name string) (*Arch[T], bool) {
	for _, a := range n.arch {
		if a.Tensor.Name == name {
			return a, true
		}
	}
	return nil, false
}

// State are the BatchNorm running statistics.
func (n *Network[T]) State() []*mixedop.Param[T] { return n.state }

// Cells are the network's cells, in order.
func (n *Network[T]) Cells() []*SearchCell[T] { return n.cells }

// NumParams counts the network weights (architecture tensors excluded).
func (n *Network[T]) NumParams() int {
	s := 0
	for _, p := range n.weights {
		s += len(p.Value)
	}
	return s
}

// usedTensors reports which architecture tensors some cell reads.
func (n *Network[T]) usedTensors() map[string]bool {
	used := map[string]bool{}
	for _, c := range n.cells {
		used[c.Type] = true
	}
	return used
}

// auxSkipCoef is the coefficient of DARTS-'s auxiliary skip in the pass
// in progress (Config.AuxSkip), or nil if the network has none.
func (n *Network[T]) auxSkipCoef() func() float64 {
	a := n.Cfg.AuxSkip
	if a == nil {
		return nil
	}
	return func() float64 { return a.Coef(n.Pass.Epoch, n.Pass.Epochs) }
}

// ArchWeights returns the deterministic weights of architecture tensor a
// for its values alpha: the relaxation's (softmax(α) for DARTS) for an op
// tensor, the softmax over each node's edges (relax.EdgeSoftmax) for an
// edge tensor. They are what alphas.jsonl records.
func (n *Network[T]) ArchWeights(a *Arch[T], alpha [][]float64) [][]float64 {
	if a.Tensor.Kind == space.KindEdge {
		ct, _ := n.Space.CellType(a.Tensor.Cell)
		return relax.EdgeSoftmax(ct.Cell, alpha)
	}
	return n.Relax.Weights(a.Tensor, alpha)
}

// Apply adds the whole network to g for input x (N,C,H,W) and returns the
// logits node. Architecture tensors no cell reads (the normal cell of a
// network of fewer than three cells) are left out of the graph. Op tensors
// become edge weights through the relaxation, edge tensors through
// relax.EdgeSoftmaxBlock.
func (n *Network[T]) Apply(g *mixedop.Graph[T], x *G.Node) (*G.Node, error) {
	if _, ok := n.Relax.(relax.MaskedSoftmax[T]); n.Cfg.EdgeOps != nil && !ok {
		return nil, fmt.Errorf("a supernet whose edges hold some of the ops (edge_ops) needs the masked softmax (relax.MaskedSoftmax), not %s", n.Relax.Name())
	}
	// A relaxation with one-hot weights (relax.Sparse) lets the mixed
	// edges run only the selected ops: each runner says so in its runs'
	// Ctx.Skip, not on the edges, which every runner of the network shares.
	used := n.usedTensors()
	weights := map[string]*G.Node{}
	edgeWeights := map[string]*G.Node{}
	for _, a := range n.arch {
		if !used[a.Tensor.Cell] {
			continue
		}
		an, err := g.Param(a.Param)
		if err != nil {
			return nil, err
		}
		if a.Tensor.Kind == space.KindEdge {
			ct, _ := n.Space.CellType(a.Tensor.Cell)
			w, err := g.Apply(relax.NewEdgeSoftmaxBlock[T](a.Tensor, ct.Cell), nil, an)
			if err != nil {
				return nil, err
			}
			edgeWeights[a.Tensor.Cell] = w
			continue
		}
		w, err := g.Apply(n.Relax.Block(a.Tensor, n.Pass), nil, an)
		if err != nil {
			return nil, err
		}
		weights[a.Tensor.Cell] = w
	}
	if n.nb201 != nil {
		return n.applyNB201(g, x, weights)
	}
	s, err := g.Apply(&mixedop.ModuleBlock[T]{Label: "stem", M: n.stem}, []bool{false}, x)
	if err != nil {
		return nil, err
	}
	s0, s1 := s, s
	for _, c := range n.cells {
		out, err := c.ApplyWithEdgeWeights(g, []*G.Node{s0, s1}, weights[c.Type], edgeWeights[c.Type])
		if err != nil {
			return nil, err
		}
		s0, s1 = s1, out
	}
	if n.last != nil {
		if s1, err = g.Apply(&mixedop.ModuleBlock[T]{Label: "lastact", M: n.last}, nil, s1); err != nil {
			return nil, err
		}
	}
	return g.Apply(n.head, nil, s1)
}
