package optim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/darts-go/darts/internal/tensorio"
)

func oneParam[T Float](w, g T) []*Param[T] {
	return []*Param[T]{{Name: "w", Value: []T{w}, Grad: []T{g}}}
}

// TestSGDHandComputed uses powers of two so every intermediate is exact in
// float32 and float64; the expected values are worked out by hand from
// d = g + wd*w, buf = mu*buf + d (buf = d first), w -= lr*buf with
// lr = 0.5, mu = 0.5, wd = 0.25, w0 = 1, g = 0.5 at every step:
//
//	1: d = 0.75,       buf = 0.75,       w = 1 - 0.375           = 0.625
//	2: d = 0.65625,    buf = 1.03125,    w = 0.625 - 0.515625    = 0.109375
//	3: d = 0.52734375, buf = 1.04296875, w = 0.109375 - 0.521484375 = -0.412109375
func TestSGDHandComputed(t *testing.T) {
	want := []struct{ w, buf float64 }{{0.625, 0.75}, {0.109375, 1.03125}, {-0.412109375, 1.04296875}}
	t.Run("float32", func(t *testing.T) { sgdHand[float32](t, want) })
	t.Run("float64", func(t *testing.T) { sgdHand[float64](t, want) })
}

func sgdHand[T Float](t *testing.T, want []struct{ w, buf float64 }) {
	ps := oneParam[T](1, 0.5)
	o := NewSGD(ps, 0.5, 0.5, 0.25)
	for i, w := range want {
		o.Step()
		if got := float64(ps[0].Value[0]); got != w.w {
			t.Errorf("step %d: w = %v, want %v", i+1, got, w.w)
		}
		if got := float64(o.Buffers()[0][0]); got != w.buf {
			t.Errorf("step %d: buf = %v, want %v", i+1, got, w.buf)
		}
	}
	if o.Steps() != int64(len(want)) {
		t.Errorf("Steps = %d", o.Steps())
	}
}

func TestSGDFirstStepMomentum(t *testing.T) {
	ps := oneParam[float64](0, 1)
	o := NewSGD(ps, 0.1, 0.9, 0)
	if b := o.Buffers(); len(b) != 1 || len(b[0]) != 1 || b[0][0] != 0 {
		t.Fatalf("buffers before the first step = %v, want [[0]]", b)
	}
	o.Step()
	// PyTorch initialises the buffer to d itself, not to (1-mu)*d or mu*0+d
	// with dampening, so the first step is plain SGD.
	if b := o.Buffers()[0][0]; b != 1 {
		t.Errorf("buffer after step 1 = %v, want 1", b)
	}
	if w := ps[0].Value[0]; w != -0.1 {
		t.Errorf("w after step 1 = %v, want -0.1", w)
	}
	ps[0].Grad[0] = 2
	o.Step()
	mu, lr, w1 := 0.9, 0.1, -0.1
	wantBuf := float64(mu*1) + 2
	if b := o.Buffers()[0][0]; b != wantBuf {
		t.Errorf("buffer after step 2 = %v, want %v", b, wantBuf)
	}
	if w, want := ps[0].Value[0], w1-float64(lr*wantBuf); w != want {
		t.Errorf("w after step 2 = %v, want %v", w, want)
	}
}

func TestSGDWeightDecayWithZeroGradient(t *testing.T) {
	tests := []struct {
		name           string
		momentum, wd   float64
		wantW1, wantW2 float64
	}{
		// d = 0.5*2 = 1; w = 2 - 0.25 = 1.75; d = 0.875; w = 1.75 - 0.21875.
		{"no momentum", 0, 0.5, 1.75, 1.53125},
		// buf = 1; then d = 0.875, buf = 0.5 + 0.875 = 1.375; w = 1.75 - 0.34375.
		{"momentum", 0.5, 0.5, 1.75, 1.40625},
		{"no decay", 0.5, 0, 2, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ps := oneParam[float32](2, 0)
			o := NewSGD(ps, 0.25, tc.momentum, tc.wd)
			o.Step()
			if got := float64(ps[0].Value[0]); got != tc.wantW1 {
				t.Errorf("step 1: w = %v, want %v", got, tc.wantW1)
			}
			o.Step()
			if got := float64(ps[0].Value[0]); got != tc.wantW2 {
				t.Errorf("step 2: w = %v, want %v", got, tc.wantW2)
			}
		})
	}
}

