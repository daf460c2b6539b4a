package plots

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/darts-go/darts/rundir"
)

// AlphaEvolution draws how the weight of every op on every edge of one op
// tensor (a cell type: "normal", "reduce", "cell") moved during the
// search: a grid with one panel per edge (row = the node it goes into,
// column = its place among the node's inputs), one line per op in the op's
// fixed color (OpColor), and a shared legend in the grid's empty corner.
// The genotype derived from the last line (with the run's rule) decides the
// emphasis: on the edges it keeps, the chosen op's line is thick; the
// panels of the edges it drops are faded. All panels share the y axis, so
// heights compare across edges.
func AlphaEvolution(alphas []rundir.Alphas, tensor string) (*Figure, error) {
	if len(alphas) == 0 {
		return nil, errors.New("plots: alpha evolution: no alphas lines")
	}
	last := alphas[len(alphas)-1]
	lt, topo, err := tensorOf(last, tensor)
	if err != nil {
		return nil, err
	}
	g, err := deriveLine(last)
	if err != nil {
		return nil, fmt.Errorf("plots: alpha evolution: %w", err)
	}
	gc, _ := g.Cell(lt.Cell)
	chosen := chosenOps(topo, gc)
	prims := lt.Cols
	series := make([][][]float64, len(alphas)) // per line: the tensor's weights
	for i, a := range alphas {
		t, _, err := tensorOf(a, tensor)
		if err != nil {
			return nil, fmt.Errorf("plots: alpha evolution: epoch %d: %w", a.Epoch, err)
		}
		if len(t.Weights) != len(topo.Edges) {
			return nil, fmt.Errorf("plots: alpha evolution: epoch %d: %d edges, the last line has %d", a.Epoch, len(t.Weights), len(topo.Edges))
		}
		series[i] = t.Weights
	}

	// Shared y range over every weight shown, padded so lines at the
	// extremes do not sit on the frame.
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, w := range series {
		for _, row := range w {
			for _, v := range row {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
		}
	}
	pad := math.Max(0.05*(hi-lo), 0.005)
	lo, hi = math.Max(0, lo-pad), math.Min(1, hi+pad)

	place, rows, cols := edgeGrid(topo)
	// The legend goes in the largest free block of the top-right corner at
	// least two panels wide, else in a column of its own.
	legendRows, legendCol := 0, cols
	for r := 1; r <= rows; r++ {
		used := 0
		for k := 0; k < r; k++ {
			used = max(used, len(topo.InEdges(k)))
		}
		if cols-used >= 2 {
			legendRows, legendCol = r, used
		}
	}
	if legendRows == 0 {
		cols++
	}
	const panelW, panelH = 2.3 * vg.Inch, 1.9 * vg.Inch
	fig := &Figure{Width: vg.Length(cols) * panelW, Height: vg.Length(rows)*panelH + 0.7*vg.Inch}
	key := "thick: op kept at the last epoch"
	if len(chosen) < len(topo.Edges) {
		key += "; faded: edge dropped"
	}
	figTitle := fmt.Sprintf("%s: weight of each op per edge, epochs %d–%d\n(%s)", title(lt.Cell), alphas[0].Epoch, last.Epoch, key)
	fig.draw = func(c draw.Canvas) {
		c = drawTitle(c, figTitle, 13)
		tiles := draw.Tiles{Rows: rows, Cols: cols, PadX: 0.05 * vg.Inch, PadY: 0.1 * vg.Inch,
			PadLeft: 0.05 * vg.Inch, PadRight: 0.1 * vg.Inch, PadBottom: 0.05 * vg.Inch}
		for e := range topo.Edges {
			op, kept := chosen[e]
			p := edgePanel(alphas, series, e, topo.EdgeName(e), prims, op, kept, lo, hi)
			row, col := place[e][0], place[e][1]
			if col > 0 {
				p.Y.Label.Text = ""
			}
			if row < rows-1 {
				// Only the last row gets an x label; the rest keep their
				// tick labels but save the label's height.
				p.X.Label.Text = ""
			}
			p.Draw(tiles.At(c, col, row))
		}
		var lc draw.Canvas
		if legendRows > 0 {
			a, b := tiles.At(c, legendCol, 0), tiles.At(c, cols-1, legendRows-1)
			lc = draw.Canvas{Canvas: c.Canvas, Rectangle: vg.Rectangle{
				Min: vg.Point{X: a.Min.X, Y: b.Min.Y}, Max: vg.Point{X: b.Max.X, Y: a.Max.Y}}}
		} else {
			lc = tiles.At(c, cols-1, 0)
		}
		drawOpLegend(lc, prims, len(chosen) < len(topo.Edges))
	}
	return fig, nil
}

// edgePanel is the plot of edge e's weights against the epoch.
func edgePanel(alphas []rundir.Alphas, series [][][]float64, e int, name string, prims []string, op string, kept bool, lo, hi float64) *plot.Plot {
	label := name + "\ndropped"
	titleColor := midGray
	if kept {
		label = name + "\nkept: " + op
		titleColor = black
	}
	p := newPlot(label, "epoch", "weight", 10)
	p.Title.TextStyle.Color = titleColor
	if !kept {
		for _, a := range []*plot.Axis{&p.X, &p.Y} {
			a.LineStyle.Color = lightGray
			a.Tick.LineStyle.Color = lightGray
			a.Tick.Label.Color = midGray
		}
	}
	p.Y.Min, p.Y.Max = lo, hi
	p.X.Min, p.X.Max = float64(alphas[0].Epoch), float64(alphas[len(alphas)-1].Epoch)
	if p.X.Min == p.X.Max {
		p.X.Min, p.X.Max = p.X.Min-0.5, p.X.Max+0.5
	}
	p.X.Tick.Marker = plot.TickerFunc(integerTicks)
	var top *plotter.Line // the kept op's line goes on top
	for k, name := range prims {
		xys := make(plotter.XYs, len(alphas))
		for t, a := range alphas {
			xys[t] = plotter.XY{X: float64(a.Epoch), Y: series[t][e][k]}
		}
		l, err := plotter.NewLine(xys)
		if err != nil {
			continue // NaN or Inf: nothing sensible to draw for this op
		}
		col := OpColor(name)
		l.Color, l.Width = col, 1.2
		switch {
		case !kept:
			l.Color = faded(col, 0.35)
		case name == op:
			l.Width = 3.2
			top = l
			continue
		}
		p.Add(l)
		if len(alphas) == 1 {
			s, _ := plotter.NewScatter(xys)
			s.Color = l.Color
			p.Add(s)
		}
	}
	if top != nil {
		p.Add(top)
	}
	return p
}

// drawOpLegend draws the legend of the alpha-evolution grid: one line per
// op and what thick and faded mean.
func drawOpLegend(c draw.Canvas, prims []string, dropped bool) {
	l := plot.NewLegend()
	l.TextStyle.Font.Size = 11
	l.Top, l.Left = true, true
	l.XOffs = 0.3 * vg.Inch
	l.YOffs = -0.1 * vg.Inch
	l.ThumbnailWidth = 0.45 * vg.Inch
	for _, name := range prims {
		l.Add(name, lineThumb{draw.LineStyle{Color: OpColor(name), Width: 2}})
	}
	l.Add("op kept by the genotype", lineThumb{draw.LineStyle{Color: darkGray, Width: 3.2}})
	if dropped {
		l.Add("edge dropped (faded)", lineThumb{draw.LineStyle{Color: faded(darkGray, 0.35), Width: 1.2}})
	}
	l.Draw(c)
}

// lineThumb is a legend thumbnail: a horizontal line.
type lineThumb struct{ draw.LineStyle }

func (t lineThumb) Thumbnail(c *draw.Canvas) {
	y := c.Center().Y
	c.StrokeLine2(t.LineStyle, c.Min.X, y, c.Max.X, y)
}

// integerTicks marks whole epochs only, at most about six of them.
func integerTicks(lo, hi float64) []plot.Tick {
	step := math.Max(1, math.Ceil((hi-lo)/6))
	// Round the step to 1, 2, 5, 10, 20, ...
	mag := math.Pow(10, math.Floor(math.Log10(step)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*mag >= step {
			step = m * mag
			break
		}
	}
	var ts []plot.Tick
	for v := math.Ceil(lo/step) * step; v <= hi+1e-9; v += step {
		ts = append(ts, plot.Tick{Value: v, Label: fmt.Sprintf("%d", int(math.Round(v)))})
	}
	return ts
}
