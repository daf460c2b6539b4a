package job_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/darts-go/darts/bilevel"
	"github.com/darts-go/darts/datasets"
	"github.com/darts-go/darts/derive"
	"github.com/darts-go/darts/job"
	"github.com/darts-go/darts/projection"
	"github.com/darts-go/darts/supernet"
)

// tinyDARTS is a one-epoch first-order DARTS search of 3 cells of 4 ops
// on 16 + 16 synthetic 8x8 images, one step an epoch.
func tinyDARTS() job.SearchConfig {
	st := bilevel.DefaultSettings()
	st.Epochs, st.BatchSize, st.Seed, st.ArchLR = 1, 16, 7, 3e-2
	return job.SearchConfig{Method: "darts", Search: st,
		Network: supernet.Config{Space: "darts", C: 4, Layers: 3, Primitives: []string{"none", "max_pool_3x3", "skip_connect", "sep_conv_3x3"}},
		Data:    datasets.Options{Name: "synthetic", Shape: [3]int{1, 8, 8}, Classes: 3, Limit: 32, TrainPortion: 0.5, Seed: 5}}
}

// canceller cancels its context at the at-th report (Note or Update),
// counting from 1; 0: never.
type canceller struct {
	job.Nop
	n, at  int
	cancel func()
}

func (c *canceller) tick() {
	c.n++
	if c.n == c.at {
		c.cancel()
	}
}
func (c *canceller) Note(string, ...any) { c.tick() }
func (c *canceller) Update(int, string)  { c.tick() }

func selectPT(t *testing.T, run string, o projection.Options, at int) (derive.Genotype, error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	return job.SelectPerturbation(ctx, job.PerturbationOptions{Run: run, Opts: o, Report: &canceller{at: at, cancel: cancel}})
}

