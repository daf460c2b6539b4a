package method

import (
	"slices"
	"strings"
	"testing"

	"github.com/darts-go/darts/derive"
	"github.com/darts-go/darts/optim"
	"github.com/darts-go/darts/perturb"
	"github.com/darts-go/darts/relax"
	"github.com/darts-go/darts/space"
)

// TestFairDARTSReference holds FairDARTS's recipe to fairdarts/
// train_search.py's argparse defaults and model_search.py
// (../shared/METHODS.md §4, §15), and its build to the sigmoid relaxation
// with the zero-one loss and the threshold rule.
func TestFairDARTSReference(t *testing.T) {
	s, err := Lookup(FairDARTS)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Recipe(Query{Space: space.NB201Name}, Reference); err == nil {
		t.Error("fair-darts has a NAS-Bench-201 recipe; its reference defines none")
	}
	r, err := s.Recipe(Query{Space: space.DARTSName}, Reference)
	if err != nil {
		t.Fatal(err)
	}
	st, n := r.Search, r.Network
	if st.Epochs != 50 || st.BatchSize != 128 || st.LR != 0.005 || st.LRMin != 0.001 || st.Momentum != 0.9 || st.WeightDecay != 3e-4 ||
		st.GradClip != 5 || st.ArchLR != 3e-3 || st.ArchBeta1 != 0.9 || st.ArchBeta2 != 0.999 || st.ArchWeightDecay != 1e-3 ||
		st.ArchAdam != optim.Adam1 || st.Order != 1 || st.Warmup != 0 || st.WeightFirst || st.Nesterov || st.ClipWithArch {
		t.Errorf("settings %+v differ from fairdarts/train_search.py's", st)
	}
	if n.C != 16 || n.Layers != 8 || n.Steps != 4 || n.Multiplier != 4 || n.Init != "1.x" || slices.Contains(n.Primitives, "none") || len(n.Primitives) != 7 ||
		n.ArchInit == nil || n.ArchInit.Mean != 0 || n.ArchInit.Std != 0 {
		t.Errorf("network %+v differs from FairDARTS's (7 ops, α = 0)", n)
	}
	if r.Options["zero_one_weight"] != 10 || r.Options["op_threshold"] != 0.85 {
		t.Errorf("options %v", r.Options)
	}
	m, err := s.BuildRecipe(r)
	if err != nil {
		t.Fatal(err)
	}
	sig, ok := m.Relax.(relax.Sigmoid[float32])
	if !ok || sig.ZeroOneWeight != 10 || m.Rule.Name() != "threshold" || m.Name != FairDARTS {
		t.Errorf("built %+v (relaxation %#v, rule %v)", m, m.Relax, m.Rule)
	}
	r.Options = Options{"zero_one_weight": 2, "op_threshold": 0.6}
	m, _ = s.BuildRecipe(r)
	if m.Relax.(relax.Sigmoid[float32]).ZeroOneWeight != 2 || m.Rule.(derive.Threshold).T != 0.6 {
		t.Errorf("options not applied: %#v, %#v", m.Relax, m.Rule)
	}
	for _, bad := range []Options{{"op_threshold": 0}, {"op_threshold": 1.5}, {"zero_one_weight": -1}, {"threshold": 0.5}} {
		r.Options = bad
		if _, err := s.BuildRecipe(r); err == nil {
			t.Errorf("options %v accepted", bad)
		}
	}
}

