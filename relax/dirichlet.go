package relax

import (
	"fmt"
	"math"

	"github.com/darts-go/darts/internal/dist"
	"github.com/darts-go/darts/internal/rng"
	"github.com/darts-go/darts/mixedop"
	"github.com/darts-go/darts/space"
	"gorgonia.org/tensor"
)

// DrNAS is the relaxation of DrNAS (Chen, Wang, Cheng, Tang, Hsieh, ICLR
// 2021; xiangning-chen/DrNAS utils.py process_step_vector, model_search.py
// forward and _get_kl_reg): each row of α is the concentration c =
// elu(α) + 1 of a Dirichlet distribution, and every forward pass mixes the
// edge's ops with a reparameterized draw θ ~ Dirichlet(c), one draw per
// tensor and pass shared by every cell of the type. The draw is the
// normalization of Gamma(cᵢ, 1) draws, each the inverse CDF at a uniform
// of the pass's stream, so θ is a smooth function of α at fixed uniforms
// and its gradient is the pathwise one (implicit differentiation of the
// Gamma CDF; internal/dist).
//
// The L2 regularizer of the code's default (reg_type l2) is Adam's weight
// decay on α (bilevel.Settings.ArchWeightDecay = reg_scale); with KL > 0
// the architecture objective adds KL · Σ_rows KL(Dir(c) ‖ Dir(1)) (reg_type
// kl, reg_scale = KL, which the code pairs with no weight decay), through
// Regularize. Weights are softmax(α), what the code's genotype and
// show_arch_parameters read: the op chosen on an edge is the argmax of the
// Dirichlet mean too, but edges are ranked by max softmax(α), not by the
// mean. The code's pruning mask (its progressive variant) is not part of
// this relaxation.
//
// Where this differs from the code: torch's Dirichlet.rsample draws its
// Gammas by Marsaglia–Tsang rejection with a gradient from a series
// approximation; here each Gamma is the exact inverse CDF of one uniform
// with the exact implicit gradient. Same distribution, other numbers.
type DrNAS[T Float] struct {
	KL float64 `json:"kl_scale"`
}

// Name implements Relaxation.
func (DrNAS[T]) Name() string { return "dirichlet" }

// Block implements Relaxation.
func (DrNAS[T]) Block(t space.Tensor, pass *Pass) mixedop.Block[T] {
	return &DirichletBlock[T]{Label: "dirichlet(" + t.Param + ")", Param: t.Param, Pass: pass}
}

// Weights implements Relaxation: softmax(α) per row.
func (DrNAS[T]) Weights(_ space.Tensor, alpha [][]float64) [][]float64 { return SoftmaxRows(alpha) }

// Regularize implements Regularizer: with KL > 0, R = KL · Σ over the
// tensors and their rows of KL(Dir(elu(α)+1) ‖ Dir(1)) (dist.DrNASKL), its
// gradient added to each term's Grad. A tensor whose concentration
// underflows (α below about −745) gets NaN gradients, which the search
// reports as non-finite.
func (d DrNAS[T]) Regularize(ts []Term, _ Pass) float64 {
	if d.KL == 0 {
		return 0
	}
	var sum float64
	for _, t := range ts {
		g := make([]float64, len(t.Value))
		r, err := dist.DrNASKL(t.Value, t.Cols, d.KL, g)
		if err != nil {
			for i := range t.Grad {
				t.Grad[i] = math.NaN()
			}
			return math.NaN()
		}
		sum += r
		for i, v := range g {
			t.Grad[i] += v
		}
	}
	return sum
}

// DirichletBlock is DrNAS's draw as a graph block: per row of a (K) or
// (E, K) tensor α, θ = Dirichlet(elu(α) + 1) at the pass's uniforms (one
// per entry, row-major, from rng.Key(TagDrNAS, seed, epoch, step, phase,
// sub, NameHash(param))). Backward is the pathwise gradient:
// dα = dc/dα · DirichletVJP(θ, d log z/dc, dy).
type DirichletBlock[T Float] struct {
	Label string
	Param string
	Pass  *Pass
	// Uniforms, if not nil, are the uniforms (row-major, one per entry, in
	// (0, 1)) used instead of the keyed draw.
	Uniforms []float64

	k                         int
	a, c, u, x, dlogz, gx, gc []float64
	y                         []T
}

// Name implements mixedop.Block.
func (b *DirichletBlock[T]) Name() string { return b.Label }

// Params implements mixedop.Block.
func (b *DirichletBlock[T]) Params() []*mixedop.Param[T] { return nil }

// OutShape implements mixedop.Block.
func (b *DirichletBlock[T]) OutShape(in []tensor.Shape) (tensor.Shape, error) {
	if len(in[0]) != 1 && len(in[0]) != 2 {
		return nil, fmt.Errorf("%s: want a vector or matrix, got shape %v", b.Label, in[0])
	}
	return in[0].Clone(), nil
}

// Forward implements mixedop.Block.
func (b *DirichletBlock[T]) Forward(in [][]T, shapes []tensor.Shape) ([]T, error) {
	alpha := in[0]
	b.k = shapes[0][len(shapes[0])-1]
	n := len(alpha)
	for _, s := range []*[]float64{&b.a, &b.c, &b.u, &b.x, &b.dlogz, &b.gx, &b.gc} {
		*s = grow(*s, n)
	}
	b.y = grow(b.y, n)
	if b.Uniforms != nil {
		if len(b.Uniforms) != n {
			return nil, fmt.Errorf("%s: %d uniforms for %d entries", b.Label, len(b.Uniforms), n)
		}
		copy(b.u, b.Uniforms)
	} else {
		var pass Pass
		if b.Pass != nil {
			pass = *b.Pass
		}
		s := dist.NewStream(noiseKey(rng.TagDrNAS, b.Param, pass))
		for i := range b.u {
			b.u[i] = s.Uniform()
		}
	}
	for i, v := range alpha {
		b.a[i] = float64(v)
		b.c[i] = dist.Concentration(b.a[i])
	}
	for r := 0; r+b.k <= n; r += b.k {
		if err := dist.Dirichlet(b.c[r:r+b.k], b.u[r:r+b.k], b.x[r:r+b.k], b.dlogz[r:r+b.k]); err != nil {
			return nil, fmt.Errorf("%s: row %d: %w", b.Label, r/b.k, err)
		}
	}
	for i, v := range b.x {
		b.y[i] = T(v)
	}
	return b.y, nil
}

// Backward implements mixedop.Block.
func (b *DirichletBlock[T]) Backward(dy []T, din [][]T) error {
	if din[0] == nil {
		return nil
	}
	for i, v := range dy {
		b.gx[i] = float64(v)
	}
	for r := 0; r+b.k <= len(dy); r += b.k {
		if err := dist.DirichletVJP(b.x[r:r+b.k], b.dlogz[r:r+b.k], b.gx[r:r+b.k], b.gc[r:r+b.k]); err != nil {
			return fmt.Errorf("%s: %w", b.Label, err)
		}
	}
	for i, g := range b.gc {
		din[0][i] += T(g * dist.ConcentrationDeriv(b.a[i]))
	}
	return nil
}
