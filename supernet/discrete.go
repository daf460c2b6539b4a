package supernet

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"

	"github.com/darts-go/darts/derive"
	"github.com/darts-go/darts/internal/rng"
	"github.com/darts-go/darts/mixedop"
	"github.com/darts-go/darts/space"
	G "gorgonia.org/gorgonia"
)

// DiscreteConfig is the shape of the network of a genotype, DARTS's
// NetworkCIFAR (quark0/darts cnn/model.py): a 3×3 conv stem with
// StemMultiplier·C channels, Layers cells of which ⌊L/3⌋ and ⌊2L/3⌋ are
// reduction cells (channels double, resolution halves), an optional
// auxiliary head after cell ⌊2L/3⌋, global average pooling and a linear
// classifier. The genotype's "normal" and "reduce" cells are stacked; each
// is a general DAG (derive.Cell) with two inputs.
type DiscreteConfig struct {
	Space          string `json:"space"`
	InputC         int    `json:"input_c"`
	InputH         int    `json:"input_h"`
	InputW         int    `json:"input_w"`
	Classes        int    `json:"classes"`
	C              int    `json:"init_channels"`
	Layers         int    `json:"layers"`
	StemMultiplier int    `json:"stem_multiplier"`
	Auxiliary      bool   `json:"auxiliary"`
	// CellsPerStage is NAS-Bench-201's N (5); Layers is not used there.
	CellsPerStage int `json:"cells_per_stage,omitempty"`
	// Init is the PyTorch version whose default initialization the
	// weights follow, as in Config: "0.3.1" for DARTS (train.py's),
	// "1.x" for NAS-Bench-201 (the benchmark's training).
	Init     string          `json:"init,omitempty"`
	Genotype derive.Genotype `json:"genotype"`
}

// WithDefaults fills zero fields with the space's values (the space of
// the genotype when Space is empty): DARTS's stem multiplier 3, or
// NAS-Bench-201's C = 16, N = 5.
func (c DiscreteConfig) WithDefaults() DiscreteConfig {
	if c.Space == "" {
		c.Space = c.Genotype.Space
		if c.Space == "" {
			c.Space = space.DARTSName
		}
	}
	if c.Init == "" {
		c.Init = defaultInit(c.Space)
	}
	if c.Space == space.NB201Name {
		if c.C == 0 {
			c.C = 16
		}
		if c.CellsPerStage == 0 {
			c.CellsPerStage = 5
		}
		return c
	}
	if c.StemMultiplier == 0 {
		c.StemMultiplier = 3
	}
	return c
}

// Validate reports the first setting that cannot make a network, naming it.
func (c DiscreteConfig) Validate() error {
	if _, err := mixedop.ParseInit(c.Init); err != nil {
		return err
	}
	if c.Space == space.NB201Name {
		if err := validateNB201(c.InputC, c.InputH, c.InputW, c.Classes, c.C, c.CellsPerStage); err != nil {
			return err
		}
		if c.Auxiliary {
			return fmt.Errorf("auxiliary head: a NAS-Bench-201 network has none")
		}
		if err := c.Genotype.Validate(nil); err != nil {
			return err
		}
		return validateNB201Genotype(c.Genotype)
	}
	if c.Space != space.DARTSName {
		return fmt.Errorf("space %q: unknown (known: %s)", c.Space, strings.Join(space.Names(), ", "))
	}
	if c.CellsPerStage != 0 {
		return fmt.Errorf("cells per stage: a setting of nas-bench-201, not of %s", c.Space)
	}
	if err := validateMacro(c.InputC, c.InputH, c.InputW, c.Classes, c.C, c.Layers, c.StemMultiplier); err != nil {
		return err
	}
	if err := c.Genotype.Validate(nil); err != nil {
		return err
	}
	for _, name := range []string{"normal", "reduce"} {
		cell, ok := c.Genotype.Cell(name)
		if !ok {
			return fmt.Errorf("genotype: no %s cell (a DARTS network stacks a normal and a reduce cell)", name)
		}
		if cell.Inputs != 2 {
			return fmt.Errorf("genotype: %s cell: %d inputs, a DARTS cell reads the two previous cells", name, cell.Inputs)
		}
		for _, p := range cell.Pairs() {
			if _, err := lookup(p.Op); err != nil {
				return fmt.Errorf("genotype: %s cell: %w", name, err)
			}
		}
	}
	return nil
}

