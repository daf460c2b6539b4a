package derive

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadFileTestdata(t *testing.T) {
	tests := []struct {
		file string
		want Genotype
	}{
		{"darts_v1.txt", dartsV1},
		{"darts_v2_multiline.txt", dartsV2},
		{"darts_v2_nested.txt", dartsV2},
		{"darts_v2.json", dartsV2},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			g, err := ReadFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if !g.Equal(tt.want) {
				t.Errorf("got  %v\nwant %v", g, tt.want)
			}
		})
	}
}

// small is a one-node genotype written out in the variants ParseText takes.
var small = MustDARTS(
	[]Pair{{"sep_conv_3x3", 1}, {"skip_connect", 0}},
	[]int{2},
	[]Pair{{"max_pool_3x3", 0}, {"nor_conv_1x1", 1}},
	[]int{2},
)

func TestParseTextVariants(t *testing.T) {
	inputs := map[string]string{
		"canonical":    "Genotype(normal=[('sep_conv_3x3', 1), ('skip_connect', 0)], normal_concat=[2], reduce=[('max_pool_3x3', 0), ('nor_conv_1x1', 1)], reduce_concat=[2])",
		"range":        "Genotype(normal=[('sep_conv_3x3', 1), ('skip_connect', 0)], normal_concat=range(2, 3), reduce=[('max_pool_3x3', 0), ('nor_conv_1x1', 1)], reduce_concat=range(2,3))",
		"list(range)":  "Genotype(normal=[('sep_conv_3x3', 1), ('skip_connect', 0)], normal_concat=list(range(2, 3)), reduce=[('max_pool_3x3', 0), ('nor_conv_1x1', 1)], reduce_concat=range(2, 3, 1))",
		"double":       `Genotype(normal=[("sep_conv_3x3", 1), ("skip_connect", 0)], normal_concat=[2], reduce=[("max_pool_3x3", 0), ("nor_conv_1x1", 1)], reduce_concat=[2])`,
		"python2 u":    "Genotype(normal=[(u'sep_conv_3x3', 1), (u'skip_connect', 0)], normal_concat=[2], reduce=[(u'max_pool_3x3', 0), (u'nor_conv_1x1', 1)], reduce_concat=[2])",
		"prefix":       "Genotype = Genotype(normal=[('sep_conv_3x3', 1), ('skip_connect', 0)], normal_concat=[2], reduce=[('max_pool_3x3', 0), ('nor_conv_1x1', 1)], reduce_concat=[2])",
		"named":        "MY_NET = genotypes.Genotype(normal=[('sep_conv_3x3', 1), ('skip_connect', 0)], normal_concat=[2], reduce=[('max_pool_3x3', 0), ('nor_conv_1x1', 1)], reduce_concat=[2]);\n",
		"nested":       "Genotype(normal=[[('sep_conv_3x3', 1), ('skip_connect', 0)]], normal_concat=[2], reduce=[[('max_pool_3x3', 0), ('nor_conv_1x1', 1)]], reduce_concat=[2])",
		"lists":        "Genotype(normal=[['sep_conv_3x3', 1], ['skip_connect', 0]], normal_concat=(2,), reduce=(('max_pool_3x3', 0), ('nor_conv_1x1', 1),), reduce_concat=[2,])",
		"reordered":    "Genotype(reduce_concat=[2], reduce=[('max_pool_3x3', 0), ('nor_conv_1x1', 1)], normal_concat=[2], normal=[('sep_conv_3x3', 1), ('skip_connect', 0)])",
		"positional":   "Genotype([('sep_conv_3x3', 1), ('skip_connect', 0)], [2], reduce=[('max_pool_3x3', 0), ('nor_conv_1x1', 1)], reduce_concat=[2])",
		"bom, spacing": "\ufeff\n\n  Genotype (\n\tnormal = [ ( 'sep_conv_3x3' , 1 ) ,\r\n ('skip_connect',0) ] ,\n normal_concat = [ 2 ] , # the output\n reduce=[('max_pool_3x3',0),('nor_conv_1x1',1)],reduce_concat=[2],\n)\n\n",
	}
	for name, in := range inputs {
		t.Run(name, func(t *testing.T) {
			g, err := ParseText(strings.NewReader(in))
			if err != nil {
				t.Fatal(err)
			}
			if !g.Equal(small) {
				t.Errorf("got  %v\nwant %v", g, small)
			}
			// Parse must sniff it as text and agree.
			if g2, err := Parse(strings.NewReader(in)); err != nil || !g2.Equal(small) {
				t.Errorf("Parse: %v, %v", g2, err)
			}
		})
	}
}

