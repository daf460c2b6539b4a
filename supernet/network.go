package supernet

import (
	"fmt"
	"math"
	"unsafe"

	"github.com/darts-go/darts/internal/rng"
	"github.com/darts-go/darts/mixedop"
	G "gorgonia.org/gorgonia"
)

// Config is the shape of a DARTS search network. Everything DARTS fixes is a
// setting here, with DARTS's values as defaults (see Defaults).
type Config struct {
	InputC, InputH, InputW int      // image shape
	Classes                int      // classifier outputs
	C                      int      // initial channels (init_channels)
	Layers                 int      // cells; ⌊L/3⌋ and ⌊2L/3⌋ are reduction cells
	Steps                  int      // intermediate nodes per cell (4)
	Multiplier             int      // nodes concatenated into the output (4)
	StemMultiplier         int      // stem channels = StemMultiplier·C (3)
	Primitives             []string // candidate ops, in alpha-column order
}

// WithDefaults fills zero fields with the DARTS values.
func (c Config) WithDefaults() Config {
	if c.Steps == 0 {
		c.Steps = 4
	}
	if c.Multiplier == 0 {
		c.Multiplier = c.Steps
	}
	if c.StemMultiplier == 0 {
		c.StemMultiplier = 3
	}
	if c.Primitives == nil {
		c.Primitives, _ = mixedop.OpSet("darts")
	}
	return c
}

// Edges is the number of mixed edges per cell: Σ_{i<steps} (i+2).
func (c Config) Edges() int { return c.Steps * (c.Steps + 3) / 2 }

// validateMacro checks the settings of the macro skeleton that the search
// and the derived networks share.
func validateMacro(inputC, inputH, inputW, classes, c, layers, stemMultiplier int) error {
	switch {
	case inputC < 1 || inputH < 1 || inputW < 1:
		return fmt.Errorf("input shape %dx%dx%d: every dimension must be at least 1", inputC, inputH, inputW)
	case classes < 2:
		return fmt.Errorf("classes %d: need at least 2", classes)
	case c < 1 || c%2 != 0:
		return fmt.Errorf("init channels %d: need a positive even number (FactorizedReduce splits channels in two)", c)
	case layers < 1:
		return fmt.Errorf("layers %d: need at least 1", layers)
	case stemMultiplier < 1:
		return fmt.Errorf("stem multiplier %d: need at least 1", stemMultiplier)
	}
	return nil
}

// Validate reports the first setting that cannot make a network.
func (c Config) Validate() error {
	if err := validateMacro(c.InputC, c.InputH, c.InputW, c.Classes, c.C, c.Layers, c.StemMultiplier); err != nil {
		return err
	}
	switch {
	case c.Steps < 1:
		return fmt.Errorf("steps %d: need at least 1", c.Steps)
	case c.Multiplier < 1 || c.Multiplier > c.Steps:
		return fmt.Errorf("multiplier %d: need 1..steps (%d)", c.Multiplier, c.Steps)
	case len(c.Primitives) == 0:
		return fmt.Errorf("no candidate ops")
	}
	for _, p := range c.Primitives {
		if _, err := mixedop.Lookup(p); err != nil {
			return err
		}
	}
	return nil
}

// IsReduction reports whether cell i is a reduction cell.
func (c Config) IsReduction(i int) bool { return i == c.Layers/3 || i == 2*c.Layers/3 }

func join(prefix, role string) string {
	if prefix == "" {
		return role
	}
	return prefix + "." + role
}

// SearchCell is a DARTS search cell: two preprocessed inputs, Steps nodes,
// each the sum of mixed ops over all earlier states, and the concatenation
// of the last Multiplier nodes.
type SearchCell[T Float] struct {
	Reduction, ReductionPrev bool
	Prefix                   string
	steps, multiplier        int
	pre0, pre1               mixedop.Module[T]
	Edges                    []*mixedop.Mixed[T]
}

