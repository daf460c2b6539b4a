package relax

import (
	"fmt"
	"math"

	"github.com/darts-go/darts/internal/dist"
	"github.com/darts-go/darts/internal/kern"
	"github.com/darts-go/darts/internal/rng"
	"github.com/darts-go/darts/mixedop"
	"github.com/darts-go/darts/space"
	"gorgonia.org/tensor"
)

// GDAS is the relaxation of GDAS (Dong and Yang, CVPR 2019) as
// AutoDL-Projects re-implements it (search_model_gdas.py and
// search_model_gdas_nasnet.py, forward and get_gumbel_prob): per forward
// pass and per row of α, Gumbel noise g, p = softmax((log_softmax(α) +
// g)/τ), and the edge weights h = one_hot(argmax p) − stopgrad(p) + p:
// exactly one-hot in value, with p's gradient (straight-through). One draw
// per tensor and pass, shared by every cell of the type. τ follows Tau,
// once per epoch.
//
// The mixed edges run only the selected op (Skip): Scalars chooses what
// the others contribute, as the two AutoDL cells differ. With Scalars
// (NAS201SearchCell.forward_gdas) each unselected weight is added to the
// edge output as a bare scalar, worth 0 but passing Σ dy to its α; without
// (the DARTS-space MixedOp.forward_gdas) only h_index·op_index(x) remains.
//
// Where this differs from the code: log_softmax only shifts a row, so the
// logits are (α + g)/τ, the same softmax; h is set to exactly 0 and 1
// rather than computed as 1 − p + p; and the reference's redraw when a
// Gumbel or a probability is infinite or NaN cannot happen here (the
// uniforms lie strictly inside (0, 1), the softmax is stable), so there is
// none. Weights (alphas.jsonl, derivation) are softmax(α), as the code's
// show_alphas and genotype read them.
type GDAS[T Float] struct {
	Tau     Anneal `json:"tau"`
	Scalars bool   `json:"scalar_terms"`
}

// Name implements Relaxation.
func (GDAS[T]) Name() string { return "gdas" }

// Block implements Relaxation.
func (g GDAS[T]) Block(t space.Tensor, pass *Pass) mixedop.Block[T] {
	return &GumbelBlock[T]{Label: "gdas(" + t.Param + ")", Param: t.Param, Tag: rng.TagGDAS, Pass: pass, Tau: g.Tau, Hard: true}
}

// Weights implements Relaxation: softmax(α) per row.
func (GDAS[T]) Weights(_ space.Tensor, alpha [][]float64) [][]float64 { return SoftmaxRows(alpha) }

// Skip implements Sparse.
func (g GDAS[T]) Skip() mixedop.Skip {
	if g.Scalars {
		return mixedop.SkipZeroScalar
	}
	return mixedop.SkipZero
}

// SNAS is the relaxation of SNAS (Xie, Zheng, Liu, Lin, ICLR 2019;
// SNAS-Series SNAS/model_search.py _get_categ_mask): the architecture
// tensor holds log α, and each forward pass mixes the ops of an edge with
// the soft Gumbel-softmax sample Z = softmax((log α + g)/τ), g Gumbel
// noise, one draw per tensor and pass shared by every cell of the type (the
// code's default; --resample_layer is not followed). τ follows Tau, once
// per epoch. Weights are softmax(log α), what genotype_edge_all reads.
// The same function with α as logits is F.gumbel_softmax(α, τ, hard=False),
// DrNAS's SNAS baseline on NAS-Bench-201.
type SNAS[T Float] struct {
	Tau Anneal `json:"tau"`
}

// Name implements Relaxation.
func (SNAS[T]) Name() string { return "snas" }

// Block implements Relaxation.
func (s SNAS[T]) Block(t space.Tensor, pass *Pass) mixedop.Block[T] {
	return &GumbelBlock[T]{Label: "snas(" + t.Param + ")", Param: t.Param, Tag: rng.TagSNAS, Pass: pass, Tau: s.Tau}
}

// Weights implements Relaxation: softmax(log α) per row.
func (SNAS[T]) Weights(_ space.Tensor, alpha [][]float64) [][]float64 { return SoftmaxRows(alpha) }

