package method

import (
	"fmt"

	"github.com/darts-go/darts/bilevel"
	"github.com/darts-go/darts/optim"
	"github.com/darts-go/darts/space"
	"github.com/darts-go/darts/supernet"
)

// DARTSMinus is the name of DARTS- (Chu et al., ICLR 2021).
const DARTSMinus = "darts-minus"

// dartsMinusDecays are the choices of the decay option, by index: the
// reference's --decay values (None is the constant β).
var dartsMinusDecays = []string{"none", supernet.DecayLinear, supernet.DecayCosine, supernet.DecaySlowCosine}

// dartsMinusDefaults are the options of the reference's search script.
var dartsMinusDefaults = Options{"skip_beta": 1, "decay": 1, "decay_start_epoch": 0, "decay_stop_epoch": 0, "decay_max_epoch": 0}

// auxSkipOf is the auxiliary skip the options describe, checked for a run
// of epochs.
func auxSkipOf(o Options, epochs int) (*supernet.AuxSkip, error) {
	i := int(o["decay"])
	if i < 0 || i >= len(dartsMinusDecays) {
		return nil, fmt.Errorf("decay %g: need 0..%d", o["decay"], len(dartsMinusDecays)-1)
	}
	decay := dartsMinusDecays[i]
	if decay == "none" {
		decay = supernet.DecayConstant
	}
	a := &supernet.AuxSkip{Beta: o["skip_beta"], Decay: decay, Start: int(o["decay_start_epoch"]),
		Stop: int(o["decay_stop_epoch"]), Max: int(o["decay_max_epoch"])}
	return a, a.Validate(epochs)
}

func init() {
	Register(Spec{
		Name:    DARTSMinus,
		Summary: "an auxiliary skip connection on every edge, its coefficient β decaying to 0 over the search",
		Doc: `DARTS- (Chu, Wang, Zhang, Lu, Wei, Yan; "DARTS-: Robustly Stepping out of
Performance Collapse Without Indicators", ICLR 2021; Meituan-AutoML/DARTS-
src/search/model_search.py MixedOp, src/utils.py DecayScheduler, src/search/
args.py, train_search.py, scripts/run_darts_minus.sh).

What it changes against first-order DARTS: every mixed edge adds an
auxiliary skip connection, β·skip(x), outside the softmax — the identity on
stride-1 edges, a FactorizedReduce(C, C, affine=False) trained with the
weights on the stride-2 edges of a reduction cell. β is not learned: it is
set at the start of each epoch by the reference's DecayScheduler,

  linear:      β = skip_beta·(max − e)/(max − start)
  cosine:      β = skip_beta·(1 + cos(π·e/(max − start)))/2
  slow_cosine: β = skip_beta·cos((π/2)·e/(max − start))

for epochs e ≥ decay_start_epoch (before it β = skip_beta), e capped at
decay_stop_epoch (β then keeps its last value). The recipe is the search
script's: --skip_beta 1 --decay linear (β = 1, 0.98, ..., 0.02 over 50
epochs, never 0), the DARTS space (its s5), DARTS's settings (batch 64, SGD
0.025 cosine to 0.001, Adam 3e-4 with betas (0.5, 0.999) and weight decay
1e-3, 50 epochs, no warm-up), PyTorch 1.x Adam and initialization (the code
uses loss.item()). The auxiliary skip is not part of the genotype: the DARTS
rule derives it from softmax(α) alone.

Differences from the reference: decay_stop_epoch and decay_max_epoch default
to 0, meaning the run's number of epochs (the reference's flags default to
50, its epoch count, whatever --epochs says), so a shorter run decays over
its own length; the search-val batch of each step is a fresh random batch
(the reference cycles through valid_queue with a generator); the
identity-initialized 1×1 convolution of --auxiliary_operation conv1 is not
offered.`,
		Spaces: []string{space.DARTSName},
		Options: []Option{
			{Name: "skip_beta", Usage: "initial coefficient β of the auxiliary skip (the reference's --skip_beta)", Kind: Float},
			{Name: "decay", Usage: "β's decay: 0 none (constant), 1 linear, 2 cosine, 3 slow_cosine (the reference's --decay)", Kind: Int, Choices: dartsMinusDecays},
			{Name: "decay_start_epoch", Usage: "epoch (from 0) the decay starts at", Kind: Int, Epochs: true},
			{Name: "decay_stop_epoch", Usage: "epoch after which β stays put (0: the run's epochs)", Kind: Int, Epochs: true},
			{Name: "decay_max_epoch", Usage: "epoch β would reach 0 at with the linear decay (0: the run's epochs)", Kind: Int, Epochs: true},
		},
		Reference: func(q Query) (Recipe, error) {
			if q.Space != space.DARTSName {
				return Recipe{}, fmt.Errorf("darts-minus: no recipe for space %q", q.Space)
			}
			s := bilevel.DefaultSettings()
			s.ArchAdam = optim.Adam1
			return Recipe{
				Source:  "Meituan-AutoML/DARTS- src/search/{args,model_search,train_search}.py, src/utils.py, scripts/run_darts_minus.sh (PyTorch 1.x)",
				Network: supernet.Config{Space: space.DARTSName, C: 16, Layers: 8, Init: "1.x"}.WithDefaults(),
				Search:  s,
				Options: dartsMinusDefaults.Clone(),
			}, nil
		},
		Apply: func(r *Recipe) error {
			for k, v := range dartsMinusDefaults {
				if _, ok := r.Options[k]; !ok {
					r.Options[k] = v
				}
			}
			a, err := auxSkipOf(r.Options, r.Search.Epochs)
			if err != nil {
				return err
			}
			r.Network.AuxSkip = a
			return nil
		},
		Build: func(r Recipe) (bilevel.Method[float32], error) {
			a, err := auxSkipOf(r.Options, r.Search.Epochs)
			if err != nil {
				return bilevel.Method[float32]{}, err
			}
			if r.Network.AuxSkip == nil || *r.Network.AuxSkip != *a {
				return bilevel.Method[float32]{}, fmt.Errorf("the network's auxiliary skip %+v is not the options' %+v (resolve the recipe: Spec.Resolve)", r.Network.AuxSkip, *a)
			}
			return bilevel.Method[float32]{Name: DARTSMinus}, nil
		},
	})
}
