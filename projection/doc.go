// Package projection is DARTS-PT's architecture selection (Wang et al.,
// "Rethinking Architecture Selection in Differentiable NAS", ICLR 2021;
// ruocwang/darts-pt sota/cnn/projection.py): on a trained supernet, each
// edge's op is the one whose removal hurts the supernet's search-val
// accuracy most, decided one edge at a time in a random order with a few
// epochs of tuning (weights and alphas) between decisions, and then each
// node keeps the two incoming edges whose removals hurt most.
//
// Selector runs the procedure over a Tuner (the supernet it decides on);
// Network is the Tuner of a bilevel search whose relaxation is this
// package's Relaxation around the search's own, which replaces decided
// rows by one-hot or zero rows and zeroes the probed op or edge. The
// visiting order is a pure function of (seed, round, cell type).
//
// It touches the supernet and the search it is given, and no file: the
// run directory is package job's.
package projection
