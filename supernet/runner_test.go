package supernet_test

import (
	"math"
	"testing"

	"github.com/darts-go/darts/internal/rng"
	"github.com/darts-go/darts/mixedop"
	"github.com/darts-go/darts/supernet"
)

// TestEvalModeMatchesConvergedTrainMode runs one batch in training mode
// until every BatchNorm's running statistics have converged to that batch's
// statistics; eval mode on the same batch must then give (nearly) the same
// loss, since it normalizes with the same numbers (up to the unbiased
// variance's N/(N-1)).
func TestEvalModeMatchesConvergedTrainMode(t *testing.T) {
	cfg := supernet.Config{InputC: 1, InputH: 8, InputW: 8, Classes: 3, C: 4, Layers: 3,
		Primitives: []string{"none", "max_pool_3x3", "avg_pool_3x3", "skip_connect", "sep_conv_3x3", "dil_conv_3x3"}}
	n, err := supernet.NewNetwork[float64](cfg, 3)
	if err != nil {
		t.Fatal(err)
	}
	const batch = 64
	train, err := n.NewRunner(batch, true)
	if err != nil {
		t.Fatal(err)
	}
	eval, err := n.NewRunner(batch, false)
	if err != nil {
		t.Fatal(err)
	}
	r := rng.New(1)
	x := make([]float32, batch*64)
	for i := range x {
		x[i] = float32(r.NormFloat64())
	}
	y := make([]int, batch)
	for i := range y {
		y[i] = i % 3
	}
	var trainLoss float64
	for i := 0; i < 100; i++ {
		res, err := train.Run(x, y)
		if err != nil {
			t.Fatal(err)
		}
		trainLoss = res.Loss
	}
	res, err := eval.Run(x, y)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(res.Loss-trainLoss) > 0.05*math.Abs(trainLoss) {
		t.Errorf("eval-mode loss %v, converged train-mode loss %v", res.Loss, trainLoss)
	}
	if !n.Ctx.Training {
		t.Error("an eval run left the network in eval mode")
	}
}

