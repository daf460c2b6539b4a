package optim

import (
	"fmt"
	"math"

	"github.com/darts-go/darts/internal/paramio"
	"github.com/darts-go/darts/internal/tensorio"
	"github.com/darts-go/darts/mixedop"
)

// Float is the element type of parameters: float32 or float64, or a type
// defined on them.
type Float = mixedop.Float

// Param is one parameter tensor, the network's own (mixedop.Param): the
// optimizers update Value in place and only read Grad, which must have the
// same length. They keep the slices, so a network that reallocates its
// parameters needs a new optimizer.
type Param[T Float] = mixedop.Param[T]

// CheckParams reports the first parameter whose Value and Grad lengths
// differ, or whose name is empty or repeated (names key the optimizer
// state). Step on such parameters would index out of range, so call it once
// where the parameter list is built.
func CheckParams[T Float](params []*Param[T]) error {
	seen := make(map[string]bool, len(params))
	for i, p := range params {
		if p.Name == "" {
			return fmt.Errorf("optim: parameter %d has no name", i)
		}
		if seen[p.Name] {
			return fmt.Errorf("optim: parameter name %q repeated", p.Name)
		}
		seen[p.Name] = true
		if len(p.Value) != len(p.Grad) {
			return fmt.Errorf("optim: parameter %q has %d values but %d gradients", p.Name, len(p.Value), len(p.Grad))
		}
	}
	return nil
}

// The arithmetic in Step follows PyTorch 1.13's single-tensor (CPU, non
// foreach) code paths operation by operation: Python-float hyperparameters
// are rounded to the parameter type once, each tensor operation rounds its
// result to the parameter type, and derived scalars that PyTorch computes
// as Python floats (bias corrections, step size) are computed in float64
// first. Every product is wrapped in an explicit conversion so that Go
// never fuses it into an FMA: results are then the same on every
// architecture. (PyTorch's vectorised CPU kernel for add(x, alpha=a) does
// use FMA, so agreement with PyTorch is to the last bit or so, not
// guaranteed bit for bit.)

// SGD is torch.optim.SGD with momentum and coupled weight decay as DARTS uses
// it (no dampening, no Nesterov). For each element, with g the gradient and w
// the value:
//
//	d = g + wd*w                       (only if WeightDecay != 0)
//	buf = d on the first step, else buf = mu*buf + d   (only if Momentum != 0)
//	w = w - lr*buf                     (w - lr*d without momentum)
//
// The fields may be changed between steps; the schedule sets LR each epoch.
type SGD[T Float] struct {
	LR, Momentum, WeightDecay float64
	// Nesterov uses Nesterov momentum as torch.optim.SGD(nesterov=True):
	// the step is d + μ·buf instead of buf (AutoDL-Projects' searches).
	Nesterov bool

	params []*Param[T]
	bufs   [][]T
	steps  int64
}

// NewSGD returns an SGD optimizer over params (see CheckParams) with zero
// momentum buffers.
func NewSGD[T Float](params []*Param[T], lr, momentum, weightDecay float64) *SGD[T] {
	o := &SGD[T]{LR: lr, Momentum: momentum, WeightDecay: weightDecay, params: params}
	o.bufs = make([][]T, len(params))
	for i, p := range params {
		o.bufs[i] = make([]T, len(p.Value))
	}
	return o
}

// Steps returns the number of steps taken (restored by SetState).
func (o *SGD[T]) Steps() int64 { return o.steps }

// Params returns the parameters the optimizer updates.
func (o *SGD[T]) Params() []*Param[T] { return o.params }

// Buffers returns the momentum buffers, one per parameter, in parameter
// order. They are the optimizer's own slices, to be read, not written.
//
// Before the first step (and always when Momentum is 0) every buffer holds
// zeros; PyTorch has no buffer yet then, which its second-order DARTS code
// treats as zero, so m = 0 needs no special case: mu*0 + d is the first
// step's buffer.
func (o *SGD[T]) Buffers() [][]T { return o.bufs }

