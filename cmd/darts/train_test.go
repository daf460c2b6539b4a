package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/darts-go/darts/rundir"
)

const v2JSON = "../../derive/testdata/darts_v2.json"

// tinyTrain are the flags of a training run that takes about a second.
func tinyTrain(out string, extra ...string) []string {
	return append([]string{"--genotype", v2JSON, "--dataset", "synthetic", "--input-shape", "1x8x8", "--classes", "3",
		"--limit", "48", "--batch-size", "8", "--layers", "3", "--init-channels", "4", "--drop-path", "0.3",
		"--cutout", "3", "--out", out}, extra...)
}

func TestTrainDryRunParamCounts(t *testing.T) {
	for _, tc := range []struct {
		flags []string
		want  string
	}{
		// The counts of the original model.py (DARTS_V2, 3.3M as published).
		{[]string{"--layers", "20", "--init-channels", "36", "--auxiliary"}, "params: 3,349,342 "},
		{[]string{"--layers", "8", "--init-channels", "16"}, "params: 246,106 "},
	} {
		var stdout bytes.Buffer
		args := append([]string{"--genotype", v2JSON, "--dataset", "synthetic", "--input-shape", "3x32x32", "--limit", "10", "--dry-run"}, tc.flags...)
		if err := train(args, &stdout, &bytes.Buffer{}); err != nil {
			t.Fatal(err)
		}
		out := stdout.String()
		if !strings.Contains(out, tc.want) {
			t.Errorf("%v: summary lacks %q:\n%s", tc.flags, tc.want, out)
		}
		if n := strings.Count(out, "\ncell "); n != atoiFlag(tc.flags[1]) {
			t.Errorf("%v: %d cell lines", tc.flags, n)
		}
		if !regexp.MustCompile(`estimated training memory at batch 64: [1-9][0-9]* MB`).MatchString(out) {
			t.Errorf("no memory estimate:\n%s", out)
		}
	}
}

func atoiFlag(s string) int {
	n := 0
	for _, c := range s {
		n = 10*n + int(c-'0')
	}
	return n
}

