package kern

import "math"

// Softmax writes the softmax of x into y (which may be x), subtracting the
// maximum first so that large values cannot overflow:
//
//	m := max(x); e_i := exp(float64(x_i - m)); y_i = T(T(e_i) / Σ e)
//
// with the exponentials and their sum in float64. It is darts-go's one
// softmax: the architecture weights of a forward pass, the weights
// written to alphas.jsonl and the random genotypes of derive all use it.
func Softmax[T Float](x, y []T) {
	if len(x) == 0 {
		return
	}
	m := x[0]
	for _, v := range x {
		m = max(m, v)
	}
	var sum float64
	for i, v := range x {
		e := math.Exp(float64(v - m))
		y[i] = T(e)
		sum += e
	}
	for i := range y[:len(x)] {
		y[i] = T(float64(y[i]) / sum)
	}
}
