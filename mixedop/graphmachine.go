package mixedop

import (
	"fmt"
	"unsafe"

	"github.com/darts-go/darts/internal/kern"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Machine runs a Graph: every node of it in the order gorgonia's tape
// machine runs them (the reversed stable topological sort of Compile), each
// through its Op, with the values kept in registers that live across runs.
// Nodes of this package's Blocks are called directly on their slices; a
// gorgonia op (the sums G.Grad adds where gradients meet, the loss's Sum)
// runs through Do, or UsePreallocDo into its output of the previous run.
// Each node computes the same function of the same inputs as under the tape
// machine, so the values are the same bits; what goes is the tape machine's
// per-run bookkeeping (an argument slice, log formatting and a boxed slice
// header per instruction and input): a forward+backward of the
// mnist-small supernet went from 22,900 allocations to 4,850
// (BenchmarkRunMNISTSmall -benchmem, supernet package).
//
// A Machine may also hold a lite program: the nodes that a few outputs
// (say the loss and the architecture gradients) need, and in each block's
// backward only the input gradients that some needed node reads. Run(true)
// runs it. Nodes outside it keep their values of an earlier run.
type Machine[T Float] struct {
	regs   []register[T]
	idx    map[*G.Node]int // node -> register
	inputs []int           // registers of the input nodes, reloaded every run
	nodes  []*G.Node       // by register
	full   program[T]
	lite   *program[T]
	// shared, sharedBufs: what Share placed (values) and in how many
	// buffers.
	shared, sharedBufs int
}

// register holds one node's value and, for a dense tensor, its slice.
type register[T Float] struct {
	v     G.Value
	dense *tensor.Dense // the tensor d was taken from
	d     []T
	bound G.Value // the value last bound to the node
}

type program[T Float] struct {
	steps []step[T]
	// skips: each block's input-gradient mask in this program (nil: all
	// it has).
	blocks []*blockOp[T]
	skips  [][]bool
}

type step[T Float] struct {
	out    int
	in     []int
	fwd    *blockOp[T] // a block's forward
	place  []T         // where Share put the block's output (nil: its own)
	placer OutputPlacer[T]
	grad   *blockGradOp[T] // a block's gradient
	op     G.Op            // anything else
	add    bool            // op adds two tensors of T of its own shape
	shape  tensor.Shape    // the node's shape
	args   []G.Value
	sl     [][]T
	shapes []tensor.Shape
}

// NewMachine compiles g. With lite outputs, it also builds the lite program
// that computes those.
func (g *Graph[T]) NewMachine(lite ...*G.Node) (*Machine[T], error) {
	sorted, err := G.Sort(g.G)
	if err != nil {
		return nil, fmt.Errorf("mixedop: sorting the graph: %w", err)
	}
	m := &Machine[T]{idx: make(map[*G.Node]int, len(sorted))}
	order := make([]*G.Node, len(sorted))
	for i, n := range sorted {
		order[len(sorted)-1-i] = n
	}
	children := func(n *G.Node) []*G.Node {
		var cs []*G.Node
		it := g.G.From(n.ID())
		for it.Next() {
			cs = append(cs, it.Node().(*G.Node))
		}
		return cs
	}
	var all []*G.Node
	kids := map[int64][]*G.Node{}
	for _, n := range order {
		m.idx[n] = len(m.regs)
		m.regs = append(m.regs, register[T]{})
		m.nodes = append(m.nodes, n)
		if n.Op() == nil {
			m.inputs = append(m.inputs, m.idx[n])
			continue
		}
		kids[n.ID()] = children(n)
		all = append(all, n)
	}
	if m.full, err = m.compile(all, kids, nil); err != nil {
		return nil, err
	}
	if len(lite) > 0 {
		need := map[int64]bool{}
		var mark func(n *G.Node)
		mark = func(n *G.Node) {
			if need[n.ID()] {
				return
			}
			need[n.ID()] = true
			for _, c := range kids[n.ID()] {
				mark(c)
			}
		}
		for _, n := range lite {
			if _, ok := m.idx[n]; !ok {
				return nil, fmt.Errorf("mixedop: lite output %v is not in the graph", n)
			}
			mark(n)
		}
		var sub []*G.Node
		for _, n := range all {
			if need[n.ID()] {
				sub = append(sub, n)
			}
		}
		p, err := m.compile(sub, kids, need)
		if err != nil {
			return nil, err
		}
		m.lite = &p
	}
	return m, nil
}

// compile makes the program of nodes (in order). With need, a block's
// input gradients that no needed node reads are masked off.
func (m *Machine[T]) compile(nodes []*G.Node, kids map[int64][]*G.Node, need map[int64]bool) (program[T], error) {
	var p program[T]
	masks := map[*blockOp[T]][]bool{}
	for _, n := range nodes {
		s := step[T]{out: m.idx[n], shape: n.Shape()}
		for _, c := range kids[n.ID()] {
			r, ok := m.idx[c]
			if !ok {
				return p, fmt.Errorf("mixedop: node %v reads %v, which is not in the graph", n, c)
			}
			s.in = append(s.in, r)
		}
		switch op := n.Op().(type) {
		case *blockOp[T]:
			if len(s.in) != len(op.inDims) {
				return p, fmt.Errorf("mixedop: %s has %d inputs, want %d", op.b.Name(), len(s.in), len(op.inDims))
			}
			s.fwd = op
			s.sl = make([][]T, op.nIn)
			for _, c := range kids[n.ID()][:op.nIn] {
				s.shapes = append(s.shapes, c.Shape())
			}
			if need != nil {
				if _, ok := masks[op]; !ok {
					masks[op] = make([]bool, op.nIn)
					for i := range masks[op] {
						masks[op][i] = true
					}
				}
			}
		case *blockGradOp[T]:
			if len(s.in) != op.Arity() {
				return p, fmt.Errorf("mixedop: gradient of %s has %d inputs, want %d", op.fwd.b.Name(), len(s.in), op.Arity())
			}
			s.grad = op
			if need != nil && op.idx < op.fwd.nIn {
				if masks[op.fwd] == nil {
					masks[op.fwd] = make([]bool, op.fwd.nIn)
					for i := range masks[op.fwd] {
						masks[op.fwd][i] = true
					}
				}
				masks[op.fwd][op.idx] = false
			}
		default:
			s.op = op
			s.args = make([]G.Value, len(s.in))
			s.add = isAdd[T](n, kids[n.ID()])
		}
		p.steps = append(p.steps, s)
	}
	if need != nil {
		for op, mask := range masks {
			p.blocks = append(p.blocks, op)
			p.skips = append(p.skips, mask)
		}
	}
	return p, nil
}

// set stores v in register r, with its slice if it is a dense tensor of T.
func (m *Machine[T]) set(r int, v G.Value) {
	reg := &m.regs[r]
	reg.v = v
	if d, ok := v.(*tensor.Dense); ok {
		if d != reg.dense {
			reg.dense = d
			reg.d = nil
			if !d.IsScalar() {
				reg.d, _ = d.Data().([]T)
			}
		}
		return
	}
	reg.dense, reg.d = nil, nil
}

// Run runs the whole graph, or the lite program if lite (and there is one).
func (m *Machine[T]) Run(lite bool) error {
	p := &m.full
	if lite && m.lite != nil {
		p = m.lite
	}
	for _, r := range m.inputs {
		m.set(r, m.nodes[r].Value())
	}
	for i, op := range p.blocks {
		op.skip = p.skips[i]
	}
	defer func() {
		for _, op := range p.blocks {
			op.skip = nil
		}
	}()
	for i := range p.steps {
		if err := m.exec(&p.steps[i]); err != nil {
			return err
		}
	}
	return nil
}

func (m *Machine[T]) exec(s *step[T]) error {
	switch {
	case s.fwd != nil:
		if s.place != nil {
			s.placer.PlaceOutput(s.place)
		}
		for i := range s.sl {
			d := m.regs[s.in[i]].d
			if d == nil {
				return fmt.Errorf("%s: input %d is %T, want a tensor of %v", s.fwd.b.Name(), i, m.regs[s.in[i]].v, Dtype[T]())
			}
			s.sl[i] = d
		}
		out, err := s.fwd.forward(s.sl, s.shapes)
		if err != nil {
			return err
		}
		r := &m.regs[s.out]
		r.v, r.dense, r.d = out, out, s.fwd.outBuf
	case s.grad != nil:
		dy := m.regs[s.in[len(s.in)-1]].d
		if dy == nil {
			return fmt.Errorf("%s gradient: upstream is %T", s.grad.fwd.b.Name(), m.regs[s.in[len(s.in)-1]].v)
		}
		if err := s.grad.fwd.backward(dy); err != nil {
			return err
		}
		t, d := s.grad.fwd.gradData(s.grad.idx)
		r := &m.regs[s.out]
		r.v, r.dense, r.d = t, t, d
	default:
		for i, r := range s.in {
			s.args[i] = m.regs[r].v
		}
		v, err := m.do(s)
		if err != nil {
			return fmt.Errorf("%v: %w", s.op, err)
		}
		m.set(s.out, v)
	}
	return m.bind(s.out)
}

// bind gives the node of register r its new value, as the tape machine
// does, so that Node.Value reads it; values that stay the same from run to
// run (every block's) are bound once.
func (m *Machine[T]) bind(r int) error {
	reg := &m.regs[r]
	if reg.v == reg.bound {
		return nil
	}
	if err := G.UnsafeLet(m.nodes[r], reg.v); err != nil {
		return fmt.Errorf("mixedop: binding the value of %v: %w", m.nodes[r], err)
	}
	reg.bound = reg.v
	return nil
}

// do runs a gorgonia op, into its previous output when the op can and that
// output is a tensor of the node's shape that none of the arguments shares
// memory with.
func (m *Machine[T]) do(s *step[T]) (G.Value, error) {
	prev := m.regs[s.out]
	if s.add && prev.dense != nil && len(prev.d) == s.shape.TotalSize() {
		a, b := m.regs[s.in[0]].d, m.regs[s.in[1]].d
		if len(a) == len(prev.d) && len(b) == len(prev.d) && !overlaps(a, prev.d) && !overlaps(b, prev.d) {
			kern.Add(a, b, prev.d)
			return prev.v, nil
		}
	}
	if pd, ok := s.op.(G.UsePreallocDoer); ok && prev.dense != nil && len(prev.d) > 0 && prev.dense.Shape().Eq(s.shape) {
		free := true
		for _, r := range s.in {
			if d := m.regs[r].d; len(d) > 0 && overlaps(d, prev.d) {
				free = false
			}
		}
		if free {
			if v, err := pd.UsePreallocDo(prev.v, s.args...); err == nil {
				return v, nil
			}
		}
	}
	return s.op.Do(s.args...)
}

// isAdd reports whether n is gorgonia's elementwise a+b (the sums G.Grad
// inserts where a value has several consumers) of two tensors of T of n's
// own shape: the machine runs those with kern.Add, which gives the bits of
// gorgonia's loop (one rounding per element) in vector lanes and threads.
func isAdd[T Float](n *G.Node, in []*G.Node) bool {
	if n.Op().String() != "+ false" || len(in) != 2 || n.Dtype() != Dtype[T]() || len(n.Shape()) == 0 {
		return false
	}
	for _, c := range in {
		if c.Dtype() != n.Dtype() || !c.Shape().Eq(n.Shape()) {
			return false
		}
	}
	return true
}

// overlaps reports whether a and b share memory.
func overlaps[T Float](a, b []T) bool {
	a0, a1 := &a[0], &a[len(a)-1]
	b0, b1 := &b[0], &b[len(b)-1]
	return !(uintptrOf(a1) < uintptrOf(b0) || uintptrOf(b1) < uintptrOf(a0))
}

func uintptrOf[T Float](p *T) uintptr { return uintptr(unsafe.Pointer(p)) }

// Value is n's value after the last run that computed it (also bound to n:
// n.Value() gives it too).
func (m *Machine[T]) Value(n *G.Node) (G.Value, error) {
	r, ok := m.idx[n]
	if !ok {
		return nil, fmt.Errorf("mixedop: node %v is not in the machine's graph", n)
	}
	if v := m.regs[r].v; v != nil {
		return v, nil
	}
	return nil, fmt.Errorf("mixedop: node %v has no value yet", n)
}

// Data is the slice of n's value (a tensor of T) after the last run that
// computed it.
func (m *Machine[T]) Data(n *G.Node) ([]T, error) {
	v, err := m.Value(n)
	if err != nil {
		return nil, err
	}
	d := m.regs[m.idx[n]].d
	if d == nil {
		return nil, fmt.Errorf("mixedop: node %v holds %T, not a tensor of %v", n, v, Dtype[T]())
	}
	return d, nil
}
