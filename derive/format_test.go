package derive

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The published genotypes of the DARTS paper (cnn/genotypes.py).
var (
	dartsV1 = MustDARTS(
		[]Pair{{"sep_conv_3x3", 1}, {"sep_conv_3x3", 0}, {"skip_connect", 0}, {"sep_conv_3x3", 1},
			{"skip_connect", 0}, {"sep_conv_3x3", 1}, {"sep_conv_3x3", 0}, {"skip_connect", 2}},
		[]int{2, 3, 4, 5},
		[]Pair{{"max_pool_3x3", 0}, {"max_pool_3x3", 1}, {"skip_connect", 2}, {"max_pool_3x3", 0},
			{"max_pool_3x3", 0}, {"skip_connect", 2}, {"skip_connect", 2}, {"avg_pool_3x3", 0}},
		[]int{2, 3, 4, 5},
	)
	dartsV2 = MustDARTS(
		[]Pair{{"sep_conv_3x3", 0}, {"sep_conv_3x3", 1}, {"sep_conv_3x3", 0}, {"sep_conv_3x3", 1},
			{"sep_conv_3x3", 1}, {"skip_connect", 0}, {"skip_connect", 0}, {"dil_conv_3x3", 2}},
		[]int{2, 3, 4, 5},
		[]Pair{{"max_pool_3x3", 0}, {"max_pool_3x3", 1}, {"skip_connect", 2}, {"max_pool_3x3", 1},
			{"max_pool_3x3", 0}, {"skip_connect", 2}, {"skip_connect", 2}, {"max_pool_3x3", 1}},
		[]int{2, 3, 4, 5},
	)
)

// dartsV2Text is DARTS_V2 as the original genotypes.py prints it.
const dartsV2Text = "Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 1), ('skip_connect', 0), ('skip_connect', 0), ('dil_conv_3x3', 2)], normal_concat=[2, 3, 4, 5], reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 1), ('max_pool_3x3', 0), ('skip_connect', 2), ('skip_connect', 2), ('max_pool_3x3', 1)], reduce_concat=[2, 3, 4, 5])"

func TestFormatDARTS(t *testing.T) {
	if got := dartsV2.String(); got != dartsV2Text {
		t.Errorf("String():\ngot  %s\nwant %s", got, dartsV2Text)
	}
	v1, err := os.ReadFile(filepath.Join("testdata", "darts_v1.txt"))
	if err != nil {
		t.Fatal(err)
	}
	want := strings.TrimPrefix(strings.TrimSpace(string(v1)), "DARTS_V1 = ")
	if got, err := dartsV1.FormatDARTS(); err != nil || got != want {
		t.Errorf("FormatDARTS():\ngot  %s\nwant %s", got, want)
	}
	nb := Genotype{Space: "nas-bench-201", Cells: []Cell{{Name: "cell", Inputs: 1, Nodes: [][]Pair{{{"skip_connect", 0}}, {{"none", 0}, {"nor_conv_3x3", 1}}}, Concat: []int{2}}}}
	if _, err := nb.FormatDARTS(); err == nil || !strings.Contains(err.Error(), "not of the DARTS format") {
		t.Errorf("FormatDARTS of a NAS-Bench-201 cell: err = %v", err)
	}
	if got, want := nb.String(), "|skip_connect~0|+|none~0|nor_conv_3x3~1|"; got != want {
		t.Errorf("String of a NAS-Bench-201 cell = %s, want %s", got, want)
	}
}

func TestTextRoundTrip(t *testing.T) {
	for _, text := range []string{dartsV2Text, dartsV1.String()} {
		g, err := ParseText(strings.NewReader(text))
		if err != nil {
			t.Fatal(err)
		}
		if got := g.String(); got != text {
			t.Errorf("text → Genotype → text:\ngot  %s\nwant %s", got, text)
		}
	}
}

func TestPyRepr(t *testing.T) {
	tests := []struct{ in, want string }{
		{"sep_conv_3x3", `'sep_conv_3x3'`},
		{"it's", `"it's"`},
		{`it's "x"`, `'it\'s "x"'`},
		{"a\\b", `'a\\b'`},
		{"a\nb\tc", `'a\nb\tc'`},
		{"\x01", `'\x01'`},
		{"é", `'é'`},
	}
	for _, tt := range tests {
		if got := pyRepr(tt.in); got != tt.want {
			t.Errorf("pyRepr(%q) = %s, want %s", tt.in, got, tt.want)
		}
		// What pyRepr writes, the text scanner reads back.
		p := &textParser{src: tt.want, line: 1, col: 1}
		tok, err := p.scan()
		if err != nil || tok.kind != tokString || tok.text != tt.in {
			t.Errorf("scan(%s) = %q, %v; want %q", tt.want, tok.text, err, tt.in)
		}
	}
}

