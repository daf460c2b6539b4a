package method

import (
	"fmt"
	"math"

	"github.com/darts-go/darts/bilevel"
	"github.com/darts-go/darts/derive"
	"github.com/darts-go/darts/optim"
	"github.com/darts-go/darts/relax"
	"github.com/darts-go/darts/space"
	"github.com/darts-go/darts/supernet"
)

// FairDARTS is the name of FairDARTS (Chu et al., ECCV 2020).
const FairDARTS = "fair-darts"

// FairDARTSOps are FairDARTS's candidate operations: DARTS's without
// 'none' (fairdarts/genotypes.py PRIMITIVES), the op set of SDARTS's and
// β-DARTS's DARTS space too.
var FairDARTSOps = []string{"max_pool_3x3", "avg_pool_3x3", "skip_connect", "sep_conv_3x3", "sep_conv_5x5", "dil_conv_3x3", "dil_conv_5x5"}

func init() {
	Register(Spec{
		Name:    FairDARTS,
		Summary: "σ(α) per op instead of a softmax, a zero-one loss on σ(α), ops kept where σ ≥ 0.85",
		Doc: `FairDARTS (Chu, Zhou, Zhang, Li, ECCV 2020; xiaomi-automl/FairDARTS @ 270cfc9,
fairdarts/train_search.py, model_search.py, architect.py, separate_loss.py,
utils.py parse, model.py DCOCell). What it changes against first-order DARTS:

- mixing: every op weighs σ(α) on its own (no softmax), so ops do not compete
  for one unit of weight; α starts at exactly 0 (σ = ½ everywhere);
- ops: DARTS's seven without 'none';
- loss: the architecture step adds zero_one_weight·L01, L01 = −mean((σ(α) − ½)²)
  over the 196 entries of α_normal and α_reduce together, pushing each σ
  toward 0 or 1 (weight 10, constant);
- architecture optimizer: Adam, learning rate 3e-3, betas (0.9, 0.999), weight
  decay 1e-3; weights: batch 128, SGD 0.005 cosine to 0.001;
- derivation ('threshold'): each node ranks its incoming edges by their
  strongest op and looks at the two best; on each the strongest op is kept if
  its σ ≥ op_threshold (0.85). A node keeps 0, 1 or 2 inputs, and the cell
  concatenates the nodes that keep one (the genotype is written in FairDARTS's
  (op, to, from) text and retrained by 'darts train').

Differences: the reference ran PyTorch 1.1, whose scheduler trains epoch e at
the cosine rate of e+1; the search loop here trains epoch e at the rate of e
(as DARTS). Its training criterion also carries the zero-one term, which only
reaches α's gradient and is zeroed before the next architecture step: it is
left out. Its evaluation cell applies drop-path to each node's output, darts
train to each op's. A node whose only inputs read dropped nodes crashes
DCOCell; here it is dropped too. With few steps (the quick budget's 372) no
σ can reach 0.85 (Adam moves α by about 3e-3 a step, and σ ≥ 0.85 needs
α ≥ 1.73): the genotype is then empty and not retrainable; lower
--op-threshold or search longer.`,
		Spaces: []string{space.DARTSName},
		Options: []Option{
			{Name: "zero_one_weight", Usage: "weight of the zero-one loss −mean((σ(α) − ½)²) in the architecture step", Kind: Float},
			{Name: "op_threshold", Usage: "σ an op needs to be kept in the genotype", Kind: Float},
		},
		Reference: fairDARTSReference,
		Build:     buildFairDARTS,
	})
}

func fairDARTSReference(q Query) (Recipe, error) {
	if q.Space != space.DARTSName {
		return Recipe{}, fmt.Errorf("fair-darts: no recipe for space %q", q.Space)
	}
	// fairdarts/train_search.py's argparse defaults (torch 1.1.0).
	s := bilevel.DefaultSettings()
	s.BatchSize, s.LR, s.LRMin = 128, 0.005, 0.001
	s.ArchLR, s.ArchBeta1, s.ArchBeta2, s.ArchWeightDecay = 3e-3, 0.9, 0.999, 1e-3
	s.ArchAdam = optim.Adam1
	return Recipe{
		Source: "xiaomi-automl/FairDARTS fairdarts/train_search.py, model_search.py, separate_loss.py, utils.py (PyTorch 1.1)",
		Network: supernet.Config{Space: space.DARTSName, C: 16, Layers: 8, Init: "1.x",
			Primitives: append([]string(nil), FairDARTSOps...), ArchInit: &supernet.ArchInit{Mean: 0, Std: 0}}.WithDefaults(),
		Search:  s,
		Options: Options{"zero_one_weight": 10, "op_threshold": derive.FairDARTSThreshold},
	}, nil
}

func buildFairDARTS(r Recipe) (bilevel.Method[float32], error) {
	w := option(r.Options, "zero_one_weight", 10)
	t := option(r.Options, "op_threshold", derive.FairDARTSThreshold)
	if w < 0 {
		return bilevel.Method[float32]{}, fmt.Errorf("zero_one_weight %g: need 0 or more", w)
	}
	if !(t > 0 && t <= 1) {
		return bilevel.Method[float32]{}, fmt.Errorf("op_threshold %g: need a σ in (0, 1]", t)
	}
	return bilevel.Method[float32]{Name: FairDARTS, Relax: relax.Sigmoid[float32]{ZeroOneWeight: w}, Rule: derive.Threshold{T: t}}, nil
}

// option is o[name], or def if o does not set it.
func option(o Options, name string, def float64) float64 {
	if v, ok := o[name]; ok && !math.IsNaN(v) {
		return v
	}
	return def
}
