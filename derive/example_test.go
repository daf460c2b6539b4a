package derive_test

import (
	"fmt"

	"github.com/darts-go/darts/derive"
	"github.com/darts-go/darts/space"
)

// A two-node cell over three ops: 'none' is never chosen even where it has
// the largest weight, and each node keeps its two strongest incoming edges,
// strongest first.
func ExampleDerive() {
	ops := []string{"none", "skip_connect", "sep_conv_3x3"}
	normal := [][]float64{
		{0.2, 0.1, 0.7}, // node 0 ← state 0
		{0.5, 0.3, 0.2}, // node 0 ← state 1
		{0.9, 0.05, 0.05},
		{0.1, 0.6, 0.3}, // node 1 ← state 1
		{0.1, 0.2, 0.7}, // node 1 ← state 2 (node 0)
	}
	reduce := [][]float64{
		{0.1, 0.8, 0.1},
		{0.1, 0.1, 0.8},
		{0.2, 0.4, 0.4},
		{0.6, 0.2, 0.2},
		{0.3, 0.3, 0.4},
	}
	sp := space.DARTS(2, 2, ops) // two nodes, both concatenated
	g, err := derive.Derive(sp, derive.DARTSRule, map[string][][]float64{"normal": normal, "reduce": reduce})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(g)
	// Output:
	// Genotype(normal=[('sep_conv_3x3', 0), ('skip_connect', 1), ('sep_conv_3x3', 2), ('skip_connect', 1)], normal_concat=[2, 3], reduce=[('skip_connect', 0), ('sep_conv_3x3', 1), ('skip_connect', 0), ('sep_conv_3x3', 2)], reduce_concat=[2, 3])
}
