package mixedop

import (
	"fmt"

	"github.com/darts-go/darts/internal/kern"
)

// factorizedReduce is DARTS's FactorizedReduce: ReLU, then two 1×1 stride-2
// convolutions, one on x and one on x[:, :, 1:, 1:], concatenated along the
// channels, then BatchNorm.
//
// A 1×1 stride-2 convolution reads only every other row and column, so the
// module keeps just those: relu(x) at the even positions (xe) and at the
// odd ones (xo, the even positions of x[:, :, 1:, 1:]), each a quarter of
// x, and runs 1×1 stride-1 convolutions on them. Those multiply the same
// matrices as the strided convolutions' lowering (im2col of a 1×1 window is
// that subsampled plane), so the outputs and gradients are the same bits;
// the input gradient is put back in place as the lowering's scatter
// (col2im, adding into zeros) does.
type factorizedReduce[T Float] struct {
	cin, cout int
	c1, c2    *conv[T]
	bn        *batchNorm[T]
	in        Shape
	x         []T // the input, for the ReLU's mask
	xe, xo    []T // relu(x) at (2i, 2j) and at (2i+1, 2j+1)
	// The convolutions' outputs, their concatenation and every gradient
	// of the backward live only during one call, in pooled buffers: the
	// BatchNorm's backward needs its own xhat, not its input.
}

func newFactorizedReduce[T Float](ctx *Ctx, name string, cin, cout int, affine bool) (*factorizedReduce[T], error) {
	if cout%2 != 0 {
		return nil, fmt.Errorf("%s: FactorizedReduce needs an even number of output channels, got %d", name, cout)
	}
	// The weights are those of 1×1 stride-2 convolutions; they run at
	// stride 1 on the subsampled planes.
	m := &factorizedReduce[T]{cin: cin, cout: cout,
		c1: newConv[T](name+".conv1", cin, cout/2, 1, 1, 0),
		c2: newConv[T](name+".conv2", cin, cout/2, 1, 1, 0),
		bn: newBatchNorm[T](ctx, name+".bn", cout, affine),
	}
	m.c1.makeTransient()
	m.c2.makeTransient()
	return m, nil
}
func (m *factorizedReduce[T]) OutShape(in Shape) (Shape, error) {
	if in.C != m.cin {
		return Shape{}, fmt.Errorf("%s: input has %d channels, want %d", m.c1.w.Name, in.C, m.cin)
	}
	if in.H%2 != 0 || in.W%2 != 0 {
		return Shape{}, fmt.Errorf("%s: FactorizedReduce needs an even height and width, got %dx%d", m.c1.w.Name, in.H, in.W)
	}
	return Shape{in.N, m.cout, in.H / 2, in.W / 2}, nil
}
func (m *factorizedReduce[T]) Params() []*Param[T] {
	return append([]*Param[T]{m.c1.w, m.c2.w}, m.bn.Params()...)
}
func (m *factorizedReduce[T]) State() []*Param[T] { return m.bn.State() }

// half is the shape of a subsampled plane set (and of each convolution's
// input).
func (m *factorizedReduce[T]) half(in Shape) Shape { return Shape{in.N, in.C, in.H / 2, in.W / 2} }

func (m *factorizedReduce[T]) Forward(x []T, in Shape) []T {
	m.in, m.x = in, x
	hs := m.half(in)
	m.xe, m.xo = grow(m.xe, hs.Size()), grow(m.xo, hs.Size())
	for nc := 0; nc < in.N*in.C; nc++ {
		src := x[nc*in.H*in.W:][:in.H*in.W]
		e, o := m.xe[nc*hs.H*hs.W:][:hs.H*hs.W], m.xo[nc*hs.H*hs.W:][:hs.H*hs.W]
		for i := 0; i < hs.H; i++ {
			re, ro := src[2*i*in.W:][:in.W], src[(2*i+1)*in.W:][:in.W]
			for j := 0; j < hs.W; j++ {
				e[i*hs.W+j] = re[2*j]
				o[i*hs.W+j] = ro[2*j+1]
			}
		}
	}
	kern.ReLU(m.xe, m.xe)
	kern.ReLU(m.xo, m.xo)
	y1 := m.c1.Forward(m.xe, hs)
	y2 := m.c2.Forward(m.xo, hs)
	out, _ := m.OutShape(in)
	half := m.cout / 2 * out.Plane()
	sc, cat := kern.GetScratch[T](out.Size())
	defer sc.Release()
	for n := 0; n < in.N; n++ {
		copy(cat[(2*n)*half:][:half], y1[n*half:][:half])
		copy(cat[(2*n+1)*half:][:half], y2[n*half:][:half])
	}
	m.c1.releaseOut()
	m.c2.releaseOut()
	return m.bn.Forward(cat, out)
}

// canPlaceOut implements outPlacer: the output is the BatchNorm's.
func (m *factorizedReduce[T]) canPlaceOut() bool { return m.bn.canPlaceOut() }
func (m *factorizedReduce[T]) placeOut(buf []T)  { m.bn.placeOut(buf) }

func (m *factorizedReduce[T]) Backward(dy, dx []T) { m.backward(dy, 1, dx, true) }
func (m *factorizedReduce[T]) backward(dy []T, s T, dx []T, acc bool) {
	in := m.in
	out, _ := m.OutShape(in)
	sc1, dcat := kern.GetScratch[T](out.Size())
	defer sc1.Release()
	m.bn.backward(dy, s, dcat, false)
	half := m.cout / 2 * out.Plane()
	sc2, g2 := kern.GetScratch[T](2 * in.N * half)
	defer sc2.Release()
	d1, d2 := g2[:in.N*half], g2[in.N*half:]
	for n := 0; n < in.N; n++ {
		copy(d1[n*half:][:half], dcat[(2*n)*half:][:half])
		copy(d2[n*half:][:half], dcat[(2*n+1)*half:][:half])
	}
	hs := m.half(in)
	var de, do []T
	if dx != nil {
		sc3, b3 := kern.GetScratch[T](2 * hs.Size())
		defer sc3.Release()
		de, do = b3[:hs.Size()], b3[hs.Size():]
	}
	m.c1.backward(d1, 1, de, false)
	m.c2.backward(d2, 1, do, false)
	if dx == nil {
		return
	}
	// The gradient of relu(x): each subsampled gradient added into zeros
	// at its positions (as col2im adds a strided convolution's), then the
	// ReLU's mask.
	sc4, dr := kern.GetScratch[T](in.Size())
	defer sc4.Release()
	clear(dr)
	var zero T
	for nc := 0; nc < in.N*in.C; nc++ {
		dst := dr[nc*in.H*in.W:][:in.H*in.W]
		e, o := de[nc*hs.H*hs.W:][:hs.H*hs.W], do[nc*hs.H*hs.W:][:hs.H*hs.W]
		for i := 0; i < hs.H; i++ {
			re, ro := dst[2*i*in.W:][:in.W], dst[(2*i+1)*in.W:][:in.W]
			for j := 0; j < hs.W; j++ {
				re[2*j] += e[i*hs.W+j]
				ro[2*j+1] += zero + o[i*hs.W+j]
			}
		}
	}
	kern.ReLUBackwardTo(m.x, dr, dx, acc)
}
