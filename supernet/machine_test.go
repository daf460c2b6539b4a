package supernet

import (
	"fmt"
	"math"
	"testing"

	"github.com/darts-go/darts/mixedop"
	G "gorgonia.org/gorgonia"
)

// The runners execute their graphs with mixedop.Machine. Its oracle is
// gorgonia's own tape machine on a twin graph: the same network built from
// the same seed, run on the same batch, must give the same bits in the loss,
// the logits, every gradient and every running statistic, over several
// steps (so that buffers reused from one run to the next carry nothing
// over).

// snapshot is every number a run leaves: loss and logits, then each
// parameter's value and gradient and each statistic, by name.
type snapshot map[string][]float32

func (s snapshot) add(name string, v []float32) { s[name] = append([]float32(nil), v...) }

func sameBits(t *testing.T, what string, got, want snapshot) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d tensors, want %d", what, len(got), len(want))
	}
	for name, w := range want {
		g, ok := got[name]
		if !ok || len(g) != len(w) {
			t.Fatalf("%s: %s missing or of length %d, want %d", what, name, len(g), len(w))
		}
		for i := range w {
			if math.Float32bits(g[i]) != math.Float32bits(w[i]) {
				t.Fatalf("%s: %s[%d] = %g, tape machine %g", what, name, i, g[i], w[i])
			}
		}
	}
}

// tapeRun runs r's graph with a tape machine and returns the loss and
// logits node values.
func tapeRun(t *testing.T, vm G.VM, r *graphRun[float32], x []float32, y []int) (float32, []float32) {
	t.Helper()
	for i, v := range x {
		r.xbuf[i] = v
	}
	for _, h := range r.heads {
		h.labels = y
	}
	prev := r.ctx.Training
	r.ctx.Training = r.train
	defer func() { r.ctx.Training = prev }()
	vm.Reset()
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	return r.loss.Value().Data().(float32), append([]float32(nil), r.logits.Value().Data().([]float32)...)
}

