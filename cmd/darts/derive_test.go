package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/darts-go/darts/derive"
	"github.com/darts-go/darts/rundir"
	"github.com/darts-go/darts/space"
)

// dartsPrims is the DARTS op set in alpha-column order.
var dartsPrims = []string{"none", "max_pool_3x3", "avg_pool_3x3", "skip_connect", "sep_conv_3x3", "sep_conv_5x5", "dil_conv_3x3", "dil_conv_5x5"}

// cellFavoring returns 14 softmax-like rows in which edge e prefers op
// (e+shift) mod 8 and edges of odd index are stronger.
func cellFavoring(shift int) [][]float64 {
	var c [][]float64
	for e := 0; e < 14; e++ {
		w := make([]float64, len(dartsPrims))
		for k := range w {
			w[k] = 0.05
		}
		w[(e+shift)%len(w)] = 0.3 + 0.1*float64(e%2)
		c = append(c, w)
	}
	return c
}

// writeAlphasRun writes alphas.jsonl in darts-go 0.1's form (normal and
// reduce objects), which must still derive.
func writeAlphasRun(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for e := 0; e <= 2; e++ {
		cell := func(shift int) map[string]any {
			return map[string]any{"alpha": cellFavoring(shift), "weights": cellFavoring(shift)}
		}
		a := map[string]any{"epoch": e, "primitives": dartsPrims, "normal": cell(e + 1), "reduce": cell(e + 4)}
		if err := rundir.AppendJSONLine(rundir.AlphasPath(dir), a); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestDeriveFromRun(t *testing.T) {
	dir := writeAlphasRun(t)
	for _, tc := range []struct {
		args  []string
		epoch int
	}{
		{[]string{"--run", dir}, 2},
		{[]string{"--run", dir, "--epoch", "1"}, 1},
		{[]string{"--run", dir, "--epoch", "0", "--json"}, 0},
	} {
		var stdout bytes.Buffer
		if err := deriveCmd(tc.args, &stdout, &bytes.Buffer{}); err != nil {
			t.Fatal(err)
		}
		got, err := derive.Parse(&stdout)
		if err != nil {
			t.Fatalf("%v: output does not parse: %v", tc.args, err)
		}
		want, err := derive.Derive(space.DARTS(4, 4, dartsPrims), derive.DARTSRule,
			map[string][][]float64{"normal": cellFavoring(tc.epoch + 1), "reduce": cellFavoring(tc.epoch + 4)})
		if err != nil {
			t.Fatal(err)
		}
		if !got.Equal(want) {
			t.Errorf("%v: %v, want %v", tc.args, got, want)
		}
	}
}

func TestDeriveRandom(t *testing.T) {
	out := filepath.Join(t.TempDir(), "r.json")
	if err := deriveCmd([]string{"--random", "7", "--json", "--out", out}, &bytes.Buffer{}, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	got, err := derive.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if want, _ := derive.Random(7, space.DARTS(4, 4, dartsPrims), derive.DARTSRule); !got.Equal(want) {
		t.Errorf("--random 7 wrote %v, want derive.Random's %v", got, want)
	}
	var a, b bytes.Buffer
	if err := deriveCmd([]string{"--random", "8"}, &a, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	if err := deriveCmd([]string{"--random", "8", "--ops", "nb201-ops", "--nodes", "3"}, &b, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(a.String(), "Genotype(normal=[") || a.String() == b.String() {
		t.Errorf("outputs %q and %q", a.String(), b.String())
	}
	g, err := derive.Parse(&b)
	if err != nil || len(g.Cells[0].Pairs()) != 6 {
		t.Errorf("3-node random genotype: %v, %v", g, err)
	}
}

func TestDeriveErrors(t *testing.T) {
	run := writeAlphasRun(t)
	empty := t.TempDir()
	broken := t.TempDir()
	if err := os.WriteFile(rundir.AlphasPath(broken), []byte("{\"epoch\": 0, \"primitives\": [\"none\"]}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		args  []string
		usage bool
		want  string
	}{
		{"nothing", nil, true, "--run DIR or --random SEED is required"},
		{"both", []string{"--run", run, "--random", "1"}, true, "not both"},
		{"epoch with random", []string{"--random", "1", "--epoch", "2"}, true, "--epoch goes with --run"},
		{"ops with run", []string{"--run", run, "--ops", "darts"}, true, "go with --random"},
		{"bad ops", []string{"--random", "1", "--ops", "conv_9x9"}, true, `unknown op "conv_9x9"`},
		{"only none", []string{"--random", "1", "--ops", "none"}, true, "no cell can be derived"},
		{"nodes", []string{"--random", "1", "--nodes", "0"}, true, "--nodes 0"},
		{"bad seed", []string{"--random", "x"}, true, "invalid argument"},
		{"missing epoch", []string{"--run", run, "--epoch", "9"}, false, "no line for epoch 9 (it has epochs 0..2)"},
		{"no alphas", []string{"--run", empty}, false, "alphas.jsonl"},
		{"broken alphas", []string{"--run", broken}, false, "alphas.jsonl"},
		{"other rule", []string{"--run", run, "--rule", "top3"}, true, `--rule "top3"`},
		{"pt flag alone", []string{"--run", run, "--pt-interval", "2"}, true, "--pt-interval goes with --rule perturbation"},
		{"rule with random", []string{"--random", "1", "--rule", "perturbation"}, true, "needs --run"},
		{"rule with epoch", []string{"--run", run, "--rule", "perturbation", "--epoch", "1"}, true, "no --epoch"},
		{"bad interval", []string{"--run", run, "--rule", "perturbation", "--pt-interval", "-1"}, true, "interval -1"},
		{"bad criterion", []string{"--run", run, "--rule", "perturbation", "--pt-criterion", "top1"}, true, `criterion "top1"`},
		{"rule on no run", []string{"--run", empty, "--rule", "perturbation"}, false, "config.json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := deriveCmd(tc.args, &bytes.Buffer{}, &bytes.Buffer{})
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
