package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/darts-go/darts/rundir"
)

// writePlotRun writes a minimal run directory: two metrics lines and a
// genotype, no alphas.
func writePlotRun(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for e := 1; e <= 2; e++ {
		if err := rundir.AppendJSONLine(rundir.MetricsPath(dir), rundir.Metrics{Epoch: e, TrainLoss: 2.0 / float64(e), TrainAcc: 0.3 * float64(e), ValLoss: 2.1 / float64(e), ValAcc: 0.25 * float64(e), LR: 0.025, Seconds: 1}); err != nil {
			t.Fatal(err)
		}
	}
	// genotype.json in the run's format, written by the export command.
	var js bytes.Buffer
	if err := export([]string{"--genotype", exportV2, "--format", "json"}, &js); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(rundir.GenotypeJSONPath(dir), js.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestPlotCommand(t *testing.T) {
	dir := writePlotRun(t)
	out := filepath.Join(t.TempDir(), "figs")
	var stdout, stderr bytes.Buffer
	if err := plot([]string{"--run", dir, "--out", out, "--format", "svg"}, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	want := []string{"curves.svg", "cell_normal.svg", "cell_reduce.svg"}
	lines := strings.Fields(stdout.String())
	if len(lines) != len(want) {
		t.Fatalf("stdout = %q, want %d files", stdout.String(), len(want))
	}
	for i, w := range want {
		if lines[i] != filepath.Join(out, w) {
			t.Errorf("line %d = %q, want %q", i, lines[i], filepath.Join(out, w))
		}
		if _, err := os.Stat(lines[i]); err != nil {
			t.Error(err)
		}
	}
	if !strings.Contains(stderr.String(), "warning: no alphas.jsonl") {
		t.Errorf("stderr = %q, want a warning about the missing alphas.jsonl", stderr.String())
	}
}

func TestPlotHelp(t *testing.T) {
	var stdout bytes.Buffer
	if err := plot([]string{"--help"}, &stdout, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"Examples:", "darts plot --run", "--format"} {
		if !strings.Contains(stdout.String(), s) {
			t.Errorf("help lacks %q:\n%s", s, stdout.String())
		}
	}
}

func TestPlotErrors(t *testing.T) {
	dir := writePlotRun(t)
	for _, tc := range []struct {
		args  []string
		usage bool
		want  string
	}{
		{[]string{}, true, "--run is required"},
		{[]string{"--run", dir, "--format", "gif"}, true, `--format "gif"`},
		{[]string{"--run", dir, "extra"}, true, `unexpected argument "extra"`},
		{[]string{"--bogus"}, true, "bogus"},
		{[]string{"--run", filepath.Join(dir, "missing")}, false, "missing"},
	} {
		err := plot(tc.args, &bytes.Buffer{}, &bytes.Buffer{})
		var ue *usageError
		if err == nil || errors.As(err, &ue) != tc.usage || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: err = %v (usage %v), want usage=%v containing %q", tc.args, err, errors.As(err, &ue), tc.usage, tc.want)
		}
	}
}
