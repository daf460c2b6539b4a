package derive

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/darts-go/darts/space"
)

// TestPruneOpsByHand: the ops of smallest weight go first, a tie to the
// lower index, and the kept ops stay in order.
func TestPruneOpsByHand(t *testing.T) {
	on := [][]string{{"none", "max_pool_3x3", "skip_connect", "sep_conv_3x3"}, {"a", "b", "c"}}
	w := [][]float64{{0.1, 0.3, 0.1, 0.5}, {0.2, 0.2, 0.2}}
	got, err := PruneOps(on, w, 2)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"max_pool_3x3", "sep_conv_3x3"}, {"b", "c"}}
	if !slices.EqualFunc(got, want, slices.Equal[[]string]) {
		t.Errorf("pruned %q, want %q", got, want)
	}
	if _, err := PruneOps(on, w, 4); err == nil {
		t.Error("keeping 4 of 3 ops: no error")
	}
	if _, err := PruneOps(on, w[:1], 1); err == nil {
		t.Error("one row of weights for two edges: no error")
	}
	if _, err := PruneOps(on, [][]float64{{1, 2, 3, 4}, {0.2, 0.2, 0.2}}, 1); err == nil || !strings.Contains(err.Error(), "probability") {
		t.Errorf("weights above 1: err = %v", err)
	}
}

// TestPDARTSCellByHand works train_search.py's final derivation and skip
// restriction through by hand on a cell of two nodes (node 0 ← inputs 0,
// 1; node 1 ← 0, 1, 2) with ops none, skip_connect, sep_conv_3x3 on every
// edge:
//
//	edge 0 [.2 .5 .3]: skip (.5)    edge 1 [.1 .3 .6]: sep (.6)
//	edge 2 [.5 .4 .1]: skip (.4; 'none' zeroed)
//	edge 3 [.3 .35 .35]: sep (get_min_k_no_zero drops the first of equals)
//	edge 4 [.2 .7 .1]: skip (.7)
//
// Node 1 keeps edges 4 and 2 (.7, .4 > .35): three skips. With at most 2,
// edge 2 (the weakest skip, .4) loses it and becomes sep (.1), so node 1
// keeps 4 and 3. With at most 1, edge 0 (.5 < .7) loses its skip next.
func TestPDARTSCellByHand(t *testing.T) {
	c := space.DARTSCell(2, 2)
	ops := []string{"none", "skip_connect", "sep_conv_3x3"}
	on := [][]string{ops, ops, ops, ops, ops}
	w := [][]float64{{.2, .5, .3}, {.1, .3, .6}, {.5, .4, .1}, {.3, .35, .35}, {.2, .7, .1}}
	p := func(op string, in int) Pair { return Pair{Op: op, Input: in} }
	for _, tc := range []struct {
		max  int
		want [][]Pair
	}{
		{-1, [][]Pair{{p("skip_connect", 0), p("sep_conv_3x3", 1)}, {p("skip_connect", 0), p("skip_connect", 2)}}},
		{3, [][]Pair{{p("skip_connect", 0), p("sep_conv_3x3", 1)}, {p("skip_connect", 0), p("skip_connect", 2)}}},
		{2, [][]Pair{{p("skip_connect", 0), p("sep_conv_3x3", 1)}, {p("sep_conv_3x3", 1), p("skip_connect", 2)}}},
		{1, [][]Pair{{p("sep_conv_3x3", 0), p("sep_conv_3x3", 1)}, {p("sep_conv_3x3", 1), p("skip_connect", 2)}}},
	} {
		cell, before, err := PDARTSCell("normal", c, on, w, tc.max)
		if err != nil {
			t.Fatal(err)
		}
		if before != 3 {
			t.Errorf("max %d: %d skips before the restriction, want 3", tc.max, before)
		}
		if !slices.EqualFunc(cell.Nodes, tc.want, slices.Equal[[]Pair]) {
			t.Errorf("max %d: %v, want %v", tc.max, cell.Nodes, tc.want)
		}
	}
	if !slices.Equal(w[2], []float64{.5, .4, .1}) {
		t.Error("PDARTSCell changed its weights")
	}
}

// pdartsRef is testdata/pdarts_reference.json (tools/golden/gen_pdarts.py:
// chenxin061/pdarts train_search.py's functions on drawn alphas).
type pdartsRef struct {
	Primitives []string `json:"primitives"`
	Cases      []struct {
		Name   string `json:"name"`
		Stages []struct {
			OpsNormal    [][]string  `json:"ops_normal"`
			OpsReduce    [][]string  `json:"ops_reduce"`
			AlphaNormal  [][]float64 `json:"alpha_normal"`
			AlphaReduce  [][]float64 `json:"alpha_reduce"`
			PrunedNormal [][]string  `json:"pruned_normal"`
			PrunedReduce [][]string  `json:"pruned_reduce"`
		} `json:"stages"`
		Genotype struct {
			Normal [][2]any `json:"normal"`
			Reduce [][2]any `json:"reduce"`
		} `json:"genotype"`
		Skips       int        `json:"skip_connects"`
		NormalByMax [][][2]any `json:"normal_by_max_skip"`
	} `json:"cases"`
}

