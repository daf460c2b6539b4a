package dist

import "math"

// The inverse of P in its second argument, z = P⁻¹(a, u), is found in
// log space, y = log z, as the root of
//
//	u ≤ ½:  f(y) = log P(a, eʸ) − log u
//	u > ½:  f(y) = log Q(a, eʸ) − log(1−u)
//
// Both are concave in y (the log-gamma density is log-concave, so are its
// CDF and survival function), which makes Newton's method converge
// monotonically from any start; Halley's correction (f'' is cheap:
// f' = w = pre/P, f'' = w·(a − z − w), and the same with Q) speeds it up,
// and a bracket of the iterates catches a step that leaves it. The start is
// Numerical Recipes' (§6.2.1): Wilson–Hilferty for a ≥ 1 and a power/
// exponential tail guess for a < 1, the former replaced by the small-z
// asymptote log z = (log u + log Γ(a+1))/a where it fails.
//
// Working in log space means nothing underflows: for a = 1e-3 and u = ½,
// z = e^(−693·…) ≈ 1e-301, and for u = 1e-6 z = e^(−13816) is 0 in float64
// while y is still an ordinary number. The gradient is carried in the same
// way (d log z/da, see LogGammaRsample), so Dirichlet draws can be
// normalised from logs and keep their gradients however small a is.
//
// The standard alternative for small a, z = Gamma(a+1)·u'^(1/a), gives the
// same distribution but is not the inverse CDF at u, hence not the smooth
// function of a at fixed u that the implicit gradient differentiates; it is
// not used.

// invState is the result of an inversion: y = log z and the evaluation of
// P at z with derivative sums, ready for the gradient.
type invState struct {
	y, z float64
	r    igam
}

// gammaLogInv solves P(a, z) = u (lower) or Q(a, z) = q (upper) for y = log z.
// u and q are both given (q = 1 − u); lower selects the equation. With
// deriv, the returned state holds the sums the gradient needs. It returns
// false if the iteration did not converge.
func (g *gammaParams) gammaLogInv(u, q float64, lower, deriv bool) (invState, bool) {
	a := g.a
	y := g.invStart(u, q)
	lo, hi := math.Inf(-1), math.Inf(1)
	logT := math.Log(u)
	if !lower {
		logT = math.Log(q)
	}
	converged := false
	for it := 0; it < 100; it++ {
		z := math.Exp(y)
		r := g.eval(z, y, false, !lower)
		if !r.ok {
			return invState{}, false
		}
		var f, w float64 // f and f' = df/dy
		if lower {
			f = r.logP - logT
			if r.series {
				w = a / r.s
			} else {
				w = math.Exp(r.lpre - r.logP)
			}
			if f < 0 {
				lo = y
			} else {
				hi = y
			}
		} else {
			f = r.logQ - logT
			if r.series {
				w = -math.Exp(r.lpre - r.logQ)
			} else {
				w = -1 / r.h
			}
			if f > 0 {
				lo = y
			} else {
				hi = y
			}
		}
		if f == 0 {
			converged = true
			break
		}
		if math.IsNaN(f) || math.IsNaN(w) {
			return invState{}, false
		}
		newton := -f / w
		step := newton
		// Halley: divide the Newton step by 1 + step·f''/(2f').
		if corr := 0.5 * step * (a - z - w); math.Abs(corr) < 0.5 {
			step /= 1 + corr
		}
		if math.Abs(step) <= 1e-11+8e-16*math.Abs(y) {
			// Converged (the error left after this step is of the order
			// of its square): take it, even if rounding puts it a hair
			// outside the bracket.
			y += step
			converged = true
			break
		}
		next := y + step
		if !(next > lo && next < hi) {
			if !math.IsInf(lo, 0) && !math.IsInf(hi, 0) {
				next = 0.5 * (lo + hi)
			} else {
				// Concavity makes a plain Newton step safe.
				next = y + newton
			}
		}
		if next == y {
			converged = true
			break
		}
		y = next
	}
	if !converged {
		return invState{}, false
	}
	z := math.Exp(y)
	if !deriv {
		return invState{y: y, z: z}, true
	}
	g.needPsi()
	// The gradient needs neither log P nor log Q: ask for the free one.
	st := invState{y: y, z: z, r: g.eval(z, y, true, z >= a+1)}
	return st, st.r.ok
}

// invStart is the initial guess for log P⁻¹(a, u) (Numerical Recipes
// invgammp, in log space).
func (g *gammaParams) invStart(u, q float64) float64 {
	a := g.a
	if a < 1 {
		t := 1 - a*(0.253+a*0.12)
		if u < t {
			return (math.Log(u) - math.Log(t)) / a
		}
		return math.Log(1 - math.Log(q/(1-t)))
	}
	pp := math.Min(u, q)
	t := math.Sqrt(-2 * math.Log(pp))
	x := (2.30753+t*0.27061)/(1+t*(0.99229+t*0.04481)) - t // ≈ Φ⁻¹(pp)
	if u < 0.5 {
		x = -x
	}
	base := 1 - 1/(9*a) - x/(3*math.Sqrt(a))
	// The small-z asymptote P ≈ z^a/Γ(a+1): also a lower bound on the root,
	// since P(a, z) ≤ z^a/Γ(a+1).
	small := (math.Log(u) + lgamma(a+1)) / a
	if base <= 0.1 {
		return small
	}
	return math.Max(small, g.logA+3*math.Log(base))
}

