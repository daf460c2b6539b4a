package mixedop

import (
	"fmt"

	"gorgonia.org/tensor"
)

// The adapters between the Module layer (one NCHW input) and the Block
// layer (graph nodes with any inputs).

func toShape(s tensor.Shape) (Shape, error) {
	if len(s) != 4 {
		return Shape{}, fmt.Errorf("want an NCHW tensor, got shape %v", s)
	}
	return Shape{s[0], s[1], s[2], s[3]}, nil
}

func fromShape(s Shape) tensor.Shape { return tensor.Shape{s.N, s.C, s.H, s.W} }

// ToShape converts a gorgonia NCHW shape into a Shape.
func ToShape(s tensor.Shape) (Shape, error) { return toShape(s) }

// ModuleBlock adapts a single-input Module to a Block, so that it becomes
// one graph node.
type ModuleBlock[T Float] struct {
	Label string
	M     Module[T]
	sdy   []T
}

// Name implements Block.
func (b *ModuleBlock[T]) Name() string { return b.Label }

// Params implements Block.
func (b *ModuleBlock[T]) Params() []*Param[T] { return b.M.Params() }

// OutShape implements Block.
func (b *ModuleBlock[T]) OutShape(in []tensor.Shape) (tensor.Shape, error) {
	s, err := toShape(in[0])
	if err != nil {
		return nil, err
	}
	o, err := b.M.OutShape(s)
	if err != nil {
		return nil, err
	}
	return fromShape(o), nil
}

// Forward implements Block.
func (b *ModuleBlock[T]) Forward(in [][]T, shapes []tensor.Shape) ([]T, error) {
	s, err := toShape(shapes[0])
	if err != nil {
		return nil, err
	}
	return b.M.Forward(in[0], s), nil
}

// PlaceOutput implements OutputPlacer for a module that can write its
// output where it is told (OutputPlaceable).
func (b *ModuleBlock[T]) PlaceOutput(buf []T) {
	if p, ok := b.M.(outPlacer[T]); ok && p.canPlaceOut() {
		p.placeOut(buf)
	}
}

// OutputPlaceable reports whether PlaceOutput places the output: the
// module ends in a BatchNorm with a learned scale and shift (whose backward
// reads its normalized input, not its output), as DARTS's retrained
// SepConv, DilConv and FactorizedReduce do.
func (b *ModuleBlock[T]) OutputPlaceable() bool {
	p, ok := b.M.(outPlacer[T])
	return ok && p.canPlaceOut()
}

// Backward implements Block.
func (b *ModuleBlock[T]) Backward(dy []T, din [][]T) error {
	b.M.Backward(dy, din[0])
	return nil
}

// backwardSet implements gradSetter.
func (b *ModuleBlock[T]) backwardSet(dy []T, din [][]T) error {
	backwardOf(b.M, dy, 1, din[0], false, &b.sdy)
	return nil
}
