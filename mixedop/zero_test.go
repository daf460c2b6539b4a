package mixedop

import "testing"

// TestZero: 'none' is x[:, :, ::s, ::s]·0, whose shape rounds up on odd
// sizes, and passes no gradient.
func TestZero(t *testing.T) {
	for _, s := range []int{1, 2} {
		forEachShape(t, "zero", false, func(Shape) Module[float64] { return &zero[float64]{stride: s} }, 1e-9)
	}
	out, _ := (&zero[float64]{stride: 2}).OutShape(Shape{N: 1, C: 2, H: 5, W: 7})
	if out != (Shape{N: 1, C: 2, H: 3, W: 4}) {
		t.Errorf("stride-2 shape of 5x7: %v, want 3x4", out)
	}
}
