package retrain

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/darts-go/darts/datasets"
	"github.com/darts-go/darts/derive"
	"github.com/darts-go/darts/internal/rng"
	"github.com/darts-go/darts/internal/tally"
	"github.com/darts-go/darts/mixedop"
	"github.com/darts-go/darts/optim"
	"github.com/darts-go/darts/rundir"
	"github.com/darts-go/darts/supernet"
)

// Float is the element type of a trained network.
type Float = mixedop.Float

// NetworkConfig is the discrete network of g for images of shape (C, H, W)
// and the given number of classes, with c initial channels and the given
// number of cells: DARTS's NetworkCIFAR.
func NetworkConfig(g derive.Genotype, shape [3]int, classes, c, layers int, auxiliary bool) supernet.DiscreteConfig {
	return supernet.DiscreteConfig{InputC: shape[0], InputH: shape[1], InputW: shape[2], Classes: classes,
		C: c, Layers: layers, Auxiliary: auxiliary, Genotype: g.Clone()}.WithDefaults()
}

// TrainSettings are the hyperparameters of retraining a genotype from
// scratch, with the values of the original train.py from
// DefaultTrainSettings.
type TrainSettings struct {
	Epochs    int     `json:"epochs"`
	BatchSize int     `json:"batch_size"`
	LR        float64 `json:"learning_rate"`     // SGD, cosine from LR …
	LRMin     float64 `json:"learning_rate_min"` // … towards LRMin
	Momentum  float64 `json:"momentum"`
	// Nesterov uses Nesterov momentum (NAS-Bench-201's training).
	Nesterov    bool    `json:"nesterov,omitempty"`
	WeightDecay float64 `json:"weight_decay"`
	GradClip    float64 `json:"grad_clip"`      // global 2-norm of the gradient; 0: no clipping
	DropPath    float64 `json:"drop_path_prob"` // ramped linearly: DropPath·epoch/epochs
	Cutout      int     `json:"cutout"`         // side of the cutout square, 0 = none
	Seed        uint64  `json:"seed"`
}

// DefaultTrainSettings are train.py's defaults (epochs 600, batch 96,
// cosine from 0.025 to 0, momentum 0.9, weight decay 3e-4, clip 5, drop
// path 0.2) without cutout, which train.py also leaves off unless asked.
func DefaultTrainSettings() TrainSettings {
	return TrainSettings{Epochs: 600, BatchSize: 96, LR: 0.025, Momentum: 0.9, WeightDecay: 3e-4, GradClip: 5, DropPath: 0.2}
}

// Validate reports the first unusable setting.
func (s TrainSettings) Validate() error {
	switch {
	case s.Epochs < 1:
		return fmt.Errorf("epochs %d: need at least 1", s.Epochs)
	case s.BatchSize < 1:
		return fmt.Errorf("batch size %d: need at least 1", s.BatchSize)
	case !(s.LR > 0) || s.LRMin < 0 || s.LRMin > s.LR:
		return fmt.Errorf("learning rate %g → %g: need 0 ≤ min ≤ max, max > 0", s.LR, s.LRMin)
	case !(s.DropPath >= 0 && s.DropPath < 1):
		return fmt.Errorf("drop path probability %g: need 0 ≤ p < 1", s.DropPath)
	case s.Cutout < 0:
		return fmt.Errorf("cutout %d: need 0 (off) or a positive side length", s.Cutout)
	case !(s.GradClip >= 0) || math.IsInf(s.GradClip, 0):
		return fmt.Errorf("gradient clip %g: need a positive norm (or 0: no clipping)", s.GradClip)
	case !(s.Momentum >= 0 && s.Momentum < 1):
		return fmt.Errorf("momentum %g: need 0 ≤ momentum < 1", s.Momentum)
	case s.Nesterov && s.Momentum == 0:
		return fmt.Errorf("nesterov: needs a momentum above 0 (as torch.optim.SGD)")
	case !(s.WeightDecay >= 0) || math.IsInf(s.WeightDecay, 0):
		return fmt.Errorf("weight decay %g: need 0 or more", s.WeightDecay)
	}
	return nil
}

// Trainer retrains a discrete network from scratch as train.py does, on the
// whole training set (Data.Train and Data.Val together), evaluating on
// Data.Test after every epoch. RunEpoch advances it; Save and Load
// checkpoint it.
type Trainer[T Float] struct {
	Net  *supernet.Discrete[T]
	Data *datasets.Splits
	S    TrainSettings

	Epoch int // epoch in progress (0-based)
	Step  int // steps of Epoch done

	params []*mixedop.Param[T]
	opt    *optim.SGD[T]
	trains map[int]*supernet.DiscreteRunner[T] // by batch size: the last batch of an epoch may be partial
	evals  map[int]*supernet.DiscreteRunner[T]
	acc    tally.Sums
	x      []float32
	y      []int
}

