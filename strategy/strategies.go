package strategy

import (
	"fmt"
	"math"
	"math/big"
	"slices"
	"strings"

	"github.com/darts-go/darts/internal/rng"
	"github.com/darts-go/darts/mixedop"
	"github.com/darts-go/darts/optim"
)

// Strategy proposes the candidates of a selection one at a time. Propose(i)
// may use the seed, i and what Observe was told of candidates 0..i-1;
// nothing else, so that replaying a selection's log gives back its state
// (Run does, on resume).
type Strategy interface {
	Name() string
	// Propose returns candidate i (from 0); Observe(i-1) has been called.
	Propose(i int) ([]int, error)
	// Observe gives the score of candidate i.
	Observe(i int, x []int, score float64)
}

// The strategies' names.
const (
	RandomName    = "random"
	GridName      = "grid"
	EvolutionName = "evolution"
	ReinforceName = "reinforce"
)

// Names lists the strategies.
func Names() []string { return []string{RandomName, GridName, EvolutionName, ReinforceName} }

// Tags keep the strategies' random streams apart.
const (
	tagRandom    uint64 = 0x72616e646f6d2020 // "random  "
	tagEvolution uint64 = 0x65766f6c7574696f // "evolutio"
	tagReinforce uint64 = 0x7265696e666f7263 // "reinforc"
)

// Settings are a selection's: the strategy and its own settings, the
// budget in candidates evaluated, the seed, how candidates are scored and
// how many of the best are scored again on the whole split.
type Settings struct {
	Strategy string `json:"strategy"`
	Budget   int    `json:"budget"`
	Seed     uint64 `json:"seed"`
	// Rescore is the number of the best candidates (by their score on the
	// batches) scored again on the whole search-val split at the end; the
	// best of those is the result (RSPS: 10). 0 keeps the best by score.
	Rescore int           `json:"rescore"`
	Score   ScoreSettings `json:"score"`
	// Evolution: population P and tournament size S (Real et al. 2019;
	// AutoDL-Projects' R_EA.py runs P = 10).
	Population int `json:"population,omitempty"`
	Tournament int `json:"tournament,omitempty"`
	// REINFORCE: Adam's learning rate on the policy's logits and the
	// momentum of the moving-average baseline (AutoDL-Projects'
	// reinforce.py: Adam, EMA momentum 0.9).
	LR               float64 `json:"learning_rate,omitempty"`
	BaselineMomentum float64 `json:"baseline_momentum,omitempty"`
}

// DefaultSettings are the defaults of a strategy: a budget of 100, the
// best 10 scored again, candidates scored on 10 batches of 64 in batch
// statistics; evolution P = 20, S = 5; REINFORCE learning rate 0.01 and
// baseline momentum 0.9.
func DefaultSettings(strategy string) Settings {
	s := Settings{Strategy: strategy, Budget: 100, Rescore: 10, Score: ScoreSettings{Batches: 10, BatchSize: 64, BN: BNBatch, BNBatches: 10}}
	switch strategy {
	case EvolutionName:
		s.Population, s.Tournament = 20, 5
	case ReinforceName:
		s.LR, s.BaselineMomentum = 0.01, 0.9
	}
	return s
}

// Validate names the first unusable setting.
func (s Settings) Validate() error {
	if !slices.Contains(Names(), s.Strategy) {
		return fmt.Errorf("strategy %q: unknown (known: %s)", s.Strategy, strings.Join(Names(), ", "))
	}
	switch {
	case s.Budget < 1:
		return fmt.Errorf("budget %d: need at least 1 candidate", s.Budget)
	case s.Rescore < 0:
		return fmt.Errorf("rescore %d: need 0 or more", s.Rescore)
	}
	switch s.Strategy {
	case EvolutionName:
		if s.Population < 2 {
			return fmt.Errorf("population %d: need at least 2", s.Population)
		}
		if s.Tournament < 1 || s.Tournament > s.Population {
			return fmt.Errorf("tournament %d: need 1 to the population (%d)", s.Tournament, s.Population)
		}
	case ReinforceName:
		if !(s.LR > 0) || math.IsInf(s.LR, 0) {
			return fmt.Errorf("learning rate %g: need more than 0", s.LR)
		}
		if !(s.BaselineMomentum >= 0 && s.BaselineMomentum < 1) {
			return fmt.Errorf("baseline momentum %g: need 0 ≤ m < 1", s.BaselineMomentum)
		}
	}
	return s.Score.Validate()
}

// New makes the strategy s names over enc.
func New(enc *Encoding, s Settings) (Strategy, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	switch s.Strategy {
	case RandomName:
		return &Random{Enc: enc, Seed: s.Seed}, nil
	case GridName:
		return &Grid{Enc: enc}, nil
	case EvolutionName:
		return &Evolution{Enc: enc, Seed: s.Seed, Population: s.Population, Tournament: s.Tournament}, nil
	case ReinforceName:
		return NewReinforce(enc, s.Seed, s.LR, s.BaselineMomentum), nil
	}
	return nil, fmt.Errorf("strategy %q: unknown", s.Strategy)
}

// Random is random search: candidate i is drawn uniformly (Encoding.Uniform)
// from (seed, i).
type Random struct {
	Enc  *Encoding
	Seed uint64
}

// Name implements Strategy.
func (*Random) Name() string { return RandomName }

