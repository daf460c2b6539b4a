// Package retrain trains the discrete network of a genotype from scratch,
// as the original DARTS train.py does (SGD with momentum, cosine schedule,
// clipping, drop path, the auxiliary head, cutout), evaluates it on the
// test set, and reads and writes its trained weights (weights.dgo) and its
// training checkpoint.
//
// It uses package optim for the optimizer and package supernet for the
// network; it knows nothing of architecture search.
package retrain
