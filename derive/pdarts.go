package derive

import (
	"fmt"
	"slices"

	"github.com/darts-go/darts/space"
)

// P-DARTS (Chen, Xie, Wu, Tian, ICCV 2019; chenxin061/pdarts
// train_search.py) searches in stages, each over fewer candidate ops per
// edge than the one before, and derives its cell from the last stage's
// weights with rules of its own: the ties of numpy's argmin and Python's
// ascending stable sort, a node's pairs in input order, and at most a few
// skip connections in the normal cell. PruneOps is the pruning between
// stages, PDARTSCell the final derivation, PDARTS the same as a Rule on
// the weights of a masked supernet.

// PDARTSSkipCap is the number of skip connections P-DARTS's author
// recommends keeping in the normal cell (pdarts issues #21, #35).
const PDARTSSkipCap = 2

// minK is train_search.py's get_min_k: the indices of the k smallest
// values of w, smallest first, a tie going to the lower index (np.argmin),
// each one found replaced by the sentinel 1 before the next search.
func minK(w []float64, k int) []int {
	w = slices.Clone(w)
	var idx []int
	for i := 0; i < k; i++ {
		m := argmin(w)
		idx = append(idx, m)
		w[m] = 1
	}
	return idx
}

// argmin is np.argmin: the first index of the smallest value.
func argmin(w []float64) int {
	m := 0
	for i, v := range w {
		if v < w[m] {
			m = i
		}
	}
	return m
}

// minKNoZero is get_min_k_no_zero: k indices to drop from an edge whose
// ops are on, 'none' first when it is on (at its position), then the
// smallest of the other weights as minK finds them.
func minKNoZero(on []string, w []float64, k int) []int {
	z := slices.Index(on, "none")
	if z < 0 {
		return minK(w, k)
	}
	rest := make([]float64, 0, len(w)-1)
	pos := make([]int, 0, len(w)-1)
	for i, v := range w {
		if i != z {
			rest = append(rest, v)
			pos = append(pos, i)
		}
	}
	idx := []int{z}
	for _, m := range minK(rest, k-1) {
		idx = append(idx, pos[m])
	}
	return idx
}

// dropIndices returns on without the entries at drop.
func dropIndices(on []string, drop []int) []string {
	var out []string
	for i, o := range on {
		if !slices.Contains(drop, i) {
			out = append(out, o)
		}
	}
	return out
}

// checkOn checks per-edge op lists and their weights: one list per edge,
// each non-empty, without repeats, with one weight in [0, 1] per op.
func checkOn(on [][]string, w [][]float64) error {
	if len(on) != len(w) {
		return fmt.Errorf("%d edges of ops but %d rows of weights", len(on), len(w))
	}
	for e := range on {
		if len(on[e]) == 0 {
			return fmt.Errorf("edge %d has no ops", e)
		}
		if len(w[e]) != len(on[e]) {
			return fmt.Errorf("edge %d: %d weights for %d ops %q", e, len(w[e]), len(on[e]), on[e])
		}
		for i, o := range on[e] {
			if slices.Contains(on[e][:i], o) {
				return fmt.Errorf("edge %d: op %q listed twice", e, o)
			}
			// The original's searches replace what they found by 1, which
			// only works on probabilities.
			if v := w[e][i]; !(v >= 0 && v <= 1) {
				return fmt.Errorf("edge %d, op %s: weight %g is not a probability", e, o, v)
			}
		}
	}
	return nil
}

// PruneOps is P-DARTS's pruning between stages (train_search.py, after
// stages 1 and 2: get_min_k): every edge e keeps keep of its ops on[e],
// dropping the others by their weights w[e] (one per op, in on[e]'s
// order), the smallest first, a tie going to the lower index, 'none' like
// any other op. The kept ops stay in order.
func PruneOps(on [][]string, w [][]float64, keep int) ([][]string, error) {
	if err := checkOn(on, w); err != nil {
		return nil, err
	}
	out := make([][]string, len(on))
	for e := range on {
		if keep < 1 || keep > len(on[e]) {
			return nil, fmt.Errorf("edge %d: cannot keep %d of its %d ops", e, keep, len(on[e]))
		}
		out[e] = dropIndices(on[e], minK(w[e], len(on[e])-keep))
	}
	return out, nil
}

// pdartsState is the final derivation in progress: each edge's ops and
// weights ('none' zeroed), its chosen op and strength, the kept edges.
type pdartsState struct {
	c     space.Cell
	on    [][]string
	probs [][]float64
	pick  []int  // per edge: the index in on[e] of its one op
	kept  []bool // per edge
}

// choose is keep_1_on then keep_2_branches: every edge's op (the one
// get_min_k_no_zero does not drop), then per node the two edges of
// largest max(probs) (sorted ascending and stable, the last two: a tie
// goes to the higher edge), all edges of a node with two or fewer.
func (s *pdartsState) choose() {
	for e := range s.on {
		drop := minKNoZero(s.on[e], s.probs[e], len(s.on[e])-1)
		for i := range s.on[e] {
			if !slices.Contains(drop, i) {
				s.pick[e] = i
			}
		}
	}
	for e := range s.kept {
		s.kept[e] = false
	}
	for k := 0; k < s.c.Nodes; k++ {
		in := slices.Clone(s.c.InEdges(k))
		if len(in) > 2 {
			slices.SortStableFunc(in, func(a, b int) int {
				sa, sb := slices.Max(s.probs[a]), slices.Max(s.probs[b])
				switch {
				case sa < sb:
					return -1
				case sa > sb:
					return 1
				}
				return 0
			})
			in = in[len(in)-2:]
		}
		for _, e := range in {
			s.kept[e] = true
		}
	}
}

