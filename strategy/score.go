package strategy

import (
	"fmt"
	"math"
	"strings"

	"github.com/darts-go/darts/datasets"
	"github.com/darts-go/darts/mixedop"
	"github.com/darts-go/darts/supernet"
)

// BN is how the scorer's BatchNorms normalize a candidate's activations.
type BN string

// The BatchNorm modes of scoring.
const (
	// BNBatch: each batch's own statistics (the default; what
	// AutoDL-Projects' RSPS on NAS-Bench-201 does with BN=0, which its
	// maintainer found much better than the running statistics: a
	// supernet's are a mixture over every architecture it trained).
	BNBatch BN = "batch"
	// BNRunning: the supernet's running statistics (eval mode), as
	// randomNAS_release's DartsWrapper.evaluate does.
	BNRunning BN = "running"
	// BNRecalc: running statistics re-estimated for each candidate, the
	// mean of the batch statistics of a few search-train batches (as
	// SPOS does), then eval mode.
	BNRecalc BN = "recalc"
)

// BNModes lists the modes, for flags.
var BNModes = []BN{BNBatch, BNRunning, BNRecalc}

// ParseBN reads a BatchNorm mode.
func ParseBN(s string) (BN, error) {
	for _, m := range BNModes {
		if string(m) == s {
			return m, nil
		}
	}
	return "", fmt.Errorf("BatchNorm mode %q: want batch, running or recalc", s)
}

// ScoreSettings say how candidates are scored.
type ScoreSettings struct {
	// Batches is the number of search-val batches every candidate is
	// scored on: the same batches for all (the first of a shuffle drawn
	// from Seed), so that scores compare.
	Batches   int    `json:"batches"`
	BatchSize int    `json:"batch_size"`
	BN        BN     `json:"bn"`
	BNBatches int    `json:"bn_batches,omitempty"` // BNRecalc: search-train batches
	Seed      uint64 `json:"seed"`
}

// Validate names the first unusable setting.
func (s ScoreSettings) Validate() error {
	switch {
	case s.Batches < 1:
		return fmt.Errorf("score batches %d: need at least 1", s.Batches)
	case s.BatchSize < 1:
		return fmt.Errorf("score batch size %d: need at least 1", s.BatchSize)
	case s.BN == BNRecalc && s.BNBatches < 1:
		return fmt.Errorf("BatchNorm re-estimation on %d batches: need at least 1", s.BNBatches)
	}
	_, err := ParseBN(string(s.BN))
	return err
}

// Score is a candidate's accuracy and mean cross-entropy on the examples
// it was scored on.
type Score struct {
	Acc  float64 `json:"acc"`
	Loss float64 `json:"loss"`
	N    int     `json:"examples"`
}

// Scorer scores architectures of a trained supernet with its shared
// weights: the network runs the candidate's ops alone (Fixed), forward
// only, on a fixed set of search-val batches. It leaves the network's
// weights, architecture tensors and running statistics as it found them,
// and its relaxation too (its runners are its own).
type Scorer struct {
	Net  *supernet.Network[float32]
	Enc  *Encoding
	Data *datasets.Splits
	S    ScoreSettings

	fixed   *Fixed[float32]
	runners map[int]*supernet.Runner[float32]
	batches []datasets.Batch
	recalc  []datasets.Batch
	aug     datasets.Augment
	saved   [][]float32
}

// NewScorer prepares the scoring of architectures of net's space on
// data's search-val split.
func NewScorer(net *supernet.Network[float32], data *datasets.Splits, s ScoreSettings) (*Scorer, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	enc, err := NewEncoding(net.Space)
	if err != nil {
		return nil, err
	}
	if data.Val.Len() == 0 {
		return nil, fmt.Errorf("search-val is empty: nothing to score candidates on")
	}
	sc := &Scorer{Net: net, Enc: enc, Data: data, S: s, fixed: &Fixed[float32]{}, runners: map[int]*supernet.Runner[float32]{}}
	if data.Info.Shape[0] == 3 {
		// The search's augmentation, as its evaluation of search-val uses
		// (DARTS's and RSPS's valid_queue read the training data with
		// train_transform).
		sc.aug = datasets.Augment{Crop: true, Flip: true}
	}
	sc.batches = take(data.Val.Batches(s.BatchSize, 0, s.Seed, true, sc.aug, false), s.Batches)
	if len(sc.batches) < s.Batches {
		return nil, fmt.Errorf("score batches %d: search-val has only %d batches of %d", s.Batches, len(sc.batches), s.BatchSize)
	}
	if s.BN == BNRecalc {
		if data.Train.Len() == 0 {
			return nil, fmt.Errorf("BatchNorm re-estimation: search-train is empty")
		}
		sc.recalc = take(data.Train.Batches(s.BatchSize, 0, s.Seed+1, true, sc.aug, false), s.BNBatches)
		for _, p := range net.State() {
			sc.saved = append(sc.saved, make([]float32, len(p.Value)))
		}
	}
	return sc, nil
}

