package derive

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/darts-go/darts/space"
)

// FairDARTSThreshold is FairDARTS's --op_threshold: the weight σ(α) an op
// must reach to be kept.
const FairDARTSThreshold = 0.85

// ThresholdRule is FairDARTS's derivation (Threshold at 0.85), registered
// as "threshold".
var ThresholdRule Rule = Threshold{T: FairDARTSThreshold}

func init() {
	if err := RegisterRule(ThresholdRule); err != nil {
		panic(err)
	}
	ruleParsers = append(ruleParsers, parseThreshold)
}

// Threshold is FairDARTS's derivation rule (xiaomi-automl/FairDARTS
// fairdarts/utils.py parse with its default parse_method
// 'threshold_sparse'): for each intermediate node it ranks the incoming
// edges by their largest weight over every op (a stable sort: the lower
// edge first on ties) and looks at the two strongest; on each it takes the
// op of largest weight (the lowest index on ties) and keeps the pair only
// if that weight is at least T. A node therefore keeps 0, 1 or 2 inputs,
// in rank order. The cell's output concatenates every node that survives
// (Cell.Live), in node order, whatever the supernet concatenated, as
// FairDARTS's evaluation cell (model.py DCOCell) does; a pair reading a
// node that did not survive stays in the genotype and is skipped by the
// network.
//
// FairDARTS's weights are σ(α), so T compares with an op's own weight, not
// with a share of the edge. A cell in which no op reaches T has no
// surviving node and an empty concat list: a valid result of the rule
// (early in a search, σ starts at ½ everywhere) that Genotype.Validate and
// the discrete network refuse, naming the cell.
type Threshold struct{ T float64 }

// Name implements Rule: "threshold" at FairDARTS's 0.85,
// "threshold-<T>" otherwise (RuleByName reads both).
func (r Threshold) Name() string {
	if r.T == FairDARTSThreshold {
		return "threshold"
	}
	return "threshold-" + strconv.FormatFloat(r.T, 'g', -1, 64)
}

// parseThreshold reads the names Threshold.Name gives.
func parseThreshold(name string) (Rule, bool) {
	s, ok := strings.CutPrefix(name, "threshold-")
	if !ok {
		return nil, false
	}
	t, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(t) || math.IsInf(t, 0) {
		return nil, false
	}
	return Threshold{T: t}, true
}

// DeriveCell implements Rule.
func (r Threshold) DeriveCell(name string, c space.Cell, w [][]float64, ops []string) (Cell, error) {
	if math.IsNaN(r.T) || math.IsInf(r.T, 0) {
		return Cell{}, fmt.Errorf("threshold %g: need a finite number", r.T)
	}
	if _, err := checkWeights(c, w, ops, false); err != nil {
		return Cell{}, err
	}
	// best is parse's upward scan with strict '>': the lowest index wins a
	// tie.
	best := func(row []float64) int {
		b := 0
		for k, v := range row {
			if v > row[b] {
				b = k
			}
		}
		return b
	}
	out := Cell{Name: name, Inputs: c.Inputs, Nodes: make([][]Pair, c.Nodes)}
	for node := 0; node < c.Nodes; node++ {
		order := slices.Clone(c.InEdges(node))
		slices.SortStableFunc(order, func(a, b int) int {
			sa, sb := w[a][best(w[a])], w[b][best(w[b])]
			switch {
			case sa > sb:
				return -1
			case sa < sb:
				return 1
			}
			return 0
		})
		for _, e := range order[:min(2, len(order))] {
			if k := best(w[e]); w[e][k] >= r.T {
				out.Nodes[node] = append(out.Nodes[node], Pair{Op: ops[k], Input: c.Edges[e].Input})
			}
		}
	}
	out.Concat = out.LiveStates()
	return out, nil
}

// LiveStates lists the states of the nodes that survive (Live), in node
// order: the concat list of FairDARTS's evaluation cell.
func (c Cell) LiveStates() []int {
	var s []int
	for k, ok := range c.Live() {
		if ok {
			s = append(s, c.Inputs+k)
		}
	}
	return s
}
