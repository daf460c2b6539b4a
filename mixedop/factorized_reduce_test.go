package mixedop

import (
	"fmt"
	"math"
	"testing"

	"github.com/darts-go/darts/internal/kern"
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

// TestFactorizedReduceSameBitsAsStrided holds FactorizedReduce, which runs
// its 1×1 convolutions at stride 1 on the subsampled planes, to the
// formulation it replaced: ReLU, 1×1 stride-2 convolutions of relu(x) and
// relu(x)[:, :, 1:, 1:] (im2col lowering, col2im scatter), concatenation,
// BatchNorm; output, input gradient and every parameter gradient bit for
// bit, in float32, on every kernel path the default is.
func TestFactorizedReduceSameBitsAsStrided(t *testing.T) {
	for _, affine := range []bool{false, true} {
		in := Shape{N: 3, C: 4, H: 6, W: 8}
		const cout = 6
		m, err := newFactorizedReduce[float32](&Ctx{Training: true}, "fr", in.C, cout, affine)
		if err != nil {
			t.Fatal(err)
		}
		x := make([]float32, in.Size())
		for i := range x {
			x[i] = float32(math.Sin(float64(i)*1.37)) * 1.5
		}
		x[5], x[7] = 0, float32(math.Copysign(0, -1))
		for _, p := range m.Params() {
			for i := range p.Value {
				p.Value[i] = float32(math.Cos(float64(i)*0.91+float64(len(p.Value)))) * 0.7
			}
		}
		ref := newBatchNorm[float32](&Ctx{Training: true}, "ref", cout, affine)
		if affine {
			copy(ref.gamma.Value, m.bn.gamma.Value)
			copy(ref.beta.Value, m.bn.beta.Value)
		}
		out, _ := m.OutShape(in)
		dy := make([]float32, out.Size())
		for i := range dy {
			dy[i] = float32(math.Sin(float64(i)*0.53+1)) * 0.3
		}

		// The strided formulation.
		r := make([]float32, len(x))
		kern.ReLU(x, r)
		ss := Shape{in.N, in.C, in.H - 1, in.W - 1}
		xs := make([]float32, ss.Size())
		for nc := 0; nc < in.N*in.C; nc++ {
			for h := 1; h < in.H; h++ {
				copy(xs[(nc*ss.H+h-1)*ss.W:][:ss.W], r[(nc*in.H+h)*in.W+1:][:ss.W])
			}
		}
		g1 := kern.Geom{N: in.N, C: in.C, H: in.H, W: in.W, K: 1, Stride: 2, Dil: 1}
		g2 := kern.Geom{N: in.N, C: in.C, H: ss.H, W: ss.W, K: 1, Stride: 2, Dil: 1}
		half := cout / 2 * out.Plane()
		y1, y2 := make([]float32, in.N*half), make([]float32, in.N*half)
		kern.Conv(g1, cout/2, r, m.c1.w.Value, y1)
		kern.Conv(g2, cout/2, xs, m.c2.w.Value, y2)
		cat := make([]float32, out.Size())
		for n := 0; n < in.N; n++ {
			copy(cat[(2*n)*half:][:half], y1[n*half:][:half])
			copy(cat[(2*n+1)*half:][:half], y2[n*half:][:half])
		}
		want := append([]float32(nil), ref.Forward(cat, out)...)
		dcat := make([]float32, out.Size())
		ref.backward(dy, 1, dcat, false)
		d1, d2 := make([]float32, in.N*half), make([]float32, in.N*half)
		for n := 0; n < in.N; n++ {
			copy(d1[n*half:][:half], dcat[(2*n)*half:][:half])
			copy(d2[n*half:][:half], dcat[(2*n+1)*half:][:half])
		}
		dr, ds := make([]float32, len(x)), make([]float32, ss.Size())
		dw1, dw2 := make([]float32, len(m.c1.w.Value)), make([]float32, len(m.c2.w.Value))
		kern.ConvBackward(g1, cout/2, r, m.c1.w.Value, d1, dr, dw1, false)
		kern.ConvBackward(g2, cout/2, xs, m.c2.w.Value, d2, ds, dw2, false)
		for nc := 0; nc < in.N*in.C; nc++ {
			for h := 1; h < in.H; h++ {
				src := ds[(nc*ss.H+h-1)*ss.W:][:ss.W]
				dst := dr[(nc*in.H+h)*in.W+1:][:ss.W]
				for i, v := range src {
					dst[i] += v
				}
			}
		}
		wantDX := make([]float32, len(x))
		kern.ReLUBackwardTo(x, dr, wantDX, false)

		got := m.Forward(x, in)
		for _, p := range m.Params() {
			clear(p.Grad)
		}
		dx := make([]float32, len(x))
		m.backward(dy, 1, dx, false)
		same := func(what string, got, want []float32) {
			t.Helper()
			if len(got) != len(want) {
				t.Fatalf("affine=%v %s: %d values, want %d", affine, what, len(got), len(want))
			}
			for i := range want {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("affine=%v %s[%d] = %g, strided formulation %g", affine, what, i, got[i], want[i])
				}
			}
		}
		same("output", got, want)
		same("dx", dx, wantDX)
		same("conv1 grad", m.c1.w.Grad, dw1)
		same("conv2 grad", m.c2.w.Grad, dw2)
		if affine {
			same("bn weight grad", m.bn.gamma.Grad, ref.gamma.Grad)
			same("bn bias grad", m.bn.beta.Grad, ref.beta.Grad)
		}
	}
}
