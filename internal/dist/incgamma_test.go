package dist

import (
	"fmt"
	"math"
	"testing"
)

// TestGammaPQAgainstReference checks P, Q and ∂P/∂a against mpmath over
// a ∈ [1e-3, 1e3] and x from 1e-300 to 1100. In the bulk (P and Q both
// above 1e-10) the tolerance is a flat 1e-13. In the tails the value is
// e^(exponent) with an exponent a·log x − x − log Γ(a) of size up to ~1e4,
// whose float64 rounding alone is a relative error of ε·|exponent| (the
// condition number of the tiny result): there the tolerance is
// 4ε·(|a log x| + x + |log Γ(a)|). P is checked relatively where P ≤ ½ and
// absolutely elsewhere (1 − tiny is all float64 holds), Q likewise.
func TestGammaPQAgainstReference(t *testing.T) {
	ref := loadGammaRef(t)
	var bp, bq, bd, tp, tq, td worst
	for _, c := range ref.P {
		at := fmt.Sprintf("a=%g x=%g", c.A, c.X)
		p, q, d := GammaP(c.A, c.X), GammaQ(c.A, c.X), GammaPDerivA(c.A, c.X)
		ep, eq := relErr(p, c.P), relErr(q, c.Q)
		if c.P > 0.5 {
			ep = math.Abs(p - c.P)
		}
		if c.Q > 0.5 {
			eq = math.Abs(q - c.Q)
		}
		ed := relErr(d, c.Dpda)
		if c.P > 1e-10 && c.Q > 1e-10 {
			bp.add(ep, at)
			bq.add(eq, at)
			bd.add(ed, at)
			continue
		}
		lg, _ := math.Lgamma(c.A)
		cond := math.Abs(c.A*math.Log(c.X)) + c.X + math.Abs(lg)
		const ulp = 0x1p-52
		tp.add(ep/(4*ulp*cond), at)
		tq.add(eq/(4*ulp*cond), at)
		td.add(ed/(4*ulp*cond), at)
	}
	bp.check(t, "P (bulk)", 1e-13)
	bq.check(t, "Q (bulk)", 1e-13)
	bd.check(t, "dP/da (bulk)", 1e-13)
	// Tails: errors in units of the tolerance 4ε·cond.
	tp.check(t, "P (tails, /4ε·cond)", 1)
	tq.check(t, "Q (tails, /4ε·cond)", 1)
	td.check(t, "dP/da (tails, /4ε·cond)", 1)
}

// TestGammaInvAgainstReference checks the inverse CDF and its gradient
// against mpmath over a ∈ [1e-3, 1e3] and u ∈ [2⁻⁵³, 1 − 2⁻⁵³]. log z is
// measured by |Δlog z|/max(1, |log z|): the relative error of z where
// |log z| ≤ 1, of log z beyond (z's own relative error is |Δlog z|, which
// for a = 1e-3 and |log z| in the thousands is bounded below by ε·|log z|).
func TestGammaInvAgainstReference(t *testing.T) {
	checkInv(t, loadGammaRef(t).Inv, 2e-15, 1e-13)
}

// TestGammaInvExtendedRange documents how far the accuracy holds outside
// the specified a ∈ [1e-3, 1e3]: a = 1e-8 ... 1e-4 and 3000, 1e4.
func TestGammaInvExtendedRange(t *testing.T) {
	checkInv(t, loadGammaRef(t).InvExt, 4e-15, 2e-13)
}

// checkInv checks LogGammaRsample, GammaRsample and GammaPInv against
// reference rows.
func checkInv(t *testing.T, rows []invRef, tolY, tolD float64) {
	t.Helper()
	var wy, wz, wdl, wdz worst
	for _, c := range rows {
		at := fmt.Sprintf("a=%g u=%.17g", c.A, c.U)
		y, dl := LogGammaRsample(c.A, c.U)
		z, dz := GammaRsample(c.A, c.U)
		scale := math.Max(1, math.Abs(c.Logz))
		ey := math.Abs(y-c.Logz) / scale
		if math.IsNaN(ey) {
			ey = math.Inf(1)
		}
		wy.add(ey, at)
		wdl.add(relErr(dl, c.Dlogzda), at)
		if c.Z > 1e-300 {
			// z and dz/da = z·(d log z/da), relative to the scale of log z.
			wz.add(relErr(z, c.Z)/scale, at)
			wz.add(relErr(GammaPInv(c.A, c.U), c.Z)/scale, at)
			wdz.add(relErr(dz, c.Dzda)/scale, at)
		}
	}
	wy.check(t, "log z (relative to max(1, |log z|))", tolY)
	wz.check(t, "z (relative, divided by max(1, |log z|))", tolY)
	wdl.check(t, "d log z/da", tolD)
	wdz.check(t, "dz/da (relative, divided by max(1, |log z|))", tolD)
}

func TestDigammaTrigammaAgainstReference(t *testing.T) {
	ref := loadGammaRef(t)
	var wd, wt worst
	for _, c := range ref.Psi {
		at := fmt.Sprintf("x=%g", c.X)
		// absolute below 1, relative above: ψ has a zero at 1.4616.
		d := math.Abs(Digamma(c.X) - c.Digamma)
		if math.Abs(c.Digamma) > 1 {
			d /= math.Abs(c.Digamma)
		}
		if math.IsNaN(d) {
			d = math.Inf(1)
		}
		wd.add(d, at)
		wt.add(relErr(Trigamma(c.X), c.Trigamma), at)
	}
	wd.check(t, "digamma", 2e-15)
	wt.check(t, "trigamma", 2e-15)
}
