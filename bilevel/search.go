package bilevel

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/darts-go/darts/datasets"
	"github.com/darts-go/darts/derive"
	"github.com/darts-go/darts/mixedop"
	"github.com/darts-go/darts/optim"
	"github.com/darts-go/darts/relax"
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
	ArchLR          float64 `json:"arch_learning_rate"` // architecture tensors: Adam
	ArchBeta1       float64 `json:"arch_beta1"`
	ArchBeta2       float64 `json:"arch_beta2"`
	ArchWeightDecay float64 `json:"arch_weight_decay"`
	Order           int     `json:"order"` // 1: first-order DARTS; 2: unrolled
	// Warmup is the number of first epochs that train the weights only
	// (no architecture step): 0 for DARTS, 15 for PC-DARTS.
	Warmup int    `json:"warmup_epochs"`
	Seed   uint64 `json:"seed"`
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
	case s.Warmup < 0:
		return fmt.Errorf("warm-up %d epochs: need 0 or more", s.Warmup)
	}
	return nil
}

// Method is what a gradient-based NAS method plugs into a search: how the
// architecture tensors weight the edges (Relax, set on the network),
// how an architecture step estimates their gradient (Arch) and how a
// genotype is derived from them (Rule). The zero Method is DARTS: softmax,
// first or second order by Settings.Order, the DARTS rule.
type Method[T Float] struct {
	Name  string              // recorded in checkpoints; "darts" if empty
	Relax relax.Relaxation[T] // nil: the network's (softmax by default)
	Arch  ArchStep[T]         // nil: FirstOrder or SecondOrder by Settings.Order
	Rule  derive.Rule         // nil: derive.DARTSRule
}