// UnmarshalJSON reads the form MarshalJSON writes and the one of darts-go
// 0.1 weights files and run configs, whose cells were "normal" and
// "reduce" objects with an "edges" list of {op, input} (two per node) and a
// "concat" list.
func (c *DiscreteConfig) UnmarshalJSON(b []byte) error {
	type plain DiscreteConfig
	var p struct {
		plain
		Normal *legacyCell `json:"normal"`
		Reduce *legacyCell `json:"reduce"`
	}
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	if p.Normal != nil && p.Reduce != nil && len(p.Genotype.Cells) == 0 {
		g, err := derive.FromDARTS(p.Normal.pairs(), p.Normal.Concat, p.Reduce.pairs(), p.Reduce.Concat)
		if err != nil {
			return err
		}
		p.Genotype = g
		if p.Space == "" {
			p.Space = "darts"
		}
	}
	*c = DiscreteConfig(p.plain)
	return nil
}

// legacyCell is a cell of darts-go 0.1's DiscreteConfig.
type legacyCell struct {
	Edges []struct {
		Op    string `json:"op"`
		Input int    `json:"input"`
	} `json:"edges"`
	Concat []int `json:"concat"`
}

func (l *legacyCell) pairs() []derive.Pair {
	ps := make([]derive.Pair, len(l.Edges))
	for i, e := range l.Edges {
		ps[i] = derive.Pair{Op: e.Op, Input: e.Input}
	}
	return ps
}

// IsReduction reports whether cell i is a reduction cell.
func (c DiscreteConfig) IsReduction(i int) bool { return IsReduction(i, c.Layers) }

// cell returns the genotype cell stacked at a reduction (or normal) place.
func (c DiscreteConfig) cell(reduction bool) derive.Cell {
	name := "normal"
	if reduction {
		name = "reduce"
	}
	cell, _ := c.Genotype.Cell(name)
	return cell
}

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
	nb201      []nb201Module[T]  // NAS-Bench-201: cells and blocks in order
	last       mixedop.Module[T] // NAS-Bench-201: BatchNorm and ReLU before the head
	aux        mixedop.Module[T] // nil without Cfg.Auxiliary
	head       *classifier[T]
	weights    []*mixedop.Param[T]
	auxWeights []*mixedop.Param[T]
	state      []*mixedop.Param[T]
	drop       DropPath
	sites      int
}

// discreteCell is model.py's Cell for a general DAG: every live node sums
// its pairs' ops (pairs that read a dropped node are skipped, as
// FairDARTS's DCOCell), the output concatenates the concat states.
type discreteCell[T Float] struct {
	prefix        string
	reduction     bool
	reductionPrev bool
	pre0, pre1    mixedop.Module[T]
	geno          derive.Cell
	ops           []mixedop.Module[T] // one per pair, in the genotype's order; nil for a skipped pair
	identity      []bool              // no drop path on identities, as model.py
	inputs        []int
	site0         int // drop-path site of ops[0]; ops[j] is site0+j
	c             int
}

func (c *discreteCell[T]) params() []*mixedop.Param[T] {
	ps := append(c.pre0.Params(), c.pre1.Params()...)
	for _, o := range c.ops {
		if o != nil {
			ps = append(ps, o.Params()...)
		}
	}
	return ps
}

func (c *discreteCell[T]) stateParams() []*mixedop.Param[T] {
	ps := append(c.pre0.State(), c.pre1.State()...)
	for _, o := range c.ops {
		if o != nil {
			ps = append(ps, o.State()...)
		}
	}
	return ps
}

