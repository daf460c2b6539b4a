package mixedop

import (
	"github.com/darts-go/darts/internal/kern"
	"github.com/darts-go/darts/internal/rng"
)

// tagSkipDropout keys the masks of Dropout ("skipdrop").
const tagSkipDropout uint64 = 0x736b697064726f70

// Dropout is P-DARTS's dropout on skip connections (chenxin061/pdarts
// model_search.py MixedOp: a stride-1 Identity followed by nn.Dropout(p)),
// shared by every skip connection of a network built with it
// (Args.SkipDropout): in training mode each such skip multiplies its input
// element-wise by a mask of independent draws, 0 with probability p and
// 1/(1-p) otherwise; in eval mode, or when p is 0, it is the identity.
// Rate gives p for the pass in progress (a schedule over the epochs), Key
// the key of the pass's masks: each skip draws its mask from (Key(), its
// own number), so a resumed search draws what an uninterrupted one does.
type Dropout struct {
	Rate  func() float64
	Key   func() uint64
	sites uint64
}

// dropSkip is a stride-1 skip connection with Dropout.
type dropSkip[T Float] struct {
	d      *Dropout
	ctx    *Ctx
	site   uint64
	active bool
	keep   T      // 1/(1-p) of the last Forward
	mask   []bool // of the last Forward: the element is kept
	y      []T
}

func newDropSkip[T Float](ctx *Ctx, d *Dropout) *dropSkip[T] {
	d.sites++
	return &dropSkip[T]{d: d, ctx: ctx, site: d.sites}
}

func (m *dropSkip[T]) OutShape(in Shape) (Shape, error) { return in, nil }
func (m *dropSkip[T]) Params() []*Param[T]              { return nil }
func (m *dropSkip[T]) State() []*Param[T]               { return nil }

func (m *dropSkip[T]) Forward(x []T, in Shape) []T {
	p := 0.0
	if m.ctx == nil || m.ctx.Training {
		p = m.d.Rate()
	}
	m.active = p > 0
	if !m.active {
		return x
	}
	r := rng.New(rng.Key(tagSkipDropout, m.d.Key(), m.site))
	m.keep = T(1 / (1 - p))
	m.y = grow(m.y, len(x))
	if cap(m.mask) < len(x) {
		m.mask = make([]bool, len(x))
	}
	m.mask = m.mask[:len(x)]
	for i, v := range x {
		m.mask[i] = r.Float64() >= p
		if m.mask[i] {
			m.y[i] = v * m.keep
		} else {
			m.y[i] = 0
		}
	}
	return m.y
}

func (m *dropSkip[T]) Backward(dy, dx []T) { m.backward(dy, 1, dx, true) }

func (m *dropSkip[T]) backward(dy []T, s T, dx []T, acc bool) {
	if dx == nil {
		return
	}
	if !m.active {
		kern.Axpy(s, dy, dx, acc)
		return
	}
	k := s * m.keep
	for i, g := range dy {
		v := T(0)
		if m.mask[i] {
			v = k * g
		}
		if acc {
			dx[i] += v
		} else {
			dx[i] = v
		}
	}
}
