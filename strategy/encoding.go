package strategy

import (
	"fmt"
	"math/big"
	"slices"
	"strings"

	"github.com/darts-go/darts/derive"
	"github.com/darts-go/darts/internal/rng"
	"github.com/darts-go/darts/space"
)

// An architecture of a space is a vector of decisions, decision d taking a
// value in 0..Sizes()[d]-1. Encoding maps the vectors of one space to
// genotypes and to the one-hot edge weights that make the supernet compute
// that architecture alone.
//
// The DARTS space (RSPS, Li & Talwalkar 2019; the spaces of NASNet and
// AmoebaNet, with two inputs per node): each intermediate node reads two
// distinct states, each through one op of all the primitives, 'none'
// included. A node has three decisions: which two of its incoming edges
// (one value per unordered pair, ordered lexicographically) and the op on
// the lower and on the higher of the two.
//
// NAS-Bench-201: every edge of the cell is present with one op; one
// decision per edge.
type Encoding struct {
	Space space.Space
	cells []cellCode
	sizes []int
	names []string
}

// cellCode is the part of the vector of one cell type.
type cellCode struct {
	name  string
	cell  space.Cell
	pairs bool    // two inputs per node (DARTS), else one op per edge
	first int     // index of the cell's first decision
	in    [][]int // pairs: the incoming edges (rows) of each node
}

// NewEncoding returns the encoding of sp: two inputs per node for the
// DARTS space, one op per edge for NAS-Bench-201.
func NewEncoding(sp space.Space) (*Encoding, error) {
	if err := sp.Validate(); err != nil {
		return nil, err
	}
	e := &Encoding{Space: sp}
	k := len(sp.Ops)
	for _, ct := range sp.Cells {
		cc := cellCode{name: ct.Name, cell: ct.Cell, first: len(e.sizes)}
		switch sp.Name {
		case space.DARTSName:
			cc.pairs = true
			for n := 0; n < ct.Cell.Nodes; n++ {
				in := ct.Cell.InEdges(n)
				if len(in) < 2 {
					return nil, fmt.Errorf("strategy: %s cell: node %d has %d incoming edges; two distinct inputs need at least 2", ct.Name, n, len(in))
				}
				cc.in = append(cc.in, in)
				e.sizes = append(e.sizes, len(in)*(len(in)-1)/2, k, k)
				label := fmt.Sprintf("%s node %d", ct.Name, n)
				e.names = append(e.names, label+" inputs", label+" op of the first input", label+" op of the second input")
			}
		case space.NB201Name:
			for r := range ct.Cell.Edges {
				e.sizes = append(e.sizes, k)
				e.names = append(e.names, fmt.Sprintf("%s edge %s", ct.Name, ct.Cell.EdgeName(r)))
			}
		default:
			return nil, fmt.Errorf("strategy: space %q: no architecture encoding (known: %s)", sp.Name, strings.Join(space.Names(), ", "))
		}
		e.cells = append(e.cells, cc)
	}
	return e, nil
}

// Sizes are the number of values of each decision.
func (e *Encoding) Sizes() []int { return slices.Clone(e.sizes) }

// Names describe each decision, for messages.
func (e *Encoding) Names() []string { return slices.Clone(e.names) }

// Count is the number of architectures, the product of Sizes.
func (e *Encoding) Count() *big.Int {
	n := big.NewInt(1)
	for _, s := range e.sizes {
		n.Mul(n, big.NewInt(int64(s)))
	}
	return n
}

// Check reports whether x is a vector of this encoding.
func (e *Encoding) Check(x []int) error {
	if len(x) != len(e.sizes) {
		return fmt.Errorf("architecture of %d decisions, the %s space has %d", len(x), e.Space.Name, len(e.sizes))
	}
	for d, v := range x {
		if v < 0 || v >= e.sizes[d] {
			return fmt.Errorf("decision %d (%s) = %d, want 0..%d", d, e.names[d], v, e.sizes[d]-1)
		}
	}
	return nil
}

// pairOf returns the two positions a < b (0 ≤ a < b < n) of pair index p,
// pairs ordered (0,1), (0,2), ..., (0,n-1), (1,2), ...
func pairOf(p, n int) (a, b int) {
	for a = 0; a < n-1; a++ {
		if p < n-1-a {
			return a, a + 1 + p
		}
		p -= n - 1 - a
	}
	panic("strategy: pair index out of range")
}

