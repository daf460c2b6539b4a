package mixedop

import (
	"fmt"

	"github.com/darts-go/darts/internal/kern"
)

// pwConv is a pointwise (1×1) convolution, reading ReLU(x) with reluIn,
// with a bias when one is set.
type pwConv[T Float] struct {
	w         *Param[T]
	b         *Param[T] // nil: no bias
	cin, cout int
	reluIn    bool
	n, p      int
	x, y, sdy []T
	out       outBuf
}

func (m *pwConv[T]) makeTransient() bool { m.out.transient = true; return true }
func (m *pwConv[T]) releaseOut()         { m.out.release(); m.y = nil }

// rebindInput implements inputRebinder.
func (m *pwConv[T]) rebindInput(x []T) { m.x = x }

func newPWConv[T Float](name string, cin, cout int, reluIn bool) *pwConv[T] {
	return &pwConv[T]{w: newParam[T](name, cout, cin, 1, 1), cin: cin, cout: cout, reluIn: reluIn}
}
func (m *pwConv[T]) OutShape(in Shape) (Shape, error) {
	if in.C != m.cin {
		return Shape{}, fmt.Errorf("%s: input has %d channels, want %d", m.w.Name, in.C, m.cin)
	}
	return Shape{in.N, m.cout, in.H, in.W}, nil
}
func (m *pwConv[T]) Params() []*Param[T] { return withBias(m.w, m.b) }
func (m *pwConv[T]) State() []*Param[T]  { return nil }
func (m *pwConv[T]) Forward(x []T, in Shape) []T {
	m.n, m.p, m.x = in.N, in.Plane(), x
	m.y = outGet(&m.out, m.y, in.N*m.cout*m.p)
	kern.Pointwise(m.n, m.cin, m.cout, m.p, m.reluIn, x, m.w.Value, m.y)
	addBias(m.b, m.y, m.cout, m.p)
	return m.y
}
func (m *pwConv[T]) Backward(dy, dx []T) { m.backward(dy, 1, dx, true) }
func (m *pwConv[T]) backward(dy []T, s T, dx []T, acc bool) {
	d := scaled(dy, s, &m.sdy)
	kern.PointwiseBackward(m.n, m.cin, m.cout, m.p, m.reluIn, m.x, m.w.Value, d, dx, m.w.Grad, acc)
	biasGrad(m.b, d, m.cout, m.p)
}
