// Package kern holds the numerical kernels behind darts-go's custom gorgonia
// Ops: depthwise, pointwise and dense convolution, pooling, batch
// normalization and ReLU, forward and backward, in float32 and float64. Each
// fast kernel has a plain reference implementation it is tested against.
package kern