func softmaxRows32(a [][]float64) [][]float64 {
	out := make([][]float64, len(a))
	for i, row := range a {
		// float32, as the reference's F.softmax on its float32 alphas.
		m := float32(math.Inf(-1))
		for _, v := range row {
			m = max(m, float32(v))
		}
		var s float32
		e := make([]float32, len(row))
		for k, v := range row {
			e[k] = float32(math.Exp(float64(float32(v) - m)))
			s += e[k]
		}
		out[i] = make([]float64, len(row))
		for k := range row {
			out[i][k] = float64(e[k] / s)
		}
	}
	return out
}

func refPairs(t *testing.T, ps [][2]any) []Pair {
	t.Helper()
	var out []Pair
	for _, p := range ps {
		op, ok1 := p[0].(string)
		in, ok2 := p[1].(float64)
		if !ok1 || !ok2 {
			t.Fatalf("bad pair %v", p)
		}
		out = append(out, Pair{Op: op, Input: int(in)})
	}
	return out
}

// TestPDARTSReference holds PruneOps, PDARTSCell (for every cap the
// original logs, 8 down to 0, and none) and the PDARTS rule on the masked
// weights of a supernet to train_search.py's own code, transcribed into
// tools/golden/gen_pdarts.py and run there on drawn alphas, with ties and
// with many skip connections.
func TestPDARTSReference(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "testdata", "pdarts_reference.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ref pdartsRef
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatal(err)
	}
	if len(ref.Cases) < 5 {
		t.Fatalf("%d cases", len(ref.Cases))
	}
	c := space.DARTSCell(4, 4)
	eq := slices.EqualFunc[[][]string, [][]string]
	for _, rc := range ref.Cases {
		t.Run(rc.Name, func(t *testing.T) {
			on := map[string][][]string{}
			for _, cell := range []string{"normal", "reduce"} {
				for range c.Edges {
					on[cell] = append(on[cell], slices.Clone(ref.Primitives))
				}
			}
			keep := []int{5, 3}
			var last map[string][][]float64
			for s, st := range rc.Stages {
				if !eq(on["normal"], st.OpsNormal, slices.Equal[[]string]) || !eq(on["reduce"], st.OpsReduce, slices.Equal[[]string]) {
					t.Fatalf("stage %d starts with other ops", s+1)
				}
				w := map[string][][]float64{"normal": softmaxRows32(st.AlphaNormal), "reduce": softmaxRows32(st.AlphaReduce)}
				if s == len(rc.Stages)-1 {
					last = w
					break
				}
				for cell, want := range map[string][][]string{"normal": st.PrunedNormal, "reduce": st.PrunedReduce} {
					got, err := PruneOps(on[cell], w[cell], keep[s])
					if err != nil {
						t.Fatal(err)
					}
					if !eq(got, want, slices.Equal[[]string]) {
						t.Fatalf("stage %d %s: pruned to %q, the reference to %q", s+1, cell, got, want)
					}
					on[cell] = got
				}
			}
			red, _, err := PDARTSCell("reduce", c, on["reduce"], last["reduce"], -1)
			if err != nil {
				t.Fatal(err)
			}
			if want := refPairs(t, rc.Genotype.Reduce); !slices.Equal(red.Pairs(), want) {
				t.Errorf("reduce %v, the reference %v", red.Pairs(), want)
			}
			norm, before, err := PDARTSCell("normal", c, on["normal"], last["normal"], -1)
			if err != nil {
				t.Fatal(err)
			}
			if want := refPairs(t, rc.Genotype.Normal); !slices.Equal(norm.Pairs(), want) || before != rc.Skips {
				t.Errorf("normal %v with %d skips, the reference %v with %d", norm.Pairs(), before, want, rc.Skips)
			}
			for m, ps := range rc.NormalByMax {
				got, _, err := PDARTSCell("normal", c, on["normal"], last["normal"], m)
				if err != nil {
					t.Fatal(err)
				}
				if want := refPairs(t, ps); !slices.Equal(got.Pairs(), want) {
					t.Errorf("at most %d skips: %v, the reference %v", m, got.Pairs(), want)
				}
			}
			// The rule reads the weights of a masked supernet: one column
			// per primitive, 0 where the edge has no op.
			sp := space.DARTS(4, 4, ref.Primitives)
			full := map[string][][]float64{}
			for cell, w := range last {
				for e, row := range w {
					r := make([]float64, len(ref.Primitives))
					for i, op := range on[cell][e] {
						r[slices.Index(ref.Primitives, op)] = row[i]
					}
					full[cell] = append(full[cell], r)
				}
			}
			g, err := Derive(sp, PDARTS{MaxSkip: 2}, full)
			if err != nil {
				t.Fatal(err)
			}
			gn, _ := g.Cell("normal")
			gr, _ := g.Cell("reduce")
			if want := refPairs(t, rc.NormalByMax[2]); !slices.Equal(gn.Pairs(), want) || !slices.Equal(gr.Pairs(), red.Pairs()) {
				t.Errorf("rule pdarts: normal %v reduce %v, the reference %v and %v", gn.Pairs(), gr.Pairs(), want, red.Pairs())
			}
		})
	}
}

// TestPDARTSRuleNames: every cap has a name RuleByName finds.
func TestPDARTSRuleNames(t *testing.T) {
	for m, name := range map[int]string{2: "pdarts", -1: "pdarts-nocap", 0: "pdarts-skip0", 5: "pdarts-skip5"} {
		r, err := RuleByName(name)
		if err != nil {
			t.Fatal(err)
		}
		if r.(PDARTS).MaxSkip != m {
			t.Errorf("%s: max %d, want %d", name, r.(PDARTS).MaxSkip, m)
		}
	}
}
