package dist

import (
	"fmt"
	"math"
	"testing"
)

// TestGammaRsampleFiniteDifference holds the implicit gradient d log z/da
// and dz/da at fixed u to central differences of the sampler itself,
// (log z(a+h) − log z(a−h))/2h with h = 1e-5·a (truncation ~1e-10 relative,
// rounding ~1e-11). This oracle uses only the inverse, not ∂P/∂a.
func TestGammaRsampleFiniteDifference(t *testing.T) {
	var wl, wz worst
	for _, a := range []float64{1e-3, 0.01, 0.1, 0.5, 1, 2.5, 9.9, 10.1, 37, 250, 1000} {
		for _, u := range []float64{1e-9, 0.001, 0.1, 0.4, 0.5, 0.6, 0.9, 0.999, 1 - 1e-9} {
			at := fmt.Sprintf("a=%g u=%g", a, u)
			h := 1e-5 * a
			y, dl := LogGammaRsample(a, u)
			yp, _ := LogGammaRsample(a+h, u)
			ym, _ := LogGammaRsample(a-h, u)
			fd := (yp - ym) / (2 * h)
			// Well conditioned: the difference yp − ym is large against
			// the rounding of y (that rounding then costs < 1e-7).
			if math.Abs(yp-ym) < 1e-9*math.Max(1, math.Abs(y)) {
				t.Logf("%s: skipped, log z moves by only %.3g", at, yp-ym)
				continue
			}
			wl.add(relErr(dl, fd), at)
			z, dz := GammaRsample(a, u)
			if z > 1e-300 {
				// z = e^(log z) curves on the scale 1/|d log z/da|: keep
				// h well inside it (the truncation is (h·dl)²/6).
				hz := math.Min(h, 1e-4/math.Abs(dl))
				zp, _ := GammaRsample(a+hz, u)
				zm, _ := GammaRsample(a-hz, u)
				wz.add(relErr(dz, (zp-zm)/(2*hz)), at)
			}
		}
	}
	wl.check(t, "d log z/da vs finite differences", 1e-6)
	wz.check(t, "dz/da vs finite differences", 1e-6)
}

// TestGammaPDerivAFiniteDifference holds ∂P/∂a to central differences of
// log P in a ((∂P/∂a)/P against (log P(a+h) − log P(a−h))/2h; log P is the
// smooth one when P is tiny), where P is not close to 1 (so that the
// difference does not cancel), and checks P(a, P⁻¹(a, u)) = u.
func TestGammaPDerivAFiniteDifference(t *testing.T) {
	var wd, wr worst
	for _, a := range []float64{1e-3, 0.2, 1, 3, 15, 120, 900} {
		for _, r := range []float64{1e-3, 0.3, 0.9, 1, 1.2, 3} {
			x := r * a
			if x == a { // also a point just past the series/fraction switch
				x = a + 1 + 1e-9
			}
			at := fmt.Sprintf("a=%g x=%g", a, x)
			h := 1e-5 * a
			if p := GammaP(a, x); p < 0.9 && p > 1e-200 {
				fd := (math.Log(GammaP(a+h, x)) - math.Log(GammaP(a-h, x))) / (2 * h)
				wd.add(relErr(GammaPDerivA(a, x)/p, fd), at)
			}
		}
		for _, u := range []float64{1e-6, 0.25, 0.5, 0.75, 0.99} {
			z := GammaPInv(a, u)
			if z > 1e-300 {
				wr.add(relErr(GammaP(a, z), u), fmt.Sprintf("a=%g u=%g", a, u))
			}
		}
	}
	wd.check(t, "dP/da vs finite differences", 1e-6)
	wr.check(t, "P(a, P⁻¹(a, u)) vs u", 1e-13)
}

