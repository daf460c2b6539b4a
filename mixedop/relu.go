package mixedop

import (
	"github.com/darts-go/darts/internal/kern"
)

type relu[T Float] struct {
	x, y, sdy []T
}

func (m *relu[T]) OutShape(in Shape) (Shape, error) { return in, nil }
func (m *relu[T]) Params() []*Param[T]              { return nil }
func (m *relu[T]) State() []*Param[T]               { return nil }
func (m *relu[T]) Forward(x []T, in Shape) []T {
	m.x = x
	m.y = grow(m.y, len(x))
	kern.ReLU(x, m.y)
	return m.y
}
func (m *relu[T]) Backward(dy, dx []T) { m.backward(dy, 1, dx, true) }
func (m *relu[T]) backward(dy []T, s T, dx []T, acc bool) {
	if dx != nil {
		kern.ReLUBackwardTo(m.x, scaled(dy, s, &m.sdy), dx, acc)
	}
}

// NewReLU returns max(x, 0) as a Module. In a sequence, a ReLU that feeds
// a depthwise or pointwise convolution is folded into its read.
func NewReLU[T Float]() Module[T] { return &relu[T]{} }
