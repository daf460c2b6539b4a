package method

import (
	"fmt"
	"math"
	"slices"

	"github.com/darts-go/darts/bilevel"
	"github.com/darts-go/darts/derive"
	"github.com/darts-go/darts/internal/rng"
	"github.com/darts-go/darts/optim"
	"github.com/darts-go/darts/space"
	"github.com/darts-go/darts/supernet"
)

// PDARTS is the name of P-DARTS (Chen, Xie, Wu, Tian, ICCV 2019).
const PDARTS = "p-darts"

// pdartsStages is P-DARTS's number of stages (train_search.py's
// num_to_keep = [5, 3, 1]).
const pdartsStages = 3

func init() {
	Register(Spec{
		Name:    PDARTS,
		Summary: "three stages of growing depth and fewer ops per edge, dropout on skip connections, at most 2 skips in the normal cell",
		Doc: `P-DARTS, progressive DARTS (Chen, Xie, Wu, Tian, ICCV 2019; chenxin061/pdarts
train_search.py and model_search.py @ b880e87): three searches in a row, each
of a fresh network (weights and α drawn anew; only the ops per edge carry
over). Stage 1 has 5 cells and the 8 DARTS ops on every edge, stage 2 11 cells
(--add-layers-2 6), stage 3 17 (--add-layers-3 12); after stages 1 and 2 every
edge keeps its 5 (--ops-2), then 3 (--ops-3) ops of largest softmax weight,
'none' included. Every stride-1 skip connection is followed by element-wise
dropout whose rate starts at 0.1, 0.4, 0.7 in the three stages (the README's
command; the code's default is 0), falls linearly over the warm-up as
rate·(E−e−1)/E, jumps back to the rate when the architecture steps start and
decays as rate·exp(−0.2·(e−warm-up)). Each stage: 25 epochs (--epochs, per
stage), the first 10 weights only (--warmup-epochs; --warmup-2, --warmup-3),
batch 96, SGD 0.025 cosine to 0 per stage, momentum 0.9, weight decay 3e-4,
weight gradient clipped to 5; first-order architecture steps, Adam 6e-4
(0.5, 0.999), weight decay 1e-3, the α gradient clipped to norm 5 as well.
Derivation after stage 3: every edge keeps its strongest op other than
'none', every node its two strongest edges (pairs in input order), then while
the normal cell has more than 2 skip connections (--skip-cap; -1: no cap) the
weakest one is removed and the edges are chosen again (the author's
recommended M = 2 of the genotypes train_search.py logs for M = 8..0).

Differences: the architecture step takes a fresh random search-val batch each
step (the reference walks search-val without replacement within an epoch); the
search-val evaluation runs after every epoch (the reference's after the last 5
of a stage); each stage's network and data order are drawn from a seed of its
own (the reference's generators run on from stage to stage); PyTorch 1.x
initialization and Adam (the README asks for "PyTorch 0.4 or above"; 1.0 and
1.1 would draw the stem's BatchNorm scale from U(0, 1)). Files: one run
directory, epochs numbered across the stages in metrics.jsonl and
alphas.jsonl (whose lines carry "stage" and "stage_epoch"; the ops an edge no
longer has weigh 0), checkpoint-stage<k>.dgo per stage, stages.json with every
stage's network and the final genotype.`,
		Spaces: []string{space.DARTSName},
		Options: []Option{
			{Name: "add_layers_2", Usage: "cells added to stage 1's in stage 2", Kind: Int},
			{Name: "add_layers_3", Usage: "cells added to stage 1's in stage 3", Kind: Int},
			{Name: "add_width_2", Usage: "initial channels added in stage 2", Kind: Int},
			{Name: "add_width_3", Usage: "initial channels added in stage 3", Kind: Int},
			{Name: "ops_2", Usage: "ops kept on every edge for stage 2", Kind: Int},
			{Name: "ops_3", Usage: "ops kept on every edge for stage 3", Kind: Int},
			{Name: "dropout_1", Usage: "rate of the dropout after skip connections in stage 1", Kind: Float},
			{Name: "dropout_2", Usage: "rate of the dropout after skip connections in stage 2", Kind: Float},
			{Name: "dropout_3", Usage: "rate of the dropout after skip connections in stage 3", Kind: Float},
			{Name: "dropout_decay", Usage: "decay of the dropout rate per epoch after the warm-up", Kind: Float},
			{Name: "warmup_2", Usage: "epochs of stage 2 that train the weights only", Kind: Int, Epochs: true},
			{Name: "warmup_3", Usage: "epochs of stage 3 that train the weights only", Kind: Int, Epochs: true},
			{Name: "skip_cap", Usage: "most skip connections in the final normal cell (-1: no cap)", Kind: Int},
		},
		Reference: pdartsReference,
		Quick:     pdartsQuick,
		Build:     pdartsBuild,
		Stages:    pdartsStaging,
	})
}

