package projection

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"testing"

	"github.com/darts-go/darts/derive"
	"github.com/darts-go/darts/relax"
	"github.com/darts-go/darts/space"
)

// ptCase is one case of testdata/pt_select.json (see its "about").
type ptCase struct {
	Name      string                          `json:"name"`
	Criterion string                          `json:"criterion"`
	Interval  int                             `json:"interval"`
	Ops       []string                        `json:"ops"`
	Alphas    map[string][][]float64          `json:"alphas"`
	Coef      map[string]map[string]any       `json:"coef"`
	Drift     map[string][][]float64          `json:"drift"`
	Order     []int                           `json:"order"`
	Decisions []Decision                      `json:"decisions"`
	Tune      int                             `json:"tune_epochs"`
	Final     map[string][][]float64          `json:"final_alphas"`
	Genotype  map[string][]derive.Pair        `json:"-"`
	RawGeno   map[string][][2]json.RawMessage `json:"genotype"`
}

// synthetic is the case's closed-form supernet (the script's synthetic).
type synthetic struct {
	c      ptCase
	sp     space.Space
	alphas map[string][][]float64
	evals  int
}

func (s *synthetic) Alphas() map[string][][]float64 { return s.alphas }

func matrix(v any) [][]float64 {
	var out [][]float64
	for _, r := range v.([]any) {
		var row []float64
		for _, x := range r.([]any) {
			row = append(row, x.(float64))
		}
		out = append(out, row)
	}
	return out
}

func vector(v any) []float64 {
	var out []float64
	for _, x := range v.([]any) {
		out = append(out, x.(float64))
	}
	return out
}

func (s *synthetic) Evaluate(_ context.Context, _ int, w map[string][][]float64) (float64, float64, error) {
	s.evals++
	var z, loss float64
	for _, ct := range s.sp.Cells {
		a, b, l := matrix(s.c.Coef[ct.Name]["A"]), vector(s.c.Coef[ct.Name]["B"]), matrix(s.c.Coef[ct.Name]["L"])
		wc := w[ct.Name]
		node := make([]float64, ct.Cell.Nodes)
		for e := range wc {
			for k := range wc[e] {
				z += a[e][k] * wc[e][k]
				loss += l[e][k] * wc[e][k] * wc[e][k]
				node[ct.Cell.Edges[e].Node] += wc[e][k]
			}
		}
		for n, v := range node {
			z += b[n] * v * v
		}
	}
	return math.Tanh(z / 20), loss, nil
}

func (s *synthetic) TuneEpoch(_ context.Context, ep int) error {
	for name, d := range s.c.Drift {
		for e := range d {
			for k := range d[e] {
				s.alphas[name][e][k] += d[e][k] * (1 + 0.1*float64(ep))
			}
		}
	}
	return nil
}

func loadCases(t *testing.T) []ptCase {
	t.Helper()
	b, err := os.ReadFile("../testdata/pt_select.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Cases []ptCase `json:"cases"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	for i := range f.Cases {
		c := &f.Cases[i]
		c.Genotype = map[string][]derive.Pair{}
		for cell, ps := range c.RawGeno {
			for _, p := range ps {
				var op string
				var in int
				if json.Unmarshal(p[0], &op) != nil || json.Unmarshal(p[1], &in) != nil {
					t.Fatalf("%s: bad genotype pair %s", c.Name, p)
				}
				c.Genotype[cell] = append(c.Genotype[cell], derive.Pair{Op: op, Input: in})
			}
		}
	}
	return f.Cases
}

func softmaxWeights(_ space.Tensor, a [][]float64) [][]float64 { return relax.SoftmaxRows(a) }

