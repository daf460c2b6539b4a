package mixedop

import (
	"math"
	"testing"

	"github.com/darts-go/darts/internal/rng"
)

// TestInitFollowsPyTorch031 holds the initialization to PyTorch 0.3.1's
// reset_parameters (tools/golden/PYTORCH031.md): a convolution's weights
// uniform in ±1/√(in_channels·k·k) ignoring groups, so a depthwise one over
// C channels in ±1/(k·√C); an affine BatchNorm's scale uniform in (0, 1).
// Each bound is checked from both sides: no value outside it, and the
// largest value near it (a too-narrow range fails too).
func TestInitFollowsPyTorch031(t *testing.T) {
	const c = 16
	ctx := &Ctx{Training: true, Rand: rng.New(3)}
	m, err := Build[float64](ctx, "sep_conv_3x3", "op", Args{C: c, Stride: 1, Affine: true})
	if err != nil {
		t.Fatal(err)
	}
	check := func(name string, v []float64, lo, hi float64) {
		t.Helper()
		mn, mx, sum := math.Inf(1), math.Inf(-1), 0.0
		for _, x := range v {
			mn, mx, sum = math.Min(mn, x), math.Max(mx, x), sum+x
		}
		// With n uniform draws the extremes fall within span·4/n of the
		// bounds, and the mean within 4 standard errors of the middle, but
		// for a chance of about 1e-2 and 6e-5.
		span, n := hi-lo, float64(len(v))
		edge := span * math.Max(0.05, 4/n)
		if mn < lo || mx > hi || mn > lo+edge || mx < hi-edge {
			t.Errorf("%s: values in [%.4g, %.4g], want U(%.4g, %.4g)", name, mn, mx, lo, hi)
		}
		if mean := sum / n; math.Abs(mean-(lo+hi)/2) > 4*span*math.Sqrt(1/(12*n)) {
			t.Errorf("%s: mean %.4g, want about %.4g", name, mean, (lo+hi)/2)
		}
	}
	for _, p := range m.Params() {
		switch p.Name {
		case "op.dw1", "op.dw2":
			b := 1 / (3 * math.Sqrt(c)) // 1/(k·√C), not 1/k
			check(p.Name, p.Value, -b, b)
		case "op.pw1", "op.pw2":
			b := 1 / math.Sqrt(c)
			check(p.Name, p.Value, -b, b)
		case "op.bn1.weight", "op.bn2.weight":
			check(p.Name, p.Value, 0, 1)
		case "op.bn1.bias", "op.bn2.bias":
			for _, x := range p.Value {
				if x != 0 {
					t.Errorf("%s: %g, want 0", p.Name, x)
				}
			}
		}
	}
	dense := NewConvBN[float64](ctx, "stem", 3, 48, 3, 1, 1, true)
	b := 1 / math.Sqrt(3*9)
	check("stem.conv", dense.Params()[0].Value, -b, b)
}

// TestInitFollowsPyTorch1 holds InitTorch1 to PyTorch 1.x's defaults
// (kaiming_uniform_ with a = √5 gives ±1/√fan_in, fan_in =
// in_channels/groups·k·k, so ±1/k for a depthwise convolution; an affine
// BatchNorm's scale 1 since 1.2), and checks that InitTorch1 changes nothing
// else: the first depthwise weights are InitTorch031's draws scaled by √C
// (later ones differ, since 0.3.1 draws the BatchNorm scales in between).
func TestInitFollowsPyTorch1(t *testing.T) {
	const c = 16
	build := func(init Init) Module[float64] {
		ctx := &Ctx{Training: true, Rand: rng.New(3), Init: init}
		m, err := Build[float64](ctx, "sep_conv_3x3", "op", Args{C: c, Stride: 1, Affine: true})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	old, m := build(InitTorch031).Params(), build(InitTorch1).Params()
	for i, p := range m {
		switch p.Name {
		case "op.dw1", "op.dw2":
			// The same uniform draws scaled by √C: bound 1/k instead of 1/(k·√C).
			for j, x := range p.Value {
				if p.Name != "op.dw1" {
					break
				}
				if d := math.Abs(x - old[i].Value[j]*math.Sqrt(c)); d > 1e-12 {
					t.Fatalf("%s[%d] = %g, want %g·√C", p.Name, j, x, old[i].Value[j])
				}
			}
			mx := 0.0
			for _, x := range p.Value {
				mx = math.Max(mx, math.Abs(x))
			}
			if mx > 1.0/3 || mx < 0.9/3 {
				t.Errorf("%s: largest |w| %.4g, want just under 1/k = %.4g", p.Name, mx, 1.0/3)
			}
		case "op.bn1.weight", "op.bn2.weight":
			for _, x := range p.Value {
				if x != 1 {
					t.Fatalf("%s: %g, want 1", p.Name, x)
				}
			}
		}
	}
	if s, err := ParseInit(InitTorch1.String()); err != nil || s != InitTorch1 {
		t.Errorf("ParseInit(%q) = %v, %v", InitTorch1, s, err)
	}
	if _, err := ParseInit("0.4"); err == nil {
		t.Error("ParseInit(0.4): no error")
	}
}