func TestTrainEvalResume(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	var stdout bytes.Buffer
	if err := train(tinyTrain(a, "--epochs", "2"), &stdout, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"config.json", "metrics.jsonl", "genotype.json", "genotype.txt", "weights.dgo", "checkpoint.dgo"} {
		if _, err := os.Stat(filepath.Join(a, f)); err != nil {
			t.Errorf("missing %s: %v", f, err)
		}
	}
	ms, err := rundir.ReadMetrics(rundir.MetricsPath(a))
	if err != nil || len(ms) != 2 || ms[1].TestAcc == nil {
		t.Fatalf("metrics %+v, %v; want 2 epochs with test accuracy", ms, err)
	}
	if !strings.Contains(stdout.String(), "final test accuracy: ") || !strings.Contains(stdout.String(), "best test accuracy: ") {
		t.Errorf("result lacks final and best accuracy:\n%s", stdout.String())
	}

	// eval reproduces the last epoch's test accuracy from weights.dgo.
	var ev bytes.Buffer
	if err := eval([]string{"--run", a}, &ev); err != nil {
		t.Fatal(err)
	}
	want := regexp.MustCompile(`accuracy (\d+\.\d\d)%`).FindStringSubmatch(ev.String())
	if want == nil || want[1] != fmtPct(*ms[1].TestAcc) {
		t.Errorf("eval says %q, the run's last test accuracy is %s%%", ev.String(), fmtPct(*ms[1].TestAcc))
	}

	// One epoch, then --resume to two: the same model as the straight run.
	if err := train(tinyTrain(b, "--epochs", "1"), &bytes.Buffer{}, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	if err := train([]string{"--resume", "--out", b, "--epochs", "2"}, &bytes.Buffer{}, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	wa, _ := os.ReadFile(filepath.Join(a, "weights.dgo"))
	wb, _ := os.ReadFile(filepath.Join(b, "weights.dgo"))
	if len(wa) == 0 || !bytes.Equal(wa, wb) {
		t.Error("weights of the resumed run differ from the uninterrupted run's")
	}
}

func fmtPct(x float64) string { return fmt.Sprintf("%.2f", 100*x) }

func TestTrainAndEvalErrors(t *testing.T) {
	dir := t.TempDir()
	run := filepath.Join(dir, "run")
	if err := train(tinyTrain(run, "--epochs", "1"), &bytes.Buffer{}, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, "other")
	if err := train(tinyTrain(other, "--epochs", "1", "--layers", "2"), &bytes.Buffer{}, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	unknownOp := write("unknown.txt", "Genotype(normal=[('sep_conv_9x9', 0), ('sep_conv_3x3', 1)], normal_concat=[2], reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1)], reduce_concat=[2])")
	badInput := write("input.json", `{"normal": [["sep_conv_3x3", 0], ["sep_conv_3x3", 2]], "normal_concat": [2], "reduce": [["max_pool_3x3", 0], ["max_pool_3x3", 1]], "reduce_concat": [2]}`)
	oddPairs := write("odd.json", `{"normal": [["sep_conv_3x3", 0]], "normal_concat": [2], "reduce": [["max_pool_3x3", 0]], "reduce_concat": [2]}`)
	malformed := write("bad.txt", "Genotype(normal=[('sep_conv_3x3', 0)")
	emptyRun := filepath.Join(dir, "empty")
	if err := os.Mkdir(emptyRun, 0o755); err != nil {
		t.Fatal(err)
	}
	searchLike := filepath.Join(dir, "search")
	if err := os.Mkdir(searchLike, 0o755); err != nil {
		t.Fatal(err)
	}
	write("search/config.json", `{"program": "darts-go 0.1", "network": {"InputC": 1}}`)

	for _, tc := range []struct {
		name  string
		run   func() error
		usage bool
		want  string
	}{
		{"no genotype", func() error { return train([]string{"--out", filepath.Join(dir, "x")}, buf(), buf()) }, true, "--genotype FILE or --run SEARCH_RUN is required"},
		{"both sources", func() error { return train([]string{"--genotype", v2JSON, "--run", run}, buf(), buf()) }, true, "not both"},
		{"run without genotype", func() error { return train([]string{"--run", emptyRun, "--dry-run"}, buf(), buf()) }, false, "no genotype.json"},
		{"missing file", func() error { return train([]string{"--genotype", filepath.Join(dir, "nope.json")}, buf(), buf()) }, false, "nope.json"},
		{"unknown op", func() error { return train([]string{"--genotype", unknownOp}, buf(), buf()) }, false, `unknown op "sep_conv_9x9"`},
		{"input out of range", func() error { return train([]string{"--genotype", badInput}, buf(), buf()) }, false, "input 2 out of range 0..1"},
		{"odd pairs", func() error { return train([]string{"--genotype", oddPairs}, buf(), buf()) }, false, "1 pairs"},
		{"malformed", func() error { return train([]string{"--genotype", malformed}, buf(), buf()) }, false, "bad.txt"},
		{"existing run", func() error { return train(tinyTrain(run), buf(), buf()) }, false, "already holds a run"},
		{"resume no run", func() error { return train([]string{"--resume", "--out", emptyRun}, buf(), buf()) }, false, "is --out"},
		{"resume shrink", func() error { return train([]string{"--resume", "--out", run, "--epochs", "0"}, buf(), buf()) }, true, "--epochs 0: need at least 1"},
		{"resume with genotype", func() error { return train([]string{"--resume", "--out", run, "--genotype", v2JSON}, buf(), buf()) }, true, "drop --genotype"},
		{"dataset", func() error { return train([]string{"--genotype", v2JSON, "--dataset", "imagenet"}, buf(), buf()) }, true, `--dataset "imagenet"`},
		{"drop path", func() error { return train([]string{"--genotype", v2JSON, "--drop-path", "1"}, buf(), buf()) }, true, "drop path probability 1"},
		{"threads", func() error { return train([]string{"--genotype", v2JSON, "--threads", "-2"}, buf(), buf()) }, true, "--threads -2: need 0 or more"},
		{"odd channels", func() error {
			return train([]string{"--genotype", v2JSON, "--dataset", "synthetic", "--limit", "10", "--init-channels", "5", "--dry-run"}, buf(), buf())
		}, true, "init channels 5"},
		{"aux too small", func() error {
			return train([]string{"--genotype", v2JSON, "--dataset", "synthetic", "--input-shape", "1x8x8", "--limit", "10", "--auxiliary", "--dry-run"}, buf(), buf())
		}, true, "auxiliary head"},
		{"argument", func() error { return train([]string{"extra"}, buf(), buf()) }, true, `unexpected argument "extra"`},
		{"eval no run", func() error { return eval(nil, buf()) }, true, "--run is required"},
		{"eval empty dir", func() error { return eval([]string{"--run", emptyRun}, buf()) }, false, "config.json"},
		{"eval search run", func() error { return eval([]string{"--run", searchLike}, buf()) }, false, "not the config of a training run"},
		{"eval other architecture", func() error {
			return eval([]string{"--run", run, "--weights", filepath.Join(other, "weights.dgo")}, buf())
		}, false, "layers 2 in the file, 3 here"},
		{"eval not weights", func() error {
			return eval([]string{"--run", run, "--weights", filepath.Join(run, "checkpoint.dgo")}, buf())
		}, false, "not a darts-go weights file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.run()
			if err == nil {
				t.Fatal("no error")
			}
			var ue *usageError
			if errors.As(err, &ue) != tc.usage {
				t.Errorf("usage error %v, want %v: %v", !tc.usage, tc.usage, err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q lacks %q", err, tc.want)
			}
		})
	}
}

func buf() *bytes.Buffer { return &bytes.Buffer{} }
