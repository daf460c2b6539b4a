package mixedop

import (
	"fmt"

	"github.com/darts-go/darts/internal/kern"
	"gorgonia.org/tensor"
)

// Partial is PC-DARTS's partial-channel mixed edge (Xu et al., ICLR 2020;
// yuhuixu1993/PC-DARTS model_search.py MixedOp): of an input x of C
// channels, only the first C/K go through the mixed op (its candidates are
// built for C/K channels); the other C − C/K bypass it, max-pooled 2×2 with
// stride 2 on a stride-2 edge so that their size matches; the two parts are
// concatenated, ops' part first, and shuffled with K groups:
//
//	cat = concat(Σ_k w_k·op_k(x[:, :C/K]), bypass(x[:, C/K:]))
//	y[:, j·K + g] = cat[:, g·(C/K) + j]   (g < K, j < C/K)
//
// which is channel_shuffle(cat, K): view (N, K, C/K, H, W), swap axes 1 and
// 2, flatten. The channel slice is fixed and the shuffle deterministic, as
// in the reference (its "sampling" draws nothing). Its inputs are those of
// Mixed: x and the weights, of which it reads row Row.
type Partial[T Float] struct {
	Prefix string
	K      int
	Stride int
	// Inner is the mixed op over the first C/K channels; its parameters
	// are the edge's.
	Inner *Mixed[T]

	c, ca   int   // channels in, channels through the ops
	in, out Shape // x's shape, y's shape
	xa      []T   // x[:, :C/K], contiguous: the ops' input
	x       []T   // the input, kept until the backward (as every module keeps it)
	pb      []T   // stride 2: x[:, C/K:] max-pooled
	y       []T
}

// NewPartial builds the partial-channel edge over primitives for inputs of
// a.C channels, 1/k of them through the ops (a.C must be a multiple of k,
// k at least 2), at a.Stride; candidate parameters are named
// "<prefix>.<primitive>.<role>" and act on a.C/k channels.
func NewPartial[T Float](ctx *Ctx, prefix string, primitives []string, row, k int, a Args) (*Partial[T], error) {
	if k < 2 || a.C%k != 0 {
		return nil, fmt.Errorf("%s: partial channels 1/%d of %d: need K ≥ 2 dividing the channels", prefix, k, a.C)
	}
	inner := a
	inner.C = a.C / k
	m, err := NewMixed[T](ctx, prefix, primitives, row, inner)
	if err != nil {
		return nil, err
	}
	stride := max(a.Stride, 1)
	return &Partial[T]{Prefix: prefix, K: k, Stride: stride, Inner: m, c: a.C, ca: a.C / k}, nil
}

// Name implements Block.
func (p *Partial[T]) Name() string { return p.Prefix }

// Params implements Block: the candidates' parameters.
func (p *Partial[T]) Params() []*Param[T] { return p.Inner.Params() }

// State lists the candidates' BatchNorm running statistics.
func (p *Partial[T]) State() []*Param[T] { return p.Inner.State() }

// poolGeom is the bypass's max pooling (nn.MaxPool2d(2, 2)) of one sample:
// its planes x[n, C/K:] are contiguous in x.
func (p *Partial[T]) poolGeom() kern.Geom {
	return kern.Geom{N: 1, C: p.c - p.ca, H: p.in.H, W: p.in.W, K: 2, Stride: 2, Dil: 1}
}

// shapes returns x's shape, the ops' input and output shapes.
func (p *Partial[T]) shapes(in []tensor.Shape) (x, a, out Shape, err error) {
	if len(in) != 2 {
		return x, a, out, fmt.Errorf("%s: want inputs x and weights, got %d", p.Prefix, len(in))
	}
	if x, err = toShape(in[0]); err != nil {
		return x, a, out, err
	}
	if x.C != p.c {
		return x, a, out, fmt.Errorf("%s: input has %d channels, the edge takes %d", p.Prefix, x.C, p.c)
	}
	a = Shape{x.N, p.ca, x.H, x.W}
	os, err := p.Inner.OutShape([]tensor.Shape{fromShape(a), in[1]})
	if err != nil {
		return x, a, out, err
	}
	out, _ = toShape(os)
	bh, bw := x.H, x.W
	if p.Stride == 2 {
		bh, bw = x.H/2, x.W/2
	}
	if out.H != bh || out.W != bw {
		return x, a, out, fmt.Errorf("%s: the ops give %dx%d but the bypassed channels %dx%d (a stride-2 edge needs an even input size)", p.Prefix, out.H, out.W, bh, bw)
	}
	out.C = p.c
	return x, a, out, nil
}

// OutShape implements Block.
func (p *Partial[T]) OutShape(in []tensor.Shape) (tensor.Shape, error) {
	_, _, out, err := p.shapes(in)
	if err != nil {
		return nil, err
	}
	return fromShape(out), nil
}

// outChannel is the channel of y that concatenated channel c lands on.
func (p *Partial[T]) outChannel(c int) int { return (c%p.ca)*p.K + c/p.ca }