func take(it *datasets.Iter, n int) []datasets.Batch {
	var out []datasets.Batch
	for len(out) < n {
		var b datasets.Batch
		if !it.Next(&b) {
			break
		}
		out = append(out, b)
	}
	return out
}

// runner returns the forward-only runner for batches of n, built with the
// scorer's relaxation.
func (sc *Scorer) runner(n int, bn supernet.BNMode) (*supernet.Runner[float32], error) {
	r, ok := sc.runners[n]
	if !ok {
		prev := sc.Net.Relax
		sc.Net.Relax = sc.fixed
		var err error
		r, err = sc.Net.NewRunner(n, false)
		sc.Net.Relax = prev
		if err != nil {
			return nil, err
		}
		sc.runners[n] = r
	}
	r.SetBN(bn)
	return r, nil
}

// Score scores x on the scorer's search-val batches.
func (sc *Scorer) Score(x []int) (Score, error) {
	return sc.score(x, func(f func(b *datasets.Batch) error) error {
		for i := range sc.batches {
			if err := f(&sc.batches[i]); err != nil {
				return err
			}
		}
		return nil
	})
}

// ScoreFull scores x on the whole search-val split (the last partial
// batch included).
func (sc *Scorer) ScoreFull(x []int) (Score, error) {
	return sc.score(x, func(f func(b *datasets.Batch) error) error {
		it := sc.Data.Val.Batches(sc.S.BatchSize, 0, sc.S.Seed, false, sc.aug, false)
		var b datasets.Batch
		for it.Next(&b) {
			if err := f(&b); err != nil {
				return err
			}
		}
		return nil
	})
}

func (sc *Scorer) score(x []int, each func(func(*datasets.Batch) error) error) (Score, error) {
	if err := sc.Enc.Check(x); err != nil {
		return Score{}, err
	}
	sc.fixed.Set(sc.Enc.Weights(x))
	mode := supernet.BNBatch
	if sc.S.BN != BNBatch {
		mode = supernet.BNRunning
	}
	if sc.S.BN == BNRecalc {
		if err := sc.reestimate(); err != nil {
			return Score{}, err
		}
		defer sc.restore()
	}
	var s Score
	var loss float64
	err := each(func(b *datasets.Batch) error {
		r, err := sc.runner(b.N, mode)
		if err != nil {
			return err
		}
		res, err := r.Run(b.X, b.Y)
		if err != nil {
			return err
		}
		loss += res.Loss * float64(b.N)
		s.Acc += float64(res.Correct)
		s.N += b.N
		return nil
	})
	if err != nil {
		return Score{}, fmt.Errorf("scoring %s: %w", sc.describe(x), err)
	}
	if s.N == 0 {
		return Score{}, fmt.Errorf("scoring: no examples")
	}
	s.Acc /= float64(s.N)
	s.Loss = loss / float64(s.N)
	if math.IsNaN(s.Loss) {
		// A NaN loss compares as nothing; count it as the worst.
		s.Loss = math.Inf(1)
	}
	return s, nil
}

// reestimate sets the running statistics to the mean of the batch
// statistics (mean and unbiased variance) of the re-estimation batches
// under the current architecture, after saving them. Each batch runs from
// running statistics of zero, so that after it the running value is
// exactly momentum·(batch statistic).
func (sc *Scorer) reestimate() error {
	state := sc.Net.State()
	for i, p := range state {
		copy(sc.saved[i], p.Value)
	}
	sums := make([][]float64, len(state))
	for i, p := range state {
		sums[i] = make([]float64, len(p.Value))
	}
	m := float64(float32(mixedop.BNMomentum))
	for bi := range sc.recalc {
		b := &sc.recalc[bi]
		for _, p := range state {
			clear(p.Value)
		}
		r, err := sc.runner(b.N, supernet.BNBatchUpdate)
		if err != nil {
			sc.restore()
			return err
		}
		if _, err := r.Run(b.X, b.Y); err != nil {
			sc.restore()
			return fmt.Errorf("re-estimating BatchNorm statistics: %w", err)
		}
		for i, p := range state {
			for j, v := range p.Value {
				sums[i][j] += float64(v) / m
			}
		}
	}
	for i, p := range state {
		for j := range p.Value {
			p.Value[j] = float32(sums[i][j] / float64(len(sc.recalc)))
		}
	}
	// An op the candidate does not run keeps running statistics of zero
	// here; it is never read while they are.
	return nil
}

func (sc *Scorer) restore() {
	for i, p := range sc.Net.State() {
		copy(p.Value, sc.saved[i])
	}
}

func (sc *Scorer) describe(x []int) string {
	g, err := sc.Enc.Genotype(x)
	if err != nil {
		return fmt.Sprint(x)
	}
	return strings.TrimSpace(g.String())
}

// Close releases the runners.
func (sc *Scorer) Close() error {
	for n, r := range sc.runners {
		r.Close()
		delete(sc.runners, n)
	}
	return nil
}
