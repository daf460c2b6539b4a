package mixedop

import (
	"fmt"

	"github.com/darts-go/darts/internal/kern"
)

// convRect is a dense convolution over a rectangular window (no bias): the
// 1×7 and 7×1 convolutions of DARTS's conv_7x1_1x7, each with its own
// stride along height and width.
type convRect[T Float] struct {
	w                      *Param[T]
	cin, cout              int
	kh, kw, sh, sw, ph, pw int
	g                      kern.RectGeom
	x, y, sdy              []T
	out                    outBuf
}

func (m *convRect[T]) makeTransient() bool { m.out.transient = true; return true }
func (m *convRect[T]) releaseOut()         { m.out.release(); m.y = nil }

func newConvRect[T Float](name string, cin, cout, kh, kw, sh, sw, ph, pw int) *convRect[T] {
	return &convRect[T]{w: newParam[T](name, cout, cin, kh, kw), cin: cin, cout: cout, kh: kh, kw: kw, sh: sh, sw: sw, ph: ph, pw: pw}
}

func (m *convRect[T]) geom(in Shape) kern.RectGeom {
	return kern.RectGeom{N: in.N, C: in.C, H: in.H, W: in.W, KH: m.kh, KW: m.kw, SH: m.sh, SW: m.sw, PH: m.ph, PW: m.pw}
}

func (m *convRect[T]) OutShape(in Shape) (Shape, error) {
	if in.C != m.cin {
		return Shape{}, fmt.Errorf("%s: input has %d channels, want %d", m.w.Name, in.C, m.cin)
	}
	g := m.geom(in)
	if g.OutH() < 1 || g.OutW() < 1 {
		return Shape{}, fmt.Errorf("%s: input %v too small for a %dx%d window", m.w.Name, in, m.kh, m.kw)
	}
	return Shape{in.N, m.cout, g.OutH(), g.OutW()}, nil
}
func (m *convRect[T]) Params() []*Param[T] { return []*Param[T]{m.w} }
func (m *convRect[T]) State() []*Param[T]  { return nil }
func (m *convRect[T]) Forward(x []T, in Shape) []T {
	m.g, m.x = m.geom(in), x
	m.y = outGet(&m.out, m.y, in.N*m.cout*m.g.OutH()*m.g.OutW())
	kern.ConvRect(m.g, m.cout, x, m.w.Value, m.y)
	return m.y
}
func (m *convRect[T]) Backward(dy, dx []T) { m.backward(dy, 1, dx, true) }
func (m *convRect[T]) backward(dy []T, s T, dx []T, acc bool) {
	kern.ConvRectBackward(m.g, m.cout, m.x, m.w.Value, scaled(dy, s, &m.sdy), dx, m.w.Grad, acc)
}
