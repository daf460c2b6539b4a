package method

import (
	"strings"
	"testing"

	"github.com/darts-go/darts/optim"
	"github.com/darts-go/darts/space"
)

// TestDARTSReference holds the DARTS recipes to their reference code's
// values as ../shared/METHODS.md §12 and quark0/darts train_search.py's
// argparse defaults state them.
func TestDARTSReference(t *testing.T) {
	s, err := Lookup("")
	if err != nil {
		t.Fatal(err)
	}
	r, err := s.Recipe(Query{Space: space.DARTSName}, Reference)
	if err != nil {
		t.Fatal(err)
	}
	st, n := r.Search, r.Network
	if st.Epochs != 50 || st.BatchSize != 64 || st.LR != 0.025 || st.LRMin != 0.001 || st.Momentum != 0.9 ||
		st.WeightDecay != 3e-4 || st.GradClip != 5 || st.ArchLR != 3e-4 || st.ArchBeta1 != 0.5 || st.ArchBeta2 != 0.999 ||
		st.ArchWeightDecay != 1e-3 || st.ArchAdam != optim.Adam031 || st.Nesterov || st.WeightFirst || st.ClipWithArch || st.Order != 1 {
		t.Errorf("DARTS-space settings %+v differ from train_search.py's", st)
	}
	if n.C != 16 || n.Layers != 8 || n.Steps != 4 || n.Multiplier != 4 || n.StemMultiplier != 3 || len(n.Primitives) != 8 || n.Init != "0.3.1" {
		t.Errorf("DARTS-space network %+v differs from train_search.py's", n)
	}
	for _, order := range []int{1, 2} {
		r, err := s.Recipe(Query{Space: space.NB201Name, Order: order}, Reference)
		if err != nil {
			t.Fatal(err)
		}
		st, n := r.Search, r.Network
		if st.Epochs != 50 || st.BatchSize != 64 || st.LR != 0.025 || st.LRMin != 0.001 || st.Momentum != 0.9 || !st.Nesterov ||
			st.WeightDecay != 5e-4 || st.GradClip != 5 || !st.ClipWithArch || st.ArchLR != 3e-4 || st.ArchBeta1 != 0.5 ||
			st.ArchWeightDecay != 1e-3 || st.ArchAdam != optim.Adam1 || st.Order != order || st.WeightFirst != (order == 1) {
			t.Errorf("NAS-Bench-201 order %d settings %+v differ from DARTS-V%d.py and DARTS.config", order, st, order)
		}
		if n.C != 16 || n.CellsPerStage != 5 || n.NoTrackStats || n.Init != "1.x" || strings.Join(n.Primitives, ",") != "none,skip_connect,nor_conv_1x1,nor_conv_3x3,avg_pool_3x3" {
			t.Errorf("NAS-Bench-201 network %+v differs from the benchmark scripts'", n)
		}
	}
}

// TestQuickBudget: the quick DARTS budget is darts-go 0.1's `darts search`
// default (README's measured runs), and a budget scales what is counted in
// epochs.
func TestQuickBudget(t *testing.T) {
	s, _ := Lookup(DARTS)
	r, err := s.Recipe(Query{}, Quick)
	if err != nil {
		t.Fatal(err)
	}
	if r.Search.Epochs != 6 || r.Search.BatchSize != 32 || r.Limit != 4000 || r.Network.Layers != 5 || r.Network.C != 8 || r.Budget != Quick {
		t.Errorf("quick DARTS recipe: %d epochs, batch %d, limit %d, %d layers, C %d", r.Search.Epochs, r.Search.BatchSize, r.Limit, r.Network.Layers, r.Network.C)
	}
	if r.Search.LR != 0.025 || r.Search.ArchLR != 3e-4 {
		t.Errorf("a budget changed the hyperparameters: %+v", r.Search)
	}
	spec := Spec{Name: "x", Options: []Option{{Name: "stage_epochs", Kind: Int, Epochs: true}, {Name: "k", Kind: Int}}}
	ref := Recipe{Options: Options{"stage_epochs": 25, "k": 4}}
	ref.Search.Epochs, ref.Search.Warmup = 50, 15
	got := spec.WithBudget(ref, Budget{Name: Quick, Epochs: 6})
	if got.Search.Warmup != 2 || got.Options["stage_epochs"] != 3 || got.Options["k"] != 4 || got.Search.Epochs != 6 {
		t.Errorf("scaled to 6 epochs: warm-up %d, stage_epochs %g, k %g, epochs %d; want 2, 3, 4, 6",
			got.Search.Warmup, got.Options["stage_epochs"], got.Options["k"], got.Search.Epochs)
	}
	if ref.Options["stage_epochs"] != 25 {
		t.Error("WithBudget changed the recipe it was given")
	}
	if _, err := LookupBudget("huge", space.DARTSName); err == nil || !strings.Contains(err.Error(), "quick") {
		t.Errorf("unknown budget: %v", err)
	}
}

func TestCheckOptions(t *testing.T) {
	spec := Spec{Name: "x", Options: []Option{{Name: "tau", Kind: Float}, {Name: "k", Kind: Int}, {Name: "on", Kind: Bool}}}
	for _, c := range []struct {
		o    Options
		want string
	}{
		{Options{"tau": 0.5, "k": 4, "on": 1}, ""},
		{Options{"k": 2.5}, "need an integer"},
		{Options{"on": 2}, "need 0 or 1"},
		{Options{"tua": 1}, `"tua": unknown (known: tau, k, on)`},
	} {
		err := spec.CheckOptions(c.o)
		if (c.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), c.want)) {
			t.Errorf("CheckOptions(%v) = %v, want %q", c.o, err, c.want)
		}
	}
	d, _ := Lookup(DARTS)
	if err := d.CheckOptions(Options{"tau": 1}); err == nil || !strings.Contains(err.Error(), "no options") {
		t.Errorf("darts with an option: %v", err)
	}
	if _, err := Lookup("gdsa"); err == nil || !strings.Contains(err.Error(), "known: darts") {
		t.Errorf("Lookup(gdsa): %v", err)
	}
	if _, err := d.Recipe(Query{Space: "nasnet"}, Quick); err == nil || !strings.Contains(err.Error(), "nas-bench-201") {
		t.Errorf("unknown space: %v", err)
	}
}
