package strategy

import (
	"fmt"

	"github.com/darts-go/darts/bilevel"
	"github.com/darts-go/darts/internal/rng"
	"github.com/darts-go/darts/mixedop"
	"github.com/darts-go/darts/relax"
	"github.com/darts-go/darts/space"
	"gorgonia.org/tensor"
)

// TagSample keys the architecture RSPS samples for a forward pass.
const TagSample uint64 = 0x7273707373616d70 // "rspssamp"

// Uniform is RSPS's sampling (Li & Talwalkar 2019, randomNAS_release
// darts_wrapper_discrete.py sample_arch): every forward pass runs one
// architecture drawn uniformly from the space (Encoding.Uniform), its
// edges weighted 1 at the chosen op and 0 elsewhere, so that only the
// sampled ops run (relax.Sparse). The draw is a function of the pass
// (seed, epoch, step, phase, sub) alone, the same for every architecture
// tensor of the pass: one architecture per step. The architecture
// tensors' values are not read, and no gradient flows to them.
//
// Its deterministic weights (alphas.jsonl) are the sampler's marginals:
// the probability that an edge carries an op.
type Uniform[T Float] struct {
	Enc *Encoding
}

// Name implements relax.Relaxation.
func (Uniform[T]) Name() string { return "uniform-sample" }

// Skip implements relax.Sparse (mixedop.SkipZero): the ops a sample does not choose are
// not run.
func (Uniform[T]) Skip() mixedop.Skip { return mixedop.SkipZero }

// Sample is the architecture of a pass.
func (u Uniform[T]) Sample(p relax.Pass) []int {
	return u.Enc.Uniform(rng.New(rng.Key(TagSample, p.Seed, uint64(p.Epoch), uint64(p.Step), uint64(p.Phase), uint64(p.Sub))))
}

// Block implements relax.Relaxation.
func (u Uniform[T]) Block(t space.Tensor, pass *relax.Pass) mixedop.Block[T] {
	return &weightsBlock[T]{label: "uniform(" + t.Param + ")", cell: t.Cell, weights: func() map[string][][]float64 {
		return u.Enc.Weights(u.Sample(*pass))
	}}
}

// Weights implements relax.Relaxation: the marginal probability of each
// (edge, op), 2/(n·K) on the DARTS space (a node picks 2 of its n incoming
// edges, each one of K ops), 1/K on NAS-Bench-201.
func (u Uniform[T]) Weights(t space.Tensor, alpha [][]float64) [][]float64 {
	out := make([][]float64, len(alpha))
	var cc *cellCode
	for i := range u.Enc.cells {
		if u.Enc.cells[i].name == t.Cell {
			cc = &u.Enc.cells[i]
		}
	}
	for r := range alpha {
		out[r] = make([]float64, len(alpha[r]))
		p := 1 / float64(len(alpha[r]))
		if cc != nil && cc.pairs && r < len(cc.cell.Edges) {
			p *= 2 / float64(len(cc.in[cc.cell.Edges[r].Node]))
		}
		for j := range out[r] {
			out[r][j] = p
		}
	}
	return out
}

// Fixed runs the architecture set last (Set) whatever the architecture
// tensors hold: the relaxation the strategies score candidates with.
// Only the chosen ops run (relax.Sparse).
type Fixed[T Float] struct {
	w map[string][][]float64
}

// Name implements relax.Relaxation.
func (*Fixed[T]) Name() string { return "fixed" }

// Skip implements relax.Sparse (mixedop.SkipZero).
func (*Fixed[T]) Skip() mixedop.Skip { return mixedop.SkipZero }

// Set makes the following forward passes run the architecture of these
// weights (Encoding.Weights).
func (f *Fixed[T]) Set(w map[string][][]float64) { f.w = w }

// Block implements relax.Relaxation.
func (f *Fixed[T]) Block(t space.Tensor, _ *relax.Pass) mixedop.Block[T] {
	return &weightsBlock[T]{label: "fixed(" + t.Param + ")", cell: t.Cell, weights: func() map[string][][]float64 { return f.w }}
}

// Weights implements relax.Relaxation: the weights set last, or the
// tensor's values if none are.
func (f *Fixed[T]) Weights(t space.Tensor, alpha [][]float64) [][]float64 {
	if w, ok := f.w[t.Cell]; ok {
		return w
	}
	return alpha
}

// weightsBlock outputs the rows of its cell type from weights(), ignoring
// its input (the architecture tensor, which gets no gradient).
type weightsBlock[T Float] struct {
	label   string
	cell    string
	weights func() map[string][][]float64
	y       []T
}

func (b *weightsBlock[T]) Name() string                { return b.label }
func (b *weightsBlock[T]) Params() []*mixedop.Param[T] { return nil }
func (b *weightsBlock[T]) OutShape(in []tensor.Shape) (tensor.Shape, error) {
	if len(in[0]) != 2 {
		return nil, fmt.Errorf("%s: want an edges x ops matrix, got shape %v", b.label, in[0])
	}
	return in[0].Clone(), nil
}
func (b *weightsBlock[T]) Forward(in [][]T, shapes []tensor.Shape) ([]T, error) {
	rows, cols := shapes[0][0], shapes[0][1]
	w, ok := b.weights()[b.cell]
	if !ok || len(w) != rows {
		return nil, fmt.Errorf("%s: no architecture of %d edges set for the %s cell", b.label, rows, b.cell)
	}
	if cap(b.y) < rows*cols {
		b.y = make([]T, rows*cols)
	}
	b.y = b.y[:rows*cols]
	for r, row := range w {
		if len(row) != cols {
			return nil, fmt.Errorf("%s: edge %d has %d weights, want %d", b.label, r, len(row), cols)
		}
		for j, v := range row {
			b.y[r*cols+j] = T(v)
		}
	}
	return b.y, nil
}
func (b *weightsBlock[T]) Backward(dy []T, din [][]T) error { return nil }

// NoArch is the architecture step of a method that trains no architecture
// (RSPS): it computes nothing and leaves the gradients at zero, so that,
// with no weight decay on them, the architecture tensors keep their values.
type NoArch[T Float] struct{}

// Name implements bilevel.ArchStep.
func (NoArch[T]) Name() string { return "none" }

// ArchGrad implements bilevel.ArchStep: zero gradients.
func (NoArch[T]) ArchGrad(c *bilevel.StepContext[T]) error {
	for _, p := range c.Net.ArchParams() {
		clear(p.Grad)
	}
	return nil
}
