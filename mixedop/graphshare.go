package mixedop

import (
	"fmt"
	"sort"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// shareMin is the smallest value (in elements) Share bothers to place in a
// shared buffer.
const shareMin = 256

// Share makes the values that live only during a run share memory: the
// backward's activation gradients (each block's input gradients and the sums
// gorgonia's G.Grad inserts where gradients meet), and the outputs of blocks
// that can write them where they are told (OutputPlacer: a mixed edge's
// weighted sum, node sums, concatenations, drop path) when no backward reads
// them (InputReader). Each such value lives from the step that writes it to
// the last step (of the full or the lite program) that reads it, so two whose
// lives do not overlap in either program can use the same buffer. Share plans
// that once (a greedy interval colouring, largest values first) and gives
// every such value its place in a few buffers, in place of a buffer of its
// own kept for the life of the machine.
//
// The nodes in keep (the loss, the logits, the parameters' gradients: what
// the caller reads after Run) keep buffers of their own, as does every other
// forward value and every parameter gradient. The value of any other shared
// node is valid only during Run. Every step computes the same function of
// the same inputs as without Share: the values are the same bits, since each
// shared value is written whole (a block's backward writes or zeroes and adds
// into its input gradients, a forward or a gorgonia op writes its output)
// before it is read.
func (m *Machine[T]) Share(keep ...*G.Node) error {
	kept := map[int]bool{}
	for _, n := range keep {
		r, ok := m.idx[n]
		if !ok {
			return fmt.Errorf("mixedop: kept node %v is not in the machine's graph", n)
		}
		kept[r] = true
	}
	// Which registers may share: every block input gradient, and each
	// gorgonia op that reads a gradient and can write into a buffer it is
	// given.
	type cand struct {
		r     int
		size  int
		grad  *blockGradOp[T]
		shape tensor.Shape
	}
	grad := map[int]bool{} // registers holding gradients
	var cands []cand
	fwdAt := map[int]int{} // output register -> index in m.full.steps of a placeable block's forward
	for si, s := range m.full.steps {
		switch {
		case s.fwd != nil:
			if placeable(s.fwd.b) && !kept[s.out] && s.shape.TotalSize() >= shareMin {
				fwdAt[s.out] = si
				cands = append(cands, cand{r: s.out, size: s.shape.TotalSize(), shape: s.shape})
			}
		case s.grad != nil:
			grad[s.out] = true
			if s.grad.idx < s.grad.fwd.nIn && !kept[s.out] && s.shape.TotalSize() >= shareMin {
				cands = append(cands, cand{r: s.out, size: s.shape.TotalSize(), grad: s.grad, shape: s.shape})
			}
		case s.op != nil:
			reads := false
			for _, r := range s.in {
				reads = reads || grad[r]
			}
			if !reads {
				continue
			}
			grad[s.out] = true
			_, pre := s.op.(G.UsePreallocDoer)
			n := m.nodes[s.out]
			if pre && !kept[s.out] &&
				n.Dtype() == Dtype[T]() && len(s.shape) > 0 && s.shape.TotalSize() >= shareMin {
				cands = append(cands, cand{r: s.out, size: s.shape.TotalSize(), shape: s.shape})
			}
		}
	}
	if len(cands) == 0 {
		return nil
	}
	// Lives in each program: [written, last read].
	type life struct{ from, to int }
	lives := func(p *program[T]) map[int]life {
		first := map[*blockOp[T]]int{} // a block's backward runs at its first gradient step
		for i, s := range p.steps {
			if s.grad != nil {
				if _, ok := first[s.grad.fwd]; !ok {
					first[s.grad.fwd] = i
				}
			}
		}
		l := map[int]life{}
		for i, s := range p.steps {
			from := i
			if s.grad != nil {
				from = first[s.grad.fwd]
			}
			l[s.out] = life{from, i}
		}
		for i, s := range p.steps {
			for k, r := range s.in {
				if s.grad != nil && k < s.grad.fwd.nIn && !readsInput(s.grad.fwd.b, k) {
					continue // the backward does not read this input's value
				}
				if v, ok := l[r]; ok && i > v.to {
					v.to = i
					l[r] = v
				}
			}
		}
		// An op that may return a view of an input (a reshape) keeps
		// that input alive as long as its own value is read. One the
		// machine runs through UsePreallocDo (an add) writes its own
		// buffer, and its Do a fresh one.
		for i := len(p.steps) - 1; i >= 0; i-- {
			s := p.steps[i]
			if s.op == nil || !s.op.ReturnsPtr() {
				continue
			}
			if _, pre := s.op.(G.UsePreallocDoer); pre {
				continue
			}
			for _, r := range s.in {
				if v, ok := l[r]; ok && l[s.out].to > v.to {
					v.to = l[s.out].to
					l[r] = v
				}
			}
		}
		return l
	}
	progs := []map[int]life{lives(&m.full)}
	if m.lite != nil {
		progs = append(progs, lives(m.lite))
	}
	clash := func(a, b int) bool {
		for _, l := range progs {
			x, okx := l[a]
			y, oky := l[b]
			if okx && oky && x.from <= y.to && y.from <= x.to {
				return true
			}
		}
		return false
	}
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].size > cands[j].size })
	type slot struct {
		size    int
		members []int
	}
	var slots []*slot
	where := make([]int, len(cands))
	for ci, c := range cands {
		best := -1
		for si, sl := range slots {
			if sl.size < c.size || (best >= 0 && slots[best].size <= sl.size) {
				continue
			}
			free := true
			for _, r := range sl.members {
				if clash(r, c.r) {
					free = false
					break
				}
			}
			if free {
				best = si
			}
		}
		if best < 0 {
			best = len(slots)
			slots = append(slots, &slot{size: c.size})
		}
		slots[best].members = append(slots[best].members, c.r)
		where[ci] = best
	}
	bufs := make([][]T, len(slots))
	for i, sl := range slots {
		bufs[i] = make([]T, sl.size)
	}
	for ci, c := range cands {
		buf := bufs[where[ci]][:c.size]
		t := tensor.New(tensor.WithBacking(buf), tensor.WithShape(c.shape.Clone()...))
		if si, ok := fwdAt[c.r]; ok {
			// Every program's copy of the step (the lite program's are
			// copies) places the output.
			m.placeAll(c.r, buf, m.full.steps[si].fwd.b.(OutputPlacer[T]))
			continue
		}
		if c.grad != nil {
			op := c.grad.fwd
			if op.din == nil {
				op.din = make([][]T, op.nIn)
				op.dinT = make([]*tensor.Dense, op.nIn)
			}
			op.din[c.grad.idx], op.dinT[c.grad.idx] = buf, t
			continue
		}
		reg := &m.regs[c.r]
		reg.v, reg.dense, reg.d = t, t, buf
	}
	m.shared, m.sharedBufs = len(cands), len(slots)
	return nil
}

// placeAll sets where the forward step writing register r places its
// output, in every program.
func (m *Machine[T]) placeAll(r int, buf []T, p OutputPlacer[T]) {
	progs := []*program[T]{&m.full}
	if m.lite != nil {
		progs = append(progs, m.lite)
	}
	for _, pr := range progs {
		for i := range pr.steps {
			if s := &pr.steps[i]; s.fwd != nil && s.out == r {
				s.place, s.placer = buf, p
			}
		}
	}
}

// readsInput reports whether b's backward reads the value of its
// activation input i (InputReader; true without it).
func readsInput(b any, i int) bool {
	if r, ok := b.(InputReader); ok {
		return r.BackwardReadsInput(i)
	}
	return true
}

// SharedStats reports how many values Share placed and in how many
// buffers.
func (m *Machine[T]) SharedStats() (values, buffers int) { return m.shared, m.sharedBufs }
