package job_test

import (
	"bytes"
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/darts-go/darts/bilevel"
	"github.com/darts-go/darts/datasets"
	"github.com/darts-go/darts/internal/tensorio"
	"github.com/darts-go/darts/job"
	"github.com/darts-go/darts/method"
	"github.com/darts-go/darts/rundir"
	"github.com/darts-go/darts/supernet"
)

// cancelAt is a Reporter that cancels the run after step step of the
// epoch labelled label.
type cancelAt struct {
	job.Nop
	label  string
	step   int
	cancel context.CancelFunc
	cur    string
}

func (c *cancelAt) Begin(label string, _ int) { c.cur = label }
func (c *cancelAt) Update(done int, _ string) {
	if c.cur == c.label && done == c.step {
		c.cancel()
	}
}

// methodConf is a 3-epoch search of a small supernet (3 steps an epoch)
// with method name and options.
func methodConf(name string, opts method.Options, warmup int) job.SearchConfig {
	st := bilevel.DefaultSettings()
	st.Epochs, st.BatchSize, st.Seed, st.Warmup = 3, 16, 5, warmup
	st.ArchLR = 3e-2 // so that α and β move visibly
	return job.SearchConfig{Method: name, MethodOptions: opts, Search: st,
		Data:    datasets.Options{Name: "synthetic", Shape: [3]int{1, 8, 8}, Classes: 3, Limit: 96, TrainPortion: 0.5, Seed: 5},
		Network: supernet.Config{C: 4, Layers: 3, Primitives: []string{"none", "max_pool_3x3", "skip_connect", "sep_conv_3x3"}}}
}

// readCheckpoint returns the tensors of a run's checkpoint by name.
func readCheckpoint(t *testing.T, dir string) map[string]tensorio.Tensor {
	t.Helper()
	_, ts, err := tensorio.ReadFile(filepath.Join(dir, bilevel.CheckpointFile))
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]tensorio.Tensor{}
	for _, x := range ts {
		m[x.Name] = x
	}
	return m
}

// TestMethodsResumeExactly runs PC-DARTS (K = 2, one warm-up epoch) and
// DARTS- (β decaying linearly over the 3 epochs) through job.Search twice:
// once straight through, once cancelled in the middle of epoch 2 and
// resumed from its checkpoint. The two must end with byte-identical
// alphas.jsonl (α and β of every epoch) and genotypes and bit-identical
// checkpoints (weights, α, β, BatchNorm statistics, both optimizers).
// PC-DARTS's α and β must stay put through the warm-up and move after it;
// its β, DARTS-'s auxiliary skip and the method options must be in the
// files.
func TestMethodsResumeExactly(t *testing.T) {
	for _, tc := range []struct {
		conf job.SearchConfig
		want []string // tensors the checkpoint must have
	}{
		{methodConf(method.PCDARTS, method.Options{"k": 2}, 1), []string{"alpha/betas_normal", "alpha/betas_reduce", "adam/exp_avg/betas_reduce"}},
		{methodConf(method.DARTSMinus, nil, 0), []string{"weight/cells.1.edge0.aux.conv1", "bn/cells.2.edge1.aux.bn.running_mean"}},
	} {
		t.Run(tc.conf.Method, func(t *testing.T) {
			straight, cut := t.TempDir(), t.TempDir()
			if err := job.Search(context.Background(), tc.conf, job.SearchOptions{Dir: straight, NoPlots: true}); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			rep := &cancelAt{label: "epoch 2/3", step: 2, cancel: cancel}
			err := job.Search(ctx, tc.conf, job.SearchOptions{Dir: cut, NoPlots: true, Report: rep})
			var ie *job.InterruptedError
			if !errors.As(err, &ie) || ie.Epoch != 2 || ie.Step != 2 {
				t.Fatalf("cancelled run: %v, want an interruption at epoch 2 step 2", err)
			}
			if err := job.Search(context.Background(), job.SearchConfig{}, job.SearchOptions{Dir: cut, Resume: true, NoPlots: true}); err != nil {
				t.Fatal(err)
			}
			for _, f := range []string{rundir.AlphasFile, rundir.GenotypeJSONFile} {
				a, _ := os.ReadFile(filepath.Join(straight, f))
				b, _ := os.ReadFile(filepath.Join(cut, f))
				if len(a) == 0 || !bytes.Equal(a, b) {
					t.Errorf("%s differs between the straight and the resumed run (%d and %d bytes)", f, len(a), len(b))
				}
			}
			a, b := readCheckpoint(t, straight), readCheckpoint(t, cut)
			if len(a) != len(b) {
				t.Errorf("checkpoints of %d and %d tensors", len(a), len(b))
			}
			for name, x := range a {
				y := b[name]
				same := len(x.F32) == len(y.F32) && len(x.F64) == len(y.F64)
				for i := 0; same && i < len(x.F32); i++ {
					same = math.Float32bits(x.F32[i]) == math.Float32bits(y.F32[i])
				}
				for i := 0; same && i < len(x.F64); i++ {
					same = math.Float64bits(x.F64[i]) == math.Float64bits(y.F64[i])
				}
				if !same {
					t.Errorf("checkpoint tensor %s differs after resuming", name)
				}
			}
			for _, n := range tc.want {
				if _, ok := a[n]; !ok {
					t.Errorf("checkpoint has no %s", n)
				}
			}
			conf, err := job.ReadSearchConfig(cut)
			if err != nil {
				t.Fatal(err)
			}
			alphas, err := rundir.ReadAlphas(rundir.AlphasPath(cut))
			if err != nil || len(alphas) != 4 {
				t.Fatalf("%d alphas lines, %v", len(alphas), err)
			}
			switch tc.conf.Method {
			case method.PCDARTS:
				if conf.Network.PartialChannels != 2 || !conf.Network.EdgeNormalization || conf.MethodOptions["k"] != 2 {
					t.Errorf("config.json: network %+v, options %v", conf.Network, conf.MethodOptions)
				}
				for _, name := range []string{"normal", "reduce", "beta_normal", "beta_reduce"} {
					v := func(e int) [][]float64 {
						x, ok := alphas[e].Tensor(name)
						if !ok {
							t.Fatalf("epoch %d: no tensor %s", e, name)
						}
						return x.Alpha
					}
					if !reflect.DeepEqual(v(0), v(1)) {
						t.Errorf("%s moved during the warm-up epoch", name)
					}
					if reflect.DeepEqual(v(1), v(2)) {
						t.Errorf("%s did not move after the warm-up", name)
					}
				}
			case method.DARTSMinus:
				if a := conf.Network.AuxSkip; a == nil || a.Decay != supernet.DecayLinear || a.Beta != 1 || conf.MethodOptions["decay"] != 1 {
					t.Errorf("config.json: auxiliary skip %+v, options %v", conf.Network.AuxSkip, conf.MethodOptions)
				}
			}
		})
	}
}
