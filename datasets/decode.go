package datasets

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
	"golang.org/x/image/webp"
)

// An image format the folder dataset reads. The format is recognised by the
// file's first bytes, not its extension, as PIL does: a JPEG named .png
// still loads.
type imageFormat struct {
	name   string
	match  func(head []byte) bool
	config func(io.Reader) (image.Config, error)
	decode func(io.Reader) (image.Image, error)
}

// imageFormats are the decoders of the folder dataset, registered here
// rather than through image.RegisterFormat so that which formats load does
// not depend on what other packages of the program import.
var imageFormats = []imageFormat{
	{"PNG", func(h []byte) bool { return bytes.HasPrefix(h, []byte("\x89PNG\r\n\x1a\n")) }, png.DecodeConfig, png.Decode},
	{"JPEG", func(h []byte) bool { return bytes.HasPrefix(h, []byte{0xff, 0xd8}) }, jpeg.DecodeConfig, jpeg.Decode},
	{"GIF", func(h []byte) bool {
		return bytes.HasPrefix(h, []byte("GIF87a")) || bytes.HasPrefix(h, []byte("GIF89a"))
	}, gif.DecodeConfig, decodeGIFFirstFrame},
	{"BMP", func(h []byte) bool { return bytes.HasPrefix(h, []byte("BM")) }, bmp.DecodeConfig, bmp.Decode},
	{"WebP", func(h []byte) bool { return len(h) >= 12 && string(h[:4]) == "RIFF" && string(h[8:12]) == "WEBP" }, webp.DecodeConfig, webp.Decode},
	{"TIFF", func(h []byte) bool {
		return bytes.HasPrefix(h, []byte("II*\x00")) || bytes.HasPrefix(h, []byte("MM\x00*"))
	}, tiff.DecodeConfig, tiff.Decode},
	{"PNM", isPNM, pnmConfig, decodePNM},
}

// FolderExtensions are the file name endings the folder dataset reads,
// compared without regard to ASCII case: torchvision's IMG_EXTENSIONS plus
// ".gif" (which torchvision's ImageFolder ignores).
var FolderExtensions = []string{".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp", ".gif"}

// hasImageExtension reports whether name ends with one of FolderExtensions,
// ignoring ASCII case. (torchvision lower-cases the whole name with Python's
// str.lower; no non-ASCII character lower-cases to an ASCII letter of these
// extensions, so the two agree.)
func hasImageExtension(name string) bool {
	for _, ext := range FolderExtensions {
		if len(name) >= len(ext) && asciiEqualFold(name[len(name)-len(ext):], ext) {
			return true
		}
	}
	return false
}

func asciiEqualFold(s, lower string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

// maxImagePixels bounds the pixels of one decoded image: PIL's
// Image.MAX_IMAGE_PIXELS, beyond which PIL warns of a decompression bomb.
const maxImagePixels = 89478485

// rawImage is a decoded image as 8-bit planes: one (gray) when every pixel
// has R = G = B, else three (R, G, B), each H×W, row-major.
type rawImage struct {
	h, w int
	pix  []byte // len 1*h*w (gray) or 3*h*w
}

func (r *rawImage) channels() int { return len(r.pix) / (r.h * r.w) }

// decodeImage decodes one image file's content into planes, refusing images
// of more than maxPixels pixels before allocating them. A decoder that
// panics on a malformed file (a bug of that decoder) gives an error.
func decodeImage(data []byte, maxPixels int) (im *rawImage, err error) {
	defer func() {
		if p := recover(); p != nil {
			im, err = nil, fmt.Errorf("malformed image: the decoder failed (%v)", p)
		}
	}()
	if len(data) == 0 {
		return nil, errors.New("empty file")
	}
	var f *imageFormat
	for i := range imageFormats {
		if imageFormats[i].match(data) {
			f = &imageFormats[i]
			break
		}
	}
	if f == nil {
		head := data[:min(len(data), 8)]
		return nil, fmt.Errorf("not a PNG, JPEG, GIF, BMP, WebP, TIFF, PPM or PGM file (starts with % x)", head)
	}
	cfg, err := f.config(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("decoding %s header: %w", f.name, err)
	}
	if cfg.Width < 1 || cfg.Height < 1 {
		return nil, fmt.Errorf("%s image of %dx%d (WxH) pixels: empty", f.name, cfg.Width, cfg.Height)
	}
	if int64(cfg.Width)*int64(cfg.Height) > int64(maxPixels) {
		return nil, fmt.Errorf("%s image of %dx%d (WxH) pixels: more than %d pixels", f.name, cfg.Width, cfg.Height, maxPixels)
	}
	img, err := f.decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("decoding %s: %w", f.name, err)
	}
	b := img.Bounds()
	if b.Dx() < 1 || b.Dy() < 1 || int64(b.Dx())*int64(b.Dy()) > int64(maxPixels) {
		return nil, fmt.Errorf("decoding %s: image of %dx%d (WxH) pixels", f.name, b.Dx(), b.Dy())
	}
	return toPlanes(img), nil
}

