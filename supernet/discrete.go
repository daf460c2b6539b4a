package supernet

import (
	"fmt"
	"math"
	"slices"

	"github.com/darts-go/darts/internal/rng"
	"github.com/darts-go/darts/mixedop"
	G "gorgonia.org/gorgonia"
)

// Edge is one chosen operation of a discrete cell: Op applied to state
// Input (0 and 1 are the outputs of the two previous cells, 2.. the cell's
// intermediate nodes).
type Edge struct {
	Op    string `json:"op"`
	Input int    `json:"input"`
}

// CellArch is one cell type of a genotype: two edges per intermediate node
// (node k sums edges 2k and 2k+1) and the states concatenated into the
// cell's output.
type CellArch struct {
	Edges  []Edge `json:"edges"`
	Concat []int  `json:"concat"`
}

// Steps is the number of intermediate nodes.
func (c CellArch) Steps() int { return len(c.Edges) / 2 }

func (c CellArch) validate(cell string) error {
	if len(c.Edges) == 0 || len(c.Edges)%2 != 0 {
		return fmt.Errorf("%s cell: %d edges, want a positive even number (2 per intermediate node)", cell, len(c.Edges))
	}
	for i, e := range c.Edges {
		if _, err := mixedop.Lookup(e.Op); err != nil {
			return fmt.Errorf("%s cell: edge %d: %w", cell, i, err)
		}
		if e.Input < 0 || e.Input > i/2+1 {
			return fmt.Errorf("%s cell: edge %d (node %d): input %d out of range 0..%d", cell, i, i/2, e.Input, i/2+1)
		}
	}
	if len(c.Concat) == 0 {
		return fmt.Errorf("%s cell: empty concat list", cell)
	}
	for i, s := range c.Concat {
		if s < 0 || s > c.Steps()+1 {
			return fmt.Errorf("%s cell: concat[%d]: state %d out of range 0..%d", cell, i, s, c.Steps()+1)
		}
		if slices.Contains(c.Concat[:i], s) {
			return fmt.Errorf("%s cell: concat[%d]: state %d repeated", cell, i, s)
		}
	}
	return nil
}

// DiscreteConfig is the shape of the network of a genotype, DARTS's
// NetworkCIFAR (quark0/darts cnn/model.py): a 3×3 conv stem with
// StemMultiplier·C channels, Layers cells of which ⌊L/3⌋ and ⌊2L/3⌋ are
// reduction cells (channels double, resolution halves), an optional
// auxiliary head after cell ⌊2L/3⌋, global average pooling and a linear
// classifier.
type DiscreteConfig struct {
	InputC         int      `json:"input_c"`
	InputH         int      `json:"input_h"`
	InputW         int      `json:"input_w"`
	Classes        int      `json:"classes"`
	C              int      `json:"init_channels"`
	Layers         int      `json:"layers"`
	StemMultiplier int      `json:"stem_multiplier"`
	Auxiliary      bool     `json:"auxiliary"`
	Normal         CellArch `json:"normal"`
	Reduce         CellArch `json:"reduce"`
}

// WithDefaults fills zero fields with the DARTS values.
func (c DiscreteConfig) WithDefaults() DiscreteConfig {
	if c.StemMultiplier == 0 {
		c.StemMultiplier = 3
	}
	return c
}

// Validate reports the first setting that cannot make a network, naming it.
func (c DiscreteConfig) Validate() error {
	if err := validateMacro(c.InputC, c.InputH, c.InputW, c.Classes, c.C, c.Layers, c.StemMultiplier); err != nil {
		return err
	}
	if err := c.Normal.validate("normal"); err != nil {
		return err
	}
	return c.Reduce.validate("reduce")
}

// IsReduction reports whether cell i is a reduction cell.
func (c DiscreteConfig) IsReduction(i int) bool { return i == c.Layers/3 || i == 2*c.Layers/3 }

// AuxCell is the cell whose output feeds the auxiliary head.
func (c DiscreteConfig) AuxCell() int { return 2 * c.Layers / 3 }

// AuxWeight is the weight of the auxiliary loss (train.py's
// --auxiliary_weight).
const AuxWeight = 0.4

