package method

import (
	"math"
	"strings"
	"testing"

	"github.com/darts-go/darts/derive"
	"github.com/darts-go/darts/internal/golden"
	"github.com/darts-go/darts/mixedop"
	"github.com/darts-go/darts/optim"
	"github.com/darts-go/darts/relax"
	"github.com/darts-go/darts/space"
)

func recipe(t *testing.T, name, sp string, order int, budget string) Recipe {
	t.Helper()
	s, err := Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	r, err := s.Recipe(Query{Space: sp, Order: order}, budget)
	if err != nil {
		t.Fatalf("%s on %s: %v", name, sp, err)
	}
	return r
}

func build(t *testing.T, r Recipe) (relax.Relaxation[float32], derive.Rule) {
	t.Helper()
	s, _ := Lookup(r.Method)
	m, err := s.BuildRecipe(r)
	if err != nil {
		t.Fatalf("%s: %v", r.Method, err)
	}
	return m.Relax, m.Rule
}

// TestGDASReference holds GDAS's recipes to AutoDL-Projects' values
// (../shared/METHODS.md §2 and §15, GDAS.config, GDAS-NASNet-CIFAR.config,
// the scripts' flags) and its build to the code's cells: scalar terms on
// NAS-Bench-201, none on the DARTS space, whose rule is AutoDL's.
func TestGDASReference(t *testing.T) {
	for _, sp := range []string{space.NB201Name, space.DARTSName} {
		r := recipe(t, GDAS, sp, 1, Reference)
		st, n := r.Search, r.Network
		batch := 64
		if sp == space.DARTSName {
			batch = 256
		}
		if st.Epochs != 250 || st.BatchSize != batch || st.LR != 0.025 || st.LRMin != 0.001 || st.Momentum != 0.9 || !st.Nesterov ||
			st.WeightDecay != 5e-4 || st.GradClip != 5 || !st.ClipWithArch || st.ArchLR != 3e-4 || st.ArchBeta1 != 0.5 || st.ArchBeta2 != 0.999 ||
			st.ArchWeightDecay != 1e-3 || st.ArchAdam != optim.Adam1 || !st.WeightFirst || st.Warmup != 0 || st.SingleLevel {
			t.Errorf("%s: settings %+v differ from GDAS.config and the scripts", sp, st)
		}
		if r.Options["tau_max"] != 10 || r.Options["tau_min"] != 0.1 || n.Init != "1.x" || n.ArchInit != nil {
			t.Errorf("%s: options %v, init %s, arch init %v", sp, r.Options, n.Init, n.ArchInit)
		}
		rel, rule := build(t, r)
		g, ok := rel.(relax.GDAS[float32])
		if !ok {
			t.Fatalf("%s: relaxation %T", sp, rel)
		}
		if g.Tau.At(0, 250) != 10 || math.Abs(g.Tau.At(249, 250)-0.1) > 1e-15 {
			t.Errorf("%s: τ %g at the first epoch, %g at the last", sp, g.Tau.At(0, 250), g.Tau.At(249, 250))
		}
		if sp == space.NB201Name {
			if g.Skip() != mixedop.SkipZeroScalar || rule != nil || n.C != 16 || n.CellsPerStage != 5 || n.NoTrackStats {
				t.Errorf("NAS-Bench-201: skip %d, rule %v, network %+v", g.Skip(), rule, n)
			}
		} else {
			if g.Skip() != mixedop.SkipZero || rule == nil || rule.Name() != "pairs-top2" || n.C != 16 || n.Layers != 6 || !n.NoPoolBN || !n.LastAct ||
				strings.Join(n.Primitives, ",") != "none,skip_connect,sep_conv_3x3,sep_conv_5x5,dil_conv_3x3,dil_conv_5x5,avg_pool_3x3,max_pool_3x3" {
				t.Errorf("DARTS space: skip %d, rule %v, network %+v", g.Skip(), rule, n)
			}
		}
	}
	s, _ := Lookup(GDAS)
	if _, err := s.Recipe(Query{Space: space.NB201Name, Order: 2}, Reference); err == nil || !strings.Contains(err.Error(), "second-order") {
		t.Errorf("GDAS order 2: %v", err)
	}
}

