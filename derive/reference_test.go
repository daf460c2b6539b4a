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

// The cases of testdata/derive_reference.json were made by transcriptions
// of the original derivation code, quark0/darts model_search.py
// Network.genotype() and AutoDL-Projects' TinyNetworkDarts.genotype() with
// Structure.tostr() (tools/golden/gen_derive.py), and checked by running
// the originals' own method text on them: an oracle independent of this
// package's rules. They cover random weights, exact ties, op subsets with
// 'none' elsewhere or absent, and steps and multipliers other than 4.

type refCase struct {
	Name          string      `json:"name"`
	Rule          string      `json:"rule"`
	Primitives    []string    `json:"primitives"`
	Steps         int         `json:"steps"`
	Multiplier    int         `json:"multiplier"`
	WeightsNormal [][]float64 `json:"weights_normal"`
	WeightsReduce [][]float64 `json:"weights_reduce"`
	Normal        [][2]any    `json:"normal"`
	Reduce        [][2]any    `json:"reduce"`
	NormalConcat  []int       `json:"normal_concat"`
	ReduceConcat  []int       `json:"reduce_concat"`
	Repr          string      `json:"repr"`
	Raises        *string     `json:"original_raises"`
	MaxNodes      int         `json:"max_nodes"`
	Alphas        [][]float64 `json:"alphas"`
	Genotype      [][][2]any  `json:"genotype"`
	ToStr         string      `json:"tostr"`
}

func toPairs(t *testing.T, raw [][2]any) []Pair {
	t.Helper()
	ps := make([]Pair, len(raw))
	for i, r := range raw {
		op, ok1 := r[0].(string)
		in, ok2 := r[1].(float64)
		if !ok1 || !ok2 {
			t.Fatalf("bad pair %v", r)
		}
		ps[i] = Pair{op, int(in)}
	}
	return ps
}

func TestDerivationMatchesOriginalCode(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "testdata", "derive_reference.json"))
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Cases []refCase `json:"cases"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	n := map[string]int{}
	for _, c := range f.Cases {
		n[c.Rule]++
		switch c.Rule {
		case "darts":
			sp := space.DARTS(c.Steps, c.Multiplier, c.Primitives)
			g, err := Derive(sp, DARTSRule, map[string][][]float64{"normal": c.WeightsNormal, "reduce": c.WeightsReduce})
			if err != nil {
				t.Errorf("%s: %v", c.Name, err)
				continue
			}
			want := MustDARTS(toPairs(t, c.Normal), c.NormalConcat, toPairs(t, c.Reduce), c.ReduceConcat)
			if !g.Equal(want) {
				t.Errorf("%s:\n got  %v\n want %v", c.Name, g, want)
			}
			if c.Raises == nil {
				// The original's own repr reads back to the same genotype.
				back, err := ParseText(strings.NewReader(c.Repr))
				if err != nil || !back.Equal(want) {
					t.Errorf("%s: the original's text %s reads as %v, %v", c.Name, c.Repr, back, err)
				}
			}
		case "nas-bench-201":
			sp := space.Space{Name: "nas-bench-201", Ops: c.Primitives, Cells: []space.CellType{{Name: "cell", Cell: space.NB201CellOf(c.MaxNodes)}}}
			g, err := Derive(sp, ArgmaxRule, map[string][][]float64{"cell": c.Alphas})
			if err != nil {
				t.Errorf("%s: %v", c.Name, err)
				continue
			}
			got, err := g.FormatNB201()
			if err != nil || got != c.ToStr {
				t.Errorf("%s: %s (%v), AutoDL %s", c.Name, got, err, c.ToStr)
			}
			for k, node := range c.Genotype {
				if !slices.Equal(g.Cells[0].Nodes[k], toPairs(t, node)) {
					t.Errorf("%s: node %d %v, AutoDL %v", c.Name, k+1, g.Cells[0].Nodes[k], node)
				}
			}
			back, err := ParseNB201(c.ToStr)
			if err != nil || !back.Equal(g) {
				t.Errorf("%s: ParseNB201(%s) = %v, %v", c.Name, c.ToStr, back, err)
			}
		default:
			t.Errorf("%s: unknown rule %q", c.Name, c.Rule)
		}
	}
	if n["darts"] < 300 || n["nas-bench-201"] < 60 {
		t.Errorf("cases per rule %v", n)
	}
}
