package retrain

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/darts-go/darts/datasets"
	"github.com/darts-go/darts/derive"
	"github.com/darts-go/darts/supernet"
)

func readV2(t *testing.T) derive.Genotype {
	t.Helper()
	g, err := derive.ReadFile("testdata/darts_v2.json")
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// tinySetup is a 3×20×20 synthetic set of 48 training examples (6 steps of
// 8) and a 3-cell network with an auxiliary head: every part of the
// training loop (crop, flip, cutout, drop path, auxiliary loss) runs.
func tinySetup(t *testing.T, g derive.Genotype) (*datasets.Splits, supernet.DiscreteConfig, TrainSettings) {
	t.Helper()
	data, err := datasets.Load(datasets.Options{Name: "synthetic", Shape: [3]int{3, 20, 20}, Classes: 3, Limit: 48, Seed: 4})
	if err != nil {
		t.Fatal(err)
	}
	cfg := NetworkConfig(g, data.Info.Shape, data.Info.Classes, 4, 3, true)
	s := DefaultTrainSettings()
	s.Epochs, s.BatchSize, s.Cutout, s.DropPath, s.Seed = 2, 8, 4, 0.3, 7
	return data, cfg, s
}

func newTrainer(t *testing.T, data *datasets.Splits, cfg supernet.DiscreteConfig, s TrainSettings, seed uint64) *Trainer[float32] {
	t.Helper()
	net, err := supernet.NewDiscrete[float32](cfg, seed)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := NewTrainer(net, data, s)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close() })
	return tr
}

// snapshot copies every weight and statistic of tr's network.
func snapshot(tr *Trainer[float32]) map[string][]float32 {
	out := map[string][]float32{}
	for _, g := range tr.groups() {
		for _, p := range g.Params {
			out[g.Prefix+p.Name] = slices.Clone(p.Value)
		}
	}
	return out
}

func sameState(t *testing.T, a, b map[string][]float32) {
	t.Helper()
	if len(a) != len(b) {
		t.Fatalf("%d tensors vs %d", len(a), len(b))
	}
	for name, v := range a {
		if !slices.Equal(v, b[name]) {
			t.Errorf("tensor %s differs", name)
		}
	}
}

func TestTrainResumeBitIdentical(t *testing.T) {
	g := readV2(t)
	data, cfg, s := tinySetup(t, g)
	ctx := context.Background()

	full := newTrainer(t, data, cfg, s, 1)
	var fullMetrics []float64
	for !full.Done() {
		m, err := full.RunEpoch(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		fullMetrics = append(fullMetrics, m.TrainLoss, *m.TestLoss)
	}
	want := snapshot(full)

	for _, tc := range []struct {
		name      string
		stopAfter int // steps into the run: 6 = the epoch boundary
	}{{"epoch boundary", 6}, {"mid epoch", 9}} {
		t.Run(tc.name, func(t *testing.T) {
			ckpt := filepath.Join(t.TempDir(), TrainCheckpointFile)
			first := newTrainer(t, data, cfg, s, 1)
			cctx, cancel := context.WithCancel(ctx)
			done := 0
			var got []float64
			for {
				m, err := first.RunEpoch(cctx, func(StepInfo) {
					if done++; done == tc.stopAfter {
						cancel()
					}
				})
				if err != nil {
					if !errors.Is(err, context.Canceled) {
						t.Fatal(err)
					}
					break
				}
				got = append(got, m.TrainLoss, *m.TestLoss)
				if done >= tc.stopAfter {
					break
				}
			}
			cancel()
			if err := first.Save(ckpt); err != nil {
				t.Fatal(err)
			}
			// A fresh process: other initial weights, then the checkpoint.
			second := newTrainer(t, data, cfg, s, 99)
			if err := second.Load(ckpt); err != nil {
				t.Fatal(err)
			}
			for !second.Done() {
				m, err := second.RunEpoch(ctx, nil)
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, m.TrainLoss, *m.TestLoss)
			}
			sameState(t, want, snapshot(second))
			if !slices.Equal(got, fullMetrics) {
				t.Errorf("metrics %v, uninterrupted run %v", got, fullMetrics)
			}
		})
	}
}

