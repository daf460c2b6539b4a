package relax

import (
	"fmt"

	"github.com/darts-go/darts/internal/kern"
	"github.com/darts-go/darts/mixedop"
	"github.com/darts-go/darts/space"
	"gorgonia.org/tensor"
)

// MaskedSoftmax is the softmax over the ops each edge has, for a supernet
// whose edges hold only some of the candidate ops (a P-DARTS stage,
// supernet.Config.EdgeOps): the weights of an edge are the softmax of its
// row of α over the columns its mask keeps, and 0 in the others, which get
// no gradient. P-DARTS's α has one column per kept op (chenxin061/pdarts
// model_search.py); the columns of the ops an edge lacks hold values that
// no pass reads. A tensor without a mask is DARTS's softmax.
type MaskedSoftmax[T Float] struct {
	// Masks maps an op tensor's name to its mask: Masks[name][e][k] says
	// whether edge e has the op of column k. They are the network's
	// (supernet.Config.EdgeOps, checked and recorded there).
	Masks map[string][][]bool `json:"-"`
}

// Name implements Relaxation.
func (MaskedSoftmax[T]) Name() string { return "masked-softmax" }

// Block implements Relaxation.
func (r MaskedSoftmax[T]) Block(t space.Tensor, _ *Pass) mixedop.Block[T] {
	return &MaskedSoftmaxBlock[T]{Label: "masked_softmax(" + t.Param + ")", Mask: r.Masks[t.Name]}
}

// Weights implements Relaxation: the masked softmax of every row.
func (r MaskedSoftmax[T]) Weights(t space.Tensor, alpha [][]float64) [][]float64 {
	mask := r.Masks[t.Name]
	out := make([][]float64, len(alpha))
	for i, row := range alpha {
		out[i] = make([]float64, len(row))
		var on []bool
		if i < len(mask) {
			on = mask[i]
		}
		maskedSoftmax(row, out[i], on)
	}
	return out
}

// maskedSoftmax writes the softmax of x over the entries on keeps (all if
// on is nil) into y, 0 elsewhere: kern.Softmax of the kept entries, so a
// row is what softmax gives on the compact row of its kept columns.
func maskedSoftmax[T Float](x, y []T, on []bool) {
	if on == nil {
		kern.Softmax(x, y)
		return
	}
	var cx []T
	for k, v := range x {
		if on[k] {
			cx = append(cx, v)
		}
	}
	cy := make([]T, len(cx))
	kern.Softmax(cx, cy)
	i := 0
	for k := range y {
		if on[k] {
			y[k] = cy[i]
			i++
		} else {
			y[k] = 0
		}
	}
}

// MaskedSoftmaxBlock is the row-wise masked softmax of a (K) or (E, K)
// tensor as a graph block; Mask has one row per tensor row (nil: every
// column of every row). Its backward is softmax's, dx = y ⊙ (dy − Σ dy ⊙
// y) per row, which is 0 where y is.
type MaskedSoftmaxBlock[T Float] struct {
	Label string
	Mask  [][]bool
	y     []T
	k     int
}

// Name implements mixedop.Block.
func (s *MaskedSoftmaxBlock[T]) Name() string { return s.Label }

// Params implements mixedop.Block.
func (s *MaskedSoftmaxBlock[T]) Params() []*mixedop.Param[T] { return nil }

// OutShape implements mixedop.Block.
func (s *MaskedSoftmaxBlock[T]) OutShape(in []tensor.Shape) (tensor.Shape, error) {
	sh := in[0]
	if len(sh) != 1 && len(sh) != 2 {
		return nil, fmt.Errorf("%s: want a vector or matrix, got shape %v", s.Label, sh)
	}
	if s.Mask != nil {
		rows := 1
		if len(sh) == 2 {
			rows = sh[0]
		}
		if len(s.Mask) != rows {
			return nil, fmt.Errorf("%s: %d mask rows for %d rows", s.Label, len(s.Mask), rows)
		}
		for i, m := range s.Mask {
			any := false
			for _, b := range m {
				any = any || b
			}
			if len(m) != sh[len(sh)-1] || !any {
				return nil, fmt.Errorf("%s: mask row %d %v does not keep one of %d columns", s.Label, i, m, sh[len(sh)-1])
			}
		}
	}
	return sh.Clone(), nil
}

// Forward implements mixedop.Block.
func (s *MaskedSoftmaxBlock[T]) Forward(in [][]T, shapes []tensor.Shape) ([]T, error) {
	x := in[0]
	s.k = shapes[0][len(shapes[0])-1]
	if cap(s.y) < len(x) {
		s.y = make([]T, len(x))
	}
	s.y = s.y[:len(x)]
	for r := 0; r*s.k < len(x); r++ {
		var on []bool
		if s.Mask != nil {
			on = s.Mask[r]
		}
		maskedSoftmax(x[r*s.k:(r+1)*s.k], s.y[r*s.k:(r+1)*s.k], on)
	}
	return s.y, nil
}

// Backward implements mixedop.Block.
func (s *MaskedSoftmaxBlock[T]) Backward(dy []T, din [][]T) error {
	if din[0] == nil {
		return nil
	}
	for r := 0; r+s.k <= len(dy); r += s.k {
		y, d := s.y[r:r+s.k], dy[r:r+s.k]
		var dot T
		for i := range y {
			dot += d[i] * y[i]
		}
		for i := range y {
			din[0][r+i] += y[i] * (d[i] - dot)
		}
	}
	return nil
}
