package mixedop

import (
	"fmt"
	"testing"
)

func TestPoolGradient(t *testing.T) {
	for _, isMax := range []bool{false, true} {
		for _, tc := range []struct{ k, stride, pad int }{{3, 1, 1}, {3, 2, 1}, {5, 3, 0}, {2, 2, 0}} {
			forEachShape(t, fmt.Sprintf("pool max=%v k%d s%d p%d", isMax, tc.k, tc.stride, tc.pad), false, func(in Shape) Module[float64] {
				return &pool[float64]{max: isMax, k: tc.k, stride: tc.stride, pad: tc.pad}
			}, 1e-6)
		}
	}
}

// TestAvgPoolExcludesPadding: count_include_pad=False divides a corner
// window of a 3x3 pool with padding 1 by the 4 pixels inside the image.
func TestAvgPoolExcludesPadding(t *testing.T) {
	m := &pool[float64]{k: 3, stride: 1, pad: 1}
	y := m.Forward([]float64{1, 2, 3, 4}, Shape{N: 1, C: 1, H: 2, W: 2})
	if y[0] != 2.5 {
		t.Errorf("corner = %g, want (1+2+3+4)/4 = 2.5", y[0])
	}
}
