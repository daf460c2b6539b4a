package mixedop

import (
	"fmt"

	"github.com/darts-go/darts/internal/kern"
	"gorgonia.org/tensor"
)

// EdgeBlock is the block of a mixed edge: Mixed, Partial or AuxSkip. Its
// inputs are x and the edge weights; State lists its BatchNorm running
// statistics.
type EdgeBlock[T Float] interface {
	Block[T]
	State() []*Param[T]
}

// AuxSkip is DARTS-'s mixed edge (Chu et al., ICLR 2021; Meituan-AutoML/
// DARTS- src/search/model_search.py MixedOp with --auxiliary_skip): an
// edge plus an auxiliary skip connection scaled by a coefficient β that is
// scheduled, not learned,
//
//	y = edge(x, w) + β·aux(x)
//
// with aux the identity on a stride-1 edge and FactorizedReduce(C, C,
// affine=False) on a stride-2 edge (a trained op, its parameters
// "<prefix>.aux.conv1", "<prefix>.aux.conv2"). The skip is added inside
// every edge, not once per node. Coef gives β; it is read once per
// forward, and the backward uses the same value.
type AuxSkip[T Float] struct {
	Prefix string
	Edge   EdgeBlock[T]
	Coef   func() float64

	aux  Module[T] // nil: identity
	beta T
	x    []T
	in   Shape
	y    []T
	sdy  []T
}

// NewAuxSkip wraps edge (inputs of c channels at stride) with the
// auxiliary skip, its coefficient from coef; prefix is the edge's.
func NewAuxSkip[T Float](ctx *Ctx, prefix string, edge EdgeBlock[T], c, stride int, coef func() float64) (*AuxSkip[T], error) {
	if coef == nil {
		return nil, fmt.Errorf("%s: auxiliary skip without a coefficient", prefix)
	}
	a := &AuxSkip[T]{Prefix: prefix, Edge: edge, Coef: coef}
	if stride == 2 {
		fr, err := NewFactorizedReduce[T](ctx, prefix+".aux", c, c, false)
		if err != nil {
			return nil, err
		}
		a.aux = fr
	}
	return a, nil
}

// Name implements Block.
func (a *AuxSkip[T]) Name() string { return a.Prefix }

// Params implements Block: the edge's, then the auxiliary op's.
func (a *AuxSkip[T]) Params() []*Param[T] {
	ps := a.Edge.Params()
	if a.aux != nil {
		ps = append(append([]*Param[T](nil), ps...), a.aux.Params()...)
	}
	return ps
}

// State lists the BatchNorm running statistics: the edge's, then the
// auxiliary op's.
func (a *AuxSkip[T]) State() []*Param[T] {
	st := a.Edge.State()
	if a.aux != nil {
		st = append(append([]*Param[T](nil), st...), a.aux.State()...)
	}
	return st
}

// OutShape implements Block.
func (a *AuxSkip[T]) OutShape(in []tensor.Shape) (tensor.Shape, error) {
	out, err := a.Edge.OutShape(in)
	if err != nil {
		return nil, err
	}
	x, err := toShape(in[0])
	if err != nil {
		return nil, err
	}
	ax := x
	if a.aux != nil {
		if ax, err = a.aux.OutShape(x); err != nil {
			return nil, err
		}
	}
	if !fromShape(ax).Eq(out) {
		return nil, fmt.Errorf("%s: the auxiliary skip gives %v, the edge %v", a.Prefix, ax, out)
	}
	return out, nil
}

// Forward implements Block.
func (a *AuxSkip[T]) Forward(in [][]T, shapes []tensor.Shape) ([]T, error) {
	ye, err := a.Edge.Forward(in, shapes)
	if err != nil {
		return nil, err
	}
	if a.in, err = toShape(shapes[0]); err != nil {
		return nil, err
	}
	a.beta = T(a.Coef())
	a.x = in[0]
	ya := in[0]
	if a.aux != nil {
		ya = a.aux.Forward(in[0], a.in)
	}
	if len(ya) != len(ye) {
		return nil, fmt.Errorf("%s: the auxiliary skip gives %d values, the edge %d", a.Prefix, len(ya), len(ye))
	}
	a.y = grow(a.y, len(ye))
	copy(a.y, ye)
	kern.Axpy(a.beta, ya, a.y, true)
	return a.y, nil
}

// Backward implements Block.
func (a *AuxSkip[T]) Backward(dy []T, din [][]T) error { return a.backward(dy, din, true) }

// backwardSet implements gradSetter.
func (a *AuxSkip[T]) backwardSet(dy []T, din [][]T) error { return a.backward(dy, din, false) }

// backward runs the edge's backward (adding into din, or overwriting it
// unless acc), then adds the auxiliary skip's: β·dy into dx through the
// identity or the FactorizedReduce, and the latter's parameter gradients.
func (a *AuxSkip[T]) backward(dy []T, din [][]T, acc bool) error {
	var err error
	switch s, ok := a.Edge.(gradSetter[T]); {
	case acc:
		err = a.Edge.Backward(dy, din)
	case ok:
		err = s.backwardSet(dy, din)
	default:
		for _, d := range din {
			clear(d)
		}
		err = a.Edge.Backward(dy, din)
	}
	if err != nil {
		return err
	}
	if a.aux == nil {
		if din[0] != nil {
			kern.Axpy(a.beta, dy, din[0], true)
		}
		return nil
	}
	backwardOf(a.aux, dy, a.beta, din[0], true, &a.sdy)
	return nil
}