// refSGD and refAdam are float64 transcriptions of the PyTorch 1.13
// formulas (torch/optim/sgd.py and adam.py, _single_tensor_*), written
// independently of the code under test, one element at a time.
func convert[T Float](xs []float64) []T {
	out := make([]T, len(xs))
	for i, x := range xs {
		out[i] = T(x)
	}
	return out
}

// checkClose compares against the float64 reference. float64 may differ
// from it only by FMA contraction in the reference (which Go may do on some
// architectures); float32 by its rounding.
func checkClose[T Float](t *testing.T, what string, got []T, want []float64) {
	t.Helper()
	tol := 1e-13
	var z T
	if _, ok := any(z).(float32); ok {
		tol = 2e-5
	}
	for j := range want {
		if d := math.Abs(float64(got[j]) - want[j]); d > tol*math.Max(1, math.Abs(want[j])) {
			t.Fatalf("%s[%d] = %v, reference %v (diff %g)", what, j, got[j], want[j], d)
		}
	}
}

func TestAdamBiasCorrection(t *testing.T) {
	for _, g := range []float64{2, -0.001, 1000} {
		ps := oneParam[float64](1, g)
		o := NewAdam(ps, 0.1, 0.5, 0.99, 0, 0)
		prev := 1.0
		for s := 1; s <= 3; s++ {
			o.Step()
			step := ps[0].Value[0] - prev
			if want := -math.Copysign(0.1, g); math.Abs(step-want) > 1e-12 {
				t.Errorf("g=%v step %d moved %v, want %v", g, s, step, want)
			}
			prev = ps[0].Value[0]
		}
		if m, v := o.Moments(); math.Abs(m[0][0]-(1-0.125)*g) > 1e-12*math.Abs(g) || math.Abs(v[0][0]-(1-math.Pow(0.99, 3))*g*g) > 1e-12*g*g {
			t.Errorf("g=%v moments after 3 steps = %v, %v", g, m[0][0], v[0][0])
		}
	}
}

// TestAdamEpsPlacement pins PyTorch's denominator sqrt(v)/sqrt(bc2) + eps on
// a gradient as small as eps: the first step is then lr*g/(|g|+eps) = lr/2.
// eps inside the square root would give about lr*1e-4, and eps added before
// the bias correction (as in TensorFlow) about 0.03*lr.
// TestAdamEpsPlacement tells the two variants apart where it matters: a
// gradient g of the size of ε. The first step is, in closed form,
// lr·sqrt(1-β2)·g/(sqrt(1-β2)·g + ε) for 0.3.1 (ε meets the uncorrected
// sqrt(v)) and lr·g/(g + ε) = lr/2 for 1.x.
func TestAdamEpsPlacement(t *testing.T) {
	const g, eps, b2 = 1e-8, 1e-8, 0.999
	for _, tc := range []struct {
		v    AdamVariant
		want float64
	}{
		{Adam031, math.Sqrt(1-b2) * g / (math.Sqrt(1-b2)*g + eps)},
		{Adam1, 0.5},
	} {
		ps := oneParam[float64](0, g)
		o := NewAdam(ps, 1, 0.9, b2, eps, 0)
		o.Variant = tc.v
		o.Step()
		if got := -ps[0].Value[0]; math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("%v: first step = %v, want %v", tc.v, got, tc.want)
		}
	}
}

func TestAdamWeightDecayWithZeroGradient(t *testing.T) {
	ps := oneParam[float32](2, 0)
	o := NewAdam(ps, 0.25, 0.9, 0.999, 0, 0.1)
	o.Step()
	// The decayed gradient 0.1*w is positive, and the first step moves lr
	// against it.
	if got := ps[0].Value[0]; math.Abs(float64(got)-1.75) > 1e-6 {
		t.Errorf("w = %v, want 1.75", got)
	}
	ps = oneParam[float32](2, 0)
	NewAdam(ps, 0.25, 0.9, 0.999, 1e-8, 0).Step()
	if got := ps[0].Value[0]; got != 2 {
		t.Errorf("without decay w = %v, want unchanged 2", got)
	}
}

