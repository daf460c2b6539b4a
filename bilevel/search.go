package bilevel

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/darts-go/darts/datasets"
	"github.com/darts-go/darts/derive"
	"github.com/darts-go/darts/internal/tally"
	"github.com/darts-go/darts/mixedop"
	"github.com/darts-go/darts/optim"
	"github.com/darts-go/darts/relax"
	"github.com/darts-go/darts/rundir"
	"github.com/darts-go/darts/supernet"
)

// Settings are the hyperparameters of a search, with DARTS's values from
// DefaultSettings.
type Settings struct {
	Epochs    int     `json:"epochs"`
	BatchSize int     `json:"batch_size"`
	LR        float64 `json:"learning_rate"`     // weights: SGD, cosine from LR …
	LRMin     float64 `json:"learning_rate_min"` // … to LRMin
	Momentum  float64 `json:"momentum"`
	// Nesterov uses Nesterov momentum in the weight step (AutoDL-Projects'
	// NAS-Bench-201 searches); DARTS's is plain momentum.
	Nesterov    bool    `json:"nesterov,omitempty"`
	WeightDecay float64 `json:"weight_decay"`
	GradClip    float64 `json:"grad_clip"` // global 2-norm of the weight gradient
	// ClipWithArch counts the architecture tensors' gradients in the norm
	// GradClip bounds, as AutoDL-Projects' clip_grad_norm_(
	// network.parameters(), 5) does: its α.grad then holds the last
	// architecture step's gradient plus the weight step's own dL/dα
	// (nothing zeroes it in between). quark0/darts clips the weights only.
	ClipWithArch bool `json:"clip_with_arch,omitempty"`
	// WeightFirst takes each step's weight step before its architecture
	// step (AutoDL-Projects' DARTS-V1, GDAS); DARTS's train_search.py
	// takes the architecture step first.
	WeightFirst     bool    `json:"weight_first,omitempty"`
	ArchLR          float64 `json:"arch_learning_rate"` // architecture tensors: Adam
	ArchBeta1       float64 `json:"arch_beta1"`
	ArchBeta2       float64 `json:"arch_beta2"`
	ArchWeightDecay float64 `json:"arch_weight_decay"`
	// ArchAdam is the PyTorch version whose Adam arithmetic the
	// architecture optimizer follows: 0.3.1 for DARTS (what its published
	// runs used), 1.x for methods whose reference code ran PyTorch ≥ 1.0.
	ArchAdam optim.AdamVariant `json:"arch_adam"`
	Order    int               `json:"order"` // 1: first-order DARTS; 2: unrolled
	// Warmup is the number of first epochs that train the weights only
	// (no architecture step): 0 for DARTS, 15 for PC-DARTS.
	Warmup int    `json:"warmup_epochs"`
	Seed   uint64 `json:"seed"`
	// EvalLimit caps the search-val examples evaluated after each epoch:
	// at most EvalLimit (0: all of them, as DARTS's infer(valid_queue)).
	EvalLimit int `json:"eval_limit"`
}

// DefaultSettings are the values of the original train_search.py.
func DefaultSettings() Settings {
	return Settings{Epochs: 50, BatchSize: 64, LR: 0.025, LRMin: 0.001, Momentum: 0.9, WeightDecay: 3e-4,
		GradClip: 5, ArchLR: 3e-4, ArchBeta1: 0.5, ArchBeta2: 0.999, ArchWeightDecay: 1e-3, Order: 1, Seed: 2}
}

