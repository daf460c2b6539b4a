package dist

import (
	"math"
	"testing"
)

func TestGumbelExpNormalMoments(t *testing.T) {
	const n = 200000
	draw := func(tag uint64, f func(*Stream) float64) []float64 {
		s := NewStream(Key(tag, 2024))
		xs := make([]float64, n)
		for i := range xs {
			xs[i] = f(&s)
		}
		return xs
	}
	v := math.Pi * math.Pi / 6
	for _, c := range []struct {
		name            string
		xs              []float64
		mean, vari, mu4 float64
	}{
		// Gumbel(0, 1): mean γ, variance π²/6, excess kurtosis 12/5.
		{"gumbel", draw(1, (*Stream).Gumbel), EulerGamma, v, 5.4 * v * v},
		// GDAS's way: −log E with E ~ Exp(1).
		{"gumbel_from_exp", draw(2, func(s *Stream) float64 { return GumbelFromExp(s.Exp()) }), EulerGamma, v, 5.4 * v * v},
		// Exp(1): mean 1, variance 1, μ₄ = 9.
		{"exp", draw(3, (*Stream).Exp), 1, 1, 9},
		// N(0, 1): μ₄ = 3.
		{"normal", draw(4, (*Stream).StandardNormal), 0, 1, 3},
		// U(0, 1): mean ½, variance 1/12, μ₄ = 1/80.
		{"uniform", draw(5, (*Stream).Uniform), 0.5, 1.0 / 12, 1.0 / 80},
	} {
		if err := checkMeanVar(c.xs, c.mean, c.vari, c.mu4); err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	// Negative control: the same Gumbel draws are rejected as Gumbel with a
	// location off by 0.05 (a wrong γ), and as a unit-variance law.
	g := draw(1, (*Stream).Gumbel)
	if checkMeanVar(g, EulerGamma+0.05, v, 5.4*v*v) == nil {
		t.Error("negative control: a Gumbel location off by 0.05 was accepted")
	}
	if checkMeanVar(g, EulerGamma, 1, 3) == nil {
		t.Error("negative control: Gumbel draws passed for variance 1")
	}
}

func TestGumbelConventionsAgree(t *testing.T) {
	s := NewStream(Key(TagGDAS, 9))
	for i := 0; i < 10000; i++ {
		u := s.Uniform()
		a, b := GumbelFromUniform(u), GumbelFromExp(ExpFromUniform(u))
		if a != b {
			t.Fatalf("u = %v: −log(−log u) = %v but −log E = %v", u, a, b)
		}
	}
	for _, bad := range []float64{-0.1, 1.1, math.NaN()} {
		if !math.IsNaN(GumbelFromUniform(bad)) || !math.IsNaN(ExpFromUniform(bad)) {
			t.Errorf("u = %v: want NaN", bad)
		}
	}
	if !math.IsNaN(GumbelFromExp(-1)) {
		t.Error("GumbelFromExp(−1): want NaN")
	}
}
