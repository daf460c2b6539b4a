package strategy

import (
	"math"
	"slices"
	"testing"

	"github.com/darts-go/darts/internal/rng"
	"github.com/darts-go/darts/space"
)

// objective is a synthetic score: the fraction of decisions equal to
// target's.
func objective(x, target []int) float64 {
	n := 0
	for d := range x {
		if x[d] == target[d] {
			n++
		}
	}
	return float64(n) / float64(len(x))
}

// run drives a strategy for n candidates on the objective and returns the
// candidates and their scores.
func run(t *testing.T, s Strategy, n int, target []int) ([][]int, []float64) {
	t.Helper()
	var xs [][]int
	var ys []float64
	for i := range n {
		x, err := s.Propose(i)
		if err != nil {
			t.Fatal(err)
		}
		y := objective(x, target)
		s.Observe(i, x, y)
		xs, ys = append(xs, x), append(ys, y)
	}
	return xs, ys
}

// TestRandomProposalsAreFunctionsOfSeedAndIndex: random search's
// candidate i does not depend on what was observed before it.
func TestRandomProposalsAreFunctionsOfSeedAndIndex(t *testing.T) {
	e := nb201Enc(t, space.NB201Ops)
	a := &Random{Enc: e, Seed: 7}
	b := &Random{Enc: e, Seed: 7}
	for i := 0; i < 50; i++ {
		x, _ := a.Propose(i)
		a.Observe(i, x, float64(i))
	}
	for _, i := range []int{49, 3, 17} {
		x, _ := a.Propose(i)
		y, _ := b.Propose(i)
		if !slices.Equal(x, y) {
			t.Errorf("candidate %d: %v after 50 observations, %v fresh", i, x, y)
		}
	}
	c := &Random{Enc: e, Seed: 8}
	same := 0
	for i := range 50 {
		x, _ := a.Propose(i)
		y, _ := c.Propose(i)
		if slices.Equal(x, y) {
			same++
		}
	}
	if same > 2 {
		t.Errorf("seeds 7 and 8 agree on %d of 50 candidates", same)
	}
}

// TestEvolutionIsAgingTournamentWithOneMutation checks regularized
// evolution step by step against its definition: the first P candidates
// are independent of the scores; every later one is one mutation away
// from a member of the population at that time (the last P candidates),
// and that member is at least as good as the population's median in most
// cases (it won a tournament of S); the population ages (a member's
// score never brings it back after P more candidates).
func TestEvolutionIsAgingTournamentWithOneMutation(t *testing.T) {
	e := dartsEnc(t, 4, space.DARTSOps)
	target := e.Uniform(newRand(1))
	const P, S, n = 10, 4, 300
	ev := &Evolution{Enc: e, Seed: 3, Population: P, Tournament: S}
	xs, ys := run(t, ev, n, target)
	// The first P do not depend on the scores.
	other := &Evolution{Enc: e, Seed: 3, Population: P, Tournament: S}
	for i := 0; i < P; i++ {
		x, _ := other.Propose(i)
		if !slices.Equal(x, xs[i]) {
			t.Fatalf("initial candidate %d depends on the scores", i)
		}
		other.Observe(i, x, -float64(i))
	}
	aboveMedian := 0
	for i := P; i < n; i++ {
		gi, _ := e.Genotype(xs[i])
		parent := -1
		for j := i - P; j < i; j++ {
			gj, _ := e.Genotype(xs[j])
			if d := pairDiff(gj, gi); len(d) == 1 && d[0] != "more than one change" {
				if parent < 0 || ys[j] > ys[parent] {
					parent = j
				}
			}
		}
		if parent < 0 {
			t.Fatalf("candidate %d is one mutation away from no member of the population %d..%d", i, i-P, i-1)
		}
		pop := slices.Clone(ys[i-P : i])
		slices.Sort(pop)
		if ys[parent] >= pop[P/2] {
			aboveMedian++
		}
	}
	// A tournament of 4 picks a member at or above the median with
	// probability 1 - (1/2)^4 ≈ 0.94; the closest parent in the
	// population is such a member at least as often.
	if f := float64(aboveMedian) / float64(n-P); f < 0.8 {
		t.Errorf("parents at or above the population's median: %.2f of children", f)
	}
	// It improves on random search on this objective at equal budget.
	rs := &Random{Enc: e, Seed: 3}
	_, ry := run(t, rs, n, target)
	if slices.Max(ys) <= slices.Max(ry) {
		t.Errorf("evolution's best %.3f not above random search's %.3f after %d candidates", slices.Max(ys), slices.Max(ry), n)
	}
}

