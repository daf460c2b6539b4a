package mixedop

import (
	"fmt"
	"math"

	"github.com/darts-go/darts/internal/kern"
	"gorgonia.org/tensor"
)

func toShape(s tensor.Shape) (Shape, error) {
	if len(s) != 4 {
		return Shape{}, fmt.Errorf("want an NCHW tensor, got shape %v", s)
	}
	return Shape{s[0], s[1], s[2], s[3]}, nil
}

func fromShape(s Shape) tensor.Shape { return tensor.Shape{s.N, s.C, s.H, s.W} }

// ModuleBlock adapts a single-input Module to a Block, so that it becomes
// one graph node.
type ModuleBlock[T Float] struct {
	Label string
	M     Module[T]
	sdy   []T
}

// Name implements Block.
func (b *ModuleBlock[T]) Name() string { return b.Label }

// Params implements Block.
func (b *ModuleBlock[T]) Params() []*Param[T] { return b.M.Params() }

// OutShape implements Block.
func (b *ModuleBlock[T]) OutShape(in []tensor.Shape) (tensor.Shape, error) {
	s, err := toShape(in[0])
	if err != nil {
		return nil, err
	}
	o, err := b.M.OutShape(s)
	if err != nil {
		return nil, err
	}
	return fromShape(o), nil
}

// Forward implements Block.
func (b *ModuleBlock[T]) Forward(in [][]T, shapes []tensor.Shape) ([]T, error) {
	s, err := toShape(shapes[0])
	if err != nil {
		return nil, err
	}
	return b.M.Forward(in[0], s), nil
}

// Backward implements Block.
func (b *ModuleBlock[T]) Backward(dy []T, din [][]T) error {
	b.M.Backward(dy, din[0])
	return nil
}

// backwardSet implements gradSetter.
func (b *ModuleBlock[T]) backwardSet(dy []T, din [][]T) error {
	backwardOf(b.M, dy, 1, din[0], false, &b.sdy)
	return nil
}

// Mixed is the DARTS mixed operation on one edge: Σ_k w_k·op_k(x). Its
// inputs are x and a weight tensor of shape (K) or (E, K) whose row Row holds
// the edge's weights, so softmax(α), Gumbel-softmax samples, sigmoid(α) or a
// one-hot choice can all be fed. 'none' contributes nothing and costs
// nothing.
type Mixed[T Float] struct {
	Prefix     string
	Primitives []string
	Row        int
	ops        []Module[T] // nil for none
	k          int
	outs       [][]T
	in, out    Shape
	w          []T
	off        int
	y          []T
	coef       []T // WeightedSum arguments
	terms      [][]T
	sdys       [][]T // per-op s·dy for modules from other packages
}

// NewMixed builds the mixed op over primitives with C channels at stride;
// candidate parameters are named "<prefix>.<primitive>.<role>".
func NewMixed[T Float](ctx *Ctx, prefix string, primitives []string, row int, a Args) (*Mixed[T], error) {
	m := &Mixed[T]{Prefix: prefix, Primitives: primitives, Row: row, k: len(primitives)}
	for _, name := range primitives {
		if name == "none" {
			m.ops = append(m.ops, nil)
			continue
		}
		op, err := Build[T](ctx, name, prefix+"."+name, a)
		if err != nil {
			return nil, err
		}
		m.ops = append(m.ops, op)
	}
	m.outs = make([][]T, len(m.ops))
	m.sdys = make([][]T, len(m.ops))
	return m, nil
}

// Name implements Block.
func (m *Mixed[T]) Name() string { return m.Prefix }

// Params implements Block.
func (m *Mixed[T]) Params() []*Param[T] {
	var ps []*Param[T]
	for _, op := range m.ops {
		if op != nil {
			ps = append(ps, op.Params()...)
		}
	}
	return ps
}

// State lists the BatchNorm running statistics of the candidates.
func (m *Mixed[T]) State() []*Param[T] {
	var ps []*Param[T]
	for _, op := range m.ops {
		if op != nil {
			ps = append(ps, op.State()...)
		}
	}
	return ps
}

func (m *Mixed[T]) weightsFrom(ws tensor.Shape) (int, error) {
	switch {
	case len(ws) == 1 && ws[0] == m.k && m.Row == 0:
		return 0, nil
	case len(ws) == 2 && ws[1] == m.k && m.Row >= 0 && m.Row < ws[0]:
		return m.Row * m.k, nil
	}
	return 0, fmt.Errorf("%s: weights of shape %v do not hold row %d of %d ops", m.Prefix, ws, m.Row, m.k)
}

