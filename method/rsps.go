package method

import (
	"context"
	"fmt"

	"github.com/darts-go/darts/bilevel"
	"github.com/darts-go/darts/derive"
	"github.com/darts-go/darts/space"
	"github.com/darts-go/darts/strategy"
	"github.com/darts-go/darts/supernet"
)

// RSPS is the name of random search with weight sharing (Li & Talwalkar,
// UAI 2019).
const RSPS = "rsps"

func init() {
	Register(Spec{
		Name:    RSPS,
		Summary: "random search with weight sharing: one uniformly sampled architecture trained per step, then the best of many sampled",
		Doc: `RSPS, random search with parameter sharing (Li & Talwalkar, UAI 2019): no
architecture parameters are trained. Each step trains the shared weights of one
architecture drawn uniformly from the space (DARTS space: every node two distinct
inputs, each through one of all the primitives, 'none' included; NAS-Bench-201:
one op per edge), running only its ops. The genotype is chosen by scoring sampled
architectures with the shared weights: after the last epoch select_samples of
them, each on select_batches search-val batches, the best select_top of those
scored again on the whole search-val split; after every other epoch
epoch_samples, each on epoch_batches batches (the same batches for every
candidate). The same selection over any trained supernet, and other strategies,
are 'darts select'.

DARTS space: liamcli/randomNAS_release searchers/random_weight_share.py and
benchmarks/cnn/darts/darts_wrapper_discrete.py (argparse defaults: 100 epochs of
batch 64, gradient clip 0.25; SGD 0.025 cosine to 0.001, momentum 0.9, weight
decay 3e-4; C 16, 8 cells; 1000 samples on 10 batches in eval mode, the top 10
on the whole split; of its n_rounds the first round's winner is returned, so one
round here). NAS-Bench-201: AutoDL-Projects exps/NAS-Bench-201-algos/RANDOM-NAS.py
and configs/nas-benchmark/algos/RANDOM.config (250 epochs, Nesterov SGD, weight
decay 5e-4, clip 5; after every epoch 100 samples, each on one search-val batch
of 512, the search cells' BatchNorm without running statistics, BN=0, which its
maintainer found much better than BN=1; AutoDL scores each sample on the next
batch, here all on the same one). The architecture tensors stay at their
initial values (alphas.jsonl records the sampler's marginal probabilities).`,
		Spaces: []string{space.DARTSName, space.NB201Name},
		Options: []Option{
			{Name: "select_samples", Usage: "architectures sampled and scored after the last epoch", Kind: Int},
			{Name: "select_batches", Usage: "search-val batches each of them is scored on", Kind: Int},
			{Name: "select_top", Usage: "best of them scored again on the whole search-val split (0: none)", Kind: Int},
			{Name: "select_batch_size", Usage: "batch size of the scoring (0: the search's)", Kind: Int},
			{Name: "select_bn", Usage: "BatchNorm when scoring: 0 batch statistics, 1 running statistics, 2 re-estimated on 10 search-train batches", Kind: Int},
			{Name: "epoch_samples", Usage: "architectures sampled and scored after every other epoch", Kind: Int},
			{Name: "epoch_batches", Usage: "search-val batches each of them is scored on", Kind: Int},
		},
		Reference: rspsReference,
		// The quick budget scores fewer samples: a few minutes of search
		// should not end with a selection longer than itself.
		Quick: func(r *Recipe) {
			r.Options["select_samples"] = min(r.Options["select_samples"], 200)
			r.Options["select_top"] = min(r.Options["select_top"], 5)
			r.Options["epoch_samples"] = 20
		},
		Build: buildRSPS,
	})
}

func rspsReference(q Query) (Recipe, error) {
	switch q.Space {
	case space.DARTSName:
		s := bilevel.DefaultSettings()
		s.Epochs, s.GradClip = 100, 0.25
		s.ArchWeightDecay = 0 // no architecture step: the tensors keep their values
		return Recipe{
			Source:  "liamcli/randomNAS_release random_weight_share.py, darts_wrapper_discrete.py (argparse defaults)",
			Network: supernet.Config{Space: space.DARTSName, C: 16, Layers: 8, Init: "0.3.1"}.WithDefaults(),
			Search:  s,
			Options: Options{"select_samples": 1000, "select_batches": 10, "select_top": 10, "select_batch_size": 0,
				"select_bn": 1, "epoch_samples": 100, "epoch_batches": 1},
		}, nil
	case space.NB201Name:
		s := NB201Settings(1)
		s.Epochs = 250
		s.ArchWeightDecay = 0
		return Recipe{
			Source:  "AutoDL-Projects exps/NAS-Bench-201-algos/RANDOM-NAS.py, configs/nas-benchmark/algos/RANDOM.config, BN=0",
			Network: supernet.Config{Space: space.NB201Name, C: 16, CellsPerStage: 5, Init: "1.x", NoTrackStats: true}.WithDefaults(),
			Search:  s,
			Options: Options{"select_samples": 100, "select_batches": 1, "select_top": 0, "select_batch_size": 512,
				"select_bn": 0, "epoch_samples": 100, "epoch_batches": 1},
		}, nil
	}
	return Recipe{}, fmt.Errorf("rsps: no recipe for space %q", q.Space)
}