// Step updates every parameter from its current gradient.
func (o *SGD[T]) Step() {
	lr, mu, wd := T(o.LR), T(o.Momentum), T(o.WeightDecay)
	useWD, useMom, first := o.WeightDecay != 0, o.Momentum != 0, o.steps == 0
	if o.Nesterov && useMom {
		o.stepNesterov(lr, mu, wd, first)
		return
	}
	for i, p := range o.params {
		w := p.Value
		g := p.Grad[:len(w)]
		buf := o.bufs[i][:len(w)]
		switch {
		case useMom && !first:
			// The steady state of a DARTS search, kept free of branches.
			if useWD {
				for j := range w {
					d := g[j] + T(wd*w[j])
					b := T(buf[j]*mu) + d
					buf[j] = b
					w[j] -= T(lr * b)
				}
			} else {
				for j := range w {
					b := T(buf[j]*mu) + g[j]
					buf[j] = b
					w[j] -= T(lr * b)
				}
			}
		default:
			for j := range w {
				d := g[j]
				if useWD {
					d += T(wd * w[j])
				}
				if useMom {
					buf[j] = d
				}
				w[j] -= T(lr * d)
			}
		}
	}
	o.steps++
}

// AdamVariant is the PyTorch version whose Adam arithmetic an Adam follows.
type AdamVariant int

const (
	// Adam031 is PyTorch 0.3.1's Adam, which the published DARTS runs used:
	// ε is added to sqrt(v) before the bias correction, which goes into the
	// step size: p -= lr·sqrt(1-β2^t)/(1-β1^t) · m / (sqrt(v) + ε).
	Adam031 AdamVariant = iota
	// Adam1 is PyTorch 1.x's (checked against 1.13): ε is added after the
	// bias correction of sqrt(v): p -= lr/(1-β1^t) · m / (sqrt(v)/sqrt(1-β2^t) + ε).
	// The methods whose reference code ran PyTorch ≥ 1.0 use it.
	Adam1
)

// String names the variant as it appears in config.json: "0.3.1" or "1.x".
func (v AdamVariant) String() string {
	if v == Adam1 {
		return "1.x"
	}
	return "0.3.1"
}

// stepNesterov is torch.optim.SGD's step with nesterov=True: d = g + wd·w;
// buf = d on the first step, else μ·buf + d; w -= lr·(d + μ·buf).
func (o *SGD[T]) stepNesterov(lr, mu, wd T, first bool) {
	for i, p := range o.params {
		w := p.Value
		g := p.Grad[:len(w)]
		buf := o.bufs[i][:len(w)]
		for j := range w {
			d := g[j] + T(wd*w[j])
			b := d
			if !first {
				b = T(buf[j]*mu) + d
			}
			buf[j] = b
			w[j] -= T(lr * (d + T(mu*b)))
		}
	}
	o.steps++
}

// Adam is torch.optim.Adam (amsgrad off) with coupled weight decay, in
// the arithmetic of the PyTorch version Variant names. At step t
// (1-based), for each element:
//
//	g = g + wd*w                       (only if WeightDecay != 0)
//	m = b1*m + (1-b1)*g
//	v = b2*v + (1-b2)*g*g
//	w = w - (lr*sqrt(1-b2^t)/(1-b1^t)) * m / (sqrt(v) + eps)        Adam031
//	w = w - (lr/(1-b1^t)) * m / (sqrt(v)/sqrt(1-b2^t) + eps)         Adam1
//
// with the scalars in parentheses computed in float64 as PyTorch does (as
// Python floats) and rounded to the parameter type once.
type Adam[T Float] struct {
	LR, Beta1, Beta2, Eps, WeightDecay float64
	Variant                            AdamVariant

	params []*Param[T]
	m, v   [][]T
	steps  int64
}

// NewAdam returns an Adam optimizer over params (see CheckParams) with zero
// moments, in PyTorch 0.3.1's arithmetic (set Variant for another).
func NewAdam[T Float](params []*Param[T], lr, beta1, beta2, eps, weightDecay float64) *Adam[T] {
	o := &Adam[T]{LR: lr, Beta1: beta1, Beta2: beta2, Eps: eps, WeightDecay: weightDecay, params: params}
	o.m = make([][]T, len(params))
	o.v = make([][]T, len(params))
	for i, p := range params {
		o.m[i] = make([]T, len(p.Value))
		o.v[i] = make([]T, len(p.Value))
	}
	return o
}

// Steps returns the number of steps taken (restored by SetState).
func (o *Adam[T]) Steps() int64 { return o.steps }

// Params returns the parameters the optimizer updates.
func (o *Adam[T]) Params() []*Param[T] { return o.params }

// Moments returns the first and second moment estimates (PyTorch's exp_avg
// and exp_avg_sq), one slice per parameter, zero before the first step. They
// are the optimizer's own slices, to be read, not written.
func (o *Adam[T]) Moments() (m, v [][]T) { return o.m, o.v }

