package method

import (
	"github.com/darts-go/darts/derive"
	"github.com/darts-go/darts/supernet"
)

// Staging is the plan of a search in stages (P-DARTS): the run is a
// sequence of searches, each of a fresh network, whose recipes may depend
// on how the stages before ended; the run's genotype comes from the last
// one. The job package runs it (one run directory, resumable in any
// stage); this package only plans.
type Staging struct {
	// Count is the number of stages.
	Count int
	// Stage returns the recipe of stage i (from 0): its network (with the
	// input shape of the run's), search settings and options. prev is how
	// stage i−1 ended, nil for stage 0.
	Stage func(i int, prev *StageResult) (Recipe, error)
	// Final derives the run's genotype from how the last stage ended, with
	// a line saying what it did (for the log and the stages file).
	Final func(last StageResult) (g derive.Genotype, note string, err error)
}

// StageResult is how a stage ended: its network and the weights of its op
// tensors by cell type (what alphas.jsonl's last line of the stage holds,
// rundir.Alphas.CellWeights).
type StageResult struct {
	Network supernet.Config
	Weights map[string][][]float64
}
