package retrain

import (
	"fmt"

	"github.com/darts-go/darts/space"
)

// Recipe is how a space's reference code retrains a cell: the settings
// and the network's size (Layers for the DARTS space, CellsPerStage for
// NAS-Bench-201).
type Recipe struct {
	Source                   string
	Settings                 TrainSettings
	C, Layers, CellsPerStage int
}

// The budgets of a retraining: Reference is the reference code's, Quick
// one of minutes to an hour on a 2-core workstation.
const (
	Reference = "reference"
	Quick     = "quick"
)

// RecipeFor returns the retraining recipe of space sp at the budget named
// budget. Reference: quark0/darts cnn/train.py's defaults for the DARTS
// space (20 cells of 36 channels, 600 epochs of batch 96, SGD 0.025 → 0,
// momentum 0.9, weight decay 3e-4, clip 5, drop path 0.2), NAS-Bench-201's
// hyper-opts/200E.config for its space (C 16, N 5, 200 epochs of batch
// 256, SGD with Nesterov momentum 0.9, 0.1 → 0, weight decay 5e-4, no
// clipping, no drop path). Quick: 10 epochs of batch 64, and for the DARTS
// space 8 cells of 16 channels; NAS-Bench-201 keeps the benchmark's
// network (C 16, N 5).
func RecipeFor(sp, budget string) (Recipe, error) {
	var r Recipe
	switch sp {
	case space.DARTSName, "":
		r = Recipe{Source: "quark0/darts cnn/train.py", Settings: DefaultTrainSettings(), C: 36, Layers: 20}
	case space.NB201Name:
		r = Recipe{Source: "NAS-Bench-201 (AutoDL-Projects configs/nas-benchmark/hyper-opts/200E.config)", C: 16, CellsPerStage: 5,
			Settings: TrainSettings{Epochs: 200, BatchSize: 256, LR: 0.1, Momentum: 0.9, Nesterov: true, WeightDecay: 5e-4}}
	default:
		return Recipe{}, fmt.Errorf("space %q: unknown (known: %s, %s)", sp, space.DARTSName, space.NB201Name)
	}
	switch budget {
	case Reference, "":
	case Quick:
		r.Settings.Epochs, r.Settings.BatchSize = 10, 64
		if r.Layers > 0 {
			r.C, r.Layers = 16, 8
		}
	default:
		return Recipe{}, fmt.Errorf("budget %q: unknown (known: %s, %s)", budget, Quick, Reference)
	}
	return r, nil
}
