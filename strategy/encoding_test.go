package strategy

import (
	"fmt"
	"math"
	"math/big"
	"slices"
	"testing"

	"github.com/darts-go/darts/derive"
	"github.com/darts-go/darts/internal/rng"
	"github.com/darts-go/darts/space"
)

func dartsEnc(t *testing.T, steps int, ops []string) *Encoding {
	t.Helper()
	e, err := NewEncoding(space.DARTS(steps, steps, ops))
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func nb201Enc(t *testing.T, ops []string) *Encoding {
	t.Helper()
	e, err := NewEncoding(space.NB201(ops))
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func binom(n, k int) int64 { return new(big.Int).Binomial(int64(n), int64(k)).Int64() }

// TestCountClosedForm: the DARTS space has, per cell, Π_k C(k+2, 2)·K²
// architectures (node k picks 2 of its k+2 states, an op of K for each);
// NAS-Bench-201 has K^6 (15,625 for its five ops).
func TestCountClosedForm(t *testing.T) {
	e := dartsEnc(t, 4, space.DARTSOps)
	perCell := big.NewInt(1)
	for k := 0; k < 4; k++ {
		perCell.Mul(perCell, big.NewInt(binom(k+2, 2)*8*8))
	}
	want := new(big.Int).Mul(perCell, perCell)
	if e.Count().Cmp(want) != 0 {
		t.Errorf("DARTS space: %v architectures, want %v", e.Count(), want)
	}
	if got := nb201Enc(t, space.NB201Ops).Count(); got.Cmp(big.NewInt(15625)) != 0 {
		t.Errorf("NAS-Bench-201: %v architectures, want 15,625", got)
	}
}

// enumerateDARTS lists every genotype of a DARTS space by brute force:
// for each node every ordered pair of distinct states and every pair of
// ops, deduplicated by the set of (op, input) pairs of the node.
func enumerateDARTS(steps int, ops []string) map[string]bool {
	nodeChoices := func(k int) [][]derive.Pair {
		seen := map[string]bool{}
		var out [][]derive.Pair
		for a := 0; a < k+2; a++ {
			for b := 0; b < k+2; b++ {
				if a == b {
					continue
				}
				for _, oa := range ops {
					for _, ob := range ops {
						ps := []derive.Pair{{Op: oa, Input: a}, {Op: ob, Input: b}}
						if a > b {
							ps[0], ps[1] = ps[1], ps[0]
						}
						key := fmt.Sprint(ps)
						if !seen[key] {
							seen[key] = true
							out = append(out, ps)
						}
					}
				}
			}
		}
		return out
	}
	cells := []string{""}
	for k := 0; k < steps; k++ {
		var next []string
		for _, prefix := range cells {
			for _, c := range nodeChoices(k) {
				next = append(next, prefix+fmt.Sprint(c))
			}
		}
		cells = next
	}
	out := map[string]bool{}
	for _, n := range cells {
		for _, r := range cells {
			out[n+"|"+r] = true
		}
	}
	return out
}

func dartsKey(g derive.Genotype) string {
	key := ""
	for i, c := range g.Cells {
		if i > 0 {
			key += "|"
		}
		for _, n := range c.Nodes {
			key += fmt.Sprint(n)
		}
	}
	return key
}

// TestGridEnumeratesEverything: At(0..Count-1) visits every architecture
// exactly once — the brute-force enumeration of a small DARTS space (2
// nodes, 2 ops), and all 15,625 NAS-Bench-201 cells (counted by the
// closed form K^6 and distinct) — and each is a valid genotype that
// Decisions maps back.
func TestGridEnumeratesEverything(t *testing.T) {
	ops := []string{"none", "skip_connect"}
	e := dartsEnc(t, 2, ops)
	want := enumerateDARTS(2, ops)
	if e.Count().Int64() != int64(len(want)) {
		t.Fatalf("Count %v, brute force %d", e.Count(), len(want))
	}
	seen := map[string]bool{}
	for i := int64(0); i < e.Count().Int64(); i++ {
		x, err := e.At(big.NewInt(i))
		if err != nil {
			t.Fatal(err)
		}
		g, err := e.Genotype(x)
		if err != nil {
			t.Fatal(err)
		}
		if err := g.Validate(nil); err != nil {
			t.Fatalf("index %d: %v", i, err)
		}
		k := dartsKey(g)
		if !want[k] {
			t.Fatalf("index %d: %s is not an architecture of the space", i, k)
		}
		if seen[k] {
			t.Fatalf("index %d: %s visited twice", i, k)
		}
		seen[k] = true
		back, err := e.Decisions(g)
		if err != nil || !slices.Equal(back, x) {
			t.Fatalf("index %d: Decisions(Genotype(%v)) = %v, %v", i, x, back, err)
		}
	}
	if _, err := e.At(e.Count()); err == nil {
		t.Error("At(Count) has no error")
	}

	nb := nb201Enc(t, space.NB201Ops)
	strs := map[string]bool{}
	for i := int64(0); i < 15625; i++ {
		x, err := nb.At(big.NewInt(i))
		if err != nil {
			t.Fatal(err)
		}
		g, err := nb.Genotype(x)
		if err != nil {
			t.Fatal(err)
		}
		s, err := g.FormatNB201()
		if err != nil {
			t.Fatal(err)
		}
		strs[s] = true
	}
	if len(strs) != 15625 {
		t.Errorf("%d distinct NAS-Bench-201 cells, want 15,625", len(strs))
	}
	back, err := derive.ParseNB201("|nor_conv_3x3~0|+|none~0|skip_connect~1|+|avg_pool_3x3~0|nor_conv_1x1~1|skip_connect~2|")
	if err != nil {
		t.Fatal(err)
	}
	x, err := nb.Decisions(back)
	// edges 1←0, 2←0, 2←1, 3←0, 3←1, 3←2; ops none 0, skip 1, conv1x1 2, conv3x3 3, avg 4.
	if err != nil || !slices.Equal(x, []int{3, 0, 1, 4, 2, 1}) {
		t.Errorf("Decisions of a NAS-Bench-201 string = %v, %v", x, err)
	}
}

// TestWeightsOneHot: the weights of a DARTS architecture put a single 1
// on exactly two incoming edges of every node (the chosen inputs, at the
// chosen ops) and zeros elsewhere; NAS-Bench-201's a single 1 per edge.
func TestWeightsOneHot(t *testing.T) {
	e := dartsEnc(t, 4, space.DARTSOps)
	r := rng.New(5)
	for range 200 {
		x := e.Uniform(r)
		g, _ := e.Genotype(x)
		for _, ct := range e.Space.Cells {
			w := e.Weights(x)[ct.Name]
			cell, _ := g.Cell(ct.Name)
			for k := 0; k < ct.Cell.Nodes; k++ {
				ones := 0
				for _, row := range ct.Cell.InEdges(k) {
					s := 0.0
					for j, v := range w[row] {
						s += v
						if v == 1 {
							p := derive.Pair{Op: e.Space.Ops[j], Input: ct.Cell.Edges[row].Input}
							if !slices.Contains(cell.Nodes[k], p) {
								t.Fatalf("weight 1 at %v, not a pair of node %d: %v", p, k, cell.Nodes[k])
							}
						} else if v != 0 {
							t.Fatalf("weight %v", v)
						}
					}
					if s != 0 && s != 1 {
						t.Fatalf("row sum %v", s)
					}
					ones += int(s)
				}
				if ones != 2 {
					t.Fatalf("node %d has %d weighted edges, want 2", k, ones)
				}
			}
		}
	}
	nb := nb201Enc(t, space.NB201Ops)
	for range 50 {
		for _, row := range nb.Weights(nb.Uniform(r))["cell"] {
			s := 0.0
			for _, v := range row {
				s += v
			}
			if s != 1 {
				t.Fatalf("NAS-Bench-201 row sums to %v", s)
			}
		}
	}
}

// within checks an observed frequency against probability p over n draws
// at 4.5 standard deviations.
func within(t *testing.T, what string, count, n int, p float64) {
	t.Helper()
	sd := math.Sqrt(p * (1 - p) / float64(n))
	if f := float64(count) / float64(n); math.Abs(f-p) > 4.5*sd {
		t.Errorf("%s: frequency %.4f, want %.4f ± %.4f", what, f, p, 4.5*sd)
	}
}

// TestUniformMoments holds RSPS's sampler to its closed forms: on the
// DARTS space node k reads each of its k+2 states with probability
// 2/(k+2), never the same twice, each pair of states with probability
// 1/C(k+2, 2), each input through each op with probability 1/K,
// independently of the other input's op; on NAS-Bench-201 each edge
// carries each op with probability 1/5.
func TestUniformMoments(t *testing.T) {
	const n = 20000
	e := dartsEnc(t, 4, space.DARTSOps)
	k := len(space.DARTSOps)
	type key struct{ cell, node, s int }
	reads := map[key]int{}
	pairs := map[[4]int]int{}
	ops := map[[3]int]int{}
	joint := map[[2]int]int{}
	for i := range n {
		x := e.Uniform(rng.New(rng.Key(1, uint64(i))))
		g, _ := e.Genotype(x)
		for ci, c := range g.Cells {
			for node, ps := range c.Nodes {
				if ps[0].Input == ps[1].Input {
					t.Fatalf("node %d reads state %d twice", node, ps[0].Input)
				}
				for _, p := range ps {
					reads[key{ci, node, p.Input}]++
					ops[[3]int{ci, node, slices.Index(space.DARTSOps, p.Op)}]++
				}
				pairs[[4]int{ci, node, ps[0].Input, ps[1].Input}]++
				if ci == 0 && node == 3 {
					joint[[2]int{slices.Index(space.DARTSOps, ps[0].Op), slices.Index(space.DARTSOps, ps[1].Op)}]++
				}
			}
		}
	}
	for ci := 0; ci < 2; ci++ {
		for node := 0; node < 4; node++ {
			for s := 0; s < node+2; s++ {
				within(t, fmt.Sprintf("cell %d node %d reads state %d", ci, node, s), reads[key{ci, node, s}], n, 2/float64(node+2))
			}
			for o := 0; o < k; o++ {
				within(t, fmt.Sprintf("cell %d node %d op %d", ci, node, o), ops[[3]int{ci, node, o}], 2*n, 1/float64(k))
			}
		}
	}
	for a := 0; a < 5; a++ {
		for b := a + 1; b < 5; b++ {
			within(t, fmt.Sprintf("node 3 pair (%d,%d)", a, b), pairs[[4]int{1, 3, a, b}], n, 1/float64(binom(5, 2)))
		}
	}
	for a := 0; a < k; a += 3 {
		for b := 0; b < k; b += 3 {
			within(t, fmt.Sprintf("node 3 ops (%d,%d)", a, b), joint[[2]int{a, b}], n, 1/float64(k*k))
		}
	}

	nb := nb201Enc(t, space.NB201Ops)
	counts := make([][5]int, 6)
	for i := range n {
		x := nb.Uniform(rng.New(rng.Key(2, uint64(i))))
		for d, v := range x {
			counts[d][v]++
		}
	}
	for d := range counts {
		for o := range 5 {
			within(t, fmt.Sprintf("NAS-Bench-201 edge %d op %d", d, o), counts[d][o], n, 0.2)
		}
	}
}

// pairDiff lists the (cell, node) places where two genotypes differ, and
// how: "op" when the inputs are the same and one op differs, "input" when
// one input changed and its op stayed with it.
func pairDiff(a, b derive.Genotype) []string {
	var out []string
	for ci := range a.Cells {
		for k := range a.Cells[ci].Nodes {
			x, y := a.Cells[ci].Nodes[k], b.Cells[ci].Nodes[k]
			if slices.Equal(x, y) {
				continue
			}
			same := 0
			for _, p := range x {
				if slices.Contains(y, p) {
					same++
				}
			}
			switch {
			case same != 1:
				out = append(out, "more than one change")
			case x[0].Input == y[0].Input && x[1].Input == y[1].Input:
				out = append(out, "op")
			default:
				out = append(out, "input")
			}
		}
	}
	return out
}

// TestMutateChangesOneThing: a mutation changes exactly one pair of one
// node of one cell, either its op (to one of the K-1 others, uniformly)
// or its input (its op kept); the two kinds come about equally often
// where a node has a state to move to; on NAS-Bench-201 exactly one edge
// changes op, to each other op with probability 1/4.
func TestMutateChangesOneThing(t *testing.T) {
	e := dartsEnc(t, 4, space.DARTSOps)
	const n = 20000
	kinds := map[string]int{}
	newOps := make([]int, len(space.DARTSOps))
	fromZero := 0
	for i := range n {
		r := rng.New(rng.Key(3, uint64(i)))
		x := e.Uniform(r)
		y := e.Mutate(x, r)
		if err := e.Check(y); err != nil {
			t.Fatal(err)
		}
		gx, _ := e.Genotype(x)
		gy, _ := e.Genotype(y)
		d := pairDiff(gx, gy)
		if len(d) != 1 || d[0] == "more than one change" {
			t.Fatalf("mutation of %v gave %v: changes %v", gx, gy, d)
		}
		kinds[d[0]]++
		if d[0] == "op" {
			for ci := range gx.Cells {
				for k := range gx.Cells[ci].Nodes {
					for j := range 2 {
						if a, b := gx.Cells[ci].Nodes[k][j].Op, gy.Cells[ci].Nodes[k][j].Op; a != b && a == "none" {
							fromZero++
							newOps[slices.Index(space.DARTSOps, b)]++
						}
					}
				}
			}
		}
	}
	// Node 0 (2 states) always mutates an op: P(op) = 1/4 + 3/4·1/2 = 5/8.
	within(t, "op mutations", kinds["op"], n, 5.0/8)
	for o := 1; o < len(newOps); o++ {
		within(t, fmt.Sprintf("none mutated to op %d", o), newOps[o], fromZero, 1.0/7)
	}

	nb := nb201Enc(t, space.NB201Ops)
	to := map[int]int{}
	from0 := 0
	for i := range n {
		r := rng.New(rng.Key(4, uint64(i)))
		x := nb.Uniform(r)
		y := nb.Mutate(x, r)
		changed := 0
		for d := range x {
			if x[d] != y[d] {
				changed++
				if x[d] == 0 {
					from0++
					to[y[d]]++
				}
			}
		}
		if changed != 1 {
			t.Fatalf("NAS-Bench-201 mutation changed %d edges", changed)
		}
	}
	for o := 1; o < 5; o++ {
		within(t, fmt.Sprintf("none mutated to op %d", o), to[o], from0, 0.25)
	}
}

func TestEncodingErrors(t *testing.T) {
	if _, err := NewEncoding(space.Space{Name: "other", Ops: []string{"none"}, Cells: []space.CellType{{Name: "c", Cell: space.NB201Cell()}}}); err == nil {
		t.Error("an unknown space has an encoding")
	}
	e := nb201Enc(t, space.NB201Ops)
	for _, x := range [][]int{{0, 0, 0}, {0, 0, 0, 0, 0, 5}, {-1, 0, 0, 0, 0, 0}} {
		if err := e.Check(x); err == nil {
			t.Errorf("Check(%v): no error", x)
		}
		if _, err := e.Genotype(x); err == nil {
			t.Errorf("Genotype(%v): no error", x)
		}
	}
	d := dartsEnc(t, 4, space.DARTSOps)
	g := derive.MustDARTS([]derive.Pair{{Op: "none", Input: 0}, {Op: "none", Input: 0}, {Op: "none", Input: 0}, {Op: "none", Input: 1},
		{Op: "none", Input: 0}, {Op: "none", Input: 1}, {Op: "none", Input: 0}, {Op: "none", Input: 1}}, []int{2, 3, 4, 5},
		[]derive.Pair{{Op: "none", Input: 0}, {Op: "none", Input: 1}, {Op: "none", Input: 0}, {Op: "none", Input: 1},
			{Op: "none", Input: 0}, {Op: "none", Input: 1}, {Op: "none", Input: 0}, {Op: "sep_conv_7x7", Input: 1}}, []int{2, 3, 4, 5})
	if _, err := d.Decisions(g); err == nil {
		t.Error("a node reading state 0 twice and an op outside the space have decisions")
	}
}
