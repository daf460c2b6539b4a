package mixedop

import "fmt"

// NewLinear is torch.nn.Linear(in, out) applied to each example flattened:
// (N,C,H,W) with C·H·W = in gives (N,out,1,1). Its parameters are
// "<name>.weight" (out, in) and "<name>.bias" (out), both drawn from
// U(±1/√in) as PyTorch initializes them (left at zero if ctx.Rand is nil).
func NewLinear[T Float](ctx *Ctx, name string, in, out int) Module[T] {
	m := &linear[T]{in: in, out: out, w: newParam[T](name+".weight", out, in), b: newParam[T](name+".bias", out)}
	if ctx != nil {
		fillUniform(ctx.Rand, m.w.Value, in)
		fillUniform(ctx.Rand, m.b.Value, in)
	}
	return m
}

type linear[T Float] struct {
	in, out int
	w, b    *Param[T]
	n       int
	x, y    []T
}

func (m *linear[T]) OutShape(in Shape) (Shape, error) {
	if in.C*in.H*in.W != m.in {
		return Shape{}, fmt.Errorf("%s: input %v has %d features per example, want %d", m.w.Name, in, in.C*in.H*in.W, m.in)
	}
	return Shape{in.N, m.out, 1, 1}, nil
}
func (m *linear[T]) Params() []*Param[T] { return []*Param[T]{m.w, m.b} }
func (m *linear[T]) State() []*Param[T]  { return nil }
func (m *linear[T]) Forward(x []T, in Shape) []T {
	m.n, m.x = in.N, x
	m.y = grow(m.y, m.n*m.out)
	for n := 0; n < m.n; n++ {
		f := x[n*m.in : (n+1)*m.in]
		for j := 0; j < m.out; j++ {
			acc := m.b.Value[j]
			for i, w := range m.w.Value[j*m.in : (j+1)*m.in] {
				acc += w * f[i]
			}
			m.y[n*m.out+j] = acc
		}
	}
	return m.y
}
func (m *linear[T]) Backward(dy, dx []T) {
	for n := 0; n < m.n; n++ {
		f := m.x[n*m.in : (n+1)*m.in]
		var d []T
		if dx != nil {
			d = dx[n*m.in : (n+1)*m.in]
		}
		for j := 0; j < m.out; j++ {
			g := dy[n*m.out+j]
			w := m.w.Value[j*m.in : (j+1)*m.in]
			if m.w.Grad != nil { // nil: gradients detached
				m.b.Grad[j] += g
				wg := m.w.Grad[j*m.in : (j+1)*m.in]
				for i := range wg {
					wg[i] += g * f[i]
				}
			}
			if d != nil {
				for i := range d {
					d[i] += g * w[i]
				}
			}
		}
	}
}
