package mixedop

import (
	"fmt"

	"github.com/darts-go/darts/internal/kern"
)

// The modules in this file are the building blocks that a network needs
// beyond the candidate ops (the derived network's auxiliary head). They are
// self-contained, on top of internal/kern only, so that they do not depend
// on the private types of modules.go.

// NewReLU returns max(x, 0) as a Module.
func NewReLU[T Float]() Module[T] { return &reluMod[T]{} }

type reluMod[T Float] struct{ x, y []T }

func (m *reluMod[T]) OutShape(in Shape) (Shape, error) { return in, nil }
func (m *reluMod[T]) Params() []*Param[T]              { return nil }
func (m *reluMod[T]) State() []*Param[T]               { return nil }
func (m *reluMod[T]) Forward(x []T, in Shape) []T {
	m.x = x
	m.y = growBuf(m.y, len(x))
	kern.ReLU(x, m.y)
	return m.y
}
func (m *reluMod[T]) Backward(dy, dx []T) {
	if dx != nil {
		kern.ReLUBackward(m.x, dy, dx)
	}
}

// NewAvgPool returns k×k average pooling with the given stride and zero
// padding, dividing by the number of window positions inside the input
// (PyTorch's count_include_pad=False).
func NewAvgPool[T Float](k, stride, pad int) Module[T] {
	return &avgPoolMod[T]{k: k, stride: stride, pad: pad}
}

type avgPoolMod[T Float] struct {
	k, stride, pad int
	g              kern.Geom
	y              []T
}

func (m *avgPoolMod[T]) geom(in Shape) kern.Geom {
	return kern.Geom{N: in.N, C: in.C, H: in.H, W: in.W, K: m.k, Stride: m.stride, Pad: m.pad, Dil: 1}
}
func (m *avgPoolMod[T]) OutShape(in Shape) (Shape, error) {
	if m.k < 1 || m.stride < 1 || m.pad < 0 || m.pad > m.k/2 {
		return Shape{}, fmt.Errorf("avg pool: window %d, stride %d, padding %d is not a valid pooling", m.k, m.stride, m.pad)
	}
	g := m.geom(in)
	if g.OutH() < 1 || g.OutW() < 1 {
		return Shape{}, fmt.Errorf("avg pool: input %v too small for a %dx%d window", in, m.k, m.k)
	}
	return Shape{in.N, in.C, g.OutH(), g.OutW()}, nil
}
func (m *avgPoolMod[T]) Params() []*Param[T] { return nil }
func (m *avgPoolMod[T]) State() []*Param[T]  { return nil }
func (m *avgPoolMod[T]) Forward(x []T, in Shape) []T {
	m.g = m.geom(in)
	m.y = growBuf(m.y, in.N*in.C*m.g.OutH()*m.g.OutW())
	kern.AvgPool(m.g, x, m.y)
	return m.y
}
func (m *avgPoolMod[T]) Backward(dy, dx []T) {
	if dx != nil {
		kern.AvgPoolBackward(m.g, dy, dx)
	}
}

// NewSequence chains modules: the output of each is the input of the next.
// Its parameters and state are those of the modules, in order.
func NewSequence[T Float](mods ...Module[T]) Module[T] {
	return &sequence[T]{mods: mods}
}

type sequence[T Float] struct {
	mods   []Module[T]
	shapes []Shape // input shape of each module in the last Forward
	grads  [][]T   // dL/d(input of module i), i ≥ 1
}

func (m *sequence[T]) OutShape(in Shape) (Shape, error) {
	s := in
	for _, mod := range m.mods {
		var err error
		if s, err = mod.OutShape(s); err != nil {
			return Shape{}, err
		}
	}
	return s, nil
}
func (m *sequence[T]) Params() []*Param[T] {
	var ps []*Param[T]
	for _, mod := range m.mods {
		ps = append(ps, mod.Params()...)
	}
	return ps
}
func (m *sequence[T]) State() []*Param[T] {
	var ps []*Param[T]
	for _, mod := range m.mods {
		ps = append(ps, mod.State()...)
	}
	return ps
}
func (m *sequence[T]) Forward(x []T, in Shape) []T {
	if len(m.shapes) != len(m.mods) {
		m.shapes = make([]Shape, len(m.mods))
		m.grads = make([][]T, len(m.mods))
	}
	s := in
	for i, mod := range m.mods {
		m.shapes[i] = s
		x = mod.Forward(x, s)
		s, _ = mod.OutShape(s)
	}
	return x
}
func (m *sequence[T]) Backward(dy, dx []T) {
	g := dy
	for i := len(m.mods) - 1; i >= 1; i-- {
		m.grads[i] = growBuf(m.grads[i], m.shapes[i].Size())
		clear(m.grads[i])
		m.mods[i].Backward(g, m.grads[i])
		g = m.grads[i]
	}
	m.mods[0].Backward(g, dx)
}

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
	m.y = growBuf(m.y, m.n*m.out)
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

// growBuf returns b resized to n, reusing its memory when large enough.
func growBuf[T Float](b []T, n int) []T {
	if cap(b) >= n {
		return b[:n]
	}
	return make([]T, n)
}
