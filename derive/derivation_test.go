package derive

import (
	"math"
	"slices"
	"strings"
	"testing"
)

// dartsOps is the DARTS op set in the original column order.
var dartsOps = []string{"none", "max_pool_3x3", "avg_pool_3x3", "skip_connect",
	"sep_conv_3x3", "sep_conv_5x5", "dil_conv_3x3", "dil_conv_5x5"}

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
			got, err := DeriveCell(tt.w, tt.ops)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// weightsFor builds a 14×8 weight matrix from which the DARTS rule must
// derive cell: on each node's first pair the chosen op gets 0.6, on the
// second 0.5, everything else 0.05, and 'none' 0.9 everywhere so that a
// rule counting 'none' would pick wrong edges and ops.
func weightsFor(t *testing.T, cell []Pair, ops []string) [][]float64 {
	t.Helper()
	var w [][]float64
	for node := 0; node < len(cell)/2; node++ {
		rows := make([][]float64, node+2)
		for j := range rows {
			rows[j] = make([]float64, len(ops))
			for k := range rows[j] {
				rows[j][k] = 0.05
			}
			rows[j][0] = 0.9
		}
		for r, p := range cell[2*node : 2*node+2] {
			k := slices.Index(ops, p.Op)
			if k < 0 {
				t.Fatalf("op %q not in ops", p.Op)
			}
			rows[p.Input][k] = 0.6 - 0.1*float64(r)
		}
		w = append(w, rows...)
	}
	return w
}

func TestDeriveReproducesPublished(t *testing.T) {
	for name, g := range map[string]Genotype{"DARTS_V1": dartsV1, "DARTS_V2": dartsV2} {
		t.Run(name, func(t *testing.T) {
			got, err := Derive(weightsFor(t, g.Normal, dartsOps), weightsFor(t, g.Reduce, dartsOps), dartsOps)
			if err != nil {
				t.Fatal(err)
			}
			if !got.Equal(g) {
				t.Errorf("got  %v\nwant %v", got, g)
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
		{"row count", good(6), good(5), ops, "normal cell: 6 weight rows"},
		{"no rows", good(5), good(0), ops, "reduce cell: 0 weight rows"},
		{"ragged", good(5), ragged, ops, "reduce cell: edge 3: 2 weights, want one per primitive (3)"},
		{"columns", good(5), good(5), []string{"none", "a"}, "normal cell: edge 0: 3 weights"},
		{"NaN", nan, good(5), ops, "normal cell: edge 4, op b: weight is NaN"},
		{"steps differ", good(5), good(9), ops, "normal cell has 2 nodes (5 rows) but reduce cell has 3 (9 rows)"},
		{"duplicate op", good(5), good(5), []string{"a", "b", "a"}, `primitive "a" listed twice`},
		{"only none", [][]float64{{1}, {1}}, [][]float64{{1}, {1}}, []string{"none"}, "no op other than 'none'"},
		{"no ops", good(2), good(2), nil, "no primitives"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Derive(tt.normal, tt.reduce, tt.ops)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestStepsForEdges(t *testing.T) {
	for steps := 1; steps <= 8; steps++ {
		edges := 0
		for i := 0; i < steps; i++ {
			edges += i + 2
		}
		got, err := StepsForEdges(edges)
		if err != nil || got != steps {
			t.Errorf("StepsForEdges(%d) = %d, %v; want %d", edges, got, err, steps)
		}
	}
	for _, bad := range []int{-1, 0, 1, 3, 4, 13, 15} {
		if s, err := StepsForEdges(bad); err == nil {
			t.Errorf("StepsForEdges(%d) = %d, want an error", bad, s)
		}
	}
}

func TestDeriveConcat(t *testing.T) {
	for _, steps := range []int{1, 2, 4, 5} {
		w := make([][]float64, steps*(steps+3)/2)
		for i := range w {
			w[i] = []float64{0.5, 0.5}
		}
		g, err := Derive(w, w, []string{"a", "b"})
		if err != nil {
			t.Fatal(err)
		}
		want := []int{}
		for s := 2; s < steps+2; s++ {
			want = append(want, s)
		}
		if !slices.Equal(g.NormalConcat, want) || !slices.Equal(g.ReduceConcat, want) {
			t.Errorf("steps %d: concat %v / %v, want %v", steps, g.NormalConcat, g.ReduceConcat, want)
		}
		if len(g.Normal) != 2*steps || g.Validate([]string{"a", "b"}) != nil {
			t.Errorf("steps %d: %v invalid: %v", steps, g, g.Validate([]string{"a", "b"}))
		}
	}
}

func TestRandom(t *testing.T) {
	a := Random(1, dartsOps, 4)
	if err := a.Validate(dartsOps); err != nil {
		t.Fatalf("Random(1) invalid: %v", err)
	}
	if b := Random(1, dartsOps, 4); !a.Equal(b) {
		t.Errorf("same seed, different genotypes:\n%v\n%v", a, b)
	}
	distinct := map[string]bool{}
	for seed := uint64(0); seed < 20; seed++ {
		g := Random(seed, dartsOps, 4)
		for _, p := range append(slices.Clone(g.Normal), g.Reduce...) {
			if p.Op == "none" {
				t.Fatalf("seed %d picked 'none': %v", seed, g)
			}
		}
		distinct[g.String()] = true
	}
	if len(distinct) < 15 {
		t.Errorf("20 seeds gave only %d distinct genotypes", len(distinct))
	}
	for _, steps := range []int{1, 3, 5} {
		if g := Random(7, []string{"none", "skip_connect", "sep_conv_3x3"}, steps); len(g.Normal) != 2*steps || len(g.ReduceConcat) != steps {
			t.Errorf("steps %d: got %v", steps, g)
		}
	}
	for _, bad := range []struct {
		ops   []string
		steps int
	}{{dartsOps, 0}, {[]string{"none"}, 4}, {nil, 4}} {
		if g := Random(1, bad.ops, bad.steps); !g.Equal(Genotype{}) {
			t.Errorf("Random(1, %q, %d) = %v, want zero", bad.ops, bad.steps, g)
		}
	}
}