// pairIndex is pairOf's inverse.
func pairIndex(a, b, n int) int {
	p := 0
	for i := 0; i < a; i++ {
		p += n - 1 - i
	}
	return p + b - a - 1
}

// Genotype is the architecture x as a genotype of the space: DARTS's two
// pairs per node, lower input first, and the topology's concat; one pair
// per edge for NAS-Bench-201, in edge order.
func (e *Encoding) Genotype(x []int) (derive.Genotype, error) {
	if err := e.Check(x); err != nil {
		return derive.Genotype{}, err
	}
	g := derive.Genotype{Space: e.Space.Name}
	for _, cc := range e.cells {
		c := derive.Cell{Name: cc.name, Inputs: cc.cell.Inputs, Concat: slices.Clone(cc.cell.Concat), Nodes: make([][]derive.Pair, cc.cell.Nodes)}
		if cc.pairs {
			for n, in := range cc.in {
				d := cc.first + 3*n
				a, b := pairOf(x[d], len(in))
				c.Nodes[n] = []derive.Pair{
					{Op: e.Space.Ops[x[d+1]], Input: cc.cell.Edges[in[a]].Input},
					{Op: e.Space.Ops[x[d+2]], Input: cc.cell.Edges[in[b]].Input},
				}
			}
		} else {
			for r, ed := range cc.cell.Edges {
				c.Nodes[ed.Node] = append(c.Nodes[ed.Node], derive.Pair{Op: e.Space.Ops[x[cc.first+r]], Input: ed.Input})
			}
		}
		g.Cells = append(g.Cells, c)
	}
	return g, nil
}

// Decisions is Genotype's inverse: the vector of a genotype of this space
// (for DARTS, two pairs per node reading distinct states, in either order).
func (e *Encoding) Decisions(g derive.Genotype) ([]int, error) {
	x := make([]int, len(e.sizes))
	for _, cc := range e.cells {
		c, ok := g.Cell(cc.name)
		if !ok {
			return nil, fmt.Errorf("genotype has no %s cell", cc.name)
		}
		if len(c.Nodes) != cc.cell.Nodes {
			return nil, fmt.Errorf("genotype: %s cell has %d nodes, the space %d", cc.name, len(c.Nodes), cc.cell.Nodes)
		}
		op := func(name string) (int, error) {
			i := slices.Index(e.Space.Ops, name)
			if i < 0 {
				return 0, fmt.Errorf("genotype: %s cell: op %q is not one of the space's (%s)", cc.name, name, strings.Join(e.Space.Ops, ", "))
			}
			return i, nil
		}
		for n, node := range c.Nodes {
			if cc.pairs {
				if len(node) != 2 || node[0].Input == node[1].Input {
					return nil, fmt.Errorf("genotype: %s cell: node %d needs two pairs reading distinct states", cc.name, n)
				}
				pos := func(input int) int {
					return slices.IndexFunc(cc.in[n], func(r int) bool { return cc.cell.Edges[r].Input == input })
				}
				lo, hi := node[0], node[1]
				if pos(lo.Input) > pos(hi.Input) {
					lo, hi = hi, lo
				}
				a, b := pos(lo.Input), pos(hi.Input)
				if a < 0 {
					return nil, fmt.Errorf("genotype: %s cell: node %d reads state %d, which has no edge to it", cc.name, n, lo.Input)
				}
				d := cc.first + 3*n
				x[d] = pairIndex(a, b, len(cc.in[n]))
				var err error
				if x[d+1], err = op(lo.Op); err != nil {
					return nil, err
				}
				if x[d+2], err = op(hi.Op); err != nil {
					return nil, err
				}
				continue
			}
			in := cc.cell.InEdges(n)
			if len(node) != len(in) {
				return nil, fmt.Errorf("genotype: %s cell: node %d has %d pairs, the space %d edges into it", cc.name, n, len(node), len(in))
			}
			for _, r := range in {
				j := slices.IndexFunc(node, func(p derive.Pair) bool { return p.Input == cc.cell.Edges[r].Input })
				if j < 0 {
					return nil, fmt.Errorf("genotype: %s cell: node %d has no pair reading state %d", cc.name, n, cc.cell.Edges[r].Input)
				}
				v, err := op(node[j].Op)
				if err != nil {
					return nil, err
				}
				x[cc.first+r] = v
			}
		}
	}
	return x, nil
}

