package plots

import (
	"errors"
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/darts-go/darts/rundir"
	"github.com/darts-go/darts/space"
)

// WeightsHeatmap draws one op tensor's weights of a single alphas line
// (normally the last) as an edges × ops table: each cell shaded by its
// weight with the value printed in it, and the (edge, op) pairs the run's
// rule derives from that line boxed.
func WeightsHeatmap(a rundir.Alphas, tensor string) (*Figure, error) {
	t, topo, err := tensorOf(a, tensor)
	if err != nil {
		return nil, err
	}
	w := t.Weights
	if len(w) == 0 {
		return nil, errors.New("plots: weights heatmap: no weights")
	}
	g, err := deriveLine(a)
	if err != nil {
		return nil, fmt.Errorf("plots: weights heatmap: %w", err)
	}
	gc, _ := g.Cell(t.Cell)
	lo, hi := valueRange(w)
	p := newPlot(fmt.Sprintf("%s: weights at epoch %d (shade from %.3f to %.3f; boxed: kept by the derived genotype)", title(t.Cell), a.Epoch, lo, hi), "operation", "edge", 11)
	p.Title.Padding = 0.15 * vg.Inch
	p.NominalX(t.Cols...)
	names := make([]string, len(topo.Edges))
	for e := range topo.Edges {
		names[len(topo.Edges)-1-e] = topo.EdgeName(e) // edge 0 at the top
	}
	p.NominalY(names...)
	p.X.Tick.Label.Font.Size = 10
	p.Y.Tick.Label.Font.Size = 10
	p.Add(&heatGrid{w: w, chosen: chosenOps(topo, gc), prims: t.Cols, edges: topo.Edges})
	fig := &Figure{Width: 1.2*vg.Inch + vg.Length(len(t.Cols))*0.95*vg.Inch,
		Height: 1.2*vg.Inch + vg.Length(len(w))*0.34*vg.Inch}
	fig.draw = func(c draw.Canvas) { p.Draw(c) }
	return fig, nil
}

// heatGrid is a plot.Plotter drawing the shaded, labeled weight table.
type heatGrid struct {
	w      [][]float64
	chosen map[int]string
	prims  []string
	edges  []space.Edge
}

func (h *heatGrid) DataRange() (xmin, xmax, ymin, ymax float64) {
	return -0.5, float64(len(h.prims)) - 0.5, -0.5, float64(len(h.w)) - 0.5
}

func (h *heatGrid) Plot(c draw.Canvas, p *plot.Plot) {
	tx, ty := p.Transforms(&c)
	// Shade over the table's own range: near-uniform weights early in a
	// search differ in the third decimal, which a 0..max scale would hide.
	vmin, vmax := valueRange(h.w)
	rect := func(e, k int) vg.Rectangle {
		y := float64(len(h.w) - 1 - e)
		return vg.Rectangle{
			Min: vg.Point{X: tx(float64(k) - 0.5), Y: ty(y - 0.5)},
			Max: vg.Point{X: tx(float64(k) + 0.5), Y: ty(y + 0.5)},
		}
	}
	for e, row := range h.w {
		for k, v := range row {
			r := rect(e, k)
			t := 0.5
			if vmax > vmin {
				t = (v - vmin) / (vmax - vmin)
			}
			c.SetColor(shade(t))
			c.Fill(r.Path())
			txtColor := color.Color(black)
			if t > 0.55 {
				txtColor = color.White
			}
			c.FillText(textStyle(10, txtColor), vg.Point{X: (r.Min.X + r.Max.X) / 2, Y: (r.Min.Y + r.Max.Y) / 2}, fmt.Sprintf("%.3f", v))
		}
	}
	// Separate the intermediate nodes' groups of edges.
	sep := draw.LineStyle{Color: darkGray, Width: 1}
	for e := 1; e < len(h.edges); e++ {
		if h.edges[e].Node != h.edges[e-1].Node {
			r := rect(e-1, 0)
			c.StrokeLine2(sep, r.Min.X, r.Min.Y, tx(float64(len(h.prims))-0.5), r.Min.Y)
		}
	}
	box := draw.LineStyle{Color: color.RGBA{0xd6, 0x27, 0x28, 0xff}, Width: 2.5}
	for e, op := range h.chosen {
		for k, name := range h.prims {
			if name == op && e < len(h.w) {
				r := rect(e, k)
				in := vg.Length(1.5)
				c.StrokeLines(box, []vg.Point{
					{X: r.Min.X + in, Y: r.Min.Y + in}, {X: r.Max.X - in, Y: r.Min.Y + in},
					{X: r.Max.X - in, Y: r.Max.Y - in}, {X: r.Min.X + in, Y: r.Max.Y - in},
					{X: r.Min.X + in, Y: r.Min.Y + in},
				})
			}
		}
	}
}

// shade maps t in [0, 1] from white to dark blue.
func shade(t float64) color.Color {
	t = math.Max(0, math.Min(1, t))
	lerp := func(a, b uint8) uint8 { return uint8(float64(a) + t*(float64(b)-float64(a))) }
	return color.RGBA{lerp(0xff, 0x08), lerp(0xff, 0x30), lerp(0xff, 0x6b), 0xff}
}

// valueRange is the smallest and largest value of a table.
func valueRange(w [][]float64) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, row := range w {
		for _, v := range row {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
	}
	return lo, hi
}
