package derive

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/darts-go/darts/space"
)

// dartsOps is the DARTS op set in the original column order.
var dartsOps = space.DARTSOps

// deriveDARTS applies the DARTS rule to both cells of a DARTS space whose
// node count is inferred from the rows, as the original genotype() does.
func deriveDARTS(normal, reduce [][]float64, ops []string) (Genotype, error) {
	steps, err := space.DARTSSteps(len(normal))
	if err != nil {
		return Genotype{}, err
	}
	return Derive(space.DARTS(steps, steps, ops), DARTSRule, map[string][][]float64{"normal": normal, "reduce": reduce})
}

func TestDeriveCell(t *testing.T) {
	none3 := []string{"none", "a", "b"}
	tests := []struct {
		name string
		ops  []string
		w    [][]float64
		want []Pair
	}{
		{
			// 'none' dominates e0 and e3 but must neither rank edges nor be
			// chosen; e0 has an op tie (a wins, lower index); e4 too.
			name: "none excluded, op ties to lower index",
			ops:  none3,
			w: [][]float64{
				{0.9, 0.05, 0.05}, // node 0, input 0: strength 0.05
				{0.1, 0.6, 0.3},   // node 0, input 1: strength 0.6
				{0.3, 0.2, 0.5},   // node 1, input 0: 0.5 (b)
				{0.8, 0.1, 0.1},   // node 1, input 1: 0.1
				{0.1, 0.45, 0.45}, // node 1, input 2: 0.45 (a)
			},
			// node 0 emits its stronger edge (input 1) first, as the original.
			want: []Pair{{"a", 1}, {"a", 0}, {"b", 0}, {"a", 2}},
		},
		{
			name: "edge ties keep lower index first",
			ops:  none3,
			w: [][]float64{
				{0, 0.5, 0.5},
				{0, 0.5, 0.5},
				{0, 0.3, 0.7},
				{0, 0.7, 0.3},
				{0, 0.7, 0.1},
			},
			want: []Pair{{"a", 0}, {"a", 1}, {"b", 0}, {"a", 1}},
		},
		{
			name: "tie below a stronger edge",
			ops:  none3,
			w: [][]float64{
				{0, 1, 0},
				{0, 0, 1},
				{0, 0.3, 0},
				{0, 0, 0.5},
				{0, 0.3, 0},
			},
			want: []Pair{{"a", 0}, {"b", 1}, {"b", 1}, {"a", 0}},
		},
		{
			name: "no none: every op competes",
			ops:  []string{"a", "b"},
			w: [][]float64{
				{0.9, 0.1},
				{0.2, 0.8},
			},
			want: []Pair{{"a", 0}, {"b", 1}},
		},
		{
			name: "none in a middle column",
			ops:  []string{"a", "none", "b"},
			w: [][]float64{
				{0.1, 0.8, 0.1},
				{0.2, 0.7, 0.1},
			},
			want: []Pair{{"a", 1}, {"a", 0}},
		},
		{
			name: "three steps",
			ops:  none3,
			w: [][]float64{
				{0, 0.1, 0.9}, {0, 0.8, 0.2}, // node 0
				{0, 0.1, 0.2}, {0, 0.3, 0.1}, {0, 0.1, 0.6}, // node 1: inputs 2, 1
				{0, 0.4, 0.1}, {0, 0.1, 0.1}, {0, 0.2, 0.1}, {0, 0.1, 0.5}, // node 2: inputs 3, 0
			},
			want: []Pair{{"b", 0}, {"a", 1}, {"b", 2}, {"a", 1}, {"b", 3}, {"a", 0}},
		},
		{
			name: "negative and infinite values order as numbers",
			ops:  []string{"a", "b"},
			w: [][]float64{
				{-2, -1},
				{math.Inf(-1), -3},
			},
			want: []Pair{{"b", 0}, {"b", 1}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			steps, err := space.DARTSSteps(len(tt.w))
			if err != nil {
				t.Fatal(err)
			}
			c, err := DARTSRule.DeriveCell("normal", space.DARTSCell(steps, steps), tt.w, tt.ops)
			if err != nil {
				t.Fatal(err)
			}
			if got := c.Pairs(); !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestDeriveErrors(t *testing.T) {
	ops := []string{"none", "a", "b"}
	good := func(rows int) [][]float64 {
		w := make([][]float64, rows)
		for i := range w {
			w[i] = []float64{0.2, 0.3, 0.5}
		}
		return w
	}
	ragged := good(5)
	ragged[3] = []float64{0.5, 0.5}
	nan := good(5)
	nan[4][2] = math.NaN()
	tests := []struct {
		name           string
		normal, reduce [][]float64
		ops            []string
		want           string
	}{
		{"row count", good(6), good(5), ops, "6 edges is not steps*(steps+3)/2"},
		{"no rows", good(5), good(0), ops, "reduce cell: 0 weight rows for a cell of 5 edges"},
		{"ragged", good(5), ragged, ops, "reduce cell: edge 3: 2 weights, want one per primitive (3)"},
		{"columns", good(5), good(5), []string{"none", "a"}, "normal cell: edge 0: 3 weights"},
		{"NaN", nan, good(5), ops, "normal cell: edge 4, op b: weight is NaN"},
		{"steps differ", good(5), good(9), ops, "reduce cell: 9 weight rows for a cell of 5 edges"},
		{"duplicate op", good(5), good(5), []string{"a", "b", "a"}, `primitive "a" listed twice`},
		{"only none", [][]float64{{1}, {1}}, [][]float64{{1}, {1}}, []string{"none"}, "no op other than 'none'"},
		{"no ops", good(2), good(2), nil, "no primitives"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := deriveDARTS(tt.normal, tt.reduce, tt.ops)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestDeriveConcat(t *testing.T) {
	for _, steps := range []int{1, 2, 4, 5} {
		w := make([][]float64, steps*(steps+3)/2)
		for i := range w {
			w[i] = []float64{0.5, 0.5} // none, skip_connect
		}
		for _, mult := range []int{steps, 1} {
			sp := space.DARTS(steps, mult, []string{"none", "skip_connect"})
			g, err := Derive(sp, DARTSRule, map[string][][]float64{"normal": w, "reduce": w})
			if err != nil {
				t.Fatal(err)
			}
			// range(2+steps-multiplier, steps+2), as the original's concat.
			want := []int{}
			for s := 2 + steps - mult; s < steps+2; s++ {
				want = append(want, s)
			}
			n, nc, _, rc, err := g.DARTSFields()
			if err != nil || !slices.Equal(nc, want) || !slices.Equal(rc, want) {
				t.Errorf("steps %d multiplier %d: concat %v / %v (%v), want %v", steps, mult, nc, rc, err, want)
			}
			if len(n) != 2*steps || g.Validate(nil) != nil {
				t.Errorf("steps %d: %v invalid: %v", steps, g, g.Validate(nil))
			}
		}
	}
}

func TestRandom(t *testing.T) {
	sp := space.DARTS(4, 4, dartsOps)
	random := func(seed uint64, sp space.Space) Genotype {
		t.Helper()
		g, err := Random(seed, sp, DARTSRule)
		if err != nil {
			t.Fatalf("Random(%d): %v", seed, err)
		}
		return g
	}
	a := random(1, sp)
	if err := a.Validate(dartsOps); err != nil || !a.IsDARTS() {
		t.Fatalf("Random(1) invalid: %v", err)
	}
	if b := random(1, sp); !a.Equal(b) {
		t.Errorf("same seed, different genotypes:\n%v\n%v", a, b)
	}
	distinct := map[string]bool{}
	for seed := uint64(0); seed < 20; seed++ {
		g := random(seed, sp)
		for _, c := range g.Cells {
			for _, p := range c.Pairs() {
				if p.Op == "none" {
					t.Fatalf("seed %d picked 'none': %v", seed, g)
				}
			}
		}
		distinct[g.String()] = true
	}
	if len(distinct) < 15 {
		t.Errorf("20 seeds gave only %d distinct genotypes", len(distinct))
	}
	for _, steps := range []int{1, 3, 5} {
		g := random(7, space.DARTS(steps, steps, []string{"none", "skip_connect", "sep_conv_3x3"}))
		if n, _, _, rc, err := g.DARTSFields(); err != nil || len(n) != 2*steps || len(rc) != steps {
			t.Errorf("steps %d: got %v", steps, g)
		}
	}
	for _, bad := range []space.Space{space.DARTS(0, 0, dartsOps), space.DARTS(4, 4, []string{"none"}), space.DARTS(4, 4, nil)} {
		if g, err := Random(1, bad, DARTSRule); err == nil {
			t.Errorf("Random(1, %+v) = %v, want an error", bad, g)
		}
	}
}
