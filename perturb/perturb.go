// Package perturb holds SDARTS's perturbations of the architecture weights
// (Chen & Hsieh, ICML 2020; xiangning-chen/SmoothDARTS): the weight step
// trains the supernet under edge weights p̃ near p = softmax(α), drawn
// uniformly within ε (SDARTS-RS, random smoothing) or found by a few steps
// of projected sign-gradient ascent on the training loss within the L∞
// ball of radius ε (SDARTS-ADV, an adversarial attack), and every other
// pass sees p. It is a relax.Relaxation that implements
// bilevel.WeightPerturber.
//
// Its random draws are pure functions of (seed, epoch, step, tensor); the
// perturbation is recomputed from α at every step, so a checkpoint needs
// nothing of it. It touches the network only through the
// bilevel.StepContext it is handed.
package perturb

import (
	"fmt"
	"math"

	"github.com/darts-go/darts/bilevel"
	"github.com/darts-go/darts/internal/kern"
	"github.com/darts-go/darts/internal/rng"
	"github.com/darts-go/darts/mixedop"
	"github.com/darts-go/darts/relax"
	"github.com/darts-go/darts/space"
	"github.com/darts-go/darts/supernet"
	"gorgonia.org/tensor"
)

// Float is the element type of a network.
type Float = mixedop.Float

// The modes of SDARTS (train_search.py --perturb_alpha).
const (
	Random      = "random"   // SDARTS-RS: Random_alpha
	Adversarial = "pgd_linf" // SDARTS-ADV: Linf_PGD_alpha
)

// tagSDARTS keys the draws of this package (rng.Key).
const tagSDARTS uint64 = 0x7364617274737273 // "sdartsrs"

// SDARTS is the relaxation of SDARTS-RS and SDARTS-ADV: softmax(α), except
// in the weight step, whose edge weights are a perturbation p̃ of
// p = softmax(α) chosen before it (PerturbWeights) and used as they are,
// without a softmax (model_search.py forward(updateType='weight')).
//
// ε grows linearly over the run, ε_e = EpsilonMin + (Epsilon −
// EpsilonMin)·e/E at 0-based epoch e of E (train_search.py: 0.03 +
// (epsilon_alpha − 0.03)·epoch/epochs, epsilon_alpha = 0.3).
//
// Random: p̃ = clip(p + δ), δ ~ U[−ε, ε] entry by entry (Random_alpha).
//
// Adversarial (Linf_PGD_alpha): with BatchNorm on its running statistics
// (model.eval()), the training loss L0 at p; a random start p̃ = clip(p +
// δ); Steps times p̃ ← p̃ + (2ε/Steps)·sign(∂L/∂p̃), then p̃ ← clip(p +
// clamp(p̃ − p, −ε, ε)); the loss L1 at p̃; and p̃ = p if L0 > L1.
//
// clip (model_search.py Network.clip) maps each row onto the simplex:
// remember its argmax, clamp every entry to [0, 1], set the remembered
// entry to 1 if the row sums to 0, divide by the row's sum.
type SDARTS[T Float] struct {
	Mode       string  `json:"mode"`
	Epsilon    float64 `json:"epsilon"`
	EpsilonMin float64 `json:"epsilon_min"`
	Steps      int     `json:"steps,omitempty"` // attack steps (Adversarial)

	st *state
}

// state is what PerturbWeights leaves for the blocks and for inspection.
type state struct {
	w    map[string][]float64 // perturbed weights by tensor name, row-major
	last Stats
}

// Stats describes the last perturbation.
type Stats struct {
	Epoch, Step int
	Epsilon     float64
	// LossBefore and LossAfter are the attack's eval-mode training losses
	// at p and at the final p̃ (Adversarial only); Reverted says p̃ was
	// dropped for p because the attack lowered the loss.
	LossBefore, LossAfter float64
	Reverted              bool
}

