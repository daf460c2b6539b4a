package derive

import (
	"fmt"
	"strconv"
	"strings"
)

// DOT returns a Graphviz digraph of every cell of g, one cluster each,
// drawn as the original visualize.py draws a cell: the cell's inputs
// (darkseagreen2), its intermediate nodes (lightblue), its output
// (palegoldenrod), one edge per pair labelled with its op, and an edge from
// every concatenated state to the output. Nodes without inputs (dropped by
// the discrete network) are drawn dashed. Render with
// `dot -Tpng -o cells.png`.
func (g Genotype) DOT() string {
	var b strings.Builder
	b.WriteString("digraph genotype {\n")
	b.WriteString("  rankdir=LR;\n")
	b.WriteString("  node [style=filled, shape=rect, fontsize=20, height=0.5, width=0.5, penwidth=2];\n")
	b.WriteString("  edge [fontsize=20];\n")
	for _, c := range g.Cells {
		writeDOTCell(&b, c)
	}
	b.WriteString("}\n")
	return b.String()
}

// StateLabel names state s of cell c as figures and DOT show it: a DARTS
// cell (two inputs) has c_{k-2}, c_{k-1} and nodes 0, 1, ...; a
// NAS-Bench-201 cell (one input) numbers its input 0 and its nodes from 1;
// other cells have inputs "in 0", "in 1", ... and nodes 0, 1, ...
func StateLabel(c Cell, s int) string {
	switch {
	case c.Inputs == 2 && s < 2:
		return [2]string{"c_{k-2}", "c_{k-1}"}[s]
	case c.Inputs == 1:
		return strconv.Itoa(s)
	case s < c.Inputs:
		return "in " + strconv.Itoa(s)
	}
	return strconv.Itoa(s - c.Inputs)
}

// OutputLabel names the output of cell c: c_{k} for a cell with two inputs
// (DARTS), "output" otherwise.
func OutputLabel(c Cell) string {
	if c.Inputs == 2 {
		return "c_{k}"
	}
	return "output"
}

// writeDOTCell writes one cluster. Node IDs carry the cell name because
// Graphviz node names are global to the graph; labels show the paper's
// names.
func writeDOTCell(b *strings.Builder, c Cell) {
	id := func(state int) string { return dotQuote(c.Name + ":" + StateLabel(c, state)) }
	out := dotQuote(c.Name + ":" + OutputLabel(c))
	title := c.Name + " cell"
	if c.Name == "reduce" {
		title = "reduction cell"
	}
	fmt.Fprintf(b, "  subgraph %s {\n", dotQuote("cluster_"+c.Name))
	fmt.Fprintf(b, "    label=%s;\n    fontsize=24;\n", dotQuote(title))
	for s := 0; s < c.Inputs; s++ {
		fmt.Fprintf(b, "    %s [label=%s, fillcolor=darkseagreen2];\n", id(s), dotQuote(StateLabel(c, s)))
	}
	live := c.Live()
	for k := range c.Nodes {
		style := ""
		if !live[k] {
			style = ", style=\"filled,dashed\""
		}
		fmt.Fprintf(b, "    %s [label=%s, fillcolor=lightblue%s];\n", id(c.Inputs+k), dotQuote(StateLabel(c, c.Inputs+k)), style)
	}
	fmt.Fprintf(b, "    %s [label=%s, fillcolor=palegoldenrod];\n", out, dotQuote(OutputLabel(c)))
	for k, node := range c.Nodes {
		for _, p := range node {
			if p.Input < 0 || p.Input >= c.Inputs+k {
				continue // Validate reports it; drawing it would invent a node
			}
			fmt.Fprintf(b, "    %s -> %s [label=%s];\n", id(p.Input), id(c.Inputs+k), dotQuote(p.Op))
		}
	}
	for _, s := range c.Concat {
		if s < 0 || s >= c.States() {
			continue
		}
		fmt.Fprintf(b, "    %s -> %s;\n", id(s), out)
	}
	b.WriteString("  }\n")
}

// dotQuote makes s a Graphviz double-quoted ID. Backslash is doubled
// because Graphviz reads \n, \l, \N ... inside labels as escapes.
func dotQuote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\r", "")
	return `"` + r.Replace(s) + `"`
}
