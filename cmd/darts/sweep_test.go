package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/darts-go/darts/method"
	"github.com/darts-go/darts/sweep"
)

// sweepFile writes an experiment of three members (first-order DARTS with
// seeds 1 and 2, a random cell of seed 1) that take seconds each, with
// searches of epochs epochs, into a temporary directory that becomes the
// working directory, and returns its path.
func sweepFile(t *testing.T, epochs int) string {
	t.Helper()
	dir := t.TempDir()
	t.Chdir(dir)
	src := `{"name": "cmd",
	  "base": {
	    "search": {"data": {"name": "synthetic", "shape": [1, 8, 8], "classes": 3, "limit": 96},
	               "network": {"layers": 3, "init_channels": 4}, "ops": "none,max_pool_3x3,skip_connect,sep_conv_3x3",
	               "settings": {"epochs": EPOCHS, "batch_size": 16}},
	    "retrain": {"data": {"name": "synthetic", "shape": [1, 8, 8], "classes": 3, "limit": 64},
	                "layers": 3, "init_channels": 4, "settings": {"epochs": 1, "batch_size": 16}}},
	  "grid": [
	    {"axis": "method", "values": [{"label": "darts", "set": {"method": "darts"}}, {"label": "random", "set": {"random_cell": true}}]},
	    {"key": "seed", "values": [1, 2]}]}`
	src = strings.Replace(src, "EPOCHS", string(rune('0'+epochs)), 1)
	// The random cells keep their seeds: 4 members.
	path := filepath.Join(dir, "cmd.json")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func sweepOut(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := sweepCmd(args, &stdout, &stderr)
	return stdout.String(), stderr.String(), err
}

func TestSweepPlanAndIndexFromScheduler(t *testing.T) {
	file := sweepFile(t, 1)
	out, _, err := sweepOut(t, "plan", file)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{
		"experiment cmd (" + file + "): 4 members in runs/cmd",
		"0      not started  search darts + retrain  method=darts   runs/cmd/method=darts,seed=1",
		"3      not started  random cell + retrain   method=random  runs/cmd/method=random,seed=2",
	} {
		if !strings.Contains(out, line) {
			t.Errorf("plan lacks %q:\n%s", line, out)
		}
	}
	// A Slurm array task runs the member of its index, a Kubernetes pod
	// the member of its completion index; --index comes first.
	t.Setenv("SLURM_ARRAY_TASK_ID", "2")
	out, stderr, err := sweepOut(t, "run", file, "--threads", "1")
	if err != nil || !strings.Contains(stderr, "member 2 of 4: method=random,seed=1") || !strings.HasPrefix(out, "member 2 method=random,seed=1: test ") {
		t.Fatalf("SLURM_ARRAY_TASK_ID=2: %v\n%s\n%s", err, out, stderr)
	}
	t.Setenv("SLURM_ARRAY_TASK_ID", "")
	t.Setenv("JOB_COMPLETION_INDEX", "2")
	if out, _, err := sweepOut(t, "run", file); err != nil || !strings.Contains(out, "already finished") {
		t.Errorf("JOB_COMPLETION_INDEX=2 again: %v %s", err, out)
	}
	t.Setenv("JOB_COMPLETION_INDEX", "9")
	if _, _, err := sweepOut(t, "run", file); err == nil || !strings.Contains(err.Error(), "JOB_COMPLETION_INDEX=9: "+file+": no member 9 (it has 4: 0..3)") {
		t.Errorf("index 9: %v", err)
	}
	t.Setenv("JOB_COMPLETION_INDEX", "x")
	var ue *usageError
	if _, _, err := sweepOut(t, "run", file); !errors.As(err, &ue) || !strings.Contains(err.Error(), `JOB_COMPLETION_INDEX="x": not a member index`) {
		t.Errorf("index x: %v", err)
	}
	if _, _, err := sweepOut(t, "run", file, "--index", "1", "--jobs", "2"); !errors.As(err, &ue) {
		t.Errorf("--index with --jobs: %v", err)
	}
	out, _, err = sweepOut(t, "plan", file, "--json")
	var plan []struct {
		Index  int
		Status string
	}
	if err != nil || json.Unmarshal([]byte(out), &plan) != nil || len(plan) != 4 || plan[2].Status != "finished" || plan[0].Status != "not started" {
		t.Errorf("plan --json: %v %s", err, out)
	}
}

func TestSweepUsageErrors(t *testing.T) {
	file := sweepFile(t, 1)
	var ue *usageError
	for _, args := range [][]string{
		{}, {"launch", file}, {"plan"}, {"plan", file, "other.json"}, {"plan", "missing.json"},
		{"emit", file}, {"emit", file, "--slurm", "--kubernetes"}, {"emit", file, "--slurm", "--image", "x"},
		{"emit", file, "--kubernetes", "--image", "x"}, {"emit", file, "--kubernetes", "--claim", "c", "--time", "1:00"},
		{"run", file, "--jobs", "0"}, {"run", file, "--threads", "-1"}, {"run", file, "--index", "-2"},
	} {
		if _, _, err := sweepOut(t, args...); !errors.As(err, &ue) {
			t.Errorf("%q: %v, want a usage error", args, err)
		}
	}
}

// TestSweepJobs runs the experiment two members at a time in child
// processes (this test binary as darts), then reports it; a second run
// has nothing left to do.
func TestSweepJobs(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	file := sweepFile(t, 1)
	t.Setenv("DARTS_TEST_MAIN", "1")
	out, stderr, err := sweepOut(t, "run", file, "--jobs", "2", "--threads", "1")
	if err != nil {
		t.Fatalf("%v\n%s\n%s", err, out, stderr)
	}
	if !strings.Contains(stderr, "cmd: 4 of 4 members to run, 2 at a time, 1 threads each") ||
		strings.Count(stderr, " started\n") != 4 || strings.Count(stderr, " finished in ") != 4 ||
		!strings.Contains(stderr, "[3] method=random,seed=2 train epoch 1/1  train loss") {
		t.Errorf("progress:\n%s", stderr)
	}
	if !strings.Contains(out, "cmd: all 4 members have finished") {
		t.Errorf("stdout %q", out)
	}
	log, err := os.ReadFile(filepath.Join("runs", "cmd", "method=darts,seed=1", "sweep.log"))
	if err != nil || !strings.Contains(string(log), "member 0 of 4: method=darts,seed=1") || !strings.Contains(string(log), "epoch 1/1") {
		t.Errorf("member 0's log (%v):\n%s", err, log)
	}
	out, _, err = sweepOut(t, "run", file, "--jobs", "2")
	if err != nil || !strings.Contains(out, "all 4 members of cmd have finished") {
		t.Errorf("second run: %v %q", err, out)
	}
	out, stderr, err = sweepOut(t, "report", file)
	if err != nil || !strings.Contains(out, "| method=darts | 2/2 |") || !strings.Contains(out, "| method=random | 2/2 | — |") {
		t.Errorf("report: %v\n%s\n%s", err, out, stderr)
	}
	for _, f := range []string{"report.md", "report.csv", "members.csv", "test_acc.png", "search_val_acc.png", "alphas_method=darts.png"} {
		if _, err := os.Stat(filepath.Join("runs", "cmd", "report", f)); err != nil {
			t.Error(err)
		}
	}
}

// TestSweepMemberSurvivesSIGKILL kills `darts sweep run --index 0` hard in
// its search and runs it again: it ends with the files of a member never
// stopped.
func TestSweepMemberSurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	file := sweepFile(t, 3)
	if _, _, err := sweepOut(t, "run", file, "--index", "0"); err != nil {
		t.Fatal(err)
	}
	straight := filepath.Join("runs", "cmd", "method=darts,seed=1")
	if err := os.Rename(straight, "straight"); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "sweep", "run", file, "--index", "0", "--threads", "1")
	cmd.Env = append(os.Environ(), "DARTS_TEST_MAIN=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ckpt := filepath.Join(straight, "search", "checkpoint.dgo")
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if e, s, ok := checkpointPosition(ckpt); ok && (e > 0 || s >= 2) {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("no checkpoint after 2 steps within 2 minutes: %s", stderr.String())
		}
		time.Sleep(2 * time.Millisecond)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err == nil {
		t.Fatal("the member finished before it was killed")
	}
	if _, err := os.Stat(filepath.Join(straight, "result.json")); err == nil {
		t.Fatal("the member finished before it was killed")
	}
	out, _, err := sweepOut(t, "run", file, "--index", "0")
	if err != nil || strings.Contains(out, "already finished") {
		t.Fatalf("%v %s", err, out)
	}
	for _, f := range []string{"search/alphas.jsonl", "search/genotype.json", "train/weights.dgo"} {
		a, err1 := os.ReadFile(filepath.Join("straight", f))
		b, err2 := os.ReadFile(filepath.Join(straight, f))
		if err1 != nil || err2 != nil || !bytes.Equal(a, b) {
			t.Errorf("%s differs from the uninterrupted member's (%v, %v)", f, err1, err2)
		}
	}
}