// Step updates every parameter from its current gradient.
func (o *Adam[T]) Step() {
	o.steps++
	t := float64(o.steps)
	bc1 := 1 - math.Pow(o.Beta1, t)
	bc2 := 1 - math.Pow(o.Beta2, t)
	var negStep, bc2Sqrt T
	if o.Variant == Adam1 {
		negStep, bc2Sqrt = T(-(o.LR / bc1)), T(math.Sqrt(bc2))
	} else {
		negStep = T(-(o.LR * math.Sqrt(bc2) / bc1))
	}
	b1, c1 := T(o.Beta1), T(1-o.Beta1)
	b2, c2 := T(o.Beta2), T(1-o.Beta2)
	eps, wd := T(o.Eps), T(o.WeightDecay)
	useWD := o.WeightDecay != 0
	v1 := o.Variant == Adam1
	for i, p := range o.params {
		w := p.Value
		g := p.Grad[:len(w)]
		m := o.m[i][:len(w)]
		v := o.v[i][:len(w)]
		for j := range w {
			gj := g[j]
			if useWD {
				gj += T(wd * w[j])
			}
			mj := T(m[j]*b1) + T(c1*gj)
			vj := T(v[j]*b2) + T(T(c2*gj)*gj)
			m[j], v[j] = mj, vj
			var denom T
			if v1 {
				denom = T(math.Sqrt(float64(vj)))/bc2Sqrt + eps
			} else {
				denom = T(math.Sqrt(float64(vj))) + eps
			}
			w[j] += T(negStep*mj) / denom
		}
	}
}

// OptimState is an optimizer's complete state, for checkpoints. Kind, Step
// and Hyper marshal to JSON exactly (Go writes the shortest decimal that
// reads back to the same float64); Tensors hold the per-parameter buffers in
// the parameters' own precision, one tensorio.Tensor per buffer, named
// "<buffer>/<parameter name>" in parameter order:
//
//	SGD:  "momentum_buffer/<name>"
//	Adam: "exp_avg/<name>", then "exp_avg_sq/<name>", per parameter
//
// so a checkpoint can store them with tensorio.Write (in the archive's
// tensor list, Kind/Step/Hyper in its metadata) and get every bit back.
type OptimState struct {
	Kind    string             `json:"kind"` // "sgd" or "adam"
	Step    int64              `json:"step"`
	Hyper   map[string]float64 `json:"hyper"`
	Tensors []tensorio.Tensor  `json:"-"`
}

// State returns a deep copy of the optimizer's state.
func (o *SGD[T]) State() OptimState {
	s := OptimState{
		Kind:  "sgd",
		Step:  o.steps,
		Hyper: map[string]float64{"lr": o.LR, "momentum": o.Momentum, "weight_decay": o.WeightDecay, "nesterov": b2f(o.Nesterov)},
	}
	for i, p := range o.params {
		s.Tensors = append(s.Tensors, paramio.Tensor("momentum_buffer/"+p.Name, nil, o.bufs[i]))
	}
	return s
}

// SetState restores a state from State, hyperparameters included, into an
// optimizer over parameters with the same names, order, lengths and
// precision. It copies the data; on error the optimizer is unchanged.
func (o *SGD[T]) SetState(s OptimState) error {
	if s.Kind != "sgd" {
		return fmt.Errorf("optim: SGD.SetState: state is for %q, not \"sgd\"", s.Kind)
	}
	hyper, err := hyperValues(s, "lr", "momentum", "weight_decay")
	if err != nil {
		return fmt.Errorf("optim: SGD.SetState: %w", err)
	}
	want := make([]string, len(o.params))
	for i, p := range o.params {
		want[i] = "momentum_buffer/" + p.Name
	}
	if err := restore(s, want, o.bufs); err != nil {
		return fmt.Errorf("optim: SGD.SetState: %w", err)
	}
	o.steps = s.Step
	o.LR, o.Momentum, o.WeightDecay = hyper[0], hyper[1], hyper[2]
	o.Nesterov = s.Hyper["nesterov"] != 0
	return nil
}

