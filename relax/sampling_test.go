package relax_test

import (
	"math"
	"slices"
	"testing"

	"github.com/darts-go/darts/internal/dist"
	"github.com/darts-go/darts/internal/rng"
	"github.com/darts-go/darts/mixedop"
	"github.com/darts-go/darts/relax"
	"github.com/darts-go/darts/space"
	"gorgonia.org/tensor"
)

// forward runs block b on α of shape rows × cols and returns a copy of
// its output.
func forward(t *testing.T, b mixedop.Block[float64], alpha []float64, rows, cols int) []float64 {
	t.Helper()
	y, err := b.Forward([][]float64{alpha}, []tensor.Shape{{rows, cols}})
	if err != nil {
		t.Fatal(err)
	}
	return slices.Clone(y)
}

// backward returns dL/dα of the last forward for L = Σ y ⊙ u.
func backward(t *testing.T, b mixedop.Block[float64], u []float64) []float64 {
	t.Helper()
	d := make([]float64, len(u))
	if err := b.Backward(u, [][]float64{d}); err != nil {
		t.Fatal(err)
	}
	return d
}

func dot(a, b []float64) float64 {
	var s float64
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

// fdCheck compares grad, the block's dL/dα at alpha, with central
// differences of L = Σ f(α) ⊙ u at step h, entry by entry.
func fdCheck(t *testing.T, what string, f func(a []float64) []float64, alpha, u, grad []float64, h, tol float64) {
	t.Helper()
	a := slices.Clone(alpha)
	for i := range a {
		a[i] = alpha[i] + h
		lp := dot(f(a), u)
		a[i] = alpha[i] - h
		lm := dot(f(a), u)
		a[i] = alpha[i]
		fd := (lp - lm) / (2 * h)
		if d := math.Abs(fd - grad[i]); d > tol*math.Max(1, math.Abs(fd)) {
			t.Fatalf("%s: dL/dα[%d] = %.10g, finite differences %.10g", what, i, grad[i], fd)
		}
	}
}

// testTensor is a 3 × 5 tensor with values spread over [-2, 2].
func testTensor(seed uint64) (alpha, u []float64) {
	r := rng.New(seed)
	alpha, u = make([]float64, 15), make([]float64, 15)
	for i := range alpha {
		alpha[i] = 4*r.Float64() - 2
		u[i] = r.NormFloat64()
	}
	return alpha, u
}

var tensor35 = space.Tensor{Name: "t", Param: "alpha_t", Cell: "t", Cols: []string{"a", "b", "c", "d", "e"}}

// TestGumbelGradients: SNAS's block is differentiable at fixed noise and
// its backward is the derivative of its forward; GDAS's forward is the
// one-hot of the argmax of that soft sample (same key, same noise) and its
// backward the soft sample's derivative (straight-through).
func TestGumbelGradients(t *testing.T) {
	alpha, u := testTensor(3)
	pass := &relax.Pass{Seed: 5, Epoch: 2, Epochs: 10, Step: 17, Phase: relax.PhaseArch}
	tau := relax.Anneal{Max: 2, Min: 0.4, Span: -1}
	soft := &relax.GumbelBlock[float64]{Label: "soft", Param: "alpha_t", Tag: rng.TagGDAS, Pass: pass, Tau: tau}
	hard := &relax.GumbelBlock[float64]{Label: "hard", Param: "alpha_t", Tag: rng.TagGDAS, Pass: pass, Tau: tau, Hard: true}
	f := func(a []float64) []float64 { return forward(t, soft, a, 3, 5) }
	p := f(alpha)
	fdCheck(t, "soft sample", f, alpha, u, backward(t, soft, u), 1e-6, 1e-7)

	h := forward(t, hard, alpha, 3, 5)
	for r := 0; r < 3; r++ {
		row := p[5*r : 5*r+5]
		best := slices.Index(row, slices.Max(row))
		for k := range row {
			want := 0.0
			if k == best {
				want = 1
			}
			if h[5*r+k] != want {
				t.Fatalf("row %d: hard weights %v, soft sample %v", r, h[5*r:5*r+5], row)
			}
		}
		if hard.Index[r] != best {
			t.Errorf("row %d: Index %d, argmax %d", r, hard.Index[r], best)
		}
	}
	gh := backward(t, hard, u)
	f(alpha) // the finite differences left soft at a perturbed α
	gs := backward(t, soft, u)
	if d := maxAbs(gh, gs); d > 1e-15 {
		t.Errorf("straight-through gradient differs from the soft sample's by %g", d)
	}
}

func maxAbs(a, b []float64) float64 {
	var d float64
	for i := range a {
		d = math.Max(d, math.Abs(a[i]-b[i]))
	}
	return d
}

// TestDirichletGradient: DrNAS's draw at fixed uniforms (one pass) is a
// smooth function of α, and its backward — the pathwise gradient through
// the Gamma inverse CDFs and the normalization — is that function's
// derivative, on both sides of elu's kink.
func TestDirichletGradient(t *testing.T) {
	alpha, u := testTensor(4)
	pass := &relax.Pass{Seed: 1, Epoch: 0, Epochs: 3, Step: 9, Phase: relax.PhaseWeight}
	b := relax.DrNAS[float64]{}.Block(tensor35, pass).(*relax.DirichletBlock[float64])
	f := func(a []float64) []float64 { return forward(t, b, a, 3, 5) }
	x := f(alpha)
	for r := 0; r < 3; r++ {
		var s float64
		for _, v := range x[5*r : 5*r+5] {
			if !(v > 0) {
				t.Fatalf("row %d: draw %v off the open simplex", r, x[5*r:5*r+5])
			}
			s += v
		}
		if math.Abs(s-1) > 1e-12 {
			t.Fatalf("row %d sums to %v", r, s)
		}
	}
	fdCheck(t, "Dirichlet draw", f, alpha, u, backward(t, b, u), 1e-6, 1e-6)
}

// TestKLGradient: the gradient DrNAS's Regularize adds is the derivative of
// the value it returns.
func TestKLGradient(t *testing.T) {
	alpha, _ := testTensor(5)
	reg := relax.DrNAS[float64]{KL: 0.3}
	r := func(a []float64) []float64 {
		term := relax.Term{Tensor: tensor35, Rows: 3, Cols: 5, Value: a, Grad: make([]float64, len(a))}
		return []float64{reg.Regularize([]relax.Term{term}, relax.Pass{})}
	}
	term := relax.Term{Tensor: tensor35, Rows: 3, Cols: 5, Value: alpha, Grad: make([]float64, len(alpha))}
	term.Grad[0] = 0.5 // Regularize adds to what is there
	reg.Regularize([]relax.Term{term}, relax.Pass{})
	term.Grad[0] -= 0.5
	fdCheck(t, "KL", r, alpha, []float64{1}, term.Grad, 1e-6, 1e-7)
	if v := (relax.DrNAS[float64]{}).Regularize([]relax.Term{term}, relax.Pass{}); v != 0 {
		t.Errorf("KL scale 0 gives R = %g", v)
	}
}

// draws runs block b over n passes (steps 0..n-1 of one epoch) on α and
// calls each with the output.
func draws(t *testing.T, b mixedop.Block[float64], pass *relax.Pass, alpha []float64, rows, cols, n int, each func(y []float64)) {
	for i := 0; i < n; i++ {
		pass.Step = i
		each(forward(t, b, alpha, rows, cols))
	}
}

// TestGDASSamplesSoftmax: by the Gumbel-max property the op GDAS selects is
// distributed as softmax(α), whatever τ: the frequencies of 40000 draws
// stay within 5 standard errors of it (a sampler that scaled the noise by
// τ, or reused a draw across steps, would not).
func TestGDASSamplesSoftmax(t *testing.T) {
	alpha, _ := testTensor(6)
	pass := &relax.Pass{Seed: 11, Epochs: 1}
	b := relax.GDAS[float64]{Tau: relax.Constant(3)}.Block(tensor35, pass)
	const n = 40000
	counts := make([]float64, 15)
	draws(t, b, pass, alpha, 3, 5, n, func(y []float64) {
		for i, v := range y {
			counts[i] += v
		}
	})
	want := relax.SoftmaxRows([][]float64{alpha[0:5], alpha[5:10], alpha[10:15]})
	for r := 0; r < 3; r++ {
		for k := 0; k < 5; k++ {
			p := want[r][k]
			got := counts[5*r+k] / n
			if se := math.Sqrt(p * (1 - p) / n); math.Abs(got-p) > 5*se {
				t.Errorf("row %d op %d selected %.4f of the time, softmax(α) %.4f (±%.4f)", r, k, got, p, se)
			}
		}
	}
}

// TestSNASNoise: from SNAS's soft sample Z = softmax((α+g)/τ) the noise
// differences are recovered as g_i − g_j = τ·log(Z_i/Z_j) − (α_i − α_j);
// for independent Gumbel(0, 1) noise they are Logistic(0, 1): mean 0,
// variance π²/3, and uncorrelated across rows and across steps.
func TestSNASNoise(t *testing.T) {
	alpha, _ := testTensor(7)
	pass := &relax.Pass{Seed: 3, Epoch: 4, Epochs: 8}
	tau := relax.Anneal{Max: 1, Min: 0.03, Span: 150, Offset: 1}
	b := relax.SNAS[float64]{Tau: tau}.Block(tensor35, pass)
	tauNow := tau.At(pass.Epoch, pass.Epochs)
	const n = 40000
	var sum, sq, cross, lagged, prev float64
	draws(t, b, pass, alpha, 3, 5, n, func(z []float64) {
		d := func(r, i, j int) float64 {
			return tauNow*math.Log(z[5*r+i]/z[5*r+j]) - (alpha[5*r+i] - alpha[5*r+j])
		}
		d0, d1 := d(0, 1, 3), d(2, 4, 0)
		sum += d0
		sq += d0 * d0
		cross += d0 * d1
		lagged += d0 * prev
		prev = d0
	})
	mean, vr := sum/n, sq/n-(sum/n)*(sum/n)
	v := math.Pi * math.Pi / 3
	// Var of the sample variance of a logistic: σ⁴(κ−1)/n, kurtosis κ = 4.2.
	if se := math.Sqrt(v / n); math.Abs(mean) > 5*se {
		t.Errorf("mean noise difference %.4f, want 0 (±%.4f)", mean, se)
	}
	if se := v * math.Sqrt(3.2/n); math.Abs(vr-v) > 5*se {
		t.Errorf("variance of noise differences %.4f, want π²/3 = %.4f (±%.4f)", vr, v, se)
	}
	for what, c := range map[string]float64{"rows": cross / n, "steps": lagged / n} {
		if se := v / math.Sqrt(n); math.Abs(c) > 5*se {
			t.Errorf("noise correlated across %s: E[d·d'] = %.4f (±%.4f)", what, c, se)
		}
	}
}

// concentrations are test rows of concentrations, and the α giving them.
func concentrations() (c, alpha []float64) {
	c = []float64{0.3, 1, 2.5, 0.7, 4}
	alpha = make([]float64, len(c))
	for i, ci := range c {
		if ci > 1 {
			alpha[i] = ci - 1
		} else {
			alpha[i] = math.Log(ci)
		}
	}
	return c, alpha
}

// TestDirichletMoments: 30000 DrNAS draws have the Dirichlet's mean
// c_i/c₀, variance c_i(c₀−c_i)/(c₀²(c₀+1)) and covariance
// −c_i c_j/(c₀²(c₀+1)), within 5 standard errors estimated from the draws.
func TestDirichletMoments(t *testing.T) {
	c, alpha := concentrations()
	k := len(c)
	var c0 float64
	for _, v := range c {
		c0 += v
	}
	pass := &relax.Pass{Seed: 8, Epochs: 1}
	b := relax.DrNAS[float64]{}.Block(space.Tensor{Param: "alpha_m"}, pass)
	const n = 30000
	xs := make([][]float64, 0, n)
	draws(t, b, pass, alpha, 1, k, n, func(x []float64) { xs = append(xs, x) })
	mean := func(f func(x []float64) float64) (m, se float64) {
		var s, s2 float64
		for _, x := range xs {
			v := f(x)
			s += v
			s2 += v * v
		}
		m = s / n
		return m, math.Sqrt((s2/n - m*m) / n)
	}
	for i := 0; i < k; i++ {
		mi := c[i] / c0
		if m, se := mean(func(x []float64) float64 { return x[i] }); math.Abs(m-mi) > 5*se {
			t.Errorf("E[θ%d] = %.5f, want %.5f (±%.5f)", i, m, mi, se)
		}
		for j := i; j < k; j++ {
			mj := c[j] / c0
			want := -c[i] * c[j] / (c0 * c0 * (c0 + 1))
			if i == j {
				want = c[i] * (c0 - c[i]) / (c0 * c0 * (c0 + 1))
			}
			if m, se := mean(func(x []float64) float64 { return (x[i] - mi) * (x[j] - mj) }); math.Abs(m-want) > 5*se {
				t.Errorf("Cov(θ%d, θ%d) = %.6f, want %.6f (±%.6f)", i, j, m, want, se)
			}
		}
	}
}

// TestDirichletPathwiseMean: the pathwise gradient is unbiased: averaged
// over 20000 draws, dθ_i/dc_j (the backward of e_i, divided by dc_j/dα_j)
// is the derivative of the mean, (δ_ij c₀ − c_i)/c₀².
func TestDirichletPathwiseMean(t *testing.T) {
	c, alpha := concentrations()
	k := len(c)
	var c0 float64
	for _, v := range c {
		c0 += v
	}
	pass := &relax.Pass{Seed: 9, Epochs: 1}
	b := relax.DrNAS[float64]{}.Block(space.Tensor{Param: "alpha_m"}, pass)
	const n = 20000
	for _, i := range []int{0, 2, 4} {
		e := make([]float64, k)
		e[i] = 1
		sum, sq := make([]float64, k), make([]float64, k)
		draws(t, b, pass, alpha, 1, k, n, func([]float64) {
			g := backward(t, b, e)
			for j := range g {
				v := g[j] / dist.ConcentrationDeriv(alpha[j])
				sum[j] += v
				sq[j] += v * v
			}
		})
		for j := 0; j < k; j++ {
			want := -c[i] / (c0 * c0)
			if i == j {
				want += 1 / c0
			}
			m := sum[j] / n
			se := math.Sqrt((sq[j]/n - m*m) / n)
			if math.Abs(m-want) > 5*se+1e-12 {
				t.Errorf("E[dθ%d/dc%d] = %.5f, want %.5f (±%.5f)", i, j, m, want, se)
			}
		}
	}
}

// TestDrawsAreKeyed: a draw is a function of the pass and the tensor: the
// same pass redraws the same weights (what makes a resumed search exact),
// and changing any part of the key — seed, epoch, step, phase, sub-pass,
// tensor — draws others.
func TestDrawsAreKeyed(t *testing.T) {
	alpha, _ := testTensor(10)
	base := relax.Pass{Seed: 1, Epoch: 2, Epochs: 5, Step: 3, Phase: relax.PhaseArch, Sub: 0}
	for _, r := range []struct {
		name string
		make func(tt space.Tensor, p *relax.Pass) mixedop.Block[float64]
	}{
		{"gdas", func(tt space.Tensor, p *relax.Pass) mixedop.Block[float64] {
			return relax.GDAS[float64]{Tau: relax.Constant(50)}.Block(tt, p) // hot: rows rarely keep their op
		}},
		{"snas", func(tt space.Tensor, p *relax.Pass) mixedop.Block[float64] {
			return relax.SNAS[float64]{Tau: relax.Constant(1)}.Block(tt, p)
		}},
		{"drnas", func(tt space.Tensor, p *relax.Pass) mixedop.Block[float64] {
			return relax.DrNAS[float64]{}.Block(tt, p)
		}},
	} {
		p := base
		ref := forward(t, r.make(tensor35, &p), alpha, 3, 5)
		if again := forward(t, r.make(tensor35, &p), alpha, 3, 5); !slices.Equal(again, ref) {
			t.Errorf("%s: the same pass drew other weights", r.name)
		}
		other := tensor35
		other.Param = "alpha_u"
		for what, change := range map[string]func(p *relax.Pass, tt *space.Tensor){
			"seed":   func(p *relax.Pass, _ *space.Tensor) { p.Seed++ },
			"epoch":  func(p *relax.Pass, _ *space.Tensor) { p.Epoch++ },
			"step":   func(p *relax.Pass, _ *space.Tensor) { p.Step++ },
			"phase":  func(p *relax.Pass, _ *space.Tensor) { p.Phase = relax.PhaseWeight },
			"sub":    func(p *relax.Pass, _ *space.Tensor) { p.Sub = 1 },
			"tensor": func(_ *relax.Pass, tt *space.Tensor) { *tt = other },
		} {
			differs := false
			// A GDAS row may keep its op by chance: several tries.
			for try := 0; try < 4 && !differs; try++ {
				p := base
				tt := tensor35
				change(&p, &tt)
				p.Step += 100 * try
				q := base
				q.Step += 100 * try
				ref := forward(t, r.make(tensor35, &q), alpha, 3, 5)
				differs = !slices.Equal(forward(t, r.make(tt, &p), alpha, 3, 5), ref)
			}
			if !differs {
				t.Errorf("%s: changing the %s did not change the draw", r.name, what)
			}
		}
	}
}

// TestAnneal holds the schedules to the reference codes' formulas.
func TestAnneal(t *testing.T) {
	gdas := relax.Anneal{Max: 10, Min: 0.1, Span: -1}
	snas := relax.Anneal{Max: 1, Min: 0.03, Span: 150, Offset: 1}
	drnasSNAS := relax.Anneal{Max: 10, Min: 1}
	for _, c := range []struct {
		what          string
		a             relax.Anneal
		epoch, epochs int
		want          float64
	}{
		// GDAS.py: tau_max − (tau_max − tau_min)·epoch/(total_epoch − 1)
		{"gdas first", gdas, 0, 250, 10},
		{"gdas mid", gdas, 124, 250, 10 - 9.9*124/249},
		{"gdas last", gdas, 249, 250, 0.1},
		{"gdas one epoch", gdas, 0, 1, 10},
		// Temp_Scheduler: (1 − (e+1)/150)·(1 − 0.03) + 0.03, not below 0.03
		{"snas first", snas, 0, 6, (1-1.0/150)*0.97 + 0.03},
		{"snas 100", snas, 99, 150, (1-100.0/150)*0.97 + 0.03},
		{"snas last", snas, 149, 150, 0.03},
		{"snas past", snas, 200, 300, 0.03},
		// DrNAS train_search.py: τ starts at 10 and adds (1 − 10)/E after each epoch
		{"drnas-snas first", drnasSNAS, 0, 100, 10},
		{"drnas-snas last", drnasSNAS, 99, 100, 10 - 9*99.0/100},
	} {
		if got := c.a.At(c.epoch, c.epochs); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("%s: τ(%d of %d) = %.15g, want %.15g", c.what, c.epoch, c.epochs, got, c.want)
		}
	}
	for _, a := range []relax.Anneal{{Max: 0, Min: 1}, {Max: 1, Min: -1}, {Max: math.Inf(1), Min: 1}, {Max: math.NaN(), Min: 1}} {
		if a.Validate() == nil {
			t.Errorf("Validate(%+v) accepted it", a)
		}
	}
}
