// Package supernet builds networks out of mixedop's operations on the
// topologies of package space: the search supernet (cells of mixed edges
// on any space.Cell, architecture tensors by name, turned into edge
// weights by a relax.Relaxation; PC-DARTS's partial channels and edge
// normalization and DARTS-'s auxiliary skip are Config settings, built in
// pcdarts.go and dartsminus.go) and the discrete network of a genotype
// (derive.Cell DAGs, affine BatchNorm, drop path, auxiliary head), each
// with the macro skeleton of its space (macro.go: DARTS's stem, reduction
// cells and preprocessing) and runners that feed batches forward and
// backward. It separates the parameters into network weights and
// architecture tensors, and estimates a run's memory.
//
// It owns no optimizer and no training loop.
package supernet