// NewSearchCell builds a cell taking inputs with cpp and cp channels to c
// channels per node. Parameter names are "<prefix>.pre0.conv",
// "<prefix>.edge<e>.<op>.<role>", as in the golden vectors.
func NewSearchCell[T Float](ctx *mixedop.Ctx, prefix string, steps, multiplier, cpp, cp, c int, reduction, reductionPrev bool, prims []string) (*SearchCell[T], error) {
	cell := &SearchCell[T]{Reduction: reduction, ReductionPrev: reductionPrev, Prefix: prefix, steps: steps, multiplier: multiplier}
	if reductionPrev {
		fr, err := mixedop.NewFactorizedReduce[T](ctx, join(prefix, "pre0"), cpp, c, false)
		if err != nil {
			return nil, err
		}
		cell.pre0 = fr
	} else {
		cell.pre0 = mixedop.NewReLUConvBN[T](ctx, join(prefix, "pre0"), cpp, c, 1, 1, 0, false)
	}
	cell.pre1 = mixedop.NewReLUConvBN[T](ctx, join(prefix, "pre1"), cp, c, 1, 1, 0, false)
	e := 0
	for i := 0; i < steps; i++ {
		for j := 0; j < i+2; j++ {
			stride := 1
			if reduction && j < 2 {
				stride = 2
			}
			m, err := mixedop.NewMixed[T](ctx, join(prefix, fmt.Sprintf("edge%d", e)), prims, e, mixedop.Args{C: c, Stride: stride, PoolBN: true})
			if err != nil {
				return nil, err
			}
			cell.Edges = append(cell.Edges, m)
			e++
		}
	}
	return cell, nil
}

// Apply adds the cell to g, reading states s0, s1 and the edge weights w
// (Edges × ops), and returns its output node.
func (c *SearchCell[T]) Apply(g *mixedop.Graph[T], s0, s1, w *G.Node) (*G.Node, error) {
	p0, err := g.Apply(&mixedop.ModuleBlock[T]{Label: join(c.Prefix, "pre0"), M: c.pre0}, nil, s0)
	if err != nil {
		return nil, err
	}
	p1, err := g.Apply(&mixedop.ModuleBlock[T]{Label: join(c.Prefix, "pre1"), M: c.pre1}, nil, s1)
	if err != nil {
		return nil, err
	}
	states := []*G.Node{p0, p1}
	e := 0
	for i := 0; i < c.steps; i++ {
		var terms []*G.Node
		for _, h := range states {
			t, err := g.Apply(c.Edges[e], nil, h, w)
			if err != nil {
				return nil, err
			}
			terms = append(terms, t)
			e++
		}
		s, err := g.Apply(&sumBlock[T]{label: join(c.Prefix, fmt.Sprintf("node%d", i))}, nil, terms...)
		if err != nil {
			return nil, err
		}
		states = append(states, s)
	}
	return g.Apply(&concatBlock[T]{label: join(c.Prefix, "concat")}, nil, states[len(states)-c.multiplier:]...)
}

// State lists the cell's BatchNorm running statistics.
func (c *SearchCell[T]) State() []*mixedop.Param[T] {
	st := append(c.pre0.State(), c.pre1.State()...)
	for _, e := range c.Edges {
		st = append(st, e.State()...)
	}
	return st
}

// Network is the DARTS search network: stem, cells with mixed edges,
// global pooling and a linear classifier, with the architecture parameters
// AlphaNormal and AlphaReduce (Edges × ops) shared by all cells of a kind.
type Network[T Float] struct {
	Cfg         Config
	Ctx         *mixedop.Ctx
	AlphaNormal *mixedop.Param[T]
	AlphaReduce *mixedop.Param[T]
	stem        mixedop.Module[T]
	cells       []*SearchCell[T]
	head        *classifier[T]
	weights     []*mixedop.Param[T]
	state       []*mixedop.Param[T]
}

