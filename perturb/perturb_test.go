package perturb

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/darts-go/darts/bilevel"
	"github.com/darts-go/darts/datasets"
	"github.com/darts-go/darts/internal/kern"
	"github.com/darts-go/darts/mixedop"
	"github.com/darts-go/darts/relax"
	"github.com/darts-go/darts/space"
	"github.com/darts-go/darts/supernet"
	"gorgonia.org/tensor"
)

// TestUniformMoments holds the random smoothing's draws to U[−ε, ε] by
// their moments over 200 keys of 196 draws: mean 0, E[δ²] = ε²/3,
// E[δ⁴] = ε⁴/5, each within four standard errors, every draw inside the
// interval and the extremes near its ends; draws of neighbouring keys are
// uncorrelated, and the same key gives the same draws.
func TestUniformMoments(t *testing.T) {
	const eps, n = 0.3, 196
	var xs []float64
	for k := 0; k < 200; k++ {
		xs = append(xs, Uniform(2, k/20, k%20, k%2, eps, n)...)
	}
	N := float64(len(xs))
	var m1, m2, m4, lo, hi float64
	for _, x := range xs {
		if x < -eps || x > eps {
			t.Fatalf("draw %g outside [−%g, %g]", x, eps, eps)
		}
		m1 += x
		m2 += x * x
		m4 += x * x * x * x
		lo, hi = math.Min(lo, x), math.Max(hi, x)
	}
	m1, m2, m4 = m1/N, m2/N, m4/N
	e2, e4 := eps*eps/3, math.Pow(eps, 4)/5
	se1 := math.Sqrt(e2 / N)
	se2 := math.Sqrt((e4 - e2*e2) / N)
	se4 := math.Sqrt((math.Pow(eps, 8)/9 - e4*e4) / N)
	if math.Abs(m1) > 4*se1 || math.Abs(m2-e2) > 4*se2 || math.Abs(m4-e4) > 4*se4 {
		t.Errorf("moments (%.5g, %.5g, %.5g), want (0, %.5g, %.5g) within 4 standard errors (%.2g, %.2g, %.2g)", m1, m2, m4, e2, e4, se1, se2, se4)
	}
	if lo > -0.999*eps || hi < 0.999*eps {
		t.Errorf("extremes %g, %g: want within 0.1%% of ±%g", lo, hi, eps)
	}
	a, b := Uniform(2, 3, 4, 0, eps, n), Uniform(2, 3, 5, 0, eps, n)
	var cov float64
	for i := range a {
		cov += a[i] * b[i]
	}
	if r := cov / float64(n) / e2; math.Abs(r) > 4/math.Sqrt(n) {
		t.Errorf("correlation %.3f between the draws of steps 4 and 5", r)
	}
	again := Uniform(2, 3, 4, 0, eps, n)
	for i := range a {
		if a[i] != again[i] {
			t.Fatal("the same key gave other draws")
		}
	}
}

// TestClipRows holds SDARTS's clip to hand-computed rows.
func TestClipRows(t *testing.T) {
	for _, c := range []struct{ in, want []float64 }{
		{[]float64{0.2, 0.3, 0.5}, []float64{0.2, 0.3, 0.5}},
		{[]float64{-0.1, 0.3, 0.5}, []float64{0, 0.375, 0.625}},
		{[]float64{1.5, 0.5, -2}, []float64{2.0 / 3, 1.0 / 3, 0}},
		{[]float64{-0.3, -0.1, -0.2}, []float64{0, 1, 0}},
		{[]float64{-0.1, -0.1, -0.5}, []float64{1, 0, 0}}, // first argmax on a tie
		{[]float64{0.25, 0.25, 0.25}, []float64{1.0 / 3, 1.0 / 3, 1.0 / 3}},
	} {
		w := append([]float64(nil), c.in...)
		ClipRows(w, 3)
		for j := range w {
			if math.Abs(w[j]-c.want[j]) > 1e-15 {
				t.Errorf("clip(%v) = %v, want %v", c.in, w, c.want)
				break
			}
		}
	}
	w := []float64{-1, 2, 0.5, 0.5}
	ClipRows(w, 2)
	if w[0] != 0 || w[1] != 1 || w[2] != 0.5 || w[3] != 0.5 {
		t.Errorf("two rows: %v", w)
	}
}

