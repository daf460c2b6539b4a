package sweep

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/darts-go/darts/bilevel"
	"github.com/darts-go/darts/derive"
	"github.com/darts-go/darts/job"
	"github.com/darts-go/darts/rundir"
)

// oneMember is an experiment of one searched member (2 search epochs of 3
// steps, 1 retraining epoch of 4) and one random cell, in out.
func oneMember(t *testing.T, out string) *Experiment {
	t.Helper()
	e := mustParse(t, `{"name": "one", "out": `+jsonString(out)+`,
	  "base": {
	    "seed": 5,
	    "search": {"data": {"name": "synthetic", "shape": [1, 8, 8], "classes": 3, "limit": 96},
	               "network": {"layers": 3, "init_channels": 4}, "ops": "none,max_pool_3x3,skip_connect,sep_conv_3x3",
	               "settings": {"epochs": 2, "batch_size": 16}},
	    "retrain": {"data": {"name": "synthetic", "shape": [1, 8, 8], "classes": 3, "limit": 64},
	                "layers": 3, "init_channels": 4, "settings": {"epochs": 1, "batch_size": 16}}},
	  "grid": [{"axis": "method", "values": [
	    {"label": "darts", "set": {"method": "darts", "search": {"settings": {"order": 1}}}},
	    {"label": "random", "set": {"random_cell": true}}]}]}`)
	return e
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// stopAt is a Reporter that cancels its context once the epoch labelled
// label reaches step steps.
type stopAt struct {
	job.Nop
	label  string
	steps  int
	cancel context.CancelFunc
	in     bool
}

func (s *stopAt) Begin(label string, _ int) { s.in = label == s.label }
func (s *stopAt) Update(done int, _ string) {
	if s.in && done >= s.steps {
		s.cancel()
	}
}

// runStopped runs m with a context cancelled at the given epoch and step
// of its current stage, and requires the interruption.
func runStopped(t *testing.T, m Member, label string, steps int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, _, err := Run(ctx, m, RunOptions{NoPlots: true, Report: &stopAt{label: label, steps: steps, cancel: cancel}})
	if !errors.Is(err, job.ErrInterrupted) {
		t.Fatalf("stopped at %s step %d: err %v, want an interruption", label, steps, err)
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// metricsWithoutTime is a run's metrics.jsonl with the wall times zeroed.
func metricsWithoutTime(t *testing.T, dir string) string {
	t.Helper()
	ms, err := rundir.ReadMetrics(rundir.MetricsPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	for i := range ms {
		ms[i].Seconds = 0
	}
	b, _ := json.Marshal(ms)
	return string(b)
}

// TestRunResumesExactly stops a member twice (in its second search epoch
// and in its retraining) and runs it again each time: it ends with the
// alphas, genotype, metrics and trained weights of a run never stopped,
// then is skipped with the same result.
func TestRunResumesExactly(t *testing.T) {
	straight := oneMember(t, filepath.Join(t.TempDir(), "a")).Members[0]
	want, skipped, err := Run(context.Background(), straight, RunOptions{NoPlots: true})
	if err != nil || skipped {
		t.Fatal(err, skipped)
	}

	m := oneMember(t, filepath.Join(t.TempDir(), "b")).Members[0]
	if st, err := MemberStatus(m); err != nil || st.String() != "not started" {
		t.Fatalf("status %v, %v", st, err)
	}
	runStopped(t, m, "epoch 2/2", 1)
	if st, err := MemberStatus(m); err != nil || st.String() != "search 1/2" {
		t.Fatalf("status after the stop in the search: %v, %v", st, err)
	}
	runStopped(t, m, "epoch 1/1", 2) // resumes the search, stops in the retraining
	if st, err := MemberStatus(m); err != nil || st.String() != "train 0/1" {
		t.Fatalf("status after the stop in the retraining: %v, %v", st, err)
	}
	got, skipped, err := Run(context.Background(), m, RunOptions{NoPlots: true})
	if err != nil || skipped {
		t.Fatal(err, skipped)
	}
	for _, f := range []string{"search/alphas.jsonl", "search/genotype.json", "train/weights.dgo", "genotype.json"} {
		if !bytes.Equal(readFile(t, filepath.Join(straight.Dir, f)), readFile(t, filepath.Join(m.Dir, f))) {
			t.Errorf("%s differs from the uninterrupted run's", f)
		}
	}
	for _, d := range []string{SearchDir, TrainDir} {
		if a, b := metricsWithoutTime(t, filepath.Join(straight.Dir, d)), metricsWithoutTime(t, filepath.Join(m.Dir, d)); a != b {
			t.Errorf("%s metrics differ:\n%s\n%s", d, a, b)
		}
	}
	if *got.Search.ValAcc != *want.Search.ValAcc || *got.Train.TestAcc != *want.Train.TestAcc || got.Train.Params != want.Train.Params ||
		!got.Genotype.Equal(want.Genotype) || got.NormalSkips != want.NormalSkips {
		t.Errorf("result %+v, want %+v", got, want)
	}
	ms, _ := rundir.ReadMetrics(rundir.MetricsPath(filepath.Join(m.Dir, SearchDir)))
	if *got.Search.ValAcc != ms[len(ms)-1].ValAcc || got.Search.Epochs != 2 {
		t.Errorf("search result %+v, want the last epoch's val accuracy %v", got.Search, ms[len(ms)-1].ValAcc)
	}
	if n := strings.Count(got.Genotype.String(), "skip_connect"); got.NormalSkips > n {
		t.Errorf("%d normal skips, more than the genotype's %d", got.NormalSkips, n)
	}

	again, skipped, err := Run(context.Background(), m, RunOptions{NoPlots: true, Stage: func(s string, _ int) { t.Errorf("a finished member ran its %s", s) }})
	if err != nil || !skipped || again.Finished != got.Finished {
		t.Errorf("second run: skipped %v, %v, result %+v", skipped, err, again)
	}
	if st, err := MemberStatus(m); err != nil || !st.Finished || st.String() != "finished" {
		t.Errorf("status %v, %v", st, err)
	}
}

// TestRunRandomCell: a random member retrains derive.Random's cell for
// its seed, in the space of the search it replaces, and searches nothing.
func TestRunRandomCell(t *testing.T) {
	e := oneMember(t, t.TempDir())
	m := e.Members[1]
	var stages []string
	res, _, err := Run(context.Background(), m, RunOptions{NoPlots: true, Stage: func(s string, _ int) { stages = append(stages, s) }})
	if err != nil {
		t.Fatal(err)
	}
	sp, rule, err := m.Settings.randomSpace()
	if err != nil {
		t.Fatal(err)
	}
	if sp.Name != "darts" || len(sp.Ops) != 4 || rule != derive.DARTSRule {
		t.Errorf("space %s with ops %v, rule %v", sp.Name, sp.Ops, rule)
	}
	g, err := derive.Random(5, sp, rule)
	if err != nil {
		t.Fatal(err)
	}
	trained, err := derive.ReadFile(rundir.GenotypeJSONPath(filepath.Join(m.Dir, TrainDir)))
	if err != nil {
		t.Fatal(err)
	}
	if !res.Genotype.Equal(g) || !trained.Equal(g) || res.Search != nil || res.Train == nil || !res.RandomCell {
		t.Errorf("result %+v, trained %v, want the random cell %v", res, trained, g)
	}
	if strings.Join(stages, " ") != "cell train" {
		t.Errorf("stages %v", stages)
	}
	if _, err := os.Stat(filepath.Join(m.Dir, SearchDir)); !os.IsNotExist(err) {
		t.Errorf("a random member has a search directory: %v", err)
	}
}

// TestRunRefusesChangedSettings: a member whose file changed after it
// started is refused, naming the setting; one being run by another
// process is refused too.
func TestRunRefusesChangedSettings(t *testing.T) {
	out := t.TempDir()
	m := oneMember(t, out).Members[0]
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := Run(ctx, m, RunOptions{NoPlots: true}); !errors.Is(err, job.ErrInterrupted) {
		t.Fatalf("err %v", err)
	}
	changed := m
	changed.Settings.Search.Settings.Epochs = 3
	_, _, err := Run(context.Background(), changed, RunOptions{NoPlots: true})
	if err == nil || !strings.Contains(err.Error(), "member.json: member method=darts was started with other settings than the experiment file now gives it (search.settings.epochs was 2, is now 3)") {
		t.Errorf("err %v", err)
	}
	unlock, err := lock(filepath.Join(m.Dir, lockFile))
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	if _, _, err := Run(context.Background(), m, RunOptions{NoPlots: true}); !errors.Is(err, ErrLocked) {
		t.Errorf("err %v, want ErrLocked", err)
	}
}

// TestRunClearsUnstartedStage: a stage directory without config.json
// (a start killed before its first checkpoint) is started anew, not
// appended to.
func TestRunClearsUnstartedStage(t *testing.T) {
	m := oneMember(t, t.TempDir()).Members[0]
	dir := filepath.Join(m.Dir, SearchDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(rundir.AlphasPath(dir), []byte("{\"epoch\": 0, \"garbage\": true}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	m.Settings.Retrain = nil
	if _, _, err := Run(context.Background(), m, RunOptions{NoPlots: true}); err != nil {
		t.Fatal(err)
	}
	as, err := rundir.ReadAlphas(rundir.AlphasPath(dir))
	if err != nil || len(as) != 3 {
		t.Errorf("alphas: %d lines, %v; want epochs 0..2", len(as), err)
	}
}

// TestRunSecondOrder: search.settings.order reaches the search a member
// runs: the order-2 member's run records the unrolled architecture step,
// the order-1 member's the first-order one (what job.TestMethodOptions
// held on the branch before the method registry took the options over).
func TestRunSecondOrder(t *testing.T) {
	e := mustParse(t, `{"name": "ord", "out": `+jsonString(t.TempDir())+`,
	  "base": {"search": {"data": {"name": "synthetic", "shape": [1, 8, 8], "classes": 3, "limit": 64},
	               "network": {"layers": 3, "init_channels": 4}, "ops": "none,max_pool_3x3,skip_connect",
	               "settings": {"epochs": 1, "batch_size": 16}}},
	  "grid": [{"key": "search.settings.order", "values": [1, 2]}]}`)
	want := map[int]string{1: (&bilevel.FirstOrder[float32]{}).Name(), 2: (&bilevel.SecondOrder[float32]{}).Name()}
	if want[1] == want[2] {
		t.Fatalf("the two steps have one name %q", want[1])
	}
	for i, order := range []int{1, 2} {
		m := e.Members[i]
		if _, _, err := Run(context.Background(), m, RunOptions{NoPlots: true}); err != nil {
			t.Fatal(err)
		}
		got, err := job.ReadSearchConfig(filepath.Join(m.Dir, SearchDir))
		if err != nil {
			t.Fatal(err)
		}
		if got.Search.Order != order || got.Record.ArchStep != want[order] || got.Method != "darts" || got.Budget != "quick" {
			t.Errorf("member %s: order %d, arch step %q, method %q, budget %q; want order %d, %q, darts, quick",
				m.Name, got.Search.Order, got.Record.ArchStep, got.Method, got.Budget, order, want[order])
		}
	}
}
