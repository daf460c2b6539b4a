package supernet

import (
	"fmt"

	"github.com/darts-go/darts/mixedop"
	"github.com/darts-go/darts/space"
	G "gorgonia.org/gorgonia"
)

// SearchCell is a cell of a supernet on any topology (space.Cell): each of
// its inputs through its preprocessing module (none: used as it is), every
// intermediate node the sum of the mixed edges into it, and the output the
// concatenation of the topology's Concat states along the channels.
type SearchCell[T Float] struct {
	Prefix    string
	Type      string // cell type: the architecture tensor its edges read
	Topology  space.Cell
	Reduction bool
	pre       []mixedop.Module[T] // per input; nil entries pass the input on
	// Edges are the mixed ops, one per topology edge, in row order (over
	// the channels the edge's ops see: 1/K of them with partial channels).
	Edges  []*mixedop.Mixed[T]
	blocks []mixedop.EdgeBlock[T] // what each edge runs: Edges[e] or its wrapper
}

// CellOptions are the settings of a search cell's mixed edges.
type CellOptions struct {
	C            int      // channels of every node
	Ops          []string // candidate ops, in column order
	Reduction    bool     // edges from the cell's inputs have stride 2
	PoolBN       bool     // BatchNorm (affine=False) after pools, as DARTS
	ConvBias     bool     // convolutions of ReLUConvBN ops with a bias, as NAS-Bench-201's search cells
	NoTrackStats bool     // BatchNorm without running statistics
	// Partial sends 1/Partial of every edge's input channels through its
	// ops (PC-DARTS, mixedop.Partial); 0: all of them.
	Partial int
	// AuxSkip, if set, gives every edge DARTS-'s auxiliary skip with this
	// coefficient (mixedop.AuxSkip), read at each forward pass.
	AuxSkip func() float64
	// EdgeOps, if set, are the candidates of each edge, in column order,
	// instead of Ops ('none' for a column the edge does not compute).
	EdgeOps [][]string
	// SkipDropout, if set, follows the stride-1 skip connections with
	// P-DARTS's dropout (mixedop.Dropout).
	SkipDropout *mixedop.Dropout
}

// NewSearchCell builds a cell of topology topo whose inputs go through pre
// (one module per input, nil for none) and whose edges mix o.Ops with C
// channels. Edge e's parameters are named "<prefix>.edge<e>.<op>.<role>",
// as in the golden vectors; edge e reads row e of the cell type's tensor.
func NewSearchCell[T Float](ctx *mixedop.Ctx, prefix, cellType string, topo space.Cell, pre []mixedop.Module[T], o CellOptions) (*SearchCell[T], error) {
	if err := topo.Validate(); err != nil {
		return nil, err
	}
	if len(pre) != topo.Inputs {
		return nil, fmt.Errorf("%s: %d preprocessing modules for %d inputs", prefix, len(pre), topo.Inputs)
	}
	if o.EdgeOps != nil && len(o.EdgeOps) != len(topo.Edges) {
		return nil, fmt.Errorf("%s: candidates for %d edges, the cell has %d", prefix, len(o.EdgeOps), len(topo.Edges))
	}
	c := &SearchCell[T]{Prefix: prefix, Type: cellType, Topology: topo, Reduction: o.Reduction, pre: pre}
	for e, ed := range topo.Edges {
		ops := o.Ops
		if o.EdgeOps != nil {
			ops = o.EdgeOps[e]
		}
		stride := 1
		if o.Reduction && ed.Input < topo.Inputs {
			stride = 2
		}
		m, b, err := newEdge[T](ctx, join(prefix, fmt.Sprintf("edge%d", e)), ops, e, stride, o)
		if err != nil {
			return nil, err
		}
		c.Edges = append(c.Edges, m)
		c.blocks = append(c.blocks, b)
	}
	return c, nil
}

// Apply adds the cell to g, reading its inputs and the edge weights w
// (edges × ops), and returns its output node.
func (c *SearchCell[T]) Apply(g *mixedop.Graph[T], inputs []*G.Node, w *G.Node) (*G.Node, error) {
	return c.apply(g, inputs, w, nil)
}

// apply is Apply, with every node's edges scaled by the edge weights ew
// if not nil (ApplyWithEdgeWeights).
func (c *SearchCell[T]) apply(g *mixedop.Graph[T], inputs []*G.Node, w, ew *G.Node) (*G.Node, error) {
	if len(inputs) != c.Topology.Inputs {
		return nil, fmt.Errorf("%s: %d inputs, the cell takes %d", c.Prefix, len(inputs), c.Topology.Inputs)
	}
	states := make([]*G.Node, 0, c.Topology.States())
	for i, in := range inputs {
		if c.pre[i] == nil {
			states = append(states, in)
			continue
		}
		p, err := g.Apply(&mixedop.ModuleBlock[T]{Label: join(c.Prefix, fmt.Sprintf("pre%d", i)), M: c.pre[i]}, nil, in)
		if err != nil {
			return nil, err
		}
		states = append(states, p)
	}
	for k := 0; k < c.Topology.Nodes; k++ {
		var terms []*G.Node
		in := c.Topology.InEdges(k)
		for _, e := range in {
			t, err := g.Apply(c.blocks[e], nil, states[c.Topology.Edges[e].Input], w)
			if err != nil {
				return nil, err
			}
			terms = append(terms, t)
		}
		label := join(c.Prefix, fmt.Sprintf("node%d", k))
		var sum mixedop.Block[T] = &sumBlock[T]{label: label}
		if ew != nil {
			sum = &edgeSumBlock[T]{label: label, edges: in}
			terms = append(terms, ew)
		}
		s, err := g.Apply(sum, nil, terms...)
		if err != nil {
			return nil, err
		}
		states = append(states, s)
	}
	outs := make([]*G.Node, len(c.Topology.Concat))
	for i, s := range c.Topology.Concat {
		outs[i] = states[s]
	}
	if len(outs) == 1 {
		return outs[0], nil
	}
	return g.Apply(&concatBlock[T]{label: join(c.Prefix, "concat")}, nil, outs...)
}

// Params lists the cell's weights: preprocessing, then edges.
func (c *SearchCell[T]) Params() []*mixedop.Param[T] {
	var ps []*mixedop.Param[T]
	for _, p := range c.pre {
		if p != nil {
			ps = append(ps, p.Params()...)
		}
	}
	for _, e := range c.blocks {
		ps = append(ps, e.Params()...)
	}
	return ps
}

// State lists the cell's BatchNorm running statistics.
func (c *SearchCell[T]) State() []*mixedop.Param[T] {
	var st []*mixedop.Param[T]
	for _, p := range c.pre {
		if p != nil {
			st = append(st, p.State()...)
		}
	}
	for _, e := range c.blocks {
		st = append(st, e.State()...)
	}
	return st
}
