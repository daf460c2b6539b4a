package strategy

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/darts-go/darts/datasets"
	"github.com/darts-go/darts/internal/rng"
	"github.com/darts-go/darts/mixedop"
	"github.com/darts-go/darts/relax"
	"github.com/darts-go/darts/rundir"
	"github.com/darts-go/darts/space"
	"github.com/darts-go/darts/supernet"
	"gorgonia.org/tensor"
)

// tinyDARTS is a small DARTS supernet (3 cells, 2 nodes, 4 ops, C = 2) on
// synthetic 1×8×8 images of 3 classes, with random weights and running
// statistics away from their initial values.
func tinyDARTS(t *testing.T) (*supernet.Network[float32], *datasets.Splits) {
	t.Helper()
	data, err := datasets.Load(datasets.Options{Name: "synthetic", Shape: [3]int{1, 8, 8}, Classes: 3, Limit: 120, Seed: 4})
	if err != nil {
		t.Fatal(err)
	}
	cfg := supernet.Config{InputC: 1, InputH: 8, InputW: 8, Classes: 3, C: 2, Layers: 3, Steps: 2, Multiplier: 2,
		Primitives: []string{"none", "skip_connect", "sep_conv_3x3", "max_pool_3x3"}}
	net, err := supernet.NewNetwork[float32](cfg, 5)
	if err != nil {
		t.Fatal(err)
	}
	r := rng.New(6)
	for _, p := range net.State() {
		for i := range p.Value {
			if strings.HasSuffix(p.Name, "running_var") {
				p.Value[i] = float32(0.5 + r.Float64())
			} else {
				p.Value[i] = float32(0.2 * r.NormFloat64())
			}
		}
	}
	return net, data
}