// Validate reports the first unusable setting, naming it: every field has
// a range (a zero GradClip would zero every gradient, a β of 1 divides by
// zero), so a Settings filled by hand cannot fail silently.
func (s Settings) Validate() error {
	fraction := func(x float64) bool { return x >= 0 && x < 1 }
	switch {
	case s.Epochs < 1:
		return fmt.Errorf("epochs %d: need at least 1", s.Epochs)
	case s.BatchSize < 1:
		return fmt.Errorf("batch size %d: need at least 1", s.BatchSize)
	case !(s.LR > 0) || !(s.LRMin >= 0) || s.LRMin > s.LR || math.IsInf(s.LR, 0):
		return fmt.Errorf("learning rate %g → %g: need 0 ≤ min ≤ max, max > 0", s.LR, s.LRMin)
	case !fraction(s.Momentum):
		return fmt.Errorf("momentum %g: need 0 ≤ momentum < 1", s.Momentum)
	case s.Nesterov && s.Momentum == 0:
		return fmt.Errorf("nesterov: needs a momentum above 0 (as torch.optim.SGD)")
	case !(s.WeightDecay >= 0) || math.IsInf(s.WeightDecay, 0):
		return fmt.Errorf("weight decay %g: need 0 or more", s.WeightDecay)
	case !(s.GradClip > 0):
		return fmt.Errorf("gradient clip %g: need a positive norm (a zero one would zero every gradient)", s.GradClip)
	case !(s.ArchLR > 0) || math.IsInf(s.ArchLR, 0):
		return fmt.Errorf("architecture learning rate %g: need more than 0", s.ArchLR)
	case !fraction(s.ArchBeta1) || !fraction(s.ArchBeta2):
		return fmt.Errorf("architecture Adam betas (%g, %g): need each in [0, 1)", s.ArchBeta1, s.ArchBeta2)
	case !(s.ArchWeightDecay >= 0) || math.IsInf(s.ArchWeightDecay, 0):
		return fmt.Errorf("architecture weight decay %g: need 0 or more", s.ArchWeightDecay)
	case s.ArchAdam != optim.Adam031 && s.ArchAdam != optim.Adam1:
		return fmt.Errorf("architecture Adam variant %d: need 0.3.1 or 1.x", s.ArchAdam)
	case s.Order != 1 && s.Order != 2:
		return fmt.Errorf("order %d: need 1 or 2", s.Order)
	case s.Warmup < 0:
		return fmt.Errorf("warm-up %d epochs: need 0 or more", s.Warmup)
	case s.EvalLimit < 0:
		return fmt.Errorf("eval limit %d: need 0 (all) or more", s.EvalLimit)
	}
	return nil
}

// Method is what a gradient-based NAS method plugs into a search: how the
// architecture tensors weight the edges (Relax, set on the network),
// how an architecture step estimates their gradient (Arch) and how a
// genotype is derived from them (Rule). The zero Method is DARTS: softmax,
// first or second order by Settings.Order, the space's rule (DARTS's, or
// the argmax of each edge on NAS-Bench-201: derive.DefaultRule).
type Method[T Float] struct {
	Name  string              // recorded in checkpoints; "darts" if empty
	Relax relax.Relaxation[T] // nil: the network's (softmax by default)
	Arch  ArchStep[T]         // nil: FirstOrder or SecondOrder by Settings.Order
	Rule  derive.Rule         // nil: the space's (derive.DefaultRule)
	// Select, if set, chooses the genotype (Genotype, after every epoch)
	// instead of Rule: RSPS scores sampled architectures with the trained
	// weights, its architecture tensors being unused. It must leave the
	// search's state as it found it.
	Select func(s *Search[T]) (derive.Genotype, error)
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
	arch    []*mixedop.Param[T] // the architecture tensors some cell reads
	// archAcc, with Settings.ClipWithArch, is what PyTorch's α.grad holds
	// at the weight step's clip: the last architecture gradient plus the
	// weight steps' dL/dα since (checkpointed as "archgrad/<name>").
	archAcc []*mixedop.Param[T]
	clipSet []*mixedop.Param[T] // what the weight step's clip bounds
	wOpt    *optim.SGD[T]
	aOpt    *optim.Adam[T]
	runners map[runnerKey]*supernet.Runner[T]
	acc     tally.Sums
	tb, vb  datasets.Batch
}

// runnerKey names a runner: gorgonia bakes the batch size into a graph, so
// the last, partial batch of an epoch runs on a graph of its own.
type runnerKey struct {
	batch int
	train bool
}

// NewSearch prepares a search of net on data with method m (the zero
// Method is DARTS as Settings.Order says).
func NewSearch[T Float](net *supernet.Network[T], data *datasets.Splits, s Settings, m Method[T]) (*Search[T], error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if data.Train.Len() == 0 {
		return nil, fmt.Errorf("search-train is empty")
	}
	if data.Val.Len() == 0 {
		return nil, fmt.Errorf("search-val is empty")
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
		m.Rule = derive.DefaultRule(net.Space.Name)
	}
	sr := &Search[T]{Net: net, Data: data, S: s, Method: m, weights: net.Weights(), arch: net.UsedArchParams(),
		runners: map[runnerKey]*supernet.Runner[T]{}}
	if err := optim.CheckParams(sr.weights); err != nil {
		return nil, err
	}
	sr.wOpt = optim.NewSGD(sr.weights, s.LR, s.Momentum, s.WeightDecay)
	sr.wOpt.Nesterov = s.Nesterov
	sr.clipSet = sr.weights
	if s.ClipWithArch {
		for _, a := range sr.arch {
			// Value and Grad share one buffer: the clip scales Grad, the
			// checkpoint saves Value.
			buf := make([]T, len(a.Value))
			sr.archAcc = append(sr.archAcc, &mixedop.Param[T]{Name: a.Name, Shape: a.Shape, Value: buf, Grad: buf})
		}
		sr.clipSet = append(append([]*mixedop.Param[T](nil), sr.weights...), sr.archAcc...)
	}
	// An architecture tensor no cell reads has no gradient, and PyTorch's
	// Adam skips it: it is left out of the optimizer.
	sr.aOpt = optim.NewAdam(sr.arch, s.ArchLR, s.ArchBeta1, s.ArchBeta2, 1e-8, s.ArchWeightDecay)
	sr.aOpt.Variant = s.ArchAdam
	// The runners of the full batch, built now so that a network that
	// cannot run fails here.
	if _, err := sr.runner(min(s.BatchSize, data.Train.Len()), true); err != nil {
		return nil, err
	}
	if _, err := sr.runner(min(s.BatchSize, data.Val.Len()), false); err != nil {
		return nil, err
	}
	return sr, nil
}

