package derive

import (
	"fmt"
	"slices"
)

// The DARTS format: the original namedtuple
//
//	Genotype(normal=[('sep_conv_3x3', 0), ...], normal_concat=[2, 3, 4, 5], reduce=[...], reduce_concat=[2, 3, 4, 5])
//
// and its JSON twin in genotype.json carry a "normal" and a "reduce" cell
// with two cell inputs and exactly two pairs per node (node k's pairs at
// 2k and 2k+1 of the flat list). These are that format's shape rules.

// FromDARTS builds a DARTS-space genotype from the four fields of the
// original namedtuple, checking the DARTS format's shape rules (two pairs
// per node, pair 2k or 2k+1 reading a state in 0..k+1) and the concat
// lists. Ops are checked against the registry when the genotype is
// validated (Validate), not here.
func FromDARTS(normal []Pair, normalConcat []int, reduce []Pair, reduceConcat []int) (Genotype, error) {
	n, err := dartsCell("normal", normal, normalConcat)
	if err != nil {
		return Genotype{}, err
	}
	r, err := dartsCell("reduce", reduce, reduceConcat)
	if err != nil {
		return Genotype{}, err
	}
	return Genotype{Space: "darts", Cells: []Cell{n, r}}, nil
}

// MustDARTS is FromDARTS for genotypes known to be well formed (tests,
// tables of published cells); it panics otherwise.
func MustDARTS(normal []Pair, normalConcat []int, reduce []Pair, reduceConcat []int) Genotype {
	g, err := FromDARTS(normal, normalConcat, reduce, reduceConcat)
	if err != nil {
		panic(err)
	}
	return g
}

func dartsCell(name string, pairs []Pair, concat []int) (Cell, error) {
	if len(pairs) == 0 {
		return Cell{}, fmt.Errorf("genotype: %s cell: no pairs (want 2 per intermediate node)", name)
	}
	if len(pairs)%2 != 0 {
		return Cell{}, fmt.Errorf("genotype: %s cell: %d pairs, want an even number (2 per intermediate node)", name, len(pairs))
	}
	c := Cell{Name: name, Inputs: 2, Concat: slices.Clone(concat)}
	for i := 0; i < len(pairs); i += 2 {
		c.Nodes = append(c.Nodes, slices.Clone(pairs[i:i+2]))
	}
	for i, p := range pairs {
		if node := i / 2; p.Input < 0 || p.Input > node+1 {
			return Cell{}, fmt.Errorf("genotype: %s cell: pair %d (node %d): input %d out of range 0..%d", name, i, node, p.Input, node+1)
		}
	}
	if err := c.validateConcat(name + "_concat"); err != nil {
		return Cell{}, err
	}
	return c, nil
}

// IsDARTS reports whether g has the DARTS format's shape: a normal and a
// reduce cell, in that order, with two inputs and two pairs per node.
func (g Genotype) IsDARTS() bool {
	if len(g.Cells) != 2 || g.Cells[0].Name != "normal" || g.Cells[1].Name != "reduce" || (g.Space != "" && g.Space != "darts") {
		return false
	}
	for _, c := range g.Cells {
		if c.Inputs != 2 || len(c.Nodes) == 0 {
			return false
		}
		for _, n := range c.Nodes {
			if len(n) != 2 {
				return false
			}
		}
	}
	return true
}

// DARTSFields returns the four fields of the original namedtuple, or an
// error saying why g does not fit the DARTS format.
func (g Genotype) DARTSFields() (normal []Pair, normalConcat []int, reduce []Pair, reduceConcat []int, err error) {
	if !g.IsDARTS() {
		return nil, nil, nil, nil, fmt.Errorf("genotype: not of the DARTS format (a normal and a reduce cell with two inputs and two pairs per node): %s", g.summary())
	}
	n, r := g.Cells[0], g.Cells[1]
	return n.Pairs(), slices.Clone(n.Concat), r.Pairs(), slices.Clone(r.Concat), nil
}

// summary describes g's shape for error messages.
func (g Genotype) summary() string {
	s := "space " + g.Space
	if g.Space == "" {
		s = "no space"
	}
	for _, c := range g.Cells {
		counts := make([]int, len(c.Nodes))
		for k, n := range c.Nodes {
			counts[k] = len(n)
		}
		s += fmt.Sprintf("; %s cell: %d inputs, pairs per node %v", c.Name, c.Inputs, counts)
	}
	return s
}

// Steps is the number of intermediate nodes of the first cell (the normal
// cell of a DARTS genotype).
func (g Genotype) Steps() int {
	if len(g.Cells) == 0 {
		return 0
	}
	return len(g.Cells[0].Nodes)
}
