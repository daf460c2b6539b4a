package method

import (
	"context"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/darts-go/darts/bilevel"
	"github.com/darts-go/darts/datasets"
	"github.com/darts-go/darts/derive"
	"github.com/darts-go/darts/optim"
	"github.com/darts-go/darts/space"
	"github.com/darts-go/darts/supernet"
)

// TestPDARTSRecipe holds P-DARTS's recipe to train_search.py's argparse
// defaults and main()'s constants (batch 96, lr 0.025 → 0, 25 epochs of
// which 10 without architecture steps, Adam 6e-4, the α gradient clipped
// to 5, add_layers 6 and 12, num_to_keep 5, 3, 1) and to the README's
// dropout rates 0.1, 0.4, 0.7 (METHODS.md §9).
func TestPDARTSRecipe(t *testing.T) {
	s, err := Lookup(PDARTS)
	if err != nil {
		t.Fatal(err)
	}
	r, err := s.Recipe(Query{}, Reference)
	if err != nil {
		t.Fatal(err)
	}
	st, n, o := r.Search, r.Network, r.Options
	if st.Epochs != 25 || st.Warmup != 10 || st.BatchSize != 96 || st.LR != 0.025 || st.LRMin != 0 || st.Momentum != 0.9 ||
		st.WeightDecay != 3e-4 || st.GradClip != 5 || st.ArchLR != 6e-4 || st.ArchBeta1 != 0.5 || st.ArchBeta2 != 0.999 ||
		st.ArchWeightDecay != 1e-3 || st.ArchAdam != optim.Adam1 || st.Order != 1 || st.Nesterov || st.WeightFirst || st.ClipWithArch || st.Seed != 2 {
		t.Errorf("settings %+v differ from train_search.py's", st)
	}
	if n.C != 16 || n.Layers != 5 || len(n.Primitives) != 8 || n.Steps != 4 || n.Init != "1.x" {
		t.Errorf("network %+v differs from train_search.py's", n)
	}
	want := Options{"add_layers_2": 6, "add_layers_3": 12, "add_width_2": 0, "add_width_3": 0, "ops_2": 5, "ops_3": 3,
		"dropout_1": 0.1, "dropout_2": 0.4, "dropout_3": 0.7, "dropout_decay": 0.2, "warmup_2": 10, "warmup_3": 10,
		"skip_cap": 2}
	if len(o) != len(want) {
		t.Errorf("options %v, want %v", o, want)
	}
	for k, v := range want {
		if o[k] != v {
			t.Errorf("option %s = %g, want %g", k, o[k], v)
		}
	}
	if _, err := s.Recipe(Query{Order: 2}, Reference); err == nil {
		t.Error("a second-order P-DARTS recipe: no error")
	}
	q, err := s.Recipe(Query{}, Quick)
	if err != nil {
		t.Fatal(err)
	}
	if q.Search.Epochs != 4 || q.Search.Warmup != 2 || q.Options["warmup_2"] != 2 || q.Options["warmup_3"] != 2 ||
		q.Options["add_layers_2"] != 3 || q.Options["add_layers_3"] != 6 || q.Network.Layers != 5 || q.Network.C != 8 ||
		q.Search.BatchSize != 32 || q.Limit != 4000 || q.Search.ArchLR != 6e-4 {
		t.Errorf("quick recipe: %+v %v", q.Search, q.Options)
	}
	// A budget scales the per-stage warm-ups with the epochs.
	b := s.WithBudget(r, Budget{Name: "x", Epochs: 5})
	if b.Search.Warmup != 2 || b.Options["warmup_2"] != 2 || b.Options["warmup_3"] != 2 {
		t.Errorf("25 → 5 epochs: warm-ups %d, %g, %g; want 2", b.Search.Warmup, b.Options["warmup_2"], b.Options["warmup_3"])
	}
}