// DropPath selects the drop-path masks of the next training run: each
// non-identity op's output is, per example, kept with probability 1-Prob
// (and scaled by 1/(1-Prob)) or zeroed, as model.py's drop_path. The mask
// of op o, example n is a pure function of (Seed, Epoch, Step, o, n), so a
// resumed run draws the same masks as an uninterrupted one.
type DropPath struct {
	Prob        float64
	Seed        uint64
	Epoch, Step int
}

// Discrete is the network of a genotype (model.py's NetworkCIFAR), built
// on mixedop's modules with affine BatchNorm everywhere.
//
// Parameter names: "stem.conv", "stem.bn.{weight,bias,running_mean,
// running_var}"; per cell i "cells.<i>.pre0.conv" (ReLUConvBN) or
// "cells.<i>.pre0.conv1"/"conv2"/"bn" (FactorizedReduce after a reduction
// cell), "cells.<i>.pre1.conv", "cells.<i>.pre1.bn"; the op of edge j (in
// genotype order) "cells.<i>.ops.<j>.<role>" with mixedop.Build's roles
// (dw1, pw1, bn1, dw2, pw2, bn2 for sep_conv; dw, pw, bn for dil_conv;
// fr.conv1, fr.conv2, fr.bn for skip_connect at stride 2); the auxiliary
// head "aux.conv1.{conv,bn}", "aux.conv2.{conv,bn}", "aux.classifier.
// {weight,bias}"; the classifier "classifier.weight", "classifier.bias".
type Discrete[T Float] struct {
	Cfg DiscreteConfig
	Ctx *mixedop.Ctx

	stem       mixedop.Module[T]
	cells      []*discreteCell[T]
	aux        mixedop.Module[T] // nil without Cfg.Auxiliary
	head       *classifier[T]
	weights    []*mixedop.Param[T]
	auxWeights []*mixedop.Param[T]
	state      []*mixedop.Param[T]
	drop       DropPath
	sites      int
}

// discreteCell is model.py's Cell.
type discreteCell[T Float] struct {
	prefix        string
	reduction     bool
	reductionPrev bool
	pre0, pre1    mixedop.Module[T]
	ops           []mixedop.Module[T]
	identity      []bool // no drop path on identities, as model.py
	inputs        []int
	concat        []int
	site0         int // drop-path site of ops[0]; ops[j] is site0+j
	c             int
}

func (c *discreteCell[T]) params() []*mixedop.Param[T] {
	ps := append(c.pre0.Params(), c.pre1.Params()...)
	for _, o := range c.ops {
		ps = append(ps, o.Params()...)
	}
	return ps
}

func (c *discreteCell[T]) stateParams() []*mixedop.Param[T] {
	ps := append(c.pre0.State(), c.pre1.State()...)
	for _, o := range c.ops {
		ps = append(ps, o.State()...)
	}
	return ps
}

