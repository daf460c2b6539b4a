package derive

import (
	"fmt"
	"slices"
	"strings"
)

// Pair is one chosen edge of a cell: the operation and the index of the
// state it reads (0 and 1 are the two previous cells' outputs, 2.. the
// cell's intermediate nodes).
type Pair struct {
	Op    string
	Input int
}

// Genotype is a discrete DARTS architecture: for each cell type, two Pairs
// per intermediate node (node k's pairs at 2k and 2k+1) and the states
// concatenated into the cell's output.
type Genotype struct {
	Normal       []Pair
	NormalConcat []int
	Reduce       []Pair
	ReduceConcat []int
}

// KnownOps is the union of the DARTS and NAS-Bench-201 operation names. The
// parsers check op names against it, since a file alone does not say which
// op set produced it; callers that know their op set call Validate with it.
var KnownOps = []string{
	"none",
	"max_pool_3x3",
	"avg_pool_3x3",
	"skip_connect",
	"sep_conv_3x3",
	"sep_conv_5x5",
	"dil_conv_3x3",
	"dil_conv_5x5",
	"nor_conv_1x1",
	"nor_conv_3x3",
}

// Steps is the number of intermediate nodes of the normal cell (two pairs
// per node); Validate checks that the reduction cell has as many.
func (g Genotype) Steps() int { return len(g.Normal) / 2 }

// Equal reports whether g and h describe the same architecture; nil and
// empty slices are equal.
func (g Genotype) Equal(h Genotype) bool {
	return slices.Equal(g.Normal, h.Normal) && slices.Equal(g.Reduce, h.Reduce) &&
		slices.Equal(g.NormalConcat, h.NormalConcat) && slices.Equal(g.ReduceConcat, h.ReduceConcat)
}

// Validate checks that g is a well-formed cell pair over the given ops: each
// cell has two pairs per intermediate node, both cells have the same number
// of nodes, every op is one of primitives, pair 2k or 2k+1 (node k) reads a
// state in 0..k+1, and each concat list is non-empty, without repeats, with
// states in 0..steps+1. The error names the cell, the pair or concat index
// and what is wrong.
func (g Genotype) Validate(primitives []string) error {
	if err := validateCell("normal", g.Normal, g.NormalConcat, primitives); err != nil {
		return err
	}
	if err := validateCell("reduce", g.Reduce, g.ReduceConcat, primitives); err != nil {
		return err
	}
	if len(g.Normal) != len(g.Reduce) {
		return fmt.Errorf("genotype: normal cell has %d nodes but reduce cell has %d",
			len(g.Normal)/2, len(g.Reduce)/2)
	}
	return nil
}

func validateCell(cell string, pairs []Pair, concat []int, primitives []string) error {
	if len(pairs) == 0 {
		return fmt.Errorf("genotype: %s cell: no pairs (want 2 per intermediate node)", cell)
	}
	if len(pairs)%2 != 0 {
		return fmt.Errorf("genotype: %s cell: %d pairs, want an even number (2 per intermediate node)", cell, len(pairs))
	}
	for i, p := range pairs {
		if !slices.Contains(primitives, p.Op) {
			return fmt.Errorf("genotype: %s cell: pair %d: unknown op %q (known: %s)",
				cell, i, p.Op, strings.Join(primitives, ", "))
		}
		node := i / 2
		if p.Input < 0 || p.Input > node+1 {
			return fmt.Errorf("genotype: %s cell: pair %d (node %d): input %d out of range 0..%d",
				cell, i, node, p.Input, node+1)
		}
	}
	steps := len(pairs) / 2
	if len(concat) == 0 {
		return fmt.Errorf("genotype: %s_concat is empty", cell)
	}
	for i, c := range concat {
		if c < 0 || c > steps+1 {
			return fmt.Errorf("genotype: %s_concat[%d]: state %d out of range 0..%d", cell, i, c, steps+1)
		}
		if slices.Contains(concat[:i], c) {
			return fmt.Errorf("genotype: %s_concat[%d]: state %d repeated", cell, i, c)
		}
	}
	return nil
}