// TestSweepEmitFiles: emit writes the script or manifest to --out (the
// script executable); a Ctrl-C'd run is an interruption (exit code 130).
func TestSweepEmitFiles(t *testing.T) {
	file := sweepFile(t, 1)
	if _, _, err := sweepOut(t, "emit", file, "--slurm", "--out", "a.sbatch", "--darts", "/opt/darts", "--parallel", "3"); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat("a.sbatch")
	if err != nil || st.Mode()&0o100 == 0 {
		t.Fatalf("%v %v", st, err)
	}
	b, _ := os.ReadFile("a.sbatch")
	wd, _ := os.Getwd()
	if !strings.Contains(string(b), "#SBATCH --array=0-3%3\n") || !strings.Contains(string(b), "#SBATCH --chdir="+wd+"\n") ||
		!strings.Contains(string(b), "exec /opt/darts sweep run "+file+" --threads") {
		t.Errorf("script:\n%s", b)
	}
	out, _, err := sweepOut(t, "emit", file, "--kubernetes", "--image", "darts:1", "--claim", "runs")
	if err != nil || !strings.Contains(out, "completions: 4\n") || !strings.Contains(out, "parallelism: 4\n") {
		t.Errorf("%v\n%s", err, out)
	}
}

// TestSweepJobsInterrupted sends SIGINT to `darts sweep run --jobs 2`
// (the parent alone, as kill -INT would) while its members search: it
// stops them (they checkpoint) and exits with code 130; the same command
// then finishes them.
func TestSweepJobsInterrupted(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	file := sweepFile(t, 3)
	cmd := exec.Command(os.Args[0], "sweep", "run", file, "--jobs", "2", "--threads", "1")
	cmd.Env = append(os.Environ(), "DARTS_TEST_MAIN=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ckpt := filepath.Join("runs", "cmd", "method=darts,seed=1", "search", "checkpoint.dgo")
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if e, s, ok := checkpointPosition(ckpt); ok && (e > 0 || s >= 1) {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("no checkpoint within 2 minutes: %s", stderr.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 130 || !strings.Contains(stderr.String(), "stopped after") ||
		!strings.Contains(stderr.String(), "the same command resumes them") {
		t.Fatalf("exit %v, stderr:\n%s", err, stderr.String())
	}
	t.Setenv("DARTS_TEST_MAIN", "1")
	out, errs, err := sweepOut(t, "run", file, "--jobs", "2", "--threads", "1")
	if err != nil || !strings.Contains(out, "all 4 members have finished") || !strings.Contains(errs, "4 of 4 members to run") {
		t.Fatalf("%v\n%s\n%s", err, out, errs)
	}
	log, _ := os.ReadFile(filepath.Join("runs", "cmd", "method=darts,seed=1", "sweep.log"))
	if !strings.Contains(string(log), "resuming runs/cmd/method=darts,seed=1/search at epoch") {
		t.Errorf("member 0 did not resume its search:\n%s", log)
	}
}

// TestPlanKind: plan names a searched member's method, order=2 and, by
// name, the options it sets to other values than its recipe's (all of
// them for a method with no recipe), as numbers without trailing zeros.
func TestPlanKind(t *testing.T) {
	var st sweep.Settings
	st.Method = "no-such-method"
	st.Search.Settings.Order = 1
	st.MethodOptions = method.Options{"tau_min": 0.1, "tau_max": 10, "k": 4}
	if got, want := planKind(st), "search no-such-method k=4 tau_max=10 tau_min=0.1"; got != want {
		t.Errorf("no recipe: %q, want %q", got, want)
	}
	e, err := sweep.Parse(strings.NewReader(`{"name": "k", "grid": [{"axis": "m", "values": [
	    {"label": "rsps", "set": {"method": "rsps"}},
	    {"label": "rsps-3", "set": {"method": "rsps", "method_options": {"select_top": 3}}},
	    {"label": "darts-2nd", "set": {"method": "darts", "search": {"settings": {"order": 2}}}}]}]}`), "k.json")
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"search rsps", "search rsps select_top=3", "search darts order=2"} {
		if got := planKind(e.Members[i].Settings); got != want {
			t.Errorf("member %d: %q, want %q", i, got, want)
		}
	}
}
