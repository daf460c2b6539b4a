package derive

import (
	"bytes"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/darts-go/darts/space"
)

func must(g Genotype, err error) Genotype {
	if err != nil {
		panic(err)
	}
	return g
}

var nb201Example = must(ParseNB201("|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|none~1|skip_connect~2|"))

var (
	dotNode = regexp.MustCompile(`(?m)^\s+"([^"]+)" \[label="([^"]*)", fillcolor=(\w+)\];$`)
	dotEdge = regexp.MustCompile(`(?m)^\s+"([^"]+)" -> "([^"]+)"( \[label="([^"]*)"\])?;$`)
)

func TestDOTStructure(t *testing.T) {
	g := dartsV1.Clone()
	g.Cells[0].Concat = []int{0, 3, 5} // concat may include an input state
	dot := g.DOT()
	if !strings.HasPrefix(dot, "digraph ") || strings.Count(dot, "{") != strings.Count(dot, "}") {
		t.Fatalf("not a balanced digraph:\n%s", dot)
	}
	for _, cluster := range []string{`subgraph "cluster_normal"`, `subgraph "cluster_reduce"`} {
		if strings.Count(dot, cluster) != 1 {
			t.Errorf("want one %s", cluster)
		}
	}

	colors := map[string]int{}
	nodes := map[string]bool{}
	for _, m := range dotNode.FindAllStringSubmatch(dot, -1) {
		if nodes[m[1]] {
			t.Errorf("node %s declared twice", m[1])
		}
		nodes[m[1]] = true
		colors[m[3]]++
	}
	// Per cell: 2 inputs, 4 intermediate nodes, 1 output.
	if want := map[string]int{"darkseagreen2": 4, "lightblue": 8, "palegoldenrod": 2}; len(colors) != 3 ||
		colors["darkseagreen2"] != want["darkseagreen2"] || colors["lightblue"] != want["lightblue"] || colors["palegoldenrod"] != want["palegoldenrod"] {
		t.Errorf("node colours %v, want %v", colors, want)
	}

	var opEdges, outEdges []string
	for _, m := range dotEdge.FindAllStringSubmatch(dot, -1) {
		if !nodes[m[1]] || !nodes[m[2]] {
			t.Errorf("edge %s -> %s uses an undeclared node", m[1], m[2])
		}
		if m[3] != "" {
			opEdges = append(opEdges, m[1]+">"+m[2]+":"+m[4])
		} else {
			outEdges = append(outEdges, m[1]+">"+m[2])
		}
	}
	if len(opEdges) != 16 {
		t.Errorf("%d op edges, want 16 (8 pairs per cell)", len(opEdges))
	}
	// normal concat [0 3 5] gives 3 edges, reduce [2 3 4 5] gives 4.
	if len(outEdges) != 7 {
		t.Errorf("%d output edges %v, want 7", len(outEdges), outEdges)
	}
	for _, want := range []string{
		"normal:c_{k-1}>normal:0:sep_conv_3x3", // DARTS_V1 normal pair 0
		"normal:0>normal:3:skip_connect",       // normal pair 7 reads state 2 = node 0
		"reduce:c_{k-2}>reduce:3:avg_pool_3x3", // reduce pair 7
	} {
		if !slices.Contains(opEdges, want) {
			t.Errorf("missing op edge %s in %v", want, opEdges)
		}
	}
	for _, want := range []string{"normal:c_{k-2}>normal:c_{k}", "normal:1>normal:c_{k}", "normal:3>normal:c_{k}", "reduce:0>reduce:c_{k}"} {
		if !slices.Contains(outEdges, want) {
			t.Errorf("missing output edge %s in %v", want, outEdges)
		}
	}
}

func TestDOTQuoting(t *testing.T) {
	g := small.Clone()
	g.Cells[0].Nodes[0] = []Pair{{`odd "op" \n`, 0}, {"skip_connect", 1}}
	dot := g.DOT()
	if !strings.Contains(dot, `[label="odd \"op\" \\n"]`) {
		t.Errorf("op label not escaped:\n%s", dot)
	}
	// Out-of-range states must not invent nodes.
	g.Cells[0].Nodes[0][1].Input = 7
	g.Cells[0].Concat = []int{-1, 9}
	if dot := g.DOT(); strings.Contains(dot, `"normal:5"`) || strings.Contains(dot, `"normal:7"`) || strings.Contains(dot, `"normal:-3"`) {
		t.Errorf("invalid states drawn:\n%s", dot)
	}
}

// TestDOTRenders runs Graphviz when it is installed: the output must render
// without a single warning.
func TestDOTRenders(t *testing.T) {
	path, err := exec.LookPath("dot")
	if err != nil {
		t.Skip("graphviz dot not on PATH")
	}
	for name, g := range map[string]Genotype{"v1": dartsV1, "v2": dartsV2, "small": small, "random5": must(Random(3, space.DARTS(5, 5, dartsOps), DARTSRule)), "nb201": nb201Example} {
		cmd := exec.Command(path, "-Tpng", "-o", "/dev/null")
		cmd.Stdin = strings.NewReader(g.DOT())
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil || stderr.Len() > 0 {
			t.Errorf("%s: dot: %v, stderr: %s", name, err, stderr.String())
		}
	}
}