func TestGammaDomain(t *testing.T) {
	nan := math.NaN()
	for _, c := range [][2]float64{{0, 0.5}, {-1, 0.5}, {math.Inf(1), 0.5}, {nan, 0.5}, {1, 0}, {1, 1}, {1, -0.1}, {1, nan}} {
		if z, d := GammaRsample(c[0], c[1]); !math.IsNaN(z) || !math.IsNaN(d) {
			t.Errorf("GammaRsample(%v, %v) = %v, %v; want NaN", c[0], c[1], z, d)
		}
		if y, d := LogGammaRsample(c[0], c[1]); !math.IsNaN(y) || !math.IsNaN(d) {
			t.Errorf("LogGammaRsample(%v, %v) = %v, %v; want NaN", c[0], c[1], y, d)
		}
	}
	if GammaPInv(2, 0) != 0 || !math.IsInf(GammaPInv(2, 1), 1) || !math.IsNaN(GammaPInv(2, 1.5)) {
		t.Error("GammaPInv at p = 0, 1, 1.5: want 0, +Inf, NaN")
	}
	if GammaP(2, 0) != 0 || GammaQ(2, 0) != 1 || GammaP(2, math.Inf(1)) != 1 || GammaQ(2, math.Inf(1)) != 0 {
		t.Error("P, Q at x = 0 and +Inf")
	}
	if !math.IsNaN(GammaP(2, -1)) || !math.IsNaN(GammaQ(0, 1)) || !math.IsNaN(GammaPDerivA(-1, 1)) {
		t.Error("P, Q, dP/da outside the domain: want NaN")
	}
	// Exact special case: Gamma(1) is Exp(1), z = −log(1 − u), dP/da has
	// no closed form but P(1, x) = 1 − e^(−x).
	for _, u := range []float64{1e-10, 0.3, 0.5, 0.8, 1 - 1e-10} {
		z := GammaPInv(1, u)
		if want := -math.Log1p(-u); relErr(z, want) > 1e-14 {
			t.Errorf("GammaPInv(1, %v) = %.17g, want %.17g", u, z, want)
		}
		if want := -math.Expm1(-z); relErr(GammaP(1, z), want) > 1e-14 {
			t.Errorf("GammaP(1, %v) = %.17g, want %.17g", z, GammaP(1, z), want)
		}
	}
}

// gammaDraws returns n Gamma draws of shape a from a keyed stream through
// the given sampler.
func gammaDraws(a float64, n int, sample func(a, u float64) float64) []float64 {
	s := NewStream(Key(TagDrNAS, 77, math.Float64bits(a)))
	xs := make([]float64, n)
	for i := range xs {
		xs[i] = sample(a, s.Uniform())
	}
	return xs
}

func gammaZ(a, u float64) float64 { z, _ := GammaRsample(a, u); return z }

// gammaMu4 is the central fourth moment of Gamma(a, 1), 3a² + 6a.
func gammaMu4(a float64) float64 { return 3*a*a + 6*a }

// TestGammaMoments checks that inverse-CDF draws have Gamma(a, 1)'s mean a
// and variance a (20000 draws, 5 standard errors; the standard error of
// the variance from μ₄ = 3a² + 6a), and that the check rejects a sampler
// whose shape is off by one and one that returns 2z (scale 2).
func TestGammaMoments(t *testing.T) {
	const n = 20000
	for _, a := range []float64{0.02, 0.3, 1, 3.7, 25, 400} {
		xs := gammaDraws(a, n, gammaZ)
		if err := checkMeanVar(xs, a, a, gammaMu4(a)); err != nil {
			t.Errorf("Gamma(%v): %v", a, err)
		}
	}
	t.Run("negative_control", func(t *testing.T) {
		for _, a := range []float64{0.3, 3.7, 25} {
			off := gammaDraws(a, n, func(a, u float64) float64 { return gammaZ(a+1, u) })
			if checkMeanVar(off, a, a, gammaMu4(a)) == nil {
				t.Errorf("Gamma(%v): draws of shape a+1 were accepted", a)
			}
			scaled := gammaDraws(a, n, func(a, u float64) float64 { return 2 * gammaZ(a, u) })
			if checkMeanVar(scaled, a, a, gammaMu4(a)) == nil {
				t.Errorf("Gamma(%v): draws of scale 2 were accepted", a)
			}
		}
	})
}
