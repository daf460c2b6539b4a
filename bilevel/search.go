package bilevel

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/darts-go/darts/datasets"
	"github.com/darts-go/darts/mixedop"
	"github.com/darts-go/darts/optim"
	"github.com/darts-go/darts/rundir"
	"github.com/darts-go/darts/supernet"
)

// Settings are the hyperparameters of a search, with DARTS's values from
// DefaultSettings.
type Settings struct {
	Epochs          int     `json:"epochs"`
	BatchSize       int     `json:"batch_size"`
	LR              float64 `json:"learning_rate"`     // weights: SGD, cosine from LR …
	LRMin           float64 `json:"learning_rate_min"` // … to LRMin
	Momentum        float64 `json:"momentum"`
	WeightDecay     float64 `json:"weight_decay"`
	GradClip        float64 `json:"grad_clip"`          // global 2-norm of the weight gradient
	ArchLR          float64 `json:"arch_learning_rate"` // alphas: Adam
	ArchBeta1       float64 `json:"arch_beta1"`
	ArchBeta2       float64 `json:"arch_beta2"`
	ArchWeightDecay float64 `json:"arch_weight_decay"`
	Order           int     `json:"order"` // 1: first-order DARTS; 2: unrolled
	Seed            uint64  `json:"seed"`
	// EvalLimit caps the search-val examples evaluated after each epoch
	// (0: all of them).
	EvalLimit int `json:"eval_limit"`
}

// DefaultSettings are the values of the original train_search.py.
func DefaultSettings() Settings {
	return Settings{Epochs: 50, BatchSize: 64, LR: 0.025, LRMin: 0.001, Momentum: 0.9, WeightDecay: 3e-4,
		GradClip: 5, ArchLR: 3e-4, ArchBeta1: 0.5, ArchBeta2: 0.999, ArchWeightDecay: 1e-3, Order: 1, Seed: 2}
}

// Validate reports the first unusable setting.
func (s Settings) Validate() error {
	switch {
	case s.Epochs < 1:
		return fmt.Errorf("epochs %d: need at least 1", s.Epochs)
	case s.BatchSize < 1:
		return fmt.Errorf("batch size %d: need at least 1", s.BatchSize)
	case !(s.LR > 0) || s.LRMin < 0 || s.LRMin > s.LR:
		return fmt.Errorf("learning rate %g → %g: need 0 ≤ min ≤ max, max > 0", s.LR, s.LRMin)
	case s.Order != 1 && s.Order != 2:
		return fmt.Errorf("order %d: need 1 or 2", s.Order)
	}
	return nil
}

// ArchGradient puts an estimate of dL_val/dα into the alphas' Grad, given
// a search-train and a search-val batch: the pluggable part of an
// architecture step (first order, second order, later methods).
type ArchGradient[T Float] interface {
	ArchGrad(s *Search[T], train, val *datasets.Batch) error
}

// FirstOrder is first-order DARTS: the gradient of the validation loss at
// the current weights.
type FirstOrder[T Float] struct{}

// ArchGrad implements ArchGradient.
func (FirstOrder[T]) ArchGrad(s *Search[T], _, val *datasets.Batch) error {
	s.train.SetWeightGrads(false) // only dα is needed
	defer s.train.SetWeightGrads(true)
	_, err := s.run(s.train, val, "architecture step")
	return err
}

// Search is a DARTS search in progress: the network, the data, both
// optimizers and the position (epoch, step). RunEpoch advances it; Save and
// Load checkpoint it.
type Search[T Float] struct {
	Net  *supernet.Network[T]
	Data *datasets.Splits
	S    Settings
	Arch ArchGradient[T]

	Epoch int // epoch in progress (0-based)
	Step  int // steps of Epoch done

	weights []*mixedop.Param[T]
	alphas  []*mixedop.Param[T]
	wOpt    *optim.SGD[T]
	aOpt    *optim.Adam[T]
	train   *supernet.Runner[T]
	eval    *supernet.Runner[T]
	acc     accum
	tb, vb  datasets.Batch
}

// accum sums the training metrics of the epoch in progress.
type accum struct {
	Loss    float64 `json:"loss"`
	Correct int     `json:"correct"`
	Seen    int     `json:"seen"`
	Seconds float64 `json:"seconds"`
}

