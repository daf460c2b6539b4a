package sweep

import (
	"encoding/csv"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/darts-go/darts/derive"
	"github.com/darts-go/darts/rundir"
)

func TestNewStat(t *testing.T) {
	s := NewStat([]float64{0.90, 0.92, 0.94})
	if math.Abs(s.Mean-0.92) > 1e-12 || math.Abs(s.Std-0.02) > 1e-12 || s.N != 3 {
		t.Errorf("%+v, want mean 0.92, sample std 0.02, n 3", s)
	}
	if s := NewStat([]float64{3}); s.Mean != 3 || !math.IsNaN(s.Std) || s.N != 1 {
		t.Errorf("one value: %+v", s)
	}
	if s := NewStat(nil); !math.IsNaN(s.Mean) || s.N != 0 {
		t.Errorf("none: %+v", s)
	}
}

// reportExperiment: methods a, b and random cells, two retraining budgets
// (1 or 2 epochs), seeds 1 and 2.
func reportExperiment(t *testing.T) *Experiment {
	return mustParse(t, `{"name": "rep", "out": `+jsonString(t.TempDir())+`, "base": {"retrain": {}},
	  "grid": [
	    {"axis": "method", "values": [{"label": "a", "set": {"method": "darts"}}, {"label": "b", "set": {"search": {"settings": {"order": 2}}}},
	                                 {"label": "random", "set": {"random_cell": true}}]},
	    {"axis": "ep", "key": "retrain.settings.epochs", "values": [1, 2]},
	    {"key": "seed", "values": [1, 2]}]}`)
}

// fakeResult is the result a test writes for member m: its numbers a
// function of the method, the budget and the seed.
func fakeResult(m Member) Result {
	method, ep, seed := m.Labels[0].Value, m.Labels[1].Value, m.Settings.Seed
	base := map[string]float64{"a": 0.90, "b": 0.91, "random": 0.88}[method]
	if ep == "2" {
		base += 0.03
	}
	test := base + 0.02*float64(seed-1)
	r := Result{Member: m.Name, Group: m.Group, RandomCell: m.Settings.RandomCell, Seed: seed, NormalSkips: int(seed),
		Genotype: derive.MustDARTS([]derive.Pair{{Op: "skip_connect", Input: 0}, {Op: "max_pool_3x3", Input: 1}}, []int{2},
			[]derive.Pair{{Op: "max_pool_3x3", Input: 1}, {Op: "max_pool_3x3", Input: 0}}, []int{2}),
		Train: &StageResult{Epochs: 1, Params: 1000 * int(seed), Seconds: 5, TestAcc: &test}}
	if !m.Settings.RandomCell {
		val := test + 0.05
		r.Search = &StageResult{Epochs: 2, Params: 5000, Seconds: 100 + 10*float64(seed), ValAcc: &val}
	}
	return r
}

