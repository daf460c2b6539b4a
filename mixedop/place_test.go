package mixedop

import (
	"math"
	"testing"

	"github.com/darts-go/darts/internal/rng"
	"gorgonia.org/tensor"
)

// TestModuleBlockPlacesOutput checks which DARTS ops a ModuleBlock places
// the output of (those ending in an affine BatchNorm: SepConv, DilConv and
// FactorizedReduce of the retrained network, never an op without affine
// BatchNorm, whose backward reads its output, nor a pool or the identity),
// and that a placed forward writes into the given buffer exactly what an
// unplaced one writes into its own, in training and in eval mode, with the
// same input gradient after it.
func TestModuleBlockPlacesOutput(t *testing.T) {
	const c, n, h = 4, 3, 8
	want := map[string]bool{"sep_conv_3x3": true, "sep_conv_5x5": true, "dil_conv_3x3": true, "dil_conv_5x5": true}
	for _, name := range []string{"max_pool_3x3", "avg_pool_3x3", "skip_connect", "sep_conv_3x3", "sep_conv_5x5", "dil_conv_3x3", "dil_conv_5x5"} {
		for _, stride := range []int{1, 2} {
			for _, affine := range []bool{false, true} {
				build := func() (*ModuleBlock[float32], *Ctx) {
					ctx := &Ctx{Training: true, Rand: rng.New(5)}
					m, err := Build[float32](ctx, name, "op", Args{C: c, Stride: stride, Affine: affine})
					if err != nil {
						t.Fatal(err)
					}
					return &ModuleBlock[float32]{Label: name, M: m}, ctx
				}
				a, actx := build()
				b, bctx := build()
				w := affine && (want[name] || (name == "skip_connect" && stride == 2))
				if got := a.OutputPlaceable(); got != w {
					t.Errorf("%s stride %d affine %v: OutputPlaceable() = %v, want %v", name, stride, affine, got, w)
				}
				if !w {
					continue
				}
				x := make([]float32, n*c*h*h)
				for i := range x {
					x[i] = float32(math.Sin(0.7*float64(i) + 0.3))
				}
				shape := []tensor.Shape{{n, c, h, h}}
				for _, training := range []bool{true, false, true} {
					actx.Training, bctx.Training = training, training
					ya, err := a.Forward([][]float32{x}, shape)
					if err != nil {
						t.Fatal(err)
					}
					ya = append([]float32(nil), ya...)
					buf := make([]float32, len(ya)+3)
					for i := range buf {
						buf[i] = float32(math.NaN())
					}
					b.PlaceOutput(buf)
					yb, err := b.Forward([][]float32{x}, shape)
					if err != nil {
						t.Fatal(err)
					}
					if len(yb) != len(ya) || &yb[0] != &buf[0] {
						t.Fatalf("%s stride %d training %v: the placed forward did not write into the buffer", name, stride, training)
					}
					for i := range ya {
						if math.Float32bits(ya[i]) != math.Float32bits(yb[i]) {
							t.Fatalf("%s stride %d training %v: y[%d] %g placed, %g not", name, stride, training, i, yb[i], ya[i])
						}
					}
					dy := make([]float32, len(ya))
					for i := range dy {
						dy[i] = float32(math.Cos(0.3 * float64(i)))
						buf[i] = float32(math.NaN()) // the backward must not read it
					}
					da, db := make([]float32, len(x)), make([]float32, len(x))
					if err := a.Backward(dy, [][]float32{da}); err != nil {
						t.Fatal(err)
					}
					if err := b.Backward(dy, [][]float32{db}); err != nil {
						t.Fatal(err)
					}
					pa, pb := a.Params(), b.Params()
					for k := range pa {
						for i := range pa[k].Grad {
							if math.Float32bits(pa[k].Grad[i]) != math.Float32bits(pb[k].Grad[i]) {
								t.Fatalf("%s stride %d training %v: %s grad[%d] %g placed, %g not", name, stride, training, pa[k].Name, i, pb[k].Grad[i], pa[k].Grad[i])
							}
						}
					}
					for i := range da {
						if math.Float32bits(da[i]) != math.Float32bits(db[i]) {
							t.Fatalf("%s stride %d training %v: dx[%d] %g placed, %g not", name, stride, training, i, db[i], da[i])
						}
					}
				}
			}
		}
	}
}
