package projection

import (
	"context"
	"fmt"
	"math"

	"github.com/darts-go/darts/bilevel"
	"github.com/darts-go/darts/datasets"
	"github.com/darts-go/darts/relax"
	"github.com/darts-go/darts/rundir"
)

// Network is the Tuner of a bilevel search whose method's relaxation is
// Relaxation(inner, p) for the selection's Projection p: its probes
// evaluate the whole search-val split with BatchNorm on batch statistics
// (darts-pt's infer(_eval=False): the network in train mode, no step
// taken), and its tuning epochs are the search's epochs.
type Network[T bilevel.Float] struct {
	S *bilevel.Search[T]
	// OnStep, if set, sees every tuning step.
	OnStep func(bilevel.StepInfo)
	// Metrics are the tuning epochs' metrics, in order.
	Metrics []rundir.Metrics
}

// Alphas implements Tuner.
func (n *Network[T]) Alphas() map[string][][]float64 {
	out := map[string][][]float64{}
	for _, t := range n.S.Alphas(n.S.Epoch).Tensors {
		out[t.Name] = t.Alpha
	}
	return out
}

// Evaluate implements Tuner. Every probe of one decision round sees the
// same batches (the split's order and augmentation keyed by the round).
// It checks that the network's relaxation gives the weights w the
// selection expects.
func (n *Network[T]) Evaluate(ctx context.Context, round int, w map[string][][]float64) (acc, loss float64, err error) {
	s := n.S
	for _, t := range s.Alphas(s.Epoch).Tensors {
		if want, ok := w[t.Name]; ok {
			for e := range want {
				for k := range want[e] {
					if math.Abs(t.Weights[e][k]-want[e][k]) > 1e-9 {
						return 0, 0, fmt.Errorf("projection: the network's relaxation (%s) gives %s[%d][%d] = %g, the selection %g: is it this package's Relaxation around the selection's Projection?",
							s.Net.Relax.Name(), t.Name, e, k, t.Weights[e][k], want[e][k])
					}
				}
			}
		}
	}
	aug := datasets.Augment{}
	if s.Data.Info.Shape[0] == 3 {
		aug = datasets.Augment{Crop: true, Flip: true}
	}
	it := s.Data.Val.Batches(s.S.BatchSize, round, s.S.Seed+3, false, aug, false)
	var b datasets.Batch
	var sum float64
	var correct, seen int
	for it.Next(&b) {
		if err := ctx.Err(); err != nil {
			return 0, 0, err
		}
		r, err := s.Runner(b.N, true)
		if err != nil {
			return 0, 0, err
		}
		*s.Net.Pass = relax.Pass{Seed: s.S.Seed, Epoch: s.Epoch, Epochs: s.S.Epochs, Step: round, Phase: relax.PhaseEval}
		r.SetWeightGrads(false)
		res, err := r.Run(b.X, b.Y)
		r.SetWeightGrads(true)
		if err != nil {
			return 0, 0, fmt.Errorf("probe of round %d: %w", round, err)
		}
		if math.IsNaN(res.Loss) || math.IsInf(res.Loss, 0) {
			return 0, 0, fmt.Errorf("probe of round %d: loss %g", round, res.Loss)
		}
		sum += res.Loss * float64(b.N)
		correct += res.Correct
		seen += b.N
	}
	if seen == 0 {
		return 0, 0, fmt.Errorf("probe: search-val is empty")
	}
	return float64(correct) / float64(seen), sum / float64(seen), nil
}

// TuneEpoch implements Tuner: the rest of the search's epoch ep.
func (n *Network[T]) TuneEpoch(ctx context.Context, ep int) error {
	if n.S.Epoch != ep {
		return fmt.Errorf("projection: tuning epoch %d, but the search is at epoch %d", ep, n.S.Epoch)
	}
	m, err := n.S.RunEpoch(ctx, n.OnStep)
	if err != nil {
		return err
	}
	n.Metrics = append(n.Metrics, m)
	return nil
}
