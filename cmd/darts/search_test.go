package main

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/darts-go/darts/derive"
	"github.com/darts-go/darts/job"
	"github.com/darts-go/darts/rundir"
)

// tinySearch are the flags of a search that takes about a second.
func tinySearch(out string, extra ...string) []string {
	return append([]string{"--dataset", "synthetic", "--input-shape", "1x8x8", "--classes", "3",
		"--limit", "96", "--batch-size", "16", "--layers", "3", "--init-channels", "4",
		"--ops", "none,max_pool_3x3,skip_connect,sep_conv_3x3", "--no-plots", "--out", out}, extra...)
}

func TestSearchWritesRunDirectory(t *testing.T) {
	out := filepath.Join(t.TempDir(), "run")
	if err := runSearch(tinySearch(out, "--epochs", "2")); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"config.json", "metrics.jsonl", "alphas.jsonl", "genotype.json", "genotype.txt", "checkpoint.dgo"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("missing %s: %v", f, err)
		}
	}
	ms, err := rundir.ReadMetrics(rundir.MetricsPath(out))
	if err != nil || len(ms) != 2 {
		t.Fatalf("metrics: %d lines, %v; want 2", len(ms), err)
	}
	as, err := rundir.ReadAlphas(rundir.AlphasPath(out))
	if err != nil || len(as) != 3 || as[0].Epoch != 0 || as[2].Epoch != 2 {
		t.Fatalf("alphas: %d lines, %v; want epochs 0..2", len(as), err)
	}
	gj, err := derive.ReadFile(rundir.GenotypeJSONPath(out))
	if err != nil {
		t.Fatal(err)
	}
	gt, err := derive.ReadFile(rundir.GenotypeTextPath(out))
	if err != nil {
		t.Fatal(err)
	}
	last := as[len(as)-1]
	gd, err := derive.Derive(last.Space, derive.DARTSRule, last.CellWeights())
	if err != nil {
		t.Fatal(err)
	}
	if !gj.Equal(gt) || !gj.Equal(gd) {
		t.Errorf("genotype.json %v, genotype.txt %v and the last alphas' %v differ", gj, gt, gd)
	}
}

// TestSearchResumeMatchesUninterrupted runs 1 epoch, resumes to 2, and
// requires the alphas history and genotype of a straight 2-epoch run.
// Both orders: the second-order step keeps no state of its own, so the
// checkpoint must suffice for it too.
func TestSearchResumeMatchesUninterrupted(t *testing.T) {
	alphas := map[string]string{}
	for _, order := range []string{"1", "2"} {
		dir := t.TempDir()
		a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
		if err := runSearch(tinySearch(a, "--epochs", "2", "--order", order)); err != nil {
			t.Fatal(err)
		}
		if err := runSearch(tinySearch(b, "--epochs", "1", "--order", order)); err != nil {
			t.Fatal(err)
		}
		if err := runSearch([]string{"--resume", "--out", b, "--epochs", "2", "--no-plots"}); err != nil {
			t.Fatal(err)
		}
		// The extension is recorded, so a later --resume keeps it.
		var conf job.SearchConfig
		if raw, err := os.ReadFile(filepath.Join(b, "config.json")); err != nil {
			t.Fatal(err)
		} else if err := json.Unmarshal(raw, &conf); err != nil || conf.Search.Epochs != 2 {
			t.Fatalf("config.json after extending to 2 epochs: epochs %d, err %v", conf.Search.Epochs, err)
		}
		sameAsResumed(t, "order "+order, a, b)
		x, err := os.ReadFile(filepath.Join(a, "alphas.jsonl"))
		if err != nil {
			t.Fatal(err)
		}
		alphas[order] = string(x)
	}
	if alphas["1"] == alphas["2"] {
		t.Error("orders 1 and 2 gave the same alphas")
	}
}

