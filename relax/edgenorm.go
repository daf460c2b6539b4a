package relax

import (
	"fmt"

	"github.com/darts-go/darts/internal/kern"
	"github.com/darts-go/darts/mixedop"
	"github.com/darts-go/darts/space"
	"gorgonia.org/tensor"
)

// EdgeSoftmax is PC-DARTS's edge normalization (Xu et al., ICLR 2020;
// yuhuixu1993/PC-DARTS model_search.py Network.forward): the weights of the
// edges into each intermediate node of cell c are the softmax of their
// entries of an edge tensor (space.KindEdge) β, one value per edge,
//
//	β̂[e] = exp(β[e]) / Σ_{e' into the node of e} exp(β[e'])
//
// which is F.softmax over the reference's slices β[0:2], β[2:5], β[5:9],
// β[9:14] of a 4-node DARTS cell. It returns β̂ in β's shape, rows in edge
// order (beta holds one row of one value per edge).
func EdgeSoftmax(c space.Cell, beta [][]float64) [][]float64 {
	flat := make([]float64, len(beta))
	for e, row := range beta {
		if len(row) > 0 {
			flat[e] = row[0]
		}
	}
	out := make([]float64, len(flat))
	edgeSoftmax(c, flat, out)
	rows := make([][]float64, len(out))
	for e, v := range out {
		rows[e] = []float64{v}
	}
	return rows
}

// edgeSoftmax writes the node-wise softmax of x into y.
func edgeSoftmax[T Float](c space.Cell, x, y []T) {
	var buf, res []T
	for k := 0; k < c.Nodes; k++ {
		in := c.InEdges(k)
		buf, res = buf[:0], grow(res, len(in))
		for _, e := range in {
			buf = append(buf, x[e])
		}
		kern.Softmax(buf, res)
		for i, e := range in {
			y[e] = res[i]
		}
	}
}

func grow[T Float](b []T, n int) []T {
	if cap(b) >= n {
		return b[:n]
	}
	return make([]T, n)
}

// EdgeSoftmaxBlock is EdgeSoftmax as a graph block: it maps an edge tensor
// of shape (E) or (E, 1) to its weights, of the same shape, with the
// backward of a softmax per node: dβ[e] = β̂[e]·(dβ̂[e] − Σ_{e' of its node}
// dβ̂[e']·β̂[e']).
type EdgeSoftmaxBlock[T Float] struct {
	Label string
	Cell  space.Cell
	y     []T
}

// NewEdgeSoftmaxBlock returns the block of edge tensor t of a cell of
// topology c.
func NewEdgeSoftmaxBlock[T Float](t space.Tensor, c space.Cell) *EdgeSoftmaxBlock[T] {
	return &EdgeSoftmaxBlock[T]{Label: "edge_softmax(" + t.Param + ")", Cell: c}
}

// Name implements mixedop.Block.
func (b *EdgeSoftmaxBlock[T]) Name() string { return b.Label }

// Params implements mixedop.Block.
func (b *EdgeSoftmaxBlock[T]) Params() []*mixedop.Param[T] { return nil }

// OutShape implements mixedop.Block.
func (b *EdgeSoftmaxBlock[T]) OutShape(in []tensor.Shape) (tensor.Shape, error) {
	s := in[0]
	if !(len(s) == 1 || (len(s) == 2 && s[1] == 1)) || s[0] != len(b.Cell.Edges) {
		return nil, fmt.Errorf("%s: want one value per edge (%d), got shape %v", b.Label, len(b.Cell.Edges), s)
	}
	return s.Clone(), nil
}

// Forward implements mixedop.Block.
func (b *EdgeSoftmaxBlock[T]) Forward(in [][]T, shapes []tensor.Shape) ([]T, error) {
	if _, err := b.OutShape(shapes); err != nil {
		return nil, err
	}
	b.y = grow(b.y, len(in[0]))
	edgeSoftmax(b.Cell, in[0], b.y)
	return b.y, nil
}

// Backward implements mixedop.Block.
func (b *EdgeSoftmaxBlock[T]) Backward(dy []T, din [][]T) error {
	if din[0] == nil {
		return nil
	}
	for k := 0; k < b.Cell.Nodes; k++ {
		in := b.Cell.InEdges(k)
		var dot T
		for _, e := range in {
			dot += dy[e] * b.y[e]
		}
		for _, e := range in {
			din[0][e] += b.y[e] * (dy[e] - dot)
		}
	}
	return nil
}
