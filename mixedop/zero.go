package mixedop

// zero is DARTS's 'none': x[:, :, ::s, ::s]·0.
type zero[T Float] struct {
	stride int
	y      []T
}

func (m *zero[T]) OutShape(in Shape) (Shape, error) {
	return Shape{in.N, in.C, (in.H-1)/m.stride + 1, (in.W-1)/m.stride + 1}, nil
}
func (m *zero[T]) Params() []*Param[T] { return nil }
func (m *zero[T]) State() []*Param[T]  { return nil }
func (m *zero[T]) Forward(x []T, in Shape) []T {
	out, _ := m.OutShape(in)
	m.y = grow(m.y, out.Size())
	clear(m.y)
	return m.y
}
func (m *zero[T]) Backward(dy, dx []T) {}
func (m *zero[T]) backward(dy []T, s T, dx []T, acc bool) {
	if !acc && dx != nil {
		clear(dx)
	}
}
