package plots

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/darts-go/darts/rundir"
)

// SkipCount draws, per epoch, how many of the edges of the first cell type
// (the normal cell of DARTS, the one cell of NAS-Bench-201) derived from
// that epoch's alphas are skip_connect: a count that climbs toward all
// edges is the DARTS collapse. Lines the derivation rejects are skipped and
// reported in the returned warnings.
func SkipCount(alphas []rundir.Alphas) (fig *Figure, warnings []string, err error) {
	if len(alphas) == 0 {
		return nil, nil, errors.New("plots: skip count: no alphas lines")
	}
	if !slices.Contains(alphas[0].Space.Ops, "skip_connect") {
		return nil, nil, fmt.Errorf("plots: skip count: primitives %q have no skip_connect", alphas[0].Space.Ops)
	}
	cellName := alphas[0].Space.Cells[0].Name
	var xys plotter.XYs
	maxEdges := 0
	for _, a := range alphas {
		g, err := deriveLine(a)
		if err != nil {
			warnings = append(warnings, fmt.Sprintf("skip count: %v", err))
			continue
		}
		c, _ := g.Cell(cellName)
		n := 0
		for _, p := range c.Pairs() {
			if p.Op == "skip_connect" {
				n++
			}
		}
		maxEdges = max(maxEdges, len(c.Pairs()))
		xys = append(xys, plotter.XY{X: float64(a.Epoch), Y: float64(n)})
	}
	if len(xys) == 0 {
		return nil, warnings, errors.New("plots: skip count: no alphas line could be derived")
	}
	p := newPlot("Skip connections in the derived "+strings.ToLower(title(cellName)), "epoch", "skip_connect edges", 11)
	l, sc, err := plotter.NewLinePoints(xys)
	if err != nil {
		return nil, warnings, fmt.Errorf("plots: skip count: %w", err)
	}
	col := OpColor("skip_connect")
	l.Color, l.Width = col, 2
	sc.Color, sc.Radius = col, 2.5
	p.Add(plotter.NewGrid(), l)
	if len(xys) <= 60 {
		p.Add(sc)
	}
	p.Y.Min, p.Y.Max = 0, float64(maxEdges)
	p.Y.Tick.Marker = plot.TickerFunc(func(lo, hi float64) []plot.Tick {
		var ts []plot.Tick
		for v := 0; v <= maxEdges; v++ {
			ts = append(ts, plot.Tick{Value: float64(v), Label: fmt.Sprint(v)})
		}
		return ts
	})
	p.X.Tick.Marker = plot.TickerFunc(integerTicks)
	if xys[0].X == xys[len(xys)-1].X {
		p.X.Min, p.X.Max = xys[0].X-0.5, xys[0].X+0.5
	}
	fig = &Figure{Width: 6 * vg.Inch, Height: 3.5 * vg.Inch}
	fig.draw = func(c draw.Canvas) { p.Draw(c) }
	return fig, warnings, nil
}
