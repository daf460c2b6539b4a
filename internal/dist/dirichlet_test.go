package dist

import (
	"fmt"
	"math"
	"testing"
)

func uniforms(key uint64, n int) []float64 {
	s := NewStream(key)
	u := make([]float64, n)
	for i := range u {
		u[i] = s.Uniform()
	}
	return u
}

// dirichletLoss is L = Σᵢ wᵢ xᵢ(c, u) at fixed u.
func dirichletLoss(t *testing.T, c, u, w []float64) float64 {
	t.Helper()
	x := make([]float64, len(c))
	if err := Dirichlet(c, u, x, nil); err != nil {
		t.Fatal(err)
	}
	var l float64
	for i := range x {
		l += w[i] * x[i]
	}
	return l
}

// TestDirichletVJPFiniteDifference holds DirichletVJP's dL/dc to central
// differences of L = Σ wᵢxᵢ in each cᵢ at fixed uniforms (h = 1e-6·cᵢ),
// for concentrations from 1e-3 to 300, including a row with every c
// small enough that all zᵢ underflow.
func TestDirichletVJPFiniteDifference(t *testing.T) {
	var w worst
	checked, skipped := 0, 0
	rows := [][]float64{
		{1, 1, 1, 1, 1, 1, 1},
		{0.37, 1.9, 0.05, 4.2, 1.0001},
		{0.002, 0.5, 3, 0.04},
		{30, 80, 300},
		{1e-3, 2e-3, 1.5e-3}, // z = e^(−hundreds): only the logs survive
	}
	for r, c := range rows {
		for trial := 0; trial < 4; trial++ {
			u := uniforms(Key(TagDrNAS, 11, uint64(r), uint64(trial)), len(c))
			wt := uniforms(Key(TagDrNAS, 12, uint64(r), uint64(trial)), len(c))
			for i := range wt {
				wt[i] = 2*wt[i] - 1
			}
			x := make([]float64, len(c))
			dl := make([]float64, len(c))
			if err := Dirichlet(c, u, x, dl); err != nil {
				t.Fatal(err)
			}
			gc := make([]float64, len(c))
			if err := DirichletVJP(x, dl, wt, gc); err != nil {
				t.Fatal(err)
			}
			var sum float64
			for _, xi := range x {
				sum += xi
			}
			if math.Abs(sum-1) > 1e-14 {
				t.Errorf("row %d: Σx = %v", r, sum)
			}
			for j := range c {
				h := 1e-6 * c[j]
				cp := append([]float64(nil), c...)
				cm := append([]float64(nil), c...)
				cp[j] += h
				cm[j] -= h
				lp, lm := dirichletLoss(t, cp, u, wt), dirichletLoss(t, cm, u, wt)
				if math.Abs(lp-lm) < 1e-8 {
					skipped++ // ill conditioned: L barely moves
					continue
				}
				checked++
				w.add(relErr(gc[j], (lp-lm)/(2*h)), fmt.Sprintf("row %d trial %d c[%d]=%g", r, trial, j, c[j]))
			}
		}
	}
	t.Logf("%d partial derivatives checked, %d skipped (L moved by < 1e-8)", checked, skipped)
	if checked < 60 {
		t.Errorf("only %d partial derivatives were well conditioned enough to check", checked)
	}
	w.check(t, "dL/dc vs finite differences", 1e-6)
}

// dirichletDraws returns n draws of Dirichlet(c), row i at [i*K:(i+1)*K].
func dirichletDraws(t *testing.T, c []float64, n int, key uint64, draw func(c, u, x []float64) error) []float64 {
	t.Helper()
	k := len(c)
	xs := make([]float64, n*k)
	s := NewStream(key)
	u := make([]float64, k)
	for i := 0; i < n; i++ {
		for j := range u {
			u[j] = s.Uniform()
		}
		if err := draw(c, u, xs[i*k:(i+1)*k]); err != nil {
			t.Fatal(err)
		}
	}
	return xs
}

func dirichletDraw(c, u, x []float64) error { return Dirichlet(c, u, x, nil) }

// checkDirichletMoments returns an error if the draws' component means,
// variances or covariance of components 0 and 1 are more than zTol standard
// errors from Dirichlet(c)'s: mean cᵢ/c₀, variance cᵢ(c₀−cᵢ)/(c₀²(c₀+1)),
// covariance −c₀'c₁'/(c₀²(c₀+1)) (c₀ = Σc). The standard errors are
// estimated from the sample.
func checkDirichletMoments(xs, c []float64) error {
	k := len(c)
	n := len(xs) / k
	var c0 float64
	for _, ci := range c {
		c0 += ci
	}
	den := c0 * c0 * (c0 + 1)
	comp := func(j int) []float64 {
		v := make([]float64, n)
		for i := range v {
			v[i] = xs[i*k+j]
		}
		return v
	}
	for j := 0; j < k; j++ {
		m, v, seM, seV := meanVar(comp(j))
		if d := math.Abs(m - c[j]/c0); !(d <= zTol*seM) {
			return fmt.Errorf("component %d: mean %.6g, want %.6g (%.1f standard errors)", j, m, c[j]/c0, d/seM)
		}
		if want := c[j] * (c0 - c[j]) / den; !(math.Abs(v-want) <= zTol*seV) {
			return fmt.Errorf("component %d: variance %.6g, want %.6g (%.1f standard errors)", j, v, want, math.Abs(v-want)/seV)
		}
	}
	x0, x1 := comp(0), comp(1)
	m0, _, _, _ := meanVar(x0)
	m1, _, _, _ := meanVar(x1)
	prod := make([]float64, n)
	for i := range prod {
		prod[i] = (x0[i] - m0) * (x1[i] - m1)
	}
	cov, _, seC, _ := meanVar(prod)
	if want := -c[0] * c[1] / den; !(math.Abs(cov-want) <= zTol*seC) {
		return fmt.Errorf("cov(x0, x1) %.6g, want %.6g (%.1f standard errors)", cov, want, math.Abs(cov-want)/seC)
	}
	return nil
}

