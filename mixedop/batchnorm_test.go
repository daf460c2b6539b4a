package mixedop

import (
	"fmt"
	"math"
	"testing"
)

// TestBatchNormGradient covers both modes: training (batch statistics, a
// function of the whole batch) and eval (running statistics, an affine map),
// with and without the affine parameters.
func TestBatchNormGradient(t *testing.T) {
	for _, training := range []bool{true, false} {
		for _, affine := range []bool{false, true} {
			forEachShape(t, fmt.Sprintf("bn training=%v affine=%v", training, affine), false, func(in Shape) Module[float64] {
				ctx := &Ctx{Training: training}
				m := newBatchNorm[float64](ctx, "bn", in.C, affine)
				for c := range m.rvar.Value {
					m.rmean.Value[c], m.rvar.Value[c] = 0.1*float64(c), 1+0.5*float64(c)
				}
				return m
			}, 1e-5)
		}
	}
}

// TestBatchNormRunningStats: one training forward moves the running
// statistics by PyTorch's rule, running = (1-m)·running + m·batch with the
// unbiased batch variance, and leaves them alone in eval mode.
func TestBatchNormRunningStats(t *testing.T) {
	x := []float64{1, 2, 3, 4, 10, 20, 30, 40} // N=2, C=2, plane 2: channel 0 = 1,2,10,20
	in := Shape{N: 2, C: 2, H: 1, W: 2}
	ctx := &Ctx{Training: true}
	m := newBatchNorm[float64](ctx, "bn", 2, false)
	m.Forward(x, in)
	mean0, var0 := 8.25, (math.Pow(1-8.25, 2)+math.Pow(2-8.25, 2)+math.Pow(10-8.25, 2)+math.Pow(20-8.25, 2))/3
	if got := m.rmean.Value[0]; math.Abs(got-0.1*mean0) > 1e-12 {
		t.Errorf("running mean %g, want %g", got, 0.1*mean0)
	}
	if got := m.rvar.Value[0]; math.Abs(got-(0.9+0.1*var0)) > 1e-12 {
		t.Errorf("running var %g, want %g", got, 0.9+0.1*var0)
	}
	ctx.Training = false
	before := m.rmean.Value[1]
	m.Forward(x, in)
	if m.rmean.Value[1] != before {
		t.Error("eval forward changed the running statistics")
	}
}

// TestUntrackedBatchNorm: without running statistics (PyTorch's
// track_running_stats=False), eval mode normalizes with the batch's
// statistics, exactly as training mode does, and there is no state.
func TestUntrackedBatchNorm(t *testing.T) {
	in := Shape{N: 3, C: 2, H: 2, W: 2}
	x := make([]float64, in.Size())
	for i := range x {
		x[i] = float64(i*i%7) - 2
	}
	ctx := &Ctx{Training: true}
	m := newBatchNorm[float64](ctx, "bn", 2, false)
	m.untracked = true
	train := append([]float64(nil), m.Forward(x, in)...)
	ctx.Training = false
	eval := m.Forward(x, in)
	for i := range train {
		if train[i] != eval[i] {
			t.Fatalf("eval output %v differs from training output %v", eval, train)
		}
	}
	if len(m.State()) != 0 {
		t.Errorf("untracked BatchNorm has state %v", m.State())
	}
	forEachShape(t, "untracked bn eval", false, func(in Shape) Module[float64] {
		b := newBatchNorm[float64](&Ctx{Training: false}, "bn", in.C, true)
		b.untracked = true
		return b
	}, 1e-5)
}
