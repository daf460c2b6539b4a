package job_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/darts-go/darts/datasets"
	"github.com/darts-go/darts/job"
	"github.com/darts-go/darts/method"
	"github.com/darts-go/darts/supernet"
)

// stepCanceller cancels its context after the run's step number at
// (counting every step of every stage from 1), 0: never.
type stepCanceller struct {
	job.Nop
	steps, at int
	cancel    func()
}

func (c *stepCanceller) Update(int, string) {
	c.steps++
	if c.steps == c.at {
		c.cancel()
	}
}

// tinyPDARTS is a P-DARTS search of 3, 4 and 5 cells on synthetic 8x8
// images: 2 epochs a stage (1 of warm-up) of 2 steps.
func tinyPDARTS() job.SearchConfig {
	spec, _ := method.Lookup(method.PDARTS)
	r, err := spec.Recipe(method.Query{}, method.Reference)
	if err != nil {
		panic(err)
	}
	r.Search.Epochs, r.Search.Warmup, r.Search.BatchSize = 2, 1, 16
	r.Options["warmup_2"], r.Options["warmup_3"] = 1, 1
	r.Options["add_layers_2"], r.Options["add_layers_3"] = 1, 2
	r.Network = supernet.Config{Space: "darts", C: 4, Layers: 3, Init: "1.x"}
	return job.SearchConfig{Method: method.PDARTS, MethodOptions: r.Options, Search: r.Search, Network: r.Network,
		Data: datasets.Options{Name: "synthetic", Shape: [3]int{1, 8, 8}, Classes: 3, Limit: 64, TrainPortion: 0.5}}
}

// runFiles are the files of a run that must not depend on how it was
// stopped and resumed: metrics.jsonl without the timings, alphas.jsonl,
// the genotype, stages.json.
func runFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, f := range []string{"alphas.jsonl", "genotype.json", "genotype.txt", job.StagesFile} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		out[f] = string(b)
	}
	b, err := os.ReadFile(filepath.Join(dir, "metrics.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, l := range bytes.Split(bytes.TrimSpace(b), []byte("\n")) {
		var m map[string]any
		if err := json.Unmarshal(l, &m); err != nil {
			t.Fatal(err)
		}
		delete(m, "seconds")
		j, _ := json.Marshal(m)
		lines = append(lines, string(j))
	}
	out["metrics.jsonl"] = strings.Join(lines, "\n")
	return out
}

func runPDARTS(t *testing.T, dir string, resume bool, cancelAt int) error {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rep := &stepCanceller{at: cancelAt, cancel: cancel}
	return job.Search(ctx, tinyPDARTS(), job.SearchOptions{Dir: dir, Resume: resume, NoPlots: true, Report: rep})
}