// TestDirichletMoments checks 20000 draws per concentration against the
// Dirichlet moments, and that the same check rejects a sampler with every
// concentration off by one and one that normalises wrongly.
func TestDirichletMoments(t *testing.T) {
	const n = 20000
	cases := [][]float64{
		{1, 1, 1, 1},
		{0.4, 2.5, 1, 0.05},
		{6, 3, 12},
		// Tiny concentrations: draws sit near the vertices and every zᵢ
		// underflows; the means must still be cᵢ/c₀.
		{1e-3, 2e-3, 3e-3},
	}
	for i, c := range cases {
		xs := dirichletDraws(t, c, n, Key(TagDrNAS, 21, uint64(i)), dirichletDraw)
		if err := checkDirichletMoments(xs, c); err != nil {
			t.Errorf("Dirichlet(%v): %v", c, err)
		}
		m := make([]float64, len(c))
		if err := DirichletMean(c, m); err != nil {
			t.Fatal(err)
		}
		for j := range m {
			if want := c[j] / (c[0] + c[1] + c[2] + sumFrom(c, 3)); relErr(m[j], want) > 1e-15 {
				t.Errorf("DirichletMean(%v)[%d] = %v, want %v", c, j, m[j], want)
			}
		}
	}
	t.Run("negative_control", func(t *testing.T) {
		for i, c := range cases[:3] {
			offByOne := func(c, u, x []float64) error {
				c1 := make([]float64, len(c))
				for j := range c {
					c1[j] = c[j] + 1
				}
				return Dirichlet(c1, u, x, nil)
			}
			xs := dirichletDraws(t, c, n, Key(TagDrNAS, 22, uint64(i)), offByOne)
			if checkDirichletMoments(xs, c) == nil {
				t.Errorf("Dirichlet(%v): draws with c+1 were accepted", c)
			}
			// Normalising by the sum of the first K−1 Gammas only.
			badNorm := func(c, u, x []float64) error {
				var s float64
				for j := range c {
					x[j], _ = GammaRsample(c[j], u[j])
					if j < len(c)-1 {
						s += x[j]
					}
				}
				for j := range x {
					x[j] /= s
				}
				return nil
			}
			xs = dirichletDraws(t, c, n, Key(TagDrNAS, 23, uint64(i)), badNorm)
			if checkDirichletMoments(xs, c) == nil {
				t.Errorf("Dirichlet(%v): wrongly normalised draws were accepted", c)
			}
		}
	})
}

func sumFrom(c []float64, i int) float64 {
	var s float64
	for ; i < len(c); i++ {
		s += c[i]
	}
	return s
}

func TestDirichletErrors(t *testing.T) {
	x := make([]float64, 3)
	for _, c := range []struct {
		name string
		c, u []float64
		x    []float64
	}{
		{"empty", nil, nil, nil},
		{"lengths", []float64{1, 1, 1}, []float64{0.5, 0.5}, x},
		{"c zero", []float64{1, 0, 1}, []float64{0.5, 0.5, 0.5}, x},
		{"c NaN", []float64{1, math.NaN(), 1}, []float64{0.5, 0.5, 0.5}, x},
		{"c Inf", []float64{1, math.Inf(1), 1}, []float64{0.5, 0.5, 0.5}, x},
		{"u zero", []float64{1, 1, 1}, []float64{0.5, 0, 0.5}, x},
		{"u one", []float64{1, 1, 1}, []float64{0.5, 1, 0.5}, x},
	} {
		if err := Dirichlet(c.c, c.u, c.x, nil); err == nil {
			t.Errorf("%s: no error", c.name)
		}
	}
	if err := Dirichlet([]float64{1, 1}, []float64{0.5, 0.5}, make([]float64, 2), make([]float64, 1)); err == nil {
		t.Error("short dlogz: no error")
	}
	if err := DirichletVJP(make([]float64, 2), make([]float64, 2), make([]float64, 2), make([]float64, 3)); err == nil {
		t.Error("DirichletVJP lengths: no error")
	}
	if err := DirichletMean([]float64{1, -1}, make([]float64, 2)); err == nil {
		t.Error("DirichletMean negative c: no error")
	}
}