// skips counts the kept edges whose op is skip_connect.
func (s *pdartsState) skips() int {
	n := 0
	for e, k := range s.kept {
		if k && s.on[e][s.pick[e]] == "skip_connect" {
			n++
		}
	}
	return n
}

// deleteWeakestSkip is delete_min_sk_prob: the kept skip edge with the
// smallest skip weight (the first of equals; an edge that is not a kept
// skip counts as 1) gets its skip weight zeroed. As in the original, when
// no skip weight is below 1 the edge found is not a skip edge, and its
// last weight is zeroed (Python's index -1).
func (s *pdartsState) deleteWeakestSkip() {
	idx := func(e int) int {
		if !s.kept[e] || s.on[e][s.pick[e]] != "skip_connect" {
			return -1
		}
		return slices.Index(s.on[e], "skip_connect")
	}
	sk := make([]float64, len(s.on))
	for e := range sk {
		sk[e] = 1
		if i := idx(e); i >= 0 {
			sk[e] = s.probs[e][i]
		}
	}
	d := argmin(sk)
	i := idx(d)
	if i < 0 {
		i = len(s.probs[d]) - 1
	}
	s.probs[d][i] = 0
}

// PDARTSCell is P-DARTS's derivation of a cell from its last stage
// (train_search.py after the last stage): on[e] are edge e's ops in that
// stage and w[e] their weights (softmax of its α). 'none' gets weight 0;
// every edge keeps its op of largest weight other than 'none' (the ties of
// get_min_k_no_zero: the later of equals); every node with more than two
// incoming edges keeps the two of largest weight (a tie to the later
// edge); each node's pairs come in input order (parse_network). Then, if
// maxSkip >= 0, while more than maxSkip kept edges are skip_connect, the
// weakest of them loses its skip weight and every edge's op and every
// node's edges are chosen again (delete_min_sk_prob, keep_1_on,
// keep_2_branches). The loop the original runs for max_sk = 8, 7, ..., 0,
// logging a genotype for each, reaches the same cell at max_sk = M as this
// one run with maxSkip = M. It returns the cell and the number of skip
// connections it had before the restriction.
func PDARTSCell(name string, c space.Cell, on [][]string, w [][]float64, maxSkip int) (Cell, int, error) {
	if err := c.Validate(); err != nil {
		return Cell{}, 0, err
	}
	if len(on) != len(c.Edges) {
		return Cell{}, 0, fmt.Errorf("%d edges of ops for a cell of %d edges", len(on), len(c.Edges))
	}
	if err := checkOn(on, w); err != nil {
		return Cell{}, 0, err
	}
	s := &pdartsState{c: c, on: on, probs: make([][]float64, len(w)), pick: make([]int, len(w)), kept: make([]bool, len(w))}
	for e := range w {
		s.probs[e] = slices.Clone(w[e])
		if z := slices.Index(on[e], "none"); z >= 0 {
			s.probs[e][z] = 0
		}
		if len(on[e]) == 1 && on[e][0] == "none" {
			return Cell{}, 0, fmt.Errorf("edge %d has no op other than 'none'", e)
		}
	}
	s.choose()
	before := s.skips()
	if maxSkip >= 0 {
		// Every round zeroes one weight, so the loop ends; the bound only
		// guards against a change that would break that.
		for round := 0; s.skips() > maxSkip; round++ {
			if round > len(on)*len(space.DARTSOps) {
				return Cell{}, 0, fmt.Errorf("skip restriction did not end")
			}
			s.deleteWeakestSkip()
			s.choose()
		}
	}
	out := Cell{Name: name, Inputs: c.Inputs, Concat: slices.Clone(c.Concat), Nodes: make([][]Pair, c.Nodes)}
	for e, ed := range c.Edges {
		if s.kept[e] {
			out.Nodes[ed.Node] = append(out.Nodes[ed.Node], Pair{Op: on[e][s.pick[e]], Input: ed.Input})
		}
	}
	return out, before, nil
}

// PDARTS is P-DARTS's derivation (PDARTSCell) as a Rule on the weights of
// a supernet whose edges hold only some of the ops (a P-DARTS stage): an
// op of weight exactly 0 is one the edge does not have. MaxSkip bounds the
// skip connections of the cell called "normal" (PDARTSSkipCap by the
// author's recommendation; below 0: no bound); the other cells have none.
type PDARTS struct{ MaxSkip int }

// Name implements Rule: "pdarts" for the recommended cap of 2 skip
// connections, "pdarts-skip<M>" for another, "pdarts-nocap" for none.
func (r PDARTS) Name() string {
	switch {
	case r.MaxSkip == PDARTSSkipCap:
		return "pdarts"
	case r.MaxSkip < 0:
		return "pdarts-nocap"
	}
	return fmt.Sprintf("pdarts-skip%d", r.MaxSkip)
}

// DeriveCell implements Rule.
func (r PDARTS) DeriveCell(name string, c space.Cell, w [][]float64, ops []string) (Cell, error) {
	if _, err := checkWeights(c, w, ops, true); err != nil {
		return Cell{}, err
	}
	on, cw := make([][]string, len(w)), make([][]float64, len(w))
	for e, row := range w {
		for k, v := range row {
			if v > 0 {
				on[e] = append(on[e], ops[k])
				cw[e] = append(cw[e], v)
			}
		}
		if len(on[e]) == 0 {
			return Cell{}, fmt.Errorf("edge %d has no op of weight above 0", e)
		}
	}
	cap := -1
	if name == "normal" {
		cap = r.MaxSkip
	}
	cell, _, err := PDARTSCell(name, c, on, cw, cap)
	return cell, err
}

func init() {
	for m := -1; m <= 14; m++ {
		if err := RegisterRule(PDARTS{MaxSkip: m}); err != nil {
			panic(err)
		}
	}
}