// TestSNASReference holds SNAS's recipes to SNAS-Series' single-GPU
// command and code (§3, §15) on the DARTS space and to DrNAS's SNAS
// baseline on NAS-Bench-201, and its schedules to their formulas.
func TestSNASReference(t *testing.T) {
	r := recipe(t, SNAS, space.DARTSName, 1, Reference)
	st, n := r.Search, r.Network
	if st.Epochs != 150 || st.BatchSize != 64 || st.LR != 0.025 || st.LRMin != 0.001 || st.Momentum != 0.9 || st.WeightDecay != 3e-4 ||
		st.GradClip != 5 || !st.SingleLevel || st.ArchOptimizer != "sgd" || st.ArchLR != 3e-4 || st.ArchWeightDecay != 0 || st.ArchGradClip != 10 ||
		st.ClipWithArch || st.Nesterov || st.Warmup != 0 {
		t.Errorf("DARTS-space settings %+v differ from train_search.py's single-GPU path", st)
	}
	if n.C != 16 || n.Layers != 8 || n.NoPoolBN || n.ArchInit == nil || n.ArchInit.Mean != 1 || n.ArchInit.Std != 0.01 ||
		strings.Join(n.Primitives, ",") != strings.Join(space.DARTSOps, ",") {
		t.Errorf("DARTS-space network %+v", n)
	}
	rel, rule := build(t, r)
	sn := rel.(relax.SNAS[float32])
	if rule != derive.ArgmaxRule {
		t.Errorf("rule %v, want argmax (genotype_edge_all)", rule)
	}
	if got, want := sn.Tau.At(0, 150), (1-1.0/150)*0.97+0.03; math.Abs(got-want) > 1e-15 {
		t.Errorf("τ(0) = %g, want Temp_Scheduler's %g", got, want)
	}
	if got := sn.Tau.At(149, 150); math.Abs(got-0.03) > 1e-15 {
		t.Errorf("τ(149) = %g, want 0.03", got)
	}
	snas, _ := Lookup(SNAS)
	if _, err := snas.Recipe(Query{Space: space.DARTSName, Order: 2}, Reference); err == nil || !strings.Contains(err.Error(), "single-level") {
		t.Errorf("SNAS order 2 on the DARTS space: %v", err)
	}
	// The quick budget scales tau_epochs with the epochs: τ reaches its
	// minimum at the budget's last epoch, as at the reference's.
	q := recipe(t, SNAS, space.DARTSName, 1, Quick)
	if q.Options["tau_epochs"] != 6 || q.Search.Epochs != 6 {
		t.Errorf("quick: tau_epochs %g over %d epochs", q.Options["tau_epochs"], q.Search.Epochs)
	}
	qr, _ := build(t, q)
	if got := qr.(relax.SNAS[float32]).Tau.At(5, 6); math.Abs(got-0.03) > 1e-15 {
		t.Errorf("quick: τ(5) = %g, want 0.03", got)
	}

	r = recipe(t, SNAS, space.NB201Name, 1, Reference)
	st, n = r.Search, r.Network
	if st.Epochs != 100 || st.BatchSize != 64 || st.LR != 0.025 || st.LRMin != 0.001 || st.WeightDecay != 3e-4 || st.SingleLevel ||
		st.ArchOptimizer != "" || st.ArchLR != 3e-4 || st.ArchBeta1 != 0.5 || st.ArchWeightDecay != 1e-3 || st.ArchAdam != optim.Adam1 ||
		st.WeightFirst || st.Nesterov || n.ArchInit != nil || n.C != 16 || n.CellsPerStage != 5 {
		t.Errorf("NAS-Bench-201 recipe %+v %+v differs from DrNAS's train_search.py --method snas", st, n)
	}
	rel, _ = build(t, r)
	sn = rel.(relax.SNAS[float32])
	for e, want := range map[int]float64{0: 10, 1: 10 - 9.0/100, 99: 10 - 9*99.0/100} {
		if got := sn.Tau.At(e, 100); math.Abs(got-want) > 1e-12 {
			t.Errorf("NAS-Bench-201 τ(%d) = %g, want %g", e, got, want)
		}
	}
}

