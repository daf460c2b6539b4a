package method

import (
	"fmt"
	"math"

	"github.com/darts-go/darts/bilevel"
	"github.com/darts-go/darts/optim"
	"github.com/darts-go/darts/relax"
	"github.com/darts-go/darts/space"
	"github.com/darts-go/darts/supernet"
)

// DrNAS is the name of DrNAS (Chen, Wang, Cheng, Tang, Hsieh, ICLR 2021).
const DrNAS = "drnas"

func init() {
	Register(Spec{
		Name:    DrNAS,
		Summary: "edge weights drawn from Dirichlet(elu(α)+1) in every forward pass, pathwise gradient; L2 or KL regularizer",
		Doc: `DrNAS ("DrNAS: Dirichlet Neural Architecture Search", Chen, Wang, Cheng, Tang,
Hsieh, ICLR 2021): each row of α is the concentration c = elu(α) + 1 of a
Dirichlet distribution, and every forward pass mixes an edge's ops with a
reparameterized draw θ ~ Dir(c), one draw per tensor shared by all cells of its
type; the architecture gradient flows through the draw (the pathwise gradient
of the Gamma draws by implicit differentiation). The regularizer is the code's
default "l2", Adam's weight decay on α (--arch-weight-decay, 1e-3), or with
kl_scale > 0 the "kl" one, kl_scale·Σ_edges KL(Dir(c) ‖ Dir(1)) added to the
architecture loss (the code's reg_type kl pairs it with no weight decay: set
--arch-weight-decay 0). Each step takes a first-order architecture step on
search-val, then a weight step. Derivation: the DARTS rule on softmax(α) (no
'none' to exclude in its op set) on the DARTS space, the argmax of each edge on
NAS-Bench-201.

Follows xiangning-chen/DrNAS @f2caa4d: utils.py (process_step_vector),
architect.py, 201-space/train_search.py and search_model.py (the script of
the paper's NAS-Bench-201 table: C 16, N 5, batch 64, SGD 0.025 → 0.001,
weight decay 3e-4, 100 epochs, Adam 3e-4, betas (0.5, 0.999)), and
DARTS-space/train_search.py and model_search.py (the 7 ops without 'none',
no BatchNorm after pools, the evaluation-size supernet of 20 cells of 36
channels, batch 64, SGD 0.1 → 0, 50 epochs, Adam 6e-4, α updated only from
epoch 10). PyTorch 1.x arithmetic and initialization.

Not followed on the DARTS space: the code's search is progressive — two
stages of 25 epochs, the first on 1/6 of the channels (PC-DARTS's partial
channels), then the 4 strongest ops of each edge kept (pruning: the others'
weights zeroed and θ renormalized), the ops widened to 1/4 of the channels
(net2wider), the optimizer's buffers widened, and 10 weight-only epochs
again. The search loop has no seam for changing the network between epochs
and the mixed edge has no partial channels on this branch, so the recipe is
one 50-epoch stage on all channels with the first stage's 10 warm-up epochs.
The NAS-Bench-201 code clips the weight gradient over network.parameters(),
α's (zeroed) gradient included; here the clip bounds the weights alone (the
same unless the weight step's dL/dα is large). Each Gamma of a draw is the
exact inverse CDF of one uniform (torch's rsample uses a rejection sampler):
the same distribution, other numbers. Evaluation on search-val samples θ per
batch, as the code's infer() does.`,
		Spaces: []string{space.DARTSName, space.NB201Name},
		Options: []Option{
			{Name: "kl_scale", Usage: "weight of the KL(Dir(elu(α)+1) ‖ Dir(1)) regularizer (0: none, the code's default l2 regularizer is --arch-weight-decay)", Kind: Float},
		},
		Reference: drnasReference,
		Build:     buildDrNAS,
	})
}

// drnasOps is DrNAS's DARTS-space PRIMITIVES: DARTS's without 'none'.
var drnasOps = []string{"max_pool_3x3", "avg_pool_3x3", "skip_connect", "sep_conv_3x3", "sep_conv_5x5", "dil_conv_3x3", "dil_conv_5x5"}

// drnasReference is DrNAS's recipe on each space.
func drnasReference(q Query) (Recipe, error) {
	s := bilevel.DefaultSettings()
	s.ArchAdam = optim.Adam1
	switch q.Space {
	case space.NB201Name:
		s.Epochs = 100
		return Recipe{
			Source:  "xiangning-chen/DrNAS 201-space/train_search.py, 201-space/search_model.py, architect.py, utils.py",
			Network: supernet.Config{Space: space.NB201Name, C: 16, CellsPerStage: 5, Init: "1.x"}.WithDefaults(),
			Search:  s,
			Options: Options{"kl_scale": 0},
		}, nil
	case space.DARTSName:
		s.Epochs, s.LR, s.LRMin, s.ArchLR, s.Warmup = 50, 0.1, 0, 6e-4, 10
		return Recipe{
			Source: "xiangning-chen/DrNAS DARTS-space/train_search.py (one stage, no partial channels), DARTS-space/model_search.py, architect.py, utils.py",
			Network: supernet.Config{Space: space.DARTSName, C: 36, Layers: 20, Init: "1.x", NoPoolBN: true,
				Primitives: append([]string(nil), drnasOps...)}.WithDefaults(),
			Search:  s,
			Options: Options{"kl_scale": 0},
		}, nil
	}
	return Recipe{}, fmt.Errorf("drnas: no recipe for space %q", q.Space)
}

// buildDrNAS makes DrNAS from a resolved recipe.
func buildDrNAS(r Recipe) (bilevel.Method[float32], error) {
	kl := r.Options["kl_scale"]
	if kl < 0 || math.IsNaN(kl) || math.IsInf(kl, 0) {
		return bilevel.Method[float32]{}, fmt.Errorf("kl_scale %g: need 0 or more", kl)
	}
	return bilevel.Method[float32]{Name: DrNAS, Relax: relax.DrNAS[float32]{KL: kl}}, nil
}