// Propose implements Strategy.
func (r *Random) Propose(i int) ([]int, error) {
	return r.Enc.Uniform(rng.New(rng.Key(tagRandom, r.Seed, uint64(i)))), nil
}

// Observe implements Strategy.
func (*Random) Observe(int, []int, float64) {}

// Grid is grid search: candidate i is the architecture of index i of the
// space (Encoding.At), every architecture once in Count() candidates.
type Grid struct{ Enc *Encoding }

// Name implements Strategy.
func (*Grid) Name() string { return GridName }

// Propose implements Strategy.
func (g *Grid) Propose(i int) ([]int, error) { return g.Enc.At(big.NewInt(int64(i))) }

// Observe implements Strategy.
func (*Grid) Observe(int, []int, float64) {}

// Evolution is regularized (aging) evolution (Real, Aggarwal, Huang, Le,
// AAAI 2019; AutoDL-Projects R_EA.py): the first Population candidates are
// uniform samples; after that each is a child of the best of Tournament
// members drawn with replacement from the population, mutated once
// (Encoding.Mutate), and joins the population, whose oldest member
// leaves. The population is therefore the last Population candidates.
type Evolution struct {
	Enc                    *Encoding
	Seed                   uint64
	Population, Tournament int

	pop []member // the last Population candidates, oldest first
}

type member struct {
	x     []int
	score float64
}

// Name implements Strategy.
func (*Evolution) Name() string { return EvolutionName }

// Propose implements Strategy.
func (e *Evolution) Propose(i int) ([]int, error) {
	r := rng.New(rng.Key(tagEvolution, e.Seed, uint64(i)))
	if i < e.Population {
		return e.Enc.Uniform(r), nil
	}
	if len(e.pop) != e.Population {
		return nil, fmt.Errorf("evolution: candidate %d proposed with %d scored members, want %d", i, len(e.pop), e.Population)
	}
	best := -1
	for range e.Tournament {
		k := r.Intn(len(e.pop))
		if best < 0 || e.pop[k].score > e.pop[best].score {
			best = k
		}
	}
	return e.Enc.Mutate(e.pop[best].x, r), nil
}

// Observe implements Strategy.
func (e *Evolution) Observe(_ int, x []int, score float64) {
	e.pop = append(e.pop, member{slices.Clone(x), score})
	if len(e.pop) > e.Population {
		e.pop = slices.Delete(e.pop, 0, 1)
	}
}

// Reinforce is REINFORCE (Williams 1992) with a policy of one categorical
// distribution per decision, softmax(θ_d), θ = 0 at the start (uniform),
// as AutoDL-Projects' reinforce.py for NAS-Bench-201: after each candidate
// x with reward R (its score) the baseline b, a bias-corrected moving
// average of the rewards with momentum m, takes R in, and Adam (PyTorch
// 1.x) takes a step on -(R - b)·Σ_d log softmax(θ_d)[x_d].
type Reinforce struct {
	Enc  *Encoding
	Seed uint64

	logits []*mixedop.Param[float64]
	adam   *optim.Adam[float64]
	m      float64
	num    float64 // baseline numerator and denominator
	den    float64
}

// NewReinforce makes a REINFORCE strategy.
func NewReinforce(enc *Encoding, seed uint64, lr, momentum float64) *Reinforce {
	r := &Reinforce{Enc: enc, Seed: seed, m: momentum}
	for d, s := range enc.sizes {
		r.logits = append(r.logits, &mixedop.Param[float64]{Name: fmt.Sprintf("policy/%d", d), Shape: []int{s},
			Value: make([]float64, s), Grad: make([]float64, s)})
	}
	r.adam = optim.NewAdam(r.logits, lr, 0.9, 0.999, 1e-8, 0)
	r.adam.Variant = optim.Adam1
	return r
}

// Name implements Strategy.
func (*Reinforce) Name() string { return ReinforceName }

// Probs returns the policy's distribution of decision d.
func (r *Reinforce) Probs(d int) []float64 {
	v := r.logits[d].Value
	p := make([]float64, len(v))
	mx := slices.Max(v)
	var s float64
	for i, x := range v {
		p[i] = math.Exp(x - mx)
		s += p[i]
	}
	for i := range p {
		p[i] /= s
	}
	return p
}

// Baseline is the moving average of the rewards so far (0 before any).
func (r *Reinforce) Baseline() float64 {
	if r.den == 0 {
		return 0
	}
	return r.num / r.den
}

// Propose implements Strategy.
func (r *Reinforce) Propose(i int) ([]int, error) {
	g := rng.New(rng.Key(tagReinforce, r.Seed, uint64(i)))
	x := make([]int, len(r.logits))
	for d := range x {
		p := r.Probs(d)
		u := g.Float64()
		x[d] = len(p) - 1
		var c float64
		for k, pk := range p {
			c += pk
			if u < c {
				x[d] = k
				break
			}
		}
	}
	return x, nil
}

// Observe implements Strategy.
func (r *Reinforce) Observe(_ int, x []int, score float64) {
	r.num = r.m*r.num + (1-r.m)*score
	r.den = r.m*r.den + (1 - r.m)
	adv := score - r.Baseline()
	for d, p := range r.logits {
		pr := r.Probs(d)
		for k := range p.Grad {
			ind := 0.0
			if k == x[d] {
				ind = 1
			}
			p.Grad[k] = -adv * (ind - pr[k])
		}
	}
	r.adam.Step()
}
