package mixedop

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/darts-go/darts/internal/rng"
	"gorgonia.org/tensor"
)

// TestMixedSkipZero: with Ctx.SkipZero a mixed edge whose weights are
// one-hot (or zero at some ops) gives the output, input gradient and
// parameter gradients of the full mixed edge, which runs every op, and
// the full edge's α gradient at the ops that ran; the ops of weight 0 do
// not run: their α gradient is 0 and their BatchNorm running statistics
// stay as they were (the full edge moves them).
func TestMixedSkipZero(t *testing.T) {
	prims := []string{"none", "skip_connect", "sep_conv_3x3", "max_pool_3x3", "avg_pool_3x3"}
	in := Shape{N: 2, C: 4, H: 5, W: 5}
	shapes := []tensor.Shape{{in.N, in.C, in.H, in.W}, {len(prims)}}
	x := dropInput(in.Size())
	dy := dropInput(in.Size() + 11)[11:]

	type result struct {
		y, dx, dw []float64
		grads     map[string][]float64
		state     map[string][]float64
		before    map[string][]float64 // the running statistics before the run
	}
	run := func(w []float64, skip bool) result {
		ctx := &Ctx{Training: true, Rand: rng.New(1)}
		if skip {
			ctx.Skip = SkipZero
		}
		m, err := NewMixed[float64](ctx, "edge", prims, 0, Args{C: 4, Stride: 1, PoolBN: true})
		if err != nil {
			t.Fatal(err)
		}
		before := map[string][]float64{}
		for _, p := range m.State() {
			before[p.Name] = slices.Clone(p.Value)
		}
		y, err := m.Forward([][]float64{x, w}, shapes)
		if err != nil {
			t.Fatal(err)
		}
		r := result{y: slices.Clone(y), dx: make([]float64, len(x)), dw: make([]float64, len(w)),
			grads: map[string][]float64{}, state: map[string][]float64{}, before: before}
		if err := m.Backward(dy, [][]float64{r.dx, r.dw}); err != nil {
			t.Fatal(err)
		}
		for _, p := range m.Params() {
			r.grads[p.Name] = slices.Clone(p.Grad)
		}
		for _, p := range m.State() {
			r.state[p.Name] = slices.Clone(p.Value)
		}
		return r
	}
	for _, w := range [][]float64{
		{1, 0, 0, 0, 0}, {0, 1, 0, 0, 0}, {0, 0, 1, 0, 0}, {0, 0, 0, 1, 0}, {0, 0, 0, 0, 1},
		{0, 0.4, 0, 0.6, 0}, {0.2, 0, 0.5, 0, 0.3},
	} {
		name := fmt.Sprint(w)
		full, skip := run(w, false), run(w, true)
		if !slices.Equal(full.y, skip.y) {
			t.Errorf("%s: the output differs from the full edge's", name)
		}
		if !slices.Equal(full.dx, skip.dx) {
			t.Errorf("%s: the input gradient differs from the full edge's", name)
		}
		for p, g := range full.grads {
			if !slices.Equal(g, skip.grads[p]) {
				t.Errorf("%s: %s's gradient differs from the full edge's", name, p)
			}
		}
		for k, op := range prims {
			switch {
			case w[k] != 0 && skip.dw[k] != full.dw[k]:
				t.Errorf("%s: dα[%s] = %v, the full edge's %v", name, op, skip.dw[k], full.dw[k])
			case w[k] == 0 && skip.dw[k] != 0:
				t.Errorf("%s: dα[%s] = %v of an op that did not run", name, op, skip.dw[k])
			}
		}
		if len(skip.state) == 0 {
			t.Fatal("no running statistics to watch")
		}
		for p, v := range skip.state {
			k := slices.IndexFunc(prims, func(o string) bool { return strings.HasPrefix(p, "edge."+o+".") })
			ran := w[k] != 0
			if moved := !slices.Equal(v, skip.before[p]); moved != ran {
				t.Errorf("%s: %s moved: %v; its op ran: %v", name, p, moved, ran)
			}
			if slices.Equal(full.state[p], full.before[p]) {
				t.Errorf("%s: %s: the full edge does not move it", name, p)
			}
		}
	}
}
