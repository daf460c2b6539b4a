package method

import (
	"fmt"

	"github.com/darts-go/darts/bilevel"
	"github.com/darts-go/darts/derive"
	"github.com/darts-go/darts/relax"
	"github.com/darts-go/darts/space"
	"github.com/darts-go/darts/supernet"
)

// GDAS is the name of GDAS (Dong and Yang, CVPR 2019).
const GDAS = "gdas"

func init() {
	Register(Spec{
		Name:    GDAS,
		Summary: "one op per edge sampled by hard Gumbel-max with a straight-through gradient; only the sampled op runs",
		Doc: `GDAS (Dong and Yang, "Searching for a Robust Neural Architecture in Four GPU
Hours", CVPR 2019), as AutoDL-Projects re-implements it (the original search code
was never released): every forward pass samples one op per edge, index =
argmax softmax((log_softmax(α) + g)/τ) with Gumbel noise g, one sample per
architecture tensor shared by all cells of its type, and weights the edge with
h = one_hot(index) − stopgrad(p) + p (value one-hot, gradient p's). The mixed
edge runs only the sampled op, forward and backward, so a step costs a fraction
of a DARTS step. τ falls linearly once per epoch from tau_max to tau_min
(10 → 0.1), reaching tau_min at the last epoch. Each step takes the weight
step first (search-train), then a first-order architecture step (search-val),
each forward with its own sample. Derivation: the argmax of each edge,
'none' included, on NAS-Bench-201; on the DARTS space AutoDL's rule
(pairs-top2: the two strongest (op, input) pairs of each node among all its
edges' ops but 'none', so one edge may give both).

Follows AutoDL-Projects @f46486e: xautodl/models/cell_searchs/
search_model_gdas.py (NAS-Bench-201), search_model_gdas_nasnet.py and
search_cells.py (DARTS space), exps/NAS-Bench-201-algos/GDAS.py (order of the
steps, τ schedule), configs/nas-benchmark/algos/GDAS.config,
configs/search-opts/GDAS-NASNet-CIFAR.config, configs/search-archs/
GDAS-NASNet-CIFAR.config and the scripts' flags: SGD with Nesterov momentum
0.9, weight decay 5e-4, cosine learning rate 0.025 → 0.001, the weight
gradient clipped to 5 with α's gradient in the norm, Adam (PyTorch 1.x) on α
with learning rate 3e-4, betas (0.5, 0.999), weight decay 1e-3; 250 epochs
of batch 64 (NAS-Bench-201) or 256 (DARTS space), no warm-up; search cells'
BatchNorm tracking running statistics (the documented commands' BN=1).

Where the code's two cells differ, each space follows its own: on
NAS-Bench-201 the unselected weights are added to the edge output as bare
scalars (NAS201SearchCell.forward_gdas), so every α of an edge gets a
gradient; on the DARTS space only h_index·op_index(x) is left
(MixedOp.forward_gdas). The DARTS-space network is AutoDL's
GDAS-NASNet-CIFAR shape (C 16, N 2: 6 cells) with pools not followed by
BatchNorm and BatchNorm+ReLU (lastact) before the global pooling, but
darts-go's DARTS supernet otherwise: the ops are quark0/darts's (AutoDL's
dua_sepc and dil_sepc are the same functions; its FactorizedReduce pads odd
sizes) in AutoDL's column order. Differences from the code: log_softmax
is left out of the logits (it only shifts a row, so the softmax is the same),
h is exactly one-hot, and there is no redraw on infinite noise (it cannot
occur). Evaluation on search-val after each epoch samples an architecture per
batch, as the code's forward always does (GDAS.py reports the architecture
step's training-mode accuracy instead).`,
		Spaces: []string{space.DARTSName, space.NB201Name},
		Options: []Option{
			{Name: "tau_max", Usage: "Gumbel temperature of the first epoch", Kind: Float},
			{Name: "tau_min", Usage: "Gumbel temperature of the last epoch", Kind: Float},
		},
		Reference: gdasReference,
		Build:     buildGDAS,
	})
}

// gdasOps is AutoDL-Projects' DARTS_SPACE in its column order, with
// darts-go's names for the same ops.
var gdasOps = []string{"none", "skip_connect", "sep_conv_3x3", "sep_conv_5x5", "dil_conv_3x3", "dil_conv_5x5", "avg_pool_3x3", "max_pool_3x3"}

// gdasReference is GDAS's recipe on each space.
func gdasReference(q Query) (Recipe, error) {
	if q.Order == 2 {
		return Recipe{}, fmt.Errorf("gdas: no second-order variant (the reference is first order)")
	}
	opts := Options{"tau_max": 10, "tau_min": 0.1}
	s := NB201Settings(1) // Nesterov SGD, wd 5e-4, clip with α, Adam 1.x, weight step first
	s.Epochs = 250
	switch q.Space {
	case space.NB201Name:
		return Recipe{
			Source:  "AutoDL-Projects exps/NAS-Bench-201-algos/GDAS.py, xautodl/models/cell_searchs/search_model_gdas.py, configs/nas-benchmark/algos/GDAS.config",
			Network: supernet.Config{Space: space.NB201Name, C: 16, CellsPerStage: 5, Init: "1.x"}.WithDefaults(),
			Search:  s,
			Options: opts,
		}, nil
	case space.DARTSName:
		s.BatchSize = 256
		return Recipe{
			Source: "AutoDL-Projects exps/NAS-Bench-201-algos/GDAS.py, xautodl/models/cell_searchs/search_model_gdas_nasnet.py, configs/search-opts/GDAS-NASNet-CIFAR.config, configs/search-archs/GDAS-NASNet-CIFAR.config",
			Network: supernet.Config{Space: space.DARTSName, C: 16, Layers: 6, Init: "1.x", NoPoolBN: true, LastAct: true,
				Primitives: append([]string(nil), gdasOps...)}.WithDefaults(),
			Search:  s,
			Options: opts,
		}, nil
	}
	return Recipe{}, fmt.Errorf("gdas: no recipe for space %q", q.Space)
}

// taus reads a recipe's tau_max and tau_min.
func taus(r Recipe, maxDefault, minDefault float64) (relax.Anneal, error) {
	a := relax.Anneal{Max: maxDefault, Min: minDefault}
	if v, ok := r.Options["tau_max"]; ok {
		a.Max = v
	}
	if v, ok := r.Options["tau_min"]; ok {
		a.Min = v
	}
	if err := a.Validate(); err != nil {
		return a, fmt.Errorf("tau_max, tau_min: %w", err)
	}
	return a, nil
}

// buildGDAS makes GDAS from a resolved recipe.
func buildGDAS(r Recipe) (bilevel.Method[float32], error) {
	tau, err := taus(r, 10, 0.1)
	if err != nil {
		return bilevel.Method[float32]{}, err
	}
	if r.Search.Order != 1 && r.Search.Order != 0 {
		return bilevel.Method[float32]{}, fmt.Errorf("order %d: GDAS is first order", r.Search.Order)
	}
	tau.Span = -1 // τ_max at epoch 0, τ_min at the last (GDAS.py)
	m := bilevel.Method[float32]{Name: GDAS, Relax: relax.GDAS[float32]{Tau: tau, Scalars: r.Space == space.NB201Name}}
	if r.Space != space.NB201Name {
		m.Rule = derive.PairsRule
	}
	return m, nil
}
