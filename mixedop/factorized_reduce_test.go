package mixedop

import (
	"fmt"
	"testing"
)

func TestFactorizedReduceGradient(t *testing.T) {
	for _, affine := range []bool{false, true} {
		forEachShape(t, fmt.Sprintf("factorized reduce affine=%v", affine), true, func(in Shape) Module[float64] {
			m, err := newFactorizedReduce[float64](&Ctx{Training: true}, "fr", in.C, 4, affine)
			if err != nil {
				t.Fatal(err)
			}
			return m
		}, 1e-5)
	}
	if _, err := newFactorizedReduce[float64](nil, "fr", 3, 3, false); err == nil {
		t.Error("odd output channels: no error")
	}
	m, _ := newFactorizedReduce[float64](nil, "fr", 2, 2, false)
	if _, err := m.OutShape(Shape{N: 1, C: 2, H: 5, W: 6}); err == nil {
		t.Error("odd height: no error")
	}
}