// TestBetaDARTSReference holds β-DARTS's recipes to Beta-DARTS's
// nasbench201/train_search.py and architect.py (METHODS.md §7), the quick
// budget's scaling of the ramp, and the build to Beta-Decay.
func TestBetaDARTSReference(t *testing.T) {
	s, _ := Lookup(BetaDARTS)
	r, err := s.Recipe(Query{Space: space.NB201Name}, Reference)
	if err != nil {
		t.Fatal(err)
	}
	st, n := r.Search, r.Network
	if st.Epochs != 100 || st.BatchSize != 64 || st.LR != 0.025 || st.LRMin != 0.001 || st.Momentum != 0.9 || st.Nesterov ||
		st.WeightDecay != 3e-4 || st.GradClip != 5 || st.ArchLR != 3e-4 || st.ArchBeta1 != 0.5 || st.ArchWeightDecay != 1e-3 ||
		st.ArchAdam != optim.Adam1 || st.WeightFirst || st.Order != 1 {
		t.Errorf("NAS-Bench-201 settings %+v differ from nasbench201/train_search.py's", st)
	}
	if n.Space != space.NB201Name || n.C != 16 || n.CellsPerStage != 5 || n.NoTrackStats || n.Init != "1.x" || !slices.Contains(n.Primitives, "none") {
		t.Errorf("NAS-Bench-201 network %+v", n)
	}
	if r.Options["beta_weight"] != 50 || r.Options["beta_ramp_epochs"] != 100 {
		t.Errorf("options %v, want λ = 50·e/100", r.Options)
	}
	m, err := s.BuildRecipe(r)
	if err != nil {
		t.Fatal(err)
	}
	if b, ok := m.Relax.(relax.BetaDecay[float32]); !ok || b.Lambda(99) != 49.5 {
		t.Errorf("built relaxation %#v", m.Relax)
	}
	q, err := s.Recipe(Query{Space: space.NB201Name}, Quick)
	if err != nil {
		t.Fatal(err)
	}
	qb, err := LookupBudget(Quick, space.NB201Name)
	if err != nil {
		t.Fatal(err)
	}
	// The reference ramps over all its 100 epochs: 100·E/100 of E epochs.
	if q.Search.Epochs != qb.Epochs || q.Options["beta_ramp_epochs"] != float64(qb.Epochs) || q.Options["beta_weight"] != 50 {
		t.Errorf("quick NAS-Bench-201: %d epochs, options %v; want the ramp scaled to the budget's %d epochs", q.Search.Epochs, q.Options, qb.Epochs)
	}
	d, err := s.Recipe(Query{Space: space.DARTSName}, Reference)
	if err != nil {
		t.Fatal(err)
	}
	if d.Search.Epochs != 50 || d.Search.BatchSize != 64 || d.Network.Layers != 8 || len(d.Network.Primitives) != 7 || slices.Contains(d.Network.Primitives, "none") {
		t.Errorf("DARTS-space recipe %+v %+v", d.Search, d.Network)
	}
	if dq, _ := s.Recipe(Query{Space: space.DARTSName}, Quick); dq.Options["beta_ramp_epochs"] != 12 {
		t.Errorf("quick DARTS ramp %g, want 100·6/50 = 12", dq.Options["beta_ramp_epochs"])
	}
	d.Options = Options{"beta_ramp_epochs": 0}
	if _, err := s.BuildRecipe(d); err == nil || !strings.Contains(err.Error(), "beta_ramp_epochs") {
		t.Errorf("ramp 0: %v", err)
	}
}

// TestSDARTSReference holds SDARTS's recipes to SmoothDARTS's
// train_search.py (sota/cnn with s5, nasbench201) and perturb.py.
func TestSDARTSReference(t *testing.T) {
	for _, name := range []string{SDARTSRS, SDARTSADV} {
		s, err := Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			sp     string
			epochs int
		}{{space.DARTSName, 50}, {space.NB201Name, 100}} {
			r, err := s.Recipe(Query{Space: c.sp}, Reference)
			if err != nil {
				t.Fatal(err)
			}
			st := r.Search
			if st.Epochs != c.epochs || st.BatchSize != 64 || st.LR != 0.025 || st.LRMin != 0.001 || st.Nesterov || st.WeightDecay != 3e-4 ||
				st.ArchLR != 3e-4 || st.ArchBeta1 != 0.5 || st.ArchWeightDecay != 1e-3 || st.ArchAdam != optim.Adam1 || st.WeightFirst {
				t.Errorf("%s on %s: settings %+v", name, c.sp, st)
			}
			if c.sp == space.DARTSName && (len(r.Network.Primitives) != 7 || slices.Contains(r.Network.Primitives, "none")) {
				t.Errorf("%s: DARTS-space ops %v, want s5's 7 (no 'none')", name, r.Network.Primitives)
			}
			m, err := s.BuildRecipe(r)
			if err != nil {
				t.Fatal(err)
			}
			p, ok := m.Relax.(*perturb.SDARTS[float32])
			if !ok || p.Epsilon != 0.3 || p.EpsilonMin != 0.03 || m.Name != name {
				t.Fatalf("%s: built %#v", name, m.Relax)
			}
			if wantMode := map[string]string{SDARTSRS: perturb.Random, SDARTSADV: perturb.Adversarial}[name]; p.Mode != wantMode ||
				(name == SDARTSADV && p.Steps != 7) {
				t.Errorf("%s: mode %q, %d steps", name, p.Mode, p.Steps)
			}
		}
	}
	s, _ := Lookup(SDARTSADV)
	r, _ := s.Recipe(Query{}, Reference)
	for _, bad := range []Options{{"attack_steps": 0}, {"epsilon": 0.01}, {"attack_steps": 2.5}} {
		r.Options = bad
		if _, err := s.BuildRecipe(r); err == nil {
			t.Errorf("options %v accepted", bad)
		}
	}
	rs, _ := Lookup(SDARTSRS)
	if err := rs.CheckOptions(Options{"attack_steps": 3}); err == nil {
		t.Error("sdarts-rs accepted attack_steps")
	}
}