// NewSearch prepares a search of net on data.
func NewSearch[T Float](net *supernet.Network[T], data *datasets.Splits, s Settings) (*Search[T], error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if n := data.Train.NumBatches(s.BatchSize, true); n == 0 {
		return nil, fmt.Errorf("search-train has %d examples, fewer than one batch of %d", data.Train.Len(), s.BatchSize)
	}
	if n := data.Val.NumBatches(s.BatchSize, true); n == 0 {
		return nil, fmt.Errorf("search-val has %d examples, fewer than one batch of %d", data.Val.Len(), s.BatchSize)
	}
	sr := &Search[T]{Net: net, Data: data, S: s, weights: net.Weights(), alphas: net.Alphas()}
	if s.Order == 2 {
		sr.Arch = &SecondOrder[T]{}
	} else {
		sr.Arch = FirstOrder[T]{}
	}
	if err := optim.CheckParams(sr.weights); err != nil {
		return nil, err
	}
	sr.wOpt = optim.NewSGD(sr.weights, s.LR, s.Momentum, s.WeightDecay)
	sr.aOpt = optim.NewAdam(sr.alphas, s.ArchLR, s.ArchBeta1, s.ArchBeta2, 1e-8, s.ArchWeightDecay)
	var err error
	if sr.train, err = net.NewRunner(s.BatchSize, true); err != nil {
		return nil, err
	}
	if sr.eval, err = net.NewRunner(s.BatchSize, false); err != nil {
		return nil, err
	}
	return sr, nil
}

// StepsPerEpoch is the number of search steps in an epoch: one per full
// search-train batch, each paired with a search-val batch.
func (s *Search[T]) StepsPerEpoch() int {
	return min(s.Data.Train.NumBatches(s.S.BatchSize, true), s.Data.Val.NumBatches(s.S.BatchSize, true))
}

// Done reports whether every epoch has run.
func (s *Search[T]) Done() bool { return s.Epoch >= s.S.Epochs }

// LR is the weight learning rate of the epoch in progress.
func (s *Search[T]) LR() float64 { return optim.DARTSEpochLR(s.S.LR, s.S.LRMin, s.Epoch, s.S.Epochs) }

// NonFiniteError reports a NaN or Inf loss or gradient. The search in
// memory may be half-way through the failing step; the last checkpoint on
// disk is untouched, and the run resumes from it.
type NonFiniteError struct {
	Epoch, Step int
	What        string
}

func (e *NonFiniteError) Error() string {
	return fmt.Sprintf("epoch %d step %d: %s is not finite", e.Epoch, e.Step, e.What)
}

// run feeds a batch through a training runner and checks the loss.
func (s *Search[T]) run(r *supernet.Runner[T], b *datasets.Batch, what string) (supernet.Result, error) {
	res, err := r.Run(b.X, b.Y)
	if err != nil {
		return res, fmt.Errorf("%s: %w", what, err)
	}
	if math.IsNaN(res.Loss) || math.IsInf(res.Loss, 0) {
		return res, &NonFiniteError{s.Epoch, s.Step, what + " loss"}
	}
	return res, nil
}

// StepInfo is reported after each search step.
type StepInfo struct {
	Epoch, Step, Steps int
	Loss, Acc          float64 // running means over the epoch's weight steps
}

// RunEpoch runs the remaining steps of the epoch in progress, evaluates on
// search-val and returns the epoch's metrics, then moves to the next epoch.
// If ctx is cancelled it returns ctx's error after the current step, with
// the search at a step boundary (Save then resumes from there).
func (s *Search[T]) RunEpoch(ctx context.Context, onStep func(StepInfo)) (rundir.Metrics, error) {
	if s.Done() {
		return rundir.Metrics{}, errors.New("search already finished")
	}
	steps := s.StepsPerEpoch()
	lr := s.LR()
	s.wOpt.LR = lr
	aug := datasets.Augment{}
	if s.Data.Info.Shape[0] == 3 {
		aug = datasets.Augment{Crop: true, Flip: true}
	}
	ti := s.Data.Train.Batches(s.S.BatchSize, s.Epoch, s.S.Seed, true, aug, true)
	vi := s.Data.Val.Batches(s.S.BatchSize, s.Epoch, s.S.Seed+1, true, aug, true)
	ti.Skip(s.Step)
	vi.Skip(s.Step)
	for s.Step < steps {
		if err := ctx.Err(); err != nil {
			return rundir.Metrics{}, err
		}
		start := time.Now()
		if !ti.Next(&s.tb) || !vi.Next(&s.vb) {
			return rundir.Metrics{}, fmt.Errorf("epoch %d: data ran out at step %d of %d", s.Epoch, s.Step, steps)
		}
		if err := s.archStep(&s.tb, &s.vb); err != nil {
			return rundir.Metrics{}, err
		}
		res, err := s.weightStep(&s.tb)
		if err != nil {
			return rundir.Metrics{}, err
		}
		s.Step++
		s.acc.Loss += res.Loss * float64(s.tb.N)
		s.acc.Correct += res.Correct
		s.acc.Seen += s.tb.N
		s.acc.Seconds += time.Since(start).Seconds()
		if onStep != nil {
			onStep(StepInfo{s.Epoch, s.Step, steps, s.acc.Loss / float64(s.acc.Seen), float64(s.acc.Correct) / float64(s.acc.Seen)})
		}
	}
	start := time.Now()
	vl, va, err := s.Evaluate(s.Data.Val, s.S.EvalLimit)
	if err != nil {
		return rundir.Metrics{}, err
	}
	m := rundir.Metrics{Epoch: s.Epoch + 1, TrainLoss: s.acc.Loss / float64(s.acc.Seen),
		TrainAcc: float64(s.acc.Correct) / float64(s.acc.Seen), ValLoss: vl, ValAcc: va, LR: lr,
		Seconds: s.acc.Seconds + time.Since(start).Seconds()}
	s.Epoch++
	s.Step = 0
	s.acc = accum{}
	return m, nil
}

