package projection

import (
	"fmt"
	"slices"

	"github.com/darts-go/darts/mixedop"
	"github.com/darts-go/darts/relax"
	"github.com/darts-go/darts/space"
	"gorgonia.org/tensor"
)

// State is what the selection has decided so far, by op tensor (cell
// type) name: each edge's op (an index into the tensor's columns; -1:
// undecided), the edges a node's topology decision dropped, and the nodes
// decided.
type State struct {
	Op       map[string][]int
	Dropped  map[string][]bool
	NodeDone map[string][]bool
}

// newState is the state of nothing decided for the op tensors of sp.
func newState(sp space.Space) *State {
	st := &State{Op: map[string][]int{}, Dropped: map[string][]bool{}, NodeDone: map[string][]bool{}}
	for _, ct := range sp.Cells {
		ops := make([]int, len(ct.Cell.Edges))
		for i := range ops {
			ops[i] = -1
		}
		st.Op[ct.Name] = ops
		st.Dropped[ct.Name] = make([]bool, len(ct.Cell.Edges))
		st.NodeDone[ct.Name] = make([]bool, ct.Cell.Nodes)
	}
	return st
}

// clone is a deep copy of st.
func (st *State) clone() *State {
	c := &State{Op: map[string][]int{}, Dropped: map[string][]bool{}, NodeDone: map[string][]bool{}}
	for k, v := range st.Op {
		c.Op[k] = append([]int(nil), v...)
	}
	for k, v := range st.Dropped {
		c.Dropped[k] = append([]bool(nil), v...)
	}
	for k, v := range st.NodeDone {
		c.NodeDone[k] = append([]bool(nil), v...)
	}
	return c
}

// Projection is the state a selection shares with the relaxation it puts
// on the supernet: the decisions so far and the removal being probed.
type Projection struct {
	Space space.Space
	State *State
	probe *probe
}

// NewProjection is the projection of nothing decided on sp.
func NewProjection(sp space.Space) *Projection {
	return &Projection{Space: sp, State: newState(sp)}
}

// Replay commits decisions ds in order (a resumed selection's).
func (p *Projection) Replay(ds []Decision) error {
	for _, d := range ds {
		ops, ok := p.State.Op[d.Cell]
		if !ok {
			return fmt.Errorf("decision of round %d: no cell type %q", d.Round, d.Cell)
		}
		switch d.Kind {
		case "op":
			if d.Edge < 0 || d.Edge >= len(ops) || indexOf(p.Space.Ops, d.Op) < 0 {
				return fmt.Errorf("decision of round %d: edge %d, op %q do not fit cell %q", d.Round, d.Edge, d.Op, d.Cell)
			}
		case "edge":
			if d.Node < 0 || d.Node >= len(p.State.NodeDone[d.Cell]) {
				return fmt.Errorf("decision of round %d: node %d does not fit cell %q", d.Round, d.Node, d.Cell)
			}
		default:
			return fmt.Errorf("decision of round %d: kind %q (want op or edge)", d.Round, d.Kind)
		}
		p.commit(d)
	}
	return nil
}

func indexOf(xs []string, x string) int {
	for i, v := range xs {
		if v == x {
			return i
		}
	}
	return -1
}

// commit applies decision d: project_op's one-hot row, or project_edge's
// zero rows on the node's edges not kept.
func (p *Projection) commit(d Decision) {
	switch d.Kind {
	case "op":
		p.State.Op[d.Cell][d.Edge] = indexOf(p.Space.Ops, d.Op)
	case "edge":
		ct, _ := p.Space.CellType(d.Cell)
		for e, ed := range ct.Cell.Edges {
			if ed.Node == d.Node && !slices.Contains(d.Kept, e) {
				p.State.Dropped[d.Cell][e] = true
			}
		}
		p.State.NodeDone[d.Cell][d.Node] = true
	}
}

// apply returns weights w of tensor name (the base relaxation's) with the
// decided rows and probe pr applied (get_projected_weights, then the
// probe's mask): a new matrix, w untouched.
func (p *Projection) apply(name string, w [][]float64, pr *probe) [][]float64 {
	out := make([][]float64, len(w))
	for e := range w {
		if row, ok := p.row(name, e, len(w[e])); ok {
			out[e] = row
		} else {
			out[e] = append([]float64(nil), w[e]...)
		}
		if pr != nil && pr.Tensor == name && pr.Edge == e {
			for k := range out[e] {
				if pr.Op < 0 || k == pr.Op {
					out[e][k] = 0
				}
			}
		}
	}
	return out
}

