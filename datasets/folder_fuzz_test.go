package datasets

import (
	"bytes"
	"image"
	"image/color/palette"
	"image/gif"
	"image/jpeg"
	"testing"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
)

// FuzzDecodeImage feeds arbitrary bytes to the folder dataset's decode and
// resize path: it must return an error or consistent planes, never panic,
// and never allocate for more pixels than the limit.
func FuzzDecodeImage(f *testing.F) {
	rgb := rgbImage(4, 3, testPixel)
	pal := image.NewPaletted(image.Rect(0, 0, 3, 2), palette.Plan9)
	f.Add(pngBytes(f, rgb), uint8(3), uint8(5))
	f.Add(pngBytes(f, image.NewGray16(image.Rect(0, 0, 2, 2))), uint8(1), uint8(1))
	f.Add(encode(f, func(b *bytes.Buffer) error { return jpeg.Encode(b, rgb, nil) }), uint8(8), uint8(2))
	f.Add(encode(f, func(b *bytes.Buffer) error { return gif.Encode(b, pal, nil) }), uint8(2), uint8(2))
	f.Add(encode(f, func(b *bytes.Buffer) error { return bmp.Encode(b, rgb) }), uint8(4), uint8(4))
	f.Add(encode(f, func(b *bytes.Buffer) error { return tiff.Encode(b, rgb, nil) }), uint8(1), uint8(9))
	f.Add(readFixture(f, "testdata/folder/lossless.webp"), uint8(6), uint8(6))
	f.Add([]byte("P5 2 2 255\n\x01\x02\x03\x04"), uint8(3), uint8(3))
	f.Add([]byte("P3 1 1 65535 1 2 3"), uint8(1), uint8(2))
	const maxPixels = 1 << 16
	f.Fuzz(func(t *testing.T, data []byte, oh, ow uint8) {
		im, err := decodeImage(data, maxPixels)
		if err != nil {
			return
		}
		if im.h < 1 || im.w < 1 || im.h*im.w > maxPixels {
			t.Fatalf("decoded %dx%d", im.h, im.w)
		}
		if c := im.channels(); (c != 1 && c != 3) || len(im.pix) != c*im.h*im.w {
			t.Fatalf("%d bytes for %dx%d", len(im.pix), im.h, im.w)
		}
		h, w := int(oh%24)+1, int(ow%24)+1
		out := resizePlanes(im.pix, im.channels(), im.h, im.w, h, w)
		if len(out) != im.channels()*h*w {
			t.Fatalf("resized to %d bytes, want %d", len(out), im.channels()*h*w)
		}
	})
}
