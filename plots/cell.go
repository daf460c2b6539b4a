package plots

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/darts-go/darts/derive"
)

// Node fills, after the original DARTS visualize.py.
var (
	inputFill  = color.RGBA{0xbc, 0xe5, 0xbc, 0xff} // c_{k-2}, c_{k-1}
	nodeFill   = color.RGBA{0xc6, 0xdb, 0xef, 0xff} // intermediate nodes
	outputFill = color.RGBA{0xee, 0xe8, 0xaa, 0xff} // c_{k}
)

// CellDiagram draws one cell of genotype g as a graph: the cell's inputs
// (c_{k-2} and c_{k-1} for DARTS) on the left, the intermediate nodes in
// the middle (zig-zagging so that no edge passes through a node), the
// output (c_{k}) on the right; every chosen edge is an arrow in its op's
// color (OpColor) labeled with the op, and dashed arrows show which states
// are concatenated into the output. Nodes without inputs, which the
// discrete network drops, are drawn dashed, as are the pairs that read them.
func CellDiagram(g derive.Genotype, cell string) (*Figure, error) {
	c, ok := g.Cell(cell)
	if !ok {
		return nil, fmt.Errorf("plots: cell diagram: the genotype has no %s cell", cell)
	}
	if len(c.Nodes) == 0 || c.Inputs < 1 {
		return nil, fmt.Errorf("plots: cell diagram: %s cell has %d inputs and %d nodes", cell, c.Inputs, len(c.Nodes))
	}
	for k, node := range c.Nodes {
		for _, p := range node {
			if p.Input < 0 || p.Input >= c.Inputs+k {
				return nil, fmt.Errorf("plots: cell diagram: %s cell node %d reads state %d, want 0..%d", cell, k, p.Input, c.Inputs+k-1)
			}
		}
	}
	steps := len(c.Nodes)
	out := c.States() // the output's index among the drawn states
	for _, s := range c.Concat {
		if s < 0 || s >= out {
			return nil, fmt.Errorf("plots: cell diagram: %s cell concatenates state %d, want 0..%d", cell, s, out-1)
		}
	}
	live := c.Live()

	fig := &Figure{Width: 9 * vg.Inch, Height: 4.5 * vg.Inch}
	fig.draw = func(cv draw.Canvas) {
		cv = drawTitle(cv, title(cell)+" of the genotype", 14)
		cv = draw.Crop(cv, 0.1*vg.Inch, -0.1*vg.Inch, 0.1*vg.Inch, 0)
		at := func(fx, fy float64) vg.Point {
			return vg.Point{X: cv.Min.X + vg.Length(fx)*(cv.Max.X-cv.Min.X), Y: cv.Min.Y + vg.Length(fy)*(cv.Max.Y-cv.Min.Y)}
		}
		// States: the inputs, the intermediate nodes, then the output.
		pos := make([]vg.Point, out+1)
		for i := 0; i < c.Inputs; i++ {
			fy := 0.5
			if c.Inputs > 1 {
				fy = 0.85 - 0.70*float64(i)/float64(c.Inputs-1)
			}
			pos[i] = at(0.06, fy)
		}
		for i := 0; i < steps; i++ {
			fx, fy := 0.5, 0.5
			if steps > 1 {
				fx = 0.30 + 0.42*float64(i)/float64(steps-1)
				fy = 0.70 - 0.40*float64(i%2)
			}
			pos[c.Inputs+i] = at(fx, fy)
		}
		pos[out] = at(0.94, 0.5)
		half := vg.Point{X: 0.38 * vg.Inch, Y: 0.2 * vg.Inch}

		boxes := make([]vg.Rectangle, len(pos))
		for s, p := range pos {
			boxes[s] = vg.Rectangle{Min: vg.Point{X: p.X - half.X, Y: p.Y - half.Y}, Max: vg.Point{X: p.X + half.X, Y: p.Y + half.Y}}
		}
		dashed := draw.LineStyle{Color: midGray, Width: 1.2, Dashes: []vg.Length{4, 3}}
		for _, s := range c.Concat {
			drawArrow(cv, route(boxes, s, out), dashed)
		}
		type label struct {
			path []vg.Point
			op   string
			col  color.RGBA
		}
		var labels []label
		for k, node := range c.Nodes {
			for _, p := range node {
				path := route(boxes, p.Input, c.Inputs+k)
				col := OpColor(p.Op)
				sty := draw.LineStyle{Color: col, Width: 2.2}
				if !live[k] || (p.Input >= c.Inputs && !live[p.Input-c.Inputs]) {
					sty.Color, sty.Dashes = faded(col, 0.5), []vg.Length{5, 3}
				}
				drawArrow(cv, path, sty)
				labels = append(labels, label{path, p.Op, col})
			}
		}
		// Labels last, so no edge crosses a label's box; each goes at the
		// first spot along its edge that overlaps no node and no other label.
		taken := append([]vg.Rectangle(nil), boxes...)
		for _, l := range labels {
			sty := textStyle(10, black)
			w, h := sty.Width(l.op)+6, sty.Height(l.op)+4
			var r vg.Rectangle
			for _, t := range []float64{0.5, 0.4, 0.6, 0.3, 0.7, 0.2, 0.8, 0.5} {
				at := l.path[int(t*float64(len(l.path)-1))]
				r = vg.Rectangle{Min: vg.Point{X: at.X - w/2, Y: at.Y - h/2}, Max: vg.Point{X: at.X + w/2, Y: at.Y + h/2}}
				if !overlapsAny(r, taken) {
					break
				}
			}
			taken = append(taken, r)
			cv.SetColor(color.White)
			cv.Fill(r.Path())
			cv.SetLineStyle(draw.LineStyle{Color: l.col, Width: 1})
			cv.Stroke(r.Path())
			cv.FillText(sty, vg.Point{X: (r.Min.X + r.Max.X) / 2, Y: (r.Min.Y + r.Max.Y) / 2}, l.op)
		}
		for s, p := range pos {
			name, fill := stateLabel(c, s), nodeFill
			border := draw.LineStyle{Color: darkGray, Width: 1}
			switch {
			case s < c.Inputs:
				fill = inputFill
			case s == out:
				name, fill = derive.OutputLabel(c), outputFill
			case !live[s-c.Inputs]:
				fill, border.Dashes = faded(nodeFill, 0.4), []vg.Length{4, 3}
				name += " (dropped)"
			}
			r := vg.Rectangle{Min: vg.Point{X: p.X - half.X, Y: p.Y - half.Y}, Max: vg.Point{X: p.X + half.X, Y: p.Y + half.Y}}
			cv.SetColor(fill)
			cv.Fill(r.Path())
			cv.SetLineStyle(border)
			cv.Stroke(r.Path())
			cv.FillText(textStyle(12, black), p, name)
		}
	}
	return fig, nil
}

