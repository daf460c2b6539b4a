package dist

import "math"

// The regularized incomplete gamma functions
//
//	P(a, x) = γ(a, x)/Γ(a) = (1/Γ(a)) ∫₀ˣ t^(a−1) e^(−t) dt,   Q = 1 − P,
//
// and their derivatives in a, by the two classical expansions (Numerical
// Recipes §6.2; Cephes igam/igamc):
//
//	x < a+1:  P = pre(a,x)/a · S,  S = Σₙ tₙ,  t₀ = 1,  tₙ = tₙ₋₁ · x/(a+n)
//	x ≥ a+1:  Q = pre(a,x) · h,    h = 1/(x+1−a− 1·(1−a)/(x+3−a− 2·(2−a)/(x+5−a− ...)))
//
// with pre(a, x) = x^a e^(−x)/Γ(a) = x·p(x; a), p the Gamma(a, 1) density.
// h is evaluated by the modified Lentz algorithm. Both are differentiated
// in a exactly, term by term:
//
//	series: ∂tₙ/∂a = −tₙ Hₙ, Hₙ = Σₖ₌₁ⁿ 1/(a+k), so
//	        ∂log P/∂a = log x − ψ(a+1) − (Σ tₙHₙ)/S   (all terms positive)
//	fraction: forward-mode differentiation of every Lentz recurrence, so
//	        ∂log Q/∂a = log x − ψ(a) + ∂log h/∂a
//
// (the approach of Eigen's igamma_der_a, used by TensorFlow for the same
// implicit Gamma gradient). pre is computed in log space; for a ≥ 10 near
// the bulk it uses log pre = ½ log(a/2π) − corr(a) − a·(t − log1p t),
// t = (x−a)/a, corr the Stirling correction, which avoids the cancellation
// of a·log x − x − log Γ(a) (three numbers of size ~7000 at a = 1000).
// For a < 1 and x < a+1, where P is close to 1 (Q(a, 1) ≈ 0.22a), Q comes
// from its own series (qSmallA) instead of 1 − P.
//
// Accuracy, measured against 50-digit mpmath values (testdata/gamma_ref.json,
// a ∈ [1e-3, 1e3], x ∈ [1e-300, 1100]): where P and Q are both above 1e-10,
// P and Q to 6e-15 relative and ∂P/∂a to 2e-14; in the far tails (P or Q
// below 1e-10, down to 1e-300) the result is e^(exponent) with an exponent
// a·log x − x − log Γ(a) of size up to ~1e4, and the error stays within
// ε·(|a·log x| + x + |log Γ(a)|), the rounding of that exponent.

// maxTerms bounds the series and the continued fraction. Both need a few
// √a steps at worst (x near a; 293 at a = 1000), so 1e5 covers a up to
// about 1e8; past it the result is NaN.
const maxTerms = 100000

// eps is the stopping tolerance of the sums: below float64's unit roundoff.
const eps = 1e-17

// gammaParams caches what depends on a only.
type gammaParams struct {
	a, lgA, logA float64 // a, log Γ(a), log a
	psiA, psiA1  float64 // ψ(a), ψ(a+1), each computed directly
	stirling     bool    // a ≥ 10: use the Stirling form of log pre
	halfLogA2Pi  float64 // ½ log(a/2π) − corr(a), for the Stirling form
	psiReady     bool
}

func newGammaParams(a float64) gammaParams {
	g := gammaParams{a: a, logA: math.Log(a)}
	if a >= 10 {
		g.stirling = true
		g.halfLogA2Pi = 0.5*math.Log(a/(2*math.Pi)) - stirlingCorr(a)
	} else {
		g.lgA = lgamma(a)
	}
	return g
}

// needPsi fills ψ(a+1) and ψ(a) = ψ(a+1) − 1/a (the step Digamma's own
// recurrence would take); only the derivatives use them.
func (g *gammaParams) needPsi() {
	if !g.psiReady {
		g.psiA1 = Digamma(g.a + 1)
		g.psiA = g.psiA1 - 1/g.a
		g.psiReady = true
	}
}

// logPre returns log(x^a e^(−x)/Γ(a)) at x = exp(y) (y = log x is passed so
// that x may underflow to 0 while y stays exact).
func (g *gammaParams) logPre(x, y float64) float64 {
	if g.stirling {
		t := (x - g.a) / g.a
		if t >= -0.5 {
			return g.halfLogA2Pi - g.a*(t-math.Log1p(t))
		}
		if g.lgA == 0 {
			g.lgA = lgamma(g.a)
		}
	}
	return g.a*y - x - g.lgA
}

