package optim

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The values of testdata/optim_torch.json come from PyTorch itself
// (tools/golden/gen_optim.py): torch.optim.SGD and Adam of 1.13, and
// PyTorch 0.3.1's Adam, clip_grad_norm and CosineAnnealingLR transcribed
// from the 0.3.1 source (tools/golden/PYTORCH031.md): an oracle outside
// this package's formulas.

type torchTensor struct {
	Name  string    `json:"name"`
	Shape []int     `json:"shape"`
	Data  []float64 `json:"data"`
}

type torchStep struct {
	Grads          []torchTensor `json:"grads"`
	Params         []torchTensor `json:"params"`
	MomentumBuffer []torchTensor `json:"momentum_buffer"`
	ExpAvg         []torchTensor `json:"exp_avg"`
	ExpAvgSq       []torchTensor `json:"exp_avg_sq"`
}

type torchCase struct {
	Name      string          `json:"name"`
	Kind      string          `json:"kind"`
	Dtype     string          `json:"dtype"`
	Semantics string          `json:"semantics"`
	Settings  json.RawMessage `json:"settings"`
	Params    []torchTensor   `json:"params"`
	Steps     []torchStep     `json:"steps"`
	// clip cases
	MaxNorm   float64       `json:"max_norm"`
	Grads     []torchTensor `json:"grads"`
	TotalNorm float64       `json:"total_norm"`
	Clipped   []torchTensor `json:"clipped"`
}

type torchFile struct {
	Cases    []torchCase `json:"cases"`
	Schedule struct {
		Epochs int       `json:"epochs"`
		EtaMax float64   `json:"eta_max"`
		EtaMin float64   `json:"eta_min"`
		V031   []float64 `json:"v0_3_1"`
	} `json:"schedule"`
}

func loadTorch(t *testing.T) torchFile {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "optim_torch.json"))
	if err != nil {
		t.Fatal(err)
	}
	var f torchFile
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.Cases) == 0 || len(f.Schedule.V031) == 0 {
		t.Fatal("optim_torch.json has no cases")
	}
	return f
}

func toParams[T Float](ts []torchTensor) []*Param[T] {
	ps := make([]*Param[T], len(ts))
	for i, x := range ts {
		ps[i] = &Param[T]{Name: x.Name, Shape: x.Shape, Value: convert[T](x.Data), Grad: make([]T, len(x.Data))}
	}
	return ps
}

// closeTo compares got with PyTorch's values: float64 to 1e-12 relative
// (the operations are the same, so only the last bits may differ), float32
// to 1e-6 relative, about 8 ulps (PyTorch's vectorized kernels fuse
// multiply-adds that Go rounds twice, and the differences compound over
// the steps), plus tol times a tenth of the tensor's largest value, for
// elements that come out of a cancellation.
func closeTo[T Float](t *testing.T, what string, got []T, want []float64) {
	t.Helper()
	tol := 1e-12
	if _, ok := any(got[0]).(float32); ok {
		tol = 1e-6
	}
	scale := 0.0
	for _, w := range want {
		scale = math.Max(scale, math.Abs(w))
	}
	for i := range want {
		if d := math.Abs(float64(got[i]) - want[i]); d > tol*(math.Abs(want[i])+0.1*scale) {
			t.Errorf("%s[%d] = %.10g, PyTorch %.10g (diff %.3g)", what, i, float64(got[i]), want[i], d)
			return
		}
	}
}

func TestOptimizersAgainstPyTorch(t *testing.T) {
	f := loadTorch(t)
	seen := map[string]int{}
	nesterov = 0
	for _, c := range f.Cases {
		if c.Kind != "sgd" && c.Kind != "adam" {
			continue
		}
		seen[c.Kind+"/"+c.Dtype]++
		t.Run(c.Name, func(t *testing.T) {
			if c.Dtype == "float32" {
				runTorchCase[float32](t, c)
			} else {
				runTorchCase[float64](t, c)
			}
		})
	}
	if seen["sgd/float32"] < 5 || seen["adam/float32"] < 2 || seen["adam/float64"] < 2 || nesterov < 2 {
		t.Errorf("cases run: %v (Nesterov: %d)", seen, nesterov)
	}
}

// nesterov counts the Nesterov SGD cases runTorchCase ran.
var nesterov int

