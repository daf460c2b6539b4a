package method

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/darts-go/darts/bilevel"
	"github.com/darts-go/darts/datasets"
	"github.com/darts-go/darts/derive"
	"github.com/darts-go/darts/optim"
	"github.com/darts-go/darts/space"
	"github.com/darts-go/darts/supernet"
)

// TestPCDARTSReference holds the PC-DARTS recipe to train_search.py's
// argparse defaults and model_search.py as ../shared/METHODS.md §1 and §15
// pin them, and its quick budget to DARTS's scaled: 2 warm-up epochs of 6
// (15 of 50, rounded), batch 4 × DARTS's quick 32 as 256 is 4 × 64.
func TestPCDARTSReference(t *testing.T) {
	s, err := Lookup(PCDARTS)
	if err != nil {
		t.Fatal(err)
	}
	r, err := s.Recipe(Query{Space: space.DARTSName}, Reference)
	if err != nil {
		t.Fatal(err)
	}
	st, n := r.Search, r.Network
	if st.Epochs != 50 || st.BatchSize != 256 || st.LR != 0.1 || st.LRMin != 0 || st.Momentum != 0.9 || st.WeightDecay != 3e-4 ||
		st.GradClip != 5 || st.ArchLR != 6e-4 || st.ArchBeta1 != 0.5 || st.ArchBeta2 != 0.999 || st.ArchWeightDecay != 1e-3 ||
		st.Warmup != 15 || st.Order != 1 || st.ArchAdam != optim.Adam031 || st.WeightFirst || st.Nesterov || st.ClipWithArch {
		t.Errorf("settings %+v differ from train_search.py's", st)
	}
	if n.C != 16 || n.Layers != 8 || n.Steps != 4 || n.Multiplier != 4 || len(n.Primitives) != 8 || n.PartialChannels != 4 ||
		!n.EdgeNormalization || n.Init != "0.3.1" || n.AuxSkip != nil || r.Options["k"] != 4 {
		t.Errorf("network %+v, options %v differ from model_search.py's", n, r.Options)
	}
	q, err := s.Recipe(Query{}, Quick)
	if err != nil {
		t.Fatal(err)
	}
	if q.Search.Epochs != 6 || q.Search.Warmup != 2 || q.Search.BatchSize != 128 || q.Search.LR != 0.1 || q.Network.PartialChannels != 4 || q.Limit != 4000 {
		t.Errorf("quick: %d epochs, warm-up %d, batch %d, lr %g, K %d, limit %d; want 6, 2, 128, 0.1, 4, 4000",
			q.Search.Epochs, q.Search.Warmup, q.Search.BatchSize, q.Search.LR, q.Network.PartialChannels, q.Limit)
	}
	// An option set after the recipe reaches the network through Resolve.
	q.Options["k"] = 2
	if q, err = s.Resolve(q); err != nil || q.Network.PartialChannels != 2 {
		t.Errorf("k = 2: partial channels %d, %v", q.Network.PartialChannels, err)
	}
	if _, err := s.BuildRecipe(q); err != nil {
		t.Errorf("resolved k = 2: %v", err)
	}
	q.Options["k"] = 3
	if _, err := s.Resolve(q); err == nil || !strings.Contains(err.Error(), "dividing the initial channels (8)") {
		t.Errorf("k = 3 of 8 channels: %v", err)
	}
	if _, err := s.BuildRecipe(q); err == nil || !strings.Contains(err.Error(), "Resolve") {
		t.Errorf("k = 3 not resolved into the network: %v", err)
	}
	if _, err := s.Recipe(Query{Space: space.NB201Name}, Reference); err == nil {
		t.Error("pc-darts on nas-bench-201: no error")
	}
	q.Options["k"] = 4
	q.Search.Epochs = 2
	if _, err := s.Resolve(q); err == nil || !strings.Contains(err.Error(), "warm-up of 2 epochs in a run of 2") {
		t.Errorf("warm-up as long as the run: %v", err)
	}
}

