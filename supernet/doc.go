// Package supernet builds networks out of mixedop's operations: the DARTS
// search network (mixed edges weighted by softmax(alpha)) and the discrete
// network of a genotype. It separates the parameters into network weights and
// architecture parameters.
//
// It owns no optimizer and no training loop.
package supernet