// NewNetwork builds a search network with parameters drawn from seed: conv
// and linear weights as PyTorch initializes them, alphas 1e-3·N(0,1).
func NewNetwork[T Float](cfg Config, seed uint64) (*Network[T], error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	r := rng.New(seed)
	ctx := &mixedop.Ctx{Training: true, Rand: r}
	n := &Network[T]{Cfg: cfg, Ctx: ctx}
	n.stem = mixedop.NewConvBN[T](ctx, "stem", cfg.InputC, cfg.StemMultiplier*cfg.C, 3, 1, 1, true)
	plans, cp, err := planCells(cfg.StemMultiplier*cfg.C, cfg.C, cfg.InputH, cfg.InputW, cfg.Layers, cfg.IsReduction,
		func(bool) int { return cfg.Multiplier })
	if err != nil {
		return nil, err
	}
	for _, pl := range plans {
		cell, err := NewSearchCell[T](ctx, fmt.Sprintf("cells.%d", pl.Index), cfg.Steps, cfg.Multiplier, pl.CPP, pl.CP, pl.C, pl.Reduction, pl.ReductionPrev, cfg.Primitives)
		if err != nil {
			return nil, err
		}
		n.cells = append(n.cells, cell)
	}
	n.head = newClassifier[T](cp, cfg.Classes)
	b := 1 / math.Sqrt(float64(cp))
	for _, p := range n.head.Params() {
		for i := range p.Value {
			p.Value[i] = T((2*r.Float64() - 1) * b)
		}
	}
	k := len(cfg.Primitives)
	mk := func(name string) *mixedop.Param[T] {
		p := &mixedop.Param[T]{Name: name, Shape: []int{cfg.Edges(), k}, Value: make([]T, cfg.Edges()*k), Grad: make([]T, cfg.Edges()*k)}
		for i := range p.Value {
			p.Value[i] = T(1e-3 * r.NormFloat64())
		}
		return p
	}
	n.AlphaNormal, n.AlphaReduce = mk("alphas_normal"), mk("alphas_reduce")

	n.weights = append(n.weights, n.stem.Params()...)
	n.state = append(n.state, n.stem.State()...)
	for _, c := range n.cells {
		n.weights = append(n.weights, c.pre0.Params()...)
		n.weights = append(n.weights, c.pre1.Params()...)
		for _, e := range c.Edges {
			n.weights = append(n.weights, e.Params()...)
		}
		n.state = append(n.state, c.State()...)
	}
	n.weights = append(n.weights, n.head.Params()...)
	return n, nil
}

// Weights are the network weights (everything but the alphas), in a fixed
// order.
func (n *Network[T]) Weights() []*mixedop.Param[T] { return n.weights }

// Alphas are the architecture parameters: normal, then reduce.
func (n *Network[T]) Alphas() []*mixedop.Param[T] {
	return []*mixedop.Param[T]{n.AlphaNormal, n.AlphaReduce}
}

// State are the BatchNorm running statistics.
func (n *Network[T]) State() []*mixedop.Param[T] { return n.state }

// NumParams counts the network weights (alphas excluded).
func (n *Network[T]) NumParams() int {
	s := 0
	for _, p := range n.weights {
		s += len(p.Value)
	}
	return s
}

// Apply adds the whole network to g for input x (N,C,H,W) and returns the
// logits node.
func (n *Network[T]) Apply(g *mixedop.Graph[T], x *G.Node) (*G.Node, error) {
	an, err := g.Param(n.AlphaNormal)
	if err != nil {
		return nil, err
	}
	ar, err := g.Param(n.AlphaReduce)
	if err != nil {
		return nil, err
	}
	wn, err := g.Apply(&mixedop.Softmax[T]{Label: "softmax(alphas_normal)"}, nil, an)
	if err != nil {
		return nil, err
	}
	wr, err := g.Apply(&mixedop.Softmax[T]{Label: "softmax(alphas_reduce)"}, nil, ar)
	if err != nil {
		return nil, err
	}
	s, err := g.Apply(&mixedop.ModuleBlock[T]{Label: "stem", M: n.stem}, []bool{false}, x)
	if err != nil {
		return nil, err
	}
	s0, s1 := s, s
	for _, c := range n.cells {
		w := wn
		if c.Reduction {
			w = wr
		}
		out, err := c.Apply(g, s0, s1, w)
		if err != nil {
			return nil, err
		}
		s0, s1 = s1, out
	}
	return g.Apply(n.head, nil, s1)
}

