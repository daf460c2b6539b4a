package derive

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/darts-go/darts/space"
)

// TestPairsRuleMatchesAutoDL holds PairsRule to the genotypes that
// AutoDL-Projects' own NASNetworkGDAS.genotype() text produced on the same
// weights (testdata/derive_pairs.json, tools/golden/gen_pairs.py): random
// weights in two column orders, 3 and 4 steps, exact ties, and a node
// whose two strongest ops share an edge.
func TestPairsRuleMatchesAutoDL(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "testdata", "derive_pairs.json"))
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Cases []struct {
			Name          string      `json:"name"`
			Primitives    []string    `json:"primitives"`
			Steps         int         `json:"steps"`
			Multiplier    int         `json:"multiplier"`
			WeightsNormal [][]float64 `json:"weights_normal"`
			WeightsReduce [][]float64 `json:"weights_reduce"`
			Normal        [][][2]any  `json:"normal"`
			Reduce        [][][2]any  `json:"reduce"`
			NormalConcat  []int       `json:"normal_concat"`
		} `json:"cases"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.Cases) < 10 {
		t.Fatalf("%d cases", len(f.Cases))
	}
	for _, c := range f.Cases {
		t.Run(c.Name, func(t *testing.T) {
			sp := space.DARTS(c.Steps, c.Multiplier, c.Primitives)
			g, err := Derive(sp, PairsRule, map[string][][]float64{"normal": c.WeightsNormal, "reduce": c.WeightsReduce})
			if err != nil {
				t.Fatal(err)
			}
			for _, cell := range g.Cells {
				want := c.Normal
				if cell.Name == "reduce" {
					want = c.Reduce
				}
				if len(cell.Nodes) != len(want) {
					t.Fatalf("%s: %d nodes, want %d", cell.Name, len(cell.Nodes), len(want))
				}
				for k, node := range cell.Nodes {
					if got, w := node, toPairs(t, want[k]); !slices.Equal(got, w) {
						t.Errorf("%s node %d: %v, AutoDL %v", cell.Name, k, got, w)
					}
				}
				if !slices.Equal(cell.Concat, c.NormalConcat) {
					t.Errorf("%s concat %v, AutoDL %v", cell.Name, cell.Concat, c.NormalConcat)
				}
			}
		})
	}
	if _, err := RuleByName("pairs-top2"); err != nil {
		t.Error(err)
	}
}
