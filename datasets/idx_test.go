package datasets

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadIDXRawAndGzip(t *testing.T) {
	data := []byte{1, 2, 3, 4, 5, 6}
	raw := idxBytes([]int{2, 3}, data)
	for name, in := range map[string][]byte{"raw": raw, "gzip": gz(t, raw)} {
		t.Run(name, func(t *testing.T) {
			got, err := ReadIDX(bytes.NewReader(in))
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Dims) != 2 || got.Dims[0] != 2 || got.Dims[1] != 3 {
				t.Errorf("dims = %v, want [2 3]", got.Dims)
			}
			if !bytes.Equal(got.Data, data) {
				t.Errorf("data = %v, want %v", got.Data, data)
			}
		})
	}
}

func TestReadMNISTValues(t *testing.T) {
	img, lbl := tinyMNIST(5, 3, 4)
	im, err := ReadMNIST(bytes.NewReader(gz(t, img)), bytes.NewReader(lbl))
	if err != nil {
		t.Fatal(err)
	}
	if im.Len() != 5 || im.Shape != [3]int{1, 3, 4} || im.Classes != 10 {
		t.Fatalf("got %d images of %v, %d classes; want 5 of [1 3 4], 10", im.Len(), im.Shape, im.Classes)
	}
	for i, l := range im.Labels {
		if l != i%10 {
			t.Errorf("label %d = %d, want %d", i, l, i%10)
		}
	}
	for i, v := range im.Pixels {
		if v != byte(i*7) {
			t.Fatalf("pixel %d = %d, want %d", i, v, byte(i*7))
		}
	}
}

func TestReadMNISTBadInput(t *testing.T) {
	img, lbl := tinyMNIST(4, 2, 2)
	badGzip := gz(t, img)
	badGzip[len(badGzip)-6] ^= 0xff // corrupt the CRC-32 trailer
	truncGzip := gz(t, img)
	truncGzip = truncGzip[:len(truncGzip)-12]
	badLabel := append([]byte(nil), lbl...)
	badLabel[len(badLabel)-1] = 10
	_, lbl3 := tinyMNIST(3, 2, 2)
	cases := []struct {
		name        string
		images, lbl []byte
		want        string // in the error
	}{
		{"empty images", nil, lbl, "images: empty file"},
		{"empty labels", img, []byte{}, "labels: empty file"},
		{"wrong magic", append([]byte{0, 0, 0x0d, 3}, img[4:]...), lbl, "bad magic number 0x00000d03"},
		{"magic with no dims", append([]byte{0, 0, 8, 0}, img[4:]...), lbl, "bad magic number"},
		{"truncated header", img[:6], lbl, "truncated header"},
		{"truncated data", img[:len(img)-1], lbl, "truncated: want 16 bytes"},
		{"trailing data", append(append([]byte(nil), img...), 0), lbl, "unexpected data after 16 bytes"},
		{"count mismatch", img, lbl3, "holds 4 images but labels holds 3 labels"},
		{"label out of range", img, badLabel, "label 10 of example 3 out of range"},
		{"images as labels", lbl, lbl, "images: want 3 dimensions"},
		{"labels as images", img, img, "labels: want 1 dimension"},
		{"gzip checksum", badGzip, lbl, "gzip:"},
		{"gzip truncated", truncGzip, lbl, "gzip: truncated"},
		{"gzip header", []byte{0x1f, 0x8b, 0, 0}, lbl, "gzip:"},
		{"huge header", idxBytes([]int{1 << 20, 1 << 20, 1 << 20}, nil), lbl, "describe more than"},
		{"no images", idxBytes([]int{0, 2, 2}, nil), idxBytes([]int{0}, nil), "no images"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ReadMNIST(bytes.NewReader(c.images), bytes.NewReader(c.lbl))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error = %v, want one containing %q", err, c.want)
			}
		})
	}
}

// TestLoadErrorsNameTheFile checks that errors from Load say which file is
// bad, for a corrupt file in each position.
func TestLoadErrorsNameTheFile(t *testing.T) {
	img, lbl := tinyMNIST(20, 4, 4)
	good := [][]byte{img, lbl, img, lbl}
	for i, base := range mnistFiles {
		dir := t.TempDir()
		for j, b := range mnistFiles {
			data := good[j]
			if j == i {
				data = data[:len(data)-1]
			}
			writeFile(t, dir, b, data)
		}
		_, err := Load(Options{Name: "mnist", DataDir: dir})
		if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, base)) || !strings.Contains(err.Error(), "truncated") {
			t.Errorf("corrupt %s: error = %v, want it to name the file and say truncated", base, err)
		}
	}
}