func runTorchCase[T Float](t *testing.T, c torchCase) {
	ps := toParams[T](c.Params)
	var step func()
	var state func(i int) [][2][]T // per param: the buffers to compare
	switch c.Kind {
	case "sgd":
		var raw struct {
			LR          float64 `json:"lr"`
			Momentum    float64 `json:"momentum"`
			WeightDecay float64 `json:"weight_decay"`
			Nesterov    bool    `json:"nesterov"`
		}
		if err := json.Unmarshal(c.Settings, &raw); err != nil {
			t.Fatal(err)
		}
		o := NewSGD(ps, raw.LR, raw.Momentum, raw.WeightDecay)
		o.Nesterov = raw.Nesterov
		if raw.Nesterov {
			nesterov++
		}
		step = o.Step
		state = func(i int) [][2][]T { return [][2][]T{{o.Buffers()[i]}} }
	case "adam":
		var raw struct {
			LR          float64    `json:"lr"`
			Betas       [2]float64 `json:"betas"`
			Eps         float64    `json:"eps"`
			WeightDecay float64    `json:"weight_decay"`
		}
		if err := json.Unmarshal(c.Settings, &raw); err != nil {
			t.Fatal(err)
		}
		o := NewAdam(ps, raw.LR, raw.Betas[0], raw.Betas[1], raw.Eps, raw.WeightDecay)
		switch {
		case strings.HasPrefix(c.Name, "adam/v0.3.1/"):
			o.Variant = Adam031
		case strings.HasPrefix(c.Name, "adam/v1.13/"):
			o.Variant = Adam1
		default:
			t.Fatalf("unknown Adam semantics %q", c.Name)
		}
		step = o.Step
		state = func(i int) [][2][]T { m, v := o.Moments(); return [][2][]T{{m[i]}, {v[i]}} }
	}
	for k, st := range c.Steps {
		for i, g := range st.Grads {
			copy(ps[i].Grad, convert[T](g.Data))
		}
		step()
		for i, p := range st.Params {
			closeTo(t, fmt.Sprintf("step %d %s", k+1, p.Name), ps[i].Value, p.Data)
		}
		for i := range ps {
			bufs := state(i)
			var want [][]torchTensor
			if c.Kind == "sgd" {
				want = [][]torchTensor{st.MomentumBuffer}
			} else {
				want = [][]torchTensor{st.ExpAvg, st.ExpAvgSq}
			}
			for b, w := range want {
				if len(w) == 0 {
					continue // no momentum: PyTorch keeps no buffer
				}
				closeTo(t, fmt.Sprintf("step %d %s state %d", k+1, ps[i].Name, b), bufs[b][0], w[i].Data)
			}
		}
	}
}

// TestClipAgainstPyTorch checks ClipGradNorm, which follows 0.3.1's
// clip_grad_norm (the norm in float64, coef applied only below 1), against
// both the 0.3.1 transcription and torch 1.13's clip_grad_norm_.
func TestClipAgainstPyTorch(t *testing.T) {
	f := loadTorch(t)
	n := 0
	for _, c := range f.Cases {
		if c.Kind != "clip" {
			continue
		}
		n++
		t.Run(c.Name, func(t *testing.T) {
			if c.Dtype == "float32" {
				runClipCase[float32](t, c)
			} else {
				runClipCase[float64](t, c)
			}
		})
	}
	if n < 4 {
		t.Errorf("%d clip cases", n)
	}
}

func runClipCase[T Float](t *testing.T, c torchCase) {
	ps := toParams[T](c.Grads)
	for i, g := range c.Grads {
		copy(ps[i].Grad, convert[T](g.Data))
	}
	total := ClipGradNorm(ps, c.MaxNorm)
	if d := math.Abs(total - c.TotalNorm); d > 1e-6*c.TotalNorm {
		t.Errorf("total norm %.10g, PyTorch %.10g", total, c.TotalNorm)
	}
	for i, w := range c.Clipped {
		closeTo(t, "clipped "+w.Name, ps[i].Grad, w.Data)
	}
}

// TestScheduleAgainstPyTorch031: the learning rate of every epoch of
// train_search.py's CosineAnnealingLR(50, eta_min=0.001) stepped at the
// start of each epoch, as PyTorch 0.3.1 computes it.
func TestScheduleAgainstPyTorch031(t *testing.T) {
	s := loadTorch(t).Schedule
	if len(s.V031) != s.Epochs {
		t.Fatalf("%d values for %d epochs", len(s.V031), s.Epochs)
	}
	for e, want := range s.V031 {
		if got := DARTSEpochLR(s.EtaMax, s.EtaMin, e, s.Epochs); math.Abs(got-want) > 1e-15 {
			t.Errorf("epoch %d: lr %.17g, PyTorch 0.3.1 %.17g", e, got, want)
		}
	}
}

// TestAdamVariantsDiffer is the negative control of the Adam cases: the
// 0.3.1 reference values are far outside the tolerance from what the 1.x
// arithmetic gives on the same gradients, so the comparison tells the
// variants apart.
func TestAdamVariantsDiffer(t *testing.T) {
	for _, c := range loadTorch(t).Cases {
		if c.Name != "adam/v0.3.1/float64" {
			continue
		}
		ps := toParams[float64](c.Params)
		o := NewAdam(ps, 3e-4, 0.5, 0.999, 1e-8, 1e-3)
		o.Variant = Adam1
		worst := 0.0
		for _, st := range c.Steps {
			for i, g := range st.Grads {
				copy(ps[i].Grad, g.Data)
			}
			o.Step()
			for i, p := range st.Params {
				for j, w := range p.Data {
					worst = math.Max(worst, math.Abs(ps[i].Value[j]-w)/math.Max(math.Abs(w), 1e-3))
				}
			}
		}
		if worst < 1e-6 {
			t.Errorf("1.x arithmetic is within %.2g of 0.3.1's reference: the test cannot tell them apart", worst)
		}
		return
	}
	t.Fatal("no adam/v0.3.1/float64 case")
}
