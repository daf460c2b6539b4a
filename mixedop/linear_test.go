package mixedop

import "testing"

func TestLinearGradient(t *testing.T) {
	forEachShape(t, "linear", false, func(in Shape) Module[float64] {
		return NewLinear[float64](nil, "fc", in.C*in.H*in.W, 3)
	}, 1e-6)
}