// twinRunners builds the same search network twice (cfg, seed) with a
// runner of batch (training or eval): the first runs mixedop.Machine with
// shared buffers (checked to share some), the second is built without
// sharing, for gorgonia's tape machine to run.
func twinRunners(t *testing.T, cfg Config, seed uint64, batch int, train bool) (shared, tape *Runner[float32]) {
	t.Helper()
	build := func() *Runner[float32] {
		n, err := NewNetwork[float32](cfg, seed)
		if err != nil {
			t.Fatal(err)
		}
		r, err := n.NewRunner(batch, train)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	shared = build()
	noShare.Store(true)
	tape = build()
	noShare.Store(false)
	checkShared(t, shared.vm)
	return shared, tape
}

func TestMachineMatchesTapeMachineSearch(t *testing.T) {
	cfg := Config{InputC: 2, InputH: 12, InputW: 12, Classes: 3, C: 4, Layers: 3}
	const batch = 5
	x, y := tinyBatch(batch, cfg.InputC*cfg.InputH*cfg.InputW)
	ra, rb := twinRunners(t, cfg, 11, batch, true)
	na, nb := ra.Net, rb.Net
	tape := G.NewTapeMachine(rb.g.G)
	defer tape.Close()
	take := func(n *Network[float32], loss float32, logits []float32, weightGrads bool) snapshot {
		s := snapshot{"loss": {loss}, "logits": logits}
		for _, p := range n.Weights() {
			s.add("value "+p.Name, p.Value)
			if weightGrads {
				s.add("grad "+p.Name, p.Grad)
			}
		}
		for _, p := range n.ArchParams() {
			s.add("value "+p.Name, p.Value)
			s.add("grad "+p.Name, p.Grad)
		}
		for _, p := range n.State() {
			s.add("state "+p.Name, p.Value)
		}
		return s
	}
	// Full runs, then alphas-only runs (the lite program), then full ones
	// again, with a change of the weights between runs as an optimizer's
	// step would make.
	for step, weightGrads := range []bool{true, true, false, false, true} {
		ra.SetWeightGrads(weightGrads)
		rb.SetWeightGrads(weightGrads)
		res, err := ra.Run(x, y)
		if err != nil {
			t.Fatal(err)
		}
		loss, logits := tapeRun(t, tape, rb.graphRun, x, y)
		for i, a := range rb.archP {
			copy(a.Grad, rb.alphaG[i].Value().Data().([]float32))
		}
		got := take(na, float32(res.Loss), append([]float32(nil), mustData(t, ra.vm, ra.logits)...), weightGrads)
		sameBits(t, fmt.Sprintf("step %d (weight gradients %v)", step, weightGrads), got, take(nb, loss, logits, weightGrads))
		if res.Loss != float64(loss) {
			t.Fatalf("step %d: Result.Loss %v, tape machine %v", step, res.Loss, loss)
		}
		for _, n := range []*Network[float32]{na, nb} {
			for _, p := range n.Weights() {
				for j := range p.Value {
					p.Value[j] -= 0.05 * float32(math.Sin(float64(j+step)))
				}
			}
		}
	}
}

// checkShared fails unless m's gradients share buffers: fewer buffers than
// values.
func checkShared(t *testing.T, m *mixedop.Machine[float32]) {
	t.Helper()
	values, bufs := m.SharedStats()
	if values == 0 || bufs >= values {
		t.Fatalf("Share placed %d values in %d buffers: want some, in fewer buffers", values, bufs)
	}
	t.Logf("%d values in %d shared buffers", values, bufs)
}

func mustData(t *testing.T, m *mixedop.Machine[float32], n *G.Node) []float32 {
	t.Helper()
	d, err := m.Data(n)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestMachineMatchesTapeMachineDiscrete(t *testing.T) {
	const batch = 4
	build := func() (*Discrete[float32], *DiscreteRunner[float32]) {
		n, err := NewDiscrete[float32](tinyConfig(true), 5)
		if err != nil {
			t.Fatal(err)
		}
		r, err := n.NewRunner(batch, true)
		if err != nil {
			t.Fatal(err)
		}
		return n, r
	}
	na, ra := build()
	noShare.Store(true)
	nb, rb := build()
	noShare.Store(false)
	checkShared(t, ra.vm)
	tape := G.NewTapeMachine(rb.g.G)
	defer tape.Close()
	x, y := tinyBatch(batch, na.Cfg.InputC*na.Cfg.InputH*na.Cfg.InputW)
	for step := 0; step < 3; step++ {
		d := DropPath{Prob: 0.3, Seed: 4, Epoch: 1, Step: step}
		na.SetDropPath(d)
		nb.SetDropPath(d)
		res, err := ra.Run(x, y)
		if err != nil {
			t.Fatal(err)
		}
		loss, logits := tapeRun(t, tape, rb.graphRun, x, y)
		take := func(n *Discrete[float32], loss float32, logits []float32) snapshot {
			s := snapshot{"loss": {loss}, "logits": logits}
			for _, p := range append(n.Weights(), n.AuxWeights()...) {
				s.add("grad "+p.Name, p.Grad)
			}
			for _, p := range n.State() {
				s.add("state "+p.Name, p.Value)
			}
			return s
		}
		sameBits(t, fmt.Sprintf("step %d", step), take(na, float32(res.Loss), mustData(t, ra.vm, ra.logits)), take(nb, loss, logits))
	}
}

// TestLiteProgramSkipsWork checks that the alphas-only program of a search
// runner leaves out what the alphas' gradients do not need: the stem's
// backward (its only gradients are its weights') and the first cell's
// preprocessing backward, whose input gradient only the stem would read.
// Their parameters' gradients keep the values of the last full run.
func TestLiteProgramSkipsWork(t *testing.T) {
	cfg := Config{InputC: 2, InputH: 12, InputW: 12, Classes: 3, C: 4, Layers: 3}
	n, err := NewNetwork[float32](cfg, 3)
	if err != nil {
		t.Fatal(err)
	}
	r, err := n.NewRunner(3, true)
	if err != nil {
		t.Fatal(err)
	}
	x, y := tinyBatch(3, cfg.InputC*cfg.InputH*cfg.InputW)
	if _, err := r.Run(x, y); err != nil {
		t.Fatal(err)
	}
	for _, p := range n.Weights() {
		for j := range p.Grad {
			p.Grad[j] = 7
		}
	}
	r.SetWeightGrads(false)
	if _, err := r.Run(x, y); err != nil {
		t.Fatal(err)
	}
	for _, p := range n.Weights() {
		for j, g := range p.Grad {
			if g != 7 {
				t.Fatalf("the alphas-only run wrote %s's gradient[%d] = %g", p.Name, j, g)
			}
		}
	}
}

// TestMachineMatchesTapeMachineEval does the same for eval runners, whose
// forward-only machines place the mixed edges' outputs, node sums and
// concatenations in shared buffers: loss and logits bit for bit, in the
// running-statistics and the batch-statistics modes.
func TestMachineMatchesTapeMachineEval(t *testing.T) {
	cfg := Config{InputC: 2, InputH: 12, InputW: 12, Classes: 3, C: 4, Layers: 3}
	const batch = 5
	x, y := tinyBatch(batch, cfg.InputC*cfg.InputH*cfg.InputW)
	ra, rb := twinRunners(t, cfg, 13, batch, false)
	tape := G.NewTapeMachine(rb.g.G)
	defer tape.Close()
	for step, mode := range []BNMode{BNRunning, BNBatch, BNRunning} {
		ra.SetBN(mode)
		rb.SetBN(mode)
		res, err := ra.Run(x, y)
		if err != nil {
			t.Fatal(err)
		}
		// The tape machine's run as Runner.Run makes it: batch statistics
		// without updating the running ones (BNBatch), or the running ones.
		var saved [][]float32
		for _, p := range rb.Net.State() {
			saved = append(saved, append([]float32(nil), p.Value...))
		}
		for i, v := range x {
			rb.xbuf[i] = v
		}
		for _, h := range rb.heads {
			h.labels = y
		}
		rb.ctx.Training = mode != BNRunning
		tape.Reset()
		if err := tape.RunAll(); err != nil {
			t.Fatal(err)
		}
		rb.ctx.Training = false
		loss := rb.loss.Value().Data().(float32)
		logits := append([]float32(nil), rb.logits.Value().Data().([]float32)...)
		if mode == BNBatch {
			for i, p := range rb.Net.State() {
				copy(p.Value, saved[i])
			}
		}
		got := snapshot{"loss": {float32(res.Loss)}, "logits": append([]float32(nil), mustData(t, ra.vm, ra.logits)...)}
		sameBits(t, fmt.Sprintf("eval run %d (BN mode %d)", step, mode), got, snapshot{"loss": {loss}, "logits": logits})
	}
}