// OutShape implements Block.
func (m *Mixed[T]) OutShape(in []tensor.Shape) (tensor.Shape, error) {
	if len(in) != 2 {
		return nil, fmt.Errorf("%s: want inputs x and weights, got %d", m.Prefix, len(in))
	}
	if _, err := m.weightsFrom(in[1]); err != nil {
		return nil, err
	}
	x, err := toShape(in[0])
	if err != nil {
		return nil, err
	}
	var out Shape
	for i, op := range m.ops {
		if op == nil {
			continue
		}
		o, err := op.OutShape(x)
		if err != nil {
			return nil, err
		}
		if out != (Shape{}) && o != out {
			return nil, fmt.Errorf("%s: %s gives %v but others give %v", m.Prefix, m.Primitives[i], o, out)
		}
		out = o
	}
	if out == (Shape{}) {
		return nil, fmt.Errorf("%s: no op besides none", m.Prefix)
	}
	return fromShape(out), nil
}

// Forward implements Block.
func (m *Mixed[T]) Forward(in [][]T, shapes []tensor.Shape) ([]T, error) {
	off, err := m.weightsFrom(shapes[1])
	if err != nil {
		return nil, err
	}
	os, err := m.OutShape(shapes)
	if err != nil {
		return nil, err
	}
	m.in, _ = toShape(shapes[0])
	m.out, _ = toShape(os)
	m.off = off
	m.w = in[1][off : off+m.k]
	m.y = grow(m.y, m.out.Size())
	m.coef, m.terms = m.coef[:0], m.terms[:0]
	for i, op := range m.ops {
		if op == nil {
			continue
		}
		m.outs[i] = op.Forward(in[0], m.in)
		m.coef = append(m.coef, m.w[i])
		m.terms = append(m.terms, m.outs[i])
	}
	kern.WeightedSum(m.coef, m.terms, m.y, false)
	return m.y, nil
}

// Backward implements Block.
func (m *Mixed[T]) Backward(dy []T, din [][]T) error { return m.backward(dy, din, true) }

// backwardSet implements gradSetter.
func (m *Mixed[T]) backwardSet(dy []T, din [][]T) error { return m.backward(dy, din, false) }

// backward adds (acc) or writes the gradients: dα_k = Σ dy⊙op_k(x), and
// dx = Σ_k op_k'ᵀ(w_k·dy) with w_k handed to the op's backward rather than
// multiplied into a copy of dy; the first op overwrites dx unless acc.
func (m *Mixed[T]) backward(dy []T, din [][]T, acc bool) error {
	if !acc && din[1] != nil {
		clear(din[1]) // this edge writes only its row of the (E,K) weights
	}
	for i, op := range m.ops {
		if op == nil {
			continue
		}
		if din[1] != nil {
			din[1][m.off+i] += T(kern.Dot(dy, m.outs[i]))
		}
		backwardOf(op, dy, m.w[i], din[0], acc, &m.sdys[i])
		acc = true
	}
	if !acc && din[0] != nil {
		clear(din[0])
	}
	return nil
}

// Softmax is the row-wise softmax of a (K) or (E, K) tensor, computed
// stably (the row maximum is subtracted), as a Block.
type Softmax[T Float] struct {
	Label string
	y     []T
	k     int
}

// Name implements Block.
func (s *Softmax[T]) Name() string { return s.Label }

// Params implements Block.
func (s *Softmax[T]) Params() []*Param[T] { return nil }

// OutShape implements Block.
func (s *Softmax[T]) OutShape(in []tensor.Shape) (tensor.Shape, error) {
	if len(in[0]) != 1 && len(in[0]) != 2 {
		return nil, fmt.Errorf("%s: want a vector or matrix, got shape %v", s.Label, in[0])
	}
	return in[0].Clone(), nil
}

// Forward implements Block.
func (s *Softmax[T]) Forward(in [][]T, shapes []tensor.Shape) ([]T, error) {
	x := in[0]
	s.k = shapes[0][len(shapes[0])-1]
	s.y = grow(s.y, len(x))
	for r := 0; r+s.k <= len(x); r += s.k {
		row, out := x[r:r+s.k], s.y[r:r+s.k]
		mx := row[0]
		for _, v := range row {
			mx = max(mx, v)
		}
		var sum float64
		for i, v := range row {
			e := math.Exp(float64(v - mx))
			out[i] = T(e)
			sum += e
		}
		for i := range out {
			out[i] = T(float64(out[i]) / sum)
		}
	}
	return s.y, nil
}

// Backward implements Block: dx = y ⊙ (dy − Σ dy ⊙ y) per row.
func (s *Softmax[T]) Backward(dy []T, din [][]T) error {
	if din[0] == nil {
		return nil
	}
	for r := 0; r+s.k <= len(dy); r += s.k {
		y, d := s.y[r:r+s.k], dy[r:r+s.k]
		var dot T
		for i := range y {
			dot += d[i] * y[i]
		}
		for i := range y {
			din[0][r+i] += y[i] * (d[i] - dot)
		}
	}
	return nil
}
