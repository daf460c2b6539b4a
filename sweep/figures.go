package sweep

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/darts-go/darts/internal/atomicfile"
	"github.com/darts-go/darts/plots"
	"github.com/darts-go/darts/rundir"
)

// The report's figures, written by WriteFigures.
const (
	TestAccFigure      = "test_acc.png"
	SearchValAccFigure = "search_val_acc.png"
)

// meanErr is the points and error bars of the group means.
type meanErr struct {
	plotter.XYs
	plotter.YErrors
}

var (
	meanColor = color.RGBA{0x1f, 0x4e, 0x8c, 0xff}
	seedColor = color.RGBA{0xd6, 0x60, 0x1c, 0xff}
	randColor = color.RGBA{0x77, 0x77, 0x77, 0xff}
)

// AccuracyPlot draws, per group, the mean of the value get returns for its
// finished members (in percent) with ±1 sample standard deviation as
// error bars, and each member as a point beside it; groups without values
// are left out. ok is false if no group has one.
func (r *Report) AccuracyPlot(title, ylabel string, get func(Result) (float64, bool)) (p *plot.Plot, ok bool, err error) {
	p = plot.New()
	p.Title.Text = title
	p.Y.Label.Text = ylabel
	var names []string
	var means meanErr
	var seeds, randomSeeds plotter.XYs
	for _, g := range r.Groups {
		var vals []float64
		for _, res := range g.Results {
			if v, ok := get(res); ok {
				vals = append(vals, 100*v)
			}
		}
		if len(vals) == 0 {
			continue
		}
		x := float64(len(names))
		names = append(names, tickLabel(g.Name))
		st := NewStat(vals)
		sd := st.Std
		if math.IsNaN(sd) {
			sd = 0
		}
		means.XYs = append(means.XYs, plotter.XY{X: x, Y: st.Mean})
		means.YErrors = append(means.YErrors, struct{ Low, High float64 }{sd, sd})
		for k, v := range vals {
			// Members spread to the right of the mean, in index order.
			pt := plotter.XY{X: x + 0.12 + 0.2*float64(k)/float64(max(len(vals)-1, 1)), Y: v}
			if g.RandomCell {
				randomSeeds = append(randomSeeds, pt)
			} else {
				seeds = append(seeds, pt)
			}
		}
	}
	if len(names) == 0 {
		return nil, false, nil
	}
	p.NominalX(names...)
	p.X.Tick.Label.Rotation = 0
	p.Add(plotter.NewGrid())
	bars, err := plotter.NewYErrorBars(means)
	if err != nil {
		return nil, false, err
	}
	bars.Color, bars.LineStyle.Width, bars.CapWidth = meanColor, vg.Points(1.5), vg.Points(8)
	mp, err := plotter.NewScatter(means.XYs)
	if err != nil {
		return nil, false, err
	}
	mp.GlyphStyle = draw.GlyphStyle{Color: meanColor, Radius: vg.Points(4), Shape: draw.BoxGlyph{}}
	p.Add(bars, mp)
	p.Legend.Add("mean ± std", mp)
	for _, s := range []struct {
		pts plotter.XYs
		c   color.Color
		lbl string
	}{{seeds, seedColor, "searched cell, one per seed"}, {randomSeeds, randColor, "random cell, one per seed"}} {
		if len(s.pts) == 0 {
			continue
		}
		sc, err := plotter.NewScatter(s.pts)
		if err != nil {
			return nil, false, err
		}
		sc.GlyphStyle = draw.GlyphStyle{Color: s.c, Radius: vg.Points(3), Shape: draw.CircleGlyph{}}
		p.Add(sc)
		p.Legend.Add(s.lbl, sc)
	}
	// Room above the data for the legend.
	p.Legend.Top, p.Legend.Left = true, true
	p.X.Min, p.X.Max = -0.5, float64(len(names))-0.3
	span := max(p.Y.Max-p.Y.Min, 1)
	p.Y.Min -= 0.05 * span
	p.Y.Max += 0.35 * span
	return p, true, nil
}

// tickLabel drops the axis names of a group for its tick:
// "method=darts-1st,space=darts" → "darts-1st, darts".
func tickLabel(group string) string {
	parts := strings.Split(group, ",")
	for i, p := range parts {
		if _, v, ok := strings.Cut(p, "="); ok {
			parts[i] = v
		}
	}
	return strings.Join(parts, ", ")
}

// WriteFigures draws the report's figures into dir: the retrained test
// accuracy per group (TestAccFigure), the final search-val accuracy per
// searched group (SearchValAccFigure) and, for the first finished member
// of each searched group, the evolution of its first cell's architecture
// weights (alphas_GROUP.png). It returns the files written and what it
// could not draw.
func (r *Report) WriteFigures(dir string) (written, warnings []string, err error) {
	figs := []struct {
		file, title, ylabel string
		get                 func(Result) (float64, bool)
	}{
		{TestAccFigure, "Retrained test accuracy per group", "test accuracy (%)", func(res Result) (float64, bool) {
			if res.Train == nil || res.Train.TestAcc == nil {
				return 0, false
			}
			return *res.Train.TestAcc, true
		}},
		{SearchValAccFigure, "Final search-val accuracy per group", "search-val accuracy (%)", func(res Result) (float64, bool) {
			if res.Search == nil || res.Search.ValAcc == nil {
				return 0, false
			}
			return *res.Search.ValAcc, true
		}},
	}
	for _, f := range figs {
		p, ok, err := r.AccuracyPlot(f.title, f.ylabel, f.get)
		if err != nil {
			return written, warnings, fmt.Errorf("%s: %w", f.file, err)
		}
		if !ok {
			warnings = append(warnings, fmt.Sprintf("%s: no finished member has the value", f.file))
			continue
		}
		w := vg.Length(max(4.5, 1.6*float64(len(r.Groups))+1.5)) * vg.Inch
		path := filepath.Join(dir, f.file)
		if err := savePlot(p, w, 3.6*vg.Inch, path); err != nil {
			return written, warnings, err
		}
		written = append(written, path)
	}
	for i := range r.Groups {
		g := &r.Groups[i]
		if g.RandomCell || len(g.Results) == 0 {
			continue
		}
		var m *Member
		for j := range r.members {
			if r.members[j].Name == g.Results[0].Member {
				m = &r.members[j]
			}
		}
		if m == nil {
			continue
		}
		as, err := rundir.ReadAlphas(rundir.AlphasPath(filepath.Join(m.Dir, SearchDir)))
		if err != nil || len(as) == 0 || len(as[0].Tensors) == 0 {
			warnings = append(warnings, fmt.Sprintf("alphas of %s: %v", m.Name, err))
			continue
		}
		fig, err := plots.AlphaEvolution(as, as[0].Tensors[0].Name)
		if err != nil {
			warnings = append(warnings, fmt.Sprintf("alphas of %s: %v", m.Name, err))
			continue
		}
		path := filepath.Join(dir, "alphas_"+g.Name+".png")
		if err := fig.Save(path); err != nil {
			return written, warnings, err
		}
		written = append(written, path)
	}
	return written, warnings, nil
}

// savePlot writes p as a PNG of w × h at plots.DPI on white, atomically.
func savePlot(p *plot.Plot, w, h vg.Length, path string) error {
	c := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(plots.DPI), vgimg.UseBackgroundColor(color.White))
	p.Draw(draw.New(c))
	return atomicfile.Write(path, 0o644, func(out io.Writer) error {
		_, err := vgimg.PngCanvas{Canvas: c}.WriteTo(out)
		return err
	})
}
