package main

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/darts-go/darts/bilevel"
	"github.com/darts-go/darts/method"
	"github.com/darts-go/darts/space"
	"github.com/spf13/pflag"
)

// TestScaleToEpochs holds the settings counted in epochs under a new
// --epochs to round(reference value × epochs / reference epochs): PC-DARTS's
// warm-up (15 of 50) and an option marked Epochs of a method made up here
// (20 of 50), each kept when given on the command line, untouched when
// --epochs is the budget's or not given.
func TestScaleToEpochs(t *testing.T) {
	made := method.Spec{Name: "made-up", Spaces: []string{space.DARTSName},
		Options: []method.Option{{Name: "ramp", Kind: method.Int, Epochs: true}, {Name: "k", Kind: method.Int}},
		Reference: func(method.Query) (method.Recipe, error) {
			s := bilevel.DefaultSettings()
			s.Epochs, s.Warmup = 50, 15
			return method.Recipe{Search: s, Options: method.Options{"ramp": 20, "k": 7}}, nil
		},
		Build: func(method.Recipe) (bilevel.Method[float32], error) { return bilevel.Method[float32]{}, nil },
	}
	pc, err := method.Lookup(method.PCDARTS)
	if err != nil {
		t.Fatal(err)
	}
	round := func(x, e float64) float64 { return math.Round(x * e / 50) }
	for _, c := range []struct {
		spec                 method.Spec
		budget               string
		args                 []string
		warmup, ramp, kValue float64
	}{
		{pc, method.Quick, []string{"--epochs", "10"}, round(15, 10), -1, 4},
		{pc, method.Quick, []string{"--epochs", "3"}, round(15, 3), -1, 4},
		{pc, method.Quick, []string{"--epochs", "1"}, 0, -1, 4},
		{pc, method.Quick, []string{"--epochs", "6"}, 2, -1, 4}, // the quick budget's own 6: its 2
		{pc, method.Quick, nil, 2, -1, 4},
		{pc, method.Reference, []string{"--epochs", "20"}, round(15, 20), -1, 4},
		{pc, method.Reference, []string{"--epochs", "10", "--warmup-epochs", "5"}, 5, -1, 4},
		{made, method.Reference, []string{"--epochs", "7"}, round(15, 7), round(20, 7), 7},
		{made, method.Reference, []string{"--epochs", "7", "--ramp", "9", "--k", "3"}, round(15, 7), 9, 3},
		{made, method.Reference, []string{"--epochs", "50"}, 15, 20, 7},
		{made, method.Quick, []string{"--epochs", "100"}, 30, 40, 7},
	} {
		q := method.Query{Space: space.DARTSName}
		rec, err := c.spec.Recipe(q, c.budget)
		if err != nil {
			t.Fatal(err)
		}
		st := rec.Search
		fs := pflag.NewFlagSet("search", pflag.ContinueOnError)
		fs.IntVar(&st.Epochs, "epochs", st.Epochs, "")
		fs.IntVar(&st.Warmup, "warmup-epochs", st.Warmup, "")
		opts, err := addMethodFlags(fs, c.spec, rec.Options)
		if err != nil {
			t.Fatal(err)
		}
		if err := fs.Parse(c.args); err != nil {
			t.Fatal(err)
		}
		if err := scaleToEpochs(fs, c.spec, q, rec, &st); err != nil {
			t.Fatalf("%s %v: %v", c.spec.Name, c.args, err)
		}
		o := opts()
		if float64(st.Warmup) != c.warmup || (c.ramp >= 0 && o["ramp"] != c.ramp) || o["k"] != c.kValue {
			t.Errorf("%s (%s) %v: warm-up %d, ramp %g, k %g; want %g, %g, %g", c.spec.Name, c.budget, c.args, st.Warmup, o["ramp"], o["k"], c.warmup, c.ramp, c.kValue)
		}
	}
}

// TestSearchScalesWarmup runs darts search --method pc-darts --epochs 3 on
// tiny data: config.json records the warm-up of round(15 × 3 / 50) = 1
// epoch (the quick budget's own is 2 of 6), and alphas.jsonl shows α and β
// unchanged through that epoch and moved by the next.
func TestSearchScalesWarmup(t *testing.T) {
	out := filepath.Join(t.TempDir(), "run")
	if err := runSearch(tinySearch(out, "--method", "pc-darts", "--epochs", "3", "--batch-size", "8")); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(out, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	var conf struct {
		Search struct {
			Epochs int `json:"epochs"`
			Warmup int `json:"warmup_epochs"`
		} `json:"search"`
	}
	if err := json.Unmarshal(b, &conf); err != nil {
		t.Fatal(err)
	}
	if conf.Search.Epochs != 3 || conf.Search.Warmup != 1 {
		t.Fatalf("config.json: %d epochs, warm-up %d; want 3 and 1", conf.Search.Epochs, conf.Search.Warmup)
	}
	lines, err := os.ReadFile(filepath.Join(out, "alphas.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	var tensors []string
	for _, l := range bytes.Split(bytes.TrimSpace(lines), []byte("\n")) {
		var rec struct {
			Tensors json.RawMessage `json:"tensors"`
		}
		if err := json.Unmarshal(l, &rec); err != nil {
			t.Fatal(err)
		}
		tensors = append(tensors, string(rec.Tensors))
	}
	if len(tensors) != 4 {
		t.Fatalf("%d lines in alphas.jsonl, want 4 (epochs 0 to 3)", len(tensors))
	}
	if tensors[1] != tensors[0] || tensors[2] == tensors[1] || !strings.Contains(tensors[0], "beta_normal") {
		t.Errorf("architecture tensors: epoch 1 same as epoch 0 %v, epoch 2 same as epoch 1 %v, β recorded %v; want true, false, true",
			tensors[1] == tensors[0], tensors[2] == tensors[1], strings.Contains(tensors[0], "beta_normal"))
	}
}
