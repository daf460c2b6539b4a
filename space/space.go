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
// parameter in the network ("alphas_normal"); Kind says what its values
// weight.
type Tensor struct {
	Name  string   `json:"name"`
	Param string   `json:"param"`
	Cell  string   `json:"cell"`
	Cols  []string `json:"cols"`
	Kind  string   `json:"kind,omitempty"`
}

// The kinds of architecture tensors.
const (
	// KindOps ("") is an op tensor: one column per candidate op, the
	// weights of the ops of every edge (DARTS's α).
	KindOps = ""
	// KindEdge is an edge tensor: one column, one value per edge, whose
	// weights are the softmax over the edges into each node (PC-DARTS's
	// edge normalization β). An edge's output is multiplied by its weight,
	// and so is its op weights' row when a genotype is derived.
	KindEdge = "edge"
)

// Space is a search space: its name, the candidate operations of its mixed
// edges (the columns of its op tensors, in order), its cell types and any
// architecture tensors besides the op tensors (Extra). Every cell type has
// one op tensor of the same name (see Tensors).
type Space struct {
	Name  string     `json:"name"`
	Ops   []string   `json:"ops"`
	Cells []CellType `json:"cells"`
	// Extra are further architecture tensors, after the op tensors: the
	// edge tensors of PC-DARTS's edge normalization (EdgeTensor).
	Extra []Tensor `json:"extra,omitempty"`
}

// EdgeTensor is the edge-normalization tensor of cell type cell (PC-DARTS
// model_search.py betas_normal, betas_reduce): "beta_<cell>", parameter
// "betas_<cell>", one column "edge".
func EdgeTensor(cell string) Tensor {
	return Tensor{Name: "beta_" + cell, Param: "betas_" + cell, Cell: cell, Cols: []string{"edge"}, Kind: KindEdge}
}

// WithEdgeTensors returns s with an edge tensor (EdgeTensor) for each of
// its cell types.
func (s Space) WithEdgeTensors() Space {
	s.Extra = slices.Clone(s.Extra)
	for _, c := range s.Cells {
		s.Extra = append(s.Extra, EdgeTensor(c.Name))
	}
	return s
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

// Tensors are the space's architecture tensors: its op tensors, one per
// cell type in cell order ("normal", parameter "alphas_normal", and
// "reduce" for DARTS), then Extra.
func (s Space) Tensors() []Tensor {
	ts := make([]Tensor, len(s.Cells), len(s.Cells)+len(s.Extra))
	for i, c := range s.Cells {
		ts[i] = Tensor{Name: c.Name, Param: "alphas_" + c.Name, Cell: c.Name, Cols: slices.Clone(s.Ops)}
	}
	for _, t := range s.Extra {
		t.Cols = slices.Clone(t.Cols)
		ts = append(ts, t)
	}
	return ts
}

// EdgeTensorOf returns the edge tensor (KindEdge) of cell type cell, if the
// space has one.
func (s Space) EdgeTensorOf(cell string) (Tensor, bool) {
	for _, t := range s.Extra {
		if t.Kind == KindEdge && t.Cell == cell {
			return t, true
		}
	}
	return Tensor{}, false
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
	return s.validateExtra()
}

// validateExtra checks the extra tensors: named apart from every other
// tensor (by name and parameter), of a cell type of the space, of a known
// kind other than ops, an edge tensor one column wide and the only one of
// its cell.
func (s Space) validateExtra() error {
	all := s.Tensors()
	for i, t := range all[len(s.Cells):] {
		i += len(s.Cells)
		switch {
		case t.Name == "" || t.Param == "":
			return fmt.Errorf("space %s: extra tensor %d: needs a name and a parameter name", s.Name, i-len(s.Cells))
		case slices.ContainsFunc(all[:i], func(u Tensor) bool { return u.Name == t.Name || u.Param == t.Param }):
			return fmt.Errorf("space %s: tensor %q (parameter %q): name or parameter taken by another tensor", s.Name, t.Name, t.Param)
		case !slices.ContainsFunc(s.Cells, func(c CellType) bool { return c.Name == t.Cell }):
			return fmt.Errorf("space %s: tensor %q: cell %q is not a cell type of the space", s.Name, t.Name, t.Cell)
		case t.Kind != KindEdge:
			return fmt.Errorf("space %s: tensor %q: kind %q: an extra tensor must be of kind %q", s.Name, t.Name, t.Kind, KindEdge)
		case len(t.Cols) != 1:
			return fmt.Errorf("space %s: edge tensor %q: %d columns, want 1", s.Name, t.Name, len(t.Cols))
		case slices.ContainsFunc(all[len(s.Cells):i], func(u Tensor) bool { return u.Kind == KindEdge && u.Cell == t.Cell }):
			return fmt.Errorf("space %s: tensor %q: a second edge tensor of the %s cell", s.Name, t.Name, t.Cell)
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