// igam is the state of one evaluation at (a, x).
type igam struct {
	series bool
	lpre   float64 // log pre(a, x)
	logP   float64
	logQ   float64
	// series branch: S and Σ tₙHₙ; fraction branch: h and ∂log h/∂a.
	s, sh  float64
	h, dlh float64
	ok     bool // the sum converged
}

// eval evaluates P and Q at x = exp(y) (x ≥ 0, y = log x, y = −Inf for
// x = 0). With deriv it also accumulates what the derivatives in a need.
// upper says which of log P and log Q the caller needs where only one
// comes free: log Q in the series branch (it costs an exp and a log, and a
// second series for a < 1) is computed only with upper, log P in the
// fraction branch only without it; the other is NaN.
func (g *gammaParams) eval(x, y float64, deriv, upper bool) igam {
	var r igam
	r.lpre = g.logPre(x, y)
	if x < g.a+1 {
		r.series = true
		r.s, r.sh, r.ok = lowerSeries(g.a, x, deriv)
		r.logP = r.lpre - g.logA + math.Log(r.s)
		switch {
		case !upper:
			r.logQ = math.NaN()
		case g.a >= 1:
			// Q ≥ Q(a, a+1) > 0.28 here: 1 − P loses nothing.
			r.logQ = math.Log1p(-math.Exp(r.logP))
		default:
			// For small a, P is close to 1 over most of x < a+1
			// (Q(a, 1) ≈ 0.22a): compute Q directly.
			r.logQ = math.Log(qSmallA(g.a, x, y))
		}
		return r
	}
	r.h, r.dlh, r.ok = upperFraction(g.a, x, deriv, math.Abs(y-g.psiIfReady()))
	r.logQ = r.lpre + math.Log(r.h)
	r.logP = math.NaN()
	if !upper {
		r.logP = math.Log1p(-math.Exp(r.logQ))
	}
	return r
}

// qSmallA returns Q(a, x) for a < 1, 0 ≤ x < a+1 (DiDonato and Morris 1986;
// Boost's tgamma_small_upper_part), from γ(a, x) = Σₙ (−1)ⁿ x^(a+n)/(n!(a+n)):
//
//	Q = −expm1(a log x − log Γ(1+a)) − x^a/Γ(1+a) · a Σₙ₌₁ (−x)ⁿ/(n!(a+n)).
//
// The two terms are of the same order as Q (their ratio stays within a
// factor of about 4 for x < 2), so Q keeps its relative accuracy where
// 1 − P would cancel.
func qSmallA(a, x, y float64) float64 {
	e := a*y - lgamma1p(a)
	term, sum := 1.0, 0.0
	for n := 1; n <= 200; n++ {
		term *= -x / float64(n)
		d := term / (a + float64(n))
		sum += d
		if math.Abs(d) <= eps*math.Abs(sum) {
			break
		}
	}
	return -math.Expm1(e) - math.Exp(e)*a*sum
}

// psiIfReady returns ψ(a) if computed, else 0 (it only scales a stopping
// test).
func (g *gammaParams) psiIfReady() float64 {
	if g.psiReady {
		return g.psiA
	}
	return 0
}

// lowerSeries returns S = Σₙ tₙ and, if deriv, SH = Σₙ tₙHₙ (see above),
// for 0 ≤ x < a+1. It stops when a geometric bound on both tails is below
// eps relative: after term n the ratio of later terms is at most
// r = x/(a+n+1) < 1, so the tail of S is at most tₙ·r/(1−r).
func lowerSeries(a, x float64, deriv bool) (s, sh float64, ok bool) {
	t, h := 1.0, 0.0
	s = 1
	for n := 1; n <= maxTerms; n++ {
		ap := a + float64(n)
		t *= x / ap
		s += t
		if deriv {
			h += 1 / ap
			sh += t * h
		}
		rest := ap + 1 - x // (1−r)·(a+n+1) > 0
		tail := t * x / rest
		if tail <= eps*s && (!deriv || tail*(h+1/rest) <= eps*sh) {
			return s, sh, true
		}
	}
	return s, sh, false
}

