package plots

import (
	"bytes"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/darts-go/darts/derive"
	"github.com/darts-go/darts/rundir"
	"github.com/darts-go/darts/space"
)

var allNames = []string{"alphas_normal", "alphas_reduce", "weights_normal", "weights_reduce",
	"skip_count", "curves", "cell_normal", "cell_reduce"}

// checkPNG decodes a PNG file and checks its pixel size is the figure's
// size at DPI.
func checkPNG(t *testing.T, path string, f *Figure) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if f == nil {
		return
	}
	wantW, wantH := int(f.Width.Dots(DPI)+0.5), int(f.Height.Dots(DPI)+0.5)
	if got := img.Bounds().Size(); abs(got.X-wantW) > 1 || abs(got.Y-wantH) > 1 {
		t.Errorf("%s: %v pixels, want %dx%d", path, got, wantW, wantH)
	}
	// A figure that is one flat color drew nothing.
	first := img.At(0, 0)
	flat := true
	for y := 0; y < img.Bounds().Dy() && flat; y += 7 {
		for x := 0; x < img.Bounds().Dx(); x += 7 {
			if img.At(x, y) != first {
				flat = false
				break
			}
		}
	}
	if flat {
		t.Errorf("%s: the image is blank", path)
	}
}

func abs(x int) int { return max(x, -x) }

func TestEachFigure(t *testing.T) {
	as := synthAlphas(6)
	g, err := deriveLine(as[5])
	if err != nil {
		t.Fatal(err)
	}
	nb := nb201Alphas(4)
	nbg, err := deriveLine(nb[3])
	if err != nil {
		t.Fatal(err)
	}
	fair := g.Clone()
	fair.Cells[0].Nodes[1] = nil                        // dropped node
	fair.Cells[0].Nodes[3] = fair.Cells[0].Nodes[3][:1] // one input
	fair.Cells[0].Concat = []int{2, 4, 5}
	skip := func() (*Figure, error) { f, _, err := SkipCount(as); return f, err }
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		make func() (*Figure, error)
	}{
		{"alphas_normal", func() (*Figure, error) { return AlphaEvolution(as, Normal) }},
		{"alphas_reduce", func() (*Figure, error) { return AlphaEvolution(as, Reduce) }},
		{"alphas_one_epoch", func() (*Figure, error) { return AlphaEvolution(as[:1], Normal) }},
		{"weights_normal", func() (*Figure, error) { return WeightsHeatmap(as[5], Normal) }},
		{"weights_reduce", func() (*Figure, error) { return WeightsHeatmap(as[5], Reduce) }},
		{"skip_count", skip},
		{"curves_search", func() (*Figure, error) { return Curves(synthMetrics(8, false)) }},
		{"curves_train", func() (*Figure, error) { return Curves(synthMetrics(8, true)) }},
		{"cell_normal", func() (*Figure, error) { return CellDiagram(g, Normal) }},
		{"cell_reduce", func() (*Figure, error) { return CellDiagram(g, Reduce) }},
		{"cell_fairdarts_like", func() (*Figure, error) { return CellDiagram(fair, Normal) }},
		{"alphas_nb201", func() (*Figure, error) { return AlphaEvolution(nb, "cell") }},
		{"weights_nb201", func() (*Figure, error) { return WeightsHeatmap(nb[3], "cell") }},
		{"cell_nb201", func() (*Figure, error) { return CellDiagram(nbg, "cell") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := tc.make()
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, tc.name+".png")
			if err := f.Save(path); err != nil {
				t.Fatal(err)
			}
			checkPNG(t, path, f)
		})
	}
}

func TestFigureErrors(t *testing.T) {
	as := synthAlphas(2)
	noSkip := synthAlphas(1)
	noSkip[0].Space.Ops = slices.Clone(dartsOps)
	noSkip[0].Space.Ops[3] = "sep_conv_7x7"
	badEdges := synthAlphas(1)
	badEdges[0].Tensors[0].Weights = badEdges[0].Tensors[0].Weights[:13]
	g, _ := deriveLine(as[1])
	badG := g.Clone()
	badG.Cells[0].Nodes[0][0].Input = 5
	for _, tc := range []struct {
		name, want string
		err        error
	}{
		{"alphas empty", "no alphas", second(AlphaEvolution(nil, Normal))},
		{"alphas bad cell", `no tensor "middle" (the run has normal, reduce)`, second(AlphaEvolution(as, "middle"))},
		{"alphas 13 edges", "13 weight rows for a cell of 14 edges", second(AlphaEvolution(badEdges, Normal))},
		{"heatmap 13 edges", "13", second(WeightsHeatmap(badEdges[0], Normal))},
		{"curves empty", "no metrics", second(Curves(nil))},
		{"skip no skip_connect", "no skip_connect", third(SkipCount(noSkip))},
		{"cell bad input", "node 0 reads state 5", second(CellDiagram(badG, Normal))},
		{"cell missing", "no reduce cell", second(CellDiagram(derive.Genotype{}, Reduce))},
	} {
		if tc.err == nil || !strings.Contains(tc.err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want one containing %q", tc.name, tc.err, tc.want)
		}
	}
}

