package mixedop

import (
	"fmt"
)

// factorizedReduce is DARTS's FactorizedReduce: ReLU, then two 1×1 stride-2
// convolutions, one on x and one on x[:, :, 1:, 1:], concatenated along the
// channels, then BatchNorm.
type factorizedReduce[T Float] struct {
	cin, cout int
	relu      relu[T]
	c1, c2    *conv[T]
	bn        *batchNorm[T]
	in        Shape
	xs        []T // relu(x)[:, :, 1:, 1:]
	cat       []T
	g1, g2    []T
	dxr, dxs  []T
	sdy       []T
}

func newFactorizedReduce[T Float](ctx *Ctx, name string, cin, cout int, affine bool) (*factorizedReduce[T], error) {
	if cout%2 != 0 {
		return nil, fmt.Errorf("%s: FactorizedReduce needs an even number of output channels, got %d", name, cout)
	}
	return &factorizedReduce[T]{cin: cin, cout: cout,
		c1: newConv[T](name+".conv1", cin, cout/2, 1, 2, 0),
		c2: newConv[T](name+".conv2", cin, cout/2, 1, 2, 0),
		bn: newBatchNorm[T](ctx, name+".bn", cout, affine),
	}, nil
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
func (m *factorizedReduce[T]) State() []*Param[T]     { return m.bn.State() }
func (m *factorizedReduce[T]) shifted(in Shape) Shape { return Shape{in.N, in.C, in.H - 1, in.W - 1} }
func (m *factorizedReduce[T]) Forward(x []T, in Shape) []T {
	m.in = in
	r := m.relu.Forward(x, in)
	ss := m.shifted(in)
	m.xs = grow(m.xs, ss.Size())
	for nc := 0; nc < in.N*in.C; nc++ {
		for h := 1; h < in.H; h++ {
			copy(m.xs[(nc*ss.H+h-1)*ss.W:][:ss.W], r[(nc*in.H+h)*in.W+1:][:ss.W])
		}
	}
	y1 := m.c1.Forward(r, in)
	y2 := m.c2.Forward(m.xs, ss)
	out, _ := m.OutShape(in)
	half := m.cout / 2 * out.Plane()
	m.cat = grow(m.cat, out.Size())
	for n := 0; n < in.N; n++ {
		copy(m.cat[(2*n)*half:][:half], y1[n*half:][:half])
		copy(m.cat[(2*n+1)*half:][:half], y2[n*half:][:half])
	}
	return m.bn.Forward(m.cat, out)
}
func (m *factorizedReduce[T]) Backward(dy, dx []T) { m.backward(dy, 1, dx, true) }
func (m *factorizedReduce[T]) backward(dy []T, s T, dx []T, acc bool) {
	in := m.in
	out, _ := m.OutShape(in)
	dcat := grow(m.g1, out.Size())
	m.g1 = dcat
	m.bn.backward(dy, s, dcat, false)
	half := m.cout / 2 * out.Plane()
	m.g2 = grow(m.g2, 2*in.N*half)
	d1, d2 := m.g2[:in.N*half], m.g2[in.N*half:]
	for n := 0; n < in.N; n++ {
		copy(d1[n*half:][:half], dcat[(2*n)*half:][:half])
		copy(d2[n*half:][:half], dcat[(2*n+1)*half:][:half])
	}
	var dr, ds []T
	if dx != nil {
		m.dxr = grow(m.dxr, in.Size())
		m.dxs = grow(m.dxs, m.shifted(in).Size())
		dr, ds = m.dxr, m.dxs
	}
	m.c1.backward(d1, 1, dr, false)
	m.c2.backward(d2, 1, ds, false)
	if dx == nil {
		return
	}
	ss := m.shifted(in)
	for nc := 0; nc < in.N*in.C; nc++ {
		for h := 1; h < in.H; h++ {
			src := ds[(nc*ss.H+h-1)*ss.W:][:ss.W]
			dst := dr[(nc*in.H+h)*in.W+1:][:ss.W]
			for i, v := range src {
				dst[i] += v
			}
		}
	}
	m.relu.backward(dr, 1, dx, acc)
}