// State returns a deep copy of the optimizer's state.
func (o *Adam[T]) State() OptimState {
	s := OptimState{
		Kind: "adam",
		Step: o.steps,
		Hyper: map[string]float64{"lr": o.LR, "beta1": o.Beta1, "beta2": o.Beta2,
			"eps": o.Eps, "weight_decay": o.WeightDecay, "torch_1x": float64(o.Variant)},
	}
	for i, p := range o.params {
		s.Tensors = append(s.Tensors, paramio.Tensor("exp_avg/"+p.Name, nil, o.m[i]), paramio.Tensor("exp_avg_sq/"+p.Name, nil, o.v[i]))
	}
	return s
}

// SetState restores a state from State, hyperparameters included, into an
// optimizer over parameters with the same names, order, lengths and
// precision. It copies the data; on error the optimizer is unchanged.
func (o *Adam[T]) SetState(s OptimState) error {
	if s.Kind != "adam" {
		return fmt.Errorf("optim: Adam.SetState: state is for %q, not \"adam\"", s.Kind)
	}
	hyper, err := hyperValues(s, "lr", "beta1", "beta2", "eps", "weight_decay")
	if err != nil {
		return fmt.Errorf("optim: Adam.SetState: %w", err)
	}
	want := make([]string, 0, 2*len(o.params))
	dst := make([][]T, 0, 2*len(o.params))
	for i, p := range o.params {
		want = append(want, "exp_avg/"+p.Name, "exp_avg_sq/"+p.Name)
		dst = append(dst, o.m[i], o.v[i])
	}
	if err := restore(s, want, dst); err != nil {
		return fmt.Errorf("optim: Adam.SetState: %w", err)
	}
	o.steps = s.Step
	o.LR, o.Beta1, o.Beta2, o.Eps, o.WeightDecay = hyper[0], hyper[1], hyper[2], hyper[3], hyper[4]
	if v, ok := s.Hyper["torch_1x"]; ok {
		o.Variant = AdamVariant(v)
	} else {
		o.Variant = Adam1 // darts-go 0.1's checkpoints, written with 1.x's arithmetic
	}
	return nil
}

func hyperValues(s OptimState, keys ...string) ([]float64, error) {
	if s.Step < 0 {
		return nil, fmt.Errorf("negative step count %d", s.Step)
	}
	out := make([]float64, len(keys))
	for i, k := range keys {
		v, ok := s.Hyper[k]
		if !ok {
			return nil, fmt.Errorf("hyperparameter %q missing", k)
		}
		out[i] = v
	}
	return out, nil
}

// restore checks that s holds a tensor of each name with the length and
// precision of its buffer in dst, and nothing else, before copying any
// (paramio.Check), so that a bad state leaves the optimizer as it was.
func restore[T Float](s OptimState, names []string, dst [][]T) error {
	ps := make([]*mixedop.Param[T], len(names))
	for i, name := range names {
		ps[i] = &mixedop.Param[T]{Name: name, Shape: []int{len(dst[i])}, Value: dst[i]}
	}
	apply, err := paramio.Check(s.Kind+" state", s.Tensors, paramio.Match{Exact: true, Only: true, What: "the state"},
		paramio.Group[T]{Params: ps})
	if err != nil {
		return err
	}
	apply()
	return nil
}

// SGDView is what an architecture step may read of the weight optimizer:
// its hyperparameters and momentum buffers (the optimizer's own slices, not
// to be written). Second-order DARTS's virtual step needs all of it.
type SGDView[T Float] struct {
	LR, Momentum, WeightDecay float64
	Buffers                   [][]T
}

// View returns the optimizer's SGDView.
func (o *SGD[T]) View() SGDView[T] {
	return SGDView[T]{LR: o.LR, Momentum: o.Momentum, WeightDecay: o.WeightDecay, Buffers: o.bufs}
}

// MarshalText writes the variant as String does.
func (v AdamVariant) MarshalText() ([]byte, error) { return []byte(v.String()), nil }

// UnmarshalText reads "0.3.1" or "1.x" (also "1.13").
func (v *AdamVariant) UnmarshalText(b []byte) error {
	switch string(b) {
	case "0.3.1", "":
		*v = Adam031
	case "1.x", "1.13":
		*v = Adam1
	default:
		return fmt.Errorf("Adam variant %q: want 0.3.1 or 1.x", b)
	}
	return nil
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// ParseAdamVariant reads a variant's name as UnmarshalText does.
func ParseAdamVariant(s string) (AdamVariant, error) {
	var v AdamVariant
	err := v.UnmarshalText([]byte(s))
	return v, err
}
