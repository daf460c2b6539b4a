package supernet

import (
	"fmt"

	"github.com/darts-go/darts/internal/kern"
	"github.com/darts-go/darts/mixedop"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// The supernet parts of PC-DARTS (Xu et al., ICLR 2020; yuhuixu1993/
// PC-DARTS model_search.py) and DARTS- (Chu et al., ICLR 2021): the edge
// a cell builds for its settings (partial channels, auxiliary skip) and
// the edge-normalized node sum.

// validateEdgeOptions checks partial_channels and auxiliary_skip.
func (c Config) validateEdgeOptions() error {
	if k := c.PartialChannels; k != 0 && (k < 2 || c.C%k != 0) {
		return fmt.Errorf("partial channels K = %d: need 0 (all channels) or a K ≥ 2 that divides init_channels (%d)", k, c.C)
	}
	if c.AuxSkip != nil {
		return c.AuxSkip.Validate(0)
	}
	return nil
}

// newEdge builds edge e of a cell: the mixed op of ops (over 1/o.Partial
// of the channels if set) and the block the cell runs, which wraps it with the
// partial-channel bypass and the auxiliary skip when o asks for them.
func newEdge[T Float](ctx *mixedop.Ctx, prefix string, ops []string, e, stride int, o CellOptions) (*mixedop.Mixed[T], mixedop.EdgeBlock[T], error) {
	a := mixedop.Args{C: o.C, Stride: stride, PoolBN: o.PoolBN, ConvBias: o.ConvBias, Untracked: o.NoTrackStats, SkipDropout: o.SkipDropout}
	var m *mixedop.Mixed[T]
	var b mixedop.EdgeBlock[T]
	if o.Partial > 0 {
		p, err := mixedop.NewPartial[T](ctx, prefix, ops, e, o.Partial, a)
		if err != nil {
			return nil, nil, err
		}
		m, b = p.Inner, p
	} else {
		var err error
		if m, err = mixedop.NewMixed[T](ctx, prefix, ops, e, a); err != nil {
			return nil, nil, err
		}
		b = m
	}
	if o.AuxSkip != nil {
		s, err := mixedop.NewAuxSkip[T](ctx, prefix, b, o.C, stride, o.AuxSkip)
		if err != nil {
			return nil, nil, err
		}
		b = s
	}
	return m, b, nil
}

// ApplyWithEdgeWeights is Apply with edge normalization: every node is the
// sum of its incoming edges each scaled by its entry of ew, the cell type's
// edge weights (one per edge, in row order: softmax over each node's edges
// of the edge tensor β, relax.EdgeSoftmax). ew nil is Apply.
func (c *SearchCell[T]) ApplyWithEdgeWeights(g *mixedop.Graph[T], inputs []*G.Node, w, ew *G.Node) (*G.Node, error) {
	return c.apply(g, inputs, w, ew)
}

// edgeSumBlock is an intermediate node under edge normalization (PC-DARTS
// Cell.forward): s = Σ_j β̂[e_j]·x_j over its incoming edges e_j, its
// inputs the edges' outputs x_j and then β̂ (one weight per edge of the
// cell). Its backward: dx_j = β̂[e_j]·ds, dβ̂[e_j] = Σ ds ⊙ x_j.
type edgeSumBlock[T Float] struct {
	label string
	edges []int
	xs    [][]T
	coef  []T
	y     []T
}

func (b *edgeSumBlock[T]) Name() string                { return b.label }
func (b *edgeSumBlock[T]) Params() []*mixedop.Param[T] { return nil }
func (b *edgeSumBlock[T]) OutShape(in []tensor.Shape) (tensor.Shape, error) {
	n := len(b.edges)
	if len(in) != n+1 {
		return nil, fmt.Errorf("%s: %d inputs, want %d edges and their weights", b.label, len(in), n)
	}
	for _, s := range in[1:n] {
		if !s.Eq(in[0]) {
			return nil, fmt.Errorf("%s: adding shapes %v and %v", b.label, in[0], s)
		}
	}
	for _, e := range b.edges {
		if e >= in[n].TotalSize() {
			return nil, fmt.Errorf("%s: edge %d has no weight among %v", b.label, e, in[n])
		}
	}
	return in[0].Clone(), nil
}
func (b *edgeSumBlock[T]) Forward(in [][]T, _ []tensor.Shape) ([]T, error) {
	n := len(b.edges)
	b.xs = append(b.xs[:0], in[:n]...)
	b.coef = b.coef[:0]
	for _, e := range b.edges {
		b.coef = append(b.coef, in[n][e])
	}
	b.y = grow(b.y, len(in[0]))
	kern.WeightedSum(b.coef, b.xs, b.y, false)
	return b.y, nil
}
func (b *edgeSumBlock[T]) Backward(dy []T, din [][]T) error {
	n := len(b.edges)
	for j, e := range b.edges {
		if din[j] != nil {
			kern.Axpy(b.coef[j], dy, din[j], true)
		}
		if din[n] != nil {
			din[n][e] += T(kern.Dot(dy, b.xs[j]))
		}
	}
	return nil
}
