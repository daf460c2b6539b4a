package optim

import (
	"math"
	"testing"
)

func grads32(gs ...[]float32) []*Param[float32] {
	ps := make([]*Param[float32], len(gs))
	for i, g := range gs {
		ps[i] = &Param[float32]{Name: string(rune('a' + i)), Value: make([]float32, len(g)), Grad: g}
	}
	return ps
}

func TestClipGradNorm(t *testing.T) {
	tests := []struct {
		name      string
		grads     [][]float32
		maxNorm   float64
		wantTotal float64
		wantScale float64 // 1 = untouched
	}{
		{"halves", [][]float32{{3, 4}}, 2.5, 5, 2.5 / (5 + 1e-6)},
		{"across params", [][]float32{{3}, {}, {-4}}, 2.5, 5, 2.5 / (5 + 1e-6)},
		{"below limit", [][]float32{{0.3, -0.4}}, 1, 0.5, 1},
		// PyTorch adds 1e-6 to the norm, so a norm at the limit still shrinks.
		{"at limit", [][]float32{{3, 4}}, 5, 5, 5 / (5 + 1e-6)},
		// The squares overflow float32; the float64 sum must not.
		{"large", [][]float32{{3e20, 4e20}}, 1, 5e20, 1 / (5e20 + 1e-6)},
		{"zero", [][]float32{{0, 0}}, 1, 0, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var orig [][]float32
			for _, g := range tc.grads {
				orig = append(orig, append([]float32(nil), g...))
			}
			ps := grads32(tc.grads...)
			total := ClipGradNorm(ps, tc.maxNorm)
			if math.Abs(total-tc.wantTotal) > 1e-6*tc.wantTotal {
				t.Errorf("total = %v, want %v", total, tc.wantTotal)
			}
			for i, p := range ps {
				for j, g := range p.Grad {
					want := orig[i][j] * float32(tc.wantScale)
					if tc.wantScale == 1 && g != orig[i][j] || g != want {
						t.Errorf("grad[%d][%d] = %v, want %v", i, j, g, want)
					}
				}
			}
			if tc.wantScale < 1 {
				after := GradNorm(ps)
				if after >= tc.maxNorm || math.Abs(after-tc.maxNorm) > 1e-6*tc.maxNorm {
					t.Errorf("norm after clipping = %v, want just under %v", after, tc.maxNorm)
				}
			}
		})
	}
}

func TestClipGradNormNonFinite(t *testing.T) {
	nan := float32(math.NaN())
	ps := grads32([]float32{nan, 1})
	if total := ClipGradNorm(ps, 1); !math.IsNaN(total) {
		t.Errorf("total = %v, want NaN", total)
	}
	if ps[0].Grad[1] != 1 {
		t.Errorf("NaN norm changed the gradients: %v", ps[0].Grad)
	}
	inf := float32(math.Inf(1))
	ps = grads32([]float32{inf, 1})
	if total := ClipGradNorm(ps, 1); !math.IsInf(total, 1) {
		t.Errorf("total = %v, want +Inf", total)
	}
	if ps[0].Grad[1] != 0 || !math.IsNaN(float64(ps[0].Grad[0])) {
		t.Errorf("infinite norm: grads = %v, want [NaN 0] as PyTorch", ps[0].Grad)
	}
}

func TestGradNormFloat64(t *testing.T) {
	ps := []*Param[float64]{{Name: "a", Grad: []float64{1, 2}}, {Name: "b", Grad: []float64{2}}}
	if got := GradNorm(ps); got != 3 {
		t.Errorf("GradNorm = %v, want 3", got)
	}
	if got := GradNorm[float64](nil); got != 0 {
		t.Errorf("GradNorm(nil) = %v", got)
	}
}

func TestAllFinite(t *testing.T) {
	tests := []struct {
		xs   []float32
		want bool
	}{
		{nil, true},
		{[]float32{0, -1, math.MaxFloat32, -math.MaxFloat32, math.SmallestNonzeroFloat32}, true},
		{[]float32{1, float32(math.NaN())}, false},
		{[]float32{float32(math.Inf(1)), 1}, false},
		{[]float32{float32(math.Inf(-1))}, false},
	}
	for _, tc := range tests {
		if got := AllFinite(tc.xs); got != tc.want {
			t.Errorf("AllFinite(%v) = %v, want %v", tc.xs, got, tc.want)
		}
	}
	if AllFinite([]float64{1, math.NaN()}) || !AllFinite([]float64{math.MaxFloat64}) {
		t.Errorf("AllFinite float64 wrong")
	}
}