// Weights are the edge weights of architecture x, by cell type: rows =
// the topology's edges, columns = the space's ops, a 1 at the chosen op of
// every chosen edge and 0 elsewhere (an edge not chosen is a row of zeros).
func (e *Encoding) Weights(x []int) map[string][][]float64 {
	out := map[string][][]float64{}
	for _, cc := range e.cells {
		w := make([][]float64, len(cc.cell.Edges))
		for r := range w {
			w[r] = make([]float64, len(e.Space.Ops))
		}
		if cc.pairs {
			for n, in := range cc.in {
				d := cc.first + 3*n
				a, b := pairOf(x[d], len(in))
				w[in[a]][x[d+1]] = 1
				w[in[b]][x[d+2]] = 1
			}
		} else {
			for r := range cc.cell.Edges {
				w[r][x[cc.first+r]] = 1
			}
		}
		out[cc.name] = w
	}
	return out
}

// Key identifies an architecture in maps: its decisions.
func Key(x []int) string { return fmt.Sprint(x) }

// Uniform draws every decision uniformly from r: for DARTS, two distinct
// inputs per node uniformly among its states and an op uniformly among all
// primitives for each, as RSPS samples.
func (e *Encoding) Uniform(r *rng.Rand) []int {
	x := make([]int, len(e.sizes))
	for d, s := range e.sizes {
		x[d] = r.Intn(s)
	}
	return x
}

// Mutate returns a copy of x with one change, drawn from r as regularized
// evolution does (Real et al. 2019): on the DARTS space an op mutation or,
// with probability 1/2, an input mutation (one of the two inputs of a node
// replaced by another state, its op kept) on a random node of a random
// cell; on NAS-Bench-201 one edge's op replaced by another (AutoDL's
// R_EA.py mutate_arch). An input mutation at a node with only two
// candidate states (nothing else to read) becomes an op mutation.
func (e *Encoding) Mutate(x []int, r *rng.Rand) []int {
	y := slices.Clone(x)
	k := len(e.Space.Ops)
	other := func(v, n int) int { // uniform over 0..n-1 except v
		w := r.Intn(n - 1)
		if w >= v {
			w++
		}
		return w
	}
	cc := e.cells[r.Intn(len(e.cells))]
	if !cc.pairs {
		d := cc.first + r.Intn(len(cc.cell.Edges))
		if k > 1 {
			y[d] = other(y[d], k)
		}
		return y
	}
	n := r.Intn(len(cc.in))
	d := cc.first + 3*n
	slot := r.Intn(2) // the lower or the higher input
	inputs := len(cc.in[n])
	if r.Intn(2) == 0 || inputs == 2 {
		if k > 1 {
			y[d+1+slot] = other(y[d+1+slot], k)
		}
		return y
	}
	a, b := pairOf(y[d], inputs)
	keep, opKeep, opMove := b, y[d+2], y[d+1]
	if slot == 1 {
		keep, opKeep, opMove = a, y[d+1], y[d+2]
	}
	// A new position for the moved input: any but the two in use.
	c := r.Intn(inputs - 2)
	for _, used := range []int{min(a, b), max(a, b)} {
		if c >= used {
			c++
		}
	}
	if c < keep {
		y[d], y[d+1], y[d+2] = pairIndex(c, keep, inputs), opMove, opKeep
	} else {
		y[d], y[d+1], y[d+2] = pairIndex(keep, c, inputs), opKeep, opMove
	}
	return y
}

// At is the architecture of index i in 0..Count()-1 in the grid's order:
// the vectors in lexicographic order, the last decision fastest.
func (e *Encoding) At(i *big.Int) ([]int, error) {
	if i.Sign() < 0 || i.Cmp(e.Count()) >= 0 {
		return nil, fmt.Errorf("grid index %v out of range 0..%v", i, new(big.Int).Sub(e.Count(), big.NewInt(1)))
	}
	x := make([]int, len(e.sizes))
	q, m := new(big.Int).Set(i), new(big.Int)
	for d := len(e.sizes) - 1; d >= 0; d-- {
		q.DivMod(q, big.NewInt(int64(e.sizes[d])), m)
		x[d] = int(m.Int64())
	}
	return x, nil
}
