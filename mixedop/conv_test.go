package mixedop

import (
	"fmt"
	"testing"
)

func TestConvGradient(t *testing.T) {
	for _, tc := range []struct{ k, stride, pad int }{{3, 1, 1}, {3, 2, 1}, {1, 2, 0}, {2, 1, 0}} {
		forEachShape(t, fmt.Sprintf("conv k%d s%d p%d", tc.k, tc.stride, tc.pad), false, func(in Shape) Module[float64] {
			return newConv[float64]("conv", in.C, 4, tc.k, tc.stride, tc.pad)
		}, 1e-6)
	}
}

func TestConvBiasGradient(t *testing.T) {
	forEachShape(t, "conv+bias", false, func(in Shape) Module[float64] {
		c := newConv[float64]("conv", in.C, 3, 3, 1, 1)
		c.b = newParam[float64]("conv_bias", 3)
		return c
	}, 1e-6)
	forEachShape(t, "pw+bias", false, func(in Shape) Module[float64] {
		c := newPWConv[float64]("pw", in.C, 3, true)
		c.b = newParam[float64]("pw_bias", 3)
		return c
	}, 1e-6)
}
