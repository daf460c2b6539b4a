package mixedop

import (
	"fmt"
	"testing"
)

// TestSeqGradient chains the modules a SepConv is made of, so that the
// ReLUs fold into the depthwise and pointwise reads and the outputs that
// feed a BatchNorm are borrowed (transient): the gradient must not notice.
func TestSeqGradient(t *testing.T) {
	for _, stride := range []int{1, 2} {
		forEachShape(t, fmt.Sprintf("sep_conv-like seq s%d", stride), false, func(in Shape) Module[float64] {
			ctx := &Ctx{Training: true}
			return &seq[float64]{mods: []Module[float64]{
				&relu[float64]{},
				newDWConv[float64]("dw1", in.C, 3, stride, 1, 1),
				newPWConv[float64]("pw1", in.C, in.C, false),
				newBatchNorm[float64](ctx, "bn1", in.C, true),
				&relu[float64]{},
				newDWConv[float64]("dw2", in.C, 3, 1, 1, 1),
				newPWConv[float64]("pw2", in.C, in.C, false),
				newBatchNorm[float64](ctx, "bn2", in.C, false),
			}}
		}, 1e-5)
	}
	forEachShape(t, "relu-conv-bn seq", false, func(in Shape) Module[float64] {
		ctx := &Ctx{Training: true}
		return &seq[float64]{mods: []Module[float64]{&relu[float64]{}, newConv[float64]("conv", in.C, 2, 3, 2, 1), newBatchNorm[float64](ctx, "bn", 2, false)}}
	}, 1e-5)
}
