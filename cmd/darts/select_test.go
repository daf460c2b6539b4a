package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/darts-go/darts/derive"
	"github.com/darts-go/darts/rundir"
)

// TestSelectOnASearchRun: darts select over a finished search's supernet
// writes its selection directory (config, one line per candidate, result,
// the chosen genotype, which darts train reads), extends with --resume,
// and darts plot then draws the strategies figure.
func TestSelectOnASearchRun(t *testing.T) {
	run := filepath.Join(t.TempDir(), "run")
	if err := runSearch(tinySearch(run, "--epochs", "1")); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if err := selectCmd([]string{"--run", run, "--strategy", "evolution", "--budget", "8", "--population", "4", "--tournament", "2",
		"--batches", "1", "--rescore", "2"}, &stdout, &stderr); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	dir := rundir.DefaultSelectDir(run, "evolution")
	for _, f := range []string{"config.json", "select.jsonl", "result.json", "genotype.json", "genotype.txt"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("missing %s: %v", f, err)
		}
	}
	cs, err := rundir.ReadCandidates(rundir.SelectPath(dir))
	if err != nil || len(cs) != 8 {
		t.Fatalf("%d candidates, %v", len(cs), err)
	}
	g, err := derive.ReadFile(rundir.GenotypeJSONPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout.String(), g.String()) || !strings.Contains(stdout.String(), "evolution: 8 candidates") {
		t.Errorf("output:\n%s", stdout.String())
	}
	var dry bytes.Buffer
	if err := train([]string{"--genotype", rundir.GenotypeJSONPath(dir), "--dataset", "synthetic", "--input-shape", "1x8x8",
		"--classes", "3", "--limit", "10", "--layers", "3", "--init-channels", "4", "--dry-run"}, &dry, &bytes.Buffer{}); err != nil {
		t.Errorf("darts train cannot read the chosen genotype: %v", err)
	}

	if err := selectCmd([]string{"--run", run, "--strategy", "evolution", "--budget", "11", "--population", "4", "--tournament", "2",
		"--batches", "1", "--rescore", "2", "--resume"}, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	if cs2, _ := rundir.ReadCandidates(rundir.SelectPath(dir)); len(cs2) != 11 || cs2[7].Genotype != cs[7].Genotype {
		t.Errorf("extended selection: %d candidates", len(cs2))
	}
	if err := selectCmd([]string{"--run", run, "--strategy", "random", "--budget", "5", "--batches", "1"}, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	if err := plot([]string{"--run", run}, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(run, "plots", "strategies.png")); err != nil {
		t.Errorf("no strategies figure: %v", err)
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--strategy", "random"}, "--run"},
		{[]string{"--run", run}, "--strategy"},
		{[]string{"--run", run, "--strategy", "annealing"}, "annealing"},
		{[]string{"--run", run, "--strategy", "random", "--bn", "off"}, "--bn"},
		{[]string{"--run", run, "--strategy", "random", "--budget", "0"}, "budget"},
		{[]string{"--run", run, "--strategy", "grid", "--batches", "1"}, "architectures"},
		{[]string{"--run", run, "--strategy", "random", "--budget", "5", "--batches", "1"}, "--resume"},
		{[]string{"--run", run, "--strategy", "random", "--batches", "1000"}, "batches"},
		{[]string{"--run", filepath.Join(run, "nope"), "--strategy", "random"}, "nope"},
	} {
		err := selectCmd(tc.args, &bytes.Buffer{}, &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want one mentioning %q", tc.args, err, tc.want)
		}
	}
}