// Forward implements Block.
func (p *Partial[T]) Forward(in [][]T, shapes []tensor.Shape) ([]T, error) {
	x, a, out, err := p.shapes(shapes)
	if err != nil {
		return nil, err
	}
	p.in, p.out = x, out
	plane, oplane := x.Plane(), out.Plane()
	p.xa = grow(p.xa, a.Size())
	for n := 0; n < x.N; n++ {
		copy(p.xa[n*p.ca*plane:][:p.ca*plane], in[0][n*x.C*plane:][:p.ca*plane])
	}
	ya, err := p.Inner.Forward([][]T{p.xa, in[1]}, []tensor.Shape{fromShape(a), shapes[1]})
	if err != nil {
		return nil, err
	}
	cb := p.c - p.ca
	bypass, bstride := in[0], x.C*plane // bypass channel c' of sample n at n·bstride + (C/K + c')·oplane
	boff := p.ca * plane
	p.x = in[0]
	if p.Stride == 2 {
		p.pb = grow(p.pb, x.N*cb*oplane)
		for n := 0; n < x.N; n++ {
			kern.MaxPool(p.poolGeom(), in[0][n*x.C*plane+p.ca*plane:][:cb*plane], p.pb[n*cb*oplane:][:cb*oplane])
		}
		bypass, bstride, boff = p.pb, cb*oplane, 0
	}
	p.y = grow(p.y, out.Size())
	for n := 0; n < x.N; n++ {
		yn := p.y[n*p.c*oplane:]
		for c := 0; c < p.c; c++ {
			dst := yn[p.outChannel(c)*oplane:][:oplane]
			if c < p.ca {
				copy(dst, ya[(n*p.ca+c)*oplane:][:oplane])
			} else {
				copy(dst, bypass[n*bstride+boff+(c-p.ca)*oplane:][:oplane])
			}
		}
	}
	return p.y, nil
}

// Backward implements Block.
func (p *Partial[T]) Backward(dy []T, din [][]T) error { return p.backward(dy, din, true) }

// backwardSet implements gradSetter.
func (p *Partial[T]) backwardSet(dy []T, din [][]T) error { return p.backward(dy, din, false) }

// backward unshuffles dy, hands the ops' part to the mixed op (which gives
// dx of the first C/K channels and the weights' gradient) and routes the
// bypassed part back through the max pooling (stride 2) or unchanged. It
// adds into din (acc) or overwrites it.
func (p *Partial[T]) backward(dy []T, din [][]T, acc bool) error {
	x, out := p.in, p.out
	plane, oplane := x.Plane(), out.Plane()
	cb := p.c - p.ca
	sa, dya := kern.GetScratch[T](x.N * p.ca * oplane)
	defer sa.Release()
	for n := 0; n < x.N; n++ {
		for c := 0; c < p.ca; c++ {
			copy(dya[(n*p.ca+c)*oplane:][:oplane], dy[(n*p.c+p.outChannel(c))*oplane:][:oplane])
		}
	}
	var dxa []T
	if din[0] != nil {
		var sx kern.Scratch
		sx, dxa = kern.GetScratch[T](x.N * p.ca * plane)
		defer sx.Release()
	}
	// The mixed op adds into (acc) or overwrites dxa and the weights'
	// gradient; dxa is this block's own, so it starts from zero to be
	// added to.
	if acc && dxa != nil {
		clear(dxa)
	}
	if err := p.Inner.backward(dya, [][]T{dxa, din[1]}, acc); err != nil {
		return err
	}
	if dxa == nil {
		return nil
	}
	dx := din[0]
	put := func(dst, src []T) {
		if acc {
			kern.Add(dst, src, dst)
		} else {
			copy(dst, src)
		}
	}
	for n := 0; n < x.N; n++ {
		put(dx[n*p.c*plane:][:p.ca*plane], dxa[n*p.ca*plane:][:p.ca*plane])
	}
	if p.Stride == 1 {
		for n := 0; n < x.N; n++ {
			for c := p.ca; c < p.c; c++ {
				put(dx[(n*p.c+c)*plane:][:plane], dy[(n*p.c+p.outChannel(c))*oplane:][:oplane])
			}
		}
		return nil
	}
	sp, dpb := kern.GetScratch[T](x.N * cb * oplane)
	defer sp.Release()
	for n := 0; n < x.N; n++ {
		for c := p.ca; c < p.c; c++ {
			copy(dpb[(n*cb+c-p.ca)*oplane:][:oplane], dy[(n*p.c+p.outChannel(c))*oplane:][:oplane])
		}
	}
	g := p.poolGeom()
	for n := 0; n < x.N; n++ {
		xn, pn, dn := p.x[n*x.C*plane+p.ca*plane:][:cb*plane], p.pb[n*cb*oplane:][:cb*oplane], dpb[n*cb*oplane:][:cb*oplane]
		kern.MaxPoolBackward(g, xn, pn, dn, dx[(n*p.c+p.ca)*plane:][:cb*plane], acc)
	}
	return nil
}
