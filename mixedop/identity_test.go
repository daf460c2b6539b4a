package mixedop

import "testing"

func TestIdentityGradient(t *testing.T) {
	forEachShape(t, "identity", false, func(Shape) Module[float64] { return identity[float64]{} }, 1e-9)
}