// NewTrainer prepares the training of net on data. The network's weights
// are trained as they are (fresh from supernet.NewDiscrete, or loaded).
func NewTrainer[T Float](net *supernet.Discrete[T], data *datasets.Splits, s TrainSettings) (*Trainer[T], error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if shape := data.Info.Shape; shape != [3]int{net.Cfg.InputC, net.Cfg.InputH, net.Cfg.InputW} || data.Info.Classes != net.Cfg.Classes {
		return nil, fmt.Errorf("data %s is %dx%dx%d with %d classes, the network takes %dx%dx%d with %d", data.Info.Name,
			shape[0], shape[1], shape[2], data.Info.Classes, net.Cfg.InputC, net.Cfg.InputH, net.Cfg.InputW, net.Cfg.Classes)
	}
	t := &Trainer[T]{Net: net, Data: data, S: s, trains: map[int]*supernet.DiscreteRunner[T]{}, evals: map[int]*supernet.DiscreteRunner[T]{}}
	if t.trainLen() == 0 {
		return nil, fmt.Errorf("the training set is empty")
	}
	t.params = append(append([]*mixedop.Param[T](nil), net.Weights()...), net.AuxWeights()...)
	if err := optim.CheckParams(t.params); err != nil {
		return nil, err
	}
	t.opt = optim.NewSGD(t.params, s.LR, s.Momentum, s.WeightDecay)
	t.opt.Nesterov = s.Nesterov
	if _, err := t.trainRunner(min(s.BatchSize, t.trainLen())); err != nil {
		return nil, err
	}
	return t, nil
}

// trainRunner returns the training runner of batches of n.
func (t *Trainer[T]) trainRunner(n int) (*supernet.DiscreteRunner[T], error) {
	if r, ok := t.trains[n]; ok {
		return r, nil
	}
	r, err := t.Net.NewRunner(n, true)
	if err != nil {
		return nil, err
	}
	t.trains[n] = r
	return r, nil
}

func (t *Trainer[T]) trainLen() int { return t.Data.Train.Len() + t.Data.Val.Len() }

// StepsPerEpoch is the number of batches in the training set, the last
// partial batch included, as train.py's DataLoader (no drop_last) gives.
func (t *Trainer[T]) StepsPerEpoch() int { return (t.trainLen() + t.S.BatchSize - 1) / t.S.BatchSize }

// Done reports whether every epoch has run.
func (t *Trainer[T]) Done() bool { return t.Epoch >= t.S.Epochs }

// LR is the learning rate of the epoch in progress, as train.py's
// scheduler gives it (see optim.DARTSEpochLR).
func (t *Trainer[T]) LR() float64 {
	return optim.DARTSEpochLR(t.S.LR, t.S.LRMin, t.Epoch, t.S.Epochs)
}

// DropProb is the drop-path probability of the epoch in progress:
// DropPath·epoch/epochs, as train.py sets model.drop_path_prob.
func (t *Trainer[T]) DropProb() float64 {
	return t.S.DropPath * float64(t.Epoch) / float64(t.S.Epochs)
}

// NonFiniteError reports a NaN or infinite loss or gradient (Epoch from 1).
// The trainer may be half-way through the failing step; the last
// checkpoint on disk is untouched.
type NonFiniteError = tally.NonFiniteError

// StepInfo is reported after each training step (Epoch from 1), with the
// running means of the epoch.
type StepInfo = tally.StepInfo

// augment is train.py's augmentation: crop and flip for 3-channel
// (CIFAR-like) images, cutout if set.
func (t *Trainer[T]) augment() datasets.Augment {
	a := datasets.Augment{Cutout: t.S.Cutout}
	if t.Data.Info.Shape[0] == 3 {
		a.Crop, a.Flip = true, true
	}
	return a
}

// trainOrder is the epoch's permutation of the training set (indices below
// Data.Train.Len() are in Data.Train, the rest in Data.Val): a pure function
// of (seed, epoch).
func (t *Trainer[T]) trainOrder(epoch int) []int {
	return rng.New(rng.Key(rng.TagTrainOrder, t.S.Seed, uint64(epoch))).Perm(t.trainLen())
}

// fill writes the examples order[lo:lo+n] into t.x and t.y, n being a
// batch or what is left of the epoch. Each example's augmentation is a
// pure function of (seed, epoch, example).
func (t *Trainer[T]) fill(order []int, lo int, aug datasets.Augment) int {
	size := t.Data.Info.Shape[0] * t.Data.Info.Shape[1] * t.Data.Info.Shape[2]
	bs := min(t.S.BatchSize, len(order)-lo)
	if len(t.x) != bs*size {
		t.x, t.y = make([]float32, bs*size), make([]int, bs)
	}
	nTrain := t.Data.Train.Len()
	var one [1]int
	for j := 0; j < bs; j++ {
		idx, set, seed := order[lo+j], t.Data.Train, t.S.Seed
		if idx >= nTrain {
			idx, set, seed = idx-nTrain, t.Data.Val, t.S.Seed+1
		}
		it := set.Batches(1, t.Epoch, seed, false, aug, false)
		it.Skip(idx)
		b := datasets.Batch{X: t.x[j*size : j*size : (j+1)*size], Y: one[:0]}
		it.Next(&b)
		t.y[j] = b.Y[0]
	}
	return bs
}

