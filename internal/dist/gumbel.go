package dist

import "math"

// ExpFromUniform returns E = −log u, an Exp(1) deviate when u is uniform on
// (0, 1). u = 0 gives +Inf, u = 1 gives 0; u outside [0, 1] or NaN gives
// NaN.
func ExpFromUniform(u float64) float64 {
	if !(u >= 0 && u <= 1) {
		return math.NaN()
	}
	return -math.Log(u)
}

// GumbelFromUniform returns g = −log(−log u), a Gumbel(0, 1) deviate when u
// is uniform on (0, 1); this is SNAS's draw (g = −log(−log U), U ~ U(0, 1)).
// u = 0 gives −Inf, u = 1 gives +Inf; u outside [0, 1] or NaN gives NaN.
func GumbelFromUniform(u float64) float64 {
	if !(u >= 0 && u <= 1) {
		return math.NaN()
	}
	return -math.Log(-math.Log(u))
}

// GumbelFromExp returns g = −log E. AutoDL's GDAS draws E ~ Exp(1)
// (torch.empty_like(α).exponential_()) and uses −log E as its Gumbel noise:
// with E = −log U this is exactly −log(−log U), so both methods draw the
// same Gumbel(0, 1) distribution, and GumbelFromExp(ExpFromUniform(u)) ==
// GumbelFromUniform(u). E = 0 gives +Inf; E < 0 or NaN gives NaN.
func GumbelFromExp(e float64) float64 {
	if !(e >= 0) {
		return math.NaN()
	}
	return -math.Log(e)
}

// EulerGamma is the Euler–Mascheroni constant γ, the mean of Gumbel(0, 1)
// (whose variance is π²/6).
const EulerGamma = 0.57721566490153286060651209008240243104215933593992
