package job

import (
	"github.com/darts-go/darts/datasets"
	"github.com/darts-go/darts/derive"
	"github.com/darts-go/darts/rundir"
)

// Epoch is what SearchOptions.OnEpoch and TrainOptions.OnEpoch get after a
// finished epoch: its metrics (as appended to metrics.jsonl), the genotype
// (a search's derived from the alphas after the epoch, a training's the one
// trained), and for a search the alphas (as appended to alphas.jsonl) and
// the figures just redrawn (none with NoPlots).
type Epoch struct {
	Metrics  rundir.Metrics
	Genotype derive.Genotype
	Alphas   *rundir.Alphas
	Plots    []string
}

// noteSkipped warns about the image files the folder dataset left out
// (datasets.Options.SkipBad), naming the first few.
func noteSkipped(rep Reporter, info datasets.Info) {
	if info.Skipped == 0 {
		return
	}
	rep.Note("warning: %d image file(s) could not be read or decoded and were left out (skip_bad):", info.Skipped)
	for _, f := range info.SkippedFiles {
		rep.Note("  %s", f)
	}
	if more := info.Skipped - len(info.SkippedFiles); more > 0 {
		rep.Note("  ... and %d more", more)
	}
}