func TestWeightsReload(t *testing.T) {
	g := readV2(t)
	data, cfg, s := tinySetup(t, g)
	s.Epochs = 1
	tr := newTrainer(t, data, cfg, s, 1)
	if _, err := tr.RunEpoch(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	wantLoss, wantAcc, err := tr.Evaluate(data.Test)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), WeightsFile)
	if err := SaveWeights(path, tr.Net, 1); err != nil {
		t.Fatal(err)
	}
	// Without the auxiliary head, in float64: the model is the same.
	cfg.Auxiliary = false
	for _, seed := range []uint64{5} {
		net32, err := supernet.NewDiscrete[float32](cfg, seed)
		if err != nil {
			t.Fatal(err)
		}
		epoch, err := LoadWeights(path, net32)
		if err != nil {
			t.Fatal(err)
		}
		if epoch != 1 {
			t.Errorf("epoch %d, want 1", epoch)
		}
		loss, acc, err := Evaluate(net32, data.Test, s.BatchSize)
		if err != nil {
			t.Fatal(err)
		}
		if loss != wantLoss || acc != wantAcc {
			t.Errorf("reloaded: loss %v acc %v, trained network: loss %v acc %v", loss, acc, wantLoss, wantAcc)
		}
		net64, err := supernet.NewDiscrete[float64](cfg, seed)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := LoadWeights(path, net64); err != nil {
			t.Fatal(err)
		}
		loss64, acc64, err := Evaluate(net64, data.Test, 16)
		if err != nil {
			t.Fatal(err)
		}
		if acc64 != wantAcc || loss64-wantLoss > 1e-4 || wantLoss-loss64 > 1e-4 {
			t.Errorf("float64: loss %v acc %v, float32: loss %v acc %v", loss64, acc64, wantLoss, wantAcc)
		}
	}
}

func TestLoadWeightsMismatch(t *testing.T) {
	g := readV2(t)
	data, cfg, _ := tinySetup(t, g)
	net, err := supernet.NewDiscrete[float32](cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, WeightsFile)
	if err := SaveWeights(path, net, 0); err != nil {
		t.Fatal(err)
	}
	v1, err := derive.ReadFile("testdata/darts_v1.txt")
	if err != nil {
		t.Fatal(err)
	}
	other := func(f func(*supernet.DiscreteConfig)) supernet.DiscreteConfig {
		c := cfg
		f(&c)
		return c
	}
	for _, tc := range []struct {
		name string
		cfg  supernet.DiscreteConfig
		want string
	}{
		{"layers", other(func(c *supernet.DiscreteConfig) { c.Layers = 4 }), "layers 3 in the file, 4 here"},
		{"channels", other(func(c *supernet.DiscreteConfig) { c.C = 6 }), "init channels 4 in the file, 6 here"},
		{"classes", other(func(c *supernet.DiscreteConfig) { c.Classes = 5 }), "classes 3 in the file, 5 here"},
		{"genotype", NetworkConfig(v1, data.Info.Shape, 3, 4, 3, false), "genotype Genotype(normal=[('sep_conv_3x3', 0)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n2, err := supernet.NewDiscrete[float32](tc.cfg, 1)
			if err != nil {
				t.Fatal(err)
			}
			before := snapshotNet(n2)
			_, err = LoadWeights(path, n2)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path) {
				t.Fatalf("error %v, want one naming the file and %q", err, tc.want)
			}
			if !mapsEqual(before, snapshotNet(n2)) {
				t.Error("a failed load changed the network")
			}
		})
	}
	// Not a weights file: a training checkpoint, and garbage.
	tr := newTrainer(t, data, cfg, TrainSettings{Epochs: 1, BatchSize: 8, LR: 0.1, GradClip: 5}, 1)
	ckpt := filepath.Join(dir, TrainCheckpointFile)
	if err := tr.Save(ckpt); err != nil {
		t.Fatal(err)
	}
	junk := filepath.Join(dir, "junk")
	if err := os.WriteFile(junk, []byte("not a tensor archive"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{ckpt, junk, filepath.Join(dir, "missing")} {
		if _, err := LoadWeights(p, net); err == nil || !strings.Contains(err.Error(), p) {
			t.Errorf("LoadWeights(%s): error %v, want one naming the file", p, err)
		}
	}
	// A checkpoint of other settings or another network does not load.
	s2 := tr.S
	s2.LR = 0.2
	tr2 := newTrainer(t, data, cfg, s2, 1)
	if err := tr2.Load(ckpt); err == nil || !strings.Contains(err.Error(), "other settings") {
		t.Errorf("Load with other settings: %v", err)
	}
	cfg3 := cfg
	cfg3.Auxiliary = false
	tr3 := newTrainer(t, data, cfg3, tr.S, 1)
	if err := tr3.Load(ckpt); err == nil || !strings.Contains(err.Error(), "auxiliary true in the file, false here") {
		t.Errorf("Load into a network without auxiliary head: %v", err)
	}
}

func snapshotNet(n *supernet.Discrete[float32]) map[string][]float32 {
	out := map[string][]float32{}
	for _, p := range append(n.Weights(), n.State()...) {
		out[p.Name] = slices.Clone(p.Value)
	}
	return out
}

func mapsEqual(a, b map[string][]float32) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !slices.Equal(v, b[k]) {
			return false
		}
	}
	return true
}