// rspsOptions are RSPS's options, resolved.
type rspsOptions struct {
	selectSamples, selectBatches, selectTop, batchSize, epochSamples, epochBatches int
	bn                                                                             strategy.BN
}

func rspsOptionsOf(r Recipe) (rspsOptions, error) {
	ref, err := rspsReference(Query{Space: r.Network.Space})
	if err != nil {
		return rspsOptions{}, err
	}
	get := func(name string) int {
		if v, ok := r.Options[name]; ok {
			return int(v)
		}
		return int(ref.Options[name])
	}
	o := rspsOptions{selectSamples: get("select_samples"), selectBatches: get("select_batches"), selectTop: get("select_top"),
		batchSize: get("select_batch_size"), epochSamples: get("epoch_samples"), epochBatches: get("epoch_batches")}
	switch get("select_bn") {
	case 0:
		o.bn = strategy.BNBatch
	case 1:
		o.bn = strategy.BNRunning
	case 2:
		o.bn = strategy.BNRecalc
	default:
		return o, fmt.Errorf("select_bn = %d: want 0 (batch statistics), 1 (running statistics) or 2 (re-estimated)", get("select_bn"))
	}
	switch {
	case o.selectSamples < 1:
		return o, fmt.Errorf("select_samples = %d: need at least 1", o.selectSamples)
	case o.epochSamples < 1:
		return o, fmt.Errorf("epoch_samples = %d: need at least 1 (every epoch writes a genotype)", o.epochSamples)
	case o.selectBatches < 1 || o.epochBatches < 1:
		return o, fmt.Errorf("select_batches = %d, epoch_batches = %d: need at least 1", o.selectBatches, o.epochBatches)
	case o.selectTop < 0:
		return o, fmt.Errorf("select_top = %d: need 0 or more", o.selectTop)
	case o.batchSize < 0:
		return o, fmt.Errorf("select_batch_size = %d: need 0 (the search's) or more", o.batchSize)
	}
	return o, nil
}

func buildRSPS(r Recipe) (bilevel.Method[float32], error) {
	o, err := rspsOptionsOf(r)
	if err != nil {
		return bilevel.Method[float32]{}, err
	}
	sp, err := r.Network.WithDefaults().SearchSpace()
	if err != nil {
		return bilevel.Method[float32]{}, err
	}
	enc, err := strategy.NewEncoding(sp)
	if err != nil {
		return bilevel.Method[float32]{}, err
	}
	return bilevel.Method[float32]{
		Name:  RSPS,
		Relax: strategy.Uniform[float32]{Enc: enc},
		Arch:  strategy.NoArch[float32]{},
		Rule:  derive.DefaultRule(sp.Name),
		Select: func(s *bilevel.Search[float32]) (derive.Genotype, error) {
			return RSPSSelect(s, o.settings(s))
		},
	}, nil
}

// settings are the selection after the epoch s has just finished: the
// final one after the last epoch.
func (o rspsOptions) settings(s *bilevel.Search[float32]) strategy.Settings {
	st := strategy.DefaultSettings(strategy.RandomName)
	st.Seed = RSPSSeed(s.S.Seed, s.Epoch)
	st.Budget, st.Rescore, st.Score.Batches = o.epochSamples, 0, o.epochBatches
	if s.Done() {
		st.Budget, st.Rescore, st.Score.Batches = o.selectSamples, o.selectTop, o.selectBatches
	}
	st.Score.BatchSize = o.batchSize
	if st.Score.BatchSize == 0 {
		st.Score.BatchSize = s.S.BatchSize
	}
	st.Score.BatchSize = min(st.Score.BatchSize, s.Data.Val.Len())
	st.Score.Batches = min(st.Score.Batches, s.Data.Val.NumBatches(st.Score.BatchSize, false))
	st.Score.BN = o.bn
	st.Score.Seed = st.Seed
	return st
}

// RSPSSeed is the seed of RSPS's selection after epoch epochs (from 1) of
// a search seeded seed: the seed of 'darts select --strategy random' that
// repeats it.
func RSPSSeed(seed uint64, epochs int) uint64 { return seed + uint64(epochs) }

// RSPSSelect is RSPS's selection on the search's supernet: random search
// with the settings st, scored by a scorer of its own (the search's state
// is left as it was).
func RSPSSelect(s *bilevel.Search[float32], st strategy.Settings) (derive.Genotype, error) {
	sc, err := strategy.NewScorer(s.Net, s.Data, st.Score)
	if err != nil {
		return derive.Genotype{}, fmt.Errorf("rsps selection: %w", err)
	}
	defer sc.Close()
	res, err := strategy.Select(context.Background(), sc, st)
	if err != nil {
		return derive.Genotype{}, fmt.Errorf("rsps selection: %w", err)
	}
	return res.Genotype, nil
}
