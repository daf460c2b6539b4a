package optim

import (
	"math"
	"testing"
)

func TestCosineLR(t *testing.T) {
	tests := []struct {
		base, min    float64
		epoch, total int
		want         float64
	}{
		{1, 0, 0, 4, 1},
		{1, 0, 4, 4, 0},
		{1, 0, 2, 4, 0.5},
		{1, 0, 1, 4, (1 + math.Sqrt2/2) / 2},
		{0.025, 0.001, 0, 50, 0.025},
		{0.025, 0.001, 50, 50, 0.001},
		{0.025, 0.001, 25, 50, 0.013},
		// Past total the closed form rises again, as PyTorch's does.
		{1, 0, 6, 4, 0.5},
	}
	for _, tc := range tests {
		got := CosineLR(tc.base, tc.min, tc.epoch, tc.total)
		if math.Abs(got-tc.want) > 1e-15 {
			t.Errorf("CosineLR(%v, %v, %d, %d) = %v, want %v", tc.base, tc.min, tc.epoch, tc.total, got, tc.want)
		}
	}
	for e := 0; e < 50; e++ {
		if CosineLR(0.025, 0.001, e+1, 50) >= CosineLR(0.025, 0.001, e, 50) {
			t.Errorf("not decreasing at epoch %d", e)
		}
	}
}

// pytorch03Cosine transcribes the PyTorch 0.3 scheduler the original DARTS
// ran: the constructor calls step(last_epoch+1) and then restores
// last_epoch = -1; step() increments last_epoch and sets the closed-form lr.
type pytorch03Cosine struct {
	base, min float64
	tMax      float64
	lastEpoch int
	lr        float64
}

func newPytorch03Cosine(base, min float64, tMax float64) *pytorch03Cosine {
	s := &pytorch03Cosine{base: base, min: min, tMax: tMax}
	s.step(0)
	s.lastEpoch = -1
	return s
}

func (s *pytorch03Cosine) step(epoch int) {
	s.lastEpoch = epoch
	s.lr = s.min + (s.base-s.min)*(1+math.Cos(math.Pi*float64(s.lastEpoch)/s.tMax))/2
}

// TestDARTSEpochLR replays train_search.py's loop: for epoch in
// range(epochs): scheduler.step(); lr = scheduler.get_lr()[0].
func TestDARTSEpochLR(t *testing.T) {
	const base, min, epochs = 0.025, 0.001, 50
	s := newPytorch03Cosine(base, min, float64(epochs))
	for e := 0; e < epochs; e++ {
		s.step(s.lastEpoch + 1)
		if got := DARTSEpochLR(base, min, e, epochs); got != s.lr {
			t.Fatalf("epoch %d: DARTSEpochLR = %v, PyTorch 0.3 replay = %v", e, got, s.lr)
		}
	}
	if got := DARTSEpochLR(base, min, 0, epochs); got != base {
		t.Errorf("first epoch lr = %v, want the base %v", got, base)
	}
	// 0.001 + 0.024*(1 - cos(pi/50))/2, cos(pi/50) = 0.998026728428272 (by hand).
	if got := DARTSEpochLR(base, min, epochs-1, epochs); math.Abs(got-0.0010236792588607) > 1e-13 {
		t.Errorf("last epoch lr = %v, want 0.00102367925886", got)
	}
}