// opBuffers is roughly how many output-sized buffers a candidate op keeps
// across forward and backward (activations, saved statistics, gradients).
func opBuffers(name string, stride int) int64 {
	spec, err := mixedop.Lookup(name)
	if err != nil {
		return 4
	}
	switch spec.Kind {
	case mixedop.KindZero:
		return 0
	case mixedop.KindSepConv:
		return 13
	case mixedop.KindDilConv, mixedop.KindReLUConvBN:
		return 6
	case mixedop.KindSkip:
		if stride == 1 {
			return 0
		}
		return 9
	default: // pools followed by BatchNorm
		return 4
	}
}

// EstimateMemory estimates, in bytes, what a search at the given batch size
// holds: the weights with their gradients, momentum and checkpoint copies,
// and every buffer the blocks keep (op outputs and intermediates, gradients
// of each edge, node sums, concatenations). It is an estimate to print
// before a run starts. Its per-op buffer counts were calibrated against
// `darts bench` (peak RSS 1370 MiB on mnist-small, estimate 1421 MiB;
// 5655 MiB on cifar-small, estimate 6177 MiB, at batch 32); the kernels'
// buffer use changes with optimization, so treat it as ±30%.
func (n *Network[T]) EstimateMemory(batch int) int64 {
	var z T
	elem := int64(unsafe.Sizeof(z))
	c := n.Cfg
	weights := int64(n.NumParams()) * 4 // value, gradient, momentum, second-order snapshot
	h, w := int64(c.InputH), int64(c.InputW)
	cCurr := int64(c.C)
	act := int64(c.StemMultiplier*c.C) * h * w * 6 // stem conv, BN, gradients
	for i := 0; i < c.Layers; i++ {
		red := c.IsReduction(i)
		inPlane := h * w
		if red {
			cCurr *= 2
			h, w = h/2, w/2
		}
		node := cCurr * h * w
		act += 2 * 6 * cCurr * inPlane // two preprocessing blocks
		e := 0
		for s := 0; s < c.Steps; s++ {
			for j := 0; j < s+2; j++ {
				stride := 1
				if red && j < 2 {
					stride = 2
				}
				for _, p := range c.Primitives {
					act += opBuffers(p, stride) * node
				}
				act += 2 * node // the edge's sum and its input gradient
				e++
			}
			act += 2 * node // node sum and its gradient
		}
		act += 2 * int64(c.Multiplier) * node // concat and its gradient
	}
	return weights*elem + act*int64(batch)*elem
}

// cellPlan is one cell of the DARTS macro skeleton: its inputs' channels,
// its own channels per node, and the resolution it outputs.
type cellPlan struct {
	Index                    int
	Reduction, ReductionPrev bool
	CPP, CP, C               int
	H, W                     int
}

// planCells walks the skeleton shared by the search and the derived
// network: a stem of stemC channels, then layers cells, where reduction
// cells double the channels and halve the resolution, and cell i's output
// concatenates mult(reduction) nodes. It returns the plans and the last
// cell's output channels.
func planCells(stemC, c, h, w, layers int, isReduction func(int) bool, mult func(reduction bool) int) ([]cellPlan, int, error) {
	var plans []cellPlan
	cpp, cp, cCurr := stemC, stemC, c
	redPrev := false
	for i := 0; i < layers; i++ {
		red := isReduction(i)
		if red {
			cCurr *= 2
			if h%2 != 0 || w%2 != 0 {
				return nil, 0, fmt.Errorf("cell %d reduces a %dx%d input: reductions need even sizes (use another input size or fewer layers)", i, h, w)
			}
			h, w = h/2, w/2
		}
		plans = append(plans, cellPlan{Index: i, Reduction: red, ReductionPrev: redPrev, CPP: cpp, CP: cp, C: cCurr, H: h, W: w})
		redPrev = red
		cpp, cp = cp, mult(red)*cCurr
	}
	return plans, cp, nil
}
