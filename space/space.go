package space

import (
	"fmt"
	"slices"
)

// CellType is one kind of cell of a space with its topology: DARTS has a
// "normal" and a "reduce" cell, NAS-Bench-201 a single "cell".
type CellType struct {
	Name string `json:"name"`
	Cell Cell   `json:"cell"`
}

// Tensor is one architecture tensor of a supernet: a matrix whose rows are
// the edges of one cell type (in its Edges order) and whose columns are
// Cols — the candidate ops for the op weights (DARTS's alphas), or a single
// column for per-edge weights (PC-DARTS's betas). Name keys it in
// alphas.jsonl, checkpoints, derivation and plots; Param is the name of the
// parameter in the network ("alphas_normal").
type Tensor struct {
	Name  string   `json:"name"`
	Param string   `json:"param"`
	Cell  string   `json:"cell"`
	Cols  []string `json:"cols"`
}

// Space is a search space: its name, the candidate operations of its mixed
// edges (the columns of its op tensors, in order) and its cell types. Every
// cell type has one op tensor of the same name (see Tensors).
type Space struct {
	Name  string     `json:"name"`
	Ops   []string   `json:"ops"`
	Cells []CellType `json:"cells"`
}

// DARTS is the DARTS CNN search space: a normal and a reduction cell of
// DARTSCell(steps, multiplier) over ops (DARTSOps by default).
func DARTS(steps, multiplier int, ops []string) Space {
	c := DARTSCell(steps, multiplier)
	return Space{Name: DARTSName, Ops: slices.Clone(ops), Cells: []CellType{{"normal", c}, {"reduce", c}}}
}

// CellType returns the cell type called name.
func (s Space) CellType(name string) (CellType, bool) {
	i := slices.IndexFunc(s.Cells, func(c CellType) bool { return c.Name == name })
	if i < 0 {
		return CellType{}, false
	}
	return s.Cells[i], true
}

// Tensors are the space's op tensors, one per cell type, in cell order:
// "normal" (parameter "alphas_normal") and "reduce" for DARTS.
func (s Space) Tensors() []Tensor {
	ts := make([]Tensor, len(s.Cells))
	for i, c := range s.Cells {
		ts[i] = Tensor{Name: c.Name, Param: "alphas_" + c.Name, Cell: c.Name, Cols: slices.Clone(s.Ops)}
	}
	return ts
}

// Validate checks the space: a name, registered distinct ops, at least one
// cell type, distinct cell names, valid topologies.
func (s Space) Validate() error {
	if s.Name == "" {
		return fmt.Errorf("space: no name")
	}
	if len(s.Ops) == 0 {
		return fmt.Errorf("space %s: no candidate ops", s.Name)
	}
	for i, o := range s.Ops {
		if err := CheckOp(o); err != nil {
			return fmt.Errorf("space %s: %w", s.Name, err)
		}
		if slices.Contains(s.Ops[:i], o) {
			return fmt.Errorf("space %s: op %q listed twice", s.Name, o)
		}
	}
	if len(s.Cells) == 0 {
		return fmt.Errorf("space %s: no cell types", s.Name)
	}
	for i, c := range s.Cells {
		if c.Name == "" {
			return fmt.Errorf("space %s: cell type %d has no name", s.Name, i)
		}
		if slices.ContainsFunc(s.Cells[:i], func(d CellType) bool { return d.Name == c.Name }) {
			return fmt.Errorf("space %s: cell type %q listed twice", s.Name, c.Name)
		}
		if err := c.Cell.Validate(); err != nil {
			return fmt.Errorf("space %s: %s %w", s.Name, c.Name, err)
		}
	}
	return nil
}

// NB201Cell is the NAS-Bench-201 cell (AutoDL-Projects NAS201SearchCell):
// one input (node 0), nodes 1..3, node i summing an edge from every
// earlier node, edges in AutoDL's row order 1←0, 2←0, 2←1, 3←0, 3←1, 3←2
// (its "i<-j" keys sorted as strings), output = node 3.
func NB201Cell() Cell { return NB201CellOf(4) }

// NB201CellOf is AutoDL's NAS201SearchCell of maxNodes nodes (the input
// and maxNodes-1 intermediate nodes), edges in its row order (the "i<-j"
// keys sorted, which is i then j increasing), output = the last node.
func NB201CellOf(maxNodes int) Cell {
	nodes := maxNodes - 1
	c := Cell{Inputs: 1, Nodes: nodes, Concat: []int{nodes}, InputNames: []string{"node 0"}, FirstNode: 1}
	for i := 0; i < nodes; i++ {
		for j := 0; j <= i; j++ {
			c.Edges = append(c.Edges, Edge{Node: i, Input: j})
		}
	}
	return c
}

// The names of the spaces darts-go builds.
const (
	DARTSName = "darts"
	NB201Name = "nas-bench-201"
)

// Names lists the spaces darts-go builds networks of.
func Names() []string { return []string{DARTSName, NB201Name} }

// NB201 is the NAS-Bench-201 search space: one cell type, "cell", shared by
// all 15 cells of the network, over ops (NB201Ops by default).
func NB201(ops []string) Space {
	return Space{Name: NB201Name, Ops: slices.Clone(ops), Cells: []CellType{{"cell", NB201Cell()}}}
}
