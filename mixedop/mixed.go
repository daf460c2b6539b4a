package mixedop

import (
	"fmt"
	"slices"
	"sort"

	"github.com/darts-go/darts/internal/kern"
	"gorgonia.org/tensor"
)

// Skip says which candidates of a mixed edge run in a pass.
type Skip int

const (
	// RunAll runs every candidate (DARTS, SNAS, DrNAS).
	RunAll Skip = iota
	// SkipZero runs, forward and backward, only the candidates whose
	// weight is not exactly 0; the others contribute nothing, their
	// weights get no gradient and their parameters a zero one. A one-hot
	// weight row then costs one op: AutoDL-Projects' DARTS-space
	// MixedOp.forward_gdas (op_index(x)·h_index), and DrNAS's pruned ops.
	SkipZero
	// SkipZeroScalar is SkipZero where every skipped candidate still adds
	// its weight (0) to each output element, as AutoDL-Projects'
	// NAS201SearchCell.forward_gdas does (h_index·op_index(x) + Σ_{k≠index}
	// h_k), so that its weight's gradient is Σ dy: with a straight-through
	// weight every α of the edge then receives a gradient.
	SkipZeroScalar
)

// Mixed is the DARTS mixed operation on one edge: Σ_k w_k·op_k(x). Its
// inputs are x and a weight tensor of shape (K) or (E, K) whose row Row holds
// the edge's weights, so softmax(α), Gumbel-softmax samples, sigmoid(α) or a
// one-hot choice can all be fed. 'none' contributes nothing and costs
// nothing. With Skip set, ops whose weight is exactly 0 do not run at all.
type Mixed[T Float] struct {
	Prefix     string
	Primitives []string
	Row        int
	// Skip says whether ops of weight exactly 0 are run (see Skip); set it
	// before the first Forward.
	Skip    Skip
	ops     []Module[T] // nil for none
	k       int
	outs    [][]T
	in, out Shape
	w       []T
	off     int
	y       []T // the last output
	// PlacedOut: the backward reads the candidates' outputs, not their
	// weighted sum, so the machine may place the sum (OutputPlacer).
	PlacedOut[T]

	// The candidates run concurrently (kern.Tasks), costliest first; each
	// writes only its own buffers, and their results are summed in op
	// order, so the bits do not depend on how they were scheduled.
	order     []int  // ops that run as tasks: not none, not identity
	ident     int    // index of the identity op, or -1
	tasks     []int  // the ops of order that run in this pass: order, or sel
	sel       []int  // with Skip, the ops of order of nonzero weight
	active    []bool // per op: runs in this pass
	x, dy     []T    // arguments of the running pass
	ctx       *Ctx
	needDX    bool
	dxs       [][]T // per-op input gradients of the running backward
	sdys      [][]T // per-op s·dy for modules from other packages
	dalpha    []T
	dotYs     [][]T         // the candidates' outputs, for kern.DotsTo
	dots      []float64     // their dα in float64
	params    [][]*Param[T] // per op, its parameters
	scratches []kern.Scratch
	coef      []T // WeightedSum arguments
	terms     [][]T
	fwdTask   func(int)
	bwdTask   func(int)
}

// NewMixed builds the mixed op over primitives with C channels at stride;
// candidate parameters are named "<prefix>.<primitive>.<role>".
func NewMixed[T Float](ctx *Ctx, prefix string, primitives []string, row int, a Args) (*Mixed[T], error) {
	m := &Mixed[T]{Prefix: prefix, Primitives: primitives, Row: row, k: len(primitives), ctx: ctx}
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
	m.plan()
	return m, nil
}

// plan orders the candidates that run as tasks, costliest first, so that
// the last one to start is short.
func (m *Mixed[T]) plan() {
	m.ident = -1
	for i, op := range m.ops {
		switch op.(type) {
		case nil:
		case identity[T]:
			m.ident = i
		default:
			m.order = append(m.order, i)
		}
	}
	sort.SliceStable(m.order, func(a, b int) bool { return cost(m.ops[m.order[a]]) > cost(m.ops[m.order[b]]) })
	m.dxs = make([][]T, len(m.ops))
	m.sdys = make([][]T, len(m.ops))
	m.dalpha = make([]T, len(m.ops))
	m.scratches = make([]kern.Scratch, len(m.ops))
	m.tasks = m.order
	m.sel = make([]int, 0, len(m.order))
	m.active = make([]bool, len(m.ops))
	m.fwdTask = func(t int) {
		i := m.tasks[t]
		m.outs[i] = m.ops[i].Forward(m.x, m.in)
	}
	m.params = make([][]*Param[T], len(m.ops))
	for i, op := range m.ops {
		if op != nil {
			m.params[i] = op.Params()
		}
	}
	m.bwdTask = func(t int) {
		i := m.tasks[t]
		if !m.needDX && detached(m.params[i]) {
			return // the op's backward would compute nothing anyone reads
		}
		var dx []T
		if m.needDX {
			dx = m.dxs[i]
		}
		backwardOf(m.ops[i], m.dy, m.w[i], dx, false, &m.sdys[i])
	}
}

// detached reports whether every parameter's gradient is detached (nil:
// Graph.SetParamGrads(false)).
func detached[T Float](ps []*Param[T]) bool {
	for _, p := range ps {
		if p.Grad != nil {
			return false
		}
	}
	return true
}