func TestMarshalJSON(t *testing.T) {
	b, err := json.Marshal(dartsV2)
	if err != nil {
		t.Fatal(err)
	}
	// Decode generically so the test does not depend on UnmarshalJSON.
	var raw map[string]any
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	if len(raw) != 4 {
		t.Errorf("got keys %v, want normal, normal_concat, reduce, reduce_concat", raw)
	}
	first := raw["normal"].([]any)[0].([]any)
	if first[0] != "sep_conv_3x3" || first[1] != 0.0 {
		t.Errorf("normal[0] = %v, want [sep_conv_3x3 0]", first)
	}
	if c := raw["reduce_concat"].([]any); len(c) != 4 || c[0] != 2.0 || c[3] != 5.0 {
		t.Errorf("reduce_concat = %v", c)
	}

	direct, _ := dartsV2.MarshalJSON()
	if !strings.HasPrefix(string(direct), `{"normal": [["sep_conv_3x3", 0], ["sep_conv_3x3", 1],`) ||
		!strings.HasSuffix(string(direct), `"reduce_concat": [2, 3, 4, 5]}`) {
		t.Errorf("MarshalJSON layout: %s", direct)
	}

	var back Genotype
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !back.Equal(dartsV2) {
		t.Errorf("JSON round trip: got %v", back)
	}
	// A cell the DARTS form cannot hold (a node with one input, as
	// FairDARTS's threshold rule gives) goes to the general form and back.
	fair := dartsV2.Clone()
	fair.Cells[0].Nodes[2] = fair.Cells[0].Nodes[2][:1]
	fair.Cells[0].Nodes[3] = nil
	fair.Cells[0].Concat = []int{2, 3, 4}
	fj, err := json.Marshal(fair)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(fj), `{"space":"darts","cells":[{"name":"normal","inputs":2,"nodes":[[["sep_conv_3x3",0],["sep_conv_3x3",1]],`) {
		t.Errorf("general form: %s", fj)
	}
	var fback Genotype
	if err := json.Unmarshal(fj, &fback); err != nil || !fback.Equal(fair) {
		t.Errorf("general JSON round trip: %v, %v", fback, err)
	}
}

func TestUnmarshalJSONErrors(t *testing.T) {
	const concat = `"normal_concat": [2], "reduce": [["a", 0], ["b", 1]], "reduce_concat": [2]`
	tests := []struct{ in, want string }{
		{`[]`, "cannot unmarshal array"},
		{`{"normal": [["a", 0], ["b", 1]], "reduce": [["a", 0], ["b", 1]], "reduce_concat": [2]}`, `missing field "normal_concat"`},
		{`{"space": "darts", "cells": []}`, `cells: want a non-empty list`},
		{`{"space": "darts", "cells": [{"name": "normal", "inputs": 2, "nodes": [[["a", 0]]]}]}`, `cells[0]: missing field "concat"`},
		{`{"space": "darts", "cells": [{"name": "normal", "inputs": 2, "nodes": [["a", 0]], "concat": [2]}]}`, `cells[0].nodes[0][0]: want ["op", input]`},
		{`{"space": "darts", "cells": [{"name": "n", "input": 2, "nodes": [], "concat": [2]}]}`, `unknown field "input"`},
		{`{"space": 3, "cells": [{"name": "n", "inputs": 2, "nodes": [], "concat": [2]}]}`, `space: want a string`},
		{`{"cells": [], "reduce": []}`, `unknown field "reduce" (want space and cells)`},
		{`{"normal": [], "normals": [], ` + concat + `}`, `unknown field "normals"`},
		{`{"normal": [["a", 0, 1]], ` + concat + `}`, `normal[0]: want ["op", input], got ["a", 0, 1]`},
		{`{"normal": [["a"]], ` + concat + `}`, `normal[0]`},
		{`{"normal": [[0, 0]], ` + concat + `}`, `normal[0]`},
		{`{"normal": [["a", 1.5]], ` + concat + `}`, `normal[0]`},
		{`{"normal": [["a", null]], ` + concat + `}`, `normal[0]`},
		{`{"normal": [("a", 1)], ` + concat + `}`, `invalid character '('`},
		{`{"normal": {}, ` + concat + `}`, `normal: want a list of [op, input] pairs`},
		{`{"normal": null, ` + concat + `}`, `normal: want a list`},
		{`{"normal": [], "normal_concat": "2", "reduce": [], "reduce_concat": [2]}`, `normal_concat: want a list of integers, got "2"`},
	}
	g := dartsV1
	if err := json.Unmarshal([]byte("null"), &g); err != nil || !g.Equal(dartsV1) {
		t.Errorf("Unmarshal(null) = %v, changed to %v; want a no-op", err, g)
	}
	for _, tt := range tests {
		var g Genotype
		err := json.Unmarshal([]byte(tt.in), &g)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Unmarshal(%s): got %v, want an error containing %q", tt.in, err, tt.want)
		}
	}
}
