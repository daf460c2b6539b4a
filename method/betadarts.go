package method

import (
	"fmt"

	"github.com/darts-go/darts/bilevel"
	"github.com/darts-go/darts/optim"
	"github.com/darts-go/darts/relax"
	"github.com/darts-go/darts/space"
	"github.com/darts-go/darts/supernet"
)

// BetaDARTS is the name of β-DARTS (Ye et al., CVPR 2022).
const BetaDARTS = "beta-darts"

func init() {
	Register(Spec{
		Name:    BetaDARTS,
		Summary: "DARTS with the Beta-Decay regularizer λ_e·mean logsumexp(α) on the architecture objective",
		Doc: `β-DARTS (Ye, Li, Han, Wan, Zhang, Chen, Yu, Li, Lin, CVPR 2022; Sunshine-Ye/Beta-DARTS
@ f307704, optimizers/darts/architect.py mlc_loss and _backward_step,
nasbench201/train_search.py). What it changes against first-order DARTS: the
architecture step minimizes L_val + λ_e·R(α), R = the mean over edges of
logsumexp over the edge's ops of α (its gradient, softmax(α)/#edges, pulls
every logit down in proportion to its weight: "beta decay"), with
λ_e = beta_weight·e/beta_ramp_epochs at 0-based epoch e: 50·e/100 in the
reference, whose 100 is hard-coded (not --epochs). A budget with fewer epochs
scales beta_ramp_epochs with them, so λ keeps its ramp over the run.

NAS-Bench-201 (the reference's own recipe): 100 epochs of batch 64, SGD 0.025
cosine to 0.001, momentum 0.9 (no Nesterov), weight decay 3e-4, clip 5; Adam
3e-4, betas (0.5, 0.999), weight decay 1e-3 on α; architecture step first;
search cells' BatchNorm tracking running statistics; argmax derivation.

DARTS space: the repository's sota/cnn/train_search.py does not run (it calls
architect.step without the epoch, and mlc_loss on a list; issue #1). This
recipe is its settings (50 epochs, batch 64, the 7 ops without 'none' of its
space s5, as SDARTS) with R the mean over all 28 rows of α_normal and α_reduce
(a choice: the paper's mean over edges), and without the random smoothing its
--perturb_alpha default would also switch on.

Differences: the reference's clip_grad_norm_ over model.parameters() also
counts the weight step's gradient with respect to the mixing weights (α is an
nn.Parameter there); the clip here counts the weights only. It ran PyTorch
≥ 1.1, whose scheduler trains epoch e at the cosine rate of e+1; here epoch e
trains at the rate of e. With --order 2 the reference's unrolled step
(_backward_step_unrolled) adds no regularizer; here it is added to either
order's gradient.`,
		Spaces: []string{space.NB201Name, space.DARTSName},
		Options: []Option{
			{Name: "beta_weight", Usage: "λ reached after beta_ramp_epochs epochs (λ_e = beta_weight·e/beta_ramp_epochs)", Kind: Float},
			{Name: "beta_ramp_epochs", Usage: "epochs over which λ grows from 0 to beta_weight (it keeps growing after)", Kind: Float, Epochs: true},
		},
		Reference: betaDARTSReference,
		Build:     buildBetaDARTS,
	})
}

// sdartsSettings are the search settings of the SmoothDARTS code base
// that β-DARTS and SDARTS share (train_search.py's argparse defaults):
// DARTS's, with PyTorch 1.x Adam.
func sdartsSettings(epochs int) bilevel.Settings {
	s := bilevel.DefaultSettings()
	s.Epochs = epochs
	s.ArchAdam = optim.Adam1
	return s
}

// sdartsNetwork is the supernet of the SmoothDARTS code base on sp: the
// DARTS space s5 (7 ops, no 'none'), or NAS-Bench-201's with BatchNorm
// tracking running statistics.
func sdartsNetwork(sp string) supernet.Config {
	if sp == space.NB201Name {
		return supernet.Config{Space: space.NB201Name, C: 16, CellsPerStage: 5, Init: "1.x"}.WithDefaults()
	}
	return supernet.Config{Space: space.DARTSName, C: 16, Layers: 8, Init: "1.x",
		Primitives: append([]string(nil), FairDARTSOps...)}.WithDefaults()
}

func betaDARTSReference(q Query) (Recipe, error) {
	switch q.Space {
	case space.NB201Name:
		return Recipe{
			Source:  "Sunshine-Ye/Beta-DARTS nasbench201/train_search.py, optimizers/darts/architect.py",
			Network: sdartsNetwork(q.Space),
			Search:  sdartsSettings(100),
			Options: Options{"beta_weight": 50, "beta_ramp_epochs": 100},
		}, nil
	case space.DARTSName:
		return Recipe{
			Source:  "Sunshine-Ye/Beta-DARTS sota/cnn/train_search.py settings (the script itself does not run), optimizers/darts/architect.py",
			Network: sdartsNetwork(q.Space),
			Search:  sdartsSettings(50),
			Options: Options{"beta_weight": 50, "beta_ramp_epochs": 100},
		}, nil
	}
	return Recipe{}, fmt.Errorf("beta-darts: no recipe for space %q", q.Space)
}

func buildBetaDARTS(r Recipe) (bilevel.Method[float32], error) {
	w := option(r.Options, "beta_weight", 50)
	n := option(r.Options, "beta_ramp_epochs", 100)
	if w < 0 {
		return bilevel.Method[float32]{}, fmt.Errorf("beta_weight %g: need 0 or more", w)
	}
	if !(n > 0) {
		return bilevel.Method[float32]{}, fmt.Errorf("beta_ramp_epochs %g: need more than 0", n)
	}
	return bilevel.Method[float32]{Name: BetaDARTS, Relax: relax.BetaDecay[float32]{Weight: w, RampEpochs: n}}, nil
}