func TestParseTextErrors(t *testing.T) {
	const tail = ", normal_concat=[2], reduce=[('max_pool_3x3', 0), ('skip_connect', 1)], reduce_concat=[2])"
	tests := []struct{ in, want string }{
		{"", "line 1, col 1: empty input"},
		{"   \n  ", "line 2, col 3: empty input"},
		{"Genotyp(normal=[]" + tail, `want Genotype(...), got 'Genotyp'`},
		{"Genotype normal", `line 1, col 10: want '(', got 'normal'`},
		{"Genotype(normal=[('sep_conv_3x3', 0), ('skip_connect', 1)]" + tail + " extra", `unexpected 'extra' after Genotype(...)`},
		{"Genotype(normal=[('sep_conv_3x3', 0), ('skip_connect', 1)]" + tail + "\nGenotype()", "line 2, col 1: unexpected 'Genotype'"},
		{"Genotype(normal=[('sep_conv_3x3', 0), ('skip_connect', 1)], normal_concat=[2])", `Genotype(...) has no reduce`},
		{"Genotype(normal=[], normal=[]" + tail, `field "normal" given twice`},
		{"Genotype(normals=[]" + tail, `unknown field "normals"`},
		{"Genotype(normal=[('sep_conv_3x3', 0)), normal_concat=[2])", `want ',' or ']', got ')'`},
		{"Genotype(normal=[('sep_conv_3x3', 0), ('skip_connect', 1)] normal_concat=[2])", `want ',' or ')' after normal, got 'normal_concat'`},
		{"Genotype(normal=[('sep_conv_3x3, 0)]\n" + tail, "line 1, col 19: unterminated string"},
		{"Genotype(normal=[('sep_conv_3x3', 0), ('skip_connect', x)]" + tail, `unexpected name "x"`},
		{"Genotype(normal=[('sep_conv_3x3', 0), ('skip_connect', 1.0)]" + tail, `unexpected character '.'`},
		{"Genotype(normal=[('sep_conv_3x3', 0), ('skip_connect', 99999999999)]" + tail, `bad integer "99999999999"`},
		{"Genotype(normal=[('sep_conv_3x3', 0), 'skip_connect']" + tail, `normal[1]: want ('op', input) or a list of such pairs`},
		{"Genotype(normal=[('sep_conv_3x3', 0), (1, 'skip_connect')]" + tail, `normal[1]: want ('op', input)`},
		{"Genotype(normal=[[('sep_conv_3x3', 0), 3]]" + tail, `normal[0]: want ('op', input)`},
		{"Genotype(normal='sep_conv_3x3'" + tail, `normal: want a list of ('op', input) pairs`},
		{"Genotype(normal=[('sep_conv_3x3', 0), ('skip_connect', 1)], normal_concat=2, reduce=[], reduce_concat=[])", `normal_concat: want a list of integers`},
		{"Genotype(normal=[('sep_conv_3x3', 0), ('skip_connect', 1)], normal_concat=['2'], reduce=[], reduce_concat=[])", `normal_concat[0]: want an integer`},
		{"Genotype(normal=[('sep_conv_3x3', 0), ('skip_connect', 1)], normal_concat=range(0, 9999), reduce=[], reduce_concat=[])", `range longer than 1000`},
		{"Genotype(normal=[('sep_conv_3x3', 0), ('skip_connect', 1)], normal_concat=range(2, 6, 0), reduce=[], reduce_concat=[])", `range step must not be zero`},
		{"Genotype(normal=[('sep_conv_3x3', 0), ('skip_connect', 1)], normal_concat=range(), reduce=[], reduce_concat=[])", `range: want an integer, got ')'`},
		{"Genotype(normal=[('sep_conv_3x3', 0), ('skip_connect', 1)], normal_concat=list(2), reduce=[], reduce_concat=[])", `list(...) of a non-sequence`},
		{"Genotype([], [], [], [], [])", `more than 4 arguments`},
		{"Genotype(normal=[], [2], [], [])", `positional argument after keyword argument`},
		{"Genotype(normal=" + strings.Repeat("[", 40) + strings.Repeat("]", 40) + tail, `nested deeper than 32`},
		{"Genotype(normal=[('sep_conv_3x3', 0), ('skip_connect', '\\x4')]" + tail, `bad \x escape "4'"`},
		{"Genotype(normal=[('sep_conv_3x3', 0), ('skip_connect', '\\x4", `truncated \x escape`},
		{"Genotype(normal=[('sep_conv_3x3', 0), ('skip_connect', 1)]" + tail + " @", `unexpected character '@'`},
		// Structural errors come from Validate.
		{"Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_9x9', 1)]" + tail, `normal cell: node 0 input 1: unknown op "sep_conv_9x9" (known: avg_pool_3x3, conv_7x1_1x7, dil_conv_3x3`},
		{"Genotype(normal=[('sep_conv_3x3', 0), ('skip_connect', 2)]" + tail, `normal cell: pair 1 (node 0): input 2 out of range 0..1`},
		{"Genotype(normal=[('sep_conv_3x3', 0)], normal_concat=[2], reduce=[('max_pool_3x3', 0)], reduce_concat=[2])", `normal cell: 1 pairs, want an even number`},
	}
	for _, tt := range tests {
		_, err := ParseText(strings.NewReader(tt.in))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseText(%q):\n got error %v\nwant one containing %q", tt.in, err, tt.want)
		}
	}
}

