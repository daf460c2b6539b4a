package derive

import (
	"fmt"
	"slices"

	"github.com/darts-go/darts/space"
)

// PairsRule is the derivation rule of AutoDL-Projects' DARTS-space GDAS
// (search_model_gdas_nasnet.py NASNetworkGDAS.genotype): PairsTopK{K: 2}.
var PairsRule Rule = PairsTopK{K: 2}

func init() {
	if err := RegisterRule(PairsRule); err != nil {
		panic(err)
	}
}

// PairsTopK keeps, for each node, the K (op, input) pairs of largest
// weight among all the pairs of its incoming edges whose op is not
// 'none'. Unlike TopK (DARTS) two ops of one edge may both be kept, so a
// node may read one input twice. Ties keep the enumeration order (input,
// then op), as the original's stable sorted() does; the kept pairs come in
// rank order.
type PairsTopK struct{ K int }

// Name implements Rule: "pairs-top<K>".
func (r PairsTopK) Name() string { return fmt.Sprintf("pairs-top%d", r.K) }

// DeriveCell implements Rule.
func (r PairsTopK) DeriveCell(name string, c space.Cell, w [][]float64, ops []string) (Cell, error) {
	usable, err := checkWeights(c, w, ops, true)
	if err != nil {
		return Cell{}, err
	}
	if r.K < 1 {
		return Cell{}, fmt.Errorf("rule %s: need K ≥ 1", r.Name())
	}
	type cand struct {
		pair Pair
		w    float64
	}
	out := Cell{Name: name, Inputs: c.Inputs, Concat: slices.Clone(c.Concat)}
	for node := 0; node < c.Nodes; node++ {
		var cs []cand
		for _, e := range c.InEdges(node) {
			for k, v := range w[e] {
				if usable[k] {
					cs = append(cs, cand{Pair{Op: ops[k], Input: c.Edges[e].Input}, v})
				}
			}
		}
		if len(cs) < r.K {
			return Cell{}, fmt.Errorf("node %d has %d (op, input) pairs, fewer than the %d the rule keeps", node, len(cs), r.K)
		}
		slices.SortStableFunc(cs, func(a, b cand) int {
			switch {
			case a.w > b.w:
				return -1
			case a.w < b.w:
				return 1
			}
			return 0
		})
		var pairs []Pair
		for _, x := range cs[:r.K] {
			pairs = append(pairs, x.pair)
		}
		out.Nodes = append(out.Nodes, pairs)
	}
	return out, nil
}
