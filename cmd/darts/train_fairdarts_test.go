package main

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/darts-go/darts/derive"
	"github.com/darts-go/darts/rundir"
)

// fairDARTSa is FairDARTS_a of xiaomi-automl/FairDARTS fairdarts/genotypes.py
// in its own text of (op, to, from) triples: in the normal cell node 2
// keeps two inputs, nodes 4 and 5 one and node 3 none (the cell drops it);
// its README gives the 20-cell, 36-channel CIFAR-10 model 2.83M parameters
// (thop's count, the auxiliary head included).
const fairDARTSa = `Genotype(normal=[('sep_conv_3x3', 2, 0), ('sep_conv_5x5', 2, 1), ('max_pool_3x3', 4, 0), ('sep_conv_3x3', 5, 0)], normal_concat=range(2, 6), reduce=[('max_pool_3x3', 2, 0), ('avg_pool_3x3', 2, 1), ('avg_pool_3x3', 3, 0), ('dil_conv_5x5', 3, 1), ('avg_pool_3x3', 4, 0), ('sep_conv_5x5', 4, 1), ('skip_connect', 5, 0), ('skip_connect', 5, 1)], reduce_concat=range(2, 6))`

// TestTrainFairDARTSGenotype: darts train reads a FairDARTS genotype file
// whose nodes keep 0, 1 or 2 inputs, builds the network FairDARTS's
// README counts (2.83M with the auxiliary head), trains it, writes the
// genotype back in FairDARTS's text, and resumes to the uninterrupted
// run's weights.
func TestTrainFairDARTSGenotype(t *testing.T) {
	dir := t.TempDir()
	gf := filepath.Join(dir, "fairdarts_a.txt")
	if err := os.WriteFile(gf, []byte(fairDARTSa+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout bytes.Buffer
	err := train([]string{"--genotype", gf, "--dataset", "synthetic", "--input-shape", "3x32x32", "--limit", "10",
		"--layers", "20", "--init-channels", "36", "--auxiliary", "--dry-run"}, &stdout, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`params: ([0-9,]+) .*\(\+([0-9,]+) in the auxiliary head`).FindStringSubmatch(stdout.String())
	if m == nil {
		t.Fatalf("no parameter counts in the summary:\n%s", stdout.String())
	}
	num := func(s string) float64 {
		v, err := strconv.Atoi(strings.ReplaceAll(s, ",", ""))
		if err != nil {
			t.Fatal(err)
		}
		return float64(v)
	}
	// FairDARTS's README truncates its counts to 2 decimals.
	if total := num(m[1]) + num(m[2]); math.Floor(total/1e4) != 283 {
		t.Errorf("FairDARTS_a at 20 cells of 36 channels: %s + %s = %.0f parameters, FairDARTS publishes 2.83M", m[1], m[2], total)
	}

	tiny := func(out string, epochs string) []string {
		return []string{"--genotype", gf, "--dataset", "synthetic", "--input-shape", "1x8x8", "--classes", "3",
			"--limit", "48", "--batch-size", "8", "--layers", "3", "--init-channels", "4", "--epochs", epochs, "--out", out}
	}
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	if err := train(tiny(a, "2"), &bytes.Buffer{}, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	ms, err := rundir.ReadMetrics(rundir.MetricsPath(a))
	if err != nil || len(ms) != 2 || ms[1].TestAcc == nil {
		t.Fatalf("metrics %+v, %v; want 2 epochs with test accuracy", ms, err)
	}
	want, err := derive.Parse(strings.NewReader(fairDARTSa))
	if err != nil {
		t.Fatal(err)
	}
	g, err := derive.ReadFile(rundir.GenotypeJSONPath(a))
	if err != nil || !g.Equal(want) {
		t.Errorf("genotype.json %v (%v), want %v", g, err, want)
	}
	if txt, err := os.ReadFile(rundir.GenotypeTextPath(a)); err != nil || strings.TrimSpace(string(txt)) != fairDARTSa {
		t.Errorf("genotype.txt %q (%v), want FairDARTS's text %q", txt, err, fairDARTSa)
	}
	if err := train(tiny(b, "1"), &bytes.Buffer{}, &bytes.Buffer{}); err != nil {
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
