package job_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/darts-go/darts/bilevel"
	"github.com/darts-go/darts/datasets"
	"github.com/darts-go/darts/derive"
	"github.com/darts-go/darts/job"
	"github.com/darts-go/darts/retrain"
	"github.com/darts-go/darts/rundir"
	"github.com/darts-go/darts/supernet"
)

// sameJSON compares two values by their JSON, as the run files hold them.
func sameJSON(t *testing.T, a, b any) bool {
	t.Helper()
	ja, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	jb, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	return string(ja) == string(jb)
}

// TestOnEpoch: the hook gets, after each epoch, what the run files got:
// the metrics line, the alphas line and the genotype of a search and the
// figures just drawn; a training's metrics and its genotype.
func TestOnEpoch(t *testing.T) {
	dir := t.TempDir()
	data := datasets.Options{Name: "synthetic", Shape: [3]int{1, 8, 8}, Classes: 3, Limit: 64, TrainPortion: 0.5}
	settings := bilevel.DefaultSettings()
	settings.Epochs, settings.BatchSize = 2, 16
	conf := job.SearchConfig{Method: "darts", Data: data, Search: settings,
		Network: supernet.Config{C: 4, Layers: 3, Primitives: []string{"none", "skip_connect", "sep_conv_3x3"}}}
	var got []job.Epoch
	run := filepath.Join(dir, "search")
	if err := job.Search(context.Background(), conf, job.SearchOptions{Dir: run, OnEpoch: func(e job.Epoch) { got = append(got, e) }}); err != nil {
		t.Fatal(err)
	}
	ms, err := rundir.ReadMetrics(rundir.MetricsPath(run))
	if err != nil {
		t.Fatal(err)
	}
	as, err := rundir.ReadAlphas(rundir.AlphasPath(run))
	if err != nil {
		t.Fatal(err)
	}
	g, err := derive.ReadFile(rundir.GenotypeJSONPath(run))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || len(ms) != 2 || len(as) != 3 {
		t.Fatalf("%d calls, %d metrics lines, %d alphas lines", len(got), len(ms), len(as))
	}
	for i, e := range got {
		if !reflect.DeepEqual(e.Metrics, ms[i]) || e.Alphas == nil || !sameJSON(t, *e.Alphas, as[i+1]) {
			t.Errorf("epoch %d: the hook's metrics or alphas are not the files'", i+1)
		}
		if len(e.Plots) == 0 {
			t.Errorf("epoch %d: no figures", i+1)
		}
		for _, p := range e.Plots {
			if _, err := os.Stat(p); err != nil {
				t.Errorf("epoch %d: %v", i+1, err)
			}
		}
	}
	if !got[1].Genotype.Equal(g) {
		t.Errorf("last genotype %s, genotype.json %s", got[1].Genotype, g)
	}

	got = nil
	train := job.TrainConfig{Genotype: g, Data: data, Train: retrain.DefaultTrainSettings()}
	train.Train.Epochs, train.Train.BatchSize = 1, 16
	trained := filepath.Join(dir, "train")
	tr, err := job.BuildTraining(train, job.TrainOptions{Dir: trained, Layers: 3, Channels: 4, OnEpoch: func(e job.Epoch) { got = append(got, e) }})
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if ms, err = rundir.ReadMetrics(rundir.MetricsPath(trained)); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || !reflect.DeepEqual(got[0].Metrics, ms[0]) || !got[0].Genotype.Equal(g) || got[0].Alphas != nil {
		t.Errorf("training hook calls %+v, metrics %+v", got, ms)
	}
}
