package datasets

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"os"
	"strings"
	"testing"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
)

// rgbImage returns a w×h NRGBA image whose pixel (x, y) is px(x, y).
func rgbImage(w, h int, px func(x, y int) color.NRGBA) *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			m.SetNRGBA(x, y, px(x, y))
		}
	}
	return m
}

// testPixel is the colour pattern most fixtures use.
func testPixel(x, y int) color.NRGBA {
	return color.NRGBA{uint8(10 + 40*x), uint8(20 + 30*y), uint8(200 - 10*x - 20*y), 255}
}

// planesOf returns the R, G, B planes of testPixel over w×h.
func planesOf(w, h int, px func(x, y int) color.NRGBA) []byte {
	n := w * h
	out := make([]byte, 3*n)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := px(x, y)
			i := y*w + x
			out[i], out[n+i], out[2*n+i] = c.R, c.G, c.B
		}
	}
	return out
}

func encode(t testing.TB, enc func(*bytes.Buffer) error) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := enc(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func pngBytes(t testing.TB, m image.Image) []byte {
	return encode(t, func(b *bytes.Buffer) error { return png.Encode(b, m) })
}

func TestDecodeLosslessFormats(t *testing.T) {
	const w, h = 4, 3
	rgb := rgbImage(w, h, testPixel)
	want := planesOf(w, h, testPixel)

	gray := image.NewGray(image.Rect(0, 0, w, h))
	for i := range gray.Pix {
		gray.Pix[i] = uint8(i * 20)
	}
	wantGray := bytes.Clone(gray.Pix)

	gray16 := image.NewGray16(image.Rect(0, 0, w, h))
	for i := 0; i < w*h; i++ {
		gray16.SetGray16(i%w, i/w, color.Gray16{Y: uint16(i*5000 + 77)})
	}
	wantGray16 := make([]byte, w*h)
	for i := range wantGray16 {
		wantGray16[i] = byte((i*5000 + 77) >> 8)
	}

	// Alpha is dropped, not composited: a half-transparent pixel keeps its
	// colour, as with PIL's convert("RGB").
	alpha := rgbImage(w, h, func(x, y int) color.NRGBA {
		c := testPixel(x, y)
		c.A = uint8(x * 60)
		return c
	})

	pal := color.Palette{color.RGBA{255, 0, 0, 255}, color.RGBA{0, 0, 255, 255}, color.RGBA{7, 8, 9, 255}}
	paletted := image.NewPaletted(image.Rect(0, 0, w, h), pal)
	for i := range paletted.Pix {
		paletted.Pix[i] = uint8(i % 3)
	}
	wantPal := planesOf(w, h, func(x, y int) color.NRGBA {
		return color.NRGBAModel.Convert(pal[(y*w+x)%3]).(color.NRGBA)
	})

	rgb48 := image.NewNRGBA64(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := testPixel(x, y)
			rgb48.SetNRGBA64(x, y, color.NRGBA64{uint16(c.R)<<8 | 0x55, uint16(c.G)<<8 | 0xaa, uint16(c.B) << 8, 0xffff})
		}
	}

	webpSrc := decodeFixture(t, "testdata/folder/webp_src.png")
	webp := readFixture(t, "testdata/folder/lossless.webp")

	cases := []struct {
		name string
		data []byte
		want []byte
	}{
		{"png rgb", pngBytes(t, rgb), want},
		{"png gray", pngBytes(t, gray), wantGray},
		{"png gray16 (high byte)", pngBytes(t, gray16), wantGray16},
		{"png rgba (alpha dropped)", pngBytes(t, alpha), want},
		{"png rgb48 (high byte)", pngBytes(t, rgb48), want},
		{"png paletted", pngBytes(t, paletted), wantPal},
		{"gif", encode(t, func(b *bytes.Buffer) error { return gif.Encode(b, paletted, nil) }), wantPal},
		{"bmp rgb", encode(t, func(b *bytes.Buffer) error { return bmp.Encode(b, rgb) }), want},
		{"bmp gray", encode(t, func(b *bytes.Buffer) error { return bmp.Encode(b, gray) }), wantGray},
		{"tiff rgb", encode(t, func(b *bytes.Buffer) error { return tiff.Encode(b, rgb, nil) }), want},
		{"tiff gray deflate", encode(t, func(b *bytes.Buffer) error {
			return tiff.Encode(b, gray, &tiff.Options{Compression: tiff.Deflate})
		}), wantGray},
		{"webp lossless (PIL-made)", webp, webpSrc.pix},
		{"ppm P6", ppmBytes(w, h, want), want},
		{"pgm P5", append([]byte("P5\n# a comment\n4 3\n255\n"), wantGray...), wantGray},
		{"pgm P2 maxval 15", []byte("P2 2 1 15 0 15\n"), []byte{0, 255}},
		{"pgm P5 16-bit maxval 1000", []byte("P5 2 1 1000\n\x00\x00\x01\xf4"), []byte{0, 128}}, // 500*255/1000 = 127.5 → 128
		{"ppm P3", []byte("P3\n1 1\n255\n1 2 3\n"), []byte{1, 2, 3}},
	}
	for _, c := range cases {
		im, err := decodeImage(c.data, maxImagePixels)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if want := len(c.want) / (im.h * im.w); im.channels() != want {
			t.Errorf("%s: %d planes, want %d", c.name, im.channels(), want)
		}
		if !bytes.Equal(im.pix, c.want) {
			t.Errorf("%s: pixels\n got %v\nwant %v", c.name, im.pix, c.want)
		}
	}
}

