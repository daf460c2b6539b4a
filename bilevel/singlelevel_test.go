package bilevel

import (
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/darts-go/darts/datasets"
	"github.com/darts-go/darts/relax"
	"github.com/darts-go/darts/supernet"
)

// singleLevelSearch is a float64 search of the tiny network under SNAS's
// relaxation, single-level, with plain SGD on α at learning rate lr and
// the given α clip.
func singleLevelSearch(t *testing.T, d *datasets.Splits, lr, clip float64) *Search[float64] {
	t.Helper()
	st := tinySettings()
	st.SingleLevel, st.ArchOptimizer, st.ArchLR, st.ArchWeightDecay, st.ArchGradClip = true, "sgd", lr, 0, clip
	net, err := supernet.NewNetwork[float64](tinyConfig(), st.Seed)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSearch(net, d, st, Method[float64]{Name: "snas", Relax: relax.SNAS[float64]{Tau: relax.Constant(0.7)}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestSingleLevelStep: a single-level step moves α by −lr times the
// gradient of the training loss on the step's search-train batch at the
// step's noise — checked against finite differences of that loss, an
// oracle outside the step's code — clipped to ArchGradClip when larger;
// and it moves the weights exactly as the bilevel weight step would.
func TestSingleLevelStep(t *testing.T) {
	d := tinyData(t, 64)
	var tb datasets.Batch
	d.Train.Batches(4, 0, 7, true, datasets.Augment{}, false).Next(&tb) // small: 224 probe passes
	const lr = 0.5
	// Finite differences of the training loss at the step's pass, on a
	// search of the same seed (the same network).
	probe := singleLevelSearch(t, d, lr, 0)
	fd := make([][]float64, len(probe.Net.ArchParams()))
	for i, a := range probe.Net.ArchParams() {
		fd[i] = make([]float64, len(a.Value))
		for j := range a.Value {
			v := a.Value[j]
			loss := func(x float64) float64 {
				a.Value[j] = x
				res, err := probe.run(true, &tb, probe.pass(relax.PhaseWeight, 0), "probe")
				if err != nil {
					t.Fatal(err)
				}
				return res.Loss
			}
			const h = 1e-5
			fd[i][j] = (loss(v+h) - loss(v-h)) / (2 * h)
			a.Value[j] = v
		}
	}
	for _, clip := range []float64{0, 1e-3} {
		s := singleLevelSearch(t, d, lr, clip)
		alpha := s.Net.ArchParams()
		var norm float64
		for _, g := range fd {
			for _, v := range g {
				norm += v * v
			}
		}
		norm = math.Sqrt(norm)
		scale := 1.0
		if clip > 0 && norm > clip {
			scale = clip / norm
		}
		a0 := snapshot(alpha)
		ref := singleLevelSearch(t, d, lr, clip) // the same network, for the weights
		if _, err := ref.weightStep(&tb); err != nil {
			t.Fatal(err)
		}
		if _, err := s.jointStep(&tb, true); err != nil {
			t.Fatal(err)
		}
		for i, a := range alpha {
			for j, v := range a.Value {
				want := a0[i][j] - lr*scale*fd[i][j]
				if math.Abs(v-want) > 1e-7*math.Max(1, lr*scale*math.Abs(fd[i][j])) && math.Abs(v-want) > 1e-9 {
					t.Fatalf("clip %g: %s[%d] moved to %.12g, want %.12g (gradient %.6g, |g| %.3g)", clip, a.Name, j, v, want, fd[i][j], norm)
				}
			}
		}
		if n := firstDiff(s.Net.Weights(), snapshot(ref.Net.Weights())); n != "" {
			t.Errorf("clip %g: the single-level step moved weight %s unlike the weight step", clip, n)
		}
	}
}

// TestSingleLevelSettings: the settings that contradict a single-level
// search are refused, and so is an architecture step it would not run.
func TestSingleLevelSettings(t *testing.T) {
	for _, tc := range []struct {
		edit func(*Settings)
		want string
	}{
		{func(s *Settings) { s.SingleLevel, s.Order = true, 2 }, "need order 1"},
		{func(s *Settings) { s.SingleLevel, s.ClipWithArch = true, true }, "clip_with_arch"},
		{func(s *Settings) { s.ArchOptimizer = "rmsprop" }, `architecture optimizer "rmsprop"`},
		{func(s *Settings) { s.ArchGradClip = -1 }, "architecture gradient clip -1"},
		{func(s *Settings) { s.ArchGradClip = math.Inf(1) }, "architecture gradient clip +Inf"},
	} {
		s := DefaultSettings()
		tc.edit(&s)
		if err := s.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("err = %v, want one containing %q", err, tc.want)
		}
	}
	st := tinySettings()
	st.SingleLevel = true
	net, err := supernet.NewNetwork[float32](tinyConfig(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewSearch(net, tinyData(t, 64), st, Method[float32]{Arch: FirstOrder[float32]{}}); err == nil || !strings.Contains(err.Error(), "first-order") {
		t.Errorf("single-level search with an architecture step: %v", err)
	}
}

// TestArchOptimizerStateSGD: a search whose architecture optimizer is plain
// SGD (SNAS) hands out and takes back that optimizer's state, as DARTS-PT's
// tuning does between its decisions, instead of reaching for an Adam it
// does not have.
func TestArchOptimizerStateSGD(t *testing.T) {
	s := singleLevelSearch(t, tinyData(t, 64), 0.5, 0)
	st := s.ArchOptimizerState()
	if err := s.SetArchOptimizerState(st); err != nil {
		t.Fatalf("restoring the SGD architecture optimizer's own state: %v", err)
	}
	if got, want := st, s.aSGD.State(); !reflect.DeepEqual(got, want) {
		t.Fatalf("ArchOptimizerState = %+v, want the SGD optimizer's %+v", got, want)
	}
}
