package derive

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/darts-go/darts/internal/kern"
	"github.com/darts-go/darts/internal/rng"
	"github.com/darts-go/darts/space"
)

// Rule is a derivation rule: how the weights of one cell type (one row per
// edge of the cell's topology, one column per op) become a discrete cell.
type Rule interface {
	// Name identifies the rule in config.json and on the command line.
	Name() string
	// DeriveCell discretizes the weights w of the cell type name, whose
	// supernet topology is c and whose columns are ops.
	DeriveCell(name string, c space.Cell, w [][]float64, ops []string) (Cell, error)
}

// Derive applies rule to the weights of every cell type of sp (weights
// maps a cell type's name to its rows) and returns the genotype, cells in
// the space's order.
func Derive(sp space.Space, rule Rule, weights map[string][][]float64) (Genotype, error) {
	g := Genotype{Space: sp.Name}
	for _, ct := range sp.Cells {
		w, ok := weights[ct.Name]
		if !ok {
			return Genotype{}, fmt.Errorf("derive: no weights for the %s cell", ct.Name)
		}
		c, err := rule.DeriveCell(ct.Name, ct.Cell, w, sp.Ops)
		if err != nil {
			return Genotype{}, fmt.Errorf("derive: %s cell: %w", ct.Name, err)
		}
		g.Cells = append(g.Cells, c)
	}
	return g, nil
}

// rules are the rules --rule can name.
var rules = map[string]Rule{}

// RegisterRule makes a rule available by its name (RuleByName).
func RegisterRule(r Rule) error {
	if _, dup := rules[r.Name()]; dup {
		return fmt.Errorf("derive: rule %q registered twice", r.Name())
	}
	rules[r.Name()] = r
	return nil
}

// ruleParsers read the names of parameterized rules ("threshold-0.7")
// that are not registered one by one.
var ruleParsers []func(name string) (Rule, bool)

// RuleByName returns the registered rule called name, or the
// parameterized rule the name describes (Threshold's "threshold-<T>").
func RuleByName(name string) (Rule, error) {
	if r, ok := rules[name]; ok {
		return r, nil
	}
	for _, parse := range ruleParsers {
		if r, ok := parse(name); ok {
			return r, nil
		}
	}
	var names []string
	for n := range rules {
		names = append(names, n)
	}
	sort.Strings(names)
	return nil, fmt.Errorf("unknown derivation rule %q (known: %s)", name, strings.Join(names, ", "))
}

func init() {
	for _, r := range []Rule{DARTSRule, ArgmaxRule} {
		if err := RegisterRule(r); err != nil {
			panic(err)
		}
	}
}

// DARTSRule is the derivation rule of quark0/darts (model_search.py
// Network.genotype): for each intermediate node it keeps the two incoming
// edges with the largest weight over the non-'none' ops and, on each, the
// non-'none' op with the largest weight; the cell's output concatenates
// the nodes the supernet's cell concatenated (range(2+steps-multiplier,
// steps+2) for DARTS).
var DARTSRule Rule = TopK{K: 2}

// DefaultRule is the rule of a space's reference code: ArgmaxRule on
// NAS-Bench-201 (AutoDL-Projects' genotype()), DARTSRule elsewhere.
func DefaultRule(spaceName string) Rule {
	if spaceName == space.NB201Name {
		return ArgmaxRule
	}
	return DARTSRule
}

// ArgmaxRule keeps every edge of the supernet with its largest-weight op,
// 'none' included: NAS-Bench-201's genotype() in AutoDL-Projects (and
// SNAS's, which also keeps every edge).
var ArgmaxRule Rule = Argmax{}

// TopK keeps, for each node, the K incoming edges with the largest weight
// over the non-'none' ops and, on each, the non-'none' op with the largest
// weight. Ties go to the lower edge and the lower op index, as the
// original's stable sort and strict '>' scan give. A node's pairs come in
// rank order (strongest edge first), as the original appends them, so
// node 0 may read (.., 1) before (.., 0).
type TopK struct{ K int }

// Name implements Rule: "darts" for K = 2, "top<K>" otherwise.
func (r TopK) Name() string {
	if r.K == 2 {
		return "darts"
	}
	return fmt.Sprintf("top%d", r.K)
}

