package method

import (
	"fmt"

	"github.com/darts-go/darts/bilevel"
	"github.com/darts-go/darts/space"
	"github.com/darts-go/darts/supernet"
)

// PCDARTS is the name of PC-DARTS (Xu et al., ICLR 2020).
const PCDARTS = "pc-darts"

func init() {
	Register(Spec{
		Name:    PCDARTS,
		Summary: "partial channels (1/K of each edge's channels through its ops, the rest bypassed, shuffled) and edge normalization β",
		Doc: `PC-DARTS (Xu, Xie, Zhang, Chen, Qi, Tian, Xiong; "PC-DARTS: Partial Channel
Connections for Memory-Efficient Architecture Search", ICLR 2020;
yuhuixu1993/PC-DARTS model_search.py, train_search.py, architect.py).

What it changes against first-order DARTS:
- partial channels: only the first 1/K of an edge's input channels (--k, 4)
  go through its mixed op, whose candidates are built for C/K channels; the
  rest bypass it (max-pooled 2x2 on the stride-2 edges of a reduction cell),
  and the two parts, concatenated, are channel-shuffled with K groups;
- edge normalization: a second architecture tensor per cell type, β
  ("beta_normal", "beta_reduce": 14 values, 1e-3·N(0,1) like α, in the
  same Adam), whose softmax over the edges into each node scales those
  edges' whole outputs (the bypassed channels too); it is checkpointed,
  written to alphas.jsonl (weights = the node-wise softmax) and drawn
  (plots/alphas_beta_<cell>.png);
- the architecture is frozen (no architecture step, α and β unchanged) for
  the first 15 of 50 epochs (warmup_epochs; a budget of fewer epochs scales
  it in proportion and rounds: 2 of 6 for the quick budget);
- derivation: the DARTS rule on softmax(α) with every edge's row multiplied
  by its normalized β (β ranks the edges, it never changes an edge's op);
- train_search.py's defaults: batch 256 (the memory the partial channels
  save), SGD lr 0.1 cosine to 0, Adam 6e-4 with betas (0.5, 0.999) and
  weight decay 1e-3, 50 epochs, architecture step before the weight step on
  each batch, PyTorch 0.3.1 arithmetic and initialization (the main copy is
  0.3-era code: loss.data[0], .cuda(async=True)).

Differences from the reference: K is an option (the reference hard-codes 4
in model_search.py, 2 in model_search_imagenet.py); the search-val batch of
each step is a fresh random batch (the main copy's next(iter(valid_queue)));
search-val accuracy is evaluated after every epoch (the reference only in
the last); the learning rate of epoch e is the 0.3.1 schedule's
cosine(e) (lr > 0 in the last epoch: optim.DARTSEpochLR), while the log in
the reference's issue #55, run with a newer PyTorch, shows epoch e at
cosine(e+1), reaching 0 in epoch 49.`,
		Spaces:  []string{space.DARTSName},
		Options: []Option{{Name: "k", Usage: "1/K of each edge's channels go through its ops (PC-DARTS's K)", Kind: Int}},
		Reference: func(q Query) (Recipe, error) {
			if q.Space != space.DARTSName {
				return Recipe{}, fmt.Errorf("pc-darts: no recipe for space %q", q.Space)
			}
			s := bilevel.DefaultSettings()
			s.BatchSize, s.LR, s.LRMin, s.ArchLR, s.Warmup = 256, 0.1, 0, 6e-4, 15
			return Recipe{
				Source: "yuhuixu1993/PC-DARTS train_search.py, model_search.py, architect.py (PyTorch 0.3.1)",
				Network: supernet.Config{Space: space.DARTSName, C: 16, Layers: 8, Init: "0.3.1",
					PartialChannels: 4, EdgeNormalization: true}.WithDefaults(),
				Search:  s,
				Options: Options{"k": 4},
			}, nil
		},
		// The quick budget's batch is DARTS's quick batch times the
		// reference's ratio (256 against DARTS's 64): the batch the
		// partial channels make room for (see notes/pcdarts.md for the
		// measured step time and memory).
		Quick: func(r *Recipe) { r.Search.BatchSize = quickDARTS.BatchSize * 256 / 64 },
		Apply: func(r *Recipe) error {
			k, ok := r.Options["k"]
			if !ok {
				k = 4
				r.Options["k"] = k
			}
			r.Network.PartialChannels = int(k)
			r.Network.EdgeNormalization = true
			if c := r.Network.C; c != 0 && (k < 2 || c%int(k) != 0) {
				return fmt.Errorf("k = %g: need K ≥ 2 dividing the initial channels (%d)", k, c)
			}
			if w, e := r.Search.Warmup, r.Search.Epochs; e > 0 && w >= e {
				return fmt.Errorf("a warm-up of %d epochs in a run of %d leaves no architecture step: shorten the warm-up (the reference's is 15 of 50 epochs)", w, e)
			}
			return nil
		},
		Build: func(r Recipe) (bilevel.Method[float32], error) {
			if k := int(r.Options["k"]); r.Network.PartialChannels != k || !r.Network.EdgeNormalization {
				return bilevel.Method[float32]{}, fmt.Errorf("the network has partial_channels %d and edge_normalization %v, the method k = %d and edge normalization (resolve the recipe: Spec.Resolve)",
					r.Network.PartialChannels, r.Network.EdgeNormalization, k)
			}
			return bilevel.Method[float32]{Name: PCDARTS}, nil
		},
	})
}
