package derive

import (
	"fmt"
	"math"
	"slices"

	"github.com/darts-go/darts/internal/rng"
)

// Derive applies the DARTS derivation rule to the softmax weights of both
// cells (rows = edges in DARTS order, columns = primitives) and returns the
// genotype with concat [2, .., steps+1] for both cells, as the original
// model_search.py genotype() does. The number of intermediate nodes is
// inferred from the row count (steps*(steps+3)/2 rows) and must be the same
// for both cells.
func Derive(normal, reduce [][]float64, primitives []string) (Genotype, error) {
	n, err := DeriveCell(normal, primitives)
	if err != nil {
		return Genotype{}, fmt.Errorf("derive: normal cell: %w", err)
	}
	r, err := DeriveCell(reduce, primitives)
	if err != nil {
		return Genotype{}, fmt.Errorf("derive: reduce cell: %w", err)
	}
	if len(n) != len(r) {
		return Genotype{}, fmt.Errorf("derive: normal cell has %d nodes (%d rows) but reduce cell has %d (%d rows)",
			len(n)/2, len(normal), len(r)/2, len(reduce))
	}
	return Genotype{
		Normal:       n,
		NormalConcat: defaultConcat(len(n) / 2),
		Reduce:       r,
		ReduceConcat: defaultConcat(len(r) / 2),
	}, nil
}

// defaultConcat is range(2, steps+2): every intermediate node feeds the
// cell output (DARTS uses multiplier = steps).
func defaultConcat(steps int) []int {
	c := make([]int, steps)
	for i := range c {
		c[i] = i + 2
	}
	return c
}

// StepsForEdges returns the number of intermediate nodes of a cell with the
// given number of edges (node i has i+2 inputs, so steps*(steps+3)/2 edges),
// or an error if no whole number of nodes has that many edges.
func StepsForEdges(edges int) (int, error) {
	total := 0
	for steps := 1; total < edges; steps++ {
		total += steps + 1
		if total == edges {
			return steps, nil
		}
	}
	return 0, fmt.Errorf("%d edges is not steps*(steps+3)/2 for any steps >= 1 (2, 5, 9, 14, 20, ...)", edges)
}

// DeriveCell applies the DARTS rule to one cell's weights w (edges × ops):
// for each intermediate node it keeps the two incoming edges with the
// largest weight over the non-'none' ops and, on each, the non-'none' op
// with the largest weight. Ties go to the lower edge and the lower op index.
// A node's two pairs come in rank order (strongest edge first), as the
// original appends them, so node 0 may read (.., 1) before (.., 0).
func DeriveCell(w [][]float64, primitives []string) ([]Pair, error) {
	if len(primitives) == 0 {
		return nil, fmt.Errorf("no primitives")
	}
	usable := make([]bool, len(primitives))
	anyUsable := false
	for k, p := range primitives {
		if slices.Contains(primitives[:k], p) {
			return nil, fmt.Errorf("primitive %q listed twice", p)
		}
		usable[k] = p != "none"
		anyUsable = anyUsable || usable[k]
	}
	if !anyUsable {
		return nil, fmt.Errorf("primitives %q have no op other than 'none'", primitives)
	}
	steps, err := StepsForEdges(len(w))
	if err != nil {
		return nil, fmt.Errorf("%d weight rows: %w", len(w), err)
	}
	for e, row := range w {
		if len(row) != len(primitives) {
			return nil, fmt.Errorf("edge %d: %d weights, want one per primitive (%d)", e, len(row), len(primitives))
		}
		for k, v := range row {
			if math.IsNaN(v) {
				return nil, fmt.Errorf("edge %d, op %s: weight is NaN", e, primitives[k])
			}
		}
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

	pairs := make([]Pair, 0, 2*steps)
	start := 0
	for node := 0; node < steps; node++ {
		inputs := node + 2
		rows := w[start : start+inputs]
		order := make([]int, inputs)
		for j := range order {
			order[j] = j
		}
		// Stable sort by descending strength, as Python's sorted(key=-max)
		// keeps equal edges in index order.
		slices.SortStableFunc(order, func(a, b int) int {
			sa, sb := rows[a][bestOp(rows[a])], rows[b][bestOp(rows[b])]
			switch {
			case sa > sb:
				return -1
			case sa < sb:
				return 1
			}
			return 0
		})
		for _, j := range order[:2] {
			pairs = append(pairs, Pair{Op: primitives[bestOp(rows[j])], Input: j})
		}
		start += inputs
	}
	return pairs, nil
}

// Random returns the DARTS random baseline: alphas drawn from N(0, 1) for
// both cells (normal first) with the project's seeded generator
// internal/rng, whose stream is the same on every machine, a softmax per
// edge, then Derive. It
// returns the zero Genotype if steps < 1 or primitives has no op other than
// 'none' or repeats one, since no cell can be derived then.
func Random(seed uint64, primitives []string, steps int) Genotype {
	if steps < 1 {
		return Genotype{}
	}
	r := rng.New(seed)
	edges := steps * (steps + 3) / 2
	cell := func() [][]float64 {
		w := make([][]float64, edges)
		for e := range w {
			w[e] = make([]float64, len(primitives))
			for k := range w[e] {
				w[e][k] = r.NormFloat64()
			}
			softmax(w[e])
		}
		return w
	}
	normal := cell()
	reduce := cell()
	g, err := Derive(normal, reduce, primitives)
	if err != nil {
		return Genotype{}
	}
	return g
}

// softmax replaces x by exp(x - max) / sum, in place.
func softmax(x []float64) {
	if len(x) == 0 {
		return
	}
	m := slices.Max(x)
	sum := 0.0
	for i, v := range x {
		x[i] = math.Exp(v - m)
		sum += x[i]
	}
	for i := range x {
		x[i] /= sum
	}
}
