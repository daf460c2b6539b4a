package mixedop

import "testing"

func TestReLUGradient(t *testing.T) {
	forEachShape(t, "relu", false, func(Shape) Module[float64] { return &relu[float64]{} }, 1e-6)
}