// TestEvolutionPopulationIsTheLastP: after any number of observations the
// population is exactly the last P candidates, oldest first.
func TestEvolutionPopulationIsTheLastP(t *testing.T) {
	e := nb201Enc(t, space.NB201Ops)
	ev := &Evolution{Enc: e, Seed: 1, Population: 5, Tournament: 2}
	xs, ys := run(t, ev, 23, make([]int, 6))
	if len(ev.pop) != 5 {
		t.Fatalf("population of %d", len(ev.pop))
	}
	for k, m := range ev.pop {
		if !slices.Equal(m.x, xs[18+k]) || m.score != ys[18+k] {
			t.Fatalf("member %d is not candidate %d", k, 18+k)
		}
	}
}

// TestReinforceBaseline: the baseline is the bias-corrected moving
// average Σ m^(n-i)(1-m)R_i / Σ m^(n-i)(1-m), and with every reward equal
// the advantage is 0, so the policy stays uniform.
func TestReinforceBaseline(t *testing.T) {
	e := nb201Enc(t, space.NB201Ops)
	r := NewReinforce(e, 1, 0.1, 0.9)
	rewards := []float64{0.3, 0.7, 0.1, 0.9, 0.5}
	for i, R := range rewards {
		x, _ := r.Propose(i)
		r.Observe(i, x, R)
		var num, den float64
		for j := 0; j <= i; j++ {
			w := math.Pow(0.9, float64(i-j)) * 0.1
			num += w * rewards[j]
			den += w
		}
		if d := math.Abs(r.Baseline() - num/den); d > 1e-12 {
			t.Errorf("baseline after %d rewards %v, want %v", i+1, r.Baseline(), num/den)
		}
	}
	c := NewReinforce(e, 1, 0.1, 0.9)
	for i := range 40 {
		x, _ := c.Propose(i)
		c.Observe(i, x, 0.5)
	}
	for d := range 6 {
		for _, p := range c.Probs(d) {
			if math.Abs(p-0.2) > 1e-12 {
				t.Fatalf("decision %d: probabilities %v after constant rewards", d, c.Probs(d))
			}
		}
	}
}

// TestReinforceGradient: the step REINFORCE takes is Adam's (PyTorch 1.x,
// β = (0.9, 0.999)) on the gradient of -(R-b)·log π(x), g = -(R-b)·
// (onehot(x) - p), computed here from the definitions: after a first step
// of advantage 0 (g = 0, as PyTorch steps), the second step is
// lr·m̂/(√v̂+ε) with m = 0.1·g, v = 0.001·g², bias corrections 1-0.9² and
// 1-0.999².
func TestReinforceGradient(t *testing.T) {
	e := nb201Enc(t, space.NB201Ops)
	const lr = 0.05
	r := NewReinforce(e, 4, lr, 0.9)
	x0, _ := r.Propose(0)
	r.Observe(0, x0, 0.2) // advantage 0: no change
	x1, _ := r.Propose(1)
	before := make([][]float64, 6)
	for d := range before {
		before[d] = r.Probs(d)
	}
	r.Observe(1, x1, 0.8)
	b := (0.9*0.1*0.2 + 0.1*0.8) / (0.9*0.1 + 0.1)
	adv := 0.8 - b
	for d := range 6 {
		for k, v := range r.logits[d].Value {
			ind := 0.0
			if k == x1[d] {
				ind = 1
			}
			g := -adv * (ind - before[d][k])
			mhat := 0.1 * g / (1 - 0.9*0.9)
			vhat := 0.001 * g * g / (1 - 0.999*0.999)
			want := -lr * mhat / (math.Sqrt(vhat) + 1e-8)
			if math.Abs(v-want) > 1e-9 {
				t.Errorf("decision %d logit %d = %v, want %v", d, k, v, want)
			}
		}
	}
	// And it learns: on the objective, the target's probability rises.
	target := []int{3, 1, 4, 0, 2, 3}
	l := NewReinforce(e, 9, 0.05, 0.9)
	run(t, l, 400, target)
	for d, tv := range target {
		if p := l.Probs(d)[tv]; p < 0.5 {
			t.Errorf("decision %d: probability of the rewarded op %.2f after 400 candidates", d, p)
		}
	}
}

func TestSettingsValidate(t *testing.T) {
	ok := DefaultSettings(EvolutionName)
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []func(*Settings){
		func(s *Settings) { s.Strategy = "annealing" },
		func(s *Settings) { s.Budget = 0 },
		func(s *Settings) { s.Rescore = -1 },
		func(s *Settings) { s.Tournament = s.Population + 1 },
		func(s *Settings) { s.Population = 1 },
		func(s *Settings) { s.Score.Batches = 0 },
		func(s *Settings) { s.Score.BN = "off" },
	} {
		s := ok
		bad(&s)
		if err := s.Validate(); err == nil {
			t.Errorf("%+v: no error", s)
		}
	}
	r := DefaultSettings(ReinforceName)
	r.LR = 0
	if err := r.Validate(); err == nil {
		t.Error("learning rate 0: no error")
	}
}

func newRand(seed uint64) *rng.Rand { return rng.New(seed) }
