package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/darts-go/darts/derive"
	"github.com/darts-go/darts/job"
	"github.com/darts-go/darts/rundir"
)

// TestSearchNB201 runs a tiny NAS-Bench-201 search from the command line
// and checks what the space and the method's recipe must have put in the
// run: one 6×5 tensor, a NAS-Bench-201 genotype, AutoDL's DARTS-V1
// settings.
func TestSearchNB201(t *testing.T) {
	out := filepath.Join(t.TempDir(), "nb")
	args := []string{"--space", "nas-bench-201", "--dataset", "synthetic", "--input-shape", "3x8x8", "--classes", "4",
		"--limit", "64", "--batch-size", "16", "--init-channels", "4", "--cells-per-stage", "1", "--epochs", "1", "--no-plots", "--out", out}
	if err := search(args, &bytes.Buffer{}, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	as, err := rundir.ReadAlphas(rundir.AlphasPath(out))
	if err != nil {
		t.Fatal(err)
	}
	last := as[len(as)-1]
	if len(last.Tensors) != 1 || len(last.Tensors[0].Alpha) != 6 || len(last.Tensors[0].Alpha[0]) != 5 || last.Rule != "argmax" {
		t.Fatalf("alphas: %d tensors, rule %q; want one 6×5 tensor, argmax", len(last.Tensors), last.Rule)
	}
	b, err := os.ReadFile(rundir.GenotypeTextPath(out))
	if err != nil {
		t.Fatal(err)
	}
	g, err := derive.ParseNB201(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatalf("genotype.txt %q: %v", b, err)
	}
	want, err := derive.Derive(last.Space, derive.ArgmaxRule, last.CellWeights())
	if err != nil || !g.Equal(want) {
		t.Errorf("genotype.txt %v, argmax of the last alphas %v (%v)", g, want, err)
	}
	conf, err := job.ReadSearchConfig(out)
	if err != nil {
		t.Fatal(err)
	}
	s := conf.Search
	if !s.Nesterov || !s.WeightFirst || !s.ClipWithArch || s.ArchAdam.String() != "1.x" || s.WeightDecay != 5e-4 || conf.Network.Init != "1.x" || conf.Budget != "quick" {
		t.Errorf("config.json search %+v network init %q budget %q: not AutoDL's DARTS-V1 recipe", s, conf.Network.Init, conf.Budget)
	}
	// --order 2 switches to DARTS-V2's order.
	out2 := filepath.Join(t.TempDir(), "nb2")
	args[len(args)-1] = out2
	if err := search(append(args, "--order", "2"), &bytes.Buffer{}, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	if c2, err := job.ReadSearchConfig(out2); err != nil || c2.Search.WeightFirst || c2.Search.Order != 2 {
		t.Errorf("--order 2: %+v, %v; want the architecture step first", c2.Search, err)
	}
}

func TestSearchFlagErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--space", "nas-bench-201", "--layers", "3"}, "--layers: not a setting of the nas-bench-201 space"},
		{[]string{"--cells-per-stage", "2"}, "--cells-per-stage: not a setting of the darts space"},
		{[]string{"--space", "nasnet"}, `--space "nasnet": unknown`},
		{[]string{"--method", "enas"}, `method "enas": unknown`},
		{[]string{"--budget", "tiny"}, `budget "tiny": unknown`},
		{[]string{"--nesterov", "--momentum", "0"}, "nesterov: needs a momentum"},
		{[]string{"--arch-adam", "2.0"}, `--arch-adam: Adam variant "2.0"`},
		{[]string{"--init", "0.4"}, `--init: init "0.4"`},
		{[]string{"--resume", "--learning-rate", "0.1"}, "--learning-rate: a resumed run keeps the settings"},
	} {
		err := search(c.args, &bytes.Buffer{}, &bytes.Buffer{})
		var ue *usageError
		if err == nil || !strings.Contains(err.Error(), c.want) || !errors.As(err, &ue) {
			t.Errorf("search %q: %v, want a usage error with %q", c.args, err, c.want)
		}
	}
}

