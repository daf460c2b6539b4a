// Package optim holds the optimizers and schedules shared by the
// architecture search and the retraining of a genotype: SGD with momentum
// and weight decay, Adam, the cosine learning-rate schedule as DARTS
// steps it, and gradient-norm clipping, all on the network's own parameter
// tensors (mixedop.Param) updated in place, with checkpointable state.
//
// It knows nothing about networks, data or loops.
package optim
