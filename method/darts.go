package method

import (
	"fmt"

	"github.com/darts-go/darts/bilevel"
	"github.com/darts-go/darts/optim"
	"github.com/darts-go/darts/space"
	"github.com/darts-go/darts/supernet"
)

// DARTS is the name of DARTS (Liu, Simonyan, Yang, ICLR 2019).
const DARTS = "darts"

func init() {
	Register(Spec{
		Name:    DARTS,
		Summary: "softmax over the ops of each edge; first-order or unrolled second-order architecture gradient",
		Doc: `DARTS (Liu, Simonyan, Yang, ICLR 2019): every edge is the softmax-weighted sum of
its candidate ops; each step takes an architecture step (Adam on α, the
gradient of the search-val loss: at the current weights with --order 1, through
one virtual SGD step with --order 2) and a weight step (SGD, cosine learning
rate) on search-train. Derivation: the DARTS rule (each node keeps its two
strongest inputs by their strongest op other than 'none') on the DARTS space,
the argmax of each edge including 'none' on NAS-Bench-201.

DARTS space: quark0/darts cnn/train_search.py and architect.py (PyTorch 0.3.1
arithmetic and initialization; architecture step first). NAS-Bench-201:
AutoDL-Projects exps/NAS-Bench-201-algos/DARTS-V1.py (--order 1: weight step
first) and DARTS-V2.py (--order 2: architecture step first), configs/
nas-benchmark/algos/DARTS.config (SGD with Nesterov momentum, weight decay
5e-4, the weight clip counting α's gradient), PyTorch 1.x Adam and
initialization, search cells' BatchNorm tracking running statistics as the
benchmark's scripts run it (--track_running_stats 1).`,
		Spaces:    []string{space.DARTSName, space.NB201Name},
		Reference: dartsReference,
		Build: func(r Recipe) (bilevel.Method[float32], error) {
			return bilevel.Method[float32]{Name: DARTS}, nil
		},
	})
}

// dartsReference is DARTS's recipe on each space.
func dartsReference(q Query) (Recipe, error) {
	switch q.Space {
	case space.DARTSName:
		// train_search.py's argparse defaults.
		return Recipe{
			Source:  "quark0/darts cnn/train_search.py, architect.py (PyTorch 0.3.1)",
			Network: supernet.Config{Space: space.DARTSName, C: 16, Layers: 8, Init: "0.3.1"}.WithDefaults(),
			Search:  bilevel.DefaultSettings(),
		}, nil
	case space.NB201Name:
		src := "AutoDL-Projects exps/NAS-Bench-201-algos/DARTS-V1.py, configs/nas-benchmark/algos/DARTS.config"
		if q.Order == 2 {
			src = "AutoDL-Projects exps/NAS-Bench-201-algos/DARTS-V2.py, configs/nas-benchmark/algos/DARTS.config"
		}
		return Recipe{
			Source:  src,
			Network: supernet.Config{Space: space.NB201Name, C: 16, CellsPerStage: 5, Init: "1.x"}.WithDefaults(),
			Search:  NB201Settings(q.Order),
		}, nil
	}
	return Recipe{}, fmt.Errorf("darts: no recipe for space %q", q.Space)
}

// NB201Settings are the search settings of AutoDL-Projects' NAS-Bench-201
// scripts (DARTS.config and the scripts' arguments): 50 epochs of batch 64,
// SGD with Nesterov momentum 0.9 and weight decay 5e-4, cosine learning
// rate 0.025 → 0.001 per epoch, the weight gradient clipped to 5 with α's
// gradient in the norm, Adam (PyTorch 1.x) on α with learning rate 3e-4,
// betas (0.5, 0.999) and weight decay 1e-3. DARTS-V1 (order 1) takes the
// weight step first, DARTS-V2 (order 2) the architecture step.
func NB201Settings(order int) bilevel.Settings {
	s := bilevel.DefaultSettings()
	s.WeightDecay = 5e-4
	s.Nesterov = true
	s.ClipWithArch = true
	s.ArchAdam = optim.Adam1
	s.Order = order
	s.WeightFirst = order != 2
	return s
}
