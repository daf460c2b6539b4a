package datasets

import (
	"bytes"
	"testing"
)

// The parsers must return an error, never panic or allocate without bound,
// whatever the input; on success what they return must be consistent.

func FuzzReadIDX(f *testing.F) {
	img, lbl := tinyMNIST(3, 2, 2)
	f.Add(img)
	f.Add(lbl)
	f.Add(gz(f, img))
	f.Add(idxBytes([]int{2, 2, 2, 2}, make([]byte, 16)))
	f.Add([]byte{0, 0, 8, 1, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, in []byte) {
		x, err := ReadIDX(bytes.NewReader(in))
		if err != nil {
			return
		}
		n := 1
		for _, d := range x.Dims {
			n *= d
		}
		if n != len(x.Data) {
			t.Fatalf("dims %v but %d bytes", x.Dims, len(x.Data))
		}
	})
}

func FuzzReadMNIST(f *testing.F) {
	img, lbl := tinyMNIST(3, 2, 2)
	f.Add(img, lbl)
	f.Add(gz(f, img), gz(f, lbl))
	f.Fuzz(func(t *testing.T, img, lbl []byte) {
		im, err := ReadMNIST(bytes.NewReader(img), bytes.NewReader(lbl))
		if err != nil {
			return
		}
		if len(im.Pixels) != im.Len()*im.imageSize() {
			t.Fatalf("%d pixels for %d images of %v", len(im.Pixels), im.Len(), im.Shape)
		}
		for _, l := range im.Labels {
			if l < 0 || l >= im.Classes {
				t.Fatalf("label %d out of range", l)
			}
		}
	})
}

func FuzzReadCIFAR(f *testing.F) {
	f.Add(cifarBytes(2, func(i int) []byte { return []byte{byte(i)} }), uint8(0))
	f.Add(cifarBytes(1, func(i int) []byte { return []byte{3, 33} }), uint8(1))
	f.Add(gz(f, cifarBytes(1, func(i int) []byte { return []byte{3, 33} })), uint8(2))
	f.Fuzz(func(t *testing.T, in []byte, kind uint8) {
		var im *Images
		var err error
		switch kind % 3 {
		case 0:
			im, err = ReadCIFAR10(bytes.NewReader(in))
		case 1:
			im, err = ReadCIFAR100(bytes.NewReader(in), true)
		case 2:
			im, err = ReadCIFAR100(bytes.NewReader(in), false)
		}
		if err != nil {
			return
		}
		if im.Len() == 0 || len(im.Pixels) != im.Len()*cifarImageBytes {
			t.Fatalf("%d images, %d pixels", im.Len(), len(im.Pixels))
		}
		for _, l := range im.Labels {
			if l < 0 || l >= im.Classes {
				t.Fatalf("label %d out of range", l)
			}
		}
	})
}