// Search is a search in progress: the network, the data, both optimizers,
// the method and the position (epoch, step). RunEpoch advances it; Save and
// Load checkpoint it.
type Search[T Float] struct {
	Net    *supernet.Network[T]
	Data   *datasets.Splits
	S      Settings
	Method Method[T]

	Epoch int // epoch in progress (0-based)
	Step  int // steps of Epoch done

	weights []*mixedop.Param[T]
	arch    []*mixedop.Param[T]
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

// NewSearch prepares a search of net on data with method m (the zero
// Method is DARTS as Settings.Order says).
func NewSearch[T Float](net *supernet.Network[T], data *datasets.Splits, s Settings, m Method[T]) (*Search[T], error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if n := data.Train.NumBatches(s.BatchSize, true); n == 0 {
		return nil, fmt.Errorf("search-train has %d examples, fewer than one batch of %d", data.Train.Len(), s.BatchSize)
	}
	if n := data.Val.NumBatches(s.BatchSize, true); n == 0 {
		return nil, fmt.Errorf("search-val has %d examples, fewer than one batch of %d", data.Val.Len(), s.BatchSize)
	}
	if m.Name == "" {
		m.Name = "darts"
	}
	if m.Relax != nil {
		net.Relax = m.Relax
	}
	m.Relax = net.Relax
	if m.Arch == nil {
		if s.Order == 2 {
			m.Arch = &SecondOrder[T]{}
		} else {
			m.Arch = FirstOrder[T]{}
		}
	}
	if m.Rule == nil {
		m.Rule = derive.DARTSRule
	}
	sr := &Search[T]{Net: net, Data: data, S: s, Method: m, weights: net.Weights(), arch: net.ArchParams()}
	if err := optim.CheckParams(sr.weights); err != nil {
		return nil, err
	}
	sr.wOpt = optim.NewSGD(sr.weights, s.LR, s.Momentum, s.WeightDecay)
	sr.aOpt = optim.NewAdam(sr.arch, s.ArchLR, s.ArchBeta1, s.ArchBeta2, 1e-8, s.ArchWeightDecay)
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

// pass is the relax.Pass of the step in progress in the given phase.
func (s *Search[T]) pass(phase relax.Phase, sub int) relax.Pass {
	return relax.Pass{Seed: s.S.Seed, Epoch: s.Epoch, Epochs: s.S.Epochs, Step: s.Step, Phase: phase, Sub: sub}
}

// run feeds a batch through a runner in a pass and checks the loss.
func (s *Search[T]) run(r *supernet.Runner[T], b *datasets.Batch, p relax.Pass, what string) (supernet.Result, error) {
	*s.Net.Pass = p
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
		if s.Epoch >= s.S.Warmup {
			if err := s.archStep(&s.tb, &s.vb); err != nil {
				return rundir.Metrics{}, err
			}
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
// dL_val/dα (the method's ArchStep), the relaxation's regularizer if it has
// one, and an Adam step on the architecture tensors alone.
func (s *Search[T]) archStep(train, val *datasets.Batch) error {
	if err := s.Method.Arch.ArchGrad(s.stepContext(train, val)); err != nil {
		return err
	}
	if r, ok := s.Net.Relax.(relax.Regularizer); ok {
		s.regularize(r)
	}
	for _, a := range s.arch {
		if !optim.AllFinite(a.Grad) {
			return &NonFiniteError{s.Epoch, s.Step, "gradient of " + a.Name}
		}
	}
	s.aOpt.Step()
	return nil
}

// regularize adds the gradient of the relaxation's regularizer to the
// architecture gradients.
func (s *Search[T]) regularize(r relax.Regularizer) {
	terms := make([]relax.Term, len(s.Net.Arch()))
	for i, a := range s.Net.Arch() {
		t := relax.Term{Tensor: a.Tensor, Rows: a.Rows, Cols: a.Cols, Value: make([]float64, len(a.Param.Value)), Grad: make([]float64, len(a.Param.Value))}
		for j, v := range a.Param.Value {
			t.Value[j] = float64(v)
		}
		terms[i] = t
	}
	r.Regularize(terms, s.pass(relax.PhaseArch, 0))
	for i, a := range s.Net.Arch() {
		for j, g := range terms[i].Grad {
			a.Param.Grad[j] = T(float64(a.Param.Grad[j]) + g)
		}
	}
}

// weightStep is the weight step: the training loss at the new alphas, its
// gradient clipped to GradClip, and an SGD step on the weights alone.
func (s *Search[T]) weightStep(train *datasets.Batch) (supernet.Result, error) {
	res, err := s.run(s.train, train, s.pass(relax.PhaseWeight, 0), "weight step")
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
		*s.Net.Pass = s.pass(relax.PhaseEval, 0)
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

// Alphas returns the architecture tensors and their weights (the
// relaxation's deterministic ones), as a line of alphas.jsonl for the given
// epoch.
func (s *Search[T]) Alphas(epoch int) rundir.Alphas {
	sp := s.Net.Space
	a := rundir.Alphas{Epoch: epoch, Space: sp, Rule: s.Method.Rule.Name(), Primitives: append([]string(nil), sp.Ops...)}
	for _, t := range s.Net.Arch() {
		rows := make([][]float64, t.Rows)
		for r := range rows {
			rows[r] = make([]float64, t.Cols)
			for j := range rows[r] {
				rows[r][j] = float64(t.Param.Value[r*t.Cols+j])
			}
		}
		ct, _ := sp.CellType(t.Tensor.Cell)
		a.Tensors = append(a.Tensors, rundir.TensorAlphas{Name: t.Tensor.Name, Param: t.Tensor.Param, Cell: t.Tensor.Cell,
			Rows: rundir.EdgeRows(ct.Cell), Cols: append([]string(nil), t.Tensor.Cols...), Alpha: rows,
			Weights: s.Net.Relax.Weights(t.Tensor, rows)})
	}
	return a
}

// Genotype derives the genotype of the current architecture tensors with
// the method's rule.
func (s *Search[T]) Genotype() (derive.Genotype, error) {
	a := s.Alphas(s.Epoch)
	return derive.Derive(a.Space, s.Method.Rule, a.CellWeights())
}

// Close releases the graphs.
func (s *Search[T]) Close() error {
	return errors.Join(s.train.Close(), s.eval.Close())
}
