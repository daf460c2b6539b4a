package bilevel

import (
	"fmt"
	"math"
	"testing"

	"github.com/darts-go/darts/datasets"
	"github.com/darts-go/darts/internal/golden"
	"github.com/darts-go/darts/mixedop"
	"github.com/darts-go/darts/optim"
	"github.com/darts-go/darts/relax"
	"github.com/darts-go/darts/supernet"
)

// TestGoldenSearchSteps holds two consecutive steps of a whole search, first
// and second order, to PyTorch running the original train_search.py loop
// (tools/golden/gen_networks.py): the architecture gradient, the alphas and
// Adam's moments after the architecture step (PyTorch 0.3.1's Adam), the
// running statistics after it (second order: the passes at w and w ± R·v
// update them, the one at w' does not), then the weight step's loss,
// gradient norm, clipped gradients, weights after SGD and running
// statistics. The second step starts from the first's state, momentum
// buffers included.
func TestGoldenSearchSteps(t *testing.T) {
	g, err := golden.LoadNetworks()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range g.SearchSteps {
		t.Run(c.Name, func(t *testing.T) { goldenSearch(t, c) })
	}
}

func load[T Float](t *testing.T, ps []*mixedop.Param[T], ts []golden.Raw) {
	t.Helper()
	byName := golden.ByName(ts)
	for _, p := range ps {
		x, ok := byName[p.Name]
		if !ok || len(x.Data) != len(p.Value) {
			t.Fatalf("no golden value of %d elements for %s", len(p.Value), p.Name)
		}
		for i, v := range x.Data {
			p.Value[i] = T(v)
		}
		delete(byName, p.Name)
	}
	for name := range byName {
		t.Fatalf("golden tensor %s matches no parameter", name)
	}
}

func compareAll[T Float](t *testing.T, what string, ps []*mixedop.Param[T], ts []golden.Raw, grad bool) {
	t.Helper()
	byName := golden.ByName(ts)
	for _, p := range ps {
		x, ok := byName[p.Name]
		if !ok {
			t.Errorf("%s: no golden value for %s", what, p.Name)
			continue
		}
		got := p.Value
		if grad {
			got = p.Grad
		}
		if msg := golden.Compare(what+" "+p.Name, got, x.Data); msg != "" {
			t.Error(msg)
		}
	}
}

func compareSlices[T Float](t *testing.T, what string, got [][]T, names []*mixedop.Param[T], ts []golden.Raw) {
	t.Helper()
	byName := golden.ByName(ts)
	for i, p := range names {
		if msg := golden.Compare(what+" "+p.Name, got[i], byName[p.Name].Data); msg != "" {
			t.Error(msg)
		}
	}
}

func batchOf(x golden.Raw, y []int) *datasets.Batch {
	b := &datasets.Batch{X: make([]float32, len(x.Data)), Y: y, N: len(y)}
	for i, v := range x.Data {
		b.X[i] = float32(v)
	}
	return b
}

func goldenSearch(t *testing.T, c golden.SearchStepCase) {
	cfg := supernet.Config{InputC: 3, InputH: 16, InputW: 16, Classes: 10, C: 2, Layers: 3}
	net, err := supernet.NewNetwork[float64](cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	load(t, net.Weights(), c.Params)
	load(t, net.State(), c.Buffers)
	load(t, net.ArchParams(), c.Alphas)
	data, err := datasets.Load(datasets.Options{Name: "synthetic", Shape: [3]int{3, 16, 16}, Classes: 10, Limit: 16})
	if err != nil {
		t.Fatal(err)
	}
	st := DefaultSettings()
	st.Order, st.BatchSize, st.Epochs = c.Order, len(c.Steps[0].TrainTarget), 50
	s, err := NewSearch(net, data, st, Method[float64]{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.wOpt.LR = s.LR()
	for k, step := range c.Steps {
		if step.LR != s.wOpt.LR {
			t.Fatalf("step %d: PyTorch ran lr %v, the search %v", k+1, step.LR, s.wOpt.LR)
		}
		train, val := batchOf(step.TrainInput, step.TrainTarget), batchOf(step.ValInput, step.ValTarget)
		at := fmt.Sprintf("step %d:", k+1)
		if err := s.Method.Arch.ArchGrad(s.stepContext(train, val)); err != nil {
			t.Fatal(err)
		}
		compareAll(t, at+" architecture gradient", net.ArchParams(), step.Arch.Grad, true)
		s.aOpt.Step()
		compareAll(t, at+" alphas after the architecture step", net.ArchParams(), step.Arch.AlphasAfter, false)
		m, v := s.aOpt.Moments()
		compareSlices(t, at+" Adam exp_avg", m, net.ArchParams(), step.Arch.AdamExpAvg)
		compareSlices(t, at+" Adam exp_avg_sq", v, net.ArchParams(), step.Arch.AdamExpAvgSq)
		compareAll(t, at+" running statistics after the architecture step", net.State(), step.BuffersAfterArch, false)

		res, err := s.run(true, train, s.pass(relax.PhaseWeight, 0), "weight step")
		if err != nil {
			t.Fatal(err)
		}
		if d := math.Abs(res.Loss - step.Weights.TrainLoss); d > 1e-9 {
			t.Errorf("%s training loss %v, PyTorch %v", at, res.Loss, step.Weights.TrainLoss)
		}
		norm := optim.ClipGradNorm(s.weights, st.GradClip)
		if d := math.Abs(norm - step.Weights.GradNorm); d > 1e-9*step.Weights.GradNorm {
			t.Errorf("%s gradient norm %v, PyTorch %v", at, norm, step.Weights.GradNorm)
		}
		if (norm > st.GradClip) != step.Weights.Clipped {
			t.Errorf("%s clipped %v, PyTorch %v", at, norm > st.GradClip, step.Weights.Clipped)
		}
		compareAll(t, at+" clipped gradient", net.Weights(), step.Weights.Grads, true)
		s.wOpt.Step()
		compareAll(t, at+" weights after SGD", net.Weights(), step.Weights.ParamsAfter, false)
		compareAll(t, at+" running statistics after the weight step", net.State(), step.BuffersAfter, false)
		s.Step++
	}
}
