package supernet

import (
	"fmt"

	"github.com/darts-go/darts/internal/kern"
	"github.com/darts-go/darts/internal/rng"
	"github.com/darts-go/darts/mixedop"
	"gorgonia.org/tensor"
)

// dropPathBlock is model.py's drop_path on one op's output: per example,
// x/keep (kept, with probability keep = 1-Prob) or 0. Its masks are a pure
// function of the DropPath key and the op's site number.
type dropPathBlock[T Float] struct {
	label                string
	site                 int
	d                    *DropPath
	scale                []T // per example: 0 or 1/keep
	mixedop.PlacedOut[T]     // the backward does not read the output
}

// BackwardReadsInput implements mixedop.InputReader: the backward scales
// dy by each example's mask.
func (b *dropPathBlock[T]) BackwardReadsInput(int) bool { return false }

func (b *dropPathBlock[T]) Name() string                { return b.label }
func (b *dropPathBlock[T]) Params() []*mixedop.Param[T] { return nil }
func (b *dropPathBlock[T]) OutShape(in []tensor.Shape) (tensor.Shape, error) {
	return in[0].Clone(), nil
}

// masks fills b.scale for n examples from the current key.
func (b *dropPathBlock[T]) masks(n int) {
	b.scale = grow(b.scale, n)
	p := b.d.Prob
	if !(p > 0) {
		for i := range b.scale {
			b.scale[i] = 1
		}
		return
	}
	keep := 1 - p
	r := rng.New(rng.Key(rng.TagDropPath, b.d.Seed, uint64(b.d.Epoch), uint64(b.d.Step), uint64(b.site)))
	for i := range b.scale {
		if r.Float64() < keep {
			b.scale[i] = 1 / T(keep)
		} else {
			b.scale[i] = 0
		}
	}
}

func (b *dropPathBlock[T]) Forward(in [][]T, s []tensor.Shape) ([]T, error) {
	n := s[0][0]
	x := in[0]
	b.masks(n)
	y := b.Get(len(x))
	kern.ScaleRows(b.scale, x, y, false)
	return y, nil
}

func (b *dropPathBlock[T]) Backward(dy []T, din [][]T) error {
	if din[0] == nil {
		return nil
	}
	kern.ScaleRows(b.scale, dy, din[0], true)
	return nil
}

// flatBlock runs a Module whose output is (N,K,1,1) and presents it as the
// logits (N,K): the auxiliary head.
type flatBlock[T Float] struct {
	label string
	m     mixedop.Module[T]
}

func toMShape(s tensor.Shape) (mixedop.Shape, error) {
	if len(s) != 4 {
		return mixedop.Shape{}, fmt.Errorf("want an NCHW tensor, got shape %v", s)
	}
	return mixedop.Shape{N: s[0], C: s[1], H: s[2], W: s[3]}, nil
}

func (b *flatBlock[T]) Name() string                { return b.label }
func (b *flatBlock[T]) Params() []*mixedop.Param[T] { return b.m.Params() }
func (b *flatBlock[T]) OutShape(in []tensor.Shape) (tensor.Shape, error) {
	s, err := toMShape(in[0])
	if err != nil {
		return nil, err
	}
	o, err := b.m.OutShape(s)
	if err != nil {
		return nil, err
	}
	if o.H != 1 || o.W != 1 {
		return nil, fmt.Errorf("%s: output %v is not (N,K,1,1)", b.label, o)
	}
	return tensor.Shape{o.N, o.C}, nil
}
func (b *flatBlock[T]) Forward(in [][]T, shapes []tensor.Shape) ([]T, error) {
	s, err := toMShape(shapes[0])
	if err != nil {
		return nil, err
	}
	return b.m.Forward(in[0], s), nil
}
func (b *flatBlock[T]) Backward(dy []T, din [][]T) error {
	b.m.Backward(dy, din[0])
	return nil
}

// weightedSum is a + w·b of two (1)-shaped losses: the training objective
// with the auxiliary loss.
type weightedSum[T Float] struct {
	w T
	y [1]T
}

func (b *weightedSum[T]) Name() string                { return "loss+aux" }
func (b *weightedSum[T]) Params() []*mixedop.Param[T] { return nil }
func (b *weightedSum[T]) OutShape(in []tensor.Shape) (tensor.Shape, error) {
	if in[0].TotalSize() != 1 || in[1].TotalSize() != 1 {
		return nil, fmt.Errorf("loss+aux: inputs %v and %v, want scalars", in[0], in[1])
	}
	return tensor.Shape{1}, nil
}
func (b *weightedSum[T]) Forward(in [][]T, _ []tensor.Shape) ([]T, error) {
	b.y[0] = in[0][0] + b.w*in[1][0]
	return b.y[:], nil
}
func (b *weightedSum[T]) Backward(dy []T, din [][]T) error {
	if din[0] != nil {
		din[0][0] += dy[0]
	}
	if din[1] != nil {
		din[1][0] += b.w * dy[0]
	}
	return nil
}
