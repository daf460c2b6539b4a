package plots

import (
	"fmt"
	"image/color"
	"io"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgpdf"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/darts-go/darts/internal/atomicfile"
)

// DPI is the resolution of PNG figures: twice the 72 points of an inch, so
// text stays sharp on a laptop screen and in a printed paper.
const DPI = 144

// Figure is a drawing of a fixed size, ready to be written as PNG, SVG or
// PDF. Every figure function of this package returns one.
type Figure struct {
	Width, Height vg.Length
	draw          func(c draw.Canvas)
}

// Draw draws the figure onto c, which should be Width × Height.
func (f *Figure) Draw(c draw.Canvas) { f.draw(c) }

// Formats lists the output formats Save and WriteTo accept.
var Formats = []string{"png", "svg", "pdf"}

// WriteTo writes the figure in format (png, svg or pdf) to w.
func (f *Figure) WriteTo(w io.Writer, format string) error {
	var cw vg.CanvasWriterTo
	switch strings.ToLower(format) {
	case "png":
		c := vgimg.NewWith(vgimg.UseWH(f.Width, f.Height), vgimg.UseDPI(DPI), vgimg.UseBackgroundColor(color.White))
		cw = vgimg.PngCanvas{Canvas: c}
	case "svg":
		cw = vgsvg.New(f.Width, f.Height)
	case "pdf":
		cw = vgpdf.New(f.Width, f.Height)
	default:
		return fmt.Errorf("plots: unknown format %q (want png, svg or pdf)", format)
	}
	dc := draw.New(cw)
	if format != "png" { // vgimg already fills its background; the vector formats start transparent
		dc.SetColor(color.White)
		dc.Fill(dc.Rectangle.Path())
	}
	f.draw(dc)
	if _, err := cw.WriteTo(w); err != nil {
		return fmt.Errorf("plots: encode %s: %w", format, err)
	}
	return nil
}

// Save writes the figure to path in the format its extension names
// (.png, .svg or .pdf), atomically: a reader never sees a half-drawn file.
func (f *Figure) Save(path string) error {
	format := strings.TrimPrefix(filepath.Ext(path), ".")
	if err := atomicfile.Write(path, 0o644, func(w io.Writer) error { return f.WriteTo(w, format) }); err != nil {
		return fmt.Errorf("plots: %w", err)
	}
	return nil
}
