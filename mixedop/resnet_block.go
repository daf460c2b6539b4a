package mixedop

import (
	"fmt"

	"github.com/darts-go/darts/internal/kern"
)

// resBlock is NAS-Bench-201's ResNetBasicblock (AutoDL-Projects
// cell_operations.py) between two stages: conv_b(conv_a(x)) + shortcut(x),
// conv_a a 3×3 ReLUConvBN at the block's stride, conv_b a 3×3 ReLUConvBN,
// and the shortcut 2×2 average pooling at stride 2 then a 1×1 convolution
// (no bias, no BatchNorm) when the stride is 2, a 1×1 ReLUConvBN when only
// the channels change, the identity otherwise.
type resBlock[T Float] struct {
	convA, convB Module[T]
	pool         *pool[T]  // stride-2 shortcut
	down         Module[T] // shortcut conv; nil: identity
	in           Shape
	px           []T // pooled x
	sum          []T
	dmid         []T
	dpool        []T
}

// NewResNetBlock builds NAS-Bench-201's ResNetBasicblock from cin to cout
// channels at stride 1 or 2, parameters "<prefix>.conv_a.*",
// "<prefix>.conv_b.*" and "<prefix>.downsample.conv".
func NewResNetBlock[T Float](ctx *Ctx, prefix string, cin, cout, stride int, affine bool) (Module[T], error) {
	if stride != 1 && stride != 2 {
		return nil, fmt.Errorf("%s: stride %d (want 1 or 2)", prefix, stride)
	}
	name := func(role string) string {
		if prefix == "" {
			return role
		}
		return prefix + "." + role
	}
	m := &resBlock[T]{
		convA: NewConvUnit[T](ctx, name("conv_a"), cin, cout, 3, stride, 1, ConvUnit{ReLU: true, Affine: affine}),
		convB: NewConvUnit[T](ctx, name("conv_b"), cout, cout, 3, 1, 1, ConvUnit{ReLU: true, Affine: affine}),
	}
	switch {
	case stride == 2:
		m.pool = &pool[T]{k: 2, stride: 2}
		c := newConv[T](name("downsample.conv"), cin, cout, 1, 1, 0)
		initModule[T](ctx, c)
		m.down = c
	case cin != cout:
		m.down = NewConvUnit[T](ctx, name("downsample"), cin, cout, 1, 1, 0, ConvUnit{ReLU: true, Affine: affine})
	}
	return m, nil
}

func (m *resBlock[T]) OutShape(in Shape) (Shape, error) {
	out, err := m.convA.OutShape(in)
	if err != nil {
		return Shape{}, err
	}
	if out, err = m.convB.OutShape(out); err != nil {
		return Shape{}, err
	}
	s := in
	if m.pool != nil {
		if in.H%2 != 0 || in.W%2 != 0 {
			return Shape{}, fmt.Errorf("residual block: a stride-2 block needs an even height and width, got %dx%d", in.H, in.W)
		}
		if s, err = m.pool.OutShape(s); err != nil {
			return Shape{}, err
		}
	}
	if m.down != nil {
		if s, err = m.down.OutShape(s); err != nil {
			return Shape{}, err
		}
	}
	if s != out {
		return Shape{}, fmt.Errorf("residual block: shortcut gives %v, the convolutions %v", s, out)
	}
	return out, nil
}

func (m *resBlock[T]) Params() []*Param[T] {
	ps := append(m.convA.Params(), m.convB.Params()...)
	if m.down != nil {
		ps = append(ps, m.down.Params()...)
	}
	return ps
}

func (m *resBlock[T]) State() []*Param[T] {
	st := append(m.convA.State(), m.convB.State()...)
	if m.down != nil {
		st = append(st, m.down.State()...)
	}
	return st
}

func (m *resBlock[T]) Forward(x []T, in Shape) []T {
	m.in = in
	a := m.convA.Forward(x, in)
	sa, _ := m.convA.OutShape(in)
	b := m.convB.Forward(a, sa)
	short, s := x, in
	if m.pool != nil {
		short = m.pool.Forward(short, s)
		s, _ = m.pool.OutShape(s)
	}
	if m.down != nil {
		short = m.down.Forward(short, s)
	}
	m.sum = grow(m.sum, len(b))
	for i := range b {
		m.sum[i] = b[i] + short[i]
	}
	return m.sum
}

func (m *resBlock[T]) Backward(dy, dx []T) {
	sa, _ := m.convA.OutShape(m.in)
	m.dmid = grow(m.dmid, sa.Size())
	clear(m.dmid)
	m.convB.Backward(dy, m.dmid)
	m.convA.Backward(m.dmid, dx)
	switch {
	case m.pool != nil:
		ps, _ := m.pool.OutShape(m.in)
		m.dpool = grow(m.dpool, ps.Size())
		clear(m.dpool)
		m.down.Backward(dy, m.dpool)
		m.pool.Backward(m.dpool, dx)
	case m.down != nil:
		m.down.Backward(dy, dx)
	default:
		if dx != nil {
			kern.Add(dx, dy, dx)
		}
	}
}