// row returns the constant row of edge e of tensor name (k columns) if the
// selection has fixed it: zeros if dropped, else the one-hot of its op.
func (p *Projection) row(name string, e, k int) ([]float64, bool) {
	if d := p.State.Dropped[name]; d != nil && d[e] {
		return make([]float64, k), true
	}
	if ops := p.State.Op[name]; ops != nil && ops[e] >= 0 {
		r := make([]float64, k)
		r[ops[e]] = 1
		return r, true
	}
	return nil, false
}

// probe is a removal the selection evaluates: on tensor Tensor, edge Edge
// loses op Op (its weight zeroed, the others unchanged), or with Op < 0
// the whole edge (every weight zeroed).
type probe struct {
	Tensor   string
	Edge, Op int
}

// projected is DARTS-PT's get_projected_weights around a search's
// relaxation (ruocwang/darts-pt sota/cnn/model_search_darts_proj.py): the
// relaxation's weights, with every decided edge's row replaced by the
// one-hot of its op, every dropped edge's row by zeros, and the probe in
// progress applied. Replaced rows are constants: they pass no gradient to
// α (the original copies them into the softmax's output, whose backward
// then gives 0 there).
type projected[T mixedop.Float] struct {
	Inner relax.Relaxation[T] `json:"inner"`
	p     *Projection
}

// Relaxation returns DARTS-PT's relaxation around inner, reading p's
// decisions and probe at every forward pass.
func Relaxation[T mixedop.Float](inner relax.Relaxation[T], p *Projection) relax.Relaxation[T] {
	return &projected[T]{Inner: inner, p: p}
}

// Name implements relax.Relaxation.
func (p *projected[T]) Name() string { return "projected-" + p.Inner.Name() }

// Block implements relax.Relaxation.
func (p *projected[T]) Block(t space.Tensor, pass *relax.Pass) mixedop.Block[T] {
	return &projectedBlock[T]{inner: p.Inner.Block(t, pass), t: t, p: p.p}
}

// Weights implements relax.Relaxation: the projected weights, probe
// included.
func (p *projected[T]) Weights(t space.Tensor, alpha [][]float64) [][]float64 {
	return p.p.apply(t.Name, p.Inner.Weights(t, alpha), p.p.probe)
}

// projectedBlock runs the inner relaxation's block and projects its rows.
type projectedBlock[T mixedop.Float] struct {
	inner mixedop.Block[T]
	t     space.Tensor
	p     *Projection
	y     []T
	fixed []bool // rows replaced in the last Forward
	dy    []T
	k     int
}

func (b *projectedBlock[T]) Name() string                { return "projected(" + b.inner.Name() + ")" }
func (b *projectedBlock[T]) Params() []*mixedop.Param[T] { return b.inner.Params() }
func (b *projectedBlock[T]) OutShape(in []tensor.Shape) (tensor.Shape, error) {
	s, err := b.inner.OutShape(in)
	if err == nil && len(s) != 2 {
		return nil, fmt.Errorf("%s: want an edges x ops tensor, got shape %v", b.Name(), s)
	}
	return s, err
}

func (b *projectedBlock[T]) Forward(in [][]T, shapes []tensor.Shape) ([]T, error) {
	y, err := b.inner.Forward(in, shapes)
	if err != nil {
		return nil, err
	}
	b.k = shapes[0][1]
	rows := len(y) / b.k
	b.y = append(b.y[:0], y...)
	b.fixed = append(b.fixed[:0], make([]bool, rows)...)
	for e := 0; e < rows; e++ {
		if r, ok := b.p.row(b.t.Name, e, b.k); ok {
			for k, v := range r {
				b.y[e*b.k+k] = T(v)
			}
			b.fixed[e] = true
		}
	}
	if pr := b.p.probe; pr != nil && pr.Tensor == b.t.Name {
		for k := 0; k < b.k; k++ {
			if pr.Op < 0 || k == pr.Op {
				b.y[pr.Edge*b.k+k] = 0
			}
		}
	}
	return b.y, nil
}

func (b *projectedBlock[T]) Backward(dy []T, din [][]T) error {
	b.dy = append(b.dy[:0], dy...)
	for e, f := range b.fixed {
		if f {
			clear(b.dy[e*b.k : (e+1)*b.k])
		}
	}
	if pr := b.p.probe; pr != nil && pr.Tensor == b.t.Name {
		for k := 0; k < b.k; k++ {
			if pr.Op < 0 || k == pr.Op {
				b.dy[pr.Edge*b.k+k] = 0
			}
		}
	}
	return b.inner.Backward(b.dy, din)
}
