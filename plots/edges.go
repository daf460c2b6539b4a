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
	"github.com/darts-go/darts/space"
)

// inputColors tell a node's incoming edges apart by the state they read:
// input 0, input 1, node 0, node 1, ... (Okabe–Ito, then Tableau).
var inputColors = []color.RGBA{
	{0x00, 0x72, 0xb2, 0xff}, {0xd5, 0x5e, 0x00, 0xff}, {0x00, 0x9e, 0x73, 0xff}, {0xcc, 0x79, 0xa7, 0xff},
	{0xe6, 0x9f, 0x00, 0xff}, {0x56, 0xb4, 0xe9, 0xff}, {0x8c, 0x56, 0x4b, 0xff}, {0x7f, 0x7f, 0x7f, 0xff},
}

// EdgeWeightEvolution draws how the weights of an edge tensor (PC-DARTS's
// edge normalization β: "beta_normal", "beta_reduce") moved during the
// search: one panel per intermediate node, one line per incoming edge
// (colored by the state it reads) of its normalized weight, which sums to
// 1 over the node. The edges the genotype derived from the last line keeps
// are drawn thick and labeled with their final weight.
func EdgeWeightEvolution(alphas []rundir.Alphas, tensor string) (*Figure, error) {
	if len(alphas) == 0 {
		return nil, errors.New("plots: edge weights: no alphas lines")
	}
	last := alphas[len(alphas)-1]
	lt, topo, err := tensorOf(last, tensor)
	if err != nil {
		return nil, err
	}
	if len(lt.Cols) != 1 {
		return nil, fmt.Errorf("plots: edge weights: tensor %q has %d columns, want one (an edge tensor)", tensor, len(lt.Cols))
	}
	g, err := deriveLine(last)
	if err != nil {
		return nil, fmt.Errorf("plots: edge weights: %w", err)
	}
	gc, _ := g.Cell(lt.Cell)
	kept := chosenOps(topo, gc)
	series := make([][]float64, len(alphas)) // per line: one weight per edge
	for i, a := range alphas {
		t, _, err := tensorOf(a, tensor)
		if err != nil {
			return nil, fmt.Errorf("plots: edge weights: epoch %d: %w", a.Epoch, err)
		}
		if len(t.Weights) != len(topo.Edges) {
			return nil, fmt.Errorf("plots: edge weights: epoch %d: %d edges, the last line has %d", a.Epoch, len(t.Weights), len(topo.Edges))
		}
		series[i] = make([]float64, len(t.Weights))
		for e, row := range t.Weights {
			series[i][e] = row[0]
		}
	}
	cols := min(topo.Nodes, 2)
	rows := (topo.Nodes + cols - 1) / cols
	const panelW, panelH, legendW = 5.4 * vg.Inch, 2.3 * vg.Inch, 2.5 * vg.Inch
	fig := &Figure{Width: vg.Length(cols) * panelW, Height: vg.Length(rows)*panelH + 0.45*vg.Inch}
	figTitle := fmt.Sprintf("%s: edge weights, softmax of %s over each node's inputs, epochs %d–%d (thick: edge kept)",
		title(lt.Cell), lt.Param, alphas[0].Epoch, last.Epoch)
	fig.draw = func(c draw.Canvas) {
		c = drawTitle(c, figTitle, 13)
		tiles := draw.Tiles{Rows: rows, Cols: cols, PadX: 0.15 * vg.Inch, PadY: 0.15 * vg.Inch,
			PadLeft: 0.05 * vg.Inch, PadRight: 0.1 * vg.Inch, PadBottom: 0.05 * vg.Inch}
		for k := 0; k < topo.Nodes; k++ {
			p, l := nodePanel(alphas, series, topo, k, kept)
			tile := tiles.At(c, k%cols, k/cols)
			p.Draw(draw.Crop(tile, 0, -legendW, 0, 0))
			l.Draw(draw.Crop(tile, tile.Size().X-legendW, 0, 0, -0.25*vg.Inch))
		}
	}
	return fig, nil
}

// nodePanel is the plot of the weights of node k's incoming edges and its
// legend, to be drawn beside it.
func nodePanel(alphas []rundir.Alphas, series [][]float64, topo space.Cell, k int, kept map[int]string) (*plot.Plot, plot.Legend) {
	p := newPlot(topo.StateName(topo.NodeState(k)), "epoch", "edge weight", 10)
	in := topo.InEdges(k)
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, w := range series {
		for _, e := range in {
			lo, hi = math.Min(lo, w[e]), math.Max(hi, w[e])
		}
	}
	pad := math.Max(0.05*(hi-lo), 0.005)
	p.Y.Min, p.Y.Max = math.Max(0, lo-pad), math.Min(1, hi+pad)
	p.X.Min, p.X.Max = float64(alphas[0].Epoch), float64(alphas[len(alphas)-1].Epoch)
	if p.X.Min == p.X.Max {
		p.X.Min, p.X.Max = p.X.Min-0.5, p.X.Max+0.5
	}
	p.X.Tick.Marker = plot.TickerFunc(integerTicks)
	leg := plot.NewLegend()
	leg.Top, leg.Left = true, true
	leg.TextStyle.Font.Size = 8.5
	leg.ThumbnailWidth = 0.35 * vg.Inch
	for _, e := range in {
		xys := make(plotter.XYs, len(alphas))
		for t, a := range alphas {
			xys[t] = plotter.XY{X: float64(a.Epoch), Y: series[t][e]}
		}
		l, err := plotter.NewLine(xys)
		if err != nil {
			continue // NaN or Inf
		}
		src := topo.Edges[e].Input
		l.Color, l.Width = inputColors[src%len(inputColors)], 1.2
		label := fmt.Sprintf("%s  %.3f", topo.StateName(src), series[len(series)-1][e])
		if op, ok := kept[e]; ok {
			l.Width = 3.2
			label += "  kept: " + op
		}
		p.Add(l)
		leg.Add(label, l)
		if len(alphas) == 1 {
			s, _ := plotter.NewScatter(xys)
			s.Color = l.Color
			p.Add(s)
		}
	}
	return p, leg
}
