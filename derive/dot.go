package derive

import (
	"fmt"
	"strconv"
	"strings"
)

// DOT returns a Graphviz digraph of both cells, one cluster each, drawn
// as the original visualize.py draws a cell: the inputs c_{k-2} and c_{k-1}
// (darkseagreen2), intermediate nodes 0..steps-1 (lightblue), the output
// c_{k} (palegoldenrod), one edge per pair labelled with its op, and an edge
// from every concatenated state to the output. Render with
// `dot -Tpng -o cells.png`.
func (g Genotype) DOT() string {
	var b strings.Builder
	b.WriteString("digraph genotype {\n")
	b.WriteString("  rankdir=LR;\n")
	b.WriteString("  node [style=filled, shape=rect, fontsize=20, height=0.5, width=0.5, penwidth=2];\n")
	b.WriteString("  edge [fontsize=20];\n")
	writeDOTCell(&b, "normal", "normal cell", g.Normal, g.NormalConcat)
	writeDOTCell(&b, "reduce", "reduction cell", g.Reduce, g.ReduceConcat)
	b.WriteString("}\n")
	return b.String()
}

// writeDOTCell writes one cluster. Node IDs carry the cell name because
// Graphviz node names are global to the graph; labels show the paper's
// names.
func writeDOTCell(b *strings.Builder, cell, title string, pairs []Pair, concat []int) {
	steps := (len(pairs) + 1) / 2
	id := func(state int) string {
		switch state {
		case 0:
			return dotQuote(cell + ":c_{k-2}")
		case 1:
			return dotQuote(cell + ":c_{k-1}")
		}
		return dotQuote(cell + ":" + strconv.Itoa(state-2))
	}
	out := dotQuote(cell + ":c_{k}")

	fmt.Fprintf(b, "  subgraph %s {\n", dotQuote("cluster_"+cell))
	fmt.Fprintf(b, "    label=%s;\n    fontsize=24;\n", dotQuote(title))
	fmt.Fprintf(b, "    %s [label=\"c_{k-2}\", fillcolor=darkseagreen2];\n", id(0))
	fmt.Fprintf(b, "    %s [label=\"c_{k-1}\", fillcolor=darkseagreen2];\n", id(1))
	for i := 0; i < steps; i++ {
		fmt.Fprintf(b, "    %s [label=\"%d\", fillcolor=lightblue];\n", id(i+2), i)
	}
	fmt.Fprintf(b, "    %s [label=\"c_{k}\", fillcolor=palegoldenrod];\n", out)
	for i, p := range pairs {
		if p.Input < 0 || p.Input > steps+1 {
			continue // Validate reports it; drawing it would invent a node
		}
		fmt.Fprintf(b, "    %s -> %s [label=%s];\n", id(p.Input), id(i/2+2), dotQuote(p.Op))
	}
	for _, c := range concat {
		if c < 0 || c > steps+1 {
			continue
		}
		fmt.Fprintf(b, "    %s -> %s;\n", id(c), out)
	}
	b.WriteString("  }\n")
}

// dotQuote makes s a Graphviz double-quoted ID. Backslash is doubled
// because Graphviz reads \n, \l, \N ... inside labels as escapes.
func dotQuote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\r", "")
	return `"` + r.Replace(s) + `"`
}