// TestDARTSMinusReference holds the DARTS- recipe to its args.py defaults
// with run_darts_minus.sh's flags (--skip_beta 1 --decay linear --auxiliary_skip)
// and the DARTS space: β from 1 down by 1/50 an epoch.
func TestDARTSMinusReference(t *testing.T) {
	s, err := Lookup(DARTSMinus)
	if err != nil {
		t.Fatal(err)
	}
	r, err := s.Recipe(Query{Space: space.DARTSName}, Reference)
	if err != nil {
		t.Fatal(err)
	}
	st, n := r.Search, r.Network
	if st.Epochs != 50 || st.BatchSize != 64 || st.LR != 0.025 || st.LRMin != 0.001 || st.ArchLR != 3e-4 || st.ArchBeta1 != 0.5 ||
		st.ArchWeightDecay != 1e-3 || st.Warmup != 0 || st.ArchAdam != optim.Adam1 || st.Order != 1 {
		t.Errorf("settings %+v differ from args.py's", st)
	}
	if n.C != 16 || n.Layers != 8 || n.Init != "1.x" || n.PartialChannels != 0 || n.EdgeNormalization || n.AuxSkip == nil {
		t.Fatalf("network %+v", n)
	}
	a := *n.AuxSkip
	if a.Beta != 1 || a.Decay != supernet.DecayLinear {
		t.Errorf("auxiliary skip %+v, want β 1 decaying linearly", a)
	}
	for e, want := range map[int]float64{0: 1, 1: 0.98, 25: 0.5, 49: 0.02} {
		if got := a.Coef(e, st.Epochs); got < want-1e-12 || got > want+1e-12 {
			t.Errorf("β in epoch %d: %v, want %v", e, got, want)
		}
	}
	q, err := s.Recipe(Query{}, Quick)
	if err != nil {
		t.Fatal(err)
	}
	if q.Search.Epochs != 6 || q.Search.BatchSize != 32 || q.Network.AuxSkip.Coef(3, 6) != 0.5 {
		t.Errorf("quick: %d epochs, batch %d, β in epoch 3 %v; want 6, 32, 0.5", q.Search.Epochs, q.Search.BatchSize, q.Network.AuxSkip.Coef(3, 6))
	}
	q.Options["decay"] = 2
	q.Options["decay_start_epoch"] = 1
	if q, err = s.Resolve(q); err != nil || q.Network.AuxSkip.Decay != supernet.DecayCosine || q.Network.AuxSkip.Start != 1 {
		t.Errorf("decay cosine from epoch 1: %+v, %v", q.Network.AuxSkip, err)
	}
	q.Options["decay"] = 4
	if _, err := s.Resolve(q); err == nil || !strings.Contains(err.Error(), "3 slow_cosine") {
		t.Errorf("decay 4: %v", err)
	}
	q.Options["decay"], q.Options["decay_start_epoch"] = 1, 6
	if _, err := s.Resolve(q); err == nil || !strings.Contains(err.Error(), "after the start") {
		t.Errorf("decay starting at the last epoch+1: %v", err)
	}
}

// TestPCDARTSGenotype derives the genotypes of a PC-DARTS search whose α
// and β are set to those of testdata/pc_dartsminus_ref.json and requires
// the genotypes PC-DARTS's own Network.genotype() gave for them, among them
// cases where β changes which edges a node keeps.
func TestPCDARTSGenotype(t *testing.T) {
	var ref struct {
		Primitives []string `json:"primitives"`
		Cases      []struct {
			Name         string
			AlphasNormal [][]float64 `json:"alphas_normal"`
			AlphasReduce [][]float64 `json:"alphas_reduce"`
			BetasNormal  []float64   `json:"betas_normal"`
			BetasReduce  []float64   `json:"betas_reduce"`
			Genotype     struct {
				Normal       [][2]any `json:"normal"`
				Reduce       [][2]any `json:"reduce"`
				NormalConcat []int    `json:"normal_concat"`
				ReduceConcat []int    `json:"reduce_concat"`
			}
			BetaChangesGenotype bool `json:"beta_changes_genotype"`
		} `json:"pcdarts_genotype"`
	}
	b, err := os.ReadFile(filepath.Join("..", "testdata", "pc_dartsminus_ref.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatal(err)
	}
	data, err := datasets.Load(datasets.Options{Name: "synthetic", Shape: [3]int{1, 8, 8}, Classes: 3, Limit: 32, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	cfg := supernet.Config{InputC: 1, InputH: 8, InputW: 8, Classes: 3, C: 4, Layers: 3, Primitives: ref.Primitives,
		PartialChannels: 4, EdgeNormalization: true}
	net, err := supernet.NewNetwork[float32](cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	st := bilevel.DefaultSettings()
	st.BatchSize = 8
	s, err := bilevel.NewSearch(net, data, st, bilevel.Method[float32]{Name: PCDARTS})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	pairs := func(ps [][2]any) []derive.Pair {
		var out []derive.Pair
		for _, p := range ps {
			out = append(out, derive.Pair{Op: p[0].(string), Input: int(p[1].(float64))})
		}
		return out
	}
	changed := 0
	for _, c := range ref.Cases {
		set := func(name string, v []float64) {
			a, ok := net.ArchTensor(name)
			if !ok || len(v) != len(a.Param.Value) {
				t.Fatalf("%s: tensor %s (in the network: %v): %d reference values", c.Name, name, ok, len(v))
			}
			for i := range v {
				a.Param.Value[i] = float32(v[i])
			}
		}
		flat := func(m [][]float64) []float64 {
			var v []float64
			for _, row := range m {
				v = append(v, row...)
			}
			return v
		}
		set("normal", flat(c.AlphasNormal))
		set("reduce", flat(c.AlphasReduce))
		set("beta_normal", c.BetasNormal)
		set("beta_reduce", c.BetasReduce)
		g, err := s.Genotype()
		if err != nil {
			t.Fatal(err)
		}
		want := derive.MustDARTS(pairs(c.Genotype.Normal), c.Genotype.NormalConcat, pairs(c.Genotype.Reduce), c.Genotype.ReduceConcat)
		if !g.Equal(want) {
			t.Errorf("%s: genotype\n%v\nreference\n%v", c.Name, g, want)
		}
		if c.BetaChangesGenotype {
			changed++
		}
	}
	if changed < 3 {
		t.Errorf("%d cases where β changes the genotype, want at least 3", changed)
	}
}
