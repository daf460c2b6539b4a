package mixedop

import (
	"fmt"

	"github.com/darts-go/darts/internal/kern"
)

// conv is a dense k×k convolution, with a bias when one is set (addBias).
type conv[T Float] struct {
	w                         *Param[T]
	b                         *Param[T] // nil: no bias
	cin, cout, k, stride, pad int
	g                         kern.Geom
	x, y, sdy                 []T
	out                       outBuf
}

func (m *conv[T]) makeTransient() bool { m.out.transient = true; return true }
func (m *conv[T]) releaseOut()         { m.out.release(); m.y = nil }

func newConv[T Float](name string, cin, cout, k, stride, pad int) *conv[T] {
	return &conv[T]{w: newParam[T](name, cout, cin, k, k), cin: cin, cout: cout, k: k, stride: stride, pad: pad}
}
func (m *conv[T]) geom(in Shape) kern.Geom {
	return kern.Geom{N: in.N, C: in.C, H: in.H, W: in.W, K: m.k, Stride: m.stride, Pad: m.pad, Dil: 1}
}
func (m *conv[T]) OutShape(in Shape) (Shape, error) {
	if in.C != m.cin {
		return Shape{}, fmt.Errorf("%s: input has %d channels, want %d", m.w.Name, in.C, m.cin)
	}
	g := m.geom(in)
	if g.OutH() < 1 || g.OutW() < 1 {
		return Shape{}, fmt.Errorf("%s: input %v too small for a %dx%d window", m.w.Name, in, m.k, m.k)
	}
	return Shape{in.N, m.cout, g.OutH(), g.OutW()}, nil
}
func (m *conv[T]) Params() []*Param[T] { return withBias(m.w, m.b) }
func (m *conv[T]) State() []*Param[T]  { return nil }
func (m *conv[T]) Forward(x []T, in Shape) []T {
	m.g, m.x = m.geom(in), x
	m.y = outGet(&m.out, m.y, in.N*m.cout*m.g.OutH()*m.g.OutW())
	kern.Conv(m.g, m.cout, x, m.w.Value, m.y)
	addBias(m.b, m.y, m.cout, m.g.OutH()*m.g.OutW())
	return m.y
}
func (m *conv[T]) Backward(dy, dx []T) { m.backward(dy, 1, dx, true) }
func (m *conv[T]) backward(dy []T, s T, dx []T, acc bool) {
	d := scaled(dy, s, &m.sdy)
	kern.ConvBackward(m.g, m.cout, m.x, m.w.Value, d, dx, m.w.Grad, acc)
	biasGrad(m.b, d, m.cout, m.g.OutH()*m.g.OutW())
}
