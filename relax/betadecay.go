package relax

import (
	"math"

	"github.com/darts-go/darts/mixedop"
	"github.com/darts-go/darts/space"
)

// BetaDecay is β-DARTS's relaxation (Ye et al., CVPR 2022;
// Sunshine-Ye/Beta-DARTS optimizers/darts/architect.py): DARTS's softmax,
// and the Beta-Decay regularizer λ_e·R(α) added to the architecture
// objective, R(α) = the mean over edges of logsumexp_k α_{e,k} (mlc_loss),
// whose gradient softmax(α)/#edges pulls every logit down in proportion to
// its weight. λ_e = Weight·e/RampEpochs at 0-based epoch e, growing
// linearly without a cap (the reference: 50·e/100 with the 100 hard-coded).
// The edges are every row of every architecture tensor: NAS-Bench-201's
// one (6, 5) tensor as in the reference, the 28 rows of α_normal and
// α_reduce together on the DARTS space.
type BetaDecay[T Float] struct {
	Weight     float64 `json:"weight"`
	RampEpochs float64 `json:"ramp_epochs"`
}

// Name implements Relaxation.
func (BetaDecay[T]) Name() string { return "softmax+beta-decay" }

// Block implements Relaxation: DARTS's softmax.
func (BetaDecay[T]) Block(t space.Tensor, p *Pass) mixedop.Block[T] { return Softmax[T]{}.Block(t, p) }

// Weights implements Relaxation: softmax(α) per row.
func (BetaDecay[T]) Weights(_ space.Tensor, alpha [][]float64) [][]float64 {
	return SoftmaxRows(alpha)
}

// Lambda is the weight of the regularizer in epoch (0-based) e.
func (b BetaDecay[T]) Lambda(e int) float64 {
	if b.RampEpochs <= 0 {
		return 0
	}
	return b.Weight * float64(e) / b.RampEpochs
}

// Regularize implements Regularizer: λ_e·BetaDecayLoss at the pass's epoch.
func (b BetaDecay[T]) Regularize(ts []Term, p Pass) float64 {
	return BetaDecayLoss(ts, b.Lambda(p.Epoch))
}

// BetaDecayLoss returns w·R with R the mean over every row of every term of
// logsumexp of the row, and adds its gradient, w·softmax(row)/rows, to
// the terms' Grad. Rows are computed stably (max subtracted).
func BetaDecayLoss(ts []Term, w float64) float64 {
	rows := 0
	for _, t := range ts {
		rows += t.Rows
	}
	if rows == 0 {
		return 0
	}
	var sum float64
	for _, t := range ts {
		for r := 0; r < t.Rows; r++ {
			row := t.Value[r*t.Cols : (r+1)*t.Cols]
			m := math.Inf(-1)
			for _, a := range row {
				m = math.Max(m, a)
			}
			var z float64
			for _, a := range row {
				z += math.Exp(a - m)
			}
			sum += m + math.Log(z)
			if w == 0 {
				continue
			}
			for j, a := range row {
				t.Grad[r*t.Cols+j] += w * math.Exp(a-m) / z / float64(rows)
			}
		}
	}
	return w * sum / float64(rows)
}
