package mixedop

import (
	"fmt"

	"github.com/darts-go/darts/internal/kern"
)

type pool[T Float] struct {
	max            bool
	k, stride, pad int
	g              kern.Geom
	x, y, sdy      []T
	out            outBuf
}

// makeTransient: max pooling's backward reads its output (the maxima).
func (m *pool[T]) makeTransient() bool {
	m.out.transient = !m.max
	return !m.max
}
func (m *pool[T]) releaseOut() { m.out.release(); m.y = nil }

func (m *pool[T]) geom(in Shape) kern.Geom {
	return kern.Geom{N: in.N, C: in.C, H: in.H, W: in.W, K: m.k, Stride: m.stride, Pad: m.pad, Dil: 1}
}
func (m *pool[T]) OutShape(in Shape) (Shape, error) {
	if m.k < 1 || m.stride < 1 || m.pad < 0 || m.pad > m.k/2 {
		return Shape{}, fmt.Errorf("pool: window %d, stride %d, padding %d is not a valid pooling", m.k, m.stride, m.pad)
	}
	g := m.geom(in)
	if g.OutH() < 1 || g.OutW() < 1 {
		return Shape{}, fmt.Errorf("pool: input %v too small for a %dx%d window", in, m.k, m.k)
	}
	return Shape{in.N, in.C, g.OutH(), g.OutW()}, nil
}
func (m *pool[T]) Params() []*Param[T] { return nil }
func (m *pool[T]) State() []*Param[T]  { return nil }
func (m *pool[T]) Forward(x []T, in Shape) []T {
	m.g, m.x = m.geom(in), x
	m.y = outGet(&m.out, m.y, in.N*in.C*m.g.OutH()*m.g.OutW())
	if m.max {
		kern.MaxPool(m.g, x, m.y)
	} else {
		kern.AvgPool(m.g, x, m.y)
	}
	return m.y
}
func (m *pool[T]) Backward(dy, dx []T) { m.backward(dy, 1, dx, true) }
func (m *pool[T]) backward(dy []T, s T, dx []T, acc bool) {
	if dx == nil {
		return
	}
	dy = scaled(dy, s, &m.sdy)
	if m.max {
		kern.MaxPoolBackward(m.g, m.x, m.y, dy, dx, acc)
	} else {
		kern.AvgPoolBackwardTo(m.g, dy, dx, acc)
	}
}

// NewAvgPool returns k×k average pooling with the given stride and zero
// padding (at most k/2), dividing by the number of window positions inside
// the input (PyTorch's count_include_pad=False).
func NewAvgPool[T Float](k, stride, pad int) Module[T] {
	return &pool[T]{k: k, stride: stride, pad: pad}
}