func TestSearchErrors(t *testing.T) {
	dir := t.TempDir()
	existing := filepath.Join(dir, "done")
	if err := runSearch(tinySearch(existing, "--epochs", "1")); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		args  []string
		usage bool
		want  string
	}{
		{tinySearch(filepath.Join(dir, "x"), "--order", "3"), true, "order 3"},
		{tinySearch(filepath.Join(dir, "x"), "--ops", "sep_conv_3x3,bogus"), true, `"bogus"`},
		{[]string{"--dataset", "nope"}, true, `--dataset "nope"`},
		{tinySearch(filepath.Join(dir, "x"), "--init-channels", "3"), true, "init channels 3"},
		{tinySearch(filepath.Join(dir, "x"), "--epochs", "0"), true, "epochs 0"},
		{tinySearch(filepath.Join(dir, "x"), "--threads", "-1"), true, "--threads -1: need 0 or more"},
		{[]string{"stray"}, true, `"stray"`},
		{tinySearch(existing, "--epochs", "1"), false, "already holds a run"},
		{[]string{"--resume", "--out", filepath.Join(dir, "empty")}, false, "config.json"},
		{[]string{"--resume", "--out", existing, "--epochs", "0"}, true, "--epochs 0: need at least 1"},
		{[]string{"--resume", "--out", existing, "--epochs", "1", "--no-plots"}, false, ""},
	}
	for _, c := range cases {
		err := runSearch(c.args)
		var ue *usageError
		if c.want == "" {
			if err != nil {
				t.Errorf("search %v: %v", c.args, err)
			}
			continue
		}
		if err == nil || errors.As(err, &ue) != c.usage || !strings.Contains(err.Error(), c.want) {
			t.Errorf("search %v: error %v; want usage=%v containing %q", c.args, err, c.usage, c.want)
		}
	}
	// A corrupt checkpoint is a clear error, not a silent restart.
	ck := filepath.Join(existing, "checkpoint.dgo")
	data, err := os.ReadFile(ck)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(ck, data[:len(data)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	err = runSearch([]string{"--resume", "--out", existing, "--epochs", "2", "--no-plots"})
	if err == nil || !strings.Contains(err.Error(), "checkpoint.dgo") {
		t.Errorf("resume from a truncated checkpoint: %v", err)
	}
}

// sameAsResumed fails unless search run b (stopped and resumed) wrote the
// alphas.jsonl and genotype.txt of the uninterrupted run a, and α moved
// between a's first and last records (identical files of two runs whose
// architecture step did nothing would prove nothing).
func sameAsResumed(t *testing.T, label, a, b string) {
	t.Helper()
	for _, f := range []string{"alphas.jsonl", "genotype.txt"} {
		x, err1 := os.ReadFile(filepath.Join(a, f))
		y, err2 := os.ReadFile(filepath.Join(b, f))
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		if string(x) != string(y) {
			t.Errorf("%s: %s of the resumed run differs from the uninterrupted run", label, f)
		}
	}
	as, err := rundir.ReadAlphas(rundir.AlphasPath(a))
	if err != nil {
		t.Fatal(err)
	}
	if len(as) < 2 {
		t.Fatalf("%s: %d alpha records, want at least 2", label, len(as))
	}
	first, last := as[0], as[len(as)-1]
	for i, tn := range last.Tensors {
		for r, row := range tn.Alpha {
			for c, v := range row {
				if v != first.Tensors[i].Alpha[r][c] {
					return
				}
			}
		}
	}
	t.Errorf("%s: α did not move between the first and last records", label)
}

// TestSearchSamplingMethods: darts search --method gdas|snas|drnas runs
// with the method's recipe (recorded in config.json with the method's
// options) and a run stopped after its first epoch and resumed to two
// gives the alphas and genotype of a straight two-epoch run.
func TestSearchSamplingMethods(t *testing.T) {
	// --epochs scales a recipe's settings counted in epochs, so the runs
	// give those explicitly: the 1-epoch run extended to 2 must then be the
	// 2-epoch run.
	fixed := map[string][]string{
		"gdas":  {"--warmup-epochs", "0"},
		"snas":  {"--warmup-epochs", "0", "--tau-epochs", "2"},
		"drnas": {"--warmup-epochs", "1"},
	}
	for _, m := range []string{"gdas", "snas", "drnas"} {
		dir := t.TempDir()
		a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
		args := func(epochs string) []string {
			return append([]string{"--method", m, "--epochs", epochs, "--arch-learning-rate", "0.05"}, fixed[m]...)
		}
		if err := runSearch(tinySearch(a, args("2")...)); err != nil {
			t.Fatalf("%s: %v", m, err)
		}
		if err := runSearch(tinySearch(b, args("1")...)); err != nil {
			t.Fatal(err)
		}
		if err := runSearch([]string{"--resume", "--out", b, "--epochs", "2", "--no-plots"}); err != nil {
			t.Fatal(err)
		}
		sameAsResumed(t, m, a, b)
		var conf job.SearchConfig
		raw, err := os.ReadFile(filepath.Join(a, "config.json"))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(raw, &conf); err != nil {
			t.Fatal(err)
		}
		ok := conf.Method == m
		switch m {
		case "gdas":
			ok = ok && conf.MethodOptions["tau_max"] == 10 && conf.Record.Relaxation == "gdas" && conf.Record.Rule == "pairs-top2" && conf.Network.NoPoolBN && conf.Network.LastAct
		case "snas":
			ok = ok && conf.Search.SingleLevel && conf.Search.ArchOptimizer == "sgd" && conf.Search.ArchGradClip == 10 && conf.Record.ArchStep == ""
		case "drnas":
			ok = ok && conf.Record.Relaxation == "dirichlet" && conf.Network.NoPoolBN && conf.Search.Warmup == 1 // as given
		}
		if !ok {
			t.Errorf("%s: config.json %s", m, raw)
		}
	}
	err := runSearch([]string{"--space", "nas-bench-201", "--pool-bn=false", "--dataset", "synthetic", "--input-shape", "3x8x8", "--classes", "3", "--out", filepath.Join(t.TempDir(), "x")})
	if err == nil || !strings.Contains(err.Error(), "--pool-bn: not a setting of the nas-bench-201 space") {
		t.Errorf("--pool-bn on NAS-Bench-201: %v", err)
	}
}
