package mixedop

import (
	"fmt"
	"testing"
)

func TestDWConvGradient(t *testing.T) {
	for _, tc := range []struct{ k, stride, pad, dil int }{{3, 1, 1, 1}, {3, 2, 1, 1}, {5, 1, 2, 1}, {3, 1, 2, 2}, {5, 2, 4, 2}} {
		for _, reluIn := range []bool{false, true} {
			name := fmt.Sprintf("dw k%d s%d p%d d%d relu=%v", tc.k, tc.stride, tc.pad, tc.dil, reluIn)
			forEachShape(t, name, false, func(in Shape) Module[float64] {
				m := newDWConv[float64]("dw", in.C, tc.k, tc.stride, tc.pad, tc.dil)
				m.reluIn = reluIn
				return m
			}, 1e-6)
		}
	}
}
