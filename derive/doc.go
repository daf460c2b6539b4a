// Package derive is darts-go's genotype package: the discrete architectures
// a search derives (general DAG cells: any number of cell inputs, any
// number of inputs per node, any concat list), the derivation rules that
// turn architecture weights into them (DARTS's top-2 without 'none',
// argmax per edge with 'none', FairDARTS's threshold, ... as Rule values),
// and their formats: the original DARTS Genotype(...) text and its JSON,
// FairDARTS's text of (op, to, from) triples, the general JSON, the
// NAS-Bench-201 string and Graphviz DOT, with parsers that take what other
// tools write.
//
// It is light on purpose: it depends only on package space (topology and
// op names) and on no tensor or training code, so plots and other readers
// of run files use it without linking gorgonia. Retraining a genotype is
// package retrain's.
package derive