// TestPDARTSStaging plans the stages on hand-made weights: stage 1 holds
// every op on every edge; the stage 1 weights grow with the op's index, so
// stage 2 keeps the last 5 ops and stage 3 (weights falling with the
// index) the first 3 of those; depths 5, 11, 17, dropout 0.1, 0.4, 0.7,
// each stage its seed. Its final genotype, on weights where skip_connect
// leads everywhere, has 2 skips in the normal cell and 8 in the reduction
// cell.
func TestPDARTSStaging(t *testing.T) {
	s, _ := Lookup(PDARTS)
	r, _ := s.Recipe(Query{}, Reference)
	plan, err := s.Stages(r)
	if err != nil {
		t.Fatal(err)
	}
	if plan.Count != 3 {
		t.Fatalf("%d stages", plan.Count)
	}
	weights := func(on map[string][][]string, f func(k int) float64) map[string][][]float64 {
		w := map[string][][]float64{}
		for cell, edges := range on {
			for _, ops := range edges {
				row := make([]float64, 8)
				for _, o := range ops {
					k := slices.Index(space.DARTSOps, o)
					row[k] = f(k)
				}
				w[cell] = append(w[cell], row)
			}
		}
		return w
	}
	s1, err := plan.Stage(0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s1.Network.Layers != 5 || s1.Network.SkipDropout.Rate != 0.1 || s1.Network.SkipDropout.Warmup != 10 ||
		s1.Network.SkipDropout.Decay != 0.2 || s1.Search.Seed != 2 || !slices.Equal(s1.Network.EdgeOps["reduce"][7], space.DARTSOps) {
		t.Errorf("stage 1: %+v", s1.Network)
	}
	if _, err := plan.Stage(1, nil); err == nil {
		t.Error("stage 2 without stage 1's end: no error")
	}
	s2, err := plan.Stage(1, &StageResult{Network: s1.Network, Weights: weights(s1.Network.EdgeOps, func(k int) float64 { return float64(k+1) / 100 })})
	if err != nil {
		t.Fatal(err)
	}
	if s2.Network.Layers != 11 || s2.Network.SkipDropout.Rate != 0.4 || s2.Search.Seed != StageSeed(2, 1) || s2.Search.Seed == 2 ||
		!slices.Equal(s2.Network.EdgeOps["normal"][3], space.DARTSOps[3:]) {
		t.Errorf("stage 2: layers %d, dropout %+v, seed %d, ops %q", s2.Network.Layers, s2.Network.SkipDropout, s2.Search.Seed, s2.Network.EdgeOps["normal"][3])
	}
	s3, err := plan.Stage(2, &StageResult{Network: s2.Network, Weights: weights(s2.Network.EdgeOps, func(k int) float64 { return float64(10-k) / 100 })})
	if err != nil {
		t.Fatal(err)
	}
	if s3.Network.Layers != 17 || s3.Network.SkipDropout.Rate != 0.7 || !slices.Equal(s3.Network.EdgeOps["reduce"][0], space.DARTSOps[3:6]) {
		t.Errorf("stage 3: layers %d, ops %q", s3.Network.Layers, s3.Network.EdgeOps["reduce"][0])
	}
	g, note, err := plan.Final(StageResult{Network: s3.Network, Weights: weights(s3.Network.EdgeOps, func(k int) float64 { return float64(10-k) / 100 })})
	if err != nil {
		t.Fatal(err)
	}
	count := func(c derive.Cell) int {
		n := 0
		for _, p := range c.Pairs() {
			if p.Op == "skip_connect" {
				n++
			}
		}
		return n
	}
	gn, _ := g.Cell("normal")
	gr, _ := g.Cell("reduce")
	if count(gn) != 2 || count(gr) != 8 || !strings.Contains(note, "8 skip connections before the cap of 2") {
		t.Errorf("final: %d skips in the normal cell, %d in the reduction cell (%s)", count(gn), count(gr), note)
	}
	bad := r
	bad.Options = r.Options.Clone()
	bad.Options["ops_3"] = 6
	if _, err := s.Stages(bad); err == nil || !strings.Contains(err.Error(), "ops_3") {
		t.Errorf("ops_3 above ops_2: err = %v", err)
	}
	bad.Options["ops_3"], bad.Search.Warmup = 3, 25
	if _, err := s.Stages(bad); err == nil || !strings.Contains(err.Error(), "warm-up") {
		t.Errorf("a warm-up as long as the stage: err = %v", err)
	}
}

// recordArch runs an architecture step and keeps the gradient it left and
// the architecture tensors' values it started from.
type recordArch struct {
	inner  bilevel.ArchStep[float32]
	grads  [][]float32
	values [][]float32
}

func (r *recordArch) Name() string { return r.inner.Name() }
func (r *recordArch) ArchGrad(c *bilevel.StepContext[float32]) error {
	for _, p := range c.Net.UsedArchParams() {
		r.values = append(r.values, slices.Clone(p.Value))
	}
	if err := r.inner.ArchGrad(c); err != nil {
		return err
	}
	for _, p := range c.Net.UsedArchParams() {
		r.grads = append(r.grads, slices.Clone(p.Grad))
	}
	return nil
}

// TestArchGradClip: P-DARTS's recipe clips the architecture gradient at
// 5, and the search's clip (Settings.ArchGradClip, which P-DARTS uses)
// scales first-order DARTS's gradient to the clip's global norm over both
// tensors as clip_grad_norm_ does (by maxNorm/(norm+1e-6)): with plain SGD
// at learning rate 1 and no weight decay, α moves by minus the clipped
// gradient.
func TestArchGradClip(t *testing.T) {
	spec, err := Lookup(PDARTS)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := spec.Recipe(Query{Space: space.DARTSName, Order: 1}, "reference")
	if err != nil {
		t.Fatal(err)
	}
	if rec.Search.ArchGradClip != 5 {
		t.Errorf("p-darts: ArchGradClip %g, want train_search.py's 5", rec.Search.ArchGradClip)
	}
	data, err := datasets.Load(datasets.Options{Name: "synthetic", Shape: [3]int{1, 8, 8}, Classes: 3, Limit: 64, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	const norm = 1e-4
	net, err := supernet.NewNetwork[float32](supernet.Config{InputC: 1, InputH: 8, InputW: 8, Classes: 3, C: 4, Layers: 3}, 1)
	if err != nil {
		t.Fatal(err)
	}
	st := bilevel.DefaultSettings()
	st.Epochs, st.BatchSize = 1, 16
	st.ArchOptimizer, st.ArchLR, st.ArchWeightDecay, st.ArchGradClip = "sgd", 1, 0, norm
	r := &recordArch{inner: bilevel.FirstOrder[float32]{}}
	s, err := bilevel.NewSearch(net, data, st, bilevel.Method[float32]{Arch: r})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.RunEpoch(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if len(r.values) < 4 {
		t.Fatalf("%d architecture steps recorded, want 2", len(r.values)/2)
	}
	plain := r.grads[:2] // the first step's two tensors, before the clip
	var ss float64
	for _, g := range plain {
		for _, v := range g {
			ss += float64(v) * float64(v)
		}
	}
	total := math.Sqrt(ss)
	if total <= norm {
		t.Fatalf("gradient norm %g: the clip would not act", total)
	}
	coef := norm / (total + 1e-6)
	for i := range plain {
		for j, v := range plain[i] {
			moved := float64(r.values[i][j]) - float64(r.values[2+i][j])
			if w := float64(v) * coef; math.Abs(moved-w) > 1e-3*math.Abs(w)+1e-9 {
				t.Fatalf("tensor %d [%d]: α moved by %g, want the clipped gradient %g", i, j, moved, w)
			}
		}
	}
}
