package dist

import (
	"fmt"
	"testing"
)

var sink float64

// BenchmarkGammaPInv is the Gamma sampler without its gradient (one inverse
// CDF per op), BenchmarkGammaRsample the sampler with dz/da, and
// BenchmarkLogGammaRsample the log-space form Dirichlet uses. Each op is one
// draw at a uniform from a fixed cycle of 1024.
func benchGamma(b *testing.B, f func(a, u float64) float64) {
	u := uniforms(Key(TagDrNAS, 1234), 1024)
	for _, a := range []float64{1e-3, 0.1, 1, 5, 50, 1000} {
		b.Run(fmt.Sprintf("a=%g", a), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				sink += f(a, u[i&1023])
			}
		})
	}
}

func BenchmarkGammaPInv(b *testing.B) { benchGamma(b, GammaPInv) }

func BenchmarkGammaRsample(b *testing.B) {
	benchGamma(b, func(a, u float64) float64 { z, d := GammaRsample(a, u); return z + d })
}

func BenchmarkLogGammaRsample(b *testing.B) {
	benchGamma(b, func(a, u float64) float64 { y, d := LogGammaRsample(a, u); return y + d })
}

// BenchmarkDirichlet is one DrNAS edge: a draw over 8 ops with gradients
// and its VJP, at concentrations near 1 (DrNAS's start).
func BenchmarkDirichlet(b *testing.B) {
	c := []float64{0.9, 1.1, 1, 0.95, 1.05, 1.2, 0.8, 1}
	u := uniforms(Key(TagDrNAS, 99), 8*64)
	x, dl, g := make([]float64, 8), make([]float64, 8), make([]float64, 8)
	for i := 0; i < b.N; i++ {
		k := (i & 63) * 8
		if err := Dirichlet(c, u[k:k+8], x, dl); err != nil {
			b.Fatal(err)
		}
		if err := DirichletVJP(x, dl, c, g); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkStreamGumbel(b *testing.B) {
	s := NewStream(1)
	for i := 0; i < b.N; i++ {
		sink += s.Gumbel()
	}
}
