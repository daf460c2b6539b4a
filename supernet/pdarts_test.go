package supernet_test

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/darts-go/darts/internal/rng"
	"github.com/darts-go/darts/mixedop"
	"github.com/darts-go/darts/relax"
	"github.com/darts-go/darts/space"
	"github.com/darts-go/darts/supernet"
)

func stageBatch(n int) ([]float32, []int) {
	r := rng.New(11)
	x := make([]float32, n*64)
	for i := range x {
		x[i] = float32(r.NormFloat64())
	}
	y := make([]int, n)
	for i := range y {
		y[i] = i % 3
	}
	return x, y
}

func sameOps(n int, ops []string) [][]string {
	out := make([][]string, n)
	for i := range out {
		out[i] = slices.Clone(ops)
	}
	return out
}

// TestEdgeOpsMatchesSmallerSpace: a supernet of the 8 DARTS ops whose
// edges all hold the same three (EdgeOps) is the supernet of those three
// ops alone — same loss and gradients, bit for bit, once both have the
// same weights and the masked network's α has the other's at those ops'
// columns — and the columns of the ops it lacks get no gradient.
func TestEdgeOpsMatchesSmallerSpace(t *testing.T) {
	small := []string{"max_pool_3x3", "skip_connect", "sep_conv_3x3"}
	base := supernet.Config{InputC: 1, InputH: 8, InputW: 8, Classes: 3, C: 4, Layers: 3}
	masked := base
	masked.Primitives = space.DARTSOps
	masked.EdgeOps = map[string][][]string{"normal": sameOps(14, small), "reduce": sameOps(14, small)}
	plain := base
	plain.Primitives = small
	m, err := supernet.NewNetwork[float64](masked, 5)
	if err != nil {
		t.Fatal(err)
	}
	p, err := supernet.NewNetwork[float64](plain, 6)
	if err != nil {
		t.Fatal(err)
	}
	if m.NumParams() != p.NumParams() {
		t.Fatalf("%d weights with edge_ops, %d in the 3-op space", m.NumParams(), p.NumParams())
	}
	byName := map[string]*mixedop.Param[float64]{}
	for _, w := range m.Weights() {
		byName[w.Name] = w
	}
	for _, w := range p.Weights() {
		src, ok := byName[w.Name]
		if !ok {
			t.Fatalf("no weight %s in the masked network", w.Name)
		}
		copy(w.Value, src.Value)
	}
	cols := []int{1, 3, 4}
	for i, a := range m.Arch() {
		pa := p.Arch()[i]
		for e := 0; e < a.Rows; e++ {
			for k := 0; k < a.Cols; k++ {
				v := a.Param.Value[e*a.Cols+k]
				if j := slices.Index(cols, k); j >= 0 {
					pa.Param.Value[e*pa.Cols+j] = v
				} else if v != 0 {
					t.Fatalf("%s[%d][%d] = %v: a column the edge lacks is not zero", a.Param.Name, e, k, v)
				}
			}
		}
	}
	x, y := stageBatch(8)
	run := func(n *supernet.Network[float64]) float64 {
		r, err := n.NewRunner(8, true)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		res, err := r.Run(x, y)
		if err != nil {
			t.Fatal(err)
		}
		return res.Loss
	}
	if lm, lp := run(m), run(p); lm != lp {
		t.Errorf("loss %v with edge_ops, %v in the 3-op space", lm, lp)
	}
	for _, w := range p.Weights() {
		if !slices.Equal(w.Grad, byName[w.Name].Grad) {
			t.Fatalf("%s: gradients differ", w.Name)
		}
	}
	for i, a := range m.Arch() {
		pa := p.Arch()[i]
		for e := 0; e < a.Rows; e++ {
			for k := 0; k < a.Cols; k++ {
				g := a.Param.Grad[e*a.Cols+k]
				if j := slices.Index(cols, k); j >= 0 && g != pa.Param.Grad[e*pa.Cols+j] {
					t.Fatalf("%s[%d][%d]: gradient %v, %v in the 3-op space", a.Param.Name, e, k, g, pa.Param.Grad[e*pa.Cols+j])
				} else if j < 0 && g != 0 {
					t.Fatalf("%s[%d][%d]: gradient %v of a column the edge lacks", a.Param.Name, e, k, g)
				}
			}
		}
	}
}