// TestSearchHelpShowsRecipe: --help's defaults are the chosen method's on
// the chosen space.
func TestSearchHelpShowsRecipe(t *testing.T) {
	var nb, da bytes.Buffer
	if err := search([]string{"--space", "nas-bench-201", "--help"}, &nb, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	if err := search([]string{"--help"}, &da, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"DARTS-V1.py", "--weight-decay float", "(default 0.0005)", "--cells-per-stage int"} {
		if !strings.Contains(nb.String(), want) {
			t.Errorf("nas-bench-201 help lacks %q", want)
		}
	}
	for _, want := range []string{"train_search.py", "(default 0.0003)", "--method darts --space darts --budget quick"} {
		if !strings.Contains(da.String(), want) {
			t.Errorf("darts help lacks %q", want)
		}
	}
}

// nb201Params counts a NAS-Bench-201 TinyNetwork's parameters from its
// definitions (AutoDL's tiny_network.py and cells.py, affine BatchNorm,
// convolutions without bias): stem conv 3×3 + BN, per cell each 1×1/3×3
// conv edge k²C²+2C, ResNet blocks (two 3×3 ReLU-Conv-BN and a 1×1
// shortcut), lastact BN and the classifier.
func nb201Params(cell []string, in, c, n, classes int) int {
	total := in*c*9 + 2*c
	for s, ch := range []int{c, 2 * c, 4 * c} {
		if s > 0 {
			prev := ch / 2
			total += prev*ch*9 + 2*ch + ch*ch*9 + 2*ch + prev*ch
		}
		for range n {
			for _, op := range cell {
				switch op {
				case "nor_conv_1x1":
					total += ch*ch + 2*ch
				case "nor_conv_3x3":
					total += ch*ch*9 + 2*ch
				}
			}
		}
	}
	return total + 2*4*c + 4*c*classes + classes
}

// TestTrainNB201DryRun: a NAS-Bench-201 string given literally trains the
// benchmark's network (C 16, N 5) with the benchmark's settings, and
// --dry-run prints its size.
func TestTrainNB201DryRun(t *testing.T) {
	ops := []string{"nor_conv_3x3", "nor_conv_3x3", "nor_conv_1x1", "skip_connect", "nor_conv_3x3", "avg_pool_3x3"}
	s := fmt.Sprintf("|%s~0|+|%s~0|%s~1|+|%s~0|%s~1|%s~2|", ops[0], ops[1], ops[2], ops[3], ops[4], ops[5])
	var stdout bytes.Buffer
	if err := train([]string{"--genotype", s, "--dataset", "synthetic", "--input-shape", "3x32x32", "--classes", "10", "--dry-run"}, &stdout, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("params: %s", thousands(nb201Params(ops, 3, 16, 5, 10)))
	if !strings.Contains(stdout.String(), want) || !strings.Contains(stdout.String(), "3 stages of 5 cells") {
		t.Errorf("dry run:\n%s\nwant %q", stdout.String(), want)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--layers", "8"}, "--layers: not a setting of NAS-Bench-201"},
		{[]string{"--auxiliary"}, "--auxiliary: not a setting of NAS-Bench-201"},
		{[]string{"--drop-path", "0.2"}, "the NAS-Bench-201 network has no drop path"},
	} {
		args := append([]string{"--genotype", s, "--dataset", "synthetic", "--input-shape", "3x32x32", "--classes", "10", "--dry-run"}, c.args...)
		if err := train(args, &bytes.Buffer{}, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("train %q: %v, want %q", c.args, err, c.want)
		}
	}
	if err := train([]string{"--genotype", "|conv_9x9~0|+|", "--dry-run"}, &bytes.Buffer{}, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "not a genotype") {
		t.Errorf("a bad literal: %v", err)
	}
}

func TestMethodsCommand(t *testing.T) {
	var list, one bytes.Buffer
	if err := methods(nil, &list); err != nil {
		t.Fatal(err)
	}
	if err := methods([]string{"darts"}, &one); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(list.String(), "darts") || !strings.Contains(one.String(), "DARTS-V2.py") || !strings.Contains(one.String(), "(quick budget: 6)") {
		t.Errorf("methods:\n%s\nmethods darts:\n%s", list.String(), one.String())
	}
	if err := methods([]string{"nope"}, &bytes.Buffer{}); err == nil {
		t.Error("methods nope: no error")
	}
}

// TestSearchNB201SamplingMethods: darts search --method gdas|snas|drnas on
// NAS-Bench-201 records the method's NAS-Bench-201 recipe (its relaxation,
// bilevel with an architecture step, the argmax rule, AutoDL's or DrNAS's
// optimizer settings), writes a NAS-Bench-201 genotype that is the argmax
// of the last alphas, and a run stopped after one epoch and resumed ends
// with the alphas and genotype of a run never stopped.
func TestSearchNB201SamplingMethods(t *testing.T) {
	for _, m := range []string{"gdas", "snas", "drnas"} {
		dir := t.TempDir()
		a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
		args := func(out, epochs string) []string {
			return []string{"--method", m, "--space", "nas-bench-201", "--dataset", "synthetic", "--input-shape", "3x8x8", "--classes", "4",
				"--limit", "64", "--batch-size", "16", "--init-channels", "4", "--cells-per-stage", "1", "--epochs", epochs,
				"--arch-learning-rate", "0.05", "--no-plots", "--out", out}
		}
		if err := search(args(a, "2"), &bytes.Buffer{}, &bytes.Buffer{}); err != nil {
			t.Fatalf("%s: %v", m, err)
		}
		if err := search(args(b, "1"), &bytes.Buffer{}, &bytes.Buffer{}); err != nil {
			t.Fatal(err)
		}
		if err := search([]string{"--resume", "--out", b, "--epochs", "2", "--no-plots"}, &bytes.Buffer{}, &bytes.Buffer{}); err != nil {
			t.Fatal(err)
		}
		sameAsResumed(t, m, a, b)
		as, err := rundir.ReadAlphas(rundir.AlphasPath(a))
		if err != nil {
			t.Fatal(err)
		}
		last := as[len(as)-1]
		if len(as) != 3 || len(last.Tensors) != 1 || len(last.Tensors[0].Alpha) != 6 || len(last.Tensors[0].Alpha[0]) != 5 || last.Rule != "argmax" {
			t.Fatalf("%s: %d alpha records, %d tensors, rule %q; want 3 records of one 6×5 tensor, argmax", m, len(as), len(last.Tensors), last.Rule)
		}
		raw, err := os.ReadFile(rundir.GenotypeTextPath(a))
		if err != nil {
			t.Fatal(err)
		}
		g, err := derive.ParseNB201(strings.TrimSpace(string(raw)))
		if err != nil {
			t.Fatalf("%s: genotype.txt %q: %v", m, raw, err)
		}
		want, err := derive.Derive(last.Space, derive.ArgmaxRule, last.CellWeights())
		if err != nil || !g.Equal(want) {
			t.Errorf("%s: genotype.txt %v, argmax of the last alphas %v (%v)", m, g, want, err)
		}
		conf, err := job.ReadSearchConfig(a)
		if err != nil {
			t.Fatal(err)
		}
		s, rec := conf.Search, conf.Record
		ok := conf.Method == m && conf.Network.Space == "nas-bench-201" && !s.SingleLevel && rec.ArchStep != "" && conf.Network.Init == "1.x"
		switch m {
		case "gdas": // AutoDL's GDAS.config: Nesterov SGD, weight decay 5e-4, the weight step first
			ok = ok && rec.Relaxation == "gdas" && s.Nesterov && s.WeightFirst && s.WeightDecay == 5e-4 && conf.MethodOptions["tau_max"] == 10 && conf.MethodOptions["tau_min"] == 0.1
		case "snas": // DrNAS's SNAS baseline: τ from 10, weight decay 3e-4, the architecture step first
			ok = ok && rec.Relaxation == "snas" && !s.WeightFirst && s.WeightDecay == 3e-4 && conf.MethodOptions["tau_max"] == 10
		case "drnas":
			ok = ok && rec.Relaxation == "dirichlet" && !s.WeightFirst && s.WeightDecay == 3e-4
		}
		if !ok {
			t.Errorf("%s: config.json method %q network %+v search %+v record %+v options %v: not the method's NAS-Bench-201 recipe", m, conf.Method, conf.Network, s, rec, conf.MethodOptions)
		}
	}
}