func TestParseSniff(t *testing.T) {
	j, _ := dartsV2.MarshalJSON()
	for name, in := range map[string]string{
		"json":          string(j),
		"json spaced":   "\n  \t" + string(j) + "\n",
		"json with BOM": "\ufeff" + string(j),
		"text":          dartsV2Text,
	} {
		g, err := Parse(strings.NewReader(in))
		if err != nil || !g.Equal(dartsV2) {
			t.Errorf("%s: got %v, %v", name, g, err)
		}
	}
	// JSON is validated like text.
	bad := `{"normal": [["sep_conv_3x3", 0], ["conv_9x9", 1]], "normal_concat": [2], "reduce": [["max_pool_3x3", 0], ["skip_connect", 1]], "reduce_concat": [2]}`
	if _, err := Parse(strings.NewReader(bad)); err == nil || !strings.Contains(err.Error(), `normal cell: node 0 input 1: unknown op "conv_9x9"`) {
		t.Errorf("invalid JSON genotype: got %v", err)
	}
	if _, err := Parse(strings.NewReader(`{"normal": [] } trailing`)); err == nil || !strings.Contains(err.Error(), "genotype JSON") {
		t.Errorf("malformed JSON: got %v", err)
	}
	if _, err := Parse(strings.NewReader(strings.Repeat(" ", maxGenotypeBytes+1))); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("oversized input: got %v", err)
	}
}

func TestReadFileErrors(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.txt")
	if _, err := ReadFile(missing); !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), missing) {
		t.Errorf("missing file: got %v", err)
	}
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"normal": 3}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadFile(bad); err == nil || !strings.HasPrefix(err.Error(), bad+": genotype JSON") {
		t.Errorf("bad file: got %v", err)
	}
}

