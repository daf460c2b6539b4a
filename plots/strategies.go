package plots

import (
	"errors"
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/darts-go/darts/rundir"
)

// Selection is one selection's log (select.jsonl) under a label for the
// legend (its directory's name: the strategy).
type Selection struct {
	Label      string
	Candidates []rundir.Candidate
}

// strategyColors are the series colors of Strategies, in order (Okabe–Ito).
var strategyColors = []color.RGBA{
	{0x00, 0x72, 0xb2, 0xff}, {0xd5, 0x5e, 0x00, 0xff}, {0x00, 0x9e, 0x73, 0xff}, {0xcc, 0x79, 0xa7, 0xff},
	{0xe6, 0x9f, 0x00, 0xff}, {0x56, 0xb4, 0xe9, 0xff}, {0x00, 0x00, 0x00, 0xff},
}

// Strategies draws score (accuracy on the scoring batches, %) against the
// number of candidates evaluated for selections made on the same
// supernet, so that strategies compare at equal budget: each selection's
// best score so far as a line and every candidate's score as a dot, in
// the selection's color. The left panel has a linear x axis, the right a
// logarithmic one (where most of the difference between strategies shows).
func Strategies(sels []Selection) (*Figure, error) {
	if len(sels) == 0 {
		return nil, errors.New("plots: strategies: no selection")
	}
	lin := newPlot("Best score so far, and every candidate", "candidates evaluated", "score on the scoring batches (%)", 11)
	logp := newPlot("The same, log scale", "candidates evaluated", "score (%)", 11)
	logp.X.Scale = plot.LogScale{}
	logp.X.Tick.Marker = plot.LogTicks{Prec: -1}
	var entries []hEntry
	maxN := 0
	lo, hi := math.Inf(1), math.Inf(-1)
	for i, s := range sels {
		if len(s.Candidates) == 0 {
			continue
		}
		col := strategyColors[i%len(strategyColors)]
		all, best := scoreSeries(s.Candidates)
		b := best[len(best)-1].Y / 100
		for _, xy := range all {
			lo, hi = math.Min(lo, xy.Y), math.Max(hi, xy.Y)
		}
		maxN = max(maxN, len(s.Candidates))
		for _, p := range []*plot.Plot{lin, logp} {
			sc, err := plotter.NewScatter(all)
			if err != nil {
				return nil, fmt.Errorf("plots: strategies: %s: %w", s.Label, err)
			}
			// color.RGBA is alpha-premultiplied: a faint dot is NRGBA.
			faint := color.NRGBA{R: col.R, G: col.G, B: col.B, A: 0x60}
			sc.GlyphStyle.Color, sc.GlyphStyle.Radius = faint, 1.6
			l, err := plotter.NewLine(best)
			if err != nil {
				return nil, fmt.Errorf("plots: strategies: %s: %w", s.Label, err)
			}
			l.Color, l.Width = col, 2
			p.Add(sc, l)
		}
		entries = append(entries, hEntry{fmt.Sprintf("%s (%d, best %.2f%%)", s.Label, len(s.Candidates), 100*b), draw.LineStyle{Color: col, Width: 2.5}})
	}
	if len(entries) == 0 {
		return nil, errors.New("plots: strategies: every selection is empty")
	}
	for _, p := range []*plot.Plot{lin, logp} {
		p.Add(plotter.NewGrid())
		p.X.Min, p.X.Max = 1, math.Max(2, float64(maxN))
		pad := math.Max(0.5, 0.05*(hi-lo))
		p.Y.Min, p.Y.Max = math.Max(0, lo-pad), math.Min(100, hi+pad)
	}
	fig := &Figure{Width: 12 * vg.Inch, Height: 4.5 * vg.Inch}
	fig.draw = func(c draw.Canvas) {
		c = drawTitle(c, "Strategies on one supernet", 13)
		legend := draw.Crop(c, 0, 0, 0, -(c.Max.Y - c.Min.Y - 0.35*vg.Inch))
		c = draw.Crop(c, 0, 0, 0.35*vg.Inch, 0)
		drawHLegend(legend, entries, 10)
		tiles := draw.Tiles{Rows: 1, Cols: 2, PadX: 0.3 * vg.Inch, PadLeft: 0.1 * vg.Inch, PadRight: 0.15 * vg.Inch}
		lin.Draw(tiles.At(c, 0, 0))
		logp.Draw(tiles.At(c, 1, 0))
	}
	return fig, nil
}

// scoreSeries is every candidate's score and the best score so far (in
// %) against the number of candidates evaluated.
func scoreSeries(cs []rundir.Candidate) (all, best plotter.XYs) {
	b := math.Inf(-1)
	for i, c := range cs {
		b = math.Max(b, c.Score)
		all = append(all, plotter.XY{X: float64(i + 1), Y: 100 * c.Score})
		best = append(best, plotter.XY{X: float64(i + 1), Y: 100 * b})
	}
	return all, best
}