// runner returns the network's runner for batches of n in the given mode,
// building it on first use.
func (s *Search[T]) runner(n int, train bool) (*supernet.Runner[T], error) {
	k := runnerKey{n, train}
	if r, ok := s.runners[k]; ok {
		return r, nil
	}
	r, err := s.Net.NewRunner(n, train)
	if err != nil {
		return nil, err
	}
	s.runners[k] = r
	return r, nil
}

// StepsPerEpoch is the number of search steps in an epoch: one per
// search-train batch, the last partial batch included, as train_search.py
// enumerates its train_queue.
func (s *Search[T]) StepsPerEpoch() int { return s.Data.Train.NumBatches(s.S.BatchSize, false) }

// Done reports whether every epoch has run.
func (s *Search[T]) Done() bool { return s.Epoch >= s.S.Epochs }

// LR is the weight learning rate of the epoch in progress.
func (s *Search[T]) LR() float64 { return optim.DARTSEpochLR(s.S.LR, s.S.LRMin, s.Epoch, s.S.Epochs) }

// NonFiniteError reports a NaN or Inf loss or gradient. The search in
// memory may be half-way through the failing step; the last checkpoint on
// disk is untouched, and the run resumes from it.
type NonFiniteError = tally.NonFiniteError

// nonFinite is the NonFiniteError of the step in progress.
func (s *Search[T]) nonFinite(what string) error {
	return &NonFiniteError{Epoch: s.Epoch + 1, Step: s.Step, What: what}
}

// pass is the relax.Pass of the step in progress in the given phase.
func (s *Search[T]) pass(phase relax.Phase, sub int) relax.Pass {
	return relax.Pass{Seed: s.S.Seed, Epoch: s.Epoch, Epochs: s.S.Epochs, Step: s.Step, Phase: phase, Sub: sub}
}

// run feeds a batch through the runner of its size in a pass and checks
// the loss.
func (s *Search[T]) run(train bool, b *datasets.Batch, p relax.Pass, what string) (supernet.Result, error) {
	r, err := s.runner(b.N, train)
	if err != nil {
		return supernet.Result{}, fmt.Errorf("%s: %w", what, err)
	}
	*s.Net.Pass = p
	res, err := r.Run(b.X, b.Y)
	if err != nil {
		return res, fmt.Errorf("%s: %w", what, err)
	}
	if math.IsNaN(res.Loss) || math.IsInf(res.Loss, 0) {
		return res, s.nonFinite(what + " loss")
	}
	return res, nil
}