// archStep is the architecture step of train_search.py: an estimate of
// dL_val/dα (s.Arch) and an Adam step on the alphas alone.
func (s *Search[T]) archStep(train, val *datasets.Batch) error {
	if err := s.Arch.ArchGrad(s, train, val); err != nil {
		return err
	}
	for _, a := range s.alphas {
		if !optim.AllFinite(a.Grad) {
			return &NonFiniteError{s.Epoch, s.Step, "gradient of " + a.Name}
		}
	}
	s.aOpt.Step()
	return nil
}

// weightStep is the weight step: the training loss at the new alphas, its
// gradient clipped to GradClip, and an SGD step on the weights alone.
func (s *Search[T]) weightStep(train *datasets.Batch) (supernet.Result, error) {
	res, err := s.run(s.train, train, "weight step")
	if err != nil {
		return res, err
	}
	if n := optim.GradNorm(s.weights); math.IsNaN(n) || math.IsInf(n, 0) {
		return res, &NonFiniteError{s.Epoch, s.Step, "weight gradient norm"}
	}
	optim.ClipGradNorm(s.weights, s.S.GradClip)
	s.wOpt.Step()
	return res, nil
}

// Evaluate runs the network in eval mode (BatchNorm running statistics)
// over the full batches of set, at most limit examples (0: all), and returns
// the mean loss and the accuracy.
func (s *Search[T]) Evaluate(set *datasets.Set, limit int) (loss, acc float64, err error) {
	it := set.Batches(s.S.BatchSize, 0, 0, false, datasets.Augment{}, true)
	var b datasets.Batch
	var sum float64
	var correct, seen int
	for it.Next(&b) {
		if limit > 0 && seen >= limit {
			break
		}
		res, err := s.eval.Run(b.X, b.Y)
		if err != nil {
			return 0, 0, fmt.Errorf("evaluation: %w", err)
		}
		sum += res.Loss * float64(b.N)
		correct += res.Correct
		seen += b.N
	}
	if seen == 0 {
		return 0, 0, fmt.Errorf("evaluation: no full batch of %d", s.S.BatchSize)
	}
	return sum / float64(seen), float64(correct) / float64(seen), nil
}

// Alphas returns the architecture parameters and their softmax weights, as
// a line of alphas.jsonl for the given epoch.
func (s *Search[T]) Alphas(epoch int) rundir.Alphas {
	cell := func(p *mixedop.Param[T]) rundir.CellAlphas {
		k := len(s.Net.Cfg.Primitives)
		var c rundir.CellAlphas
		for r := 0; r*k < len(p.Value); r++ {
			row := make([]float64, k)
			w := make([]float64, k)
			mx := math.Inf(-1)
			for j := range row {
				row[j] = float64(p.Value[r*k+j])
				mx = math.Max(mx, row[j])
			}
			var sum float64
			for j := range row {
				w[j] = math.Exp(row[j] - mx)
				sum += w[j]
			}
			for j := range w {
				w[j] /= sum
			}
			c.Alpha = append(c.Alpha, row)
			c.Weights = append(c.Weights, w)
		}
		return c
	}
	return rundir.Alphas{Epoch: epoch, Primitives: append([]string(nil), s.Net.Cfg.Primitives...),
		Normal: cell(s.Net.AlphaNormal), Reduce: cell(s.Net.AlphaReduce)}
}

// Close releases the graphs.
func (s *Search[T]) Close() error {
	return errors.Join(s.train.Close(), s.eval.Close())
}
