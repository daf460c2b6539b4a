package optim

import "math"

// GradNorm returns the 2-norm of all the parameters' gradients taken as one
// vector, accumulated in float64.
func GradNorm[T Float](params []*Param[T]) float64 {
	var sum float64
	for _, p := range params {
		for _, g := range p.Grad {
			f := float64(g)
			sum += f * f
		}
	}
	return math.Sqrt(sum)
}

// ClipGradNorm is torch.nn.utils.clip_grad_norm_ with the 2-norm: if the
// total gradient norm exceeds maxNorm, it scales every gradient by
// coef = maxNorm/(total+1e-6), rounded to the parameter type, so the norm
// becomes just under maxNorm. It returns the norm before clipping. A norm
// exactly at maxNorm is still scaled (coef < 1), as in PyTorch. As in the
// PyTorch 0.3 code DARTS ran, a NaN norm leaves the gradients alone and an
// infinite one scales them by 0 (infinite elements become NaN); check
// AllFinite first if that matters.
func ClipGradNorm[T Float](params []*Param[T], maxNorm float64) (total float64) {
	total = GradNorm(params)
	coef := maxNorm / (total + 1e-6)
	if !(coef < 1) {
		return total
	}
	c := T(coef)
	for _, p := range params {
		for j := range p.Grad {
			p.Grad[j] *= c
		}
	}
	return total
}

// AllFinite reports whether no element of xs is NaN or infinite.
func AllFinite[T Float](xs []T) bool {
	for _, x := range xs {
		// x-x is 0 for finite x and NaN for NaN and ±Inf.
		if x-x != 0 {
			return false
		}
	}
	return true
}
