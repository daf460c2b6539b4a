package datasets

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
)

// idxBytes encodes an unsigned-byte IDX file.
func idxBytes(dims []int, data []byte) []byte {
	var b bytes.Buffer
	b.Write([]byte{0, 0, 0x08, byte(len(dims))})
	for _, d := range dims {
		binary.Write(&b, binary.BigEndian, uint32(d))
	}
	b.Write(data)
	return b.Bytes()
}

func gz(t testing.TB, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// tinyMNIST returns the image and label files of n h×w images whose pixel
// values and labels follow simple formulas, so tests can check them.
func tinyMNIST(n, h, w int) (images, labels []byte) {
	px := make([]byte, n*h*w)
	for i := range px {
		px[i] = byte(i * 7)
	}
	lb := make([]byte, n)
	for i := range lb {
		lb[i] = byte(i % 10)
	}
	return idxBytes([]int{n, h, w}, px), idxBytes([]int{n}, lb)
}

// cifarBytes encodes n CIFAR records with labelBytes label bytes each
// (1: CIFAR-10, 2: CIFAR-100 coarse then fine); labels[i] gives them.
func cifarBytes(n int, labels func(i int) []byte) []byte {
	var b bytes.Buffer
	for i := 0; i < n; i++ {
		b.Write(labels(i))
		img := make([]byte, cifarImageBytes)
		for j := range img {
			img[j] = byte(i + j)
		}
		b.Write(img)
	}
	return b.Bytes()
}

func writeFile(t testing.TB, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func mkdir(t testing.TB, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
}
