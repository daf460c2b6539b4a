package space

import (
	"fmt"
	"slices"
)

// Edge is one edge of a cell: intermediate node Node (counting from 0) reads
// state Input. States 0..Inputs-1 are the cell's inputs, state Inputs+k is
// intermediate node k.
type Edge struct {
	Node  int `json:"node"`
	Input int `json:"input"`
}

// Cell is the topology of one cell type of a supernet: its inputs, its
// intermediate nodes (each the sum of its incoming edges), the edges in the
// order of the rows of its architecture tensors, and the states whose
// concatenation along the channels is the cell's output.
type Cell struct {
	Inputs int    `json:"inputs"`
	Nodes  int    `json:"nodes"`
	Edges  []Edge `json:"edges"`
	Concat []int  `json:"concat"`
	// InputNames label the cell's inputs in figures and DOT ("c_{k-2}",
	// "c_{k-1}" for DARTS); nil gives "in 0", "in 1", ...
	InputNames []string `json:"input_names,omitempty"`
	// FirstNode is the number figures give intermediate node 0: DARTS
	// counts its nodes from 0, NAS-Bench-201 from 1 (its input is node 0).
	FirstNode int `json:"first_node,omitempty"`
}

// States is the number of states: inputs, then intermediate nodes.
func (c Cell) States() int { return c.Inputs + c.Nodes }

// NodeState is the state index of intermediate node k.
func (c Cell) NodeState(k int) int { return c.Inputs + k }

// InEdges returns the indices (rows) of the edges into intermediate node k,
// in row order.
func (c Cell) InEdges(k int) []int {
	var es []int
	for i, e := range c.Edges {
		if e.Node == k {
			es = append(es, i)
		}
	}
	return es
}

// StateName names state s for figures and DOT: an input by InputNames, an
// intermediate node as "node <k+FirstNode>".
func (c Cell) StateName(s int) string {
	if s < c.Inputs {
		if s < len(c.InputNames) {
			return c.InputNames[s]
		}
		return fmt.Sprintf("in %d", s)
	}
	return fmt.Sprintf("node %d", s-c.Inputs+c.FirstNode)
}

// EdgeName names edge e: "node 2 ← c_{k-1}".
func (c Cell) EdgeName(e int) string {
	ed := c.Edges[e]
	return fmt.Sprintf("%s ← %s", c.StateName(c.NodeState(ed.Node)), c.StateName(ed.Input))
}

// Validate checks that the topology is a DAG a supernet can be built from:
// at least one input and one node, every edge into an existing node from an
// input or an earlier node, no edge twice, every node with an incoming edge,
// edges grouped by node in increasing node order (the row order every
// space here uses), and a non-empty concat list of distinct states.
func (c Cell) Validate() error {
	switch {
	case c.Inputs < 1:
		return fmt.Errorf("cell: %d inputs, need at least 1", c.Inputs)
	case c.Nodes < 1:
		return fmt.Errorf("cell: %d intermediate nodes, need at least 1", c.Nodes)
	case len(c.Edges) == 0:
		return fmt.Errorf("cell: no edges")
	}
	for i, e := range c.Edges {
		if e.Node < 0 || e.Node >= c.Nodes {
			return fmt.Errorf("cell: edge %d goes into node %d, the cell has nodes 0..%d", i, e.Node, c.Nodes-1)
		}
		if e.Input < 0 || e.Input >= c.NodeState(e.Node) {
			return fmt.Errorf("cell: edge %d (node %d) reads state %d, want 0..%d (an input or an earlier node)", i, e.Node, e.Input, c.NodeState(e.Node)-1)
		}
		if i > 0 && e.Node < c.Edges[i-1].Node {
			return fmt.Errorf("cell: edge %d goes into node %d after an edge into node %d: edges must be grouped by node in increasing order", i, e.Node, c.Edges[i-1].Node)
		}
		if slices.Contains(c.Edges[:i], e) {
			return fmt.Errorf("cell: edge %d (node %d ← state %d) appears twice", i, e.Node, e.Input)
		}
	}
	for k := 0; k < c.Nodes; k++ {
		if len(c.InEdges(k)) == 0 {
			return fmt.Errorf("cell: node %d has no incoming edge", k)
		}
	}
	if len(c.Concat) == 0 {
		return fmt.Errorf("cell: empty concat list")
	}
	for i, s := range c.Concat {
		if s < 0 || s >= c.States() {
			return fmt.Errorf("cell: concat[%d]: state %d out of range 0..%d", i, s, c.States()-1)
		}
		if slices.Contains(c.Concat[:i], s) {
			return fmt.Errorf("cell: concat[%d]: state %d repeated", i, s)
		}
	}
	if len(c.InputNames) > c.Inputs {
		return fmt.Errorf("cell: %d input names for %d inputs", len(c.InputNames), c.Inputs)
	}
	return nil
}

// DARTSCell is the DARTS CNN cell (quark0/darts model_search.py Cell): two
// inputs (the outputs of the two previous cells), steps intermediate nodes,
// node i reading every earlier state (inputs first), edges in the order
// node 0 ← 0, 1; node 1 ← 0, 1, 2; ... (steps·(steps+3)/2 edges: 14 for 4
// steps), and the output concatenating the last multiplier nodes:
// range(2+steps-multiplier, steps+2).
func DARTSCell(steps, multiplier int) Cell {
	c := Cell{Inputs: 2, Nodes: steps, InputNames: []string{"c_{k-2}", "c_{k-1}"}}
	for i := 0; i < steps; i++ {
		for j := 0; j < i+2; j++ {
			c.Edges = append(c.Edges, Edge{Node: i, Input: j})
		}
	}
	for s := 2 + steps - multiplier; s < steps+2; s++ {
		c.Concat = append(c.Concat, s)
	}
	return c
}

// DARTSSteps returns the number of intermediate nodes of a DARTS cell with
// the given number of edges (steps·(steps+3)/2), or an error if no whole
// number of nodes has that many edges.
func DARTSSteps(edges int) (int, error) {
	total := 0
	for steps := 1; total < edges; steps++ {
		total += steps + 1
		if total == edges {
			return steps, nil
		}
	}
	return 0, fmt.Errorf("%d edges is not steps*(steps+3)/2 for any steps >= 1 (2, 5, 9, 14, 20, ...)", edges)
}
