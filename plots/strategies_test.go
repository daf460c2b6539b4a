package plots

import (
	"bytes"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/darts-go/darts/rundir"
)

// synthSelection is a selection log whose scores follow f.
func synthSelection(n int, f func(i int) float64) []rundir.Candidate {
	var cs []rundir.Candidate
	best := math.Inf(-1)
	for i := 1; i <= n; i++ {
		s := f(i)
		best = math.Max(best, s)
		cs = append(cs, rundir.Candidate{N: i, Strategy: "x", Genotype: "|none~0|", Decisions: []int{i % 5}, Score: s, Loss: 1 - s, Best: best})
	}
	return cs
}

// TestScoreSeriesIsTheRunningMaximum: the best-so-far line is the running
// maximum of the scores, in percent, at x = candidates evaluated.
func TestScoreSeriesIsTheRunningMaximum(t *testing.T) {
	scores := []float64{0.3, 0.5, 0.4, 0.5, 0.9, 0.1}
	cs := synthSelection(len(scores), func(i int) float64 { return scores[i-1] })
	all, best := scoreSeries(cs)
	want := []float64{30, 50, 50, 50, 90, 90}
	for i := range scores {
		if all[i].X != float64(i+1) || best[i].X != float64(i+1) || math.Abs(all[i].Y-100*scores[i]) > 1e-12 || math.Abs(best[i].Y-want[i]) > 1e-12 {
			t.Errorf("point %d: all %v best %v, want (%d, %v) and (%d, %v)", i, all[i], best[i], i+1, 100*scores[i], i+1, want[i])
		}
	}
}

func writeSelection(t *testing.T, dir string, cs []rundir.Candidate) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		if err := rundir.AppendJSONLine(rundir.SelectPath(dir), c); err != nil {
			t.Fatal(err)
		}
	}
}

// TestAllStrategies: a search run with selections under select/ gets the
// strategies figure beside its others; a selection directory gets it too,
// without warnings for the search files it does not have.
func TestAllStrategies(t *testing.T) {
	run := writeRun(t, 6)
	writeSelection(t, filepath.Join(run, "select", "random"), synthSelection(40, func(i int) float64 { return 0.5 + 0.4*math.Sin(float64(i)) }))
	writeSelection(t, filepath.Join(run, "select", "evolution"), synthSelection(40, func(i int) float64 { return 0.9 - 0.4/float64(i) }))
	written, warnings, err := All(run, "", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 0 {
		t.Errorf("warnings: %q", warnings)
	}
	fig := filepath.Join(run, "plots", "strategies.png")
	if !slices.Contains(written, fig) {
		t.Fatalf("written %q, no strategies figure", written)
	}
	checkPNG(t, fig, nil)

	sel := filepath.Join(run, "select", "evolution")
	g, err := os.ReadFile(rundir.GenotypeJSONPath(run))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(rundir.GenotypeJSONPath(sel), g, 0o644); err != nil {
		t.Fatal(err)
	}
	written, warnings, err = All(sel, "", "svg")
	if err != nil {
		t.Fatal(err)
	}
	p := func(n string) string { return filepath.Join(sel, "plots", n+".svg") }
	if len(warnings) != 0 || !slices.Equal(written, []string{p("cell_normal"), p("cell_reduce"), p("strategies")}) {
		t.Errorf("selection directory: written %q, warnings %q", written, warnings)
	}
	if _, err := Strategies(nil); err == nil {
		t.Error("no selections: no error")
	}
}

// TestStrategiesDotsHaveTheSeriesColor: the figure of one selection (its
// color blue, #0072b2) has no pixel redder than it is blue; the faint dots
// of every candidate, once drawn in a color that was not the series',
// would be. Blue pixels there are, and many more of them than the line
// alone draws.
func TestStrategiesDotsHaveTheSeriesColor(t *testing.T) {
	count := func(cs []rundir.Candidate) (blue, red int) {
		f, err := Strategies([]Selection{{Label: "random", Candidates: cs}})
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := f.WriteTo(&buf, "png"); err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(&buf)
		if err != nil {
			t.Fatal(err)
		}
		for y := img.Bounds().Min.Y; y < img.Bounds().Max.Y; y++ {
			for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x++ {
				r, _, b, _ := img.At(x, y).RGBA()
				switch {
				case int(r>>8) > int(b>>8)+24:
					red++
				case int(b>>8) > int(r>>8)+24:
					blue++
				}
			}
		}
		return blue, red
	}
	// Scores far below the running best: the dots lie away from the line.
	cs := synthSelection(60, func(i int) float64 { return 0.2 + 0.6*float64(i%7)/6 })
	blue, red := count(cs)
	if red != 0 {
		t.Errorf("%d pixels redder than blue in a figure drawn in blue", red)
	}
	flat := synthSelection(60, func(i int) float64 { return 0.8 })
	lineOnly, _ := count(flat)
	if blue <= lineOnly {
		t.Errorf("%d blue pixels with the dots off the line, %d with them on it: the dots are not drawn in the series' color", blue, lineOnly)
	}
}
