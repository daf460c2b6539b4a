// Package space is the one owner of search-space topology in darts-go: the
// cell specification (how many inputs a cell takes, its intermediate nodes,
// the edges of its supernet as (node, input) pairs in architecture-row
// order, the states concatenated into its output), the architecture tensors
// a space declares (by name, rows = edges, columns = ops), and the registry
// of candidate-operation names that genotype parsers, --ops, plots and
// package mixedop's constructors all read.
//
// The DARTS CNN cell is one value of it (DARTS); other spaces are other
// values. The package is light: it holds descriptions only, no tensors and
// no gorgonia, so tools that only read run files (plots, derive) use it
// without linking the training code.
package space
