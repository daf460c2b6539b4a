package dist

import (
	"fmt"
	"math"
)

// Dirichlet fills x with the reparameterised Dirichlet(c) draw at the
// uniforms u, and, if dlogz is not nil, dlogz with the per-entry gradients
// that DirichletVJP needs:
//
//	zᵢ = P⁻¹(cᵢ, uᵢ) ~ Gamma(cᵢ, 1),   xᵢ = zᵢ / Σⱼ zⱼ,   dlogzᵢ = d log zᵢ/dcᵢ
//
// (LogGammaRsample). The normalisation is done from the logs,
// xᵢ = exp(log zᵢ − logsumexp(log z)), so it holds where every zᵢ
// underflows (small cᵢ); x is then still on the simplex and the gradients
// stay finite. If the uᵢ are independent uniforms on (0, 1), x is
// Dirichlet(c). c, u, x (and dlogz) must have the same length ≥ 1, every cᵢ
// in (0, +Inf) and every uᵢ in (0, 1); otherwise Dirichlet returns an error
// and leaves x in an unspecified state.
func Dirichlet(c, u, x, dlogz []float64) error {
	if len(c) == 0 {
		return fmt.Errorf("dist: Dirichlet: empty concentration")
	}
	if len(u) != len(c) || len(x) != len(c) || (dlogz != nil && len(dlogz) != len(c)) {
		return fmt.Errorf("dist: Dirichlet: lengths c %d, u %d, x %d, dlogz %d differ", len(c), len(u), len(x), len(dlogz))
	}
	top := math.Inf(-1)
	for i, ci := range c {
		if !validShape(ci) {
			return fmt.Errorf("dist: Dirichlet: c[%d] = %v, want 0 < c < +Inf", i, ci)
		}
		if !(u[i] > 0 && u[i] < 1) {
			return fmt.Errorf("dist: Dirichlet: u[%d] = %v, want 0 < u < 1", i, u[i])
		}
		y, d := LogGammaRsample(ci, u[i])
		if math.IsNaN(y) || math.IsNaN(d) {
			return fmt.Errorf("dist: Dirichlet: Gamma(%v) inverse CDF at u[%d] = %v did not converge", ci, i, u[i])
		}
		x[i] = y
		if dlogz != nil {
			dlogz[i] = d
		}
		top = math.Max(top, y)
	}
	var sum float64
	for i := range x {
		x[i] = math.Exp(x[i] - top)
		sum += x[i]
	}
	for i := range x {
		x[i] /= sum
	}
	return nil
}

// DirichletVJP carries dL/dx back through a Dirichlet draw to the
// concentration: given the draw x and dlogz from Dirichlet and gx = dL/dx,
// it writes
//
//	gcᵢ = dL/dcᵢ = dlogzᵢ · xᵢ · (gxᵢ − Σⱼ gxⱼ xⱼ)
//
// into gc (the softmax Jacobian of x = softmax(log z), times d log zᵢ/dcᵢ;
// log zᵢ depends on cᵢ only). All four slices must have the same length;
// gc may be gx.
func DirichletVJP(x, dlogz, gx, gc []float64) error {
	if len(dlogz) != len(x) || len(gx) != len(x) || len(gc) != len(x) {
		return fmt.Errorf("dist: DirichletVJP: lengths x %d, dlogz %d, gx %d, gc %d differ", len(x), len(dlogz), len(gx), len(gc))
	}
	var dot float64
	for i, xi := range x {
		dot += gx[i] * xi
	}
	for i, xi := range x {
		gc[i] = dlogz[i] * xi * (gx[i] - dot)
	}
	return nil
}

// DirichletMean writes the mean of Dirichlet(c), mᵢ = cᵢ / Σⱼ cⱼ, into m.
// c and m must have the same length ≥ 1 and every cᵢ must be in
// (0, +Inf); m may be c.
func DirichletMean(c, m []float64) error {
	if len(c) == 0 || len(m) != len(c) {
		return fmt.Errorf("dist: DirichletMean: lengths c %d, m %d (want equal, ≥ 1)", len(c), len(m))
	}
	var sum float64
	for i, ci := range c {
		if !validShape(ci) {
			return fmt.Errorf("dist: DirichletMean: c[%d] = %v, want 0 < c < +Inf", i, ci)
		}
		sum += ci
	}
	for i, ci := range c {
		m[i] = ci / sum
	}
	return nil
}