// cost is a rough relative cost of a candidate's forward and backward, to
// order them.
func cost[T Float](m Module[T]) int {
	switch m := m.(type) {
	case *seq[T]:
		c := 0
		for _, mod := range m.mods {
			c += cost(mod)
		}
		return c
	case *dwConv[T]:
		return 2 * m.k * m.k
	case *pwConv[T]:
		return 2 * m.cin
	case *conv[T]:
		return 2 * m.cin * m.k * m.k
	case *convRect[T]:
		return 2 * m.cin * m.kh * m.kw
	case *factorizedReduce[T]:
		return m.cin + 8
	case *pool[T]:
		return 12
	}
	return 4
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
	m.y = m.Get(m.out.Size())
	m.selectActive()
	m.x = in[0]
	kern.Tasks(len(m.tasks), m.fwdTask)
	m.x = nil
	if m.ident >= 0 {
		m.outs[m.ident] = in[0]
	}
	m.coef, m.terms = m.coef[:0], m.terms[:0]
	for i, op := range m.ops {
		if op != nil && m.active[i] {
			m.coef = append(m.coef, m.w[i])
			m.terms = append(m.terms, m.outs[i])
		}
	}
	kern.WeightedSum(m.coef, m.terms, m.y, false)
	return m.y, nil
}

// skipMode is the run's Ctx.Skip if set, else the edge's own Skip.
func (m *Mixed[T]) skipMode() Skip {
	if m.ctx != nil && m.ctx.Skip != RunAll {
		return m.ctx.Skip
	}
	return m.Skip
}

// selectActive decides which ops run in this pass: all of them, or, with
// Skip, those of nonzero weight (the skipped ones keep their stale outputs
// and buffers, which nothing reads).
func (m *Mixed[T]) selectActive() {
	if m.skipMode() == RunAll {
		m.tasks = m.order
		for i := range m.active {
			m.active[i] = true
		}
		return
	}
	for i := range m.active {
		m.active[i] = m.w[i] != 0
	}
	m.sel = m.sel[:0]
	for _, i := range m.order {
		if m.active[i] {
			m.sel = append(m.sel, i)
		}
	}
	m.tasks = m.sel
}

// Backward implements Block.
func (m *Mixed[T]) Backward(dy []T, din [][]T) error { return m.backward(dy, din, true) }

// backwardSet implements gradSetter.
func (m *Mixed[T]) backwardSet(dy []T, din [][]T) error { return m.backward(dy, din, false) }

// backward adds (acc) or writes the gradients: dα_k = Σ dy⊙op_k(x), and
// dx = Σ_k op_k'ᵀ(w_k·dy) with w_k handed to the op's backward rather than
// multiplied into a copy of dy. Each candidate writes its dx into a pooled
// buffer; the sum over candidates is one pass in op order.
func (m *Mixed[T]) backward(dy []T, din [][]T, acc bool) error {
	if !acc && din[1] != nil {
		// This block owns all of din[1] but writes only its row.
		clear(din[1])
	}
	m.needDX = din[0] != nil
	if m.needDX {
		for _, i := range m.tasks {
			m.scratches[i], m.dxs[i] = kern.GetScratch[T](m.in.Size())
		}
	}
	if din[1] != nil {
		// dα for every candidate in one call, before the backwards (which
		// leave the outputs as they are): the dot products share the reads
		// of dy.
		m.dotYs = m.dotYs[:0]
		for _, i := range m.tasks {
			m.dotYs = append(m.dotYs, m.outs[i])
		}
		m.dots = slices.Grow(m.dots[:0], len(m.tasks))[:len(m.tasks)]
		kern.DotsTo(dy, m.dotYs, m.dots)
		for k, i := range m.tasks {
			m.dalpha[i] = T(m.dots[k])
		}
	}
	m.dy = dy
	kern.Tasks(len(m.tasks), m.bwdTask)
	m.dy = nil
	if din[1] != nil {
		for _, i := range m.tasks {
			din[1][m.off+i] += m.dalpha[i]
		}
		if m.ident >= 0 && m.active[m.ident] {
			din[1][m.off+m.ident] += T(kern.Dot(dy, m.outs[m.ident]))
		}
		if m.skipMode() == SkipZeroScalar {
			// Each skipped op added its weight to every output element.
			var s float64
			for _, v := range dy {
				s += float64(v)
			}
			for i := range m.ops {
				if !m.active[i] {
					din[1][m.off+i] += T(s)
				}
			}
		}
	}
	if !m.needDX {
		return nil
	}
	m.coef, m.terms = m.coef[:0], m.terms[:0]
	for i, op := range m.ops {
		switch {
		case op == nil || !m.active[i]:
		case i == m.ident:
			m.coef = append(m.coef, m.w[i])
			m.terms = append(m.terms, dy)
		default:
			m.coef = append(m.coef, 1)
			m.terms = append(m.terms, m.dxs[i])
		}
	}
	kern.WeightedSum(m.coef, m.terms, din[0], acc)
	for _, i := range m.tasks {
		m.scratches[i].Release()
		m.scratches[i], m.dxs[i] = kern.Scratch{}, nil
	}
	return nil
}