// TestReport writes results by hand for every member but one and holds
// the report to their means and sample standard deviations computed here
// in closed form (two values x1, x2: mean (x1+x2)/2, std |x1−x2|/√2), the
// random baselines to the random cells of the same budget, and the
// unfinished member to the list apart.
func TestReport(t *testing.T) {
	e := reportExperiment(t)
	unfinished := "method=b,ep=2,seed=2"
	for _, m := range e.Members {
		if m.Name == unfinished {
			continue
		}
		if err := os.MkdirAll(m.Dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := rundir.WriteJSON(filepath.Join(m.Dir, ResultFile), fakeResult(m)); err != nil {
			t.Fatal(err)
		}
	}
	r, err := NewReport(e)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Groups) != 6 || len(r.Unfinished) != 1 || r.Unfinished[0].Member.Name != unfinished || len(r.Finished) != 11 {
		t.Fatalf("%d groups, unfinished %+v, %d finished", len(r.Groups), r.Unfinished, len(r.Finished))
	}
	two := func(x1, x2 float64) Stat { return Stat{(x1 + x2) / 2, math.Abs(x1-x2) / math.Sqrt2, 2} }
	near := func(a, b Stat) bool {
		return a.N == b.N && math.Abs(a.Mean-b.Mean) < 1e-12 && (math.IsNaN(a.Std) && math.IsNaN(b.Std) || math.Abs(a.Std-b.Std) < 1e-12)
	}
	want := map[string]struct{ val, test, params, secs, skips, random Stat }{
		"method=a,ep=1":      {two(0.95, 0.97), two(0.90, 0.92), two(1000, 2000), two(110, 120), two(1, 2), two(0.88, 0.90)},
		"method=a,ep=2":      {two(0.98, 1.00), two(0.93, 0.95), two(1000, 2000), two(110, 120), two(1, 2), two(0.91, 0.93)},
		"method=b,ep=1":      {two(0.96, 0.98), two(0.91, 0.93), two(1000, 2000), two(110, 120), two(1, 2), two(0.88, 0.90)},
		"method=b,ep=2":      {Stat{0.99, math.NaN(), 1}, Stat{0.94, math.NaN(), 1}, Stat{1000, math.NaN(), 1}, Stat{110, math.NaN(), 1}, Stat{1, math.NaN(), 1}, two(0.91, 0.93)},
		"method=random,ep=1": {Stat{math.NaN(), math.NaN(), 0}, two(0.88, 0.90), two(1000, 2000), Stat{math.NaN(), math.NaN(), 0}, two(1, 2), two(0.88, 0.90)},
	}
	for _, g := range r.Groups {
		w, ok := want[g.Name]
		if !ok {
			continue
		}
		for _, c := range []struct {
			what      string
			got, want Stat
		}{{"search-val", g.SearchValAcc, w.val}, {"test", g.TestAcc, w.test}, {"params", g.Params, w.params},
			{"search seconds", g.SearchSeconds, w.secs}, {"skips", g.NormalSkips, w.skips}, {"random", g.RandomTestAcc, w.random}} {
			if c.want.N == 0 && c.got.N == 0 {
				continue
			}
			if !near(c.got, c.want) {
				t.Errorf("%s %s: %+v, want %+v", g.Name, c.what, c.got, c.want)
			}
		}
	}

	var md strings.Builder
	if err := r.Markdown(&md); err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{
		"| method=a,ep=1 | 2/2 | 96.00 ± 1.41 | 91.00 ± 1.41 | 1,500 ± 707 | 115 ± 7 | 1.5 ± 0.7 | 89.00 ± 1.41 (n=2) | +2.00 |",
		"| method=b,ep=2 | 1/2 | 99.00 | 94.00 | 1,000 | 110 | 1.0 | 92.00 ± 1.41 (n=2) | +2.00 |",
		"| method=random,ep=2 | 2/2 | — | 92.00 ± 1.41 | 1,500 ± 707 | — | 1.5 ± 0.7 | 92.00 ± 1.41 (n=2) | — |",
		"Unfinished members (not in the table above): 1 of 12",
		"| 7 | method=b,ep=2,seed=2 | not started |",
	} {
		if !strings.Contains(md.String(), line) {
			t.Errorf("markdown lacks %q:\n%s", line, md.String())
		}
	}

	var cb strings.Builder
	if err := r.CSV(&cb); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(strings.NewReader(cb.String())).ReadAll()
	if err != nil || len(rows) != 7 {
		t.Fatalf("CSV: %d rows, %v", len(rows), err)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	row := rows[1] // method=a,ep=1
	if row[col["group"]] != "method=a,ep=1" || row[col["finished"]] != "2" || row[col["random_test_acc_n"]] != "2" {
		t.Errorf("CSV row %v", row)
	}
	if v, _ := strconv.ParseFloat(row[col["test_acc_std"]], 64); math.Abs(v-0.02/math.Sqrt2) > 1e-12 {
		t.Errorf("CSV test_acc_std %v", v)
	}
	if s := rows[4][col["test_acc_std"]]; rows[4][col["group"]] != "method=b,ep=2" || s != "" {
		t.Errorf("the std of one value should be empty: %v", rows[4])
	}

	var mb strings.Builder
	if err := r.MembersCSV(&mb); err != nil {
		t.Fatal(err)
	}
	mrows, err := csv.NewReader(strings.NewReader(mb.String())).ReadAll()
	if err != nil || len(mrows) != 13 || mrows[8][1] != unfinished || mrows[8][5] != "not started" || mrows[8][8] != "" {
		t.Errorf("members CSV (%v): %v", err, mrows)
	}

	dir := t.TempDir()
	written, warnings, err := r.WriteFigures(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(written) != 2 || len(warnings) != 4 || !strings.Contains(warnings[0], "alphas of method=a,ep=1,seed=1") {
		t.Errorf("written %v, warnings %v: want the two accuracy figures and a warning per searched group (no alphas here)", written, warnings)
	}
	for _, f := range written {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(fh)
		fh.Close()
		if err != nil || img.Bounds().Dx() < 500 {
			t.Errorf("%s: %v, %v", f, err, img.Bounds())
		}
	}
}

// TestReportNothingFinished: with no finished member the tables say so
// and no figure is drawn.
func TestReportNothingFinished(t *testing.T) {
	r, err := NewReport(reportExperiment(t))
	if err != nil {
		t.Fatal(err)
	}
	var md strings.Builder
	if err := r.Markdown(&md); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(md.String(), "| method=a,ep=1 | 0/2 | — | — | — | — | — | — | — |") || !strings.Contains(md.String(), "12 of 12") {
		t.Errorf("%s", md.String())
	}
	written, warnings, err := r.WriteFigures(t.TempDir())
	if err != nil || len(written) != 0 || len(warnings) != 2 {
		t.Errorf("written %v warnings %v err %v", written, warnings, err)
	}
}