// stateLabel names state s of cell c in the figures: the DARTS inputs
// c_{k-2}, c_{k-1} and nodes "node 0", ...; a NAS-Bench-201 cell's input
// "node 0" and nodes from "node 1"; otherwise "in j" and "node k".
func stateLabel(c derive.Cell, s int) string {
	switch {
	case c.Inputs == 2 && s < 2:
		return derive.StateLabel(c, s)
	case c.Inputs == 1:
		return fmt.Sprintf("node %d", s)
	case s < c.Inputs:
		return fmt.Sprintf("in %d", s)
	}
	return fmt.Sprintf("node %d", s-c.Inputs)
}

// route returns the path of the edge from state box a to state box b: a
// straight line if it passes through no other box, else the first of a few
// increasingly bent quadratic curves that does. The path starts and ends on
// the boxes' borders.
func route(boxes []vg.Rectangle, a, b int) []vg.Point {
	center := func(r vg.Rectangle) vg.Point {
		return vg.Point{X: (r.Min.X + r.Max.X) / 2, Y: (r.Min.Y + r.Max.Y) / 2}
	}
	p0, p2 := center(boxes[a]), center(boxes[b])
	mid := vg.Point{X: (p0.X + p2.X) / 2, Y: (p0.Y + p2.Y) / 2}
	dx, dy := float64(p2.X-p0.X), float64(p2.Y-p0.Y)
	n := math.Hypot(dx, dy)
	if n == 0 {
		return []vg.Point{p0, p2}
	}
	px, py := -dy/n, dx/n // unit normal
	var best []vg.Point
	for _, off := range []vg.Length{0, 30, -30, 60, -60, 90, -90, 120, -120} {
		ctrl := vg.Point{X: mid.X + vg.Length(px)*off*2, Y: mid.Y + vg.Length(py)*off*2}
		const samples = 60
		var pts []vg.Point
		clean := true
		for i := 0; i <= samples; i++ {
			t := float64(i) / samples
			u := 1 - t
			q := vg.Point{
				X: vg.Length(u*u)*p0.X + vg.Length(2*u*t)*ctrl.X + vg.Length(t*t)*p2.X,
				Y: vg.Length(u*u)*p0.Y + vg.Length(2*u*t)*ctrl.Y + vg.Length(t*t)*p2.Y,
			}
			if inside(q, boxes[a], 0) || inside(q, boxes[b], 0) {
				continue
			}
			for s, r := range boxes {
				if s != a && s != b && inside(q, r, 4) {
					clean = false
				}
			}
			pts = append(pts, q)
		}
		if len(pts) < 2 {
			continue
		}
		if best == nil {
			best = pts
		}
		if clean {
			return pts
		}
	}
	if best == nil {
		return []vg.Point{p0, p2}
	}
	return best
}

// inside reports whether p lies in r grown by pad on every side.
func inside(p vg.Point, r vg.Rectangle, pad vg.Length) bool {
	return p.X >= r.Min.X-pad && p.X <= r.Max.X+pad && p.Y >= r.Min.Y-pad && p.Y <= r.Max.Y+pad
}

func overlapsAny(r vg.Rectangle, rs []vg.Rectangle) bool {
	for _, o := range rs {
		if r.Min.X < o.Max.X && o.Min.X < r.Max.X && r.Min.Y < o.Max.Y && o.Min.Y < r.Max.Y {
			return true
		}
	}
	return false
}

// drawArrow strokes path with an arrowhead at its end.
func drawArrow(c draw.Canvas, path []vg.Point, sty draw.LineStyle) {
	if len(path) < 2 {
		return
	}
	b := path[len(path)-1]
	// Aim the head along the last few points: a single sample step of a
	// curve is too short for a stable direction.
	a := path[max(0, len(path)-6)]
	dx, dy := float64(b.X-a.X), float64(b.Y-a.Y)
	n := math.Hypot(dx, dy)
	if n == 0 {
		return
	}
	ux, uy := dx/n, dy/n
	const headLen, headW = 9.0, 4.0
	base := vg.Point{X: b.X - vg.Length(ux*headLen), Y: b.Y - vg.Length(uy*headLen)}
	line := append(append([]vg.Point(nil), path[:len(path)-1]...), base)
	c.StrokeLines(sty, line)
	c.FillPolygon(sty.Color, []vg.Point{
		b,
		{X: base.X - vg.Length(uy*headW), Y: base.Y + vg.Length(ux*headW)},
		{X: base.X + vg.Length(uy*headW), Y: base.Y - vg.Length(ux*headW)},
	})
}