// TestDrNASReference holds DrNAS's recipes to its code (§5, §15) and its
// regularizers: "l2" is the architecture optimizer's coupled weight decay,
// whose gradient reg_scale·α is the golden file's drnas_l2 gradient.
func TestDrNASReference(t *testing.T) {
	r := recipe(t, DrNAS, space.NB201Name, 1, Reference)
	st, n := r.Search, r.Network
	if st.Epochs != 100 || st.BatchSize != 64 || st.LR != 0.025 || st.LRMin != 0.001 || st.WeightDecay != 3e-4 || st.ArchLR != 3e-4 ||
		st.ArchBeta1 != 0.5 || st.ArchBeta2 != 0.999 || st.ArchWeightDecay != 1e-3 || st.ArchAdam != optim.Adam1 || st.WeightFirst ||
		st.Warmup != 0 || st.Nesterov || n.C != 16 || n.CellsPerStage != 5 || n.Init != "1.x" || len(n.Primitives) != 5 {
		t.Errorf("NAS-Bench-201 recipe %+v %+v differs from 201-space/train_search.py", st, n)
	}
	r = recipe(t, DrNAS, space.DARTSName, 1, Reference)
	st, n = r.Search, r.Network
	if st.Epochs != 50 || st.BatchSize != 64 || st.LR != 0.1 || st.LRMin != 0 || st.ArchLR != 6e-4 || st.ArchWeightDecay != 1e-3 ||
		st.Warmup != 10 || n.C != 36 || n.Layers != 20 || !n.NoPoolBN || strings.Join(n.Primitives, ",") != strings.Join(drnasOps, ",") {
		t.Errorf("DARTS-space recipe %+v %+v differs from DARTS-space/train_search.py", st, n)
	}
	if q := recipe(t, DrNAS, space.DARTSName, 1, Quick); q.Search.Warmup != 1 {
		t.Errorf("quick: warm-up %d epochs, want round(10·6/50) = 1", q.Search.Warmup)
	}
	rel, rule := build(t, r)
	if d, ok := rel.(relax.DrNAS[float32]); !ok || d.KL != 0 || rule != nil {
		t.Errorf("default DrNAS: %#v, rule %v", rel, rule)
	}
	r.Options["kl_scale"] = 0.5
	if rel, _ := build(t, r); rel.(relax.DrNAS[float32]).KL != 0.5 {
		t.Errorf("kl_scale 0.5 gave %#v", rel)
	}
	s, _ := Lookup(DrNAS)
	r.Options["kl_scale"] = -1
	if _, err := s.BuildRecipe(r); err == nil || !strings.Contains(err.Error(), "kl_scale -1") {
		t.Errorf("negative kl_scale: %v", err)
	}

	f, err := golden.LoadWave2()
	if err != nil {
		t.Fatal(err)
	}
	n2 := 0
	for _, c := range f.CasesOf("mixing") {
		if c.Method != "drnas_l2" {
			continue
		}
		n2++
		// One step of SGD with learning rate 1 and no gradient moves α by
		// −(coupled decay gradient); Adam adds the same wd·α to its g.
		alpha := c.Inputs[0].Data
		p := &mixedop.Param[float64]{Name: "a", Shape: c.Inputs[0].Shape, Value: append([]float64(nil), alpha...), Grad: make([]float64, len(alpha))}
		optim.NewSGD([]*mixedop.Param[float64]{p}, 1, 0, c.RegScale).Step()
		var value float64
		for i, a := range alpha {
			g := (a - p.Value[i]) * c.Upstream.Data[0]
			if math.Abs(g-c.GradInputs[0].Data[i]) > 1e-9 {
				t.Fatalf("drnas_l2: weight-decay gradient %g at %d, golden %g", g, i, c.GradInputs[0].Data[i])
			}
			value += 0.5 * c.RegScale * a * a
		}
		if math.Abs(value-c.Output.Data[0]) > 1e-9*math.Abs(value) {
			t.Errorf("drnas_l2: ½·reg·Σα² = %g, golden %g", value, c.Output.Data[0])
		}
	}
	if n2 == 0 {
		t.Error("no drnas_l2 case")
	}
}

// TestSamplingOptionsChecked: temperatures that are not positive are
// refused by name.
func TestSamplingOptionsChecked(t *testing.T) {
	for _, c := range []struct {
		method string
		opts   Options
		want   string
	}{
		{GDAS, Options{"tau_max": 0}, "tau_max, tau_min"},
		{GDAS, Options{"tau_min": -1}, "tau_max, tau_min"},
		{SNAS, Options{"tau_epochs": -2}, "tau_epochs -2"},
		{SNAS, Options{"tau": 1}, `"tau": unknown`},
	} {
		r := recipe(t, c.method, space.DARTSName, 1, Quick)
		for k, v := range c.opts {
			r.Options[k] = v
		}
		s, _ := Lookup(c.method)
		if _, err := s.BuildRecipe(r); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %v: %v, want an error containing %q", c.method, c.opts, err, c.want)
		}
	}
	for _, name := range []string{GDAS, SNAS, DrNAS} {
		if s, _ := Lookup(name); !strings.Contains(s.Doc, "Follows") && !strings.Contains(s.Doc, "SNAS-Series") {
			t.Errorf("%s: Doc does not say which code it follows", name)
		}
	}
}