func TestCheckParams(t *testing.T) {
	tests := []struct {
		name string
		ps   []*Param[float32]
		want string
	}{
		{"ok", []*Param[float32]{{Name: "a", Value: make([]float32, 2), Grad: make([]float32, 2)}, {Name: "b"}}, ""},
		{"length", []*Param[float32]{{Name: "a", Value: make([]float32, 2), Grad: make([]float32, 1)}}, `"a" has 2 values but 1`},
		{"unnamed", []*Param[float32]{{}}, "no name"},
		{"repeated", []*Param[float32]{{Name: "a"}, {Name: "a"}}, "repeated"},
	}
	for _, tc := range tests {
		err := CheckParams(tc.ps)
		if (err == nil) != (tc.want == "") || err != nil && !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
		}
	}
}

// stepper is what the checkpoint round trip needs from either optimizer.
type stepper interface {
	Step()
	State() OptimState
	SetState(OptimState) error
}

func makeParams[T Float](seed uint64) []*Param[T] {
	r := rand.New(rand.NewPCG(seed, 2))
	var ps []*Param[T]
	for i, n := range []int{5, 1, 12} {
		p := &Param[T]{Name: []string{"conv.w", "bn.b", "fc.w"}[i], Value: make([]T, n), Grad: make([]T, n)}
		for j := range p.Value {
			p.Value[j] = T(r.NormFloat64())
		}
		ps = append(ps, p)
	}
	return ps
}

// setGrads makes a deterministic gradient that depends on the step and the
// current weights, as a real loss would.
func setGrads[T Float](ps []*Param[T], step int) {
	for _, p := range ps {
		for j := range p.Grad {
			p.Grad[j] = T(math.Sin(float64(step*31+j))) + p.Value[j]*T(0.5)
		}
	}
}

// throughFile writes a state as a checkpoint would (tensorio archive, the
// scalar fields as metadata) and reads it back.
func throughFile(t *testing.T, s OptimState) OptimState {
	t.Helper()
	var buf bytes.Buffer
	if err := tensorio.Write(&buf, s, s.Tensors); err != nil {
		t.Fatal(err)
	}
	meta, ts, err := tensorio.Read(&buf)
	if err != nil {
		t.Fatal(err)
	}
	var out OptimState
	if err := json.Unmarshal(meta, &out); err != nil {
		t.Fatal(err)
	}
	out.Tensors = ts
	return out
}

func TestStateRoundTrip(t *testing.T) {
	t.Run("sgd/float32", func(t *testing.T) {
		roundTrip(t, func(ps []*Param[float32]) stepper { return NewSGD(ps, 0.025, 0.9, 3e-4) })
	})
	t.Run("sgd/float64", func(t *testing.T) {
		roundTrip(t, func(ps []*Param[float64]) stepper { return NewSGD(ps, 0.025, 0.9, 3e-4) })
	})
	t.Run("adam/float32", func(t *testing.T) {
		roundTrip(t, func(ps []*Param[float32]) stepper { return NewAdam(ps, 3e-4, 0.5, 0.999, 1e-8, 1e-3) })
	})
	t.Run("adam/float64", func(t *testing.T) {
		roundTrip(t, func(ps []*Param[float64]) stepper { return NewAdam(ps, 3e-4, 0.5, 0.999, 1e-8, 1e-3) })
	})
	type myFloat float32
	t.Run("sgd/defined type", func(t *testing.T) {
		roundTrip(t, func(ps []*Param[myFloat]) stepper { return NewSGD(ps, 0.025, 0.9, 3e-4) })
	})
}

// roundTrip runs 5 steps straight, and 2 steps, a checkpoint into a fresh
// optimizer (built with different hyperparameters, which SetState must
// override) over copied weights, and 3 more steps; the weights must agree to
// the bit.
func roundTrip[T Float](t *testing.T, build func([]*Param[T]) stepper) {
	straight := makeParams[T](1)
	o := build(straight)
	for s := 0; s < 5; s++ {
		setGrads(straight, s)
		o.Step()
	}

	resumed := makeParams[T](1)
	o = build(resumed)
	for s := 0; s < 2; s++ {
		setGrads(resumed, s)
		o.Step()
	}
	st := throughFile(t, o.State())
	fresh := makeParams[T](99)
	for i := range fresh {
		copy(fresh[i].Value, resumed[i].Value)
	}
	o2 := build(fresh)
	switch x := o2.(type) {
	case *SGD[T]:
		x.LR, x.Momentum = 1, 0
	case *Adam[T]:
		x.LR, x.Beta1 = 1, 0
	}
	if err := o2.SetState(st); err != nil {
		t.Fatal(err)
	}
	for s := 2; s < 5; s++ {
		setGrads(fresh, s)
		o2.Step()
	}
	for i := range straight {
		for j := range straight[i].Value {
			a, b := float64(straight[i].Value[j]), float64(fresh[i].Value[j])
			if math.Float64bits(a) != math.Float64bits(b) {
				t.Fatalf("%s[%d]: straight %v, resumed %v", straight[i].Name, j, a, b)
			}
		}
	}
	if s := o2.State(); s.Step != 5 {
		t.Errorf("step after resume = %d, want 5", s.Step)
	}
}