func TestEstimateMemoryScales(t *testing.T) {
	cfg := supernet.Config{InputC: 1, InputH: 28, InputW: 28, Classes: 10, C: 8, Layers: 5}
	n, err := supernet.NewNetwork[float32](cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	e32, e64 := n.EstimateMemory(32), n.EstimateMemory(64)
	if w := int64(n.NumParams()) * 4; e32 <= w {
		t.Errorf("estimate %d bytes at batch 32 is not above the weights' %d", e32, w)
	}
	if !(e64 > e32 && e64 < 2*e32+1) {
		t.Errorf("estimate at batch 64 (%d) is not between batch 32's (%d) and twice that", e64, e32)
	}
	big := cfg
	big.C = 16
	nb, err := supernet.NewNetwork[float32](big, 1)
	if err != nil {
		t.Fatal(err)
	}
	if nb.EstimateMemory(32) <= e32 {
		t.Error("doubling the channels did not raise the estimate")
	}
}

// TestWeightGradsOff: with the weights' gradients off, a run gives the same
// alpha gradients bit for bit and leaves every weight's Grad as it was.
func TestWeightGradsOff(t *testing.T) {
	cfg := supernet.Config{InputC: 1, InputH: 8, InputW: 8, Classes: 3, C: 4, Layers: 3,
		Primitives: []string{"none", "max_pool_3x3", "avg_pool_3x3", "skip_connect", "sep_conv_3x3", "dil_conv_3x3"}}
	n, err := supernet.NewNetwork[float32](cfg, 3)
	if err != nil {
		t.Fatal(err)
	}
	r, err := n.NewRunner(16, true)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	g := rng.New(2)
	x := make([]float32, 16*64)
	for i := range x {
		x[i] = float32(g.NormFloat64())
	}
	y := make([]int, 16)
	for i := range y {
		y[i] = i % 3
	}
	if _, err := r.Run(x, y); err != nil {
		t.Fatal(err)
	}
	copies := func(ps []*mixedop.Param[float32]) [][]float32 {
		out := make([][]float32, len(ps))
		for i, p := range ps {
			out[i] = append([]float32(nil), p.Grad...)
		}
		return out
	}
	alphaFull, weightFull := copies(n.ArchParams()), copies(n.Weights())
	for i := range x {
		x[i] *= -1 // another batch: the weights' Grad would change if computed
	}
	r.SetWeightGrads(false)
	if _, err := r.Run(x, y); err != nil {
		t.Fatal(err)
	}
	for i, p := range n.Weights() {
		if p.Grad == nil {
			t.Fatalf("%s: Grad left detached", p.Name)
		}
		for j, v := range p.Grad {
			if v != weightFull[i][j] {
				t.Fatalf("%s: gradient recomputed with weight gradients off", p.Name)
			}
		}
	}
	alphaOff := copies(n.ArchParams())
	r.SetWeightGrads(true)
	if _, err := r.Run(x, y); err != nil {
		t.Fatal(err)
	}
	changed := false
	for i, p := range n.ArchParams() {
		for j, v := range p.Grad {
			if v != alphaOff[i][j] {
				t.Fatalf("%s[%d]: %v with weight gradients off, %v with them on", p.Name, j, alphaOff[i][j], v)
			}
			if v != alphaFull[i][j] {
				changed = true
			}
		}
	}
	if !changed {
		t.Error("the second batch gave the same alpha gradients as the first: the test proves nothing")
	}
}

// TestEvalRunnerBNModes: an eval runner in BNBatch mode gives exactly the
// training runner's loss (both normalize with the batch's statistics) and
// leaves the running statistics alone; in BNBatchUpdate mode it leaves
// them where the training runner's forward does; in BNRunning (default)
// it differs from both.
func TestEvalRunnerBNModes(t *testing.T) {
	cfg := supernet.Config{InputC: 1, InputH: 8, InputW: 8, Classes: 3, C: 2, Layers: 3,
		Primitives: []string{"none", "max_pool_3x3", "skip_connect", "sep_conv_3x3"}}
	n, err := supernet.NewNetwork[float64](cfg, 3)
	if err != nil {
		t.Fatal(err)
	}
	const batch = 8
	train, err := n.NewRunner(batch, true)
	if err != nil {
		t.Fatal(err)
	}
	defer train.Close()
	eval, err := n.NewRunner(batch, false)
	if err != nil {
		t.Fatal(err)
	}
	defer eval.Close()
	r := rng.New(1)
	x := make([]float32, batch*64)
	for i := range x {
		x[i] = float32(r.NormFloat64())
	}
	y := []int{0, 1, 2, 0, 1, 2, 0, 1}
	snapshot := func() [][]float64 {
		var s [][]float64
		for _, p := range n.State() {
			s = append(s, append([]float64(nil), p.Value...))
		}
		return s
	}
	restore := func(s [][]float64) {
		for i, p := range n.State() {
			copy(p.Value, s[i])
		}
	}
	equal := func(a, b [][]float64) bool {
		for i := range a {
			for j := range a[i] {
				if a[i][j] != b[i][j] {
					return false
				}
			}
		}
		return true
	}
	before := snapshot()
	want, err := train.Run(x, y)
	if err != nil {
		t.Fatal(err)
	}
	afterTrain := snapshot()
	if equal(before, afterTrain) {
		t.Fatal("the training forward left the running statistics unchanged")
	}
	restore(before)
	running, err := eval.Run(x, y)
	if err != nil {
		t.Fatal(err)
	}
	eval.SetBN(supernet.BNBatch)
	got, err := eval.Run(x, y)
	if err != nil {
		t.Fatal(err)
	}
	if got != want || !equal(snapshot(), before) {
		t.Errorf("BNBatch: %+v (statistics kept: %v), training forward %+v", got, equal(snapshot(), before), want)
	}
	if running.Loss == want.Loss {
		t.Error("BNRunning gave the batch-statistics loss")
	}
	eval.SetBN(supernet.BNBatchUpdate)
	if got, err = eval.Run(x, y); err != nil || got != want {
		t.Errorf("BNBatchUpdate: %+v, %v; training forward %+v", got, err, want)
	}
	if !equal(snapshot(), afterTrain) {
		t.Error("BNBatchUpdate: running statistics not where the training forward leaves them")
	}
	if !n.Ctx.Training {
		t.Error("an eval run left the network in eval mode")
	}
}
