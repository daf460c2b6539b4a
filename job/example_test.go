package job_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"

	"github.com/darts-go/darts/bilevel"
	"github.com/darts-go/darts/datasets"
	"github.com/darts-go/darts/derive"
	"github.com/darts-go/darts/job"
	"github.com/darts-go/darts/mixedop"
	"github.com/darts-go/darts/plots"
	"github.com/darts-go/darts/retrain"
	"github.com/darts-go/darts/rundir"
	"github.com/darts-go/darts/supernet"
)

// newAvgPool5 is a candidate operation defined in user code: 5×5 average
// pooling (padding 2, so stride 1 keeps the size and stride 2 halves it),
// built from mixedop's exported modules.
func newAvgPool5[T mixedop.Float](_ *mixedop.Ctx, _ string, a mixedop.Args) (mixedop.Module[T], error) {
	return mixedop.NewAvgPool[T](5, a.Stride, 2), nil
}

func init() {
	if err := mixedop.Register(mixedop.Spec{Name: "avg_pool_5x5", New32: newAvgPool5[float32], New64: newAvgPool5[float64]}); err != nil {
		log.Fatal(err)
	}
}

// Example runs what darts search, derive, train and eval do, from Go: a
// one-epoch search over ops that include one defined here, its genotype
// with that op placed in it, the genotype retrained for one epoch, the
// finished training reopened and evaluated as darts eval does, and the
// figures of both runs.
func Example() {
	dir, err := os.MkdirTemp("", "darts-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	data := datasets.Options{Name: "synthetic", Shape: [3]int{1, 8, 8}, Classes: 3, Limit: 96, TrainPortion: 0.5}
	settings := bilevel.DefaultSettings()
	settings.Epochs, settings.BatchSize = 1, 16
	search := job.SearchConfig{Method: "darts", Data: data, Search: settings,
		Network: supernet.Config{C: 4, Layers: 3, Primitives: []string{"none", "skip_connect", "avg_pool_5x5", "sep_conv_3x3"}}}
	runs := filepath.Join(dir, "search")
	if err := job.Search(context.Background(), search, job.SearchOptions{Dir: runs}); err != nil {
		log.Fatal(err)
	}
	g, err := derive.ReadFile(rundir.GenotypeJSONPath(runs))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("searched:", len(g.Cells), "cells of", len(g.Cells[0].Nodes), "nodes")

	// The custom op in a genotype: written, parsed back, retrained.
	g.Cells[0].Nodes[0][0].Op = "avg_pool_5x5"
	back, err := derive.Parse(strings.NewReader(g.String()))
	fmt.Println("the genotype with avg_pool_5x5 reads back:", err == nil && back.Equal(g))

	train := job.TrainConfig{Genotype: g, Data: data, Train: retrain.DefaultTrainSettings()}
	train.Train.Epochs, train.Train.BatchSize = 1, 16
	trained := filepath.Join(dir, "train")
	t, err := job.BuildTraining(train, job.TrainOptions{Dir: trained, Layers: 3, Channels: 4})
	if err != nil {
		log.Fatal(err)
	}
	if err := t.Run(context.Background()); err != nil {
		log.Fatal(err)
	}
	ms, err := rundir.ReadMetrics(rundir.MetricsPath(trained))
	if err != nil {
		log.Fatal(err)
	}

	// Reopen the finished run, as darts eval --run does.
	opened, err := job.OpenTraining(trained, "")
	if err != nil {
		log.Fatal(err)
	}
	test, err := datasets.Load(opened.Conf.Data)
	if err != nil {
		log.Fatal(err)
	}
	_, acc, err := retrain.Evaluate(opened.Net, test.Test, 16)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("reopened weights give the run's test accuracy:", acc == *ms[0].TestAcc)

	var figures []string
	for _, run := range []string{runs, trained} {
		written, _, err := plots.All(run, "", "png")
		if err != nil {
			log.Fatal(err)
		}
		for _, f := range written {
			figures = append(figures, filepath.Base(f))
		}
	}
	fmt.Println("figures:", strings.Join(figures, " "))
	// Output:
	// searched: 2 cells of 4 nodes
	// the genotype with avg_pool_5x5 reads back: true
	// reopened weights give the run's test accuracy: true
	// figures: alphas_normal.png alphas_reduce.png weights_normal.png weights_reduce.png skip_count.png curves.png cell_normal.png cell_reduce.png curves.png cell_normal.png cell_reduce.png
}