// DeriveCell implements Rule.
func (r TopK) DeriveCell(name string, c space.Cell, w [][]float64, ops []string) (Cell, error) {
	usable, err := checkWeights(c, w, ops, true)
	if err != nil {
		return Cell{}, err
	}
	// bestOp is the original's upward scan with strict '>', so the lowest
	// index wins a tie.
	bestOp := func(row []float64) int {
		best := -1
		for k, v := range row {
			if usable[k] && (best < 0 || v > row[best]) {
				best = k
			}
		}
		return best
	}
	out := Cell{Name: name, Inputs: c.Inputs, Concat: slices.Clone(c.Concat)}
	for node := 0; node < c.Nodes; node++ {
		in := c.InEdges(node)
		if len(in) < r.K {
			return Cell{}, fmt.Errorf("node %d has %d incoming edges, fewer than the %d the rule keeps", node, len(in), r.K)
		}
		order := slices.Clone(in)
		// Stable sort by descending strength, as Python's sorted(key=-max)
		// keeps equal edges in index order.
		slices.SortStableFunc(order, func(a, b int) int {
			sa, sb := w[a][bestOp(w[a])], w[b][bestOp(w[b])]
			switch {
			case sa > sb:
				return -1
			case sa < sb:
				return 1
			}
			return 0
		})
		var pairs []Pair
		for _, e := range order[:r.K] {
			pairs = append(pairs, Pair{Op: ops[bestOp(w[e])], Input: c.Edges[e].Input})
		}
		out.Nodes = append(out.Nodes, pairs)
	}
	return out, nil
}

// Argmax keeps every edge with its largest-weight op, 'none' included
// (ties go to the lower op index, as torch.argmax on CPU and Python's
// max-scan do); the edges of a node come in row order.
type Argmax struct{}

// Name implements Rule.
func (Argmax) Name() string { return "argmax" }

// DeriveCell implements Rule.
func (Argmax) DeriveCell(name string, c space.Cell, w [][]float64, ops []string) (Cell, error) {
	if _, err := checkWeights(c, w, ops, false); err != nil {
		return Cell{}, err
	}
	out := Cell{Name: name, Inputs: c.Inputs, Concat: slices.Clone(c.Concat), Nodes: make([][]Pair, c.Nodes)}
	for e, ed := range c.Edges {
		best := 0
		for k, v := range w[e] {
			if v > w[e][best] {
				best = k
			}
		}
		out.Nodes[ed.Node] = append(out.Nodes[ed.Node], Pair{Op: ops[best], Input: ed.Input})
	}
	return out, nil
}

// checkWeights checks w against the topology and ops and returns which ops
// a rule may pick (all, or all but 'none' if noNone).
func checkWeights(c space.Cell, w [][]float64, ops []string, noNone bool) ([]bool, error) {
	if len(ops) == 0 {
		return nil, fmt.Errorf("no primitives")
	}
	usable := make([]bool, len(ops))
	anyUsable := false
	for k, p := range ops {
		if slices.Contains(ops[:k], p) {
			return nil, fmt.Errorf("primitive %q listed twice", p)
		}
		usable[k] = !noNone || p != "none"
		anyUsable = anyUsable || usable[k]
	}
	if !anyUsable {
		return nil, fmt.Errorf("primitives %q have no op other than 'none'", ops)
	}
	if len(w) != len(c.Edges) {
		return nil, fmt.Errorf("%d weight rows for a cell of %d edges", len(w), len(c.Edges))
	}
	for e, row := range w {
		if len(row) != len(ops) {
			return nil, fmt.Errorf("edge %d: %d weights, want one per primitive (%d)", e, len(row), len(ops))
		}
		for k, v := range row {
			if math.IsNaN(v) {
				return nil, fmt.Errorf("edge %d, op %s: weight is NaN", e, ops[k])
			}
		}
	}
	return usable, nil
}

// Random returns the random baseline of DARTS: for every cell type of sp
// in order, one weight per edge and op drawn from N(0, 1) with the
// project's seeded generator internal/rng (the same stream on every
// machine), a softmax per edge, then rule. The same seed always gives the
// same genotype.
func Random(seed uint64, sp space.Space, rule Rule) (Genotype, error) {
	if err := sp.Validate(); err != nil {
		return Genotype{}, err
	}
	r := rng.New(seed)
	weights := map[string][][]float64{}
	for _, ct := range sp.Cells {
		w := make([][]float64, len(ct.Cell.Edges))
		for e := range w {
			w[e] = make([]float64, len(sp.Ops))
			for k := range w[e] {
				w[e][k] = r.NormFloat64()
			}
			kern.Softmax(w[e], w[e])
		}
		weights[ct.Name] = w
	}
	return Derive(sp, rule, weights)
}
