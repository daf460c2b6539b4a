package method_test

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"testing"

	"github.com/darts-go/darts/bilevel"
	"github.com/darts-go/darts/datasets"
	"github.com/darts-go/darts/derive"
	"github.com/darts-go/darts/job"
	"github.com/darts-go/darts/method"
	"github.com/darts-go/darts/rundir"
	"github.com/darts-go/darts/strategy"
	"github.com/darts-go/darts/supernet"
)

// rspsConf is a small RSPS search on synthetic data: 2 epochs of 3 steps.
func rspsConf(t *testing.T, sp string) job.SearchConfig {
	t.Helper()
	spec, err := method.Lookup(method.RSPS)
	if err != nil {
		t.Fatal(err)
	}
	r, err := spec.Recipe(method.Query{Space: sp}, method.Quick)
	if err != nil {
		t.Fatal(err)
	}
	r.Search.Epochs, r.Search.BatchSize = 2, 16
	r.Options["select_samples"], r.Options["select_batches"], r.Options["select_top"] = 12, 2, 3
	r.Options["epoch_samples"], r.Options["select_batch_size"] = 4, 0
	shape := [3]int{1, 8, 8}
	if sp == "darts" {
		r.Network.C, r.Network.Layers = 2, 3
	} else {
		r.Network.C, r.Network.CellsPerStage = 2, 1
		shape = [3]int{3, 8, 8}
	}
	data := datasets.Options{Name: "synthetic", Shape: shape, Classes: 3, Limit: 96, TrainPortion: 0.5}
	return job.SearchConfig{Method: method.RSPS, MethodOptions: r.Options, Data: data, Search: r.Search, Network: r.Network}
}

// cancelAt cancels a search after n steps.
type cancelAt struct {
	job.Nop
	n, seen int
	cancel  func()
}

func (c *cancelAt) Update(int, string) {
	if c.seen++; c.seen == c.n {
		c.cancel()
	}
}