func tinyNB201(t *testing.T, ops []string) (*supernet.Network[float32], *datasets.Splits) {
	t.Helper()
	data, err := datasets.Load(datasets.Options{Name: "synthetic", Shape: [3]int{3, 8, 8}, Classes: 3, Limit: 80, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	cfg := supernet.Config{Space: space.NB201Name, InputC: 3, InputH: 8, InputW: 8, Classes: 3, C: 2, CellsPerStage: 1, Primitives: ops}
	net, err := supernet.NewNetwork[float32](cfg, 3)
	if err != nil {
		t.Fatal(err)
	}
	return net, data
}

func values(ps []*mixedop.Param[float32]) [][]float32 {
	out := make([][]float32, len(ps))
	for i, p := range ps {
		out[i] = slices.Clone(p.Value)
	}
	return out
}

func sameValues(t *testing.T, what string, ps []*mixedop.Param[float32], want [][]float32) {
	t.Helper()
	for i, p := range ps {
		if !slices.Equal(p.Value, want[i]) {
			t.Errorf("%s: %s changed", what, p.Name)
			return
		}
	}
}

// alphaWeights is a relaxation whose weights are the architecture tensors'
// values as they are: with one-hot values written into them, the network
// runs one architecture through the ordinary (not sparse) mixed edges.
type alphaWeights struct{}

func (alphaWeights) Name() string { return "test-identity" }
func (alphaWeights) Block(t space.Tensor, _ *relax.Pass) mixedop.Block[float32] {
	return &identityBlock{}
}
func (alphaWeights) Weights(_ space.Tensor, a [][]float64) [][]float64 { return a }

type identityBlock struct{ y []float32 }

func (*identityBlock) Name() string                      { return "identity" }
func (*identityBlock) Params() []*mixedop.Param[float32] { return nil }
func (*identityBlock) OutShape(in []tensor.Shape) (tensor.Shape, error) {
	return in[0].Clone(), nil
}
func (b *identityBlock) Forward(in [][]float32, _ []tensor.Shape) ([]float32, error) {
	b.y = append(b.y[:0], in[0]...)
	return b.y, nil
}
func (*identityBlock) Backward(dy []float32, din [][]float32) error {
	for i, v := range dy {
		din[0][i] += v
	}
	return nil
}

// TestScoreIsTheCandidatesForward holds a BNBatch score to what the
// network's training runner computes (forward in training mode, BatchNorm
// on batch statistics) for the candidate's one-hot weights written into
// the architecture tensors and fed through the ordinary mixed edges: the
// same loss and correct count on the same batches.
func TestScoreIsTheCandidatesForward(t *testing.T) {
	for _, tc := range []struct {
		name  string
		build func(*testing.T) (*supernet.Network[float32], *datasets.Splits)
	}{
		{"darts", tinyDARTS},
		{"nas-bench-201", func(t *testing.T) (*supernet.Network[float32], *datasets.Splits) { return tinyNB201(t, space.NB201Ops) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			net, data := tc.build(t)
			sc, err := NewScorer(net, data, ScoreSettings{Batches: 2, BatchSize: 16, BN: BNBatch, Seed: 1})
			if err != nil {
				t.Fatal(err)
			}
			defer sc.Close()
			r := rng.New(2)
			xs := [][]int{sc.Enc.Uniform(r), sc.Enc.Uniform(r), sc.Enc.Uniform(r)}
			var got []Score
			for _, x := range xs {
				s, err := sc.Score(x)
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, s)
			}
			net.Relax = alphaWeights{}
			tr, err := net.NewRunner(16, true)
			if err != nil {
				t.Fatal(err)
			}
			defer tr.Close()
			state := values(net.State())
			for i, x := range xs {
				for _, a := range net.Arch() {
					w := sc.Enc.Weights(x)[a.Tensor.Cell]
					for r := range w {
						for j, v := range w[r] {
							a.Param.Value[r*a.Cols+j] = float32(v)
						}
					}
				}
				var loss float64
				correct, n := 0, 0
				for _, b := range sc.batches {
					res, err := tr.Run(b.X, b.Y)
					if err != nil {
						t.Fatal(err)
					}
					loss += res.Loss * float64(b.N)
					correct += res.Correct
					n += b.N
				}
				if d := math.Abs(loss/float64(n) - got[i].Loss); d > 1e-5*math.Max(1, math.Abs(loss/float64(n))) || got[i].Acc != float64(correct)/float64(n) || got[i].N != n {
					t.Errorf("candidate %d: score %+v, training forward loss %v, %d of %d correct", i, got[i], loss/float64(n), correct, n)
				}
				for j, p := range net.State() { // the training runs update them
					copy(p.Value, state[j])
				}
			}
		})
	}
}

// TestScoreLeavesTheSupernetAlone: scoring in every BatchNorm mode leaves
// the weights, architecture tensors, running statistics and relaxation as
// they were, and a candidate's score does not depend on what was scored
// before it.
func TestScoreLeavesTheSupernetAlone(t *testing.T) {
	for _, bn := range BNModes {
		t.Run(string(bn), func(t *testing.T) {
			net, data := tinyDARTS(t)
			w, a, st := values(net.Weights()), values(net.ArchParams()), values(net.State())
			relaxBefore := net.Relax
			sc, err := NewScorer(net, data, ScoreSettings{Batches: 2, BatchSize: 8, BN: bn, BNBatches: 2, Seed: 3})
			if err != nil {
				t.Fatal(err)
			}
			defer sc.Close()
			r := rng.New(9)
			x := sc.Enc.Uniform(r)
			first, err := sc.Score(x)
			if err != nil {
				t.Fatal(err)
			}
			for range 4 {
				if _, err := sc.Score(sc.Enc.Uniform(r)); err != nil {
					t.Fatal(err)
				}
			}
			again, err := sc.Score(x)
			if err != nil {
				t.Fatal(err)
			}
			if again != first {
				t.Errorf("score %+v, then %+v after other candidates", first, again)
			}
			if _, err := sc.ScoreFull(x); err != nil {
				t.Fatal(err)
			}
			sameValues(t, "weights", net.Weights(), w)
			sameValues(t, "architecture tensors", net.ArchParams(), a)
			sameValues(t, "running statistics", net.State(), st)
			if net.Relax != relaxBefore {
				t.Error("the network's relaxation changed")
			}
		})
	}
}

// TestRecalcIsTheMeanOfBatchStatistics: BNRecalc's running statistics of
// the stem's BatchNorm are the mean over the re-estimation batches of the
// per-channel mean and unbiased variance of the stem convolution's
// output, computed here with plain loops from the stem's weights.
func TestRecalcIsTheMeanOfBatchStatistics(t *testing.T) {
	net, data := tinyDARTS(t)
	sc, err := NewScorer(net, data, ScoreSettings{Batches: 1, BatchSize: 8, BN: BNRecalc, BNBatches: 3, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	sc.fixed.Set(sc.Enc.Weights(sc.Enc.Uniform(rng.New(1))))
	var w []float32
	var mean, vr []float32
	for _, p := range net.Weights() {
		if p.Name == "stem.conv" {
			w = p.Value
		}
	}
	if err := sc.reestimate(); err != nil {
		t.Fatal(err)
	}
	for _, p := range net.State() {
		switch p.Name {
		case "stem.bn.running_mean":
			mean = slices.Clone(p.Value)
		case "stem.bn.running_var":
			vr = slices.Clone(p.Value)
		}
	}
	sc.restore()
	cout := len(w) / 9
	wantMean, wantVar := make([]float64, cout), make([]float64, cout)
	for _, b := range sc.recalc {
		for o := 0; o < cout; o++ {
			var vals []float64
			for n := 0; n < b.N; n++ {
				for i := 0; i < 8; i++ {
					for j := 0; j < 8; j++ {
						s := 0.0
						for kh := 0; kh < 3; kh++ {
							for kw := 0; kw < 3; kw++ {
								ii, jj := i-1+kh, j-1+kw
								if ii >= 0 && ii < 8 && jj >= 0 && jj < 8 {
									s += float64(b.X[n*64+ii*8+jj]) * float64(w[o*9+kh*3+kw])
								}
							}
						}
						vals = append(vals, s)
					}
				}
			}
			m := 0.0
			for _, v := range vals {
				m += v
			}
			m /= float64(len(vals))
			ss := 0.0
			for _, v := range vals {
				ss += (v - m) * (v - m)
			}
			wantMean[o] += m / float64(len(sc.recalc))
			wantVar[o] += ss / float64(len(vals)-1) / float64(len(sc.recalc))
		}
	}
	for o := 0; o < cout; o++ {
		if math.Abs(float64(mean[o])-wantMean[o]) > 1e-5*math.Max(1, math.Abs(wantMean[o])) ||
			math.Abs(float64(vr[o])-wantVar[o]) > 1e-5*math.Max(1, wantVar[o]) {
			t.Errorf("channel %d: re-estimated (%v, %v), batch statistics' mean (%v, %v)", o, mean[o], vr[o], wantMean[o], wantVar[o])
		}
	}
}

func readLog(t *testing.T, dir string) []rundir.Candidate {
	t.Helper()
	cs, err := rundir.ReadCandidates(rundir.SelectPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	for i := range cs {
		cs[i].Seconds = 0
	}
	return cs
}

// TestRunResumes: every strategy, stopped after some candidates (by its
// budget, by cancellation, or killed with a half-written line) and resumed,
// writes the same select.jsonl (but for the timings) and the same result
// as a run that was never stopped.
func TestRunResumes(t *testing.T) {
	net, data := tinyDARTS(t)
	sc, err := NewScorer(net, data, ScoreSettings{Batches: 1, BatchSize: 16, BN: BNBatch, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	for _, name := range []string{RandomName, EvolutionName, ReinforceName} {
		t.Run(name, func(t *testing.T) {
			s := DefaultSettings(name)
			s.Budget, s.Rescore, s.Seed, s.Score = 14, 3, 11, sc.S
			if name == EvolutionName {
				s.Population, s.Tournament = 4, 2
			}
			full := t.TempDir()
			whole, err := Run(context.Background(), sc, Config{Run: "r", Settings: s}, Options{Dir: full})
			if err != nil {
				t.Fatal(err)
			}
			want := readLog(t, full)
			if len(want) != 14 || whole.Evaluated != 14 || len(whole.Rescored) == 0 {
				t.Fatalf("%d lines, %d evaluated, %d rescored", len(want), whole.Evaluated, len(whole.Rescored))
			}

			// Budget 5, then cancelled after 3 more, then a torn line.
			part := t.TempDir()
			short := s
			short.Budget = 5
			if _, err := Run(context.Background(), sc, Config{Run: "r", Settings: short}, Options{Dir: part}); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			seen := 0
			_, err = Run(ctx, sc, Config{Run: "r", Settings: s}, Options{Dir: part, Resume: true, Progress: func(rundir.Candidate, int) {
				if seen++; seen == 3 {
					cancel()
				}
			}})
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("cancelled run: %v", err)
			}
			f, err := os.OpenFile(rundir.SelectPath(part), os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			f.WriteString(`{"n": 9, "strategy": "` + name + `", "deci`)
			f.Close()
			var notes []string
			got, err := Run(context.Background(), sc, Config{Run: "r", Settings: s}, Options{Dir: part, Resume: true,
				Note: func(f string, a ...any) { notes = append(notes, fmt.Sprintf(f, a...)) }})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.EqualFunc(readLog(t, part), want, func(a, b rundir.Candidate) bool {
				return a.N == b.N && slices.Equal(a.Decisions, b.Decisions) && a.Score == b.Score && a.Loss == b.Loss && a.Best == b.Best && a.Genotype == b.Genotype
			}) {
				t.Errorf("resumed log differs from the uninterrupted one")
			}
			if !got.Genotype.Equal(whole.Genotype) || got.Best.N != whole.Best.N || *got.Full != *whole.Full {
				t.Errorf("resumed result %+v, uninterrupted %+v", got.Best, whole.Best)
			}
			if len(notes) == 0 || !strings.Contains(strings.Join(notes, "\n"), "incomplete") {
				t.Errorf("no note of the torn line: %q", notes)
			}
			// Other settings do not resume.
			other := s
			other.Seed++
			if _, err := Run(context.Background(), sc, Config{Run: "r", Settings: other}, Options{Dir: part, Resume: true}); err == nil {
				t.Error("resumed with another seed")
			}
			if _, err := Run(context.Background(), sc, Config{Run: "r", Settings: s}, Options{Dir: part}); err == nil {
				t.Error("a new selection over an existing one")
			}
		})
	}
}

// TestGridCoversTheSpace: grid search over NAS-Bench-201 with two ops
// evaluates each of the 2^6 = 64 cells once, whatever the budget asked,
// and says how many there are before it starts; on the DARTS space it
// refuses.
func TestGridCoversTheSpace(t *testing.T) {
	net, data := tinyNB201(t, []string{"none", "skip_connect"})
	sc, err := NewScorer(net, data, ScoreSettings{Batches: 1, BatchSize: 8, BN: BNBatch, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	s := DefaultSettings(GridName)
	s.Budget, s.Rescore, s.Score = 1000, 0, sc.S
	dir := t.TempDir()
	var notes []string
	estimatedAt := -1
	res, err := Run(context.Background(), sc, Config{Settings: s}, Options{Dir: dir, Note: func(f string, a ...any) {
		msg := fmt.Sprintf(f, a...)
		notes = append(notes, msg)
		if len(notes) == 1 && !strings.Contains(msg, "64 architectures") {
			t.Errorf("first note %q does not give the space's size", msg)
		}
		if strings.Contains(msg, "per candidate") {
			estimatedAt = len(readLog(t, dir))
			if !strings.Contains(msg, "for the 60 left") || !strings.Contains(msg, "for the budget of 64") {
				t.Errorf("time estimate %q is not for the whole grid", msg)
			}
		}
	}, Progress: func(c rundir.Candidate, total int) {
		if total != 64 {
			t.Errorf("progress total %d, want the space's 64", total)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	// The total time is estimated once three candidates after the first
	// (which builds the graphs) are timed: after the 4th of 64.
	if estimatedAt != 4 {
		t.Errorf("time estimate printed after %d candidates, want 4 (notes %q)", estimatedAt, notes)
	}
	cs := readLog(t, dir)
	keys := map[string]bool{}
	for _, c := range cs {
		keys[c.Genotype] = true
	}
	if len(cs) != 64 || len(keys) != 64 || res.Evaluated != 64 {
		t.Errorf("%d candidates, %d distinct, want 64", len(cs), len(keys))
	}
	best := slices.MaxFunc(cs, func(a, b rundir.Candidate) int {
		switch {
		case better(a, b):
			return 1
		case better(b, a):
			return -1
		}
		return 0
	})
	if res.Best.N != best.N {
		t.Errorf("result is candidate %d, the best is %d", res.Best.N, best.N)
	}

	ddata, err := datasets.Load(datasets.Options{Name: "synthetic", Shape: [3]int{1, 8, 8}, Classes: 3, Limit: 40})
	if err != nil {
		t.Fatal(err)
	}
	dnet, err := supernet.NewNetwork[float32](supernet.Config{InputC: 1, InputH: 8, InputW: 8, Classes: 3, C: 2, Layers: 1}, 1)
	if err != nil {
		t.Fatal(err)
	}
	dsc, err := NewScorer(dnet, ddata, ScoreSettings{Batches: 1, BatchSize: 8, BN: BNBatch})
	if err != nil {
		t.Fatal(err)
	}
	defer dsc.Close()
	big := DefaultSettings(GridName)
	_, err = Run(context.Background(), dsc, Config{Settings: big}, Options{Dir: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "architectures") {
		t.Errorf("grid over the DARTS space: %v", err)
	}
}

func dataAug() datasets.Augment { return datasets.Augment{} }