func TestTrainDivergenceStops(t *testing.T) {
	g := readV2(t)
	data, cfg, s := tinySetup(t, g)
	s.LR, s.GradClip, s.WeightDecay = 1e38, 1e38, 0
	tr := newTrainer(t, data, cfg, s, 1)
	_, err := tr.RunEpoch(context.Background(), nil)
	var nf *NonFiniteError
	if !errors.As(err, &nf) {
		t.Fatalf("error %v, want a NonFiniteError", err)
	}
	if !strings.Contains(err.Error(), "not finite") || nf.Epoch != 1 {
		t.Errorf("error %q (epoch %d)", err, nf.Epoch)
	}
}

func TestTrainSettingsValidate(t *testing.T) {
	ok := DefaultTrainSettings()
	if err := ok.Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	for _, tc := range []struct {
		name string
		f    func(*TrainSettings)
		want string
	}{
		{"epochs", func(s *TrainSettings) { s.Epochs = 0 }, "epochs 0"},
		{"batch", func(s *TrainSettings) { s.BatchSize = -1 }, "batch size -1"},
		{"lr", func(s *TrainSettings) { s.LR = 0 }, "learning rate"},
		{"lr min", func(s *TrainSettings) { s.LRMin = 1 }, "learning rate"},
		{"drop path", func(s *TrainSettings) { s.DropPath = 1 }, "drop path probability 1"},
		{"cutout", func(s *TrainSettings) { s.Cutout = -2 }, "cutout -2"},
		{"clip", func(s *TrainSettings) { s.GradClip = -1 }, "gradient clip -1"},
		{"clip inf", func(s *TrainSettings) { s.GradClip = math.Inf(1) }, "gradient clip +Inf"},
	} {
		s := ok
		tc.f(&s)
		if err := s.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error with %q", tc.name, err, tc.want)
		}
	}
}

func TestTrainerRejectsData(t *testing.T) {
	g := readV2(t)
	data, cfg, s := tinySetup(t, g)
	cfg.Classes = 4
	net, err := supernet.NewDiscrete[float32](cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewTrainer(net, data, s); err == nil || !strings.Contains(err.Error(), "3 classes") {
		t.Errorf("classes mismatch: %v", err)
	}
	// A batch larger than the set is one partial batch, as PyTorch's
	// DataLoader gives: one step per epoch.
	cfg.Classes = 3
	net, _ = supernet.NewDiscrete[float32](cfg, 1)
	s.BatchSize = 49
	tr, err := NewTrainer(net, data, s)
	if err != nil || tr.StepsPerEpoch() != 1 {
		t.Errorf("batch larger than the set: %v", err)
	}
	if tr != nil {
		tr.Close()
	}
}

func TestNetworkConfigCopiesTheGenotype(t *testing.T) {
	g := readV2(t)
	cfg := NetworkConfig(g, [3]int{1, 8, 8}, 3, 4, 3, false)
	if !cfg.Genotype.Equal(g) {
		t.Fatalf("genotype %v, want %v", cfg.Genotype, g)
	}
	// The copy is deep: changing the config's cells leaves g alone.
	cfg.Genotype.Cells[1].Concat[0] = 9
	if r, _ := g.Cell("reduce"); r.Concat[0] != 2 {
		t.Error("NetworkConfig shares the concat slice")
	}
}

// TestPartialLastBatchIsTrained: an epoch takes every example, the last
// partial batch included (50 examples in batches of 16: 4 steps, the last
// of 2), as train.py's DataLoader without drop_last.
func TestPartialLastBatchIsTrained(t *testing.T) {
	g := readV2(t)
	data, cfg, s := tinySetup(t, g)
	n := data.Train.Len() + data.Val.Len()
	s.BatchSize = 16
	s.Epochs = 1
	net, err := supernet.NewDiscrete[float32](cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := NewTrainer(net, data, s)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	want := (n + 15) / 16
	if tr.StepsPerEpoch() != want {
		t.Errorf("StepsPerEpoch = %d, want ceil(%d/16) = %d", tr.StepsPerEpoch(), n, want)
	}
	var last StepInfo
	steps := 0
	if _, err := tr.RunEpoch(context.Background(), func(si StepInfo) { last = si; steps++ }); err != nil {
		t.Fatal(err)
	}
	if steps != want || last.Step != want {
		t.Errorf("%d steps (last %+v), want %d", steps, last, want)
	}
}
