package method

import (
	"fmt"

	"github.com/darts-go/darts/bilevel"
	"github.com/darts-go/darts/derive"
	"github.com/darts-go/darts/optim"
	"github.com/darts-go/darts/relax"
	"github.com/darts-go/darts/space"
	"github.com/darts-go/darts/supernet"
)

// SNAS is the name of SNAS (Xie, Zheng, Liu, Lin, ICLR 2019).
const SNAS = "snas"

func init() {
	Register(Spec{
		Name:    SNAS,
		Summary: "soft Gumbel-softmax sample over log α in every forward pass; single-level (weights and α on the same batch)",
		Doc: `SNAS ("SNAS: Stochastic Neural Architecture Search", Xie, Zheng, Liu, Lin, ICLR
2019): the architecture tensors hold log α (initialized N(1, 0.01²)), and every
forward pass mixes an edge's ops with the soft sample Z = softmax((log α + g)/τ),
g Gumbel noise, one sample per tensor shared by all cells of its type. τ falls
linearly once per epoch, τ_e = tau_max − (tau_max − tau_min)·(e+1)/tau_epochs,
never below tau_min (1 → 0.03 over 150 epochs, a count the code fixes whatever
the run's length; a budget scales it with the epochs). The search is
single-level: one forward and backward pass of the training loss on each
search-train batch updates both the weights (SGD, cosine learning rate, clip 5
on the weights) and log α (plain SGD, learning rate 3e-4, its gradient clipped
to 10 — the single-GPU code's optimizer). Derivation keeps every edge with its
argmax op, 'none' included (genotype_edge_all); the discrete network drops the
'none' edges.

DARTS space: SNAS-Series @9a43adb SNAS/train_search.py (the README's
single-GPU command: 8 cells, C 16, batch 64, 150 epochs), model_search.py
(_get_categ_mask, genotype_edge_all), utils.py (Temp_Scheduler); PyTorch 0.4,
whose default initialization is 0.3.1's. Not followed: the resource penalty
(--resource_efficient, λ 1.5e-3, from per-op parameter, FLOP and memory-access
counts), drop-path during the search (--drop_path_prob 0.3), and the whole
training set: the code trains on all 50,000 images and only monitors the test
set, darts-go trains on search-train and evaluates search-val. The
multi-GPU path's Adam (3e-4, betas (0.5, 0.999), weight decay 1e-3) is
--arch-optimizer adam with those values.

NAS-Bench-201: SNAS has no reference there; the recipe is the SNAS baseline
of DrNAS's NAS-Bench-201 table (xiangning-chen/DrNAS @f2caa4d
201-space/train_search.py --method snas): F.gumbel_softmax(α, τ, hard=False)
on logits α initialized 1e-3·N(0, 1) — the same function — with τ falling from
10 by 9/100 per epoch (τ_e = 10 − 9e/E, so never reaching tau_min = 1),
bilevel and first order with the architecture step first (Adam 3e-4, betas
(0.5, 0.999), weight decay 1e-3), SGD 0.025 → 0.001, weight decay 3e-4,
batch 64, 100 epochs, derivation the argmax of each edge. That code clips
over network.parameters(), α's zeroed gradient included; here the clip
bounds the weights alone (the same unless the weight step's dL/dα is large).`,
		Spaces: []string{space.DARTSName, space.NB201Name},
		Options: []Option{
			{Name: "tau_max", Usage: "Gumbel-softmax temperature at the start", Kind: Float},
			{Name: "tau_min", Usage: "lowest temperature", Kind: Float},
			{Name: "tau_epochs", Usage: "epochs over which τ falls to tau_min (0: the run's epochs)", Kind: Int, Epochs: true},
		},
		Reference: snasReference,
		Build:     buildSNAS,
	})
}

// snasReference is SNAS's recipe on each space.
func snasReference(q Query) (Recipe, error) {
	switch q.Space {
	case space.DARTSName:
		if q.Order == 2 {
			return Recipe{}, fmt.Errorf("snas: the DARTS-space search is single-level: there is no second order")
		}
		s := bilevel.DefaultSettings()
		s.Epochs = 150
		s.SingleLevel = true
		s.ArchOptimizer = "sgd"
		s.ArchWeightDecay = 0
		s.ArchGradClip = 10
		return Recipe{
			Source: "SNAS-Series SNAS/train_search.py (single-GPU README command), SNAS/model_search.py, SNAS/utils.py (PyTorch 0.4)",
			Network: supernet.Config{Space: space.DARTSName, C: 16, Layers: 8, Init: "0.3.1",
				ArchInit: &supernet.ArchInit{Mean: 1, Std: 0.01}}.WithDefaults(),
			Search:  s,
			Options: Options{"tau_max": 1, "tau_min": 0.03, "tau_epochs": 150},
		}, nil
	case space.NB201Name:
		s := bilevel.DefaultSettings()
		s.Epochs = 100
		s.ArchAdam = optim.Adam1
		return Recipe{
			Source:  "xiangning-chen/DrNAS 201-space/train_search.py --method snas, 201-space/search_model.py",
			Network: supernet.Config{Space: space.NB201Name, C: 16, CellsPerStage: 5, Init: "1.x"}.WithDefaults(),
			Search:  s,
			Options: Options{"tau_max": 10, "tau_min": 1, "tau_epochs": 0},
		}, nil
	}
	return Recipe{}, fmt.Errorf("snas: no recipe for space %q", q.Space)
}

// buildSNAS makes SNAS from a resolved recipe.
func buildSNAS(r Recipe) (bilevel.Method[float32], error) {
	darts := r.Space != space.NB201Name
	def := Options{"tau_max": 1, "tau_min": 0.03, "tau_epochs": 150}
	if !darts {
		def = Options{"tau_max": 10, "tau_min": 1, "tau_epochs": 0}
	}
	tau, err := taus(r, def["tau_max"], def["tau_min"])
	if err != nil {
		return bilevel.Method[float32]{}, err
	}
	span := def["tau_epochs"]
	if v, ok := r.Options["tau_epochs"]; ok {
		span = v
	}
	if span < 0 {
		return bilevel.Method[float32]{}, fmt.Errorf("tau_epochs %g: need 0 (the run's epochs) or more", span)
	}
	tau.Span = int(span)
	if darts {
		tau.Offset = 1 // Temp_Scheduler steps before the first epoch
	}
	return bilevel.Method[float32]{Name: SNAS, Relax: relax.SNAS[float32]{Tau: tau}, Rule: derive.ArgmaxRule}, nil
}
