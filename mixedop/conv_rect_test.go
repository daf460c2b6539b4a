package mixedop

import (
	"fmt"
	"testing"
)

func TestConvRectGradient(t *testing.T) {
	for _, tc := range []struct{ kh, kw, sh, sw, ph, pw int }{{1, 7, 1, 1, 0, 3}, {1, 7, 1, 2, 0, 3}, {7, 1, 2, 1, 3, 0}, {3, 2, 2, 1, 1, 0}} {
		forEachShape(t, fmt.Sprintf("convRect %dx%d s%dx%d", tc.kh, tc.kw, tc.sh, tc.sw), false, func(in Shape) Module[float64] {
			return newConvRect[float64]("conv", in.C, 3, tc.kh, tc.kw, tc.sh, tc.sw, tc.ph, tc.pw)
		}, 1e-6)
	}
}

// TestConv7x1Gradient holds the whole conv_7x1_1x7 op (ReLU, both
// convolutions, BatchNorm in training mode) to finite differences, at both
// strides and with and without affine BatchNorm.
func TestConv7x1Gradient(t *testing.T) {
	for _, stride := range []int{1, 2} {
		for _, affine := range []bool{false, true} {
			forEachShape(t, fmt.Sprintf("conv_7x1_1x7 s%d affine %v", stride, affine), false, func(in Shape) Module[float64] {
				m, err := Build[float64](&Ctx{Training: true}, "conv_7x1_1x7", "op", Args{C: in.C, Stride: stride, Affine: affine})
				if err != nil {
					t.Fatal(err)
				}
				return m
			}, 1e-5)
		}
	}
}
