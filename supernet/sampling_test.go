package supernet_test

import (
	"math"
	"strings"
	"testing"

	"github.com/darts-go/darts/mixedop"
	"github.com/darts-go/darts/relax"
	"github.com/darts-go/darts/space"
	"github.com/darts-go/darts/supernet"
)

// TestNoPoolBN: the DARTS supernet without BatchNorm after pools (DrNAS,
// AutoDL's GDAS) loses exactly the pools' BatchNorm running statistics,
// two per pool per edge, and no weight (that BatchNorm has no affine);
// NAS-Bench-201 refuses the setting.
func TestNoPoolBN(t *testing.T) {
	cfg := supernet.Config{InputC: 1, InputH: 8, InputW: 8, Classes: 3, C: 4, Layers: 3}
	with, err := supernet.NewNetwork[float32](cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	cfg.NoPoolBN = true
	without, err := supernet.NewNetwork[float32](cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	poolStats := 0
	for _, p := range with.State() {
		if strings.Contains(p.Name, "pool_3x3") {
			poolStats++
		}
	}
	// 3 cells × 14 edges × 2 pools × (running mean, running variance).
	if want := 3 * 14 * 2 * 2; poolStats != want {
		t.Fatalf("%d pool statistics with BatchNorm after pools, want %d", poolStats, want)
	}
	if got, want := len(without.State()), len(with.State())-poolStats; got != want {
		t.Errorf("NoPoolBN: %d running statistics, want %d", got, want)
	}
	for _, p := range without.State() {
		if strings.Contains(p.Name, "pool_3x3") {
			t.Errorf("NoPoolBN network has pool statistic %s", p.Name)
		}
	}
	if with.NumParams() != without.NumParams() {
		t.Errorf("NoPoolBN changed the weights: %d vs %d", without.NumParams(), with.NumParams())
	}
	for _, nb := range []supernet.Config{
		{Space: space.NB201Name, InputC: 3, InputH: 8, InputW: 8, Classes: 3, C: 2, CellsPerStage: 1, NoPoolBN: true},
		{Space: space.NB201Name, InputC: 3, InputH: 8, InputW: 8, Classes: 3, C: 2, CellsPerStage: 1, LastAct: true},
	} {
		if err := nb.WithDefaults().Validate(); err == nil || !strings.Contains(err.Error(), "no_pool_bn and last_act are settings of the darts space") {
			t.Errorf("NAS-Bench-201 with %+v: %v", nb, err)
		}
	}
}

// TestLastAct: the DARTS supernet with lastact (AutoDL's NASNetworkGDAS)
// gains one affine BatchNorm over the last cell's output channels — 4·16
// for 3 cells of C = 4, whose two reductions double C twice — as weights
// (scale, shift) and running statistics. With that BatchNorm's scale set to
// 0 and its shift to β, every example's pooled features are relu(β), so the
// logits are W·relu(β)+b whatever the input: the loss, the head's and the
// shift's gradients have closed forms, and no cell weight gets a gradient.
func TestLastAct(t *testing.T) {
	cfg := supernet.Config{InputC: 1, InputH: 8, InputW: 8, Classes: 3, C: 4, Layers: 3}
	plain, err := supernet.NewNetwork[float64](cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	cfg.LastAct = true
	net, err := supernet.NewNetwork[float64](cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	const cp, k = 4 * 16, 3
	if d := net.NumParams() - plain.NumParams(); d != 2*cp {
		t.Errorf("lastact adds %d weights, want %d", d, 2*cp)
	}
	find := func(ps []*mixedop.Param[float64], name string) *mixedop.Param[float64] {
		for _, p := range ps {
			if p.Name == name {
				return p
			}
		}
		t.Fatalf("no tensor %s", name)
		return nil
	}
	all := append(append([]*mixedop.Param[float64](nil), net.Weights()...), net.State()...)
	scale, shift := find(all, "lastact.bn.weight"), find(all, "lastact.bn.bias")
	find(net.State(), "lastact.bn.running_mean")
	find(net.State(), "lastact.bn.running_var")
	w, b := find(net.Weights(), "classifier.weight"), find(net.Weights(), "classifier.bias")
	if len(scale.Value) != cp || len(shift.Value) != cp || len(w.Value) != k*cp {
		t.Fatalf("lastact %d/%d channels, classifier %d, want %d channels", len(scale.Value), len(shift.Value), len(w.Value), cp)
	}
	for c := 0; c < cp; c++ {
		scale.Value[c] = 0
		shift.Value[c] = float64(c%5-2) * 0.3 // negative, zero and positive shifts
	}
	r, err := net.NewRunner(2, true)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	x := make([]float32, 2*64)
	for i := range x {
		x[i] = float32(i%7) - 3
	}
	y := []int{0, 2}
	res, err := r.Run(x, y)
	if err != nil {
		t.Fatal(err)
	}
	feat := make([]float64, cp)
	for c := range feat {
		feat[c] = math.Max(shift.Value[c], 0)
	}
	z := make([]float64, k)
	var lse, zmax float64 = 0, math.Inf(-1)
	for j := range z {
		z[j] = b.Value[j]
		for c := range feat {
			z[j] += w.Value[j*cp+c] * feat[c]
		}
		zmax = math.Max(zmax, z[j])
	}
	for _, v := range z {
		lse += math.Exp(v - zmax)
	}
	lse = zmax + math.Log(lse)
	var loss float64
	dz := make([]float64, k) // mean over the batch of softmax − one-hot
	for _, yi := range y {
		loss += (lse - z[yi]) / float64(len(y))
		for j := range dz {
			dz[j] += math.Exp(z[j]-lse) / float64(len(y))
		}
		dz[yi] -= 1 / float64(len(y))
	}
	if math.Abs(res.Loss-loss) > 1e-6 {
		t.Errorf("loss %v, closed form %v", res.Loss, loss)
	}
	for j := range dz {
		if math.Abs(b.Grad[j]-dz[j]) > 1e-6 {
			t.Errorf("classifier.bias grad[%d] %v, want %v", j, b.Grad[j], dz[j])
		}
	}
	for c := 0; c < cp; c++ {
		var g float64
		if shift.Value[c] > 0 {
			for j := range dz {
				g += w.Value[j*cp+c] * dz[j]
			}
		}
		if math.Abs(shift.Grad[c]-g) > 1e-6 {
			t.Errorf("lastact.bn.bias grad[%d] %v, want %v", c, shift.Grad[c], g)
		}
	}
	for _, p := range net.Weights() {
		if strings.HasPrefix(p.Name, "lastact.") || strings.HasPrefix(p.Name, "classifier.") {
			continue
		}
		for _, g := range p.Grad {
			if g != 0 {
				t.Errorf("%s has gradient %v behind a zero lastact scale", p.Name, g)
				break
			}
		}
	}
}

// TestSparseRelaxationSkips: a network under a relaxation that implements
// relax.Sparse builds its mixed edges to skip as it says; others run all.
func TestSparseRelaxationSkips(t *testing.T) {
	for _, c := range []struct {
		r    relax.Relaxation[float32]
		want mixedop.Skip
	}{
		{relax.Softmax[float32]{}, mixedop.RunAll},
		{relax.SNAS[float32]{Tau: relax.Constant(1)}, mixedop.RunAll},
		{relax.GDAS[float32]{Tau: relax.Constant(1)}, mixedop.SkipZero},
		{relax.GDAS[float32]{Tau: relax.Constant(1), Scalars: true}, mixedop.SkipZeroScalar},
	} {
		n, err := supernet.NewNetwork[float32](supernet.Config{InputC: 1, InputH: 8, InputW: 8, Classes: 3, C: 4, Layers: 3}, 1)
		if err != nil {
			t.Fatal(err)
		}
		n.Relax = c.r
		r, err := n.NewRunner(2, true)
		if err != nil {
			t.Fatal(err)
		}
		got := r.Skip()
		r.Close()
		if got != c.want {
			t.Fatalf("%s: runner skips %d, want %d", c.r.Name(), got, c.want)
		}
		for _, cell := range n.Cells() {
			for _, e := range cell.Edges {
				if e.Skip != mixedop.RunAll {
					t.Fatalf("%s: edge %s has its own Skip %d: the mode belongs to the run", c.r.Name(), e.Prefix, e.Skip)
				}
			}
		}
	}
}

// dense is GDAS's relaxation without relax.Sparse: the same one-hot
// weights and gradients, but every op of every edge runs.
type dense struct{ relax.GDAS[float64] }

// TestSkipMatchesDenseNetwork: a whole network under GDAS, whose edges run
// only the sampled ops, gives the loss and every weight gradient of the
// same network running every op at the same one-hot weights (each
// unselected op multiplied by 0), on both spaces. (α's gradients differ by
// design: the dense edge passes Σ dy⊙op_k(x) to the unselected weights.)
func TestSkipMatchesDenseNetwork(t *testing.T) {
	for _, c := range []struct {
		cfg     supernet.Config
		scalars bool
	}{
		{supernet.Config{InputC: 1, InputH: 8, InputW: 8, Classes: 3, C: 4, Layers: 3}, false},
		{supernet.Config{Space: space.NB201Name, InputC: 3, InputH: 8, InputW: 8, Classes: 3, C: 2, CellsPerStage: 1}, true},
	} {
		g := relax.GDAS[float64]{Tau: relax.Constant(2), Scalars: c.scalars}
		var results [2]supernet.Result
		var grads [2][][]float64
		for i, r := range []relax.Relaxation[float64]{g, dense{g}} {
			n, err := supernet.NewNetwork[float64](c.cfg, 5)
			if err != nil {
				t.Fatal(err)
			}
			n.Relax = r
			*n.Pass = relax.Pass{Seed: 3, Epoch: 1, Epochs: 4, Step: 2}
			run, err := n.NewRunner(4, true)
			if err != nil {
				t.Fatal(err)
			}
			in := c.cfg.WithDefaults()
			x := make([]float32, 4*in.InputC*in.InputH*in.InputW)
			for k := range x {
				x[k] = float32((k*7)%11)/5 - 1
			}
			if results[i], err = run.Run(x, []int{0, 1, 2, 1}); err != nil {
				t.Fatal(err)
			}
			for _, p := range append(n.Weights(), n.ArchParams()...) {
				grads[i] = append(grads[i], append([]float64(nil), p.Grad...))
			}
			run.Close()
		}
		if math.Abs(results[0].Loss-results[1].Loss) > 1e-12 || results[0].Correct != results[1].Correct {
			t.Errorf("%s: loss %.15g skipping, %.15g dense", c.cfg.Space, results[0].Loss, results[1].Loss)
		}
		nw := len(grads[0]) - 2
		if c.cfg.Space == space.NB201Name {
			nw = len(grads[0]) - 1
		}
		for k := range grads[0] {
			for j := range grads[0][k] {
				d := math.Abs(grads[0][k][j] - grads[1][k][j])
				// Weights agree; α agrees on the selected ops only (the
				// dense edge passes Σ dy⊙op_k(x) to the others).
				if k < nw && d > 1e-10 {
					t.Fatalf("%s: weight gradient %d[%d] %.12g skipping, %.12g dense", c.cfg.Space, k, j, grads[0][k][j], grads[1][k][j])
				}
			}
		}
	}
}