// TestSelectionAgainstReference holds the selection to darts-pt's
// pt_project transcribed in tools/golden/gen_pt_select.py: given the same
// visiting order and supernet, the same probes with the same results, the
// same decisions at the same epochs, the same tuning and genotype.
func TestSelectionAgainstReference(t *testing.T) {
	for _, c := range loadCases(t) {
		t.Run(c.Name, func(t *testing.T) {
			sp := space.DARTS(4, 4, c.Ops)
			sel, err := NewSelector(sp, softmaxWeights, Options{Interval: c.Interval, Criterion: c.Criterion})
			if err != nil {
				t.Fatal(err)
			}
			drawn := 0
			sel.Order = func(round, cell, n int) int {
				if drawn >= len(c.Order) {
					t.Fatalf("round %d: more draws than the reference's %d", round, len(c.Order))
				}
				drawn++
				return c.Order[drawn-1]
			}
			if sel.TuneEpochs() != c.Tune {
				t.Fatalf("tune epochs %d, reference %d", sel.TuneEpochs(), c.Tune)
			}
			syn := &synthetic{c: c, sp: sp, alphas: map[string][][]float64{}}
			for k, v := range c.Alphas {
				syn.alphas[k] = v
			}
			if err := sel.Run(context.Background(), syn, nil); err != nil {
				t.Fatal(err)
			}
			if drawn != len(c.Order) {
				t.Errorf("%d draws, reference %d", drawn, len(c.Order))
			}
			if len(sel.Decisions) != len(c.Decisions) {
				t.Fatalf("%d decisions, reference %d", len(sel.Decisions), len(c.Decisions))
			}
			for i, d := range sel.Decisions {
				w := c.Decisions[i]
				if err := sameDecision(d, w); err != nil {
					t.Errorf("decision %d: %v", i, err)
				}
			}
			for name, fa := range c.Final {
				for e := range fa {
					for k := range fa[e] {
						if math.Abs(syn.alphas[name][e][k]-fa[e][k]) > 1e-9 {
							t.Fatalf("final alpha %s[%d][%d] = %g, reference %g (the tuning ran other epochs)", name, e, k, syn.alphas[name][e][k], fa[e][k])
						}
					}
				}
			}
			g, err := sel.Genotype(syn.alphas, derive.DARTSRule)
			if err != nil {
				t.Fatal(err)
			}
			want := derive.MustDARTS(c.Genotype["normal"], []int{2, 3, 4, 5}, c.Genotype["reduce"], []int{2, 3, 4, 5})
			if g.String() != want.String() {
				t.Errorf("genotype\n %s\nreference\n %s", g, want)
			}
		})
	}
}

func sameDecision(d, w Decision) error {
	if d.Round != w.Round || d.Epoch != w.Epoch || d.Cell != w.Cell || d.Kind != w.Kind || d.Edge != w.Edge || d.Op != w.Op || d.Node != w.Node || fmt.Sprint(d.Kept) != fmt.Sprint(w.Kept) {
		return fmt.Errorf("got %+v\nwant %+v", brief(d), brief(w))
	}
	if len(d.Probes) != len(w.Probes) {
		return fmt.Errorf("%d probes, reference %d", len(d.Probes), len(w.Probes))
	}
	for i, p := range d.Probes {
		q := w.Probes[i]
		if p.Edge != q.Edge || p.Op != q.Op || math.Abs(p.Acc-q.Acc) > 1e-9 || math.Abs(p.Loss-q.Loss) > 1e-9 {
			return fmt.Errorf("probe %d: got %+v, reference %+v", i, p, q)
		}
	}
	return nil
}

func brief(d Decision) Decision { d.Probes = nil; return d }

// TestDefaultOrderIsUniform: the keyed visiting order picks each of n
// candidates about equally often over seeds (moments of a uniform draw).
func TestDefaultOrderIsUniform(t *testing.T) {
	sp := space.DARTS(4, 4, space.DARTSOps)
	const n, draws = 7, 14000
	counts := make([]int, n)
	for seed := uint64(0); seed < draws; seed++ {
		s, err := NewSelector(sp, softmaxWeights, Options{Interval: 1, Criterion: CritAcc, Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		counts[s.pick(0, n)]++
	}
	// Each count is Binomial(draws, 1/n): sd = sqrt(draws·p·(1-p)) ≈ 41.
	for i, c := range counts {
		if math.Abs(float64(c)-draws/n) > 5*41 {
			t.Errorf("candidate %d drawn %d times of %d, want about %d", i, c, draws, draws/n)
		}
	}
	a, _ := NewSelector(sp, softmaxWeights, Options{Interval: 1, Criterion: CritAcc, Seed: 3})
	b, _ := NewSelector(sp, softmaxWeights, Options{Interval: 1, Criterion: CritAcc, Seed: 3})
	b.Round = 1
	same := 0
	for c := 0; c < 200; c++ {
		if a.pick(c, 1000) == b.pick(c, 1000) {
			same++
		}
	}
	if same > 5 {
		t.Errorf("rounds 0 and 1 drew the same candidate %d times of 200: the round is not in the key", same)
	}
}

func TestOptionsValidate(t *testing.T) {
	for _, o := range []Options{{Interval: -1, Criterion: CritAcc}, {Interval: 5, Criterion: "top1"}} {
		if err := o.Validate(); err == nil {
			t.Errorf("%+v: no error", o)
		}
	}
	if err := (Options{Interval: 0, Criterion: CritLoss}).Validate(); err != nil {
		t.Error(err)
	}
}
