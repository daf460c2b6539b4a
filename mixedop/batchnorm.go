package mixedop

import (
	"fmt"
	"math"

	"github.com/darts-go/darts/internal/kern"
)

// BNMomentum and BNEps are PyTorch's BatchNorm2d defaults, which DARTS uses.
const (
	BNMomentum = 0.1
	BNEps      = 1e-5
)

// batchNorm is BatchNorm2d: with affine, a learned scale and shift; with
// untracked (PyTorch's track_running_stats=False), no running statistics
// at all, and batch statistics in eval mode too.
type batchNorm[T Float] struct {
	ctx                *Ctx
	c                  int
	untracked          bool
	gamma, beta        *Param[T] // nil when affine=False
	rmean, rvar        *Param[T]
	n, p               int
	training           bool // mode of the last Forward
	y, xhat            []T
	out                PlacedOut[T] // where y goes: its own buffer, or one placeOut gave
	mean, uvar, invstd []T
	// With recompute (set by a seq whose next module reads this output in
	// its backward), a training Forward writes y into a borrowed buffer,
	// given back once the next module has read it (releaseOut); the
	// backward of the next module gets y again from recomputeOut.
	recompute bool
	borrowed  bool         // this Forward's y was borrowed: recomputeOut gives it
	sc        kern.Scratch // the borrowed y until releaseOut
}

func newBatchNorm[T Float](ctx *Ctx, name string, c int, affine bool) *batchNorm[T] {
	m := &batchNorm[T]{ctx: ctx, c: c,
		rmean: newState[T](name+".running_mean", 0, c),
		rvar:  newState[T](name+".running_var", 1, c),
		mean:  make([]T, c), uvar: make([]T, c), invstd: make([]T, c),
	}
	if affine {
		m.gamma = newState[T](name+".weight", 1, c)
		m.gamma.Grad = make([]T, c)
		m.beta = newParam[T](name+".bias", c)
	}
	return m
}
func (m *batchNorm[T]) OutShape(in Shape) (Shape, error) {
	if in.C != m.c {
		return Shape{}, fmt.Errorf("%s: input has %d channels, want %d", m.rmean.Name, in.C, m.c)
	}
	return in, nil
}
func (m *batchNorm[T]) Params() []*Param[T] {
	if m.gamma == nil {
		return nil
	}
	return []*Param[T]{m.gamma, m.beta}
}
func (m *batchNorm[T]) State() []*Param[T] {
	if m.untracked {
		return nil
	}
	return []*Param[T]{m.rmean, m.rvar}
}
func (m *batchNorm[T]) gb() (g, b []T) {
	if m.gamma != nil {
		return m.gamma.Value, m.beta.Value
	}
	return nil, nil
}
func (m *batchNorm[T]) Forward(x []T, in Shape) []T {
	m.n, m.p = in.N, in.Plane()
	m.training = m.ctx == nil || m.ctx.Training || m.untracked
	m.releaseOut()
	if m.borrowed = m.recompute && m.training && m.gamma != nil; m.borrowed {
		m.sc, m.y = kern.GetScratch[T](len(x))
	} else {
		m.y = m.out.Get(len(x))
	}
	g, b := m.gb()
	if m.training {
		if m.gamma == nil {
			// Without affine, y is xhat.
			m.xhat = m.y
		} else {
			m.xhat = grow(m.xhat, len(x))
		}
		kern.BatchNormTrain(m.n, m.c, m.p, T(BNEps), x, g, b, m.y, m.xhat, m.mean, m.uvar, m.invstd)
		if !m.untracked {
			kern.UpdateRunning(T(BNMomentum), m.mean, m.uvar, m.rmean.Value, m.rvar.Value)
		}
	} else {
		kern.BatchNormEval(m.n, m.c, m.p, T(BNEps), x, m.rmean.Value, m.rvar.Value, g, b, m.y)
		if m.gamma != nil {
			if len(m.xhat) > 0 && len(m.y) > 0 && &m.xhat[0] == &m.y[0] {
				m.xhat = nil // was y in a training run
			}
			m.xhat = grow(m.xhat, len(x))
			copy(m.xhat, x) // eval backward needs x for dγ
		}
	}
	return m.y
}

// makeRecomputed implements outRecomputer: with a learned scale and shift
// (without them y is x̂, which the backward keeps anyway).
func (m *batchNorm[T]) makeRecomputed(bool) bool {
	m.recompute = m.gamma != nil
	return m.recompute
}

// borrowedOut reports whether the last Forward's output was borrowed.
func (m *batchNorm[T]) borrowedOut() bool { return m.borrowed }

// releaseOut gives back a borrowed output (see recompute); the output it
// returned is invalid after it.
func (m *batchNorm[T]) releaseOut() {
	if m.borrowed {
		m.sc.Release()
		m.sc, m.y = kern.Scratch{}, nil
	}
}

// recomputeOut writes the last Forward's borrowed output into buf and
// returns it: y = x̂·γ + β with the product and the sum rounded as
// BatchNormTrain rounds them, so the same bits.
func (m *batchNorm[T]) recomputeOut(buf []T) []T {
	kern.BatchNormAffine(m.n, m.c, m.p, m.xhat, m.gamma.Value, m.beta.Value, buf)
	return buf
}

// canPlaceOut implements outPlacer: with a learned scale and shift the
// backward reads xhat, not y (without them xhat is y).
func (m *batchNorm[T]) canPlaceOut() bool { return m.gamma != nil }
func (m *batchNorm[T]) placeOut(buf []T)  { m.out.PlaceOutput(buf) }

func (m *batchNorm[T]) Backward(dy, dx []T) { m.backward(dy, 1, dx, true) }
func (m *batchNorm[T]) backward(dy []T, sc T, dx []T, acc bool) {
	var g, dg, db []T
	if m.gamma != nil {
		g, dg, db = m.gamma.Value, m.gamma.Grad, m.beta.Grad
	}
	if m.training {
		kern.BatchNormBackward(m.n, m.c, m.p, m.xhat, m.invstd, g, dy, sc, dx, dg, db, acc)
		return
	}
	// Eval mode is an affine map per channel: y = (x-μ)·s·γ + β.
	for c := 0; c < m.c; c++ {
		s := T(1 / math.Sqrt(float64(m.rvar.Value[c])+BNEps))
		gc := T(1)
		if g != nil {
			gc = g[c]
		}
		for n := 0; n < m.n; n++ {
			o := (n*m.c + c) * m.p
			for i := o; i < o+m.p; i++ {
				d := sc * dy[i]
				if dx != nil {
					if acc {
						dx[i] += d * s * gc
					} else {
						dx[i] = d * s * gc
					}
				}
				if dg != nil {
					dg[c] += d * (m.xhat[i] - m.rmean.Value[c]) * s
					db[c] += d
				}
			}
		}
	}
}

// NewBatchNorm is BatchNorm2d over c channels (eps 1e-5, momentum 0.1),
// with a learned scale and shift if affine: parameters "<name>.weight",
// "<name>.bias", state "<name>.running_mean", "<name>.running_var".
func NewBatchNorm[T Float](ctx *Ctx, name string, c int, affine bool) Module[T] {
	m := newBatchNorm[T](ctx, name, c, affine)
	initModule[T](ctx, m)
	return m
}