// StepInfo is reported after each search step (Epoch from 1), with the
// running means of the epoch's weight steps.
type StepInfo = tally.StepInfo

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
	ti := s.Data.Train.Batches(s.S.BatchSize, s.Epoch, s.S.Seed, true, aug, false)
	ti.Skip(s.Step)
	for s.Step < steps {
		if err := ctx.Err(); err != nil {
			return rundir.Metrics{}, err
		}
		start := time.Now()
		if !ti.Next(&s.tb) {
			return rundir.Metrics{}, fmt.Errorf("epoch %d: data ran out at step %d of %d", s.Epoch, s.Step, steps)
		}
		// A fresh random search-val batch every step, as DARTS's
		// next(iter(valid_queue)): with replacement across steps.
		s.Data.Val.Sample(&s.vb, s.S.BatchSize, s.S.Seed+1, aug, uint64(s.Epoch), uint64(s.Step))
		arch := s.Epoch >= s.S.Warmup
		if arch && !s.S.WeightFirst {
			if err := s.archStep(&s.tb, &s.vb); err != nil {
				return rundir.Metrics{}, err
			}
		}
		res, err := s.weightStep(&s.tb)
		if err != nil {
			return rundir.Metrics{}, err
		}
		if arch && s.S.WeightFirst {
			if err := s.archStep(&s.tb, &s.vb); err != nil {
				return rundir.Metrics{}, err
			}
		}
		s.Step++
		s.acc.Add(res.Loss, res.Correct, s.tb.N, time.Since(start).Seconds())
		if onStep != nil {
			onStep(s.acc.Report(s.Epoch+1, s.Step, steps))
		}
	}
	// The partial batch's graph is not needed before the next epoch's end.
	s.dropRunner(s.Data.Train.Len()%s.S.BatchSize, true)
	start := time.Now()
	vl, va, err := s.Evaluate(s.Data.Val, s.S.EvalLimit)
	if err != nil {
		return rundir.Metrics{}, err
	}
	m := rundir.Metrics{Epoch: s.Epoch + 1, TrainLoss: s.acc.MeanLoss(), TrainAcc: s.acc.Accuracy(), ValLoss: vl, ValAcc: va, LR: lr,
		Seconds: s.acc.Seconds + time.Since(start).Seconds()}
	s.Epoch++
	s.Step = 0
	s.acc = tally.Sums{}
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
			return s.nonFinite("gradient of " + a.Name)
		}
	}
	for i, a := range s.archAcc {
		copy(a.Grad, s.arch[i].Grad) // a_optimizer.zero_grad(), then backward
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

// weightStep is the weight step: the training loss at the new alphas
// (under the edge weights a WeightPerturber chose, if the relaxation is
// one), its gradient clipped to GradClip, and an SGD step on the weights
// alone.
func (s *Search[T]) weightStep(train *datasets.Batch) (supernet.Result, error) {
	if p, ok := s.Net.Relax.(WeightPerturber[T]); ok {
		if err := p.PerturbWeights(s.weightContext(train)); err != nil {
			return supernet.Result{}, err
		}
	}
	res, err := s.run(true, train, s.pass(relax.PhaseWeight, 0), "weight step")
	if err != nil {
		return res, err
	}
	for i, a := range s.archAcc {
		for j, g := range s.arch[i].Grad {
			a.Grad[j] += g // the weight step's backward adds into α.grad
		}
	}
	if n := optim.GradNorm(s.clipSet); math.IsNaN(n) || math.IsInf(n, 0) {
		return res, s.nonFinite("weight gradient norm")
	}
	optim.ClipGradNorm(s.clipSet, s.S.GradClip)
	s.wOpt.Step()
	return res, nil
}

// Evaluate runs the network in eval mode (BatchNorm running statistics)
// over the examples of set, at most limit of them (0: all), the last
// partial batch included, with the search's augmentation as DARTS's
// infer(valid_queue) applies it (its valid_queue reads the training data
// with train_transform), and returns the mean loss and the accuracy.
func (s *Search[T]) Evaluate(set *datasets.Set, limit int) (loss, acc float64, err error) {
	aug := datasets.Augment{}
	if set.Shape()[0] == 3 {
		aug = datasets.Augment{Crop: true, Flip: true}
	}
	it := set.Batches(s.S.BatchSize, s.Epoch, s.S.Seed+2, false, aug, false)
	var b datasets.Batch
	var sum float64
	var correct, seen int
	for it.Next(&b) {
		if limit > 0 && seen+b.N > limit {
			n := limit - seen
			b.X, b.Y, b.N = b.X[:n*len(b.X)/b.N], b.Y[:n], n
		}
		res, err := s.run(false, &b, s.pass(relax.PhaseEval, 0), "evaluation")
		if err != nil {
			return 0, 0, err
		}
		sum += res.Loss * float64(b.N)
		correct += res.Correct
		seen += b.N
		if limit > 0 && seen >= limit {
			break
		}
	}
	if seen == 0 {
		return 0, 0, fmt.Errorf("evaluation: the set is empty")
	}
	return sum / float64(seen), float64(correct) / float64(seen), nil
}

// dropRunner closes and forgets the runner of batches of n, if any.
func (s *Search[T]) dropRunner(n int, train bool) {
	k := runnerKey{n, train}
	if r, ok := s.runners[k]; ok && n != s.S.BatchSize {
		r.Close()
		delete(s.runners, k)
	}
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
			Weights: s.Net.ArchWeights(t, rows)})
	}
	return a
}

// Genotype derives the genotype of the current architecture tensors with
// the method's rule, or is the method's Select.
func (s *Search[T]) Genotype() (derive.Genotype, error) {
	if s.Method.Select != nil {
		return s.Method.Select(s)
	}
	a := s.Alphas(s.Epoch)
	return derive.Derive(a.Space, s.Method.Rule, a.CellWeights())
}

// Close releases the graphs.
func (s *Search[T]) Close() error {
	var errs []error
	for _, r := range s.runners {
		errs = append(errs, r.Close())
	}
	return errors.Join(errs...)
}
