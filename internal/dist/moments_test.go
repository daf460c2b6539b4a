package dist

import (
	"fmt"
	"math"
)

// Moment checks. A sample's mean and variance are compared with the closed
// forms within z standard errors, the standard errors coming from the
// closed-form fourth moment where one is given, else from the sample itself.
// With z = 5 a correct sampler fails with probability below 1e-6 per check
// (and, the streams being keyed, a passing test passes every time).

const zTol = 5

// meanVar returns the sample mean and the (n−1) sample variance of xs, and
// the standard errors of each estimated from the sample (sd/√n and
// sd((x−m)²)/√n).
func meanVar(xs []float64) (m, v, seM, seV float64) {
	n := float64(len(xs))
	for _, x := range xs {
		m += x
	}
	m /= n
	var s2, s4 float64
	for _, x := range xs {
		d := (x - m) * (x - m)
		s2 += d
		s4 += d * d
	}
	v = s2 / (n - 1)
	seM = math.Sqrt(v / n)
	seV = math.Sqrt((s4/n - (s2/n)*(s2/n)) / n)
	return m, v, seM, seV
}

// checkMeanVar returns an error if xs's mean or variance is more than zTol
// standard errors from mean and variance. The standard error of the mean is
// √(variance/n) from the claimed variance; that of the variance is
// √((μ₄ − variance²)/n) from the claimed central fourth moment mu4, or from
// the sample if mu4 is NaN.
func checkMeanVar(xs []float64, mean, variance, mu4 float64) error {
	n := float64(len(xs))
	m, v, _, seV := meanVar(xs)
	seM := math.Sqrt(variance / n)
	if !math.IsNaN(mu4) {
		seV = math.Sqrt((mu4 - variance*variance) / n)
	}
	if d := math.Abs(m - mean); !(d <= zTol*seM) {
		return fmt.Errorf("mean %.6g, want %.6g (off by %.1f standard errors of %.3g)", m, mean, d/seM, seM)
	}
	if d := math.Abs(v - variance); !(d <= zTol*seV) {
		return fmt.Errorf("variance %.6g, want %.6g (off by %.1f standard errors of %.3g)", v, variance, d/seV, seV)
	}
	return nil
}
