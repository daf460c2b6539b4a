package supernet

import (
	"fmt"
	"math"

	"github.com/darts-go/darts/derive"
	"github.com/darts-go/darts/internal/rng"
	"github.com/darts-go/darts/mixedop"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// The NAS-Bench-201 macro skeleton (AutoDL-Projects' TinyNetworkDarts for
// the search, TinyNetwork for a genotype): a 3×3 convolution stem to C
// channels with BatchNorm, three stages of N cells at C, 2C and 4C channels
// with a ResNet basic block of stride 2 between them, then BatchNorm, ReLU,
// global average pooling and a linear classifier. Its modules are
// numbered as AutoDL's cells list: cells 0..N-1, the block N, cells
// N+1..2N, the block 2N+1, cells 2N+2..3N+1.

// validateNB201 checks the settings of the NAS-Bench-201 skeleton.
func validateNB201(inputC, inputH, inputW, classes, c, n int) error {
	switch {
	case inputC < 1 || inputH < 1 || inputW < 1:
		return fmt.Errorf("input shape %dx%dx%d: every dimension must be at least 1", inputC, inputH, inputW)
	case classes < 2:
		return fmt.Errorf("classes %d: need at least 2", classes)
	case c < 1:
		return fmt.Errorf("init channels %d: need at least 1", c)
	case n < 1:
		return fmt.Errorf("cells per stage %d: need at least 1", n)
	case inputH%4 != 0 || inputW%4 != 0:
		return fmt.Errorf("input %dx%d: NAS-Bench-201's two stride-2 blocks need a height and width divisible by 4", inputH, inputW)
	}
	return nil
}

// nb201Stage is one module of the skeleton: a cell or a residual block.
type nb201Stage struct {
	Index     int
	Block     bool
	Cin, Cout int
}

func nb201Plan(c, n int) []nb201Stage {
	var plan []nb201Stage
	cin := c
	for s, cout := range []int{c, 2 * c, 4 * c} {
		if s > 0 {
			plan = append(plan, nb201Stage{Index: len(plan), Block: true, Cin: cin, Cout: cout})
		}
		for range n {
			plan = append(plan, nb201Stage{Index: len(plan), Cin: cout, Cout: cout})
		}
		cin = cout
	}
	return plan
}

// nb201Module is a built module of the skeleton: a search cell, a
// discrete cell or a residual block.
type nb201Module[T Float] struct {
	search   *SearchCell[T]
	discrete *nb201Cell[T]
	block    mixedop.Module[T]
	label    string
}

// nb201Head is the end of the skeleton: BatchNorm and ReLU (AutoDL's
// lastact), then the classifier.
func newNB201Head[T Float](ctx *mixedop.Ctx, r *rng.Rand, c, classes int) (mixedop.Module[T], *classifier[T]) {
	last := mixedop.NewSequence(mixedop.NewBatchNorm[T](ctx, "lastact.bn", c, true), mixedop.NewReLU[T]())
	head := newClassifier[T](c, classes)
	b := 1 / math.Sqrt(float64(c))
	for _, p := range head.Params() {
		for i := range p.Value {
			p.Value[i] = T((2*r.Float64() - 1) * b)
		}
	}
	return last, head
}

// buildNB201 builds the NAS-Bench-201 search network.
func (n *Network[T]) buildNB201(r *rng.Rand) error {
	cfg, ctx := n.Cfg, n.Ctx
	n.stem = mixedop.NewConvBN[T](ctx, "stem", cfg.InputC, cfg.C, 3, 1, 1, true)
	ct := n.Space.Cells[0]
	for _, st := range nb201Plan(cfg.C, cfg.CellsPerStage) {
		prefix := fmt.Sprintf("cells.%d", st.Index)
		if st.Block {
			b, err := mixedop.NewResNetBlock[T](ctx, prefix, st.Cin, st.Cout, 2, true)
			if err != nil {
				return err
			}
			n.nb201 = append(n.nb201, nb201Module[T]{block: b, label: prefix})
			continue
		}
		cell, err := NewSearchCell[T](ctx, prefix, ct.Name, ct.Cell, []mixedop.Module[T]{nil},
			CellOptions{C: st.Cout, Ops: n.Space.Ops, ConvBias: true, NoTrackStats: cfg.NoTrackStats})
		if err != nil {
			return err
		}
		n.cells = append(n.cells, cell)
		n.nb201 = append(n.nb201, nb201Module[T]{search: cell, label: prefix})
	}
	n.last, n.head = newNB201Head[T](ctx, r, 4*cfg.C, cfg.Classes)
	return nil
}

// applyNB201 adds the NAS-Bench-201 search network to g.
func (n *Network[T]) applyNB201(g *mixedop.Graph[T], x *G.Node, weights map[string]*G.Node) (*G.Node, error) {
	h, err := g.Apply(&mixedop.ModuleBlock[T]{Label: "stem", M: n.stem}, []bool{false}, x)
	if err != nil {
		return nil, err
	}
	for _, m := range n.nb201 {
		if m.block != nil {
			h, err = g.Apply(&mixedop.ModuleBlock[T]{Label: m.label, M: m.block}, nil, h)
		} else {
			h, err = m.search.Apply(g, []*G.Node{h}, weights[m.search.Type])
		}
		if err != nil {
			return nil, err
		}
	}
	if h, err = g.Apply(&mixedop.ModuleBlock[T]{Label: "lastact", M: n.last}, nil, h); err != nil {
		return nil, err
	}
	return g.Apply(n.head, nil, h)
}

// nb201Cell is AutoDL's InferCell for one genotype cell: node i sums its
// pairs' ops on the states they read, the output is the last node. 'none'
// pairs contribute zeros and are not built; a node of 'none' pairs only is
// zero.
type nb201Cell[T Float] struct {
	prefix string
	geno   derive.Cell
	ops    [][]mixedop.Module[T] // per node, per pair; nil for 'none'
}

func newNB201Cell[T Float](ctx *mixedop.Ctx, prefix string, geno derive.Cell, c int) (*nb201Cell[T], error) {
	cell := &nb201Cell[T]{prefix: prefix, geno: geno}
	j := 0
	for _, node := range geno.Nodes {
		var ops []mixedop.Module[T]
		for _, p := range node {
			var op mixedop.Module[T]
			if p.Op != "none" {
				var err error
				op, err = mixedop.Build[T](ctx, p.Op, join(prefix, fmt.Sprintf("ops.%d", j)), mixedop.Args{C: c, Stride: 1, Affine: true})
				if err != nil {
					return nil, fmt.Errorf("%s: edge %d: %w", prefix, j, err)
				}
			}
			ops = append(ops, op)
			j++
		}
		cell.ops = append(cell.ops, ops)
	}
	return cell, nil
}

func (c *nb201Cell[T]) params() []*mixedop.Param[T] {
	var ps []*mixedop.Param[T]
	for _, node := range c.ops {
		for _, op := range node {
			if op != nil {
				ps = append(ps, op.Params()...)
			}
		}
	}
	return ps
}

func (c *nb201Cell[T]) stateParams() []*mixedop.Param[T] {
	var ps []*mixedop.Param[T]
	for _, node := range c.ops {
		for _, op := range node {
			if op != nil {
				ps = append(ps, op.State()...)
			}
		}
	}
	return ps
}

func (c *nb201Cell[T]) apply(g *mixedop.Graph[T], in *G.Node) (*G.Node, error) {
	states := []*G.Node{in}
	j := 0
	for k, node := range c.ops {
		var terms []*G.Node
		for i, op := range node {
			if op != nil {
				label := join(c.prefix, fmt.Sprintf("ops.%d", j))
				t, err := g.Apply(&mixedop.ModuleBlock[T]{Label: label, M: op}, nil, states[c.geno.Nodes[k][i].Input])
				if err != nil {
					return nil, err
				}
				terms = append(terms, t)
			}
			j++
		}
		var s *G.Node
		var err error
		if len(terms) == 0 {
			s, err = g.Apply(&zeroOf[T]{label: join(c.prefix, fmt.Sprintf("node%d", k+1))}, nil, in)
		} else {
			s, err = g.Apply(&sumBlock[T]{label: join(c.prefix, fmt.Sprintf("node%d", k+1))}, nil, terms...)
		}
		if err != nil {
			return nil, err
		}
		states = append(states, s)
	}
	return states[len(states)-1], nil
}

// buildNB201Discrete builds NAS-Bench-201's TinyNetwork of a genotype.
func (n *Discrete[T]) buildNB201(r *rng.Rand) error {
	cfg, ctx := n.Cfg, n.Ctx
	n.stem = mixedop.NewConvBN[T](ctx, "stem", cfg.InputC, cfg.C, 3, 1, 1, true)
	geno := cfg.Genotype.Cells[0]
	for _, st := range nb201Plan(cfg.C, cfg.CellsPerStage) {
		prefix := fmt.Sprintf("cells.%d", st.Index)
		if st.Block {
			b, err := mixedop.NewResNetBlock[T](ctx, prefix, st.Cin, st.Cout, 2, true)
			if err != nil {
				return err
			}
			n.nb201 = append(n.nb201, nb201Module[T]{block: b, label: prefix})
			continue
		}
		cell, err := newNB201Cell[T](ctx, prefix, geno, st.Cout)
		if err != nil {
			return err
		}
		n.nb201 = append(n.nb201, nb201Module[T]{discrete: cell, label: prefix})
	}
	n.last, n.head = newNB201Head[T](ctx, r, 4*cfg.C, cfg.Classes)
	n.weights = append(n.weights, n.stem.Params()...)
	n.state = append(n.state, n.stem.State()...)
	for _, m := range n.nb201 {
		if m.block != nil {
			n.weights = append(n.weights, m.block.Params()...)
			n.state = append(n.state, m.block.State()...)
		} else {
			n.weights = append(n.weights, m.discrete.params()...)
			n.state = append(n.state, m.discrete.stateParams()...)
		}
	}
	n.weights = append(n.weights, n.last.Params()...)
	n.state = append(n.state, n.last.State()...)
	n.weights = append(n.weights, n.head.Params()...)
	return nil
}

// applyNB201 adds the NAS-Bench-201 network of a genotype to g.
func (n *Discrete[T]) applyNB201(g *mixedop.Graph[T], x *G.Node) (*G.Node, error) {
	h, err := g.Apply(&mixedop.ModuleBlock[T]{Label: "stem", M: n.stem}, []bool{false}, x)
	if err != nil {
		return nil, err
	}
	for _, m := range n.nb201 {
		if m.block != nil {
			h, err = g.Apply(&mixedop.ModuleBlock[T]{Label: m.label, M: m.block}, nil, h)
		} else {
			h, err = m.discrete.apply(g, h)
		}
		if err != nil {
			return nil, err
		}
	}
	if h, err = g.Apply(&mixedop.ModuleBlock[T]{Label: "lastact", M: n.last}, nil, h); err != nil {
		return nil, err
	}
	return g.Apply(n.head, nil, h)
}

// validateNB201Genotype checks that g is one NAS-Bench-201 cell of known
// ops with one input.
func validateNB201Genotype(g derive.Genotype) error {
	if len(g.Cells) != 1 || g.Cells[0].Inputs != 1 {
		return fmt.Errorf("genotype: a NAS-Bench-201 network takes one cell with one input, got %d cells", len(g.Cells))
	}
	for _, p := range g.Cells[0].Pairs() {
		if _, err := lookup(p.Op); err != nil {
			return fmt.Errorf("genotype: %w", err)
		}
	}
	return nil
}

// zeroOf outputs zeros of its input's shape: a NAS-Bench-201 node whose
// pairs are all 'none'.
type zeroOf[T Float] struct {
	label string
	y     []T
}

func (b *zeroOf[T]) Name() string                { return b.label }
func (b *zeroOf[T]) Params() []*mixedop.Param[T] { return nil }
func (b *zeroOf[T]) OutShape(in []tensor.Shape) (tensor.Shape, error) {
	return in[0].Clone(), nil
}
func (b *zeroOf[T]) Forward(in [][]T, _ []tensor.Shape) ([]T, error) {
	b.y = grow(b.y, len(in[0]))
	clear(b.y)
	return b.y, nil
}
func (b *zeroOf[T]) Backward(dy []T, din [][]T) error { return nil }
