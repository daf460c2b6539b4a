package supernet

import (
	"math"
	"testing"

	"github.com/darts-go/darts/derive"
	"github.com/darts-go/darts/mixedop"
)

// tinyConfig has an auxiliary head position with a 5×5 map (20→10→5).
func tinyConfig(aux bool) DiscreteConfig {
	return DiscreteConfig{InputC: 2, InputH: 20, InputW: 20, Classes: 3, C: 4, Layers: 3, Auxiliary: aux,
		Genotype: mixCells(dartsV2, odd)}
}

// mixCells is the genotype of a's normal cell and b's reduce cell.
func mixCells(a, b derive.Genotype) derive.Genotype {
	n, _ := a.Cell("normal")
	r, _ := b.Cell("reduce")
	return derive.Genotype{Space: "darts", Cells: []derive.Cell{n, r}}.Clone()
}

func tinyBatch(n, size int) ([]float32, []int) {
	x := make([]float32, n*size)
	for i := range x {
		x[i] = float32(math.Sin(0.37*float64(i) + 1))
	}
	y := make([]int, n)
	for i := range y {
		y[i] = i % 3
	}
	return x, y
}

func run[T Float](t *testing.T, n *Discrete[T], batch int, train bool) Result {
	t.Helper()
	r, err := n.NewRunner(batch, train)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	x, y := tinyBatch(batch, n.Cfg.InputC*n.Cfg.InputH*n.Cfg.InputW)
	res, err := r.Run(x, y)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestDropPathEvalAndTrain(t *testing.T) {
	n, err := NewDiscrete[float64](tinyConfig(false), 5)
	if err != nil {
		t.Fatal(err)
	}
	evalOff := run(t, n, 4, false)
	n.SetDropPath(DropPath{Prob: 0.6, Seed: 1, Epoch: 2, Step: 3})
	evalOn := run(t, n, 4, false)
	if evalOff != evalOn {
		t.Errorf("eval depends on the drop-path probability: %+v vs %+v", evalOff, evalOn)
	}
	trainOn := run(t, n, 4, true)
	trainOnAgain := run(t, n, 4, true)
	if trainOn != trainOnAgain {
		t.Errorf("same drop-path key gives %v then %v", trainOn.Loss, trainOnAgain.Loss)
	}
	n.SetDropPath(DropPath{Prob: 0.6, Seed: 1, Epoch: 2, Step: 4})
	nextStep := run(t, n, 4, true)
	n.SetDropPath(DropPath{})
	trainOff := run(t, n, 4, true)
	if trainOn.Loss == trainOff.Loss {
		t.Errorf("drop path 0.6 does not change the training loss (%v)", trainOn.Loss)
	}
	if trainOn.Loss == nextStep.Loss {
		t.Errorf("drop-path masks do not change with the step (%v)", trainOn.Loss)
	}
}

func TestDropPathMaskRate(t *testing.T) {
	d := &DropPath{Prob: 0.3, Seed: 9, Epoch: 1}
	b := &dropPathBlock[float32]{site: 7, d: d}
	kept, total := 0, 0
	for step := 0; step < 200; step++ {
		d.Step = step
		b.masks(50)
		for _, s := range b.scale {
			switch s {
			case 0:
			case float32(1 / 0.7):
				kept++
			default:
				t.Fatalf("mask scale %v, want 0 or 1/0.7", s)
			}
			total++
		}
	}
	// 10000 Bernoulli(0.7) draws: the standard deviation of the rate is 0.0046.
	if rate := float64(kept) / float64(total); math.Abs(rate-0.7) > 0.03 {
		t.Errorf("kept %.3f of examples, want about 0.7", rate)
	}
}

// copyInto gives dst the values of src's parameters and statistics of the
// same name.
func copyInto[T Float](t *testing.T, dst, src *Discrete[T]) {
	t.Helper()
	byName := map[string][]T{}
	for _, p := range append(src.Weights(), src.State()...) {
		byName[p.Name] = p.Value
	}
	for _, p := range append(dst.Weights(), dst.State()...) {
		if v, ok := byName[p.Name]; ok {
			copy(p.Value, v)
		}
	}
}

func TestAuxiliaryLossTrainingOnly(t *testing.T) {
	with, err := NewDiscrete[float64](tinyConfig(true), 5)
	if err != nil {
		t.Fatal(err)
	}
	without, err := NewDiscrete[float64](tinyConfig(false), 6)
	if err != nil {
		t.Fatal(err)
	}
	copyInto(t, without, with)
	if with.NumParams() != without.NumParams() {
		t.Errorf("auxiliary head changes the parameter count: %d vs %d", with.NumParams(), without.NumParams())
	}
	ew, eo := run(t, with, 4, false), run(t, without, 4, false)
	if ew != eo {
		t.Errorf("eval with auxiliary head %+v, without %+v", ew, eo)
	}
	tw, to := run(t, with, 4, true), run(t, without, 4, true)
	// The objective adds 0.4·CE(aux), a cross-entropy over 3 classes of a
	// fresh head: positive and of the order of ln 3.
	if d := tw.Loss - to.Loss; !(d > 0.4*0.2 && d < 0.4*5) {
		t.Errorf("training loss with auxiliary head %v, without %v: difference %v is not 0.4·CE", tw.Loss, to.Loss, d)
	}
	if tw.Correct != to.Correct {
		t.Errorf("accuracy counts the auxiliary head: %d vs %d", tw.Correct, to.Correct)
	}
	for _, p := range with.AuxWeights() {
		nz := false
		for _, g := range p.Grad {
			nz = nz || g != 0
		}
		if !nz {
			t.Errorf("auxiliary parameter %s got no gradient", p.Name)
		}
	}
}

// TestDiscreteGradient checks the backward pass of the whole training graph
// (drop path and auxiliary head on) by central finite differences.
func TestDiscreteGradient(t *testing.T) {
	n, err := NewDiscrete[float64](tinyConfig(true), 11)
	if err != nil {
		t.Fatal(err)
	}
	n.SetDropPath(DropPath{Prob: 0.3, Seed: 2, Epoch: 1, Step: 1})
	const batch = 3
	r, err := n.NewRunner(batch, true)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	x, y := tinyBatch(batch, 2*20*20)
	if _, err := r.Run(x, y); err != nil {
		t.Fatal(err)
	}
	type probe struct {
		name string
		i    int
		grad float64
	}
	var probes []probe
	all := append(append([]*paramT(nil), n.Weights()...), n.AuxWeights()...)
	for k, p := range all {
		if k%9 != 0 && p.Name != "aux.classifier.weight" && p.Name != "cells.2.pre0.conv1" {
			continue
		}
		i := (7 * k) % len(p.Value)
		probes = append(probes, probe{p.Name, i, p.Grad[i]})
	}
	byName := map[string]*paramT{}
	for _, p := range all {
		byName[p.Name] = p
	}
	loss := func() float64 {
		res, err := r.Run(x, y)
		if err != nil {
			t.Fatal(err)
		}
		return res.Loss
	}
	// Small, because max pooling and ReLU switch branches within 1e-4 of
	// some parameters; float64 keeps the round-off at ~1e-10 still.
	const eps = 1e-6
	for _, pr := range probes {
		v := byName[pr.name].Value
		old := v[pr.i]
		v[pr.i] = old + eps
		lp := loss()
		v[pr.i] = old - eps
		lm := loss()
		v[pr.i] = old
		num := (lp - lm) / (2 * eps)
		if math.Abs(num-pr.grad) > 1e-6+1e-4*math.Abs(num) {
			t.Errorf("%s[%d]: backward %.9g, finite difference %.9g", pr.name, pr.i, pr.grad, num)
		}
	}
	if len(probes) < 5 {
		t.Fatalf("only %d parameters probed", len(probes))
	}
}

type paramT = mixedop.Param[float64]

// TestEvalUsesRunningStatistics: after many training-mode passes over one
// batch (no optimizer step), every BatchNorm's running statistics are that
// batch's, so eval mode must give nearly the training-mode loss; before,
// with the initial statistics, it must not.
func TestEvalUsesRunningStatistics(t *testing.T) {
	n, err := NewDiscrete[float64](tinyConfig(false), 8)
	if err != nil {
		t.Fatal(err)
	}
	const batch = 8
	tr, err := n.NewRunner(batch, true)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	ev, err := n.NewRunner(batch, false)
	if err != nil {
		t.Fatal(err)
	}
	defer ev.Close()
	x, y := tinyBatch(batch, 2*20*20)
	before, err := ev.Run(x, y)
	if err != nil {
		t.Fatal(err)
	}
	var train Result
	for i := 0; i < 80; i++ { // 0.9^80 ≈ 2e-4 of the initial statistics left
		if train, err = tr.Run(x, y); err != nil {
			t.Fatal(err)
		}
	}
	after, err := ev.Run(x, y)
	if err != nil {
		t.Fatal(err)
	}
	// The running variance is unbiased (·m/(m-1), m ≥ 8·5·5 here), the
	// normalization biased: a relative difference well under 1%.
	if d := math.Abs(after.Loss-train.Loss) / train.Loss; d > 0.01 {
		t.Errorf("eval loss %v after convergence, training-mode loss %v", after.Loss, train.Loss)
	}
	if math.Abs(before.Loss-train.Loss)/train.Loss < 0.01 {
		t.Errorf("eval loss with initial statistics %v already equals the training-mode loss %v", before.Loss, train.Loss)
	}
}