// randomEdgeOps gives every edge its own non-empty subset of the DARTS
// ops (with an op other than 'none').
func randomEdgeOps(seed uint64, keep int) map[string][][]string {
	r := rng.New(seed)
	out := map[string][][]string{}
	for _, cell := range []string{"normal", "reduce"} {
		for e := 0; e < 14; e++ {
			for {
				perm := r.Perm(len(space.DARTSOps))[:keep]
				slices.Sort(perm)
				var ops []string
				for _, k := range perm {
					ops = append(ops, space.DARTSOps[k])
				}
				if slices.ContainsFunc(ops, func(o string) bool { return o != "none" }) {
					out[cell] = append(out[cell], ops)
					break
				}
			}
		}
	}
	return out
}

// TestEdgeOpsArchGradient holds the α gradient of a supernet whose edges
// hold different ops to central differences of its training-mode loss
// (float64), at every column, those of the ops an edge lacks included
// (whose gradient is 0: the loss does not depend on them).
func TestEdgeOpsArchGradient(t *testing.T) {
	cfg := supernet.Config{InputC: 1, InputH: 8, InputW: 8, Classes: 3, C: 4, Layers: 3,
		EdgeOps: randomEdgeOps(3, 3)}
	n, err := supernet.NewNetwork[float64](cfg, 7)
	if err != nil {
		t.Fatal(err)
	}
	r := rng.New(9)
	for _, a := range n.ArchParams() {
		for i := range a.Value {
			a.Value[i] = 0.5 * r.NormFloat64() // the off columns too: the loss must not read them
		}
	}
	x, y := stageBatch(6)
	tr, err := n.NewRunner(6, true)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	loss := func() float64 {
		res, err := tr.Run(x, y)
		if err != nil {
			t.Fatal(err)
		}
		return res.Loss
	}
	loss()
	var grads [][]float64
	for _, a := range n.ArchParams() {
		grads = append(grads, slices.Clone(a.Grad))
	}
	const h = 1e-5
	checked := 0
	for i, a := range n.ArchParams() {
		for j := 0; j < len(a.Value); j += 5 {
			v := a.Value[j]
			a.Value[j] = v + h
			lp := loss()
			a.Value[j] = v - h
			lm := loss()
			a.Value[j] = v
			fd := (lp - lm) / (2 * h)
			if math.Abs(fd-grads[i][j]) > 1e-6+1e-4*math.Abs(fd) {
				t.Errorf("%s[%d]: gradient %v, central difference %v", a.Name, j, grads[i][j], fd)
			}
			checked++
		}
	}
	if checked < 10 {
		t.Fatalf("checked %d entries", checked)
	}
}

// TestEdgeOpsValidate names what is wrong with a bad EdgeOps or
// SkipDropout, and refuses another relaxation on a masked supernet.
func TestEdgeOpsValidate(t *testing.T) {
	base := supernet.Config{InputC: 1, InputH: 8, InputW: 8, Classes: 3, C: 4, Layers: 3}.WithDefaults()
	for _, tc := range []struct {
		edit func(*supernet.Config)
		want string
	}{
		{func(c *supernet.Config) {
			c.EdgeOps = map[string][][]string{"middle": sameOps(14, []string{"skip_connect"})}
		}, `"middle" is not a cell type`},
		{func(c *supernet.Config) {
			c.EdgeOps = map[string][][]string{"normal": sameOps(13, []string{"skip_connect"})}
		}, "13 edges, the cell has 14"},
		{func(c *supernet.Config) {
			c.EdgeOps = map[string][][]string{"normal": sameOps(14, []string{"conv_9x9"})}
		}, `"conv_9x9" is not one of the primitives`},
		{func(c *supernet.Config) {
			c.EdgeOps = map[string][][]string{"normal": sameOps(14, []string{"skip_connect", "none"})}
		}, "primitives' order"},
		{func(c *supernet.Config) { c.EdgeOps = map[string][][]string{"normal": sameOps(14, []string{"none"})} }, "other than 'none'"},
		{func(c *supernet.Config) { c.SkipDropout = &supernet.SkipDropout{Rate: 1} }, "rate in [0, 1)"},
		{func(c *supernet.Config) { c.Space = space.NB201Name; c.SkipDropout = &supernet.SkipDropout{Rate: 0.1} }, "settings of the darts space"},
	} {
		c := base
		tc.edit(&c)
		if err := c.WithDefaults().Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("err = %v, want one mentioning %q", err, tc.want)
		}
	}
	c := base
	c.EdgeOps = randomEdgeOps(1, 2)
	n, err := supernet.NewNetwork[float32](c, 1)
	if err != nil {
		t.Fatal(err)
	}
	n.Relax = relax.Softmax[float32]{}
	if _, err := n.NewRunner(4, true); err == nil || !strings.Contains(err.Error(), "masked softmax") {
		t.Errorf("softmax on a masked supernet: err = %v", err)
	}
}