// decodeGIFFirstFrame returns a GIF's first frame placed on its logical
// screen (gif.Decode returns the frame alone). Where the frame does not
// cover the screen the pixels are black; so are pixels of the transparent
// colour (Go's decoder replaces that palette entry by transparent black, and
// alpha is dropped).
func decodeGIFFirstFrame(r io.Reader) (image.Image, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	cfg, err := gif.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	img, err := gif.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	screen := image.Rect(0, 0, cfg.Width, cfg.Height)
	frame := img.Bounds()
	if frame == screen {
		return img, nil
	}
	out := image.NewNRGBA(screen)
	for i := 3; i < len(out.Pix); i += 4 {
		out.Pix[i] = 0xff
	}
	in := frame.Intersect(screen)
	for y := in.Min.Y; y < in.Max.Y; y++ {
		for x := in.Min.X; x < in.Max.X; x++ {
			c := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
			c.A = 0xff
			out.SetNRGBA(x, y, c)
		}
	}
	return out, nil
}

// toPlanes converts any decoded image to 8-bit planes the way PIL's
// convert("RGB") does: colour models through color.NRGBAModel, alpha dropped
// (not composited: PIL drops it too), palette entries mapped to their
// colours, 16-bit samples reduced to their high byte.
func toPlanes(img image.Image) *rawImage {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	n := w * h
	switch m := img.(type) {
	case *image.Gray:
		out := &rawImage{h: h, w: w, pix: make([]byte, n)}
		for y := 0; y < h; y++ {
			copy(out.pix[y*w:(y+1)*w], m.Pix[y*m.Stride:y*m.Stride+w])
		}
		return out
	case *image.Gray16:
		out := &rawImage{h: h, w: w, pix: make([]byte, n)}
		for y := 0; y < h; y++ {
			row := m.Pix[y*m.Stride:]
			for x := 0; x < w; x++ {
				out.pix[y*w+x] = row[2*x]
			}
		}
		return out
	}
	rgb := make([]byte, 3*n)
	r, g, bl := rgb[:n], rgb[n:2*n], rgb[2*n:]
	switch m := img.(type) {
	case *image.NRGBA:
		for y := 0; y < h; y++ {
			row := m.Pix[y*m.Stride:]
			for x := 0; x < w; x++ {
				i := y*w + x
				r[i], g[i], bl[i] = row[4*x], row[4*x+1], row[4*x+2]
			}
		}
	case *image.YCbCr:
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				yi, ci := m.YOffset(b.Min.X+x, b.Min.Y+y), m.COffset(b.Min.X+x, b.Min.Y+y)
				i := y*w + x
				r[i], g[i], bl[i] = color.YCbCrToRGB(m.Y[yi], m.Cb[ci], m.Cr[ci])
			}
		}
	case *image.Paletted:
		var lut [256][3]byte
		for k, c := range m.Palette {
			if k < 256 {
				nc := color.NRGBAModel.Convert(c).(color.NRGBA)
				lut[k] = [3]byte{nc.R, nc.G, nc.B}
			}
		}
		for y := 0; y < h; y++ {
			row := m.Pix[y*m.Stride:]
			for x := 0; x < w; x++ {
				i, c := y*w+x, lut[row[x]]
				r[i], g[i], bl[i] = c[0], c[1], c[2]
			}
		}
	default:
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				c := color.NRGBAModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.NRGBA)
				i := y*w + x
				r[i], g[i], bl[i] = c.R, c.G, c.B
			}
		}
	}
	if bytes.Equal(r, g) && bytes.Equal(g, bl) {
		return &rawImage{h: h, w: w, pix: rgb[:n:n]}
	}
	return &rawImage{h: h, w: w, pix: rgb}
}
