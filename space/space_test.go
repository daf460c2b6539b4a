package space

import (
	"slices"
	"strings"
	"testing"
)

// TestDARTSCell holds DARTSCell to the hand-written edge list of
// quark0/darts model_search.py (node i takes j = 0..i+1) and its concat
// range(2+steps-multiplier, steps+2).
func TestDARTSCell(t *testing.T) {
	c := DARTSCell(4, 4)
	want := [][2]int{{0, 0}, {0, 1}, {1, 0}, {1, 1}, {1, 2}, {2, 0}, {2, 1}, {2, 2}, {2, 3}, {3, 0}, {3, 1}, {3, 2}, {3, 3}, {3, 4}}
	if len(c.Edges) != len(want) {
		t.Fatalf("%d edges, want 14", len(c.Edges))
	}
	for i, e := range c.Edges {
		if e.Node != want[i][0] || e.Input != want[i][1] {
			t.Errorf("edge %d = %+v, want node %d input %d", i, e, want[i][0], want[i][1])
		}
	}
	if !slices.Equal(c.Concat, []int{2, 3, 4, 5}) {
		t.Errorf("concat %v, want [2 3 4 5]", c.Concat)
	}
	if got := DARTSCell(4, 2).Concat; !slices.Equal(got, []int{4, 5}) {
		t.Errorf("multiplier 2: concat %v, want [4 5]", got)
	}
	if got := c.InEdges(2); !slices.Equal(got, []int{5, 6, 7, 8}) {
		t.Errorf("edges into node 2: %v, want [5 6 7 8]", got)
	}
	if got := c.EdgeName(6); got != "node 2 ← c_{k-1}" {
		t.Errorf("EdgeName(6) = %q", got)
	}
	if err := c.Validate(); err != nil {
		t.Error(err)
	}
	for steps := 1; steps <= 6; steps++ {
		n, err := DARTSSteps(len(DARTSCell(steps, steps).Edges))
		if err != nil || n != steps {
			t.Errorf("DARTSSteps(%d edges) = %d, %v; want %d", len(DARTSCell(steps, steps).Edges), n, err, steps)
		}
	}
	for _, bad := range []int{0, 1, 3, 13, 15} {
		if _, err := DARTSSteps(bad); err == nil {
			t.Errorf("DARTSSteps(%d): no error", bad)
		}
	}
}

func TestCellValidate(t *testing.T) {
	ok := Cell{Inputs: 1, Nodes: 2, Edges: []Edge{{0, 0}, {1, 0}, {1, 1}}, Concat: []int{2}}
	if err := ok.Validate(); err != nil {
		t.Fatalf("valid cell: %v", err)
	}
	for _, tc := range []struct {
		name string
		edit func(*Cell)
		want string
	}{
		{"no inputs", func(c *Cell) { c.Inputs = 0 }, "inputs"},
		{"no nodes", func(c *Cell) { c.Nodes = 0 }, "intermediate nodes"},
		{"node out of range", func(c *Cell) { c.Edges[2].Node = 2 }, "node 2"},
		{"reads a later node", func(c *Cell) { c.Edges[0].Input = 1 }, "reads state 1"},
		{"ungrouped", func(c *Cell) { c.Edges = []Edge{{1, 0}, {0, 0}, {1, 1}} }, "grouped"},
		{"duplicate", func(c *Cell) { c.Edges = []Edge{{0, 0}, {1, 0}, {1, 0}} }, "twice"},
		{"orphan node", func(c *Cell) { c.Edges = []Edge{{1, 0}} }, "node 0 has no incoming edge"},
		{"empty concat", func(c *Cell) { c.Concat = nil }, "empty concat"},
		{"concat out of range", func(c *Cell) { c.Concat = []int{3} }, "state 3"},
		{"concat repeated", func(c *Cell) { c.Concat = []int{2, 2} }, "repeated"},
	} {
		c := ok
		c.Edges = slices.Clone(ok.Edges)
		tc.edit(&c)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want one mentioning %q", tc.name, err, tc.want)
		}
	}
}

func TestOpSet(t *testing.T) {
	d, err := OpSet("darts")
	if err != nil || !slices.Equal(d, DARTSOps) {
		t.Fatalf("OpSet(darts) = %v, %v", d, err)
	}
	d[0] = "changed"
	if again, _ := OpSet("darts"); again[0] != "none" {
		t.Error("OpSet returned the registry's own slice")
	}
	got, err := OpSet(" skip_connect, sep_conv_7x7 ,")
	if err != nil || !slices.Equal(got, []string{"skip_connect", "sep_conv_7x7"}) {
		t.Errorf("list: %v, %v", got, err)
	}
	for spec, want := range map[string]string{
		"":                        "empty",
		"skip_connect,bogus":      `unknown op "bogus"`,
		"none,none":               "twice",
		"skip_connect,max_pool_9": "known: ",
	} {
		if _, err := OpSet(spec); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("OpSet(%q): err = %v, want %q", spec, err, want)
		}
	}
}

