package method

import (
	"fmt"
	"math"

	"github.com/darts-go/darts/space"
)

// The budgets: Reference keeps the reference code's epochs, batch, network
// size and data; Quick is a search of a few minutes on a 2-core
// workstation.
const (
	Reference = "reference"
	Quick     = "quick"
)

// Budgets lists the budget names.
func Budgets() []string { return []string{Quick, Reference} }

// Budget is how much a search may spend: what a recipe's epochs, batch,
// network size and data become. Zero fields keep the recipe's value.
type Budget struct {
	Name      string
	Epochs    int
	BatchSize int
	Limit     int // training examples read (search-train + search-val)
	// Network size: DARTS space cells and initial channels, or
	// NAS-Bench-201's initial channels and cells per stage.
	Layers, C, CellsPerStage int
}

// LookupBudget returns the budget called name on space sp.
func LookupBudget(name, sp string) (Budget, error) {
	switch name {
	case Reference, "":
		return Budget{Name: Reference}, nil
	case Quick:
		if sp == space.NB201Name {
			return quickNB201, nil
		}
		return quickDARTS, nil
	}
	return Budget{}, fmt.Errorf("budget %q: unknown (known: %s, %s)", name, Quick, Reference)
}

// quickDARTS is `darts search`'s default since darts-go 0.1: 6 epochs of
// batch 32 on 4000 training images (2000 search-train, 2000 search-val),
// 5 cells of 8 initial channels: about five minutes on 2 cores.
var quickDARTS = Budget{Name: Quick, Epochs: 6, BatchSize: 32, Limit: 4000, Layers: 5, C: 8}

// quickNB201 searches a narrower, shallower supernet than the benchmark's
// (C = 8 and 2 cells per stage instead of 16 and 5: a tenth of the work per
// step) with the scripts' batch of 64, on 4000 training images for 10
// epochs. The cell it finds is a NAS-Bench-201 cell like any other: the
// benchmark's network (C = 16, N = 5) is what `darts train` builds of it.
var quickNB201 = Budget{Name: Quick, Epochs: 10, BatchSize: 64, Limit: 4000, C: 8, CellsPerStage: 2}

// WithBudget returns r scaled to budget b: epochs, batch, data and network
// size as b says, and every setting counted in epochs (the warm-up, and
// options marked Epochs) scaled by b's epochs over the reference's,
// rounded to the nearest integer (PC-DARTS's 15 warm-up epochs of 50
// become 2 of 6). The hyperparameters (learning rates, decays, schedules'
// end points) stay the reference's.
func (s Spec) WithBudget(r Recipe, b Budget) Recipe {
	r.Budget = b.Name
	r.Options = r.Options.Clone()
	if b.Epochs > 0 && b.Epochs != r.Search.Epochs {
		scale := func(x float64) float64 {
			return math.Round(x * float64(b.Epochs) / float64(r.Search.Epochs))
		}
		r.Search.Warmup = int(scale(float64(r.Search.Warmup)))
		for _, o := range s.Options {
			if v, ok := r.Options[o.Name]; ok && o.Epochs {
				r.Options[o.Name] = scale(v)
			}
		}
		r.Search.Epochs = b.Epochs
	}
	if b.BatchSize > 0 {
		r.Search.BatchSize = b.BatchSize
	}
	if b.Limit > 0 {
		r.Limit = b.Limit
	}
	if b.Layers > 0 {
		r.Network.Layers = b.Layers
	}
	if b.C > 0 {
		r.Network.C = b.C
	}
	if b.CellsPerStage > 0 {
		r.Network.CellsPerStage = b.CellsPerStage
	}
	return r
}
