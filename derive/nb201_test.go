package derive

import (
	"fmt"
	"strings"
	"testing"

	"github.com/darts-go/darts/space"
)

// TestNB201String: AutoDL's own strings (the collapse cell of DARTS on
// NAS-Bench-201, the best CIFAR-10 cell of the benchmark) read and write
// back unchanged, with the edges where str2structure puts them.
func TestNB201String(t *testing.T) {
	for _, s := range []string{
		"|skip_connect~0|+|skip_connect~0|skip_connect~1|+|skip_connect~0|skip_connect~1|skip_connect~2|",
		"|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|",
		"|nor_conv_1x1~0|+|none~0|avg_pool_3x3~1|+|none~0|none~1|none~2|",
	} {
		g, err := Parse(strings.NewReader(s + "\n"))
		if err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		if got := g.String(); got != s {
			t.Errorf("round trip: %s became %s", s, got)
		}
		c := g.Cells[0]
		if g.Space != "nas-bench-201" || c.Name != "cell" || c.Inputs != 1 || len(c.Nodes) != 3 || c.Concat[0] != 3 {
			t.Errorf("%s: %+v", s, g)
		}
		if len(c.Nodes[2]) != 3 || c.Nodes[2][2].Input != 2 {
			t.Errorf("%s: node 3 = %v, want three inputs, the last from node 2", s, c.Nodes[2])
		}
		j, _ := g.MarshalJSON()
		back, err := Parse(strings.NewReader(string(j)))
		if err != nil || !back.Equal(g) {
			t.Errorf("JSON round trip of %s: %v, %v", j, back, err)
		}
	}
	for in, want := range map[string]string{
		"|conv_9x9~0|+|none~0|none~1|":      `unknown op "conv_9x9"`,
		"|nor_conv_3x3~x|":                  `input "x" is not an integer`,
		"|nor_conv_3x3~1|":                  `state 1 out of range 0..0`,
		"|nor_conv_3x3|":                    `is not op~input`,
		"|nor_conv_3x3~0~1|":                `is not op~input`,
		"|nor_conv_3x3~0|+||":               `node 2 has no inputs`,
		"   ":                               `empty`,
		"| nor_conv_3x3~0|+|none~0|none~1|": `unknown op " nor_conv_3x3"`,
	} {
		if _, err := ParseNB201(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseNB201(%q): err = %v, want %q", in, err, want)
		}
	}
}

// TestArgmaxRule: NAS-Bench-201's rule keeps every edge and may pick
// 'none'; ties go to the lower op.
func TestArgmaxRule(t *testing.T) {
	sp := space.NB201(space.NB201Ops) // none, skip_connect, nor_conv_1x1, nor_conv_3x3, avg_pool_3x3
	w := [][]float64{
		{0.1, 0.2, 0.3, 0.9, 0.0}, // 1<-0: nor_conv_3x3
		{0.9, 0.0, 0.0, 0.0, 0.0}, // 2<-0: none
		{0.2, 0.2, 0.1, 0.1, 0.1}, // 2<-1: tie none/skip → none
		{0.0, 0.0, 0.0, 0.0, 0.5}, // 3<-0: avg_pool_3x3
		{0.0, 0.4, 0.1, 0.1, 0.1}, // 3<-1: skip_connect
		{0.0, 0.1, 0.6, 0.1, 0.1}, // 3<-2: nor_conv_1x1
	}
	g, err := Derive(sp, ArgmaxRule, map[string][][]float64{"cell": w})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := g.String(), "|nor_conv_3x3~0|+|none~0|none~1|+|avg_pool_3x3~0|skip_connect~1|nor_conv_1x1~2|"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	if _, err := Derive(sp, ArgmaxRule, map[string][][]float64{"cell": w[:5]}); err == nil {
		t.Error("5 rows for 6 edges: no error")
	}
}

// TestReachableCountsNB201 holds Cell.Reachable to an independent count:
// among all 5^6 NAS-Bench-201 cells, those whose output reads the input
// through non-'none' ops are those where one of the four paths 0→3,
// 0→1→3, 0→2→3, 0→1→2→3 has no 'none' edge. Counted over the 2^6 sets of
// non-'none' edges (each such edge has 4 ops to choose from), that is
// sum over reaching sets S of 4^|S|.
func TestReachableCountsNB201(t *testing.T) {
	// Edge order 1←0, 2←0, 2←1, 3←0, 3←1, 3←2.
	paths := [][]int{{3}, {0, 4}, {1, 5}, {0, 2, 5}}
	want := 0
	for set := 0; set < 64; set++ {
		reach := false
		for _, p := range paths {
			all := true
			for _, e := range p {
				all = all && set&(1<<e) != 0
			}
			reach = reach || all
		}
		if reach {
			n := 1
			for e := 0; e < 6; e++ {
				if set&(1<<e) != 0 {
					n *= 4
				}
			}
			want += n
		}
	}
	ops := []string{"none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"}
	got := 0
	var idx [6]int
	for code := 0; code < 15625; code++ {
		c := code
		for e := range idx {
			idx[e], c = c%5, c/5
		}
		s := fmt.Sprintf("|%s~0|+|%s~0|%s~1|+|%s~0|%s~1|%s~2|", ops[idx[0]], ops[idx[1]], ops[idx[2]], ops[idx[3]], ops[idx[4]], ops[idx[5]])
		g, err := ParseNB201(s)
		if err != nil {
			t.Fatal(err)
		}
		if g.Cells[0].Reachable() {
			got++
		}
		if (g.ReachabilityWarning() == "") != g.Cells[0].Reachable() {
			t.Fatalf("%s: warning %q disagrees with Reachable", s, g.ReachabilityWarning())
		}
	}
	if got != want || want == 0 || want == 15625 {
		t.Errorf("%d reachable NAS-Bench-201 cells, the path count gives %d", got, want)
	}
}
