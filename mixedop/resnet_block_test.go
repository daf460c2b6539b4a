package mixedop

import (
	"fmt"
	"testing"
)

func TestResNetBlockGradient(t *testing.T) {
	for _, tc := range []struct{ cout, stride int }{{6, 2}, {5, 1}, {3, 1}} {
		for _, affine := range []bool{false, true} {
			forEachShape(t, fmt.Sprintf("resblock →%d s%d affine=%v", tc.cout, tc.stride, affine), tc.stride == 2, func(in Shape) Module[float64] {
				m, err := NewResNetBlock[float64](&Ctx{Training: true}, "rb", in.C, tc.cout, tc.stride, affine)
				if err != nil {
					t.Fatal(err)
				}
				return m
			}, 1e-5)
		}
	}
}
