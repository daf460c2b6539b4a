package relax

import (
	"fmt"

	"github.com/darts-go/darts/internal/kern"
	"github.com/darts-go/darts/mixedop"
	"github.com/darts-go/darts/space"
	"gorgonia.org/tensor"
)

// Softmax is DARTS's relaxation (Liu, Simonyan, Yang, ICLR 2019;
// quark0/darts model_search.py): the weights of an edge are the softmax of
// its row of α, w = softmax(α), deterministic, with no regularizer.
type Softmax[T Float] struct{}

// Name implements Relaxation.
func (Softmax[T]) Name() string { return "softmax" }

// Block implements Relaxation.
func (Softmax[T]) Block(t space.Tensor, _ *Pass) mixedop.Block[T] {
	return &SoftmaxBlock[T]{Label: "softmax(" + t.Param + ")"}
}

// Weights implements Relaxation: softmax(α) per row.
func (Softmax[T]) Weights(_ space.Tensor, alpha [][]float64) [][]float64 {
	return SoftmaxRows(alpha)
}

// SoftmaxRows returns the softmax of every row of x (kern.Softmax).
func SoftmaxRows(x [][]float64) [][]float64 {
	out := make([][]float64, len(x))
	for i, row := range x {
		out[i] = make([]float64, len(row))
		kern.Softmax(row, out[i])
	}
	return out
}

// SoftmaxBlock is the row-wise softmax of a (K) or (E, K) tensor as a
// graph block, computed stably (kern.Softmax); its backward is
// dx = y ⊙ (dy − Σ dy ⊙ y) per row.
type SoftmaxBlock[T Float] struct {
	Label string
	y     []T
	k     int
}

// Name implements mixedop.Block.
func (s *SoftmaxBlock[T]) Name() string { return s.Label }

// Params implements mixedop.Block.
func (s *SoftmaxBlock[T]) Params() []*mixedop.Param[T] { return nil }

// OutShape implements mixedop.Block.
func (s *SoftmaxBlock[T]) OutShape(in []tensor.Shape) (tensor.Shape, error) {
	if len(in[0]) != 1 && len(in[0]) != 2 {
		return nil, fmt.Errorf("%s: want a vector or matrix, got shape %v", s.Label, in[0])
	}
	return in[0].Clone(), nil
}

// Forward implements mixedop.Block.
func (s *SoftmaxBlock[T]) Forward(in [][]T, shapes []tensor.Shape) ([]T, error) {
	x := in[0]
	s.k = shapes[0][len(shapes[0])-1]
	if cap(s.y) < len(x) {
		s.y = make([]T, len(x))
	}
	s.y = s.y[:len(x)]
	for r := 0; r+s.k <= len(x); r += s.k {
		kern.Softmax(x[r:r+s.k], s.y[r:r+s.k])
	}
	return s.y, nil
}

// Backward implements mixedop.Block.
func (s *SoftmaxBlock[T]) Backward(dy []T, din [][]T) error {
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