func second[T any](_ T, err error) error        { return err }
func third[T, U any](_ T, _ U, err error) error { return err }

func TestWriteFormats(t *testing.T) {
	f, err := Curves(synthMetrics(3, false))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		format string
		magic  string
	}{{"png", "\x89PNG"}, {"svg", "<?xml"}, {"pdf", "%PDF"}} {
		var buf bytes.Buffer
		if err := f.WriteTo(&buf, tc.format); err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(buf.Bytes(), []byte(tc.magic)) {
			t.Errorf("%s output starts %q, want %q", tc.format, buf.Bytes()[:min(8, buf.Len())], tc.magic)
		}
	}
	if err := f.WriteTo(&bytes.Buffer{}, "gif"); err == nil || !strings.Contains(err.Error(), "gif") {
		t.Errorf("gif: err = %v", err)
	}
}

// TestAllReadsOnlyTheRunDirectory plots a run directory moved elsewhere:
// the figures must come from its files alone.
func TestAllReadsOnlyTheRunDirectory(t *testing.T) {
	orig := writeRun(t, 6)
	moved := filepath.Join(t.TempDir(), "copied-run")
	if err := os.CopyFS(moved, os.DirFS(orig)); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(orig); err != nil {
		t.Fatal(err)
	}
	written, warnings, err := All(moved, "", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 0 {
		t.Errorf("warnings for a complete run: %q", warnings)
	}
	var want []string
	for _, n := range allNames {
		want = append(want, filepath.Join(moved, "plots", n+".png"))
	}
	if !slices.Equal(written, want) {
		t.Errorf("written = %q\nwant %q", written, want)
	}
	for _, p := range written {
		checkPNG(t, p, nil)
	}
}

func TestAllBadInput(t *testing.T) {
	for _, tc := range []struct {
		name     string
		damage   func(t *testing.T, dir string)
		want     []string // figures still drawn
		warnings []string // one per expected warning: its parts, separated by " … ", in order
	}{
		{"complete", func(*testing.T, string) {}, allNames, nil},
		{"no alphas", func(t *testing.T, dir string) { os.Remove(rundir.AlphasPath(dir)) },
			[]string{"curves", "cell_normal", "cell_reduce"}, []string{"no alphas.jsonl"}},
		{"no alphas no genotype", func(t *testing.T, dir string) {
			os.Remove(rundir.AlphasPath(dir))
			os.Remove(rundir.GenotypeJSONPath(dir))
		}, []string{"curves"}, []string{"no alphas.jsonl", "no genotype.json and no usable alphas.jsonl"}},
		{"no genotype", func(t *testing.T, dir string) { os.Remove(rundir.GenotypeJSONPath(dir)) },
			allNames, []string{"derived from the last line of alphas.jsonl (epoch 5)"}},
		{"no metrics", func(t *testing.T, dir string) { os.Remove(rundir.MetricsPath(dir)) },
			slices.DeleteFunc(slices.Clone(allNames), func(s string) bool { return s == "curves" }), []string{"no metrics.jsonl"}},
		{"truncated alphas", func(t *testing.T, dir string) { appendRaw(t, rundir.AlphasPath(dir), `{"epoch":6,"primitives":["no`) },
			allNames, []string{"line 7: last line is incomplete"}},
		{"truncated metrics", func(t *testing.T, dir string) { appendRaw(t, rundir.MetricsPath(dir), `{"epoch":6,"train_lo`) },
			allNames, []string{"metrics.jsonl line 6: last line is incomplete"}},
		{"ops differ", func(t *testing.T, dir string) {
			a := synthAlphas(7)[6]
			a.Primitives = slices.Clone(a.Primitives)
			a.Primitives[1] = "sep_conv_7x7"
			a.Space = space.DARTS(4, 4, a.Primitives)
			for i := range a.Tensors {
				a.Tensors[i].Cols = a.Primitives
			}
			if err := rundir.AppendJSONLine(rundir.AlphasPath(dir), a); err != nil {
				t.Fatal(err)
			}
		}, allNames, []string{`line 7: primitives ["none" "sep_conv_7x7" … differ, unlike line 1 … using the 6 lines before it`}},
		{"genotype differs", func(t *testing.T, dir string) {
			g, _ := derive.ReadFile(rundir.GenotypeJSONPath(dir))
			g.Cells[0].Nodes[0][0].Op = "max_pool_3x3"
			rundir.WriteJSON(rundir.GenotypeJSONPath(dir), g)
		}, allNames, []string{"genotype.json differs"}},
		{"genotype differs, no architecture step", func(t *testing.T, dir string) {
			g, _ := derive.ReadFile(rundir.GenotypeJSONPath(dir))
			g.Cells[0].Nodes[0][0].Op = "max_pool_3x3"
			rundir.WriteJSON(rundir.GenotypeJSONPath(dir), g)
			// RSPS: the genotype is chosen by scoring samples, not from the alphas.
			os.WriteFile(rundir.ConfigPath(dir), []byte(`{"method":"rsps","method_parts":{"name":"rsps","arch_step":"none"}}`), 0o644)
		}, allNames, nil},
		{"genotype differs, an architecture step", func(t *testing.T, dir string) {
			g, _ := derive.ReadFile(rundir.GenotypeJSONPath(dir))
			g.Cells[0].Nodes[0][0].Op = "max_pool_3x3"
			rundir.WriteJSON(rundir.GenotypeJSONPath(dir), g)
			os.WriteFile(rundir.ConfigPath(dir), []byte(`{"method":"darts","method_parts":{"name":"darts","arch_step":"first-order"}}`), 0o644)
		}, allNames, []string{"genotype.json differs"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeRun(t, 6)
			tc.damage(t, dir)
			out := t.TempDir()
			written, warnings, err := All(dir, out, "png")
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range written {
				got = append(got, strings.TrimSuffix(filepath.Base(p), ".png"))
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("drew %q, want %q", got, tc.want)
			}
			if len(warnings) != len(tc.warnings) {
				t.Errorf("warnings = %q, want %d", warnings, len(tc.warnings))
			}
			for _, w := range tc.warnings {
				if !slices.ContainsFunc(warnings, func(got string) bool { return containsInOrder(got, w) }) {
					t.Errorf("no warning contains %q; got %q", w, warnings)
				}
			}
		})
	}
}

func appendRaw(t *testing.T, path, s string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(s)
	f.Close()
}

func TestAllErrors(t *testing.T) {
	empty := t.TempDir()
	file := filepath.Join(empty, "f")
	os.WriteFile(file, nil, 0o644)
	for _, tc := range []struct {
		name, dir, format, want string
	}{
		{"bad format", writeRun(t, 2), "gif", `unknown format "gif"`},
		{"missing dir", filepath.Join(empty, "nope"), "png", "nope"},
		{"not a dir", file, "png", "not a directory"},
		{"empty run", empty, "png", "nothing to plot"},
	} {
		_, _, err := All(tc.dir, "", tc.format)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want one containing %q", tc.name, err, tc.want)
		}
	}
}

