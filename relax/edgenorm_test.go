package relax

import (
	"math"
	"testing"

	"github.com/darts-go/darts/internal/gradcheck"
	"github.com/darts-go/darts/space"
	"gorgonia.org/tensor"
)

// TestEdgeSoftmax holds the edge normalization to its closed form on the
// DARTS cell — node 0's two edges get the logistic of their difference,
// every node's weights sum to 1 and keep the order of its β — and its
// backward to finite differences.
func TestEdgeSoftmax(t *testing.T) {
	c := space.DARTSCell(4, 4)
	beta := gradcheck.Normal(3, len(c.Edges))
	rows := make([][]float64, len(beta))
	for e, v := range beta {
		rows[e] = []float64{v}
	}
	w := EdgeSoftmax(c, rows)
	if got, want := w[0][0], 1/(1+math.Exp(beta[1]-beta[0])); math.Abs(got-want) > 1e-15 {
		t.Errorf("node 0, edge 0: %v, want the logistic of β0−β1 %v", got, want)
	}
	for k := 0; k < c.Nodes; k++ {
		var sum float64
		in := c.InEdges(k)
		for _, e := range in {
			sum += w[e][0]
		}
		if math.Abs(sum-1) > 1e-12 {
			t.Errorf("node %d: weights sum to %v", k, sum)
		}
		for _, a := range in {
			for _, b := range in {
				if (beta[a] < beta[b]) != (w[a][0] < w[b][0]) {
					t.Errorf("node %d: β order of edges %d, %d not kept", k, a, b)
				}
			}
		}
	}
	b := NewEdgeSoftmaxBlock[float64](space.EdgeTensor("normal"), c)
	y, err := b.Forward([][]float64{beta}, []tensor.Shape{{14, 1}})
	if err != nil {
		t.Fatal(err)
	}
	for e := range y {
		if y[e] != w[e][0] {
			t.Errorf("edge %d: block %v, EdgeSoftmax %v", e, y[e], w[e][0])
		}
	}
	gradcheck.Block(t, "edge softmax", b, []gradcheck.Input{{Value: beta, Shape: tensor.Shape{14}, Check: true}}, 4, 1e-7)
	if _, err := b.OutShape([]tensor.Shape{{13}}); err == nil {
		t.Error("13 values for 14 edges: no error")
	}
}
