package mixedop

import (
	"github.com/darts-go/darts/internal/kern"
)

// seq runs modules one after another. A ReLU followed by a depthwise or pointwise convolution runs as the
// convolution reading max(x, 0) (see fuse), so relu(x) is never stored.
type seq[T Float] struct {
	mods      []Module[T]
	run       []Module[T] // mods after fuse
	transient []bool      // run[i]'s output is borrowed until run[i+1] has read it
	shapes    []Shape     // input shape of each module of run
	recompute []bool      // run[i]'s output is borrowed, and recomputed for run[i+1]'s backward
	sdy       []T
}

// outRecomputer is a module whose output can be borrowed until the next
// module's Forward has read it and written again, with the same bits, for
// the next module's backward: a BatchNorm's from x̂, a depthwise
// convolution's by running it again. It saves one activation per module
// at the cost of the recomputation.
type outRecomputer[T Float] interface {
	// makeRecomputed turns recomputation on if the module can do it;
	// inputBorrowed says the module's own input is recomputed (not kept).
	makeRecomputed(inputBorrowed bool) bool
	borrowedOut() bool // the last Forward's output was borrowed
	releaseOut()
	recomputeOut(buf []T) []T
}

// inputRebinder is a module whose backward reads its input and can be
// given it again, in another buffer with the same contents, after Forward:
// how a seq hands a depthwise convolution its input BatchNorm's output
// recomputed from x̂, and a pointwise convolution its input depthwise
// convolution's output computed again, instead of keeping them (see
// outRecomputer). The buffer is the seq's until that backward returns.
type inputRebinder[T Float] interface {
	rebindInput(x []T)
}

// fuse makes run: mods with each ReLU that feeds a depthwise or pointwise
// convolution folded into the convolution's read.
func (m *seq[T]) fuse() {
	m.run = m.run[:0]
	for i := 0; i < len(m.mods); i++ {
		if _, ok := m.mods[i].(*relu[T]); ok && i+1 < len(m.mods) {
			switch c := m.mods[i+1].(type) {
			case *dwConv[T]:
				c.reluIn = true
				m.run = append(m.run, c)
				i++
				continue
			case *pwConv[T]:
				c.reluIn = true
				m.run = append(m.run, c)
				i++
				continue
			}
		}
		m.run = append(m.run, m.mods[i])
	}
	m.shapes = make([]Shape, len(m.run))
	m.transient = make([]bool, len(m.run))
	m.recompute = make([]bool, len(m.run))
	for i := 0; i+1 < len(m.run); i++ {
		if _, bn := m.run[i+1].(*batchNorm[T]); bn {
			if t, ok := m.run[i].(transientOut); ok {
				m.transient[i] = t.makeTransient()
			}
		}
		// A SepConv's first depthwise convolution feeds a pointwise one
		// and its first BatchNorm the second depthwise convolution, whose
		// backwards read them: recompute them there (the BatchNorm's from
		// x̂, kept for its own backward) instead of keeping them.
		if r, ok := m.run[i].(outRecomputer[T]); ok {
			if _, ok := m.run[i+1].(inputRebinder[T]); ok {
				m.recompute[i] = r.makeRecomputed(i > 0 && m.recompute[i-1])
			}
		}
	}
}

func (m *seq[T]) OutShape(in Shape) (Shape, error) {
	s := in
	for _, mod := range m.mods {
		var err error
		if s, err = mod.OutShape(s); err != nil {
			return Shape{}, err
		}
	}
	return s, nil
}
func (m *seq[T]) Params() []*Param[T] {
	var ps []*Param[T]
	for _, mod := range m.mods {
		ps = append(ps, mod.Params()...)
	}
	return ps
}
func (m *seq[T]) State() []*Param[T] {
	var ps []*Param[T]
	for _, mod := range m.mods {
		ps = append(ps, mod.State()...)
	}
	return ps
}
func (m *seq[T]) Forward(x []T, in Shape) []T {
	if m.run == nil {
		m.fuse()
	}
	s := in
	for i, mod := range m.run {
		m.shapes[i] = s
		x = mod.Forward(x, s)
		s, _ = mod.OutShape(s)
		if i > 0 && m.transient[i-1] {
			m.run[i-1].(transientOut).releaseOut()
		}
		if i > 0 && m.recompute[i-1] {
			m.run[i-1].(outRecomputer[T]).releaseOut()
		}
	}
	return x
}

// canPlaceOut implements outPlacer: the output is the last module's.
func (m *seq[T]) canPlaceOut() bool {
	if m.run == nil {
		m.fuse()
	}
	if len(m.run) == 0 {
		return false
	}
	p, ok := m.run[len(m.run)-1].(outPlacer[T])
	return ok && p.canPlaceOut()
}
func (m *seq[T]) placeOut(buf []T) { m.run[len(m.run)-1].(outPlacer[T]).placeOut(buf) }

func (m *seq[T]) Backward(dy, dx []T) { m.backward(dy, 1, dx, true) }

// backward hands the scale to the last module only, and lets every module
// overwrite the gradient buffer it writes, but the first when acc.
func (m *seq[T]) backward(dy []T, s T, dx []T, acc bool) {
	// The gradients between modules live only during this call, in pooled
	// buffers: at most two at a time, instead of one per module held for
	// the life of the network.
	g := dy
	var held kern.Scratch
	for i := len(m.run) - 1; i >= 1; i-- {
		var rc kern.Scratch
		if r, ok := m.run[i-1].(outRecomputer[T]); ok && m.recompute[i-1] && r.borrowedOut() {
			var x []T
			rc, x = kern.GetScratch[T](m.shapes[i].Size())
			m.run[i].(inputRebinder[T]).rebindInput(r.recomputeOut(x))
		}
		sc, buf := kern.GetScratch[T](m.shapes[i].Size())
		backwardOf(m.run[i], g, s, buf, false, &m.sdy)
		rc.Release()
		held.Release()
		held, g, s = sc, buf, 1
	}
	backwardOf(m.run[0], g, s, dx, acc, &m.sdy)
	held.Release()
}

// NewSequence chains modules: the output of each is the input of the next.
// Its parameters and state are those of the modules, in order.
func NewSequence[T Float](mods ...Module[T]) Module[T] {
	return &seq[T]{mods: mods}
}