// RunEpoch runs the remaining steps of the epoch in progress, evaluates on
// the test set and returns the epoch's metrics, then moves to the next
// epoch. If ctx is cancelled it returns ctx's error after the current step,
// with the trainer at a step boundary (Save then resumes from there).
func (t *Trainer[T]) RunEpoch(ctx context.Context, onStep func(StepInfo)) (rundir.Metrics, error) {
	if t.Done() {
		return rundir.Metrics{}, errors.New("training already finished")
	}
	steps := t.StepsPerEpoch()
	lr := t.LR()
	t.opt.LR = lr
	aug := t.augment()
	order := t.trainOrder(t.Epoch)
	for t.Step < steps {
		if err := ctx.Err(); err != nil {
			return rundir.Metrics{}, err
		}
		start := time.Now()
		n := t.fill(order, t.Step*t.S.BatchSize, aug)
		r, err := t.trainRunner(n)
		if err != nil {
			return rundir.Metrics{}, fmt.Errorf("epoch %d step %d: %w", t.Epoch+1, t.Step+1, err)
		}
		t.Net.SetDropPath(supernet.DropPath{Prob: t.DropProb(), Seed: t.S.Seed, Epoch: t.Epoch, Step: t.Step})
		res, err := r.Run(t.x, t.y)
		if err != nil {
			return rundir.Metrics{}, fmt.Errorf("epoch %d step %d: %w", t.Epoch+1, t.Step+1, err)
		}
		if !tally.Finite(res.Loss) {
			return rundir.Metrics{}, &NonFiniteError{Epoch: t.Epoch + 1, Step: t.Step, What: "the training loss"}
		}
		if !tally.Finite(optim.GradNorm(t.params)) {
			return rundir.Metrics{}, &NonFiniteError{Epoch: t.Epoch + 1, Step: t.Step, What: "the gradient norm"}
		}
		if t.S.GradClip > 0 {
			optim.ClipGradNorm(t.params, t.S.GradClip)
		}
		t.opt.Step()
		t.Step++
		t.acc.Add(res.Loss, res.Correct, n, time.Since(start).Seconds())
		if onStep != nil {
			onStep(t.acc.Report(t.Epoch+1, t.Step, steps))
		}
	}
	start := time.Now()
	tl, ta, err := t.Evaluate(t.Data.Test)
	if err != nil {
		return rundir.Metrics{}, err
	}
	m := rundir.Metrics{Epoch: t.Epoch + 1, TrainLoss: t.acc.MeanLoss(), TrainAcc: t.acc.Accuracy(), TestLoss: &tl, TestAcc: &ta, LR: lr,
		Seconds: t.acc.Seconds + time.Since(start).Seconds()}
	t.Epoch++
	t.Step = 0
	t.acc = tally.Sums{}
	// The partial batch's graph is not needed before the next epoch's end.
	if n := t.trainLen() % t.S.BatchSize; n != 0 {
		if r, ok := t.trains[n]; ok {
			r.Close()
			delete(t.trains, n)
		}
	}
	return m, nil
}

// Evaluate runs the network in eval mode on every example of set (a last
// partial batch included) and returns the mean loss and the accuracy.
func (t *Trainer[T]) Evaluate(set *datasets.Set) (loss, acc float64, err error) {
	return evaluate(t.Net, set, t.S.BatchSize, t.evals)
}

// Evaluate runs net in eval mode (BatchNorm running statistics, no drop
// path, no auxiliary head) on every example of set in batches of at most
// batch, and returns the mean cross-entropy and the accuracy.
func Evaluate[T Float](net *supernet.Discrete[T], set *datasets.Set, batch int) (loss, acc float64, err error) {
	runners := map[int]*supernet.DiscreteRunner[T]{}
	defer closeAll(runners)
	return evaluate(net, set, batch, runners)
}

func evaluate[T Float](net *supernet.Discrete[T], set *datasets.Set, batch int, runners map[int]*supernet.DiscreteRunner[T]) (loss, acc float64, err error) {
	if set.Len() == 0 {
		return 0, 0, errors.New("evaluation: the set is empty")
	}
	it := set.Batches(batch, 0, 0, false, datasets.Augment{}, false)
	var b datasets.Batch
	var sum float64
	var correct, seen int
	for it.Next(&b) {
		r := runners[b.N]
		if r == nil {
			if r, err = net.NewRunner(b.N, false); err != nil {
				return 0, 0, fmt.Errorf("evaluation: %w", err)
			}
			runners[b.N] = r
		}
		res, err := r.Run(b.X, b.Y)
		if err != nil {
			return 0, 0, fmt.Errorf("evaluation: %w", err)
		}
		sum += res.Loss * float64(b.N)
		correct += res.Correct
		seen += b.N
	}
	return sum / float64(seen), float64(correct) / float64(seen), nil
}

func closeAll[T Float](rs map[int]*supernet.DiscreteRunner[T]) error {
	var errs []error
	for _, r := range rs {
		errs = append(errs, r.Close())
	}
	return errors.Join(errs...)
}

// Close releases the graphs.
func (t *Trainer[T]) Close() error {
	return errors.Join(closeAll(t.trains), closeAll(t.evals))
}
