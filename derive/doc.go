// Package derive turns architecture weights into a discrete genotype with the
// DARTS derivation rule, reads and writes genotypes (JSON, the original DARTS
// Genotype(...) text, Graphviz DOT), and retrains and evaluates the derived
// network.
//
// It does no plotting.
package derive