// pdartsDefaults are train_search.py's values and the README's command's
// (--add_layers 6 --add_layers 12 --dropout_rate 0.1 0.4 0.7).
var pdartsDefaults = Options{
	"add_layers_2": 6, "add_layers_3": 12, "add_width_2": 0, "add_width_3": 0,
	"ops_2": 5, "ops_3": 3,
	"dropout_1": 0.1, "dropout_2": 0.4, "dropout_3": 0.7, "dropout_decay": 0.2,
	"warmup_2": 10, "warmup_3": 10,
	"skip_cap": derive.PDARTSSkipCap,
}

// pdartsReference is train_search.py's recipe: argparse defaults, the
// README's command, the constants of main().
func pdartsReference(q Query) (Recipe, error) {
	if q.Space != space.DARTSName {
		return Recipe{}, fmt.Errorf("p-darts: no recipe for space %q", q.Space)
	}
	if q.Order == 2 {
		return Recipe{}, fmt.Errorf("p-darts: its architecture steps are first order (train_search.py has no unrolled step)")
	}
	s := bilevel.DefaultSettings()
	s.Epochs, s.Warmup, s.BatchSize = 25, 10, 96
	s.LR, s.LRMin = 0.025, 0
	s.ArchLR = 6e-4
	s.ArchAdam = optim.Adam1
	s.ArchGradClip = 5 // the α gradient's 2-norm, as train_search.py clips it (--arch-grad-clip)
	return Recipe{
		Source:  "chenxin061/pdarts train_search.py, model_search.py @ b880e87 and its README's command",
		Network: supernet.Config{Space: space.DARTSName, C: 16, Layers: 5, Init: "1.x"}.WithDefaults(),
		Search:  s,
		Options: pdartsDefaults.Clone(),
	}, nil
}

// pdartsQuick keeps the quick budget's search a few times DARTS's: 4
// epochs a stage (2 of warm-up: the reference's 10 of 25, scaled and
// rounded) and stages of 5, 8 and 11 cells (the reference's 6 and 12 added
// cells halved).
func pdartsQuick(r *Recipe) {
	r.Search.Epochs, r.Search.Warmup = 4, 2
	r.Options["warmup_2"], r.Options["warmup_3"] = 2, 2
	r.Options["add_layers_2"], r.Options["add_layers_3"] = 3, 6
}

// opt reads option name of a resolved recipe, the reference's if absent.
func opt(r Recipe, name string) float64 {
	if v, ok := r.Options[name]; ok {
		return v
	}
	return pdartsDefaults[name]
}

// checkPDARTS checks what the options and the settings must satisfy
// together.
func checkPDARTS(r Recipe) error {
	n := len(r.Network.Primitives)
	o2, o3 := int(opt(r, "ops_2")), int(opt(r, "ops_3"))
	switch {
	case !(o2 >= 2 && o2 <= n):
		return fmt.Errorf("ops_2 %d: need 2..%d (the primitives)", o2, n)
	case !(o3 >= 2 && o3 <= o2):
		return fmt.Errorf("ops_3 %d: need 2..ops_2 (%d)", o3, o2)
	case opt(r, "add_layers_2") < 0 || opt(r, "add_layers_3") < 0 || opt(r, "add_width_2") < 0 || opt(r, "add_width_3") < 0:
		return fmt.Errorf("add_layers and add_width options: need 0 or more")
	case opt(r, "skip_cap") < -1:
		return fmt.Errorf("skip_cap %g: need -1 (no cap) or more", opt(r, "skip_cap"))
	case r.Search.Order == 2:
		return fmt.Errorf("order 2: its architecture steps are first order")
	}
	for i, name := range []string{"dropout_1", "dropout_2", "dropout_3"} {
		if v := opt(r, name); !(v >= 0 && v < 1) {
			return fmt.Errorf("%s %g: need a rate in [0, 1)", name, v)
		}
		w := r.Search.Warmup
		if i > 0 {
			w = int(opt(r, fmt.Sprintf("warmup_%d", i+1)))
		}
		if w < 0 || w >= r.Search.Epochs {
			return fmt.Errorf("stage %d: a warm-up of %d epochs leaves no architecture step in %d epochs", i+1, w, r.Search.Epochs)
		}
	}
	if d := opt(r, "dropout_decay"); !(d >= 0) || math.IsInf(d, 0) {
		return fmt.Errorf("dropout_decay %g: need a finite 0 or more", d)
	}
	return nil
}

// pdartsBuild is a stage's method: first-order steps (the α gradient
// clipped by Settings.ArchGradClip, which the recipe sets), the P-DARTS rule (the final derivation, as the genotype of every
// epoch).
func pdartsBuild(r Recipe) (bilevel.Method[float32], error) {
	if err := checkPDARTS(r); err != nil {
		return bilevel.Method[float32]{}, err
	}
	return bilevel.Method[float32]{Name: PDARTS, Arch: bilevel.FirstOrder[float32]{},
		Rule: derive.PDARTS{MaxSkip: int(opt(r, "skip_cap"))}}, nil
}

