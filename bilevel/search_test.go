package bilevel

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/darts-go/darts/datasets"
	"github.com/darts-go/darts/mixedop"
	"github.com/darts-go/darts/supernet"
)

// tinyData is a learnable synthetic set: 1×8×8 images of 3 classes.
func tinyData(t testing.TB, limit int) *datasets.Splits {
	t.Helper()
	d, err := datasets.Load(datasets.Options{Name: "synthetic", Shape: [3]int{1, 8, 8}, Classes: 3, Limit: limit, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func tinyConfig() supernet.Config {
	return supernet.Config{InputC: 1, InputH: 8, InputW: 8, Classes: 3, C: 4, Layers: 3,
		Primitives: []string{"none", "max_pool_3x3", "skip_connect", "sep_conv_3x3"}}
}

func tinySettings() Settings {
	s := DefaultSettings()
	s.Epochs, s.BatchSize, s.Seed = 3, 16, 7
	s.ArchLR = 3e-2 // large, so that alphas move visibly in a few steps
	return s
}

func newTiny(t testing.TB, d *datasets.Splits, st Settings) *Search[float32] {
	t.Helper()
	net, err := supernet.NewNetwork[float32](tinyConfig(), st.Seed)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSearch(net, d, st, Method[float32]{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func snapshot[T Float](ps []*mixedop.Param[T]) [][]T {
	out := make([][]T, len(ps))
	for i, p := range ps {
		out[i] = append([]T(nil), p.Value...)
	}
	return out
}

// firstDiff names the first parameter whose value differs bitwise, or "".
func firstDiff[T Float](ps []*mixedop.Param[T], want [][]T) string {
	for i, p := range ps {
		for j, v := range p.Value {
			if math.Float64bits(float64(v)) != math.Float64bits(float64(want[i][j])) {
				return p.Name
			}
		}
	}
	return ""
}

func TestSearchLearnsAndMovesAlphas(t *testing.T) {
	d := tinyData(t, 256)
	s := newTiny(t, d, tinySettings())
	a0 := snapshot(s.Net.ArchParams())
	var losses []float64
	for !s.Done() {
		m, err := s.RunEpoch(context.Background(), nil)
		if err != nil {
			t.Fatal(err)
		}
		losses = append(losses, m.TrainLoss)
		if m.Epoch != len(losses) || !(m.ValAcc >= 0 && m.ValAcc <= 1) || m.LR <= 0 {
			t.Errorf("epoch %d metrics look wrong: %+v", len(losses), m)
		}
	}
	if !(losses[len(losses)-1] < losses[0]) {
		t.Errorf("training loss did not fall: %v", losses)
	}
	var moved float64
	for i, p := range s.Net.ArchParams() {
		for j, v := range p.Value {
			moved = math.Max(moved, math.Abs(float64(v-a0[i][j])))
		}
	}
	if moved < 1e-3 {
		t.Errorf("alphas moved at most %g", moved)
	}
}

// TestStepsMoveOnlyTheirParameters: the architecture step changes the
// alphas and not one weight; the weight step the weights and not one alpha.
func TestStepsMoveOnlyTheirParameters(t *testing.T) {
	d := tinyData(t, 64)
	s := newTiny(t, d, tinySettings())
	var tb, vb datasets.Batch
	d.Train.Batches(16, 0, 1, true, datasets.Augment{}, true).Next(&tb)
	d.Val.Batches(16, 0, 1, true, datasets.Augment{}, true).Next(&vb)
	for _, order := range []int{1, 2} {
		if order == 2 {
			s.Method.Arch = &SecondOrder[float32]{}
		}
		w0, a0 := snapshot(s.Net.Weights()), snapshot(s.Net.ArchParams())
		if err := s.archStep(&tb, &vb); err != nil {
			t.Fatal(err)
		}
		if n := firstDiff(s.Net.Weights(), w0); n != "" {
			t.Errorf("order %d: architecture step changed weight %s", order, n)
		}
		if firstDiff(s.Net.ArchParams(), a0) == "" {
			t.Errorf("order %d: architecture step left the alphas unchanged", order)
		}
		w0, a0 = snapshot(s.Net.Weights()), snapshot(s.Net.ArchParams())
		if _, err := s.weightStep(&tb); err != nil {
			t.Fatal(err)
		}
		if n := firstDiff(s.Net.ArchParams(), a0); n != "" {
			t.Errorf("order %d: weight step changed %s", order, n)
		}
		if firstDiff(s.Net.Weights(), w0) == "" {
			t.Errorf("order %d: weight step left the weights unchanged", order)
		}
	}
}

// TestResumeIsExact stops a search mid-epoch and at an epoch boundary,
// resumes it from its checkpoint in a fresh process-like state, and
// requires bit-identical weights, alphas, BatchNorm statistics and metrics.
func TestResumeIsExact(t *testing.T) {
	d := tinyData(t, 128)
	st := tinySettings()
	st.Epochs = 2
	ref := newTiny(t, d, st)
	var refMetrics []float64
	for !ref.Done() {
		m, err := ref.RunEpoch(context.Background(), nil)
		if err != nil {
			t.Fatal(err)
		}
		refMetrics = append(refMetrics, m.TrainLoss, m.ValLoss)
	}

	for _, stopAt := range []int{2, 4} { // mid-epoch 0; after epoch 0 (4 steps per epoch)
		path := filepath.Join(t.TempDir(), CheckpointFile)
		a := newTiny(t, d, st)
		ctx, cancel := context.WithCancel(context.Background())
		var metrics []float64
		steps := 0
		for !a.Done() && steps < stopAt {
			m, err := a.RunEpoch(ctx, func(StepInfo) {
				steps++
				if steps == stopAt {
					cancel()
				}
			})
			if err == nil {
				metrics = append(metrics, m.TrainLoss, m.ValLoss)
				continue
			}
			if !errors.Is(err, context.Canceled) {
				t.Fatal(err)
			}
		}
		cancel()
		if err := a.Save(path); err != nil {
			t.Fatal(err)
		}
		b := newTiny(t, d, st)
		if err := b.Load(path); err != nil {
			t.Fatal(err)
		}
		for !b.Done() {
			m, err := b.RunEpoch(context.Background(), nil)
			if err != nil {
				t.Fatal(err)
			}
			metrics = append(metrics, m.TrainLoss, m.ValLoss)
		}
		for _, g := range []struct {
			name      string
			got, want []*mixedop.Param[float32]
		}{{"weights", b.Net.Weights(), ref.Net.Weights()}, {"alphas", b.Net.ArchParams(), ref.Net.ArchParams()}, {"BN state", b.Net.State(), ref.Net.State()}} {
			if n := firstDiff(g.got, snapshot(g.want)); n != "" {
				t.Errorf("stopped after %d steps: %s differ from an uninterrupted run at %s", stopAt, g.name, n)
			}
		}
		if len(metrics) != len(refMetrics) {
			t.Fatalf("stopped after %d steps: %d metrics, want %d", stopAt, len(metrics), len(refMetrics))
		}
		for i := range metrics {
			if metrics[i] != refMetrics[i] {
				t.Errorf("stopped after %d steps: metric %d = %v, uninterrupted %v", stopAt, i, metrics[i], refMetrics[i])
			}
		}
	}
}

func TestNonFiniteLossStops(t *testing.T) {
	d := tinyData(t, 64)
	s := newTiny(t, d, tinySettings())
	w := s.Net.Weights()[0]
	w.Value[0] = float32(math.NaN())
	_, err := s.RunEpoch(context.Background(), nil)
	var nf *NonFiniteError
	if !errors.As(err, &nf) {
		t.Fatalf("got %v, want a NonFiniteError", err)
	}
	if nf.Epoch != 1 || nf.Step != 0 || !strings.Contains(err.Error(), "epoch 1 step 1: ") || !strings.Contains(err.Error(), "loss") {
		t.Errorf("error %q does not name epoch 1, step 1 and the loss", err)
	}
}

func TestLoadRejectsBadCheckpoints(t *testing.T) {
	d := tinyData(t, 64)
	s := newTiny(t, d, tinySettings())
	dir := t.TempDir()
	good := filepath.Join(dir, "good")
	if err := s.Save(good); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	flipped := append([]byte(nil), data...)
	flipped[len(flipped)/2] ^= 0x40
	other := tinySettings()
	other.BatchSize = 8
	otherCfg := tinyConfig()
	otherCfg.C = 6
	otherNet, err := supernet.NewNetwork[float32](otherCfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	os2, err := NewSearch(otherNet, d, tinySettings(), Method[float32]{})
	if err != nil {
		t.Fatal(err)
	}
	defer os2.Close()
	otherNetPath := filepath.Join(dir, "othernet")
	if err := os2.Save(otherNetPath); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, path, want string
	}{
		{"truncated", write("trunc", data[:len(data)/3]), "trunc"},
		{"empty", write("empty", nil), "empty"},
		{"corrupt", write("flip", flipped), "flip"},
		{"missing", filepath.Join(dir, "nope"), "nope"},
		{"other network", otherNetPath, "another network"},
	}
	before := snapshot(s.Net.Weights())
	for _, c := range cases {
		err := s.Load(c.path)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: Load error %v, want one mentioning %q", c.name, err, c.want)
		}
		if n := firstDiff(s.Net.Weights(), before); n != "" {
			t.Errorf("%s: a failed Load changed %s", c.name, n)
		}
	}
	s2 := newTiny(t, d, other)
	if err := s2.Load(good); err == nil || !strings.Contains(err.Error(), "other settings") {
		t.Errorf("checkpoint with another batch size: %v", err)
	}
}

// TestEpochCoversSearchTrain: an epoch runs one step per search-train
// batch, the last partial one included, whatever the split, each step with
// a search-val batch drawn afresh (so search-val, here smaller than
// search-train, is reused across steps), as train_search.py does.
func TestEpochCoversSearchTrain(t *testing.T) {
	d, err := datasets.Load(datasets.Options{Name: "synthetic", Shape: [3]int{1, 8, 8}, Classes: 3, Limit: 250, TrainPortion: 0.8, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	if d.Train.Len() != 200 || d.Val.Len() != 50 {
		t.Fatalf("split %d/%d, want 200/50", d.Train.Len(), d.Val.Len())
	}
	st := tinySettings()
	st.Epochs = 1
	s := newTiny(t, d, st)
	if got := s.StepsPerEpoch(); got != 13 {
		t.Errorf("StepsPerEpoch = %d, want ceil(200/16) = 13", got)
	}
	var infos []StepInfo
	if _, err := s.RunEpoch(context.Background(), func(si StepInfo) { infos = append(infos, si) }); err != nil {
		t.Fatal(err)
	}
	if len(infos) != 13 {
		t.Fatalf("%d steps, want 13", len(infos))
	}
	// The running means weight each step by its batch: the epoch saw all
	// 200 examples (12 batches of 16 and one of 8).
	if s.acc.Seen != 0 {
		t.Errorf("accumulator not reset after the epoch")
	}
}

// TestEvaluateLimit: Evaluate sees every example by default, the last
// partial batch included, and at most limit of them otherwise; an
// accuracy over n examples is a multiple of 1/n.
func TestEvaluateLimit(t *testing.T) {
	d := tinyData(t, 100) // 50 search-val examples
	s := newTiny(t, d, tinySettings())
	for _, tc := range []struct{ limit, n int }{{0, 50}, {20, 20}, {7, 7}, {50, 50}, {500, 50}} {
		_, acc, err := s.Evaluate(d.Val, tc.limit)
		if err != nil {
			t.Fatal(err)
		}
		k := acc * float64(tc.n)
		if math.Abs(k-math.Round(k)) > 1e-9 {
			t.Errorf("limit %d: accuracy %v is not a multiple of 1/%d", tc.limit, acc, tc.n)
		}
	}
	l0, a0, _ := s.Evaluate(d.Val, 0)
	l1, a1, _ := s.Evaluate(d.Val, d.Val.Len())
	if l0 != l1 || a0 != a1 {
		t.Errorf("limit 0 and limit = all differ: %v/%v and %v/%v", l0, a0, l1, a1)
	}
}

// TestSettingsValidate: every setting out of its range is refused with a
// message naming it (a zero gradient clip would zero every gradient).
func TestSettingsValidate(t *testing.T) {
	if err := DefaultSettings().Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	for _, tc := range []struct {
		edit func(*Settings)
		want string
	}{
		{func(s *Settings) { s.GradClip = 0 }, "gradient clip 0"},
		{func(s *Settings) { s.Momentum = -0.1 }, "momentum -0.1"},
		{func(s *Settings) { s.Momentum = 1 }, "momentum 1"},
		{func(s *Settings) { s.ArchBeta1 = 1 }, "betas (1, 0.999)"},
		{func(s *Settings) { s.ArchBeta2 = -0.5 }, "betas (0.5, -0.5)"},
		{func(s *Settings) { s.ArchLR = 0 }, "architecture learning rate 0"},
		{func(s *Settings) { s.WeightDecay = -1 }, "weight decay -1"},
		{func(s *Settings) { s.ArchWeightDecay = math.NaN() }, "architecture weight decay NaN"},
		{func(s *Settings) { s.EvalLimit = -1 }, "eval limit -1"},
		{func(s *Settings) { s.Warmup = -1 }, "warm-up -1"},
		{func(s *Settings) { s.LRMin = math.NaN() }, "learning rate"},
		{func(s *Settings) { s.ArchAdam = 7 }, "Adam variant 7"},
	} {
		s := DefaultSettings()
		tc.edit(&s)
		if err := s.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("err = %v, want one containing %q", err, tc.want)
		}
	}
}

// TestTwoLayerNetwork: with fewer than three cells every cell is a
// reduction cell and the normal tensor is unused. The search runs (as the
// original does) and leaves that tensor alone, as PyTorch's Adam leaves a
// parameter without a gradient.
func TestTwoLayerNetwork(t *testing.T) {
	for _, layers := range []int{1, 2} {
		cfg := tinyConfig()
		cfg.Layers = layers
		net, err := supernet.NewNetwork[float32](cfg, 3)
		if err != nil {
			t.Fatal(err)
		}
		st := tinySettings()
		st.Epochs = 1
		s, err := NewSearch(net, tinyData(t, 64), st, Method[float32]{})
		if err != nil {
			t.Fatalf("layers %d: %v", layers, err)
		}
		normal, _ := net.ArchTensor("normal")
		reduce, _ := net.ArchTensor("reduce")
		n0, r0 := snapshot([]*mixedop.Param[float32]{normal.Param}), snapshot([]*mixedop.Param[float32]{reduce.Param})
		if _, err := s.RunEpoch(context.Background(), nil); err != nil {
			t.Fatalf("layers %d: %v", layers, err)
		}
		if name := firstDiff([]*mixedop.Param[float32]{normal.Param}, n0); name != "" {
			t.Errorf("layers %d: the unused normal tensor moved", layers)
		}
		if name := firstDiff([]*mixedop.Param[float32]{reduce.Param}, r0); name == "" {
			t.Errorf("layers %d: the reduce tensor did not move", layers)
		}
		s.Close()
	}
}