func TestLoadMissingFiles(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		o    Options
		want []string
	}{
		{Options{Name: "mnist", DataDir: dir}, []string{"--data-dir " + dir, "train-images-idx3-ubyte[.gz] not found"}},
		{Options{Name: "fashion-mnist", DataDir: dir}, []string{"--data-dir " + dir}},
		{Options{Name: "cifar10"}, []string{"cifar-10-binary.tar.gz", "--data-dir"}},
		{Options{Name: "cifar10", DataDir: dir}, []string{"data_batch_1.bin not found", "cifar-10-batches-bin"}},
		{Options{Name: "cifar100", DataDir: dir}, []string{"train.bin not found", "cifar-100-binary.tar.gz"}},
		{Options{Name: "imagenet"}, []string{`unknown dataset "imagenet"`, "mnist, fashion-mnist"}},
		{Options{Name: "mnist", TrainPortion: 1}, []string{"train portion 1 not in (0, 1)"}},
		{Options{Name: "mnist", Limit: -1}, []string{"negative limit"}},
		{Options{Name: "mnist", Classes: 3}, []string{"synthetic dataset only"}},
		{Options{Name: "synthetic", Classes: 1}, []string{"1 classes out of range"}},
		{Options{Name: "synthetic", Shape: [3]int{1, 0, 5}}, []string{"shape 1x0x5 out of range"}},
		{Options{Name: "synthetic", Limit: 1}, []string{"leaves search-train (0) or search-val (1) empty"}},
	}
	for _, c := range cases {
		_, err := Load(c.o)
		for _, w := range c.want {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("Load(%+v): error = %v, want one containing %q", c.o, err, w)
			}
		}
	}
}

// realMNIST checks a real MNIST-like dataset against its published facts.
func realMNIST(t *testing.T, o Options, dir string, wantMean, wantStd float64) {
	if _, missing := findMNISTFiles(dir); missing != "" {
		t.Skipf("%s: %s not in %s", o.Name, missing, dir)
	}
	if testing.Short() {
		t.Skip("reading 70000 images; skipped in -short mode")
	}
	s, err := Load(o)
	if err != nil {
		t.Fatal(err)
	}
	in := s.Info
	if in.Train != 30000 || in.Val != 30000 || in.Test != 10000 {
		t.Errorf("splits %d/%d/%d, want 30000/30000/10000", in.Train, in.Val, in.Test)
	}
	if in.Shape != [3]int{1, 28, 28} || in.Classes != 10 {
		t.Errorf("shape %v, %d classes; want [1 28 28], 10", in.Shape, in.Classes)
	}
	if d := in.Mean[0] - wantMean; d > 5e-5 || d < -5e-5 {
		t.Errorf("mean %.5f, want %.4f", in.Mean[0], wantMean)
	}
	if d := in.Std[0] - wantStd; d > 5e-5 || d < -5e-5 {
		t.Errorf("std %.5f, want %.4f", in.Std[0], wantStd)
	}
	// Each class holds 5400..6800 of the 60000 training images in both
	// datasets.
	counts := make([]int, 10)
	for _, set := range []*Set{s.Train, s.Val} {
		for _, l := range set.im.Labels {
			counts[l]++
		}
	}
	for c, n := range counts {
		if n < 5400 || n > 6800 {
			t.Errorf("class %d has %d training images", c, n)
		}
	}
}

func TestRealMNIST(t *testing.T) {
	dir := filepath.Join(modCache(), filepath.FromSlash(goMNISTCachePath), "data")
	// Published normalization constants of MNIST (torchvision examples).
	realMNIST(t, Options{Name: "mnist"}, dir, 0.1307, 0.3081)
}

func TestRealFashionMNIST(t *testing.T) {
	if _, err := os.Stat(FashionMNISTDir); err != nil {
		t.Skipf("fashion-mnist not installed (apt-get install dataset-fashion-mnist): %v", err)
	}
	// Published normalization constants of Fashion-MNIST.
	realMNIST(t, Options{Name: "fashion-mnist"}, FashionMNISTDir, 0.2860, 0.3530)
}
