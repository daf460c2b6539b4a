package job

import (
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
