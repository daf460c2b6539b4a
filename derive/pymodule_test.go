package derive

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// module is a Python module of genotypes laid out as the original DARTS
// code's cnn/genotypes.py: imports, the namedtuple, PRIMITIVES, the
// shipped cells' text as they are, an alias.
func module(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("from collections import namedtuple\n\nGenotype = namedtuple('Genotype', 'normal normal_concat reduce reduce_concat')\n\n")
	b.WriteString("PRIMITIVES = [\n    'none',\n    'max_pool_3x3',  # (a comment with a parenthesis\n]\n\n")
	for _, f := range []string{"nasnet.txt", "amoebanet.txt", "darts-v1.txt", "darts-v2.txt"} {
		data, err := os.ReadFile(filepath.Join("..", "genotypes", f))
		if err != nil {
			t.Fatal(err)
		}
		b.Write(data)
		b.WriteString("    \n")
	}
	b.WriteString("\nDARTS = DARTS_V2\n")
	return b.String()
}

// TestReadFileNamedGenotype: FILE:NAME reads the genotype NAME of a
// module of genotypes, equal to the same text on its own; the module alone
// is an error listing its genotypes, as is an unknown NAME.
func TestReadFileNamedGenotype(t *testing.T) {
	path := filepath.Join(t.TempDir(), "genotypes.py")
	if err := os.WriteFile(path, []byte(module(t)), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, file := range map[string]string{"NASNet": "nasnet.txt", "AmoebaNet": "amoebanet.txt", "DARTS_V1": "darts-v1.txt", "DARTS_V2": "darts-v2.txt"} {
		got, err := ReadFile(path + ":" + name)
		if err != nil {
			t.Fatal(err)
		}
		want, err := ReadFile(filepath.Join("..", "genotypes", file))
		if err != nil {
			t.Fatal(err)
		}
		if !got.Equal(want) {
			t.Errorf("%s: %v, its file alone %v", name, got, want)
		}
	}
	alias, err := ReadFile(path + ":DARTS")
	if v2, _ := ReadFile(path + ":DARTS_V2"); err != nil || !alias.Equal(v2) {
		t.Errorf("the alias DARTS = DARTS_V2: %v, %v", alias, err)
	}
	as, err := Assignments(module(t))
	if err != nil || names(as) != "NASNet, AmoebaNet, DARTS_V1, DARTS_V2" || as[1].Line != 39 {
		t.Errorf("assignments %q (line of the second %d), %v", names(as), as[1].Line, err)
	}
	for _, tc := range []struct{ path, want string }{
		{path, "holds 4 genotypes (NASNet, AmoebaNet, DARTS_V1, DARTS_V2); name one as FILE:NAME"},
		{path + ":PDARTS", "no genotype PDARTS (the module has NASNet, AmoebaNet, DARTS_V1, DARTS_V2)"},
	} {
		if _, err := ReadFile(tc.path); err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: error %v, want one naming the file and saying %q", tc.path, err, tc.want)
		}
	}
	one := "import x\n\nBEST = genotypes.Genotype(normal=[('skip_connect', 0), ('skip_connect', 1)], normal_concat=[2], reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1)], reduce_concat=[2])\nprint(BEST)\n"
	g, err := ParseText(strings.NewReader(one))
	if err != nil || len(g.Cells) != 2 || g.Cells[1].Nodes[0][0].Op != "max_pool_3x3" {
		t.Errorf("a module with one genotype: %v, %v", g, err)
	}
	bad := "A = Genotype(normal=[('skip_connect', 0), ('skip_connect', 1)], normal_concat=[2], reduce=[('nope', 0), ('max_pool_3x3', 1)], reduce_concat=[2])\nB = 1\n"
	if _, err := ParseText(strings.NewReader(bad)); err == nil || !strings.Contains(err.Error(), "A (line 1)") || !strings.Contains(err.Error(), "nope") {
		t.Errorf("a module with a bad genotype: %v", err)
	}
	if _, err := Assignments("X = Genotype(normal=[('a', 0)\n"); err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Errorf("unclosed: %v", err)
	}
}

func FuzzAssignments(f *testing.F) {
	f.Add("A = Genotype(x, ')', [1], # )\n 2)\nB = genotypes.Genotype ( (1, 2) )\n")
	f.Add("X = Genotype(normal=[('a', 0)\n")
	f.Add("a == Genotype(1)\n = Genotype()\n")
	f.Fuzz(func(t *testing.T, src string) {
		as, err := Assignments(src)
		if err != nil {
			return
		}
		for _, a := range as {
			if !strings.HasPrefix(a.Text, a.Name) || !strings.HasSuffix(a.Text, ")") || !strings.Contains(src, a.Text) || a.Line < 1 {
				t.Fatalf("assignment %+v of %q", a, src)
			}
			if got := strings.Count(src[:strings.Index(src, a.Text)], "\n") + 1; got > a.Line {
				t.Fatalf("%s at line %d, reported %d", a.Name, got, a.Line)
			}
		}
		_, _ = ParseText(strings.NewReader(src))
	})
}