func TestValidate(t *testing.T) {
	ops := []string{"none", "skip_connect", "sep_conv_3x3"}
	with := func(f func(g *Genotype)) Genotype {
		g := MustDARTS(
			[]Pair{{"sep_conv_3x3", 0}, {"skip_connect", 1}, {"sep_conv_3x3", 2}, {"none", 0}},
			[]int{2, 3},
			[]Pair{{"skip_connect", 1}, {"sep_conv_3x3", 0}, {"skip_connect", 1}, {"skip_connect", 2}},
			[]int{3, 2},
		)
		f(&g)
		return g
	}
	if err := with(func(*Genotype) {}).Validate(ops); err != nil {
		t.Fatalf("valid genotype: %v", err)
	}
	if err := dartsV2.Validate(dartsOps); err != nil {
		t.Errorf("DARTS_V2: %v", err)
	}
	tests := []struct {
		name string
		g    Genotype
		want string
	}{
		{"unknown op", with(func(g *Genotype) { g.Cells[1].Nodes[1][1].Op = "max_pool_3x3" }),
			`reduce cell: node 1 input 1: unknown op "max_pool_3x3" (known: none, skip_connect, sep_conv_3x3)`},
		{"input too large", with(func(g *Genotype) { g.Cells[0].Nodes[1][1].Input = 3 }),
			`normal cell: node 1 input 1: state 3 out of range 0..2`},
		{"negative input", with(func(g *Genotype) { g.Cells[1].Nodes[0][0].Input = -1 }),
			`reduce cell: node 0 input 0: state -1 out of range 0..1`},
		{"no nodes", with(func(g *Genotype) { g.Cells[1].Nodes = nil }),
			`reduce cell: no nodes`},
		{"no inputs", with(func(g *Genotype) { g.Cells[0].Inputs = 0 }),
			`normal cell: 0 inputs`},
		{"no cells", Genotype{}, `no cells`},
		{"cell twice", with(func(g *Genotype) { g.Cells[1].Name = "normal" }), `cell "normal" appears twice`},
		{"empty concat", with(func(g *Genotype) { g.Cells[0].Concat = nil }),
			`normal cell: concat is empty`},
		{"concat out of range", with(func(g *Genotype) { g.Cells[1].Concat = []int{2, 4} }),
			`reduce cell: concat[1]: state 4 out of range 0..3`},
		{"concat repeated", with(func(g *Genotype) { g.Cells[0].Concat = []int{2, 3, 2} }),
			`normal cell: concat[2]: state 2 repeated`},
		{"concat of an empty node", with(func(g *Genotype) { g.Cells[0].Nodes[1] = nil }),
			`normal cell: concat[1]: state 3 is a node without inputs`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.g.Validate(ops)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
	// The DARTS format's own shape rules.
	for _, tc := range []struct {
		name   string
		n, r   []Pair
		nc, rc []int
		want   string
	}{
		{"odd pairs", []Pair{{"none", 0}}, []Pair{{"none", 0}, {"none", 1}}, []int{2}, []int{2}, `normal cell: 1 pairs, want an even number`},
		{"no pairs", []Pair{{"none", 0}, {"none", 1}}, nil, []int{2}, []int{2}, `reduce cell: no pairs`},
		{"input too large", []Pair{{"none", 0}, {"none", 2}}, []Pair{{"none", 0}, {"none", 1}}, []int{2}, []int{2}, `normal cell: pair 1 (node 0): input 2 out of range 0..1`},
		{"concat", []Pair{{"none", 0}, {"none", 1}}, []Pair{{"none", 0}, {"none", 1}}, []int{2}, nil, `reduce_concat is empty`},
	} {
		if _, err := FromDARTS(tc.n, tc.nc, tc.r, tc.rc); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("FromDARTS %s: got %v, want %q", tc.name, err, tc.want)
		}
	}
}
