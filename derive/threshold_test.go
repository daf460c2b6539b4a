package derive

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/darts-go/darts/space"
)

// thresholdCase is one case of testdata/threshold_reference.json (its
// "about" and tools/golden/gen_threshold.py).
type thresholdCase struct {
	Name          string      `json:"name"`
	Primitives    []string    `json:"primitives"`
	Steps         int         `json:"steps"`
	Threshold     float64     `json:"threshold"`
	WeightsNormal [][]float64 `json:"weights_normal"`
	WeightsReduce [][]float64 `json:"weights_reduce"`
	Normal        [][3]any    `json:"normal"`
	Reduce        [][3]any    `json:"reduce"`
	NormalConcat  []int       `json:"normal_dco_concat"`
	ReduceConcat  []int       `json:"reduce_dco_concat"`
	NormalFails   *string     `json:"normal_dco_fails"`
	ReduceFails   *string     `json:"reduce_dco_fails"`
}

func loadThresholdCases(t *testing.T) []thresholdCase {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "threshold_reference.json"))
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Cases []thresholdCase `json:"cases"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.Cases) < 60 {
		t.Fatalf("%d threshold cases, want the file's 71", len(f.Cases))
	}
	return f.Cases
}

// geneNodes turns a FairDARTS gene ([op, to, from] triples) into the
// pairs of each of steps nodes, in gene order.
func geneNodes(gene [][3]any, steps int) [][]Pair {
	nodes := make([][]Pair, steps)
	for _, tr := range gene {
		to, from := int(tr[1].(float64)), int(tr[2].(float64))
		nodes[to-2] = append(nodes[to-2], Pair{Op: tr[0].(string), Input: from})
	}
	return nodes
}

// TestThresholdReference holds the threshold rule to FairDARTS's own
// parse() (threshold_sparse), which the generator executed on every case:
// the pairs of each node, in the gene's order, and the concat list of its
// evaluation cell (DCOCell concatenates every node some triple feeds).
// Where DCOCell fails (a cell without triples, or a node reading only
// states no triple produced) the rule still derives the gene, and the
// cell's concat is its surviving nodes; validation then names the cell
// without inputs.
func TestThresholdReference(t *testing.T) {
	for _, c := range loadThresholdCases(t) {
		t.Run(c.Name, func(t *testing.T) {
			sp := space.DARTS(c.Steps, c.Steps, c.Primitives)
			rule := Threshold{T: c.Threshold}
			if c.Threshold == FairDARTSThreshold && rule.Name() != "threshold" {
				t.Errorf("name %q", rule.Name())
			}
			back, err := RuleByName(rule.Name())
			if err != nil || back != Rule(rule) {
				t.Fatalf("RuleByName(%q) = %v, %v", rule.Name(), back, err)
			}
			g, err := Derive(sp, rule, map[string][][]float64{"normal": c.WeightsNormal, "reduce": c.WeightsReduce})
			if err != nil {
				t.Fatal(err)
			}
			for i, want := range []struct {
				gene   [][3]any
				concat []int
				fails  *string
			}{{c.Normal, c.NormalConcat, c.NormalFails}, {c.Reduce, c.ReduceConcat, c.ReduceFails}} {
				cell := g.Cells[i]
				wantNodes := geneNodes(want.gene, c.Steps)
				if !slices.EqualFunc(cell.Nodes, wantNodes, func(a, b []Pair) bool { return slices.Equal(a, b) }) {
					t.Errorf("%s cell: nodes %v, FairDARTS's parse() %v", cell.Name, cell.Nodes, wantNodes)
				}
				if want.fails == nil && !slices.Equal(cell.Concat, want.concat) {
					t.Errorf("%s cell: concat %v, DCOCell concatenates %v", cell.Name, cell.Concat, want.concat)
				}
			}
			err = g.Validate(c.Primitives)
			switch {
			case c.NormalFails == nil && c.ReduceFails == nil && err != nil:
				t.Errorf("Validate: %v", err)
			case (c.NormalFails != nil && len(c.Normal) == 0 || c.ReduceFails != nil && len(c.Reduce) == 0) &&
				(err == nil || !strings.Contains(err.Error(), "no node of the")):
				t.Errorf("Validate of a cell without inputs: %v", err)
			}
		})
	}
}

// TestThresholdRuleEdges: a node of one incoming edge (NAS-Bench-201's
// node 1) is handled, a NaN threshold or weight is refused, and the names
// of other thresholds round-trip through RuleByName.
func TestThresholdRuleEdges(t *testing.T) {
	sp := space.NB201(space.NB201Ops)
	w := [][]float64{{0.1, 0.9, 0.2, 0.3, 0.1}, {0.1, 0.1, 0.1, 0.1, 0.1}, {0.95, 0.1, 0.1, 0.1, 0.1},
		{0.1, 0.1, 0.1, 0.1, 0.86}, {0.1, 0.1, 0.1, 0.87, 0.1}, {0.1, 0.1, 0.1, 0.1, 0.1}}
	g, err := Derive(sp, ThresholdRule, map[string][][]float64{"cell": w})
	if err != nil {
		t.Fatal(err)
	}
	c := g.Cells[0]
	want := [][]Pair{{{"skip_connect", 0}}, {{"none", 1}}, {{"nor_conv_3x3", 1}, {"avg_pool_3x3", 0}}}
	if !slices.EqualFunc(c.Nodes, want, func(a, b []Pair) bool { return slices.Equal(a, b) }) || !slices.Equal(c.Concat, []int{1, 2, 3}) {
		t.Errorf("NB201 cell %v concat %v, want %v concat [1 2 3]", c.Nodes, c.Concat, want)
	}
	if _, err := (Threshold{T: 0.7}).DeriveCell("c", sp.Cells[0].Cell, [][]float64{{0.1}}, sp.Ops); err == nil {
		t.Error("wrong weight shape accepted")
	}
	for _, name := range []string{"threshold-0.7", "threshold-1e-05"} {
		r, err := RuleByName(name)
		if err != nil || r.Name() != name {
			t.Errorf("RuleByName(%q) = %v, %v", name, r, err)
		}
	}
	for _, name := range []string{"threshold-", "threshold-x", "threshold-NaN", "thresholds"} {
		if _, err := RuleByName(name); err == nil || !strings.Contains(err.Error(), "threshold") {
			t.Errorf("RuleByName(%q): %v", name, err)
		}
	}
}

// fairDARTSa is FairDARTS_a of xiaomi-automl/FairDARTS fairdarts/
// genotypes.py (its normal cell keeps no input of node 3).
const fairDARTSa = `FairDARTS_a = Genotype(normal=[('sep_conv_3x3', 2, 0), ('sep_conv_5x5', 2, 1), ('max_pool_3x3', 4, 0), ('sep_conv_3x3', 5, 0)], normal_concat=range(2, 6),
         reduce=[('max_pool_3x3', 2, 0), ('avg_pool_3x3', 2, 1), ('avg_pool_3x3', 3, 0), ('dil_conv_5x5', 3, 1), ('avg_pool_3x3', 4, 0), ('sep_conv_5x5', 4, 1),
                 ('skip_connect', 5, 0), ('skip_connect', 5, 1)], reduce_concat=range(2, 6))`

// TestFairDARTSFormat reads FairDARTS's published genotype text, prints it
// back in the same form, and checks that the cell concatenates its
// surviving nodes (2, 4, 5: node 3 has no input).
func TestFairDARTSFormat(t *testing.T) {
	g, err := Parse(strings.NewReader(fairDARTSa))
	if err != nil {
		t.Fatal(err)
	}
	n, _ := g.Cell("normal")
	wantN := [][]Pair{{{"sep_conv_3x3", 0}, {"sep_conv_5x5", 1}}, nil, {{"max_pool_3x3", 0}}, {{"sep_conv_3x3", 0}}}
	if !slices.EqualFunc(n.Nodes, wantN, func(a, b []Pair) bool { return slices.Equal(a, b) }) || !slices.Equal(n.Concat, []int{2, 4, 5}) {
		t.Errorf("normal cell %v concat %v", n.Nodes, n.Concat)
	}
	if r, _ := g.Cell("reduce"); !slices.Equal(r.Concat, []int{2, 3, 4, 5}) || len(r.Pairs()) != 8 {
		t.Errorf("reduce cell %v concat %v", r.Nodes, r.Concat)
	}
	text := g.String()
	want := "Genotype(normal=[('sep_conv_3x3', 2, 0), ('sep_conv_5x5', 2, 1), ('max_pool_3x3', 4, 0), ('sep_conv_3x3', 5, 0)], normal_concat=range(2, 6), " +
		"reduce=[('max_pool_3x3', 2, 0), ('avg_pool_3x3', 2, 1), ('avg_pool_3x3', 3, 0), ('dil_conv_5x5', 3, 1), ('avg_pool_3x3', 4, 0), ('sep_conv_5x5', 4, 1), ('skip_connect', 5, 0), ('skip_connect', 5, 1)], reduce_concat=range(2, 6))"
	if text != want {
		t.Errorf("String:\n%s\nwant\n%s", text, want)
	}
	checkRoundTrip(t, g)
	// A genotype with two pairs per node keeps the DARTS format; one whose
	// concat is not its surviving nodes cannot be written as triples.
	if _, err := MustDARTS([]Pair{{"skip_connect", 0}, {"skip_connect", 1}}, []int{2}, []Pair{{"skip_connect", 0}, {"skip_connect", 1}}, []int{2}).FormatFairDARTS(); err != nil {
		t.Errorf("DARTS genotype as triples: %v", err)
	}
	odd := g.Clone()
	odd.Cells[0].Concat = []int{4, 5}
	if _, err := odd.FormatFairDARTS(); err == nil {
		t.Error("concat [4 5] written as triples")
	}
	if s := odd.String(); !strings.HasPrefix(s, "{") {
		t.Errorf("String of a genotype the text forms cannot carry: %s", s)
	}
	for _, bad := range []struct{ text, want string }{
		{"Genotype(normal=[('sep_conv_3x3', 2, 2)], normal_concat=[2], reduce=[('sep_conv_3x3', 2, 0)], reduce_concat=[2])", "from-state 2"},
		{"Genotype(normal=[('sep_conv_3x3', 1, 0)], normal_concat=[2], reduce=[('sep_conv_3x3', 2, 0)], reduce_concat=[2])", "to-state 1"},
		{"Genotype(normal=[('sep_conv_3x3', 2, 0), ('skip_connect', 1)], normal_concat=[2], reduce=[('sep_conv_3x3', 2, 0)], reduce_concat=[2])", "normal[1]"},
		{"Genotype(normal=[('sep_conv_3x3', 99999, 0)], normal_concat=[2], reduce=[('sep_conv_3x3', 2, 0)], reduce_concat=[2])", "to-state 99999"},
		{"Genotype(normal=[], normal_concat=range(2, 4), reduce=[('sep_conv_3x3', 2, 0)], reduce_concat=[2])", "no node of the normal cell has an input"},
		{"Genotype(normal=[('sep_conv_3x3', 2, 0), ('sep_conv_3x3', 4, 3)], normal_concat=[2], reduce=[('sep_conv_3x3', 2, 0)], reduce_concat=[2])", ""},
	} {
		_, err := Parse(strings.NewReader(bad.text))
		if (bad.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), bad.want)) {
			t.Errorf("Parse(%s): %v, want %q", bad.text, err, bad.want)
		}
	}
}

// TestValidateDroppedNode: a concat list may not name a node the network
// drops because its only input reads a node without inputs.
func TestValidateDroppedNode(t *testing.T) {
	c := Cell{Name: "normal", Inputs: 2, Nodes: [][]Pair{{{"skip_connect", 0}}, nil, {{"sep_conv_3x3", 3}}}, Concat: []int{2, 4}}
	g := Genotype{Space: "darts", Cells: []Cell{c}}
	if err := g.Validate(nil); err == nil || !strings.Contains(err.Error(), "state 4") {
		t.Errorf("Validate: %v", err)
	}
	g.Cells[0].Concat = []int{2}
	if err := g.Validate(nil); err != nil {
		t.Errorf("Validate: %v", err)
	}
	if live := g.Cells[0].LiveStates(); !slices.Equal(live, []int{2}) {
		t.Errorf("LiveStates %v, want [2]", live)
	}
}
