package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/darts-go/darts/derive"
)

const exportV2 = "../../derive/testdata/darts_v2_multiline.txt"

func TestExportFormats(t *testing.T) {
	want, err := derive.ReadFile(exportV2)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		format string
		check  func(t *testing.T, out string)
	}{
		{"json", func(t *testing.T, out string) {
			if !strings.HasPrefix(out, `{"normal": [["sep_conv_3x3", 0],`) || !strings.HasSuffix(out, "}\n") {
				t.Errorf("not genotype JSON: %s", out)
			}
		}},
		{"darts", func(t *testing.T, out string) {
			if !strings.HasPrefix(out, "Genotype(normal=[('sep_conv_3x3', 0), ") || !strings.HasSuffix(out, "reduce_concat=[2, 3, 4, 5])\n") {
				t.Errorf("not DARTS text: %s", out)
			}
		}},
		{"dot", func(t *testing.T, out string) {
			if !strings.HasPrefix(out, "digraph ") || !strings.Contains(out, `label="dil_conv_3x3"`) {
				t.Errorf("not DOT: %s", out)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.format, func(t *testing.T) {
			var stdout bytes.Buffer
			if err := export([]string{"--genotype", exportV2, "--format", tt.format}, &stdout); err != nil {
				t.Fatal(err)
			}
			tt.check(t, stdout.String())
			if tt.format == "dot" {
				return
			}
			g, err := derive.Parse(&stdout)
			if err != nil || !g.Equal(want) {
				t.Errorf("output reads back as %v, %v; want %v", g, err, want)
			}
		})
	}
}

func TestExportOut(t *testing.T) {
	out := filepath.Join(t.TempDir(), "g.json")
	var stdout bytes.Buffer
	if err := export([]string{"--genotype=" + exportV2, "--format=json", "--out", out}, &stdout); err != nil {
		t.Fatal(err)
	}
	if stdout.Len() != 0 {
		t.Errorf("wrote to stdout with --out: %q", stdout.String())
	}
	// The JSON export is itself a valid --genotype input.
	var again bytes.Buffer
	if err := export([]string{"--genotype", out, "--format", "darts"}, &again); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(again.String(), "Genotype(normal=") {
		t.Errorf("re-export: %q", again.String())
	}
}

func TestExportHelp(t *testing.T) {
	var stdout bytes.Buffer
	if err := export([]string{"--help"}, &stdout); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Usage: darts export", "Examples:", "--genotype", "nb201", "--format", "--out"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("help lacks %q:\n%s", want, stdout.String())
		}
	}
}

func TestExportErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.txt")
	if err := os.WriteFile(bad, []byte("Genotype(normal=[('conv_9x9', 0)])"), 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.json")
	tests := []struct {
		args  []string
		usage bool
		want  string
	}{
		{[]string{"--format", "json"}, true, "--genotype is required"},
		{[]string{"--genotype", exportV2}, true, "--format is required"},
		{[]string{"--genotype", exportV2, "--format", "png"}, true, `--format "png": want json, darts, nb201, dot, onnx or pytorch`},
		{[]string{"--genotype", exportV2, "--format", "json", "extra"}, true, `unexpected argument "extra"`},
		{[]string{"--genotype", exportV2, "--fromat", "json"}, true, "unknown flag: --fromat"},
		{[]string{"--genotype", missing, "--format", "json"}, false, missing},
		{[]string{"--genotype", bad, "--format", "json"}, false, bad + ": genotype text"},
		{[]string{"--genotype", exportV2, "--format", "json", "--out", filepath.Join(dir, "no", "such", "dir", "g.json")}, false, "no/such/dir"},
	}
	for _, tt := range tests {
		err := export(tt.args, &bytes.Buffer{})
		var ue *usageError
		if err == nil || !strings.Contains(err.Error(), tt.want) || errors.As(err, &ue) != tt.usage {
			t.Errorf("export %q: got %v (usage error %v), want %q (usage error %v)", tt.args, err, errors.As(err, &ue), tt.want, tt.usage)
		}
	}
	// Through main's dispatch: usage errors exit 2, others 1.
	if code := run([]string{"export", "--format", "dot"}); code != 2 {
		t.Errorf("missing --genotype: exit %d, want 2", code)
	}
	if code := run([]string{"export", "--genotype", missing, "--format", "dot"}); code != 1 {
		t.Errorf("missing file: exit %d, want 1", code)
	}
}

// TestExportNB201 converts a NAS-Bench-201 string given literally to each
// format, and reads each back (the JSON and the string) to the same cell.
func TestExportNB201(t *testing.T) {
	const s = "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|"
	var str, js, dot bytes.Buffer
	for _, c := range []struct {
		format string
		out    *bytes.Buffer
	}{{"nb201", &str}, {"json", &js}, {"dot", &dot}} {
		if err := export([]string{"--genotype", s, "--format", c.format}, c.out); err != nil {
			t.Fatalf("--format %s: %v", c.format, err)
		}
	}
	if strings.TrimSpace(str.String()) != s {
		t.Errorf("nb201: %q, want %q", str.String(), s)
	}
	g, err := derive.Parse(&js)
	if err != nil {
		t.Fatal(err)
	}
	if f, _ := g.FormatNB201(); f != s {
		t.Errorf("json read back: %s", f)
	}
	if !strings.Contains(dot.String(), "nor_conv_3x3") || !strings.Contains(dot.String(), "digraph") {
		t.Errorf("dot: %s", dot.String())
	}
	if err := export([]string{"--genotype", s, "--format", "darts"}, &bytes.Buffer{}); err == nil {
		t.Error("a NAS-Bench-201 cell as DARTS text: no error")
	}
	if err := export([]string{"--genotype", exportV2, "--format", "nb201"}, &bytes.Buffer{}); err == nil {
		t.Error("a DARTS genotype as a NAS-Bench-201 string: no error")
	}
}