// TestRSPSSearch runs RSPS through job.Search on both spaces and checks
// what the method promises: the architecture tensors never move (no
// architecture step), alphas.jsonl records the sampler's marginals, the
// genotype is the selection's — the one strategy.Select gives on the
// supernet reloaded from the checkpoint with the settings of RSPS's final
// selection — and a search stopped mid-epoch and resumed ends with the
// same checkpoint and genotype as one never stopped.
func TestRSPSSearch(t *testing.T) {
	for _, sp := range []string{"darts", "nas-bench-201"} {
		t.Run(sp, func(t *testing.T) {
			conf := rspsConf(t, sp)
			dir := filepath.Join(t.TempDir(), "a")
			if err := job.Search(context.Background(), conf, job.SearchOptions{Dir: dir, NoPlots: true}); err != nil {
				t.Fatal(err)
			}
			as, err := rundir.ReadAlphas(rundir.AlphasPath(dir))
			if err != nil {
				t.Fatal(err)
			}
			if len(as) != 3 {
				t.Fatalf("%d alphas lines, want 3", len(as))
			}
			for i, ts := range as[2].Tensors {
				first := as[0].Tensors[i]
				for r := range ts.Alpha {
					if !slices.Equal(ts.Alpha[r], first.Alpha[r]) {
						t.Fatalf("%s row %d moved: %v -> %v", ts.Name, r, first.Alpha[r], ts.Alpha[r])
					}
					for _, w := range ts.Weights[r] {
						if w <= 0 || w > 1 {
							t.Fatalf("%s row %d: marginal %v", ts.Name, r, w)
						}
					}
				}
			}
			g, err := derive.ReadFile(rundir.GenotypeJSONPath(dir))
			if err != nil {
				t.Fatal(err)
			}

			sconf, err := job.ReadSearchConfig(dir)
			if err != nil {
				t.Fatal(err)
			}
			net, err := supernet.NewNetwork[float32](sconf.Network, sconf.Search.Seed)
			if err != nil {
				t.Fatal(err)
			}
			info, err := bilevel.LoadNetwork(filepath.Join(dir, bilevel.CheckpointFile), net)
			if err != nil {
				t.Fatal(err)
			}
			if info.Epoch != 2 || info.Step != 0 {
				t.Fatalf("checkpoint at epoch %d step %d", info.Epoch, info.Step)
			}
			data, err := datasets.Load(sconf.Data)
			if err != nil {
				t.Fatal(err)
			}
			st := strategy.DefaultSettings(strategy.RandomName)
			st.Seed = method.RSPSSeed(sconf.Search.Seed, 2)
			st.Budget, st.Rescore = 12, 3
			st.Score = strategy.ScoreSettings{Batches: 2, BatchSize: 16, BN: strategy.BNRunning, Seed: st.Seed}
			if sp != "darts" {
				st.Score.BN = strategy.BNBatch
			}
			sc, err := strategy.NewScorer(net, data, st.Score)
			if err != nil {
				t.Fatal(err)
			}
			defer sc.Close()
			res, err := strategy.Select(context.Background(), sc, st)
			if err != nil {
				t.Fatal(err)
			}
			if !res.Genotype.Equal(g) {
				t.Errorf("genotype.json %v, the selection on the reloaded supernet %v", g, res.Genotype)
			}
			if sp == "darts" && !g.IsDARTS() {
				t.Errorf("not a DARTS genotype: %v", g)
			}

			// Stopped after 4 steps (in epoch 2), then resumed.
			other := filepath.Join(t.TempDir(), "b")
			ctx, cancel := context.WithCancel(context.Background())
			err = job.Search(ctx, conf, job.SearchOptions{Dir: other, NoPlots: true, Report: &cancelAt{n: 4, cancel: cancel}})
			var ie *job.InterruptedError
			if !errors.As(err, &ie) {
				t.Fatalf("stopped search: %v", err)
			}
			if err := job.Search(context.Background(), job.SearchConfig{}, job.SearchOptions{Dir: other, Resume: true, NoPlots: true}); err != nil {
				t.Fatal(err)
			}
			g2, err := derive.ReadFile(rundir.GenotypeJSONPath(other))
			if err != nil {
				t.Fatal(err)
			}
			if !g2.Equal(g) {
				t.Errorf("resumed search's genotype %v, uninterrupted %v", g2, g)
			}
			net2, err := supernet.NewNetwork[float32](sconf.Network, 99)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := bilevel.LoadNetwork(filepath.Join(other, bilevel.CheckpointFile), net2); err != nil {
				t.Fatal(err)
			}
			for i, p := range net.Weights() {
				if !slices.Equal(p.Value, net2.Weights()[i].Value) {
					t.Fatalf("resumed search's %s differs", p.Name)
				}
			}
			for i, p := range net.State() {
				if !slices.Equal(p.Value, net2.State()[i].Value) {
					t.Fatalf("resumed search's %s differs", p.Name)
				}
			}
		})
	}
}

func TestRSPSOptions(t *testing.T) {
	spec, _ := method.Lookup(method.RSPS)
	r, err := spec.Recipe(method.Query{Space: "darts"}, method.Reference)
	if err != nil {
		t.Fatal(err)
	}
	if r.Search.Epochs != 100 || r.Options["select_samples"] != 1000 || r.Options["select_batches"] != 10 || r.Options["select_top"] != 10 {
		t.Errorf("DARTS-space recipe: %d epochs, options %v", r.Search.Epochs, r.Options)
	}
	for name, v := range map[string]float64{"select_bn": 3, "select_samples": 0, "epoch_batches": 0, "select_top": -1} {
		bad := r
		bad.Options = r.Options.Clone()
		bad.Options[name] = v
		if _, err := spec.BuildRecipe(bad); err == nil {
			t.Errorf("%s = %v: no error", name, v)
		}
	}
}