// NewDiscrete builds the network of cfg with parameters drawn from seed
// (convolution and linear weights as PyTorch initializes them, BatchNorm
// scale 1 and shift 0).
func NewDiscrete[T Float](cfg DiscreteConfig, seed uint64) (*Discrete[T], error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	r := rng.New(seed)
	ctx := &mixedop.Ctx{Training: true, Rand: r}
	n := &Discrete[T]{Cfg: cfg, Ctx: ctx}
	n.stem = mixedop.NewConvBN[T](ctx, "stem", cfg.InputC, cfg.StemMultiplier*cfg.C, 3, 1, 1, true)
	archOf := func(red bool) CellArch {
		if red {
			return cfg.Reduce
		}
		return cfg.Normal
	}
	plans, cp, err := planCells(cfg.StemMultiplier*cfg.C, cfg.C, cfg.InputH, cfg.InputW, cfg.Layers, cfg.IsReduction,
		func(red bool) int { return len(archOf(red).Concat) })
	if err != nil {
		return nil, err
	}
	auxC, auxH, auxW := 0, 0, 0
	for _, pl := range plans {
		cell, err := n.newCell(fmt.Sprintf("cells.%d", pl.Index), archOf(pl.Reduction), pl.CPP, pl.CP, pl.C, pl.Reduction, pl.ReductionPrev)
		if err != nil {
			return nil, err
		}
		n.cells = append(n.cells, cell)
		if pl.Index == cfg.AuxCell() {
			auxC, auxH, auxW = len(archOf(pl.Reduction).Concat)*pl.C, pl.H, pl.W
		}
	}
	n.head = newClassifier[T](cp, cfg.Classes)
	b := 1 / math.Sqrt(float64(cp))
	for _, p := range n.head.Params() {
		for i := range p.Value {
			p.Value[i] = T((2*r.Float64() - 1) * b)
		}
	}
	// The head is drawn last, so that --auxiliary does not change the
	// initialization of the rest.
	if cfg.Auxiliary {
		aux, err := newAuxHead[T](ctx, auxC, auxH, auxW, cfg.Classes)
		if err != nil {
			return nil, err
		}
		n.aux = aux
	}

	n.weights = append(n.weights, n.stem.Params()...)
	n.state = append(n.state, n.stem.State()...)
	for _, c := range n.cells {
		n.weights = append(n.weights, c.params()...)
		n.state = append(n.state, c.stateParams()...)
	}
	n.weights = append(n.weights, n.head.Params()...)
	if n.aux != nil {
		n.auxWeights = n.aux.Params()
		n.state = append(n.state, n.aux.State()...)
	}
	return n, nil
}

func (n *Discrete[T]) newCell(prefix string, arch CellArch, cpp, cp, c int, reduction, reductionPrev bool) (*discreteCell[T], error) {
	ctx := n.Ctx
	cell := &discreteCell[T]{prefix: prefix, reduction: reduction, reductionPrev: reductionPrev,
		concat: append([]int(nil), arch.Concat...), site0: n.sites, c: c}
	if reductionPrev {
		fr, err := mixedop.NewFactorizedReduce[T](ctx, join(prefix, "pre0"), cpp, c, true)
		if err != nil {
			return nil, err
		}
		cell.pre0 = fr
	} else {
		cell.pre0 = mixedop.NewReLUConvBN[T](ctx, join(prefix, "pre0"), cpp, c, 1, 1, 0, true)
	}
	cell.pre1 = mixedop.NewReLUConvBN[T](ctx, join(prefix, "pre1"), cp, c, 1, 1, 0, true)
	for j, e := range arch.Edges {
		stride := 1
		if reduction && e.Input < 2 {
			stride = 2
		}
		op, err := mixedop.Build[T](ctx, e.Op, join(prefix, fmt.Sprintf("ops.%d", j)), mixedop.Args{C: c, Stride: stride, Affine: true})
		if err != nil {
			return nil, fmt.Errorf("%s: edge %d: %w", prefix, j, err)
		}
		spec, _ := mixedop.Lookup(e.Op)
		cell.ops = append(cell.ops, op)
		cell.identity = append(cell.identity, spec.Kind == mixedop.KindSkip && stride == 1)
		cell.inputs = append(cell.inputs, e.Input)
	}
	n.sites += len(arch.Edges)
	return cell, nil
}

// newAuxHead is model.py's AuxiliaryHeadCIFAR for a (c, h, w) input: ReLU,
// 5×5 average pooling at stride 3 (count_include_pad=False), 1×1 conv to
// 128, BN, ReLU, conv to 768, BN, ReLU, linear. The original's second conv
// is 2×2, which turns the 2×2 pooled map of CIFAR's 8×8 into 1×1; here its
// window is the pooled map's size, so other input sizes work too (1×1 for
// MNIST's 7×7) and CIFAR gets exactly the original.
func newAuxHead[T Float](ctx *mixedop.Ctx, c, h, w, classes int) (mixedop.Module[T], error) {
	if h < 5 || w < 5 {
		return nil, fmt.Errorf("auxiliary head: the map after cell 2L/3 is %dx%d, smaller than its 5x5 pooling window (use a larger input or no --auxiliary)", h, w)
	}
	ph, pw := (h-5)/3+1, (w-5)/3+1
	if ph != pw {
		return nil, fmt.Errorf("auxiliary head: pooled map %dx%d is not square", ph, pw)
	}
	return mixedop.NewSequence(
		mixedop.NewReLU[T](),
		mixedop.NewAvgPool[T](5, 3, 0),
		mixedop.NewConvBN[T](ctx, "aux.conv1", c, 128, 1, 1, 0, true),
		mixedop.NewReLUConvBN[T](ctx, "aux.conv2", 128, 768, ph, 1, 0, true),
		mixedop.NewReLU[T](),
		mixedop.NewLinear[T](ctx, "aux.classifier", 768, classes),
	), nil
}