func readFixture(t testing.TB, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// ppmBytes encodes R, G, B planes as a binary PPM (P6), pixels interleaved.
func ppmBytes(w, h int, planes []byte) []byte {
	n := w * h
	b := fmt.Appendf(nil, "P6\n%d %d\n255\n", w, h)
	for i := 0; i < n; i++ {
		b = append(b, planes[i], planes[n+i], planes[2*n+i])
	}
	return b
}

// TestDecodeJPEG compares Go's JPEG decoder with PIL's (libjpeg-turbo) on
// a fixture made by make.py: they differ by a few levels (Go replicates the
// 4:2:0 chroma samples where libjpeg-turbo interpolates them, and the IDCTs
// round differently; on this steep gradient by up to 12 levels, 3.1 on
// average), so within a tolerance. A channel or row mix-up would differ
// by far more.
func TestDecodeJPEG(t *testing.T) {
	im := decodeFixture(t, "testdata/folder/small.jpg")
	pil := decodeFixture(t, "testdata/folder/small_jpg_pil.png")
	if im.h != 16 || im.w != 16 || im.channels() != 3 {
		t.Fatalf("JPEG decoded as %dx%dx%d, want 3x16x16", im.channels(), im.h, im.w)
	}
	maxDiff, sum := 0, 0
	for i := range im.pix {
		d := int(im.pix[i]) - int(pil.pix[i])
		if d < 0 {
			d = -d
		}
		maxDiff = max(maxDiff, d)
		sum += d
	}
	if mean := float64(sum) / float64(len(im.pix)); maxDiff > 16 || mean > 4 {
		t.Errorf("JPEG differs from PIL's decode by up to %d levels, %.2f on average", maxDiff, mean)
	}
	// A gray JPEG decodes to one plane.
	gray := image.NewGray(image.Rect(0, 0, 8, 8))
	for i := range gray.Pix {
		gray.Pix[i] = 128
	}
	g, err := decodeImage(encode(t, func(b *bytes.Buffer) error { return jpeg.Encode(b, gray, nil) }), maxImagePixels)
	if err != nil || g.channels() != 1 {
		t.Fatalf("gray JPEG: %v, %+v", err, g)
	}
}

// An RGB image whose pixels all have R = G = B decodes to one plane: it is
// gray by content, whatever its format's colour type.
func TestDecodeGrayByContent(t *testing.T) {
	m := rgbImage(3, 2, func(x, y int) color.NRGBA { v := uint8(x*50 + y); return color.NRGBA{v, v, v, 255} })
	im, err := decodeImage(pngBytes(t, m), maxImagePixels)
	if err != nil {
		t.Fatal(err)
	}
	if im.channels() != 1 || !bytes.Equal(im.pix, []byte{0, 50, 100, 1, 51, 101}) {
		t.Errorf("got %d planes %v", im.channels(), im.pix)
	}
}

// A GIF whose first frame covers part of the screen is placed on it, the
// rest black; only the first frame counts.
func TestDecodeGIFFirstFrame(t *testing.T) {
	pal := color.Palette{color.RGBA{0, 0, 0, 255}, color.RGBA{200, 100, 50, 255}, color.RGBA{1, 2, 3, 255}}
	f1 := image.NewPaletted(image.Rect(1, 1, 3, 2), pal)
	for i := range f1.Pix {
		f1.Pix[i] = 1
	}
	f2 := image.NewPaletted(image.Rect(0, 0, 4, 3), pal)
	for i := range f2.Pix {
		f2.Pix[i] = 2
	}
	g := &gif.GIF{Image: []*image.Paletted{f1, f2}, Delay: []int{0, 0},
		Config: image.Config{ColorModel: pal, Width: 4, Height: 3}}
	data := encode(t, func(b *bytes.Buffer) error { return gif.EncodeAll(b, g) })
	im, err := decodeImage(data, maxImagePixels)
	if err != nil {
		t.Fatal(err)
	}
	if im.h != 3 || im.w != 4 || im.channels() != 3 {
		t.Fatalf("%dx%dx%d, want 3x3x4", im.channels(), im.h, im.w)
	}
	n := 12
	for i := 0; i < n; i++ {
		want := [3]byte{}
		if i == 5 || i == 6 { // (1,1) and (2,1)
			want = [3]byte{200, 100, 50}
		}
		if got := [3]byte{im.pix[i], im.pix[n+i], im.pix[2*n+i]}; got != want {
			t.Errorf("pixel %d = %v, want %v", i, got, want)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	good := pngBytes(t, rgbImage(4, 3, testPixel))
	big := pngBytes(t, image.NewGray(image.Rect(0, 0, 100, 100)))
	cases := []struct {
		name, want string
		data       []byte
		max        int
	}{
		{"empty", "empty file", nil, maxImagePixels},
		{"text", "not a PNG, JPEG, GIF, BMP, WebP, TIFF, PPM or PGM file (starts with 68 65 6c 6c 6f)", []byte("hello"), maxImagePixels},
		{"truncated png", "decoding PNG", good[:len(good)-20], maxImagePixels},
		{"bad png header", "decoding PNG header", append([]byte("\x89PNG\r\n\x1a\n"), 1, 2, 3), maxImagePixels},
		{"truncated jpeg", "JPEG", []byte{0xff, 0xd8, 0xff}, maxImagePixels},
		{"too many pixels", "PNG image of 100x100 (WxH) pixels: more than 9999 pixels", big, 9999},
		{"pbm", "PBM bitmaps (P4) are not supported", []byte("P4 1 1\n\x00"), maxImagePixels},
		{"pgm truncated", "truncated: want 6 bytes of samples, got 2", []byte("P5 3 2 255\nab"), maxImagePixels},
		{"pgm above maxval", "sample 0 is 20, above maxval 15", []byte("P2 1 1 15 20"), maxImagePixels},
	}
	for _, c := range cases {
		_, err := decodeImage(c.data, c.max)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
}

func TestHasImageExtension(t *testing.T) {
	for name, want := range map[string]bool{
		"a.png": true, "a.PNG": true, "a.JpEg": true, "x.tiff": true, ".png": true, "a.gif": true, "a.webp": true,
		"a.pgm": true, "a.ppm": true, "a.bmp": true, "a.tif": true, "a.jpg": true,
		"a.png.txt": false, "apng": false, "a.svg": false, "": false, "a.jpe": false, "a.pbm": false,
	} {
		if got := hasImageExtension(name); got != want {
			t.Errorf("hasImageExtension(%q) = %v", name, got)
		}
	}
}
