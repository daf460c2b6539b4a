package supernet

import (
	"testing"

	"github.com/darts-go/darts/internal/gradcheck"
	"gorgonia.org/tensor"
)

// TestEdgeSumGradients holds the edge-normalized node sum's backward (each
// edge's output and the edge weights) to central differences, for a node
// reading edges 5..8 of a cell of 14.
func TestEdgeSumGradients(t *testing.T) {
	b := &edgeSumBlock[float64]{label: "node2", edges: []int{5, 6, 7, 8}}
	shape := tensor.Shape{2, 3, 4, 5}
	var ins []gradcheck.Input
	for j := range b.edges {
		ins = append(ins, gradcheck.Input{Value: gradcheck.Normal(uint64(20+j), shape.TotalSize()), Shape: shape, Check: true})
	}
	ins = append(ins, gradcheck.Input{Value: gradcheck.Normal(30, 14), Shape: tensor.Shape{14, 1}, Check: true})
	gradcheck.Block(t, "edge sum", b, ins, 31, 1e-7)
	if _, err := b.OutShape([]tensor.Shape{shape, shape, shape, shape, {6}}); err == nil {
		t.Error("weights of 6 edges for edges 5..8: no error")
	}
}