func TestNewChecks(t *testing.T) {
	for _, c := range []struct {
		mode       string
		eps, epsLo float64
		steps      int
		ok         bool
	}{
		{Random, 0.3, 0.03, 0, true}, {Adversarial, 0.3, 0.03, 7, true}, {Adversarial, 0.3, 0.03, 0, false},
		{"gauss", 0.3, 0.03, 7, false}, {Random, 0.02, 0.03, 0, false}, {Random, math.NaN(), 0, 0, false}, {Random, 0.3, -1, 0, false},
	} {
		_, err := New[float32](c.mode, c.eps, c.epsLo, c.steps)
		if (err == nil) != c.ok {
			t.Errorf("New(%q, %g, %g, %d): %v", c.mode, c.eps, c.epsLo, c.steps, err)
		}
	}
	r, _ := New[float32](Random, 0.3, 0.03, 0)
	for _, c := range []struct {
		e, n int
		want float64
	}{{0, 50, 0.03}, {25, 50, 0.165}, {49, 50, 0.03 + 0.27*49/50}} {
		if got := r.EpsilonAt(c.e, c.n); math.Abs(got-c.want) > 1e-15 {
			t.Errorf("ε at epoch %d of %d = %g, want %g", c.e, c.n, got, c.want)
		}
	}
}

// TestBlock: the block is softmax(α) outside the weight phase, with
// softmax's gradient, and the perturbed weights in it, passing the
// gradient to α unchanged.
func TestBlock(t *testing.T) {
	r, _ := New[float64](Random, 0.3, 0.03, 0)
	pass := &relax.Pass{Phase: relax.PhaseArch}
	tn := space.Tensor{Name: "normal", Param: "alphas_normal"}
	b := r.Block(tn, pass)
	alpha := []float64{0.1, -0.3, 0.7, 0.2, 0.2, -1}
	shape := []tensor.Shape{{2, 3}}
	if _, err := b.OutShape(shape); err != nil {
		t.Fatal(err)
	}
	dy := []float64{0.5, -1, 2, 0.3, 0.1, -0.7}
	y, _ := b.Forward([][]float64{alpha}, shape)
	for row := 0; row < 2; row++ {
		want := make([]float64, 3)
		kern.Softmax(alpha[3*row:3*row+3], want)
		for j := range want {
			if math.Abs(y[3*row+j]-want[j]) > 1e-15 {
				t.Fatalf("arch phase: %v, want softmax", y)
			}
		}
	}
	dx := make([]float64, 6)
	b.Backward(dy, [][]float64{dx})
	var sb relax.SoftmaxBlock[float64]
	sb.Forward([][]float64{alpha}, shape)
	want := make([]float64, 6)
	sb.Backward(dy, [][]float64{want})
	for i := range dx {
		if dx[i] != want[i] {
			t.Fatalf("arch phase gradient %v, softmax's %v", dx, want)
		}
	}
	r.st.w["normal"] = []float64{0.2, 0.3, 0.5, 1, 0, 0}
	pass.Phase = relax.PhaseWeight
	y, _ = b.Forward([][]float64{alpha}, shape)
	dx = make([]float64, 6)
	b.Backward(dy, [][]float64{dx})
	for i := range y {
		if y[i] != r.st.w["normal"][i] || dx[i] != dy[i] {
			t.Fatalf("weight phase: output %v, gradient %v; want the perturbed weights and dy", y, dx)
		}
	}
	pass.Phase = relax.PhaseEval
	if y, _ = b.Forward([][]float64{alpha}, shape); y[3] == 1 {
		t.Fatal("eval phase saw the perturbed weights")
	}
}

