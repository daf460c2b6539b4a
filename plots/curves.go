package plots

import (
	"errors"
	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/darts-go/darts/rundir"
)

// Series colors of the learning curves, the same in the loss and the
// accuracy panel.
var (
	trainColor = color.RGBA{0x00, 0x72, 0xb2, 0xff}
	valColor   = color.RGBA{0xd5, 0x5e, 0x00, 0xff}
	testColor  = color.RGBA{0x00, 0x9e, 0x73, 0xff}
)

// Curves draws the learning curves of a run from its metrics lines: loss
// and accuracy per epoch (train and validation for a search run, train and
// test for a train run; a series is shown only if some line has it) and the
// learning rate on a panel of its own. The legend sits below the panels.
func Curves(ms []rundir.Metrics) (*Figure, error) {
	if len(ms) == 0 {
		return nil, errors.New("plots: curves: no metrics lines")
	}
	type series struct {
		name  string
		color color.RGBA
		get   func(m rundir.Metrics) (float64, bool)
	}
	f64 := func(f func(rundir.Metrics) float64) func(rundir.Metrics) (float64, bool) {
		return func(m rundir.Metrics) (float64, bool) { return f(m), f(m) != 0 }
	}
	ptr := func(f func(rundir.Metrics) *float64) func(rundir.Metrics) (float64, bool) {
		return func(m rundir.Metrics) (float64, bool) {
			if p := f(m); p != nil {
				return *p, true
			}
			return 0, false
		}
	}
	loss := []series{
		{"train", trainColor, f64(func(m rundir.Metrics) float64 { return m.TrainLoss })},
		{"validation", valColor, f64(func(m rundir.Metrics) float64 { return m.ValLoss })},
		{"test", testColor, ptr(func(m rundir.Metrics) *float64 { return m.TestLoss })},
	}
	acc := []series{
		{"train", trainColor, f64(func(m rundir.Metrics) float64 { return m.TrainAcc })},
		{"validation", valColor, f64(func(m rundir.Metrics) float64 { return m.ValAcc })},
		{"test", testColor, ptr(func(m rundir.Metrics) *float64 { return m.TestAcc })},
	}
	// Accuracies are fractions in metrics.jsonl; show percent unless a
	// writer already stored percent.
	accScale := 100.0
	for _, m := range ms {
		for _, s := range acc {
			if v, ok := s.get(m); ok && v > 1 {
				accScale = 1
			}
		}
	}
	present := map[string]bool{}
	add := func(p *plot.Plot, ss []series, scale float64) {
		for _, s := range ss {
			var xys plotter.XYs
			for _, m := range ms {
				if v, ok := s.get(m); ok {
					xys = append(xys, plotter.XY{X: float64(m.Epoch), Y: v * scale})
				}
			}
			if len(xys) == 0 {
				continue
			}
			present[s.name] = true
			l, sc, err := plotter.NewLinePoints(xys)
			if err != nil {
				continue
			}
			l.Color, l.Width = s.color, 1.8
			sc.Color, sc.Radius = s.color, 2
			p.Add(l)
			if len(xys) <= 30 { // markers help on short runs, clutter long ones
				p.Add(sc)
			}
		}
	}
	lossP := newPlot("Loss", "epoch", "cross-entropy loss", 11)
	add(lossP, loss, 1)
	accP := newPlot("Accuracy", "epoch", "accuracy (%)", 11)
	add(accP, acc, accScale)
	lrP := newPlot("Learning rate (weights)", "epoch", "learning rate", 11)
	var lr plotter.XYs
	for _, m := range ms {
		lr = append(lr, plotter.XY{X: float64(m.Epoch), Y: m.LR})
	}
	if l, err := plotter.NewLine(lr); err == nil {
		l.Color, l.Width = black, 1.8
		lrP.Add(l)
	}
	lrP.Y.Min = 0
	for _, p := range []*plot.Plot{lossP, accP, lrP} {
		p.X.Tick.Marker = plot.TickerFunc(integerTicks)
		p.Add(plotter.NewGrid())
	}
	var entries []hEntry
	for _, s := range loss {
		if present[s.name] {
			entries = append(entries, hEntry{s.name, draw.LineStyle{Color: s.color, Width: 2.5}})
		}
	}
	fig := &Figure{Width: 12 * vg.Inch, Height: 4.2 * vg.Inch}
	fig.draw = func(c draw.Canvas) {
		c = drawTitle(c, "Learning curves", 13)
		legend := draw.Crop(c, 0, 0, 0, -(c.Max.Y - c.Min.Y - 0.35*vg.Inch))
		c = draw.Crop(c, 0, 0, 0.35*vg.Inch, 0)
		drawHLegend(legend, entries, 11)
		tiles := draw.Tiles{Rows: 1, Cols: 3, PadX: 0.3 * vg.Inch, PadLeft: 0.1 * vg.Inch, PadRight: 0.15 * vg.Inch}
		for i, p := range []*plot.Plot{lossP, accP, lrP} {
			p.Draw(tiles.At(c, i, 0))
		}
	}
	return fig, nil
}
