package mixedop_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/darts-go/darts/internal/gradcheck"
	"github.com/darts-go/darts/mixedop"
	"github.com/darts-go/darts/space"
	"gorgonia.org/tensor"
)

// TestPartialGradients holds the partial-channel edge's backward (input,
// weights and every candidate's parameters) to central differences, for
// K = 4 and 2 at stride 1 (odd and even sizes) and 2, and the auxiliary
// skip's (identity and FactorizedReduce, around a mixed and a partial
// edge).
func TestPartialGradients(t *testing.T) {
	ops := space.DARTSOps
	weights := func(seed uint64) []float64 {
		w := gradcheck.Normal(seed, len(ops))
		for i := range w {
			w[i] = math.Exp(w[i] / 2)
		}
		return w
	}
	for _, tc := range []struct {
		k, stride, h int
		aux          bool
	}{
		{4, 1, 7, false}, {4, 2, 6, false}, {2, 1, 6, false}, {2, 2, 4, false},
		{0, 1, 5, true}, {0, 2, 6, true}, {4, 2, 4, true},
	} {
		name := fmt.Sprintf("k%d/stride%d/%dx%d/aux=%v", tc.k, tc.stride, tc.h, tc.h, tc.aux)
		t.Run(name, func(t *testing.T) {
			const n, c = 2, 8
			ctx := &mixedop.Ctx{Training: true}
			a := mixedop.Args{C: c, Stride: tc.stride, PoolBN: true}
			var b mixedop.EdgeBlock[float64]
			var err error
			if tc.k > 0 {
				b, err = mixedop.NewPartial[float64](ctx, "e", ops, 0, tc.k, a)
			} else {
				b, err = mixedop.NewMixed[float64](ctx, "e", ops, 0, a)
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.aux {
				if b, err = mixedop.NewAuxSkip[float64](ctx, "e", b, c, tc.stride, func() float64 { return 0.6 }); err != nil {
					t.Fatal(err)
				}
			}
			gradcheck.Randomize(b, 11, 0.5)
			x := gradcheck.Normal(12, n*c*tc.h*tc.h)
			gradcheck.Block(t, name, b, []gradcheck.Input{
				{Value: x, Shape: tensor.Shape{n, c, tc.h, tc.h}, Check: true},
				{Value: weights(13), Shape: tensor.Shape{len(ops)}, Check: true},
			}, 14, 2e-6)
		})
	}
}

// TestPartialErrors: channels K does not divide, an odd input at stride 2
// and a wrong channel count are errors naming the edge.
func TestPartialErrors(t *testing.T) {
	ctx := &mixedop.Ctx{Training: true}
	if _, err := mixedop.NewPartial[float64](ctx, "e", space.DARTSOps, 0, 3, mixedop.Args{C: 8}); err == nil {
		t.Error("K = 3 of 8 channels: no error")
	}
	if _, err := mixedop.NewPartial[float64](ctx, "e", space.DARTSOps, 0, 1, mixedop.Args{C: 8}); err == nil {
		t.Error("K = 1: no error")
	}
	p, err := mixedop.NewPartial[float64](ctx, "e", []string{"max_pool_3x3", "sep_conv_3x3"}, 0, 4, mixedop.Args{C: 8, Stride: 2, PoolBN: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.OutShape([]tensor.Shape{{2, 8, 5, 5}, {2}}); err == nil {
		t.Error("5x5 at stride 2: no error")
	}
	if _, err := p.OutShape([]tensor.Shape{{2, 4, 6, 6}, {2}}); err == nil {
		t.Error("4 channels into an edge of 8: no error")
	}
}
