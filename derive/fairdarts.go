package derive

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// The FairDARTS format: xiaomi-automl/FairDARTS's genotypes.py writes the
// cells its threshold rule derives as triples (op, to, from), to = node+2
// the node the op feeds and from the state it reads,
//
//	Genotype(normal=[('sep_conv_3x3', 2, 0), ('sep_conv_5x5', 2, 1), ('max_pool_3x3', 4, 0)], normal_concat=range(2, 6), reduce=[...], reduce_concat=range(2, 6))
//
// so that a node may have any number of inputs, none included. Its
// evaluation cell (model.py DCOCell) ignores the concat lists and
// concatenates every node that has a surviving input.

// Triple is one entry of a FairDARTS genotype list: Op feeds state To
// (intermediate node To-2) from state From.
type Triple struct {
	Op       string
	To, From int
}

// FromFairDARTS builds a DARTS-space genotype from the four fields of a
// FairDARTS genotype. Node To-2 gets the pair (Op, From) of each triple,
// in list order; the cells have max(To, concat)-1 nodes, so that
// range(2, 6) gives the four nodes of a DARTS cell even if the last one
// has no input. The concat lists are read only for that count: each
// cell concatenates its surviving nodes (Cell.LiveStates), as DCOCell.
func FromFairDARTS(normal []Triple, normalConcat []int, reduce []Triple, reduceConcat []int) (Genotype, error) {
	n, err := fairCell("normal", normal, normalConcat)
	if err != nil {
		return Genotype{}, err
	}
	r, err := fairCell("reduce", reduce, reduceConcat)
	if err != nil {
		return Genotype{}, err
	}
	return Genotype{Space: "darts", Cells: []Cell{n, r}}, nil
}

func fairCell(name string, ts []Triple, concat []int) (Cell, error) {
	states := 2
	for i, t := range ts {
		if t.To < 2 || t.To > maxFairState {
			return Cell{}, fmt.Errorf("genotype: %s cell: triple %d: to-state %d, want an intermediate node 2..%d", name, i, t.To, maxFairState)
		}
		if t.From < 0 || t.From >= t.To {
			return Cell{}, fmt.Errorf("genotype: %s cell: triple %d: from-state %d, want a state before %d (0..%d)", name, i, t.From, t.To, t.To-1)
		}
		states = max(states, t.To+1)
	}
	for i, s := range concat {
		if s < 0 || s > maxFairState {
			return Cell{}, fmt.Errorf("genotype: %s_concat[%d]: state %d out of range 0..%d", name, i, s, maxFairState)
		}
		states = max(states, s+1)
	}
	if states <= 2 {
		return Cell{}, fmt.Errorf("genotype: %s cell: no intermediate node (no triple and no concat state above 1)", name)
	}
	c := Cell{Name: name, Inputs: 2, Nodes: make([][]Pair, states-2)}
	for _, t := range ts {
		c.Nodes[t.To-2] = append(c.Nodes[t.To-2], Pair{Op: t.Op, Input: t.From})
	}
	c.Concat = c.LiveStates()
	return c, nil
}

// maxFairState bounds the states a FairDARTS text may name, so that a
// typo cannot allocate a huge cell.
const maxFairState = 1024

// FormatFairDARTS returns g as FairDARTS's genotypes.py writes a genotype:
// triples (op, to, from) node by node, concat lists range(2, 2+nodes) as
// its search prints them. It is an error if g does not fit that format: a
// normal and a reduce cell (space darts) with two inputs each, each cell's
// concat list its surviving nodes in node order (the only output
// DCOCell computes).
func (g Genotype) FormatFairDARTS() (string, error) {
	if len(g.Cells) != 2 || g.Cells[0].Name != "normal" || g.Cells[1].Name != "reduce" || (g.Space != "" && g.Space != "darts") {
		return "", fmt.Errorf("genotype: not of the FairDARTS format (a normal and a reduce cell of the DARTS space): %s", g.summary())
	}
	for _, c := range g.Cells {
		if c.Inputs != 2 || len(c.Nodes) == 0 {
			return "", fmt.Errorf("genotype: not of the FairDARTS format (two cell inputs, at least one node): %s", g.summary())
		}
		if live := c.LiveStates(); len(live) == 0 || !slices.Equal(c.Concat, live) {
			return "", fmt.Errorf("genotype: %s cell: concat %v is not its surviving nodes %v, which FairDARTS's cell concatenates", c.Name, c.Concat, live)
		}
	}
	var b strings.Builder
	b.WriteString("Genotype(")
	for i, c := range g.Cells {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(c.Name)
		b.WriteString("=[")
		first := true
		for k, node := range c.Nodes {
			for _, p := range node {
				if !first {
					b.WriteString(", ")
				}
				first = false
				fmt.Fprintf(&b, "(%s, %d, %d)", pyRepr(p.Op), k+2, p.Input)
			}
		}
		b.WriteString("], ")
		b.WriteString(c.Name)
		b.WriteString("_concat=range(2, ")
		b.WriteString(strconv.Itoa(len(c.Nodes) + 2))
		b.WriteString(")")
	}
	b.WriteString(")")
	return b.String(), nil
}
