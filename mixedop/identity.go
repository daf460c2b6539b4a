package mixedop

import (
	"github.com/darts-go/darts/internal/kern"
)

type identity[T Float] struct{}

func (identity[T]) OutShape(in Shape) (Shape, error) { return in, nil }
func (identity[T]) Params() []*Param[T]              { return nil }
func (identity[T]) State() []*Param[T]               { return nil }
func (identity[T]) Forward(x []T, in Shape) []T      { return x }
func (identity[T]) Backward(dy, dx []T)              { identity[T]{}.backward(dy, 1, dx, true) }
func (identity[T]) backward(dy []T, s T, dx []T, acc bool) {
	if dx != nil {
		kern.Axpy(s, dy, dx, acc)
	}
}
