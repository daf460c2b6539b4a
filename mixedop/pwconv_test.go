package mixedop

import (
	"fmt"
	"testing"
)

func TestPWConvGradient(t *testing.T) {
	for _, reluIn := range []bool{false, true} {
		forEachShape(t, fmt.Sprintf("pw relu=%v", reluIn), false, func(in Shape) Module[float64] {
			return newPWConv[float64]("pw", in.C, 4, reluIn)
		}, 1e-6)
	}
}
