package method_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/darts-go/darts/datasets"
	"github.com/darts-go/darts/derive"
	"github.com/darts-go/darts/job"
	"github.com/darts-go/darts/method"
	"github.com/darts-go/darts/retrain"
	"github.com/darts-go/darts/rundir"
	"github.com/darts-go/darts/space"
	"github.com/darts-go/darts/supernet"
)

// tinyBudget shrinks a recipe on sp to a search of seconds: 2 epochs of 4
// steps of 16 synthetic 1×8×8 images, 3 cells (NAS-Bench-201: 1 per stage)
// of 4 channels.
func tinyBudget(sp string) method.Budget {
	if sp == space.NB201Name {
		return method.Budget{Name: "test", Epochs: 2, BatchSize: 16, Limit: 128, C: 4, CellsPerStage: 1}
	}
	return method.Budget{Name: "test", Epochs: 2, BatchSize: 16, Limit: 128, Layers: 3, C: 4}
}

// tinyConfig is the search config of method name's recipe on sp at
// tinyBudget, with its options overridden by opts.
func tinyConfig(t *testing.T, name, sp string, opts method.Options) job.SearchConfig {
	t.Helper()
	spec, err := method.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := spec.Recipe(method.Query{Space: sp}, method.Reference)
	if err != nil {
		t.Fatal(err)
	}
	r := spec.WithBudget(ref, tinyBudget(sp))
	for k, v := range opts {
		r.Options[k] = v
	}
	r.Search.Seed = 3
	return job.SearchConfig{Method: name, MethodOptions: r.Options, Budget: r.Budget, Network: r.Network, Search: r.Search,
		Data: datasets.Options{Name: "synthetic", Shape: [3]int{1, 8, 8}, Classes: 3, Limit: r.Limit, TrainPortion: 0.5, Seed: 4}}
}

// stopper cancels a search after a given step of a given epoch (both from
// 1) and records the notes the job reports.
type stopper struct {
	epoch, step, atEpoch, atStep int
	cancel                       context.CancelFunc
	notes                        *bytes.Buffer
}

func (s *stopper) Note(format string, args ...any) { fmt.Fprintf(s.notes, format+"\n", args...) }
func (s *stopper) Begin(string, int)               { s.epoch++ }
func (s *stopper) End(string)                      {}
func (s *stopper) Update(done int, _ string) {
	if s.epoch == s.atEpoch && done == s.atStep && s.cancel != nil {
		s.cancel()
	}
}