// NewDiscrete builds the network of cfg with parameters drawn from seed as
// the PyTorch version cfg.Init names initializes them (see mixedop.Init).
func NewDiscrete[T Float](cfg DiscreteConfig, seed uint64) (*Discrete[T], error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	r := rng.New(seed)
	init, _ := mixedop.ParseInit(cfg.Init)
	ctx := &mixedop.Ctx{Training: true, Rand: r, Init: init, RecomputeDepthwise: true}
	n := &Discrete[T]{Cfg: cfg, Ctx: ctx}
	if cfg.Space == space.NB201Name {
		if err := n.buildNB201(r); err != nil {
			return nil, err
		}
		return n, nil
	}
	n.stem = mixedop.NewConvBN[T](ctx, "stem", cfg.InputC, cfg.StemMultiplier*cfg.C, 3, 1, 1, true)
	plans, cp, err := planCells(cfg.StemMultiplier*cfg.C, cfg.C, cfg.InputH, cfg.InputW, cfg.Layers,
		func(red bool) int { return len(cfg.cell(red).Concat) })
	if err != nil {
		return nil, err
	}
	auxC, auxH, auxW := 0, 0, 0
	for _, pl := range plans {
		cell, err := n.newCell(fmt.Sprintf("cells.%d", pl.Index), cfg.cell(pl.Reduction), pl)
		if err != nil {
			return nil, err
		}
		n.cells = append(n.cells, cell)
		if pl.Index == cfg.AuxCell() {
			auxC, auxH, auxW = len(cfg.cell(pl.Reduction).Concat)*pl.C, pl.H, pl.W
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

func (n *Discrete[T]) newCell(prefix string, geno derive.Cell, pl cellPlan) (*discreteCell[T], error) {
	ctx := n.Ctx
	cell := &discreteCell[T]{prefix: prefix, reduction: pl.Reduction, reductionPrev: pl.ReductionPrev, geno: geno, site0: n.sites, c: pl.C}
	pre, err := dartsPreprocess[T](ctx, prefix, pl, true)
	if err != nil {
		return nil, err
	}
	cell.pre0, cell.pre1 = pre[0], pre[1]
	live := geno.Live()
	j := 0
	for k, node := range geno.Nodes {
		for _, e := range node {
			used := live[k] && (e.Input < geno.Inputs || live[e.Input-geno.Inputs])
			stride := 1
			if pl.Reduction && e.Input < geno.Inputs {
				stride = 2
			}
			var op mixedop.Module[T]
			isIdentity := false
			if used {
				op, err = mixedop.Build[T](ctx, e.Op, join(prefix, fmt.Sprintf("ops.%d", j)), mixedop.Args{C: pl.C, Stride: stride, Affine: true})
				if err != nil {
					return nil, fmt.Errorf("%s: edge %d: %w", prefix, j, err)
				}
				spec, _ := mixedop.Lookup(e.Op)
				isIdentity = spec.Kind == mixedop.KindSkip && stride == 1
			}
			cell.ops = append(cell.ops, op)
			cell.identity = append(cell.identity, isIdentity)
			cell.inputs = append(cell.inputs, e.Input)
			j++
		}
	}
	n.sites += j
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
	if n.nb201 != nil {
		logits, err := n.applyNB201(g, x)
		return logits, nil, err
	}
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
	j := 0
	for k, node := range c.geno.Nodes {
		var terms []*G.Node
		for range node {
			if c.ops[j] != nil {
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
				terms = append(terms, h)
			}
			j++
		}
		if len(terms) == 0 {
			states = append(states, nil) // a dropped node
			continue
		}
		s, err := g.Apply(&sumBlock[T]{label: join(c.prefix, fmt.Sprintf("node%d", k))}, nil, terms...)
		if err != nil {
			return nil, err
		}
		states = append(states, s)
	}
	outs := make([]*G.Node, len(c.geno.Concat))
	for i, s := range c.geno.Concat {
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
	// Block marks a NAS-Bench-201 residual block (Reduction is then true);
	// NAS-Bench-201 modules have one input (In0 = In1).
	Block bool
}

// CellShapes lists every cell's input and output shapes for one example.
func (n *Discrete[T]) CellShapes() []CellShape {
	stem, _ := n.stem.OutShape(mixedop.Shape{N: 1, C: n.Cfg.InputC, H: n.Cfg.InputH, W: n.Cfg.InputW})
	s0, s1 := stem, stem
	var out []CellShape
	if n.nb201 != nil {
		in := stem
		for i, m := range n.nb201 {
			o := in
			var ps []*mixedop.Param[T]
			if m.block != nil {
				o = mixedop.Shape{N: 1, C: 2 * in.C, H: (in.H + 1) / 2, W: (in.W + 1) / 2}
				ps = m.block.Params()
			} else {
				ps = m.discrete.params()
			}
			cnt := 0
			for _, p := range ps {
				cnt += len(p.Value)
			}
			out = append(out, CellShape{Index: i, Reduction: m.block != nil, Block: m.block != nil, In0: in, In1: in, Out: o, Params: cnt})
			in = o
		}
		return out
	}
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
	return mixedop.Shape{N: in1.N, C: len(c.geno.Concat) * c.c, H: h, W: w}
}

// EstimateMemory is a rough estimate, in bytes, of what training at the
// given batch size holds: parameters with their gradients and momentum,
// plus activations. It counts, per example, every op's output times the
// number of buffers of that size its forward and backward keep (sep_conv
// 6: the first BatchNorm's x̂, the second depthwise output, the second x̂,
// the output and two gradients in its backward, the other outputs being
// recomputed or borrowed; dil_conv 4: x̂, the output and two gradients;
// conv_7x1_1x7 6; FactorizedReduce 12; pools 2; identity 1; preprocessing
// 4), plus 2 (output and gradient) per drop-path, sum and concat node.
// Measured peak RSS of darts train (18ebbad, DARTS_V2 on 1x28x28 at batch
// 64, one epoch on 640 images, /usr/bin/time) was 1.17 and 0.76 times this
// (darts train --dry-run): L5 C8 278 MB estimated, 326 MB RSS (the dataset
// and the runtime are a larger share of a small network); L8 C16 985 MB
// estimated, 752 MB RSS (the buffers the Machine shares between sums,
// concatenations and drop-path outputs, which this counts apart).
func (n *Discrete[T]) EstimateMemory(batch int) int64 {
	var z T
	elem := int64(4)
	if any(z) == any(float64(0)) {
		elem = 8
	}
	params := int64(n.NumParams()+n.NumAuxParams()) * 3
	if n.Cfg.Space == space.NB201Name {
		g := n.Cfg.Genotype.Cells[0]
		act := nb201Activations(n.Cfg.InputH, n.Cfg.InputW, n.Cfg.C, n.Cfg.CellsPerStage, func(plane int64) int64 {
			var a int64
			for _, node := range g.Nodes {
				for _, p := range node {
					a += opBuffers(p.Op, 1) * plane
				}
			}
			return a/6 + 2*plane // an average edge
		})
		return (params + act*int64(batch)) * elem
	}
	var act int64
	for _, cs := range n.CellShapes() {
		c := n.cells[cs.Index]
		node := int64(c.c * cs.Out.H * cs.Out.W)
		act += 4 * node * 2 // preprocessing of both inputs
		for j, pair := range c.geno.Pairs() {
			if c.ops[j] == nil {
				continue
			}
			spec := mixedop.Spec{Kind: mixedop.KindSkip}
			if s, err := mixedop.Lookup(pair.Op); err == nil {
				spec = s
			}
			f := int64(2)
			switch {
			case c.identity[j]:
				f = 1
			case spec.Kind == mixedop.KindSepConv:
				f = 6
			case spec.Kind == mixedop.KindDilConv:
				f = 4
			case spec.Kind == mixedop.KindConvKx1:
				f = 6
			case spec.Kind == mixedop.KindSkip:
				f = 12
			}
			act += f*node + 2*node // op, then its drop-path node
		}
		act += 2*node*int64(len(c.geno.Nodes)) + 2*int64(cs.Out.C*cs.Out.H*cs.Out.W)
	}
	return params*elem + act*int64(batch)*elem
}
