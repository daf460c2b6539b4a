package mixedop

import (
	"math"
	"slices"
	"testing"

	"github.com/darts-go/darts/internal/rng"
	"gorgonia.org/tensor"
)

func dropInput(n int) []float64 {
	r := rng.New(3)
	x := make([]float64, n)
	for i := range x {
		x[i] = r.NormFloat64()
	}
	return x
}

// TestDropoutMoments: a stride-1 skip_connect built with a Dropout zeroes
// each element with probability p (the fraction of zeros within four
// binomial standard deviations of p) and scales the others by 1/(1-p), so
// that its mean is the input's; the mask is a function of the key and of
// the skip (two skips, or two keys, draw different masks); eval mode and
// p = 0 are the identity.
func TestDropoutMoments(t *testing.T) {
	const p = 0.3
	key := uint64(5)
	d := &Dropout{Rate: func() float64 { return p }, Key: func() uint64 { return key }}
	ctx := &Ctx{Training: true}
	a := Args{C: 4, Stride: 1, SkipDropout: d}
	m1, err := Build[float64](ctx, "skip_connect", "e0.skip", a)
	if err != nil {
		t.Fatal(err)
	}
	m2, _ := Build[float64](ctx, "skip_connect", "e1.skip", a)
	in := Shape{N: 50, C: 4, H: 10, W: 10}
	x := dropInput(in.Size())
	y1 := slices.Clone(m1.Forward(x, in))
	zeros := 0
	var sx, sy float64
	for i, v := range y1 {
		switch {
		case v == 0:
			zeros++
		case v != x[i]/(1-p) && math.Abs(v-x[i]/(1-p)) > 1e-15*math.Abs(v):
			t.Fatalf("element %d: %v, want 0 or %v", i, v, x[i]/(1-p))
		}
		sx += x[i]
		sy += v
	}
	n := float64(len(x))
	if f, sd := float64(zeros)/n, math.Sqrt(p*(1-p)/n); math.Abs(f-p) > 4*sd {
		t.Errorf("fraction of zeros %v, want %v ± %v", f, p, 4*sd)
	}
	// E[y - x] = 0 with variance Σ x²·p/(1-p).
	var sx2 float64
	for _, v := range x {
		sx2 += v * v
	}
	if sd := math.Sqrt(sx2 * p / (1 - p)); math.Abs(sy-sx) > 4*sd {
		t.Errorf("Σy − Σx = %v, want 0 ± %v", sy-sx, 4*sd)
	}
	if again := m1.Forward(x, in); !slices.Equal(again, y1) {
		t.Error("the same key and skip drew another mask")
	}
	if y2 := m2.Forward(x, in); slices.Equal(y2, y1) {
		t.Error("two skips drew the same mask")
	}
	key = 6
	if y3 := m1.Forward(x, in); slices.Equal(y3, y1) {
		t.Error("two keys drew the same mask")
	}
	ctx.Training = false
	if y := m1.Forward(x, in); &y[0] != &x[0] {
		t.Error("eval mode is not the identity")
	}
	ctx.Training = true
	d.Rate = func() float64 { return 0 }
	if y := m1.Forward(x, in); &y[0] != &x[0] {
		t.Error("p = 0 is not the identity")
	}
}

// TestDropoutBackward holds the skip's backward (dy scaled by a mixed
// op's weight s, written or added) to central differences of L = Σ dy ⊙
// y at a fixed key, inside a mixed edge of skip_connect and sep_conv_3x3.
func TestDropoutBackward(t *testing.T) {
	d := &Dropout{Rate: func() float64 { return 0.4 }, Key: func() uint64 { return 9 }}
	ctx := &Ctx{Training: true, Rand: rng.New(1)}
	in := Shape{N: 2, C: 4, H: 5, W: 5}
	m, err := NewMixed[float64](ctx, "edge", []string{"skip_connect", "sep_conv_3x3"}, 0, Args{C: 4, Stride: 1, SkipDropout: d})
	if err != nil {
		t.Fatal(err)
	}
	x := dropInput(in.Size())
	w := []float64{0.7, 0.3}
	dy := dropInput(in.Size() + 7)[7:]
	shapes := []tensor.Shape{{in.N, in.C, in.H, in.W}, {2}}
	loss := func() float64 {
		y, err := m.Forward([][]float64{x, w}, shapes)
		if err != nil {
			t.Fatal(err)
		}
		var s float64
		for i, v := range y {
			s += v * dy[i]
		}
		return s
	}
	loss()
	dx, dw := make([]float64, len(x)), make([]float64, 2)
	if err := m.Backward(dy, [][]float64{dx, dw}); err != nil {
		t.Fatal(err)
	}
	const h = 1e-6
	for _, i := range []int{0, 3, 17, 60, 99, 120, len(x) - 1} {
		v := x[i]
		x[i] = v + h
		lp := loss()
		x[i] = v - h
		lm := loss()
		x[i] = v
		if fd := (lp - lm) / (2 * h); math.Abs(fd-dx[i]) > 1e-6 {
			t.Errorf("dx[%d] = %v, central difference %v", i, dx[i], fd)
		}
	}
	for k := range w {
		v := w[k]
		w[k] = v + h
		lp := loss()
		w[k] = v - h
		lm := loss()
		w[k] = v
		if fd := (lp - lm) / (2 * h); math.Abs(fd-dw[k]) > 1e-6 {
			t.Errorf("dw[%d] = %v, central difference %v", k, dw[k], fd)
		}
	}
}
