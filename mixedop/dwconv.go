package mixedop

import (
	"fmt"

	"github.com/darts-go/darts/internal/kern"
)

// dwConv is the depthwise convolution; with reluIn it reads max(x, 0), the
// ReLU that starts SepConv and DilConv, without storing it.
type dwConv[T Float] struct {
	w                   *Param[T]
	k, stride, pad, dil int
	reluIn              bool
	g                   kern.Geom
	x, y, sdy           []T
	// With recompute (set by a seq whose next module, a pointwise
	// convolution, reads this output in its backward), Forward writes y
	// into a borrowed buffer, given back once the next module has read it;
	// recomputeOut runs the forward again for that backward.
	recomputable        bool // Ctx.RecomputeDepthwise when built
	recompute, borrowed bool
	sc                  kern.Scratch
}

// makeRecomputed implements outRecomputer: the forward can run again in the
// backward if its input is still there (not itself recomputed).
func (m *dwConv[T]) makeRecomputed(inputBorrowed bool) bool {
	m.recompute = m.recomputable && !inputBorrowed
	return m.recompute
}

// releaseOut gives back a borrowed output.
func (m *dwConv[T]) releaseOut() {
	if m.borrowed {
		m.sc.Release()
		m.sc, m.y = kern.Scratch{}, nil
	}
}

// borrowedOut reports whether the last Forward's output was borrowed.
func (m *dwConv[T]) borrowedOut() bool { return m.borrowed }

// recomputeOut writes the last Forward's output into buf again (the same
// kernel on the same input and weights: the same bits) and returns it.
func (m *dwConv[T]) recomputeOut(buf []T) []T {
	kern.DepthwiseConv(m.g, m.reluIn, m.x, m.w.Value, buf)
	return buf
}

func newDWConv[T Float](name string, c, k, stride, pad, dil int) *dwConv[T] {
	return &dwConv[T]{w: newParam[T](name, c, 1, k, k), k: k, stride: stride, pad: pad, dil: dil}
}

func (m *dwConv[T]) geom(in Shape) kern.Geom {
	return kern.Geom{N: in.N, C: in.C, H: in.H, W: in.W, K: m.k, Stride: m.stride, Pad: m.pad, Dil: m.dil}
}
func (m *dwConv[T]) OutShape(in Shape) (Shape, error) {
	g := m.geom(in)
	if in.C != m.w.Shape[0] {
		return Shape{}, fmt.Errorf("%s: input has %d channels, want %d", m.w.Name, in.C, m.w.Shape[0])
	}
	if g.OutH() < 1 || g.OutW() < 1 {
		return Shape{}, fmt.Errorf("%s: input %v too small for a %dx%d window", m.w.Name, in, m.k, m.k)
	}
	return Shape{in.N, in.C, g.OutH(), g.OutW()}, nil
}
func (m *dwConv[T]) Params() []*Param[T] { return []*Param[T]{m.w} }
func (m *dwConv[T]) State() []*Param[T]  { return nil }
func (m *dwConv[T]) Forward(x []T, in Shape) []T {
	m.g = m.geom(in)
	m.x = x
	n := in.N * in.C * m.g.OutH() * m.g.OutW()
	m.releaseOut()
	if m.borrowed = m.recompute; m.borrowed {
		m.sc, m.y = kern.GetScratch[T](n)
	} else {
		m.y = grow(m.y, n)
	}
	kern.DepthwiseConv(m.g, m.reluIn, x, m.w.Value, m.y)
	return m.y
}

// rebindInput implements inputRebinder.
func (m *dwConv[T]) rebindInput(x []T) { m.x = x }

func (m *dwConv[T]) Backward(dy, dx []T) { m.backward(dy, 1, dx, true) }
func (m *dwConv[T]) backward(dy []T, s T, dx []T, acc bool) {
	kern.DepthwiseConvBackward(m.g, m.reluIn, m.x, m.w.Value, scaled(dy, s, &m.sdy), dx, m.w.Grad, acc)
}
