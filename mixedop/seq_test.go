package mixedop

import (
	"fmt"
	"math"
	"testing"

	"github.com/darts-go/darts/internal/kern"
	"github.com/darts-go/darts/internal/rng"
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

// TestSeqRecomputesOutputs checks the outputs a SepConv's seq recomputes
// for a backward instead of keeping them: the first BatchNorm's (read by
// the second depthwise convolution's backward) in training, from x̂, and
// the first depthwise convolution's (read by the pointwise one's) when
// built with Ctx.RecomputeDepthwise, by running it again; not the second
// depthwise convolution's, whose input is itself recomputed. They are not
// kept after the forward, and the gradients are bit for bit those of the
// same seq keeping them, even when the borrowed buffers are overwritten
// (with NaN) between the forward and the backward. In eval mode the
// BatchNorm keeps its output.
func TestSeqRecomputesOutputs(t *testing.T) {
	in := Shape{N: 3, C: 4, H: 7, W: 7}
	type parts struct {
		dw1, dw2 *dwConv[float32]
		bn1      *batchNorm[float32]
	}
	build := func(ctx *Ctx, stride int) (*seq[float32], parts) {
		p := parts{
			dw1: newDWConv[float32]("dw1", in.C, 3, stride, 1, 1),
			bn1: newBatchNorm[float32](ctx, "bn1", in.C, true),
			dw2: newDWConv[float32]("dw2", in.C, 5, 1, 4, 2),
		}
		p.dw1.recomputable, p.dw2.recomputable = true, true
		return &seq[float32]{mods: []Module[float32]{
			&relu[float32]{}, p.dw1, newPWConv[float32]("pw1", in.C, in.C, false), p.bn1,
			&relu[float32]{}, p.dw2, newPWConv[float32]("pw2", in.C, in.C, false),
			newBatchNorm[float32](ctx, "bn2", in.C, true),
		}}, p
	}
	for _, training := range []bool{true, false} {
		for _, stride := range []int{1, 2} {
			name := fmt.Sprintf("training=%v stride=%d", training, stride)
			a, pa := build(&Ctx{Training: training}, stride)
			b, pb := build(&Ctx{Training: training}, stride)
			pb.dw1.recomputable, pb.dw2.recomputable = false, false
			b.fuse()
			pb.bn1.recompute = false
			clear(b.recompute)
			r := rng.New(11)
			for i, p := range a.Params() {
				v := make([]float64, len(p.Value))
				randomize(r, v)
				for j := range v {
					p.Value[j] = float32(v[j]) + 0.5
				}
				copy(b.Params()[i].Value, p.Value)
			}
			out, _ := a.OutShape(in)
			x, dy := make([]float32, in.Size()), make([]float32, out.Size())
			for _, s := range [][]float32{x, dy} {
				v := make([]float64, len(s))
				randomize(r, v)
				for j := range v {
					s[j] = float32(v[j])
				}
			}
			ya := append([]float32(nil), a.Forward(x, in)...)
			yb := b.Forward(x, in)
			if (pa.bn1.y != nil) == training {
				t.Errorf("%s: bn1 keeps its output: %v", name, pa.bn1.y != nil)
			}
			if pa.dw1.y != nil || pa.dw2.y == nil {
				t.Errorf("%s: dw1 keeps its output: %v, dw2: %v", name, pa.dw1.y != nil, pa.dw2.y != nil)
			}
			// Overwrite every pooled buffer of those sizes.
			var held []kern.Scratch
			for _, n := range []int{in.Size(), out.Size()} {
				for range 8 {
					sc, buf := kern.GetScratch[float32](n)
					for j := range buf {
						buf[j] = float32(math.NaN())
					}
					held = append(held, sc)
				}
			}
			for _, sc := range held {
				sc.Release()
			}
			dxa, dxb := make([]float32, len(x)), make([]float32, len(x))
			a.Backward(dy, dxa)
			b.Backward(dy, dxb)
			same := func(what string, u, v []float32) {
				t.Helper()
				for j := range u {
					if math.Float32bits(u[j]) != math.Float32bits(v[j]) {
						t.Fatalf("%s %s[%d]: %v, keeping the outputs %v", name, what, j, u[j], v[j])
					}
				}
			}
			same("y", ya, yb)
			same("dx", dxa, dxb)
			for i, p := range a.Params() {
				same(p.Name+" grad", p.Grad, b.Params()[i].Grad)
			}
		}
	}
}
