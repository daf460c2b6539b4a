package relax

import (
	"math"
	"slices"
	"testing"

	"github.com/darts-go/darts/space"
	"gorgonia.org/tensor"
)

// TestMaskedSoftmax: a masked row is the softmax of its kept entries
// (SoftmaxRows of the compact row, bit for bit) with 0 elsewhere; a tensor
// without a mask is Softmax; the block's backward matches central
// differences of Σ dy ⊙ y, and is 0 at the masked columns.
func TestMaskedSoftmax(t *testing.T) {
	alpha := [][]float64{{0.3, -1.2, 2.0, 0.1}, {1.5, 0.2, -0.7, 0.4}}
	mask := [][]bool{{true, false, true, true}, {false, true, false, false}}
	r := MaskedSoftmax[float64]{Masks: map[string][][]bool{"normal": mask}}
	w := r.Weights(space.Tensor{Name: "normal"}, alpha)
	want0 := SoftmaxRows([][]float64{{0.3, 2.0, 0.1}})[0]
	if !slices.Equal(w[0], []float64{want0[0], 0, want0[1], want0[2]}) || !slices.Equal(w[1], []float64{0, 1, 0, 0}) {
		t.Errorf("weights %v", w)
	}
	if got, want := r.Weights(space.Tensor{Name: "reduce"}, alpha), SoftmaxRows(alpha); !slices.EqualFunc(got, want, slices.Equal[[]float64]) {
		t.Errorf("no mask: %v, softmax %v", got, want)
	}
	b := r.Block(space.Tensor{Name: "normal", Param: "alphas_normal"}, nil).(*MaskedSoftmaxBlock[float64])
	x := append(slices.Clone(alpha[0]), alpha[1]...)
	sh := []tensor.Shape{{2, 4}}
	if _, err := b.OutShape(sh); err != nil {
		t.Fatal(err)
	}
	dy := []float64{0.5, -1, 2, 0.3, -0.4, 0.8, 1.1, -2}
	f := func() float64 {
		y, err := b.Forward([][]float64{x}, sh)
		if err != nil {
			t.Fatal(err)
		}
		var s float64
		for i, v := range y {
			s += v * dy[i]
		}
		return s
	}
	f()
	dx := make([]float64, 8)
	if err := b.Backward(dy, [][]float64{dx}); err != nil {
		t.Fatal(err)
	}
	const h = 1e-6
	for i := range x {
		v := x[i]
		x[i] = v + h
		lp := f()
		x[i] = v - h
		lm := f()
		x[i] = v
		fd := (lp - lm) / (2 * h)
		if math.Abs(fd-dx[i]) > 1e-8 {
			t.Errorf("dx[%d] = %v, central difference %v", i, dx[i], fd)
		}
		if !mask[i/4][i%4] && dx[i] != 0 {
			t.Errorf("dx[%d] = %v at a masked column", i, dx[i])
		}
	}
	bad := &MaskedSoftmaxBlock[float64]{Label: "x", Mask: [][]bool{{false, false, false, false}, {true, true, true, true}}}
	if _, err := bad.OutShape(sh); err == nil {
		t.Error("a row that keeps no column: no error")
	}
}
