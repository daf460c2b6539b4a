package derive

import (
	"fmt"
	"slices"
	"strings"

	"github.com/darts-go/darts/space"
)

// Pair is one chosen edge of a cell: the operation and the state it reads
// (the cell's inputs first, then its intermediate nodes: for DARTS, 0 and 1
// are the two previous cells' outputs and 2.. the cell's nodes).
type Pair struct {
	Op    string
	Input int
}

// Cell is one cell type of a genotype, a DAG: Inputs cell inputs, then
// intermediate nodes, node k being the sum of its pairs' ops applied to the
// states they read (inputs or earlier nodes), and the states concatenated
// into the cell's output. A node may have any number of pairs; a node with
// none is dropped by the discrete network (FairDARTS's threshold rule
// yields such nodes), together with the pairs that read it.
type Cell struct {
	Name   string
	Inputs int
	Nodes  [][]Pair
	Concat []int
}

// Genotype is a discrete architecture: one Cell per cell type of its space
// (DARTS: "normal" and "reduce"; NAS-Bench-201: "cell").
type Genotype struct {
	Space string // "darts", "nas-bench-201", or "" when a file does not say
	Cells []Cell
}

// Cell returns the cell type called name.
func (g Genotype) Cell(name string) (Cell, bool) {
	i := slices.IndexFunc(g.Cells, func(c Cell) bool { return c.Name == name })
	if i < 0 {
		return Cell{}, false
	}
	return g.Cells[i], true
}

// States is the number of states: inputs, then nodes.
func (c Cell) States() int { return c.Inputs + len(c.Nodes) }

// Pairs lists the cell's pairs node by node.
func (c Cell) Pairs() []Pair {
	var ps []Pair
	for _, n := range c.Nodes {
		ps = append(ps, n...)
	}
	return ps
}

// Equal reports whether g and h describe the same architecture; nil and
// empty slices are equal, and a missing Space equals any.
func (g Genotype) Equal(h Genotype) bool {
	if g.Space != "" && h.Space != "" && g.Space != h.Space {
		return false
	}
	return slices.EqualFunc(g.Cells, h.Cells, func(a, b Cell) bool {
		return a.Name == b.Name && a.Inputs == b.Inputs && slices.Equal(a.Concat, b.Concat) &&
			slices.EqualFunc(a.Nodes, b.Nodes, func(x, y []Pair) bool { return slices.Equal(x, y) })
	})
}

// Clone returns a deep copy of g.
func (g Genotype) Clone() Genotype {
	out := Genotype{Space: g.Space, Cells: make([]Cell, len(g.Cells))}
	for i, c := range g.Cells {
		d := Cell{Name: c.Name, Inputs: c.Inputs, Concat: slices.Clone(c.Concat), Nodes: make([][]Pair, len(c.Nodes))}
		for k, n := range c.Nodes {
			d.Nodes[k] = slices.Clone(n)
		}
		out.Cells[i] = d
	}
	return out
}

// Validate checks that g is a well-formed genotype: at least one cell,
// distinct cell names, at least one input and one node per cell, every op
// registered (package space) and, if ops is not nil, one of ops, every pair
// of node k reading an input or an earlier node, and each concat list
// non-empty, without repeats, of existing states, none of them a node the
// discrete network drops (one without pairs, or whose pairs all read
// dropped nodes: see Live). Errors name the cell, the node or pair and what is wrong.
// Each format and each network adds its own shape rules (the DARTS text
// keeps two pairs per node; see FromDARTS).
func (g Genotype) Validate(ops []string) error {
	if len(g.Cells) == 0 {
		return fmt.Errorf("genotype: no cells")
	}
	for i, c := range g.Cells {
		if c.Name == "" {
			return fmt.Errorf("genotype: cell %d has no name", i)
		}
		if slices.ContainsFunc(g.Cells[:i], func(d Cell) bool { return d.Name == c.Name }) {
			return fmt.Errorf("genotype: cell %q appears twice", c.Name)
		}
		if err := c.validate(ops); err != nil {
			return err
		}
	}
	return nil
}

func (c Cell) validate(ops []string) error {
	if c.Inputs < 1 {
		return fmt.Errorf("genotype: %s cell: %d inputs, need at least 1", c.Name, c.Inputs)
	}
	if len(c.Nodes) == 0 {
		return fmt.Errorf("genotype: %s cell: no nodes", c.Name)
	}
	for k, node := range c.Nodes {
		for j, p := range node {
			if err := checkOp(p.Op, ops); err != nil {
				return fmt.Errorf("genotype: %s cell: node %d input %d: %w", c.Name, k, j, err)
			}
			if p.Input < 0 || p.Input >= c.Inputs+k {
				return fmt.Errorf("genotype: %s cell: node %d input %d: state %d out of range 0..%d", c.Name, k, j, p.Input, c.Inputs+k-1)
			}
		}
	}
	return c.validateConcat(c.Name + " cell: concat")
}

func (c Cell) validateConcat(label string) error {
	live := c.Live()
	if len(c.Concat) == 0 {
		if !slices.Contains(live, true) {
			return fmt.Errorf("genotype: %s is empty: no node of the %s cell has an input (a threshold rule kept no op), so the cell computes nothing", label, c.Name)
		}
		return fmt.Errorf("genotype: %s is empty", label)
	}
	for i, s := range c.Concat {
		if s < 0 || s >= c.States() {
			return fmt.Errorf("genotype: %s[%d]: state %d out of range 0..%d", label, i, s, c.States()-1)
		}
		if slices.Contains(c.Concat[:i], s) {
			return fmt.Errorf("genotype: %s[%d]: state %d repeated", label, i, s)
		}
		if s >= c.Inputs && len(c.Nodes[s-c.Inputs]) == 0 {
			return fmt.Errorf("genotype: %s[%d]: state %d is a node without inputs", label, i, s)
		}
		if s >= c.Inputs && !live[s-c.Inputs] {
			return fmt.Errorf("genotype: %s[%d]: state %d is a node whose inputs all read nodes without inputs, so it is dropped", label, i, s)
		}
	}
	return nil
}

// checkOp checks that op is registered and, if ops is not nil, in ops.
func checkOp(op string, ops []string) error {
	if ops == nil {
		return space.CheckOp(op)
	}
	if !slices.Contains(ops, op) {
		return fmt.Errorf("unknown op %q (known: %s)", op, strings.Join(ops, ", "))
	}
	return nil
}

// Live reports, for each node of c, whether it survives in the discrete
// network: a node is dropped when it has no pair reading an input or a
// surviving node (FairDARTS's DCOCell). Pairs that read a dropped node are
// skipped.
func (c Cell) Live() []bool {
	live := make([]bool, len(c.Nodes))
	for k, node := range c.Nodes {
		for _, p := range node {
			switch {
			case p.Input < 0 || p.Input >= c.Inputs+k:
				// Validate rejects it; here it keeps nothing alive.
			case p.Input < c.Inputs || live[p.Input-c.Inputs]:
				live[k] = true
			}
		}
	}
	return live
}