// TestResumeThroughJob runs each method's search uninterrupted and, in
// another directory, cancelled mid-epoch and resumed, through job.Search,
// and requires byte-identical alphas.jsonl, genotype files and the same
// metrics but for their timings. The uninterrupted run draws its plots,
// which must not warn but about the cell diagrams of a FairDARTS cell in
// which no op reached the threshold.
func TestResumeThroughJob(t *testing.T) {
	for _, c := range []struct {
		name, space string
		opts        method.Options
	}{
		{method.FairDARTS, space.DARTSName, nil},
		{method.FairDARTS, space.DARTSName, method.Options{"op_threshold": 0.5}},
		{method.BetaDARTS, space.NB201Name, nil},
		{method.BetaDARTS, space.DARTSName, nil},
		{method.SDARTSRS, space.DARTSName, nil},
		{method.SDARTSRS, space.NB201Name, nil},
		{method.SDARTSADV, space.DARTSName, nil},
		{method.SDARTSADV, space.NB201Name, nil},
	} {
		t.Run(fmt.Sprintf("%s/%s/%v", c.name, c.space, c.opts), func(t *testing.T) {
			conf := tinyConfig(t, c.name, c.space, c.opts)
			dir := t.TempDir()
			a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
			notes := &bytes.Buffer{}
			if err := job.Search(context.Background(), conf, job.SearchOptions{Dir: a, Report: &stopper{notes: notes}}); err != nil {
				t.Fatal(err)
			}
			for _, line := range strings.Split(notes.String(), "\n") {
				// A cell in which no op reached the threshold has no diagram.
				if strings.Contains(line, "warning") && !strings.Contains(line, "so the cell computes nothing: skipped the cell diagrams") {
					t.Errorf("uninterrupted run: %s", line)
				}
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			err := job.Search(ctx, conf, job.SearchOptions{Dir: b, NoPlots: true, Report: &stopper{atEpoch: 2, atStep: 2, cancel: cancel, notes: &bytes.Buffer{}}})
			var ie *job.InterruptedError
			if !errors.As(err, &ie) || ie.Epoch != 2 || ie.Step != 2 {
				t.Fatalf("cancelled run: %v, want interrupted at epoch 2 step 2", err)
			}
			if err := job.Search(context.Background(), conf, job.SearchOptions{Dir: b, Resume: true, NoPlots: true}); err != nil {
				t.Fatal(err)
			}
			for _, f := range []func(string) string{rundir.AlphasPath, rundir.GenotypeJSONPath, rundir.GenotypeTextPath} {
				x, err1 := os.ReadFile(f(a))
				y, err2 := os.ReadFile(f(b))
				if err1 != nil || err2 != nil || !bytes.Equal(x, y) {
					t.Errorf("%s differs between the uninterrupted and the resumed run (%v, %v)", filepath.Base(f(a)), err1, err2)
				}
			}
			ma, err1 := rundir.ReadMetrics(rundir.MetricsPath(a))
			mb, err2 := rundir.ReadMetrics(rundir.MetricsPath(b))
			if err1 != nil || err2 != nil || len(ma) != 2 || len(mb) != 2 {
				t.Fatalf("metrics: %v, %v, %d and %d epochs", err1, err2, len(ma), len(mb))
			}
			for i := range ma {
				ma[i].Seconds, mb[i].Seconds = 0, 0
				if fmt.Sprint(ma[i]) != fmt.Sprint(mb[i]) {
					t.Errorf("epoch %d metrics: %v uninterrupted, %v resumed", i+1, ma[i], mb[i])
				}
			}
			conf2, err := job.ReadSearchConfig(a)
			if err != nil || conf2.Method != c.name || conf2.Record.Relaxation == "" {
				t.Errorf("config.json: method %q, parts %+v, %v", conf2.Method, conf2.Record, err)
			}
		})
	}
}

// TestFairDARTSSearchAndRetrain: a FairDARTS search through job.Search
// records σ(α) as its weights, starts from α = 0 (σ = ½), derives with the
// threshold rule, and the genotype it writes (read back from
// genotype.json) is the rule's on the last alphas; a genotype of the same
// alphas whose nodes keep 0, 1 or 2 inputs is retrained by
// job.BuildTraining (what darts train does) with the parameters its
// structure gives.
func TestFairDARTSSearchAndRetrain(t *testing.T) {
	conf := tinyConfig(t, method.FairDARTS, space.DARTSName, method.Options{"op_threshold": 0.5})
	dir := t.TempDir()
	runs := filepath.Join(dir, "search")
	if err := job.Search(context.Background(), conf, job.SearchOptions{Dir: runs, NoPlots: true}); err != nil {
		t.Fatal(err)
	}
	as, err := rundir.ReadAlphas(rundir.AlphasPath(runs))
	if err != nil {
		t.Fatal(err)
	}
	if as[0].Rule != "threshold-0.5" {
		t.Errorf("rule %q, want threshold-0.5", as[0].Rule)
	}
	for _, tn := range as[0].Tensors {
		for _, row := range tn.Weights {
			for _, w := range row {
				if w != 0.5 {
					t.Fatalf("epoch 0 weight %g, want σ(0) = ½", w)
				}
			}
		}
	}
	g, err := derive.ReadFile(rundir.GenotypeJSONPath(runs))
	if err != nil {
		t.Fatal(err)
	}
	last := as[len(as)-1]
	want, err := derive.Derive(last.Space, derive.Threshold{T: 0.5}, last.CellWeights())
	if err != nil || !want.Equal(g) {
		t.Fatalf("genotype.json %v, the threshold rule on the last alphas gives %v (%v)", g, want, err)
	}
	// A threshold at the median of each cell's edge strengths keeps at most
	// 7 of the 8 top-2 edges of the nodes, and at least one in each cell:
	// a genotype whose nodes keep 0, 1 or 2 inputs, to retrain.
	var ts []float64
	for _, c := range last.Space.Cells {
		var strength []float64
		for _, row := range last.CellWeights()[c.Name] {
			strength = append(strength, slices.Max(row))
		}
		slices.Sort(strength)
		ts = append(ts, strength[len(strength)/2])
	}
	g, err = derive.Derive(last.Space, derive.Threshold{T: slices.Min(ts)}, last.CellWeights())
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Validate(nil); err != nil {
		t.Fatal(err)
	}
	short := false
	for _, c := range g.Cells {
		for _, n := range c.Nodes {
			short = short || len(n) < 2
		}
	}
	if !short {
		t.Fatalf("every node kept two inputs at threshold %g: %v", slices.Min(ts), g)
	}
	t.Logf("retraining %v", g)
	train := job.TrainConfig{Genotype: g, Data: conf.Data, Train: retrain.DefaultTrainSettings()}
	train.Train.Epochs, train.Train.BatchSize = 1, 16
	tr, err := job.BuildTraining(train, job.TrainOptions{Dir: filepath.Join(dir, "train"), Layers: 3, Channels: 4})
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	n, err := supernet.NewDiscrete[float32](tr.Conf.Network, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := tr.Conf.Params, countCells(g, 1, 4, 3, 3); got != want || n.NumParams() != want {
		t.Errorf("retrained network: %d parameters (config %d), the genotype's structure gives %d", n.NumParams(), got, want)
	}
	ms, err := rundir.ReadMetrics(rundir.MetricsPath(filepath.Join(dir, "train")))
	if err != nil || len(ms) != 1 || ms[0].TestAcc == nil {
		t.Fatalf("training metrics %v, %v", ms, err)
	}
}

// countCells counts a DARTS-space discrete network's parameters from its
// structure: stem, per cell its preprocessing and one op per pair whose
// node survives and whose input does, the output of its surviving nodes,
// the classifier (affine BatchNorm: 2 per channel).
func countCells(g derive.Genotype, inC, c, layers, classes int) int {
	bn := func(c int) int { return 2 * c }
	op := func(name string, c, stride int) int {
		switch {
		case strings.HasPrefix(name, "sep_conv_"):
			k := int(name[9] - '0')
			return 2 * (c*k*k + c*c + bn(c))
		case strings.HasPrefix(name, "dil_conv_"):
			k := int(name[9] - '0')
			return c*k*k + c*c + bn(c)
		case name == "skip_connect" && stride == 2:
			return c*c + bn(c)
		}
		return 0
	}
	stem := 3 * c
	total := inC*stem*9 + bn(stem)
	cpp, cp, cur := stem, stem, c
	redPrev := false
	for i := 0; i < layers; i++ {
		red := i == layers/3 || i == 2*layers/3
		cell := g.Cells[0]
		if red {
			cell, cur = g.Cells[1], cur*2
		}
		if redPrev {
			total += 2*cpp*(cur/2) + bn(cur) // FactorizedReduce
		} else {
			total += cpp*cur + bn(cur) // 1×1 ReLUConvBN
		}
		total += cp*cur + bn(cur)
		alive := make([]bool, cell.Inputs+len(cell.Nodes))
		alive[0], alive[1] = true, true
		nodes := 0
		for k, node := range cell.Nodes {
			for _, p := range node {
				alive[2+k] = alive[2+k] || alive[p.Input]
			}
			if !alive[2+k] {
				continue
			}
			nodes++
			for _, p := range node {
				if alive[p.Input] {
					stride := 1
					if red && p.Input < 2 {
						stride = 2
					}
					total += op(p.Op, cur, stride)
				}
			}
		}
		redPrev = red
		cpp, cp = cp, nodes*cur
	}
	return total + cp*classes + classes
}