// gammaInvert checks the arguments and inverts at u; ok is false for a
// or u outside the domain or on a failed iteration.
func gammaInvert(a, u float64, deriv bool) (invState, gammaParams, bool) {
	if !validShape(a) || !(u > 0 && u < 1) {
		return invState{}, gammaParams{}, false
	}
	g := newGammaParams(a)
	st, ok := g.gammaLogInv(u, 1-u, u <= 0.5, deriv)
	return st, g, ok
}

// dLogZ returns d log z/da at fixed u for the solved state,
// −(∂P/∂a)(a, z)/(z·p(z; a)):
//
//	series:   −(S·(log z − ψ(a+1)) − Σₙ tₙHₙ)/a
//	fraction: h·(log z − ψ(a) + ∂log h/∂a)
//
// (P/(z p) = S/a and Q/(z p) = h, so no exponential is needed).
func (g *gammaParams) dLogZ(st invState) float64 {
	r := st.r
	if r.series {
		return -(r.s*(st.y-g.psiA1) - r.sh) / g.a
	}
	return r.h * (st.y - g.psiA + r.dlh)
}

// GammaPInv returns the inverse of P(a, ·): the z ≥ 0 with P(a, z) = p,
// i.e. the p-quantile of Gamma(a, 1), for a > 0 and 0 ≤ p ≤ 1
// (GammaPInv(a, 0) = 0, GammaPInv(a, 1) = +Inf). For p > ½ it solves
// Q(a, z) = 1 − p instead, which is exact in floating point there. Relative
// error about 1e-14 over a ∈ [1e-3, 1e3] (see the package tests), where z
// does not underflow; for small a it underflows to 0 for most p (a = 1e-3,
// p < 0.5): use LogGammaRsample there. NaN outside the domain.
func GammaPInv(a, p float64) float64 {
	switch {
	case !validShape(a) || !(p >= 0 && p <= 1):
		return math.NaN()
	case p == 0:
		return 0
	case p == 1:
		return math.Inf(1)
	}
	st, _, ok := gammaInvert(a, p, false)
	if !ok {
		return math.NaN()
	}
	return st.z
}

// GammaRsample returns the reparameterised Gamma(a, 1) draw at the uniform
// u, z = P⁻¹(a, u), and its pathwise derivative at fixed u
//
//	dz/da = −(∂P/∂a)(a, z) / p(z; a),   p(z; a) = z^(a−1) e^(−z)/Γ(a)
//
// (implicit reparameterisation, Figurnov, Mohamed and Mnih 2018). z is a
// smooth, increasing function of u and of a; if u is uniform on (0, 1), z is
// Gamma(a, 1). The accuracy is that of LogGammaRsample; z and dz/da
// underflow to 0 together for small a (a = 1e-3: for u below about 0.5).
// a must be in (0, +Inf) and u in (0, 1); otherwise both results are NaN.
func GammaRsample(a, u float64) (z, dzda float64) {
	st, g, ok := gammaInvert(a, u, true)
	if !ok {
		return math.NaN(), math.NaN()
	}
	return st.z, st.z * g.dLogZ(st)
}

// LogGammaRsample returns log z and d(log z)/da at fixed u for the draw of
// GammaRsample, z = P⁻¹(a, u):
//
//	d log z/da = −(∂P/∂a)(a, z) / (z·p(z; a)).
//
// Both are ordinary numbers where z itself underflows (small a), which is
// what Dirichlet uses. Measured against 50-digit mpmath references
// (testdata/gamma_ref.json) at u from 2⁻⁵³ to 1 − 2⁻⁵³: over a ∈ [1e-3, 1e3],
// |Δlog z| ≤ 1e-15·max(1, |log z|) and d log z/da to 1e-14 relative; for a
// from 1e-8 to 1e4, 3e-15 and 1e-13. Below that the formulas still hold
// but d log z/da ≈ −log(u)/a² overflows for a below about 1e-154 and
// log z ≈ log(u)/a for a below about 1e-306; above 1e4 the accuracy is not
// measured, a draw costs ~√a series terms (0.1 ms at 1e6), and past a ≈ 1e8
// the sums stop converging within their bound (NaN). a must be in (0, +Inf) and u in
// (0, 1); otherwise both results are NaN.
func LogGammaRsample(a, u float64) (logz, dlogzda float64) {
	st, g, ok := gammaInvert(a, u, true)
	if !ok {
		return math.NaN(), math.NaN()
	}
	return st.y, g.dLogZ(st)
}