// noiseKey is the key of the random draws of the tensor whose parameter is
// param in pass p: rng.Key(tag, seed, epoch, step, phase, sub,
// NameHash(param)). Each entry takes the next uniform of its stream,
// row-major.
func noiseKey(tag uint64, param string, p Pass) uint64 {
	return rng.Key(tag, p.Seed, uint64(p.Epoch), uint64(p.Step), uint64(p.Phase), uint64(p.Sub), dist.NameHash(param))
}

// GumbelBlock is the Gumbel-softmax of a (K) or (E, K) tensor of logits
// as a graph block: per row, p = softmax((x + g)/τ) with g Gumbel(0, 1)
// noise, τ = Tau at the pass's epoch; the output is p (soft, SNAS) or
// one_hot(argmax p) with p's gradient (Hard, GDAS's straight-through).
// Backward: dx = p ⊙ (dy − Σ dy ⊙ p)/τ per row, in both cases.
type GumbelBlock[T Float] struct {
	Label string
	Param string // the tensor's parameter name, a part of the noise key
	Tag   uint64 // the method's rng tag
	Pass  *Pass  // read in Forward; nil is the zero Pass
	Tau   Anneal
	Hard  bool
	// Noise, if not nil, is the Gumbel noise (row-major, one per entry)
	// used instead of the keyed draw: to reproduce a reference's numbers.
	Noise []float64
	// Index holds the selected op of each row after a Hard Forward.
	Index []int

	k   int
	tau float64
	g   []float64
	z   []float64
	p   []float64
	y   []T
}

// Name implements mixedop.Block.
func (b *GumbelBlock[T]) Name() string { return b.Label }

// Params implements mixedop.Block.
func (b *GumbelBlock[T]) Params() []*mixedop.Param[T] { return nil }

// OutShape implements mixedop.Block.
func (b *GumbelBlock[T]) OutShape(in []tensor.Shape) (tensor.Shape, error) {
	if len(in[0]) != 1 && len(in[0]) != 2 {
		return nil, fmt.Errorf("%s: want a vector or matrix, got shape %v", b.Label, in[0])
	}
	return in[0].Clone(), nil
}

// Forward implements mixedop.Block.
func (b *GumbelBlock[T]) Forward(in [][]T, shapes []tensor.Shape) ([]T, error) {
	x := in[0]
	b.k = shapes[0][len(shapes[0])-1]
	var pass Pass
	if b.Pass != nil {
		pass = *b.Pass
	}
	b.tau = b.Tau.At(pass.Epoch, pass.Epochs)
	if !(b.tau > 0) || math.IsInf(b.tau, 0) {
		return nil, fmt.Errorf("%s: temperature %g at epoch %d: need a positive, finite one", b.Label, b.tau, pass.Epoch+1)
	}
	n := len(x)
	b.g, b.z, b.p, b.y = grow(b.g, n), grow(b.z, n), grow(b.p, n), grow(b.y, n)
	if b.Noise != nil {
		if len(b.Noise) != n {
			return nil, fmt.Errorf("%s: %d noise values for %d logits", b.Label, len(b.Noise), n)
		}
		copy(b.g, b.Noise)
	} else {
		s := dist.NewStream(noiseKey(b.Tag, b.Param, pass))
		for i := range b.g {
			b.g[i] = s.Gumbel()
		}
	}
	for i, v := range x {
		b.z[i] = (float64(v) + b.g[i]) / b.tau
	}
	b.Index = b.Index[:0]
	for r := 0; r+b.k <= n; r += b.k {
		p := b.p[r : r+b.k]
		kern.Softmax(b.z[r:r+b.k], p)
		if !b.Hard {
			for i, v := range p {
				b.y[r+i] = T(v)
			}
			continue
		}
		best := 0
		for i, v := range p {
			if v > p[best] {
				best = i
			}
		}
		for i := range p {
			b.y[r+i] = 0
		}
		b.y[r+best] = 1
		b.Index = append(b.Index, best)
	}
	return b.y, nil
}

// Backward implements mixedop.Block.
func (b *GumbelBlock[T]) Backward(dy []T, din [][]T) error {
	if din[0] == nil {
		return nil
	}
	for r := 0; r+b.k <= len(dy); r += b.k {
		p := b.p[r : r+b.k]
		var dot float64
		for i, v := range p {
			dot += float64(dy[r+i]) * v
		}
		for i, v := range p {
			din[0][r+i] += T(v * (float64(dy[r+i]) - dot) / b.tau)
		}
	}
	return nil
}