func TestSetStateErrors(t *testing.T) {
	ps := makeParams[float32](3)
	o := NewSGD(ps, 0.1, 0.9, 0)
	setGrads(ps, 0)
	o.Step()
	good := o.State()
	mutate := func(f func(*OptimState)) OptimState {
		s := good
		s.Hyper = map[string]float64{}
		for k, v := range good.Hyper {
			s.Hyper[k] = v
		}
		s.Tensors = append([]tensorio.Tensor(nil), good.Tensors...)
		f(&s)
		return s
	}
	tests := []struct {
		name string
		s    OptimState
		want string
	}{
		{"kind", mutate(func(s *OptimState) { s.Kind = "adam" }), `"adam"`},
		{"hyper", mutate(func(s *OptimState) { delete(s.Hyper, "momentum") }), `"momentum" missing`},
		{"negative step", mutate(func(s *OptimState) { s.Step = -1 }), "negative"},
		{"count", mutate(func(s *OptimState) { s.Tensors = s.Tensors[:2] }), `sgd state: the state has no tensor "momentum_buffer/`},
		{"name", mutate(func(s *OptimState) { s.Tensors[1].Name = "momentum_buffer/x" }), `no tensor "momentum_buffer/bn.b"`},
		{"dtype", mutate(func(s *OptimState) {
			s.Tensors[2] = tensorio.Tensor{Name: s.Tensors[2].Name, F64: make([]float64, 12)}
		}), "is float64, the network is float32"},
		{"length", mutate(func(s *OptimState) {
			s.Tensors[2] = tensorio.Tensor{Name: s.Tensors[2].Name, F32: make([]float32, 11)}
		}), "has shape [11], the network needs [12]"},
	}
	before := o.State()
	for _, tc := range tests {
		err := o.SetState(tc.s)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want one containing %q", tc.name, err, tc.want)
		}
	}
	after := o.State()
	if after.Step != before.Step || after.Hyper["momentum"] != 0.9 {
		t.Errorf("failed SetState changed the optimizer")
	}
	for i := range before.Tensors {
		for j := range before.Tensors[i].F32 {
			if before.Tensors[i].F32[j] != after.Tensors[i].F32[j] {
				t.Fatalf("failed SetState changed buffer %s", before.Tensors[i].Name)
			}
		}
	}
	if err := NewAdam(ps, 1, 0.9, 0.99, 1e-8, 0).SetState(good); err == nil {
		t.Errorf("Adam accepted an SGD state")
	}
}

const benchParams = 2 << 20

func benchParamSet() []*Param[float32] {
	// A few tensors of DARTS-like sizes adding up to about 2M elements.
	var ps []*Param[float32]
	for left, i := benchParams, 0; left > 0; i++ {
		n := min(left, 150_000)
		ps = append(ps, &Param[float32]{Name: fmt.Sprintf("p%d", i), Value: make([]float32, n), Grad: make([]float32, n)})
		for j := range n {
			ps[len(ps)-1].Value[j] = float32(j%97) * 0.01
			ps[len(ps)-1].Grad[j] = float32(j%89)*0.001 - 0.04
		}
		left -= n
	}
	return ps
}

func BenchmarkSGDStep(b *testing.B) {
	o := NewSGD(benchParamSet(), 0.025, 0.9, 3e-4)
	o.Step()
	b.SetBytes(benchParams * 4)
	b.ResetTimer()
	for b.Loop() {
		o.Step()
	}
}

func BenchmarkAdamStep(b *testing.B) {
	o := NewAdam(benchParamSet(), 3e-4, 0.5, 0.999, 1e-8, 1e-3)
	b.SetBytes(benchParams * 4)
	b.ResetTimer()
	for b.Loop() {
		o.Step()
	}
}