// TestPerturbationSelection runs DARTS-PT's selection on a finished tiny
// search, whole and stopped (in a decision round, in a tuning epoch,
// between the two) and continued each time, and checks: every decision
// took the op whose removal gave the lowest accuracy and kept the edges
// whose removals gave the lowest accuracies; the genotype is the DARTS
// parser on those decisions; the tuning ran Interval·16+1 epochs at a
// tenth of the run's learning rate; and the stopped selections end with
// the same selection.json (decisions, probes, tuning metrics) and
// genotype as the whole one.
func TestPerturbationSelection(t *testing.T) {
	if testing.Short() {
		t.Skip("a small search and its selections")
	}
	root := t.TempDir()
	run := filepath.Join(root, "run")
	if err := job.Search(context.Background(), tinyDARTS(), job.SearchOptions{Dir: run, NoPlots: true}); err != nil {
		t.Fatal(err)
	}
	o := projection.Options{Interval: 1, Criterion: projection.CritAcc}
	clone := func(name string) string {
		dst := filepath.Join(root, name)
		if err := os.MkdirAll(dst, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, f := range []string{"config.json", bilevel.CheckpointFile} {
			b, err := os.ReadFile(filepath.Join(run, f))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dst, f), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return dst
	}
	whole := clone("whole")
	g, err := selectPT(t, whole, o, 0)
	if err != nil {
		t.Fatal(err)
	}
	st, err := job.ReadSelection(whole)
	if err != nil {
		t.Fatal(err)
	}
	conf := tinyDARTS()
	if st.TuneEpochs != 17 || len(st.Tuning) != 17 || len(st.Decisions) != 2*(14+3) || st.Genotype == nil {
		t.Fatalf("tune epochs %d, %d tuning lines, %d decisions, genotype %v", st.TuneEpochs, len(st.Tuning), len(st.Decisions), st.Genotype)
	}
	for _, m := range st.Tuning {
		if math.Abs(m.LR-conf.Search.LR/10) > 1e-15 {
			t.Fatalf("tuning epoch %d at lr %g, want %g", m.Epoch, m.LR, conf.Search.LR/10)
		}
	}
	ops := conf.Network.Primitives
	chosen := map[string][]string{"normal": make([]string, 14), "reduce": make([]string, 14)}
	kept := map[string]map[int][]int{"normal": {}, "reduce": {}}
	for _, d := range st.Decisions {
		switch d.Kind {
		case "op":
			if d.Epoch != d.Round || len(d.Probes) != len(ops) {
				t.Fatalf("decision %+v", d)
			}
			best := 0
			for k, p := range d.Probes {
				if p.Op != ops[k] || p.Edge != d.Edge || p.Acc < 0 || p.Acc > 1 {
					t.Fatalf("round %d: probe %+v", d.Round, p)
				}
				if p.Acc < d.Probes[best].Acc {
					best = k
				}
			}
			if d.Op != ops[best] || chosen[d.Cell][d.Edge] != "" {
				t.Fatalf("round %d: chose %s on %s edge %d (decided before: %q), probes %+v", d.Round, d.Op, d.Cell, d.Edge, chosen[d.Cell][d.Edge], d.Probes)
			}
			chosen[d.Cell][d.Edge] = d.Op
		case "edge":
			nProbes := map[int]int{1: 3, 2: 4 + 3, 3: 5 + 4 + 3}[d.Node]
			if len(d.Kept) != 2 || len(d.Probes) != nProbes || kept[d.Cell][d.Node] != nil {
				t.Fatalf("decision %+v", d)
			}
			kept[d.Cell][d.Node] = d.Kept
		}
	}
	// The genotype, derived here from the decisions as darts-pt's parser
	// reads its projected weights: on each node the two edges weighing
	// most beyond 'none' (a kept edge with a non-'none' op weighs 1, any
	// other 0; ties to the lower edge), each with its decided op, or the
	// first op after 'none' where its row has nothing beyond 'none'.
	first := []int{0, 2, 5, 9}
	normal, _, reduce, _, err := g.DARTSFields()
	if err != nil {
		t.Fatal(err)
	}
	for cell, got := range map[string][]derive.Pair{"normal": normal, "reduce": reduce} {
		var want []derive.Pair
		for n := 0; n < 4; n++ {
			var js []int
			score := map[int]int{}
			for j := 0; j < n+2; j++ {
				js = append(js, j)
				e := first[n] + j
				if (n == 0 || slices.Contains(kept[cell][n], e)) && chosen[cell][e] != "none" {
					score[j] = 1
				}
			}
			slices.SortStableFunc(js, func(a, b int) int { return score[b] - score[a] })
			for _, j := range js[:2] {
				op := ops[1]
				if score[j] == 1 {
					op = chosen[cell][first[n]+j]
				}
				want = append(want, derive.Pair{Op: op, Input: j})
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s cell %v, want from the decisions %v", cell, got, want)
		}
	}
	wantFile, err := os.ReadFile(filepath.Join(whole, job.PerturbationDir, job.SelectionFile))
	if err != nil {
		t.Fatal(err)
	}
	// Stopped at the 3rd report (a decision round's note), the 20th (a
	// tuning step or note), the 41st, and continued.
	for _, at := range []int{3, 20, 41} {
		dir := clone(fmt.Sprintf("stop%d", at))
		_, err := selectPT(t, dir, o, at)
		if !errors.Is(err, job.ErrInterrupted) {
			t.Fatalf("stopped at report %d: %v", at, err)
		}
		if _, err := selectPT(t, dir, o, 0); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join(dir, job.PerturbationDir, job.SelectionFile))
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(wantFile) {
			t.Errorf("stopped at report %d: selection.json differs from the uninterrupted one", at)
		}
	}
	// Finished: run again, the genotype comes back without work.
	g2, err := selectPT(t, whole, o, 0)
	if err != nil || g2.String() != g.String() {
		t.Fatalf("again: %v, %v", g2, err)
	}
	// Other options on the same directory are refused.
	if _, err := selectPT(t, whole, projection.Options{Interval: 2, Criterion: projection.CritAcc}, 0); err == nil || !strings.Contains(err.Error(), "remove the directory") {
		t.Fatalf("other options: %v", err)
	}
}

func TestPerturbationRefuses(t *testing.T) {
	root := t.TempDir()
	o := projection.Options{Interval: 0, Criterion: projection.CritAcc}
	if _, err := job.SelectPerturbation(context.Background(), job.PerturbationOptions{Run: filepath.Join(root, "none"), Opts: o}); err == nil || !strings.Contains(err.Error(), "--run") {
		t.Errorf("missing run: %v", err)
	}
	if testing.Short() {
		return
	}
	run := filepath.Join(root, "run")
	conf := tinyDARTS()
	conf.Search.Epochs = 2
	ctx, cancel := context.WithCancel(context.Background())
	err := job.Search(ctx, conf, job.SearchOptions{Dir: run, NoPlots: true, Report: &canceller{at: 3, cancel: cancel}})
	cancel()
	if !errors.Is(err, job.ErrInterrupted) {
		t.Fatal(err)
	}
	if _, err := job.SelectPerturbation(context.Background(), job.PerturbationOptions{Run: run, Opts: o}); err == nil || !strings.Contains(err.Error(), "finish it first") {
		t.Errorf("unfinished run: %v", err)
	}
}