func TestAllFormats(t *testing.T) {
	dir := writeRun(t, 3)
	for _, format := range []string{"svg", "pdf"} {
		written, _, err := All(dir, filepath.Join(t.TempDir(), format), format)
		if err != nil {
			t.Fatal(err)
		}
		if len(written) != len(allNames) || !strings.HasSuffix(written[0], "."+format) {
			t.Errorf("%s: wrote %q", format, written)
		}
	}
}

// containsInOrder reports whether s contains the " … "-separated parts of
// pattern in order.
func containsInOrder(s, pattern string) bool {
	for _, part := range strings.Split(pattern, " … ") {
		i := strings.Index(s, part)
		if i < 0 {
			return false
		}
		s = s[i+len(part):]
	}
	return true
}

// TestAllTrainingRun: a darts train run (metrics with test accuracy, a
// genotype, no alphas) gets its curves and cell diagrams without warnings;
// a search run that lost its alphas still warns (TestAllBadInput).
func TestAllTrainingRun(t *testing.T) {
	dir := writeRun(t, 4)
	if err := os.Remove(rundir.AlphasPath(dir)); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(rundir.MetricsPath(dir)); err != nil {
		t.Fatal(err)
	}
	for _, m := range synthMetrics(4, true) {
		if err := rundir.AppendJSONLine(rundir.MetricsPath(dir), m); err != nil {
			t.Fatal(err)
		}
	}
	written, warnings, err := All(dir, "", "png")
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 0 {
		t.Errorf("warnings for a training run: %q", warnings)
	}
	var names []string
	for _, w := range written {
		names = append(names, strings.TrimSuffix(filepath.Base(w), ".png"))
	}
	if want := []string{"curves", "cell_normal", "cell_reduce"}; !slices.Equal(names, want) {
		t.Errorf("figures %v, want %v", names, want)
	}
}

// TestPaletteCoversTheRegistry: every builtin op of package space has its
// own fixed color, distinct from the others, and the palette names no op
// the registry lacks.
func TestPaletteCoversTheRegistry(t *testing.T) {
	colors := map[color.RGBA]string{}
	for name, c := range opColors {
		if !space.IsOp(name) {
			t.Errorf("palette entry %q is no registered op", name)
		}
		if other, dup := colors[c]; dup {
			t.Errorf("%s and %s share a color", name, other)
		}
		colors[c] = name
	}
	for _, name := range space.Ops() {
		if _, ok := opColors[name]; !ok {
			t.Errorf("registered op %q has no fixed color", name)
		}
	}
}
