package plots

import (
	"fmt"
	"image/color"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/darts-go/darts/derive"
	"github.com/darts-go/darts/rundir"
	"github.com/darts-go/darts/space"
)

// The op tensors of the DARTS space, which are also its cell types. Every
// figure function takes a tensor (or cell) name: "cell" for NAS-Bench-201.
const (
	Normal = "normal"
	Reduce = "reduce"
)

// title names a cell type in figure titles.
func title(cell string) string {
	switch cell {
	case Reduce:
		return "Reduction cell"
	case Normal:
		return "Normal cell"
	case "cell":
		return "Cell"
	}
	return cell + " cell"
}

// tensorOf returns the named op tensor of one alphas line and the topology
// of its cell type.
func tensorOf(a rundir.Alphas, name string) (rundir.TensorAlphas, space.Cell, error) {
	t, ok := a.Tensor(name)
	if !ok {
		var names []string
		for _, t := range a.Tensors {
			names = append(names, t.Name)
		}
		return t, space.Cell{}, fmt.Errorf("plots: no tensor %q (the run has %s)", name, strings.Join(names, ", "))
	}
	ct, ok := a.Space.CellType(t.Cell)
	if !ok {
		return t, space.Cell{}, fmt.Errorf("plots: tensor %q is of cell %q, which space %s lacks", name, t.Cell, a.Space.Name)
	}
	return t, ct.Cell, nil
}

var (
	black     = color.RGBA{0, 0, 0, 0xff}
	darkGray  = color.RGBA{0x44, 0x44, 0x44, 0xff}
	midGray   = color.RGBA{0x88, 0x88, 0x88, 0xff}
	lightGray = color.RGBA{0xcc, 0xcc, 0xcc, 0xff}
)

// textStyle is centered plain text in the plots' font.
func textStyle(size vg.Length, c color.Color) text.Style {
	return text.Style{
		Color:   c,
		Font:    font.From(plot.DefaultFont, size),
		Handler: plot.DefaultTextHandler,
		XAlign:  draw.XCenter,
		YAlign:  draw.YCenter,
	}
}

// newPlot returns a plot with the font sizes of these figures: a bit smaller
// than gonum's defaults so that panels of a grid keep room for data.
func newPlot(title, xlabel, ylabel string, size vg.Length) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font.Size = size + 1
	p.X.Label.Text = xlabel
	p.Y.Label.Text = ylabel
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font.Size = size
		a.Tick.Label.Font.Size = size - 1
	}
	return p
}

// drawTitle writes a figure title along the top of c and returns the canvas
// below it.
func drawTitle(c draw.Canvas, title string, size vg.Length) draw.Canvas {
	sty := textStyle(size, black)
	h := sty.Height(title) + size
	c.FillText(sty, vg.Point{X: (c.Min.X + c.Max.X) / 2, Y: c.Max.Y - h/2}, title)
	return draw.Crop(c, 0, 0, 0, -h)
}

// edgeGrid places the edges of a cell in a grid: row = the node an edge
// goes into, column = its position among the node's incoming edges (for
// DARTS, the input state). It returns the place of each edge and the grid's
// size.
func edgeGrid(c space.Cell) (place [][2]int, rows, cols int) {
	place = make([][2]int, len(c.Edges))
	for k := 0; k < c.Nodes; k++ {
		for i, e := range c.InEdges(k) {
			place[e] = [2]int{k, i}
			cols = max(cols, i+1)
		}
	}
	return place, c.Nodes, cols
}

// chosenOps maps the edge index of every pair of a genotype cell to its op,
// finding each pair's edge in the supernet's topology.
func chosenOps(topo space.Cell, cell derive.Cell) map[int]string {
	m := make(map[int]string)
	for k, node := range cell.Nodes {
		for _, p := range node {
			for _, e := range topo.InEdges(k) {
				if topo.Edges[e].Input == p.Input {
					m[e] = p.Op
				}
			}
		}
	}
	return m
}

// deriveLine applies the run's derivation rule to one alphas line.
func deriveLine(a rundir.Alphas) (derive.Genotype, error) {
	rule, err := derive.RuleByName(a.Rule)
	if err != nil {
		return derive.Genotype{}, fmt.Errorf("plots: epoch %d: %w", a.Epoch, err)
	}
	g, err := derive.Derive(a.Space, rule, a.CellWeights())
	if err != nil {
		return g, fmt.Errorf("plots: epoch %d: %w", a.Epoch, err)
	}
	return g, nil
}

// hEntry is one entry of a horizontal legend.
type hEntry struct {
	label string
	line  draw.LineStyle
}

// drawHLegend draws entries side by side, centered in c, so that a legend
// shared by several panels never covers any of their data.
func drawHLegend(c draw.Canvas, entries []hEntry, size vg.Length) {
	sty := textStyle(size, black)
	sty.XAlign = draw.XLeft
	sample := 0.35 * vg.Inch
	gap := 0.08 * vg.Inch
	sep := 0.3 * vg.Inch
	total := vg.Length(0)
	for i, e := range entries {
		if i > 0 {
			total += sep
		}
		total += sample + gap + sty.Width(e.label)
	}
	x := (c.Min.X+c.Max.X)/2 - total/2
	y := (c.Min.Y + c.Max.Y) / 2
	for _, e := range entries {
		c.StrokeLine2(e.line, x, y, x+sample, y)
		x += sample + gap
		c.FillText(sty, vg.Point{X: x, Y: y}, e.label)
		x += sty.Width(e.label) + sep
	}
}