// tagPDARTSStage keys the seeds of the stages after the first.
const tagPDARTSStage uint64 = 0x7064617274737367 // "pdartssg"

// StageSeed is the seed of stage i (from 0) of a P-DARTS run of seed seed:
// the run's for the first stage, a key of (seed, i) for the others, so that
// every stage draws its own network and data order.
func StageSeed(seed uint64, i int) uint64 {
	if i == 0 {
		return seed
	}
	return rng.Key(tagPDARTSStage, seed, uint64(i))
}

// pdartsStaging plans the three stages of a resolved recipe.
func pdartsStaging(r Recipe) (*Staging, error) {
	if err := checkPDARTS(r); err != nil {
		return nil, fmt.Errorf("p-darts: %w", err)
	}
	base := r.Network.WithDefaults()
	sp, err := base.SearchSpace()
	if err != nil {
		return nil, err
	}
	stage := func(i int, prev *StageResult) (Recipe, error) {
		s := r
		s.Options = r.Options.Clone()
		s.Search.Seed = StageSeed(r.Search.Seed, i)
		n := base
		n.EdgeOps = map[string][][]string{}
		warmup := r.Search.Warmup
		if i > 0 {
			n.Layers += int(opt(r, fmt.Sprintf("add_layers_%d", i+1)))
			n.C += int(opt(r, fmt.Sprintf("add_width_%d", i+1)))
			warmup = int(opt(r, fmt.Sprintf("warmup_%d", i+1)))
		}
		s.Search.Warmup = warmup
		for _, ct := range sp.Cells {
			if i == 0 {
				for range ct.Cell.Edges {
					n.EdgeOps[ct.Name] = append(n.EdgeOps[ct.Name], slices.Clone(n.Primitives))
				}
				continue
			}
			if prev == nil {
				return Recipe{}, fmt.Errorf("p-darts: stage %d needs how stage %d ended", i+1, i)
			}
			on := prev.Network.EdgeOps[ct.Name]
			w, err := compactWeights(prev.Network.Primitives, on, prev.Weights[ct.Name])
			if err != nil {
				return Recipe{}, fmt.Errorf("p-darts: stage %d %s cell: %w", i, ct.Name, err)
			}
			keep := int(opt(r, fmt.Sprintf("ops_%d", i+1)))
			if n.EdgeOps[ct.Name], err = derive.PruneOps(on, w, keep); err != nil {
				return Recipe{}, fmt.Errorf("p-darts: after stage %d, %s cell: %w", i, ct.Name, err)
			}
		}
		if rate := opt(r, fmt.Sprintf("dropout_%d", i+1)); rate > 0 {
			n.SkipDropout = &supernet.SkipDropout{Rate: rate, Warmup: warmup, Decay: opt(r, "dropout_decay")}
		}
		s.Network = n
		return s, nil
	}
	final := func(last StageResult) (derive.Genotype, string, error) {
		g := derive.Genotype{Space: sp.Name}
		note := ""
		for _, ct := range sp.Cells {
			on := last.Network.EdgeOps[ct.Name]
			w, err := compactWeights(last.Network.Primitives, on, last.Weights[ct.Name])
			if err != nil {
				return derive.Genotype{}, "", fmt.Errorf("p-darts: %s cell: %w", ct.Name, err)
			}
			capN := -1
			if ct.Name == "normal" {
				capN = int(opt(r, "skip_cap"))
			}
			c, before, err := derive.PDARTSCell(ct.Name, ct.Cell, on, w, capN)
			if err != nil {
				return derive.Genotype{}, "", fmt.Errorf("p-darts: %s cell: %w", ct.Name, err)
			}
			if capN >= 0 {
				note = fmt.Sprintf("the normal cell had %d skip connections before the cap of %d", before, capN)
			}
			g.Cells = append(g.Cells, c)
		}
		return g, note, nil
	}
	return &Staging{Count: pdartsStages, Stage: stage, Final: final}, nil
}

// compactWeights picks, from weights with one column per primitive, each
// edge's weights of its ops on[e] (in order).
func compactWeights(prims []string, on [][]string, w [][]float64) ([][]float64, error) {
	if len(on) != len(w) {
		return nil, fmt.Errorf("%d edges of ops, %d rows of weights", len(on), len(w))
	}
	out := make([][]float64, len(on))
	for e, ops := range on {
		if len(w[e]) != len(prims) {
			return nil, fmt.Errorf("edge %d: %d weights for %d primitives", e, len(w[e]), len(prims))
		}
		for _, o := range ops {
			k := slices.Index(prims, o)
			if k < 0 {
				return nil, fmt.Errorf("edge %d: op %q is not a primitive", e, o)
			}
			out[e] = append(out[e], w[e][k])
		}
	}
	return out, nil
}