// New returns the relaxation of SDARTS in mode (Random or Adversarial)
// with ε growing from epsMin to eps and, for Adversarial, steps attack
// steps; it checks the settings.
func New[T Float](mode string, eps, epsMin float64, steps int) (*SDARTS[T], error) {
	r := &SDARTS[T]{Mode: mode, Epsilon: eps, EpsilonMin: epsMin, st: &state{w: map[string][]float64{}}}
	finite := func(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
	switch {
	case mode != Random && mode != Adversarial:
		return nil, fmt.Errorf("sdarts: mode %q: want %q or %q", mode, Random, Adversarial)
	case !finite(eps) || !finite(epsMin) || epsMin < 0 || eps < epsMin:
		return nil, fmt.Errorf("sdarts: epsilon %g → %g: need 0 ≤ epsilon_min ≤ epsilon, both finite", epsMin, eps)
	case mode == Adversarial && steps < 1:
		return nil, fmt.Errorf("sdarts: %d attack steps: need at least 1", steps)
	}
	if mode == Adversarial {
		r.Steps = steps
	}
	return r, nil
}

// Name implements relax.Relaxation.
func (r *SDARTS[T]) Name() string {
	if r.Mode == Adversarial {
		return "sdarts-adv"
	}
	return "sdarts-rs"
}

// Block implements relax.Relaxation.
func (r *SDARTS[T]) Block(t space.Tensor, pass *relax.Pass) mixedop.Block[T] {
	return &block[T]{t: t, pass: pass, st: r.st, soft: relax.SoftmaxBlock[T]{Label: "softmax(" + t.Param + ")"}}
}

// Weights implements relax.Relaxation: softmax(α), the weights every pass
// but the weight step's sees.
func (r *SDARTS[T]) Weights(_ space.Tensor, alpha [][]float64) [][]float64 {
	return relax.SoftmaxRows(alpha)
}

// EpsilonAt is ε in epoch (0-based) e of a run of epochs.
func (r *SDARTS[T]) EpsilonAt(e, epochs int) float64 {
	if epochs <= 0 {
		return r.EpsilonMin
	}
	return r.EpsilonMin + (r.Epsilon-r.EpsilonMin)*float64(e)/float64(epochs)
}

// Last reports the last perturbation.
func (r *SDARTS[T]) Last() Stats { return r.st.last }

// Perturbed returns the weights of tensor name (rows × cols) the last
// weight step trained under, or nil before the first.
func (r *SDARTS[T]) Perturbed(name string, cols int) [][]float64 {
	w := r.st.w[name]
	if w == nil {
		return nil
	}
	rows := make([][]float64, len(w)/cols)
	for i := range rows {
		rows[i] = append([]float64(nil), w[i*cols:(i+1)*cols]...)
	}
	return rows
}

// PerturbWeights implements bilevel.WeightPerturber.
func (r *SDARTS[T]) PerturbWeights(c *bilevel.StepContext[T]) error {
	eps := r.EpsilonAt(c.Epoch, c.Settings.Epochs)
	r.st.last = Stats{Epoch: c.Epoch, Step: c.Step, Epsilon: eps}
	arch := c.Net.Arch()
	base := make([][]float64, len(arch))
	for i, a := range arch {
		base[i] = make([]float64, len(a.Param.Value))
		for r := 0; r < a.Rows; r++ {
			row := base[i][r*a.Cols : (r+1)*a.Cols]
			for j := range row {
				row[j] = float64(a.Param.Value[r*a.Cols+j])
			}
			kern.Softmax(row, row)
		}
	}
	start := make([][]float64, len(arch))
	for i, a := range arch {
		start[i] = append([]float64(nil), base[i]...)
		d := Uniform(c.Settings.Seed, c.Epoch, c.Step, i, eps, len(start[i]))
		for j := range start[i] {
			start[i][j] += d[j]
		}
		ClipRows(start[i], a.Cols)
	}
	if r.Mode == Random {
		r.set(arch, start)
		return nil
	}
	return r.attack(c, base, start, eps)
}

// attack is Linf_PGD_alpha from the random start.
func (r *SDARTS[T]) attack(c *bilevel.StepContext[T], base, p [][]float64, eps float64) error {
	arch := c.Net.Arch()
	c.SetBatchNormEval(true)
	c.SetWeightGrads(false) // only ∂L/∂p̃ is needed
	defer func() {
		c.SetBatchNormEval(false)
		c.SetWeightGrads(true)
	}()
	r.set(arch, base)
	before, err := c.Eval(c.Train, 1, "SDARTS attack: loss before")
	if err != nil {
		return err
	}
	lr := 2 * eps / float64(r.Steps)
	for k := 0; k < r.Steps; k++ {
		r.set(arch, p)
		if _, err := c.Run(c.Train, 2+k, fmt.Sprintf("SDARTS attack step %d", k+1)); err != nil {
			return err
		}
		for i, a := range arch {
			for j, g := range a.Param.Grad {
				// The block passes ∂L/∂p̃ to α unchanged.
				switch {
				case g > 0:
					p[i][j] += lr
				case g < 0:
					p[i][j] -= lr
				}
				p[i][j] = base[i][j] + math.Max(-eps, math.Min(eps, p[i][j]-base[i][j]))
			}
			ClipRows(p[i], a.Cols)
		}
	}
	r.set(arch, p)
	after, err := c.Eval(c.Train, 2+r.Steps, "SDARTS attack: loss after")
	if err != nil {
		return err
	}
	r.st.last.LossBefore, r.st.last.LossAfter = before.Loss, after.Loss
	if before.Loss > after.Loss {
		r.st.last.Reverted = true
		r.set(arch, base)
	}
	return nil
}

// set makes w the weights of the weight-phase passes.
func (r *SDARTS[T]) set(arch []*supernet.Arch[T], w [][]float64) {
	for i, a := range arch {
		dst := r.st.w[a.Tensor.Name]
		if len(dst) != len(w[i]) {
			dst = make([]float64, len(w[i]))
			r.st.w[a.Tensor.Name] = dst
		}
		copy(dst, w[i])
	}
}

// Uniform returns n draws of U[−eps, eps], a pure function of (seed,
// epoch, step, tensor).
func Uniform(seed uint64, epoch, step, tensor int, eps float64, n int) []float64 {
	g := rng.New(rng.Key(tagSDARTS, seed, uint64(epoch), uint64(step), uint64(tensor)))
	d := make([]float64, n)
	for i := range d {
		d[i] = eps * (2*g.Float64() - 1)
	}
	return d
}

// ClipRows is SDARTS's clip on each row of cols entries of w: the row's
// argmax (the first, on ties) is remembered, every entry clamped to
// [0, 1], the remembered entry set to 1 if the row then sums to 0, and
// the row divided by its sum.
func ClipRows(w []float64, cols int) {
	for r := 0; r+cols <= len(w); r += cols {
		row := w[r : r+cols]
		best := 0
		for j, v := range row {
			if v > row[best] {
				best = j
			}
		}
		var sum float64
		for j, v := range row {
			row[j] = math.Max(0, math.Min(1, v))
			sum += row[j]
		}
		if sum == 0 {
			row[best], sum = 1, 1
		}
		for j := range row {
			row[j] /= sum
		}
	}
}

// block is the graph block of one tensor: softmax(α), or in the weight
// phase the perturbed weights, whose gradient it passes to α unchanged
// (so that α's gradient after such a run is ∂L/∂p̃).
type block[T Float] struct {
	t      space.Tensor
	pass   *relax.Pass
	st     *state
	soft   relax.SoftmaxBlock[T]
	direct bool
	y      []T
}

func (b *block[T]) Name() string                { return b.soft.Label }
func (b *block[T]) Params() []*mixedop.Param[T] { return nil }
func (b *block[T]) OutShape(in []tensor.Shape) (tensor.Shape, error) {
	return b.soft.OutShape(in)
}

func (b *block[T]) Forward(in [][]T, shapes []tensor.Shape) ([]T, error) {
	w := b.st.w[b.t.Name]
	b.direct = b.pass != nil && b.pass.Phase == relax.PhaseWeight && w != nil
	if !b.direct {
		return b.soft.Forward(in, shapes)
	}
	if len(w) != len(in[0]) {
		return nil, fmt.Errorf("%s: %d perturbed weights for a tensor of %d", b.soft.Label, len(w), len(in[0]))
	}
	if cap(b.y) < len(w) {
		b.y = make([]T, len(w))
	}
	b.y = b.y[:len(w)]
	for i, v := range w {
		b.y[i] = T(v)
	}
	return b.y, nil
}

func (b *block[T]) Backward(dy []T, din [][]T) error {
	if !b.direct {
		return b.soft.Backward(dy, din)
	}
	if din[0] != nil {
		for i, d := range dy {
			din[0][i] += d
		}
	}
	return nil
}
