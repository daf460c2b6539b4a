package derive

import (
	"fmt"
	"strconv"
	"strings"
)

// The NAS-Bench-201 string form of a cell (AutoDL-Projects'
// Structure.tostr / str2structure): one "|op~j|op~j|" group per node, node
// 1 first, joined by '+', each op~j an edge from state j (0 is the cell's
// input, i the i-th node):
//
//	|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|
//
// The cell's output is its last node. As a Genotype it is one cell named
// "cell" with one input.

// NB201CellName is the name of the one cell type of a NAS-Bench-201
// genotype.
const NB201CellName = "cell"

// FormatNB201 returns g as AutoDL's Structure.tostr writes it. It is an
// error if g is not one cell with one input whose output is its last node.
func (g Genotype) FormatNB201() (string, error) {
	if len(g.Cells) != 1 || (g.Space != "" && g.Space != "nas-bench-201") {
		return "", fmt.Errorf("genotype: not of the NAS-Bench-201 format (one cell): %s", g.summary())
	}
	c := g.Cells[0]
	if c.Inputs != 1 || len(c.Nodes) == 0 || len(c.Concat) != 1 || c.Concat[0] != len(c.Nodes) {
		return "", fmt.Errorf("genotype: not of the NAS-Bench-201 format (one input, output = last node): %s", g.summary())
	}
	var b strings.Builder
	for k, node := range c.Nodes {
		if k > 0 {
			b.WriteByte('+')
		}
		b.WriteByte('|')
		for _, p := range node {
			b.WriteString(p.Op)
			b.WriteByte('~')
			b.WriteString(strconv.Itoa(p.Input))
			b.WriteByte('|')
		}
		if len(node) == 0 {
			b.WriteByte('|')
		}
	}
	return b.String(), nil
}

// ParseNB201 reads the NAS-Bench-201 string form as AutoDL's str2structure
// does (split on '+', then on '|' dropping empty parts, then on '~'), and
// validates the result: every op registered, every input an integer state
// that exists before its node (0..i for node i+1). Surrounding white space
// (a file's final newline) is ignored; white space inside is not, as in
// AutoDL.
func ParseNB201(s string) (Genotype, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Genotype{}, fmt.Errorf("genotype: empty NAS-Bench-201 string")
	}
	c := Cell{Name: NB201CellName, Inputs: 1}
	for i, nodeStr := range strings.Split(s, "+") {
		var node []Pair
		for _, in := range strings.Split(nodeStr, "|") {
			if in == "" {
				continue
			}
			parts := strings.Split(in, "~")
			if len(parts) != 2 {
				return Genotype{}, fmt.Errorf("genotype: NAS-Bench-201 string: node %d: %q is not op~input", i+1, in)
			}
			j, err := strconv.Atoi(parts[1])
			if err != nil {
				return Genotype{}, fmt.Errorf("genotype: NAS-Bench-201 string: node %d: %q: input %q is not an integer", i+1, in, parts[1])
			}
			node = append(node, Pair{Op: parts[0], Input: j})
		}
		c.Nodes = append(c.Nodes, node)
	}
	c.Concat = []int{len(c.Nodes)}
	g := Genotype{Space: "nas-bench-201", Cells: []Cell{c}}
	for k, node := range c.Nodes {
		if len(node) == 0 {
			return Genotype{}, fmt.Errorf("genotype: NAS-Bench-201 string: node %d has no inputs", k+1)
		}
	}
	if err := g.Validate(nil); err != nil {
		return Genotype{}, err
	}
	return g, nil
}

// Reachable reports whether the cell's output depends on its inputs
// through ops other than 'none' (the NAS-Bench-201 API's check_valid, for
// any cell): a cell where it does not computes a constant, and a network of
// it cannot learn.
func (c Cell) Reachable() bool {
	reach := make([]bool, c.States())
	for s := 0; s < c.Inputs && s < len(reach); s++ {
		reach[s] = true
	}
	for k, node := range c.Nodes {
		for _, p := range node {
			if p.Op != "none" && p.Input >= 0 && p.Input < len(reach) && reach[p.Input] {
				reach[c.Inputs+k] = true
			}
		}
	}
	for _, s := range c.Concat {
		if s >= 0 && s < len(reach) && reach[s] {
			return true
		}
	}
	return false
}

// Unreachable lists the cells of g whose output is not reachable from
// their inputs (see Cell.Reachable).
func (g Genotype) Unreachable() []string {
	var out []string
	for _, c := range g.Cells {
		if !c.Reachable() {
			out = append(out, c.Name)
		}
	}
	return out
}

// ReachabilityWarning is a warning about g's unreachable cells, or "".
func (g Genotype) ReachabilityWarning() string {
	u := g.Unreachable()
	if len(u) == 0 {
		return ""
	}
	return fmt.Sprintf("the output of the %s cell is not reachable from its input through ops other than 'none': a network of it computes a constant", strings.Join(u, ", "))
}