// TestPDARTSStagesResume runs a P-DARTS search through job.Search whole,
// and again stopped by its context in the middle of stage 2, then at the
// boundary of stages 2 and 3 (stage 3 started, no step taken), then
// resumed to the end; and once more with the boundary as a run killed
// between the two stages leaves it (stage 2 finished, stage 3 neither in
// stages.json nor checkpointed). Every file of the three runs agrees byte
// for byte (metrics but their timings). It also checks the run's shape:
// 12 epochs of lines carrying their stage, the pruned ops weighing 0 (3 of
// 8 in stage 2, 5 in stage 3), the stages' depths and dropout rates.
func TestPDARTSStagesResume(t *testing.T) {
	if testing.Short() {
		t.Skip("three small searches")
	}
	root := t.TempDir()
	whole := filepath.Join(root, "whole")
	if err := runPDARTS(t, whole, false, 0); err != nil {
		t.Fatal(err)
	}
	want := runFiles(t, whole)

	st, err := job.ReadStages(whole)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Stages) != 3 || st.Genotype == nil {
		t.Fatalf("stages.json: %d stages, genotype %v", len(st.Stages), st.Genotype)
	}
	for i, s := range st.Stages {
		wantOps := []int{8, 5, 3}[i]
		if s.Network.Layers != 3+i || len(s.Network.EdgeOps["normal"][0]) != wantOps || len(s.Network.EdgeOps["reduce"][13]) != wantOps ||
			s.Network.SkipDropout == nil || s.Network.SkipDropout.Rate != []float64{0.1, 0.4, 0.7}[i] || s.FirstEpoch != 2*i ||
			s.Search.Seed != method.StageSeed(2, i) {
			t.Errorf("stage %d: %+v", i+1, s)
		}
	}
	type line struct {
		Epoch      int `json:"epoch"`
		Stage      int `json:"stage"`
		StageEpoch int `json:"stage_epoch"`
		Tensors    []struct {
			Weights [][]float64 `json:"weights"`
		} `json:"tensors"`
	}
	var lines []line
	for _, l := range strings.Split(strings.TrimSpace(want["alphas.jsonl"]), "\n") {
		var a line
		if err := json.Unmarshal([]byte(l), &a); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, a)
	}
	if len(lines) != 7 {
		t.Fatalf("%d lines of alphas, want the initial one and 6 epochs", len(lines))
	}
	for i, l := range lines {
		wantStage := max(1, (i+1)/2)
		if l.Epoch != i || l.Stage != wantStage {
			t.Errorf("line %d: epoch %d stage %d, want %d, %d", i, l.Epoch, l.Stage, i, wantStage)
		}
		zeros := 0
		for _, v := range l.Tensors[0].Weights[0] {
			if v == 0 {
				zeros++
			}
		}
		if wantZeros := []int{0, 3, 5}[wantStage-1]; zeros != wantZeros {
			t.Errorf("line %d (stage %d): %d ops of weight 0 on an edge, want %d", i, l.Stage, zeros, wantZeros)
		}
	}

	// Stopped in stage 2 (after step 1 of its 4: steps 5 to 8 of the
	// run), then after its last (3 steps after resuming), which stops the
	// run at the start of stage 3, then resumed to the end.
	dir := filepath.Join(root, "stopped")
	for i, at := range []int{5, 3, 0} {
		err := runPDARTS(t, dir, i > 0, at)
		var ie *job.InterruptedError
		switch {
		case at == 0 && err != nil:
			t.Fatal(err)
		case at > 0 && !errors.As(err, &ie):
			t.Fatalf("run %d: err = %v, want an interruption", i, err)
		}
		if i == 0 && (ie.Epoch != 3 || ie.Step != 1) {
			t.Errorf("stopped at epoch %d step %d, want stage 2's first epoch, step 1 (3, 1)", ie.Epoch, ie.Step)
		}
		if i == 1 {
			if ie.Epoch != 5 || ie.Step != 0 {
				t.Errorf("stopped at epoch %d step %d, want stage 3's first (5, 0)", ie.Epoch, ie.Step)
			}
			if _, err := os.Stat(job.StageCheckpoint(dir, 3)); err != nil {
				t.Errorf("stage 3 started without its checkpoint: %v", err)
			}
		}
	}
	for f, w := range want {
		if got := runFiles(t, dir)[f]; got != w {
			t.Errorf("stopped twice and resumed: %s differs", f)
		}
	}

	// Killed between the stages: stage 2 is done, stage 3 has left nothing.
	killed := filepath.Join(root, "killed")
	var ie *job.InterruptedError
	if err := runPDARTS(t, killed, false, 8); !errors.As(err, &ie) {
		t.Fatalf("err = %v", err)
	}
	if err := os.Remove(job.StageCheckpoint(killed, 3)); err != nil {
		t.Fatal(err)
	}
	ks, err := job.ReadStages(killed)
	if err != nil {
		t.Fatal(err)
	}
	ks.Stages = ks.Stages[:2]
	b, _ := json.Marshal(ks)
	if err := os.WriteFile(filepath.Join(killed, job.StagesFile), b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := runPDARTS(t, killed, true, 0); err != nil {
		t.Fatal(err)
	}
	for f, w := range want {
		if got := runFiles(t, killed)[f]; got != w {
			t.Errorf("killed between the stages and resumed: %s differs", f)
		}
	}
	// A search in stages cannot be extended.
	err = job.Search(context.Background(), tinyPDARTS(), job.SearchOptions{Dir: whole, Resume: true, Epochs: 3, NoPlots: true})
	var oe *job.OptionError
	if !errors.As(err, &oe) {
		t.Errorf("--epochs on a resumed search in stages: err = %v", err)
	}
}
