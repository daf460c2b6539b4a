package job_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/darts-go/darts/datasets"
	"github.com/darts-go/darts/job"
	"github.com/darts-go/darts/method"
	"github.com/darts-go/darts/rundir"
	"github.com/darts-go/darts/space"
)

// cancelAfter is a Reporter that cancels its context after n steps.
type cancelAfter struct {
	n, done int
	cancel  context.CancelFunc
}

func (r *cancelAfter) Note(string, ...any) {}
func (r *cancelAfter) Begin(string, int)   {}
func (r *cancelAfter) End(string)          {}
func (r *cancelAfter) Update(int, string) {
	r.done++
	if r.done == r.n {
		r.cancel()
	}
}

// samplingConf is a small search of method on space sp: the method's quick
// recipe (its relaxation, settings and options) on a tiny network and
// synthetic data, 2 epochs of 3 steps.
func samplingConf(t *testing.T, name, sp string) job.SearchConfig {
	t.Helper()
	spec, err := method.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	r, err := spec.Recipe(method.Query{Space: sp}, method.Quick)
	if err != nil {
		t.Fatal(err)
	}
	data := datasets.Options{Name: "synthetic", Shape: [3]int{1, 8, 8}, Classes: 3, Limit: 96, TrainPortion: 0.5, Seed: 4}
	r.Network.C, r.Network.Layers = 4, 3
	if sp == space.NB201Name {
		data.Shape = [3]int{3, 8, 8}
		r.Network.C, r.Network.Layers, r.Network.CellsPerStage = 2, 0, 1
	}
	r.Search.Epochs, r.Search.BatchSize, r.Search.Warmup, r.Search.Seed = 2, 16, 0, 3
	r.Search.ArchLR = 0.05 // so that α moves visibly in 6 steps
	return job.SearchConfig{Method: name, MethodOptions: r.Options, Data: data, Network: r.Network, Search: r.Search}
}

// TestSamplingSearchResumesExactly runs each sampling method's search to
// its end, and again stopped by a cancelled context in the middle of its
// second epoch and resumed from the checkpoint: the alphas of every epoch,
// the genotype and the metrics (times aside) are bit-identical, since
// every draw is a function of the seed and the position. Each method runs
// on the DARTS space and on NAS-Bench-201 (GDAS's two edge variants).
func TestSamplingSearchResumesExactly(t *testing.T) {
	for _, c := range []struct{ method, space string }{
		{method.GDAS, space.DARTSName}, {method.GDAS, space.NB201Name},
		{method.SNAS, space.DARTSName}, {method.SNAS, space.NB201Name},
		{method.DrNAS, space.DARTSName}, {method.DrNAS, space.NB201Name},
	} {
		t.Run(c.method+"/"+c.space, func(t *testing.T) {
			conf := samplingConf(t, c.method, c.space)
			dir := t.TempDir()
			whole, stopped := filepath.Join(dir, "whole"), filepath.Join(dir, "stopped")
			if err := job.Search(context.Background(), conf, job.SearchOptions{Dir: whole, NoPlots: true}); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			err := job.Search(ctx, conf, job.SearchOptions{Dir: stopped, NoPlots: true, Report: &cancelAfter{n: 4, cancel: cancel}})
			var ie *job.InterruptedError
			if !errors.As(err, &ie) || ie.Epoch != 2 || ie.Step != 1 {
				t.Fatalf("stopped run: %v, want an interruption at epoch 2 step 1", err)
			}
			if err := job.Search(context.Background(), job.SearchConfig{}, job.SearchOptions{Dir: stopped, Resume: true, NoPlots: true}); err != nil {
				t.Fatalf("resume: %v", err)
			}
			for _, f := range []func(string) string{rundir.AlphasPath, rundir.GenotypeJSONPath} {
				a, errA := os.ReadFile(f(whole))
				b, errB := os.ReadFile(f(stopped))
				if errA != nil || errB != nil {
					t.Fatal(errA, errB)
				}
				if !bytes.Equal(a, b) {
					t.Errorf("%s of the resumed run differs from the uninterrupted run's", filepath.Base(f(whole)))
				}
			}
			mw, err1 := rundir.ReadMetrics(rundir.MetricsPath(whole))
			ms, err2 := rundir.ReadMetrics(rundir.MetricsPath(stopped))
			if err1 != nil || err2 != nil || len(mw) != 2 || len(ms) != 2 {
				t.Fatalf("metrics: %v %v, %d and %d epochs", err1, err2, len(mw), len(ms))
			}
			for i := range mw {
				mw[i].Seconds, ms[i].Seconds = 0, 0
				if fmt.Sprint(mw[i]) != fmt.Sprint(ms[i]) {
					t.Errorf("epoch %d metrics: %+v resumed, %+v uninterrupted", i+1, ms[i], mw[i])
				}
			}
			// The search did move α, and a second run of the same seed
			// draws the same: a check that the comparison is not vacuous.
			as, err := rundir.ReadAlphas(rundir.AlphasPath(whole))
			if err != nil || len(as) != 3 {
				t.Fatalf("alphas: %v, %d lines", err, len(as))
			}
			if fmt.Sprint(as[0].Tensors[0].Alpha) == fmt.Sprint(as[2].Tensors[0].Alpha) {
				t.Error("α did not move in two epochs")
			}
		})
	}
}
