package plots

import (
	"fmt"
	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/darts-go/darts/derive"
	"github.com/darts-go/darts/rundir"
)

// Cell names a cell type of the DARTS network.
type Cell string

// The two cell types.
const (
	Normal Cell = "normal"
	Reduce Cell = "reduce"
)

func (c Cell) title() string {
	if c == Reduce {
		return "Reduction cell"
	}
	return "Normal cell"
}

// weights returns the cell's softmax weights from one alphas line.
func (c Cell) weights(a rundir.Alphas) ([][]float64, error) {
	switch c {
	case Normal:
		return a.Normal.Weights, nil
	case Reduce:
		return a.Reduce.Weights, nil
	}
	return nil, fmt.Errorf("plots: unknown cell %q (want normal or reduce)", string(c))
}

// pairs returns the cell's half of a genotype.
func (c Cell) pairs(g derive.Genotype) []derive.Pair {
	if c == Reduce {
		return g.Reduce
	}
	return g.Normal
}

func (c Cell) concat(g derive.Genotype) []int {
	if c == Reduce {
		return g.ReduceConcat
	}
	return g.NormalConcat
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

// edge is one edge of a cell: intermediate node Node reads state Input
// (0 and 1 are c_{k-2} and c_{k-1}, j >= 2 is node j-2).
type edge struct{ Node, Input int }

// cellEdges lists a cell's edges in DARTS order.
func cellEdges(steps int) []edge {
	var es []edge
	for i := 0; i < steps; i++ {
		for j := 0; j < i+2; j++ {
			es = append(es, edge{i, j})
		}
	}
	return es
}

// stateName names a state of a cell as the DARTS paper does.
func stateName(input int) string {
	switch input {
	case 0:
		return "c_{k-2}"
	case 1:
		return "c_{k-1}"
	}
	return fmt.Sprintf("node %d", input-2)
}

func (e edge) String() string { return fmt.Sprintf("node %d ← %s", e.Node, stateName(e.Input)) }

// chosenOps maps the edge index of every (op, input) pair of a cell's
// genotype to its op.
func chosenOps(pairs []derive.Pair) map[int]string {
	m := make(map[int]string)
	start := 0
	for node := 0; 2*node+1 < len(pairs); node++ {
		for _, p := range pairs[2*node : 2*node+2] {
			m[start+p.Input] = p.Op
		}
		start += node + 2
	}
	return m
}

// deriveLine applies the DARTS derivation rule to one alphas line.
func deriveLine(a rundir.Alphas) (derive.Genotype, error) {
	g, err := derive.Derive(a.Normal.Weights, a.Reduce.Weights, a.Primitives)
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
