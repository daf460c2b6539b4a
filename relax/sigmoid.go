package relax

import (
	"fmt"
	"math"

	"github.com/darts-go/darts/mixedop"
	"github.com/darts-go/darts/space"
	"gorgonia.org/tensor"
)

// Sigmoid is FairDARTS's relaxation (Chu et al., ECCV 2020;
// xiaomi-automl/FairDARTS fairdarts/model_search.py): the weight of every
// op is σ(α) on its own, w = 1/(1+e^{-α}), with no normalization across
// the ops of an edge, so ops do not compete for one unit of weight.
//
// With ZeroOneWeight w01 ≠ 0 it is also a Regularizer: the zero-one loss
// w01·L01, L01 = −mean((σ(α) − ½)²) over every entry of every architecture
// tensor (separate_loss.py ConvSeparateLoss on the concatenation of
// σ(α_normal) and σ(α_reduce)), which pushes each σ toward 0 or 1.
type Sigmoid[T Float] struct {
	ZeroOneWeight float64 `json:"zero_one_weight"`
}

// Name implements Relaxation.
func (Sigmoid[T]) Name() string { return "sigmoid" }

// Block implements Relaxation.
func (Sigmoid[T]) Block(t space.Tensor, _ *Pass) mixedop.Block[T] {
	return &SigmoidBlock[T]{Label: "sigmoid(" + t.Param + ")"}
}

// Weights implements Relaxation: σ(α) entry by entry.
func (Sigmoid[T]) Weights(_ space.Tensor, alpha [][]float64) [][]float64 {
	out := make([][]float64, len(alpha))
	for i, row := range alpha {
		out[i] = make([]float64, len(row))
		for j, a := range row {
			out[i][j] = sigmoid(a)
		}
	}
	return out
}

// Regularize implements Regularizer: ZeroOneWeight·ZeroOneLoss.
func (s Sigmoid[T]) Regularize(ts []Term, _ Pass) float64 {
	if s.ZeroOneWeight == 0 {
		return 0
	}
	return ZeroOneLoss(ts, s.ZeroOneWeight)
}

// sigmoid is 1/(1+e^{-x}), evaluated without overflow for either sign.
func sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

// ZeroOneLoss returns w·L01 with L01 = −mean((σ(α) − ½)²) over every entry
// of every term, and adds its gradient, −w·2(σ−½)σ(1−σ)/n for n entries
// in all, to the terms' Grad.
func ZeroOneLoss(ts []Term, w float64) float64 {
	n := 0
	for _, t := range ts {
		n += len(t.Value)
	}
	if n == 0 {
		return 0
	}
	var sum float64
	for _, t := range ts {
		for i, a := range t.Value {
			s := sigmoid(a)
			d := s - 0.5
			sum += d * d
			t.Grad[i] += -w * 2 * d * s * (1 - s) / float64(n)
		}
	}
	return -w * sum / float64(n)
}

// SigmoidBlock is σ(x) entry by entry as a graph block, for a tensor of any
// shape; its backward is dx = dy·σ(1−σ).
type SigmoidBlock[T Float] struct {
	Label string
	y     []T
}

// Name implements mixedop.Block.
func (s *SigmoidBlock[T]) Name() string { return s.Label }

// Params implements mixedop.Block.
func (s *SigmoidBlock[T]) Params() []*mixedop.Param[T] { return nil }

// OutShape implements mixedop.Block.
func (s *SigmoidBlock[T]) OutShape(in []tensor.Shape) (tensor.Shape, error) {
	if len(in) != 1 {
		return nil, fmt.Errorf("%s: want one input, got %d", s.Label, len(in))
	}
	return in[0].Clone(), nil
}

// Forward implements mixedop.Block.
func (s *SigmoidBlock[T]) Forward(in [][]T, _ []tensor.Shape) ([]T, error) {
	x := in[0]
	if cap(s.y) < len(x) {
		s.y = make([]T, len(x))
	}
	s.y = s.y[:len(x)]
	for i, v := range x {
		s.y[i] = T(sigmoid(float64(v)))
	}
	return s.y, nil
}

// Backward implements mixedop.Block.
func (s *SigmoidBlock[T]) Backward(dy []T, din [][]T) error {
	if din[0] == nil {
		return nil
	}
	for i, y := range s.y {
		din[0][i] += dy[i] * y * (1 - y)
	}
	return nil
}