func tinySearch[T Float](t *testing.T, rel relax.Relaxation[T], epochs int) *bilevel.Search[T] {
	t.Helper()
	d, err := datasets.Load(datasets.Options{Name: "synthetic", Shape: [3]int{1, 8, 8}, Classes: 3, Limit: 128, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	cfg := supernet.Config{InputC: 1, InputH: 8, InputW: 8, Classes: 3, C: 4, Layers: 3,
		Primitives: []string{"none", "max_pool_3x3", "skip_connect", "sep_conv_3x3"}}
	net, err := supernet.NewNetwork[T](cfg, 7)
	if err != nil {
		t.Fatal(err)
	}
	st := bilevel.DefaultSettings()
	st.Epochs, st.BatchSize, st.Seed, st.ArchLR = epochs, 16, 7, 3e-2
	s, err := bilevel.NewSearch(net, d, st, bilevel.Method[T]{Name: "test", Relax: rel})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestRandomSmoothingWiring: every weight step trains under
// clip(softmax(α) + U[−ε_e, ε_e]) of the α it sees (the draws of its
// epoch and step), and with ε = 0 the search is DARTS's up to rounding
// (float64).
func TestRandomSmoothingWiring(t *testing.T) {
	r, _ := New[float32](Random, 0.3, 0.03, 0)
	s := tinySearch[float32](t, r, 2)
	for !s.Done() {
		_, err := s.RunEpoch(context.Background(), func(bilevel.StepInfo) {
			last := r.Last()
			if want := r.EpsilonAt(s.Epoch, 2); last.Epoch != s.Epoch || last.Step != s.Step-1 || last.Epsilon != want {
				t.Fatalf("perturbed at epoch %d step %d with ε %g; the search is at epoch %d step %d, ε %g", last.Epoch, last.Step, last.Epsilon, s.Epoch, s.Step-1, want)
			}
			for i, a := range s.Net.Arch() {
				got := r.Perturbed(a.Tensor.Name, a.Cols)
				d := Uniform(7, s.Epoch, s.Step-1, i, last.Epsilon, a.Rows*a.Cols)
				for row := 0; row < a.Rows; row++ {
					al := make([]float64, a.Cols)
					for j := range al {
						al[j] = float64(a.Param.Value[row*a.Cols+j])
					}
					p := make([]float64, a.Cols)
					kern.Softmax(al, p)
					var sum float64
					for j := range p {
						p[j] += d[row*a.Cols+j]
					}
					ClipRows(p, a.Cols)
					for j := range p {
						sum += got[row][j]
						if math.Abs(got[row][j]-p[j]) > 1e-12 || got[row][j] < 0 {
							t.Fatalf("%s row %d: perturbed %v, want clip(softmax(α) + δ) = %v", a.Tensor.Name, row, got[row], p)
						}
					}
					if math.Abs(sum-1) > 1e-12 {
						t.Fatalf("%s row %d sums to %g", a.Tensor.Name, row, sum)
					}
				}
			}
		})
		if err != nil {
			t.Fatal(err)
		}
	}

	zero, _ := New[float64](Random, 0, 0, 0)
	a := tinySearch[float64](t, zero, 1)
	b := tinySearch[float64](t, relax.Softmax[float64]{}, 1)
	for _, s := range []*bilevel.Search[float64]{a, b} {
		if _, err := s.RunEpoch(context.Background(), nil); err != nil {
			t.Fatal(err)
		}
	}
	for i, p := range a.Net.Weights() {
		q := b.Net.Weights()[i]
		for j := range p.Value {
			if math.Abs(p.Value[j]-q.Value[j]) > 1e-9*math.Max(1, math.Abs(q.Value[j])) {
				t.Fatalf("ε = 0: weight %s[%d] = %.15g, DARTS %.15g", p.Name, j, p.Value[j], q.Value[j])
			}
		}
	}
}

// probe wraps SDARTS-ADV and, before each of its attacks, measures the
// eval-mode training loss at the random-smoothing perturbation of the same
// step, so that the two can be compared on the same batch and state.
type probe struct {
	*SDARTS[float64]
	rsGain, advGain []float64
	steps, reverted int
}

func (p *probe) PerturbWeights(c *bilevel.StepContext[float64]) error {
	arch := c.Net.Arch()
	eps := p.EpsilonAt(c.Epoch, c.Settings.Epochs)
	base := make([][]float64, len(arch))
	rs := make([][]float64, len(arch))
	for i, a := range arch {
		base[i] = make([]float64, len(a.Param.Value))
		for r := 0; r < a.Rows; r++ {
			kern.Softmax(a.Param.Value[r*a.Cols:(r+1)*a.Cols], base[i][r*a.Cols:(r+1)*a.Cols])
		}
		rs[i] = append([]float64(nil), base[i]...)
		d := Uniform(c.Settings.Seed+99, c.Epoch, c.Step, i, eps, len(rs[i]))
		for j := range rs[i] {
			rs[i][j] += d[j]
		}
		ClipRows(rs[i], a.Cols)
	}
	p.set(arch, base)
	l0, err := c.Eval(c.Train, 1, "p")
	if err != nil {
		return err
	}
	p.set(arch, rs)
	lrs, err := c.Eval(c.Train, 1, "rs")
	if err != nil {
		return err
	}
	if err := p.SDARTS.PerturbWeights(c); err != nil {
		return err
	}
	last := p.Last()
	if last.LossBefore != l0.Loss {
		return &mismatch{last.LossBefore, l0.Loss}
	}
	p.steps++
	if last.Reverted {
		p.reverted++
	}
	p.rsGain = append(p.rsGain, lrs.Loss-l0.Loss)
	p.advGain = append(p.advGain, last.LossAfter-last.LossBefore)
	return nil
}

type mismatch struct{ a, b float64 }

func (m *mismatch) Error() string { return "attack's loss before differs from the probe's" }

// TestAdversarialRaisesTheLoss: SDARTS-ADV's attack raises the eval-mode
// training loss of the weight step's batch (keeping p when it would not),
// by more than random smoothing with the same ε does, on the same batch
// and state; the attack leaves BatchNorm's running statistics and the
// weights alone.
func TestAdversarialRaisesTheLoss(t *testing.T) {
	adv, _ := New[float64](Adversarial, 0.3, 0.3, 7)
	p := &probe{SDARTS: adv}
	s := tinySearch[float64](t, p, 2)
	for !s.Done() {
		if _, err := s.RunEpoch(context.Background(), func(bilevel.StepInfo) {
			last := p.Last()
			if last.Reverted != (last.LossAfter < last.LossBefore) {
				t.Errorf("step %d: losses %g → %g, reverted %v", s.Step, last.LossBefore, last.LossAfter, last.Reverted)
			}
		}); err != nil {
			t.Fatal(err)
		}
	}
	var rs, av float64
	for i := range p.rsGain {
		rs += p.rsGain[i]
		av += p.advGain[i]
	}
	rs, av = rs/float64(p.steps), av/float64(p.steps)
	t.Logf("%d steps, %d reverted; mean loss increase: attack %.4g, random %.4g", p.steps, p.reverted, av, rs)
	if p.steps != 2*s.StepsPerEpoch() || p.reverted > p.steps/4 || !(av > 0) || !(av > 2*rs) {
		t.Errorf("%d steps, %d reverted; mean loss increase: attack %.4g, random %.4g: want a clear increase, above random smoothing's", p.steps, p.reverted, av, rs)
	}
}

// TestAttackLeavesStateAlone: an attack (its 9 passes) changes neither
// the weights nor BatchNorm's running statistics; only the weight step
// that follows does.
func TestAttackLeavesStateAlone(t *testing.T) {
	adv, _ := New[float64](Adversarial, 0.3, 0.03, 3)
	s := tinySearch[float64](t, adv, 1)
	w := &watch{SDARTS: adv, net: s.Net}
	s.Method.Relax, s.Net.Relax = w, w
	if _, err := s.RunEpoch(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if w.calls == 0 || w.changed != "" {
		t.Errorf("%d attacks; changed: %q", w.calls, w.changed)
	}
}

type watch struct {
	*SDARTS[float64]
	net     *supernet.Network[float64]
	calls   int
	changed string
}

func (w *watch) PerturbWeights(c *bilevel.StepContext[float64]) error {
	before := func(ps []*mixedop.Param[float64]) [][]float64 {
		out := make([][]float64, len(ps))
		for i, p := range ps {
			out[i] = append([]float64(nil), p.Value...)
		}
		return out
	}
	ws, bn := before(w.net.Weights()), before(w.net.State())
	if err := w.SDARTS.PerturbWeights(c); err != nil {
		return err
	}
	w.calls++
	for _, g := range []struct {
		name string
		ps   []*mixedop.Param[float64]
		was  [][]float64
	}{{"weights", w.net.Weights(), ws}, {"BatchNorm statistics", w.net.State(), bn}} {
		for i, p := range g.ps {
			for j := range p.Value {
				if p.Value[j] != g.was[i][j] {
					w.changed = g.name + " " + p.Name
					return nil
				}
			}
		}
	}
	return nil
}

// TestWeightPhaseGradient: in the weight phase, with BatchNorm on running
// statistics (the attack's setting), the gradient a training run leaves
// in α is ∂L/∂p̃ of the loss at the perturbed weights p̃: it matches
// central differences of the eval-mode loss in p̃, entry by entry
// (float64).
func TestWeightPhaseGradient(t *testing.T) {
	d, err := datasets.Load(datasets.Options{Name: "synthetic", Shape: [3]int{1, 8, 8}, Classes: 3, Limit: 32, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	cfg := supernet.Config{InputC: 1, InputH: 8, InputW: 8, Classes: 3, C: 4, Layers: 3,
		Primitives: []string{"none", "avg_pool_3x3", "skip_connect", "sep_conv_3x3", "dil_conv_3x3"}}
	net, err := supernet.NewNetwork[float64](cfg, 9)
	if err != nil {
		t.Fatal(err)
	}
	rel, _ := New[float64](Adversarial, 0.3, 0.03, 7)
	net.Relax = rel
	var b datasets.Batch
	it := d.Train.Batches(8, 0, 1, false, datasets.Augment{}, false)
	it.Next(&b)
	train, err := net.NewRunner(b.N, true)
	if err != nil {
		t.Fatal(err)
	}
	defer train.Close()
	eval, err := net.NewRunner(b.N, false)
	if err != nil {
		t.Fatal(err)
	}
	defer eval.Close()
	// Some BatchNorm statistics away from (0, 1), so that eval mode is not
	// the identity.
	for i, p := range net.State() {
		for j := range p.Value {
			if strings.HasSuffix(p.Name, "running_var") {
				p.Value[j] = 0.5 + 0.1*float64((i+j)%7)
			} else {
				p.Value[j] = 0.05 * float64((i*3+j)%5-2)
			}
		}
	}
	for _, a := range net.Arch() {
		w := make([]float64, a.Rows*a.Cols)
		for j := range w {
			w[j] = 0.1 + 0.05*float64((j*7)%5)
		}
		rel.st.w[a.Tensor.Name] = w
	}
	*net.Pass = relax.Pass{Phase: relax.PhaseWeight, Sub: 1}
	train.SetBatchNormEval(true)
	train.SetWeightGrads(false)
	res, err := train.Run(b.X, b.Y)
	if err != nil {
		t.Fatal(err)
	}
	loss := func() float64 {
		r, err := eval.Run(b.X, b.Y)
		if err != nil {
			t.Fatal(err)
		}
		return r.Loss
	}
	if l := loss(); math.Abs(l-res.Loss) > 1e-12 {
		t.Fatalf("training runner in eval mode: loss %.15g, eval runner %.15g", res.Loss, l)
	}
	const h = 1e-6
	checked := 0
	for _, a := range net.Arch() {
		if a.Tensor.Cell == "normal" && len(net.Cells()) < 3 {
			continue
		}
		w := rel.st.w[a.Tensor.Name]
		for j := range w {
			v := w[j]
			w[j] = v + h
			up := loss()
			w[j] = v - h
			down := loss()
			w[j] = v
			fd := (up - down) / (2 * h)
			if g := a.Param.Grad[j]; math.Abs(g-fd) > 1e-7*math.Max(1, math.Abs(fd)) {
				t.Errorf("%s[%d]: ∂L/∂p̃ %.10g, finite difference %.10g", a.Tensor.Name, j, g, fd)
			}
			checked++
		}
	}
	if checked != 2*14*5 {
		t.Errorf("checked %d entries, want 140", checked)
	}
}