// Weights are the parameters trained and saved as the model: stem, cells,
// classifier (the auxiliary head's are in AuxWeights).
func (n *Discrete[T]) Weights() []*mixedop.Param[T] { return n.weights }

// AuxWeights are the auxiliary head's parameters (nil without it). They are
// trained with the rest but are not part of the model's parameter count.
func (n *Discrete[T]) AuxWeights() []*mixedop.Param[T] { return n.auxWeights }

// State are the BatchNorm running statistics (the auxiliary head's last).
func (n *Discrete[T]) State() []*mixedop.Param[T] { return n.state }

// NumParams counts the model's parameters as DARTS's count_parameters_in_MB
// does: every trained tensor except the auxiliary head's, BatchNorm scale
// and shift included, running statistics excluded.
func (n *Discrete[T]) NumParams() int {
	s := 0
	for _, p := range n.weights {
		s += len(p.Value)
	}
	return s
}

// NumAuxParams counts the auxiliary head's parameters.
func (n *Discrete[T]) NumAuxParams() int {
	s := 0
	for _, p := range n.auxWeights {
		s += len(p.Value)
	}
	return s
}

// SetDropPath sets the drop-path probability and mask key for the
// following training runs (see DropPath). Eval runs never drop.
func (n *Discrete[T]) SetDropPath(d DropPath) { n.drop = d }

// Apply adds the network to g for input x (N,C,H,W) and returns the logits
// node and, for a training graph of a network with an auxiliary head, the
// auxiliary logits node (else nil). A training graph has drop-path nodes
// after every non-identity op.
func (n *Discrete[T]) Apply(g *mixedop.Graph[T], x *G.Node, train bool) (logits, auxLogits *G.Node, err error) {
	s, err := g.Apply(&mixedop.ModuleBlock[T]{Label: "stem", M: n.stem}, []bool{false}, x)
	if err != nil {
		return nil, nil, err
	}
	s0, s1 := s, s
	for i, c := range n.cells {
		out, err := n.applyCell(g, c, s0, s1, train)
		if err != nil {
			return nil, nil, err
		}
		s0, s1 = s1, out
		if i == n.Cfg.AuxCell() && train && n.aux != nil {
			auxLogits, err = g.Apply(&flatBlock[T]{label: "aux", m: n.aux}, nil, s1)
			if err != nil {
				return nil, nil, err
			}
		}
	}
	logits, err = g.Apply(n.head, nil, s1)
	return logits, auxLogits, err
}

func (n *Discrete[T]) applyCell(g *mixedop.Graph[T], c *discreteCell[T], s0, s1 *G.Node, train bool) (*G.Node, error) {
	p0, err := g.Apply(&mixedop.ModuleBlock[T]{Label: join(c.prefix, "pre0"), M: c.pre0}, nil, s0)
	if err != nil {
		return nil, err
	}
	p1, err := g.Apply(&mixedop.ModuleBlock[T]{Label: join(c.prefix, "pre1"), M: c.pre1}, nil, s1)
	if err != nil {
		return nil, err
	}
	states := []*G.Node{p0, p1}
	for k := 0; k < len(c.ops)/2; k++ {
		var terms [2]*G.Node
		for t := range terms {
			j := 2*k + t
			label := join(c.prefix, fmt.Sprintf("ops.%d", j))
			h, err := g.Apply(&mixedop.ModuleBlock[T]{Label: label, M: c.ops[j]}, nil, states[c.inputs[j]])
			if err != nil {
				return nil, err
			}
			if train && !c.identity[j] {
				h, err = g.Apply(&dropPathBlock[T]{label: label + ".drop_path", site: c.site0 + j, d: &n.drop}, nil, h)
				if err != nil {
					return nil, err
				}
			}
			terms[t] = h
		}
		s, err := g.Apply(&sumBlock[T]{label: join(c.prefix, fmt.Sprintf("node%d", k))}, nil, terms[:]...)
		if err != nil {
			return nil, err
		}
		states = append(states, s)
	}
	outs := make([]*G.Node, len(c.concat))
	for i, s := range c.concat {
		outs[i] = states[s]
	}
	return g.Apply(&concatBlock[T]{label: join(c.prefix, "concat")}, nil, outs...)
}