// upperFraction returns h with Q = pre·h and, if deriv, ∂log h/∂a, for
// x ≥ a+1, by the modified Lentz algorithm on
// h = 1/(b₀ + a₁/(b₁ + a₂/(b₂ + ...))), bᵢ = x + 2i + 1 − a, aᵢ = −i(i − a),
// carrying the a-derivative of every quantity along (forward mode).
// scale is |log x − ψ(a)|, the size of the term the derivative is added to,
// which sets the absolute accuracy the derivative needs.
func upperFraction(a, x float64, deriv bool, scale float64) (h, dlh float64, ok bool) {
	const tiny = 1e-300
	b := x + 1 - a // ∂b/∂a = −1 for every bᵢ
	c, dc := 1/tiny, 0.0
	d := 1 / b
	dd := d * d // ∂(1/b)/∂a = 1/b²
	h = d
	dlh = dd / d
	for i := 1; i <= maxTerms; i++ {
		fi := float64(i)
		an := -fi * (fi - a) // ∂aᵢ/∂a = i
		b += 2
		den := an*d + b
		cn := b + an/c
		if math.Abs(den) < tiny {
			den = tiny
		}
		if math.Abs(cn) < tiny {
			cn = tiny
		}
		if deriv {
			dden := fi*d + an*dd - 1
			dcn := -1 + (fi-an*dc/c)/c
			dd = -dden / (den * den)
			dc = dcn
		}
		c = cn
		d = 1 / den
		del := d * c
		h *= del
		conv := math.Abs(del-1) <= 2*eps
		if deriv {
			ddel := (dd*c + d*dc) / del
			dlh += ddel
			conv = conv && math.Abs(ddel) <= 2*eps*math.Max(math.Abs(dlh), scale)
		}
		if conv {
			return h, dlh, true
		}
	}
	return h, dlh, false
}

// GammaP returns the regularized lower incomplete gamma function
// P(a, x) = (1/Γ(a)) ∫₀ˣ t^(a−1) e^(−t) dt, the CDF of Gamma(a, 1) at x,
// for a > 0, x ≥ 0 (series for x < a+1, continued fraction for Q above;
// relative error below 1e-14 over a ∈ [1e-3, 1e3] where P > 1e-10, see
// the accuracy note in incgamma.go).
// It is NaN for a ≤ 0, x < 0, infinite a or NaN arguments; P(a, +Inf) = 1.
func GammaP(a, x float64) float64 {
	if !validShape(a) || !(x >= 0) {
		return math.NaN()
	}
	if math.IsInf(x, 1) {
		return 1
	}
	g := newGammaParams(a)
	r := g.eval(x, math.Log(x), false, false)
	if !r.ok {
		return math.NaN()
	}
	if r.series {
		return math.Exp(r.logP)
	}
	return -math.Expm1(r.logQ)
}

// GammaQ returns the regularized upper incomplete gamma function
// Q(a, x) = 1 − P(a, x) = (1/Γ(a)) ∫ₓ^∞ t^(a−1) e^(−t) dt, accurate in
// relative terms also where it is tiny (x ≥ a+1). Domain as GammaP.
func GammaQ(a, x float64) float64 {
	if !validShape(a) || !(x >= 0) {
		return math.NaN()
	}
	if math.IsInf(x, 1) {
		return 0
	}
	g := newGammaParams(a)
	r := g.eval(x, math.Log(x), false, true)
	if !r.ok {
		return math.NaN()
	}
	if r.series && g.a >= 1 {
		return -math.Expm1(r.logP)
	}
	return math.Exp(r.logQ)
}

// GammaPDerivA returns ∂P(a, x)/∂a, the derivative of the regularized lower
// incomplete gamma function in its shape a at fixed x (≤ 0 everywhere):
//
//	x < a+1:  P·(log x − ψ(a+1) − Σₙ tₙHₙ / Σₙ tₙ)      (differentiated series)
//	x ≥ a+1:  −Q·(log x − ψ(a) + ∂log h/∂a)           (differentiated fraction)
//
// (see incgamma.go). Relative error below 2e-14 over a ∈ [1e-3, 1e3] where
// P and Q exceed 1e-10, and within the rounding of the exponent in the
// tails (incgamma.go). Domain as GammaP; 0 at x = 0 and x = +Inf.
func GammaPDerivA(a, x float64) float64 {
	if !validShape(a) || !(x >= 0) {
		return math.NaN()
	}
	if x == 0 || math.IsInf(x, 1) {
		return 0
	}
	g := newGammaParams(a)
	g.needPsi()
	y := math.Log(x)
	r := g.eval(x, y, true, false)
	if !r.ok {
		return math.NaN()
	}
	if r.series {
		return math.Exp(r.logP) * (y - g.psiA1 - r.sh/r.s)
	}
	return -math.Exp(r.logQ) * (y - g.psiA + r.dlh)
}

// validShape reports whether a is a usable Gamma shape: 0 < a < +Inf.
func validShape(a float64) bool { return a > 0 && !math.IsInf(a, 1) }
