package dist

import (
	"fmt"
	"math"
)

// Concentration returns DrNAS's Dirichlet concentration of an architecture
// parameter, c = elu(α) + 1: α + 1 for α > 0, e^α for α ≤ 0 (always > 0;
// NaN gives NaN).
func Concentration(alpha float64) float64 {
	if alpha > 0 {
		return alpha + 1
	}
	return math.Exp(alpha)
}

// ConcentrationDeriv returns dc/dα of Concentration: 1 for α > 0, e^α for
// α ≤ 0 (the two agree at 0, so c is C¹).
func ConcentrationDeriv(alpha float64) float64 {
	if alpha > 0 {
		return 1
	}
	return math.Exp(alpha)
}

// KLDirichletUniform returns KL(Dir(c) ‖ Dir(1, ..., 1)), with K = len(c)
// and c₀ = Σ cᵢ:
//
//	KL = log Γ(c₀) − Σᵢ log Γ(cᵢ) − log Γ(K) + Σᵢ (cᵢ − 1)(ψ(cᵢ) − ψ(c₀)),
//
// and, if grad is not nil, writes its gradient into grad:
//
//	∂KL/∂cⱼ = (cⱼ − 1) ψ'(cⱼ) − (c₀ − K) ψ'(c₀).
//
// c must be non-empty with every entry in (0, +Inf); grad, if given, must
// have c's length.
func KLDirichletUniform(c, grad []float64) (float64, error) {
	k := len(c)
	if k == 0 {
		return 0, fmt.Errorf("dist: KLDirichletUniform: empty concentration")
	}
	if grad != nil && len(grad) != k {
		return 0, fmt.Errorf("dist: KLDirichletUniform: grad has length %d, c %d", len(grad), k)
	}
	var c0 float64
	for i, ci := range c {
		if !validShape(ci) {
			return 0, fmt.Errorf("dist: KLDirichletUniform: c[%d] = %v, want 0 < c < +Inf", i, ci)
		}
		c0 += ci
	}
	psi0 := Digamma(c0)
	kl := lgamma(c0) - lgamma(float64(k))
	for _, ci := range c {
		kl += (ci-1)*(Digamma(ci)-psi0) - lgamma(ci)
	}
	if grad != nil {
		t0 := (c0 - float64(k)) * Trigamma(c0)
		for i, ci := range c {
			grad[i] = (ci-1)*Trigamma(ci) - t0
		}
	}
	return kl, nil
}

// DrNASKL returns DrNAS's KL regulariser of one architecture tensor,
//
//	R = regScale · Σ_rows KL(Dir(elu(α_r) + 1) ‖ Dir(1, ..., 1)),
//
// where alpha holds the rows (one per edge) of cols entries each, row-major.
// If grad is not nil it writes ∂R/∂α into it (the chain rule through
// KLDirichletUniform and ConcentrationDeriv). DrNAS (reg_type kl) adds
// reg_scale times this sum over all edges to the architecture loss; on the
// DARTS space it is the sum of R over alpha_normal and alpha_reduce. alpha
// must be non-empty with a length that is a multiple of cols ≥ 1, and finite
// (an α below about −745 underflows the concentration to 0: an error);
// grad, if given, must have alpha's length.
func DrNASKL(alpha []float64, cols int, regScale float64, grad []float64) (float64, error) {
	if cols < 1 || len(alpha) == 0 || len(alpha)%cols != 0 {
		return 0, fmt.Errorf("dist: DrNASKL: %d values do not make rows of %d", len(alpha), cols)
	}
	if grad != nil && len(grad) != len(alpha) {
		return 0, fmt.Errorf("dist: DrNASKL: grad has length %d, alpha %d", len(grad), len(alpha))
	}
	c := make([]float64, cols)
	var g []float64
	if grad != nil {
		g = make([]float64, cols)
	}
	var sum float64
	for r := 0; r < len(alpha)/cols; r++ {
		row := alpha[r*cols : (r+1)*cols]
		for i, a := range row {
			c[i] = Concentration(a)
		}
		kl, err := KLDirichletUniform(c, g)
		if err != nil {
			return 0, fmt.Errorf("dist: DrNASKL: row %d: %w", r, err)
		}
		sum += kl
		if grad != nil {
			for i, a := range row {
				grad[r*cols+i] = regScale * g[i] * ConcentrationDeriv(a)
			}
		}
	}
	return regScale * sum, nil
}