// CellShape describes one cell of a Discrete network for a summary.
type CellShape struct {
	Index         int
	Reduction     bool
	In0, In1, Out mixedop.Shape // per-example shapes (N = 1)
	Params        int
}

// CellShapes lists every cell's input and output shapes for one example.
func (n *Discrete[T]) CellShapes() []CellShape {
	stem, _ := n.stem.OutShape(mixedop.Shape{N: 1, C: n.Cfg.InputC, H: n.Cfg.InputH, W: n.Cfg.InputW})
	s0, s1 := stem, stem
	var out []CellShape
	for i, c := range n.cells {
		o := n.cellOutShape(c, s1)
		cnt := 0
		for _, p := range c.params() {
			cnt += len(p.Value)
		}
		out = append(out, CellShape{Index: i, Reduction: c.reduction, In0: s0, In1: s1, Out: o, Params: cnt})
		s0, s1 = s1, o
	}
	return out
}

func (n *Discrete[T]) cellOutShape(c *discreteCell[T], in1 mixedop.Shape) mixedop.Shape {
	h, w := in1.H, in1.W
	if c.reduction {
		h, w = h/2, w/2
	}
	return mixedop.Shape{N: in1.N, C: len(c.concat) * c.c, H: h, W: w}
}

// EstimateMemory is a rough estimate, in bytes, of what training at the
// given batch size holds: parameters with their gradients and momentum,
// plus activations. It counts, per example, every op's output times the
// number of buffers of that size its forward and backward keep (sep_conv
// 17, dil_conv 8, FactorizedReduce 12, pools 2, identity 1, preprocessing
// 4), plus 2 (output and gradient) per drop-path, sum and concat node.
// It counts live buffers only: measured peak RSS of darts train was 1.2-1.6
// times this (DARTS_V2 on 1x28x28 at batch 64: L5 C8 444 MB estimated,
// 699 MB RSS; L8 C16 1648 MB estimated, 2049 MB RSS), the rest being the
// dataset, the evaluation graph and the garbage collector's headroom.
func (n *Discrete[T]) EstimateMemory(batch int) int64 {
	var z T
	elem := int64(4)
	if any(z) == any(float64(0)) {
		elem = 8
	}
	params := int64(n.NumParams()+n.NumAuxParams()) * 3
	var act int64
	for _, cs := range n.CellShapes() {
		c := n.cells[cs.Index]
		node := int64(c.c * cs.Out.H * cs.Out.W)
		act += 4 * node * 2 // preprocessing of both inputs
		for j := range c.ops {
			spec := mixedop.Spec{Kind: mixedop.KindSkip}
			if s, err := mixedop.Lookup(n.opName(c, j)); err == nil {
				spec = s
			}
			f := int64(2)
			switch {
			case c.identity[j]:
				f = 1
			case spec.Kind == mixedop.KindSepConv:
				f = 17
			case spec.Kind == mixedop.KindDilConv:
				f = 8
			case spec.Kind == mixedop.KindSkip:
				f = 12
			}
			act += f*node + 2*node // op, then its drop-path node
		}
		act += 2*node*int64(len(c.ops)/2) + 2*int64(cs.Out.C*cs.Out.H*cs.Out.W)
	}
	return params*elem + act*int64(batch)*elem
}

func (n *Discrete[T]) opName(c *discreteCell[T], j int) string {
	arch := n.Cfg.Normal
	if c.reduction {
		arch = n.Cfg.Reduce
	}
	return arch.Edges[j].Op
}