func TestRegisterOp(t *testing.T) {
	if err := RegisterOp("space_test_op"); err != nil {
		t.Fatal(err)
	}
	if !IsOp("space_test_op") || !slices.Contains(Ops(), "space_test_op") {
		t.Error("registered op not listed")
	}
	if err := RegisterOp("space_test_op"); err == nil {
		t.Error("second registration: no error")
	}
	for _, bad := range []string{"", "a,b", "a b", "a~b", "x|y", "it's"} {
		if err := RegisterOp(bad); err == nil {
			t.Errorf("RegisterOp(%q): no error", bad)
		}
	}
	if err := RegisterOpSet("space_test_set", []string{"skip_connect", "nope"}); err == nil {
		t.Error("op set with an unknown op: no error")
	}
}

func TestSpace(t *testing.T) {
	s := DARTS(4, 4, DARTSOps)
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	ts := s.Tensors()
	if len(ts) != 2 || ts[0].Name != "normal" || ts[0].Param != "alphas_normal" || ts[1].Cell != "reduce" || len(ts[1].Cols) != 8 {
		t.Errorf("tensors %+v", ts)
	}
	if _, ok := s.CellType("reduce"); !ok {
		t.Error("no reduce cell")
	}
	bad := s
	bad.Ops = []string{"none", "none"}
	if err := bad.Validate(); err == nil {
		t.Error("duplicate op: no error")
	}
}

// TestNB201Cell holds the NAS-Bench-201 cell to AutoDL's edge keys
// "1<-0", "2<-0", "2<-1", "3<-0", "3<-1", "3<-2" (nodes counted from the
// input, node 0).
func TestNB201Cell(t *testing.T) {
	c := NB201Cell()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for e := range c.Edges {
		keys = append(keys, c.EdgeName(e))
	}
	want := []string{"node 1 ← node 0", "node 2 ← node 0", "node 2 ← node 1", "node 3 ← node 0", "node 3 ← node 1", "node 3 ← node 2"}
	if !slices.Equal(keys, want) {
		t.Errorf("edges %q, want %q", keys, want)
	}
	if !slices.Equal(c.Concat, []int{3}) {
		t.Errorf("output %v, want node 3 (state 3)", c.Concat)
	}
	sp := NB201(NB201Ops)
	if err := sp.Validate(); err != nil {
		t.Fatal(err)
	}
	if ts := sp.Tensors(); len(ts) != 1 || ts[0].Name != "cell" || len(ts[0].Cols) != 5 {
		t.Errorf("tensors %+v", ts)
	}
}

// TestEdgeTensors: a space with edge tensors lists them after the op
// tensors, one per cell type of one column, and Validate rejects extra
// tensors that collide, name no cell, are not edge tensors or are wider.
func TestEdgeTensors(t *testing.T) {
	s := DARTS(4, 4, DARTSOps).WithEdgeTensors()
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	ts := s.Tensors()
	var names []string
	for _, x := range ts {
		names = append(names, x.Name+"/"+x.Param+"/"+x.Kind)
	}
	want := []string{"normal/alphas_normal/", "reduce/alphas_reduce/", "beta_normal/betas_normal/edge", "beta_reduce/betas_reduce/edge"}
	if !slices.Equal(names, want) {
		t.Errorf("tensors %q, want %q", names, want)
	}
	if e, ok := s.EdgeTensorOf("reduce"); !ok || e.Name != "beta_reduce" || len(e.Cols) != 1 {
		t.Errorf("EdgeTensorOf(reduce) = %+v, %v", e, ok)
	}
	if _, ok := DARTS(4, 4, DARTSOps).EdgeTensorOf("normal"); ok {
		t.Error("a DARTS space without edge tensors has one")
	}
	for _, tc := range []struct {
		name string
		edit func(*Space)
		want string
	}{
		{"clash with an op tensor", func(s *Space) { s.Extra[0].Name = "reduce" }, "taken"},
		{"clash of parameters", func(s *Space) { s.Extra[1].Param = "betas_normal" }, "taken"},
		{"unknown cell", func(s *Space) { s.Extra[0].Cell = "stem" }, `cell "stem"`},
		{"op kind", func(s *Space) { s.Extra[0].Kind = KindOps }, "must be of kind"},
		{"two columns", func(s *Space) { s.Extra[0].Cols = []string{"a", "b"} }, "2 columns"},
		{"two of a cell", func(s *Space) { s.Extra[1].Cell = "normal" }, "second edge tensor"},
		{"no parameter", func(s *Space) { s.Extra[1].Param = "" }, "parameter name"},
	} {
		bad := DARTS(4, 4, DARTSOps).WithEdgeTensors()
		tc.edit(&bad)
		if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want one mentioning %q", tc.name, err, tc.want)
		}
	}
}