// TestSkipDropoutSchedule: train_search.py's rates, worked by hand for the
// second stage of the README's run (rate 0.4, 25 epochs, 10 of warm-up).
func TestSkipDropoutSchedule(t *testing.T) {
	d := supernet.SkipDropout{Rate: 0.4, Warmup: 10, Decay: 0.2}
	for _, tc := range []struct {
		epoch int
		want  float64
	}{{0, 0.4 * 24 / 25}, {9, 0.4 * 15 / 25}, {10, 0.4}, {15, 0.4 * math.Exp(-1)}, {24, 0.4 * math.Exp(-2.8)}} {
		if got := d.P(tc.epoch, 25); math.Abs(got-tc.want) > 1e-15 {
			t.Errorf("epoch %d: p = %v, want %v", tc.epoch, got, tc.want)
		}
	}
}

// TestSkipDropoutNetwork: with P-DARTS's dropout the training-mode loss is
// a function of the pass (the same pass gives the same loss, another step
// another one), eval mode is the network without dropout, and a rate of 0
// builds none (the same loss as without SkipDropout).
func TestSkipDropoutNetwork(t *testing.T) {
	base := supernet.Config{InputC: 1, InputH: 8, InputW: 8, Classes: 3, C: 4, Layers: 3,
		EdgeOps: randomEdgeOps(4, 4)}
	with := base
	with.SkipDropout = &supernet.SkipDropout{Rate: 0.5, Warmup: 1, Decay: 0.2}
	zero := base
	zero.SkipDropout = &supernet.SkipDropout{Rate: 0, Warmup: 1, Decay: 0.2}
	x, y := stageBatch(8)
	losses := func(cfg supernet.Config, passes []relax.Pass, train bool) []float64 {
		n, err := supernet.NewNetwork[float64](cfg, 2)
		if err != nil {
			t.Fatal(err)
		}
		r, err := n.NewRunner(8, train)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		var out []float64
		for _, p := range passes {
			*n.Pass = p
			res, err := r.Run(x, y)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, res.Loss)
		}
		return out
	}
	passes := []relax.Pass{{Seed: 1, Epoch: 1, Epochs: 4, Step: 0}, {Seed: 1, Epoch: 1, Epochs: 4, Step: 0}, {Seed: 1, Epoch: 1, Epochs: 4, Step: 1}}
	// Training mode changes the running statistics, not the loss of the
	// next pass: batch statistics.
	w := losses(with, passes, true)
	if w[0] != w[1] {
		t.Errorf("the same pass gave losses %v and %v", w[0], w[1])
	}
	if w[0] == w[2] {
		t.Errorf("two steps drew the same masks (loss %v)", w[0])
	}
	plain := losses(base, passes[:1], true)
	if w[0] == plain[0] {
		t.Error("dropout at rate 0.5 did not change the training loss")
	}
	if z := losses(zero, passes[:1], true); z[0] != plain[0] {
		t.Errorf("rate 0: loss %v, without dropout %v", z[0], plain[0])
	}
	if e, pe := losses(with, passes[:1], false), losses(base, passes[:1], false); e[0] != pe[0] {
		t.Errorf("eval mode: loss %v with dropout, %v without", e[0], pe[0])
	}
}
