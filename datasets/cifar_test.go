package datasets

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadCIFAR10(t *testing.T) {
	data := cifarBytes(4, func(i int) []byte { return []byte{byte(9 - i)} })
	for name, in := range map[string][]byte{"raw": data, "gzip": gz(t, data)} {
		t.Run(name, func(t *testing.T) {
			im, err := ReadCIFAR10(bytes.NewReader(in))
			if err != nil {
				t.Fatal(err)
			}
			if im.Len() != 4 || im.Shape != [3]int{3, 32, 32} || im.Classes != 10 {
				t.Fatalf("got %d images of %v, %d classes", im.Len(), im.Shape, im.Classes)
			}
			for i := 0; i < 4; i++ {
				if im.Labels[i] != 9-i {
					t.Errorf("label %d = %d, want %d", i, im.Labels[i], 9-i)
				}
				// Pixel j of image i was written as byte(i+j).
				for _, j := range []int{0, 1023, 1024, 3071} {
					if got := im.Pixels[i*cifarImageBytes+j]; got != byte(i+j) {
						t.Errorf("image %d pixel %d = %d, want %d", i, j, got, byte(i+j))
					}
				}
			}
		})
	}
}

func TestReadCIFAR100CoarseFine(t *testing.T) {
	data := cifarBytes(3, func(i int) []byte { return []byte{byte(19 - i), byte(99 - i)} })
	for _, fine := range []bool{false, true} {
		im, err := ReadCIFAR100(bytes.NewReader(data), fine)
		if err != nil {
			t.Fatal(err)
		}
		top, classes := 19, 20
		if fine {
			top, classes = 99, 100
		}
		if im.Classes != classes {
			t.Errorf("fine=%v: %d classes, want %d", fine, im.Classes, classes)
		}
		for i, l := range im.Labels {
			if l != top-i {
				t.Errorf("fine=%v: label %d = %d, want %d", fine, i, l, top-i)
			}
		}
		if got := im.Pixels[cifarImageBytes+5]; got != 6 {
			t.Errorf("fine=%v: image 1 pixel 5 = %d, want 6", fine, got)
		}
	}
}

func TestReadCIFARBadInput(t *testing.T) {
	good10 := cifarBytes(2, func(i int) []byte { return []byte{3} })
	cases := []struct {
		name string
		read func([]byte) error
		in   []byte
		want string
	}{
		{"empty", read10, nil, "empty file"},
		{"short record", read10, good10[:len(good10)-1], "wrong record size: 6145 bytes is not a whole number of 3073-byte records"},
		{"cifar100 file as cifar10", read10, cifarBytes(3, func(int) []byte { return []byte{1, 1} }), "wrong record size"},
		{"label 10", read10, cifarBytes(2, func(i int) []byte { return []byte{byte(10 * i)} }), "label 10 of record 1 out of range [0, 10)"},
		{"fine label 100", read100fine, cifarBytes(1, func(int) []byte { return []byte{0, 100} }), "label 100 of record 0 out of range [0, 100)"},
		{"coarse label 20", read100coarse, cifarBytes(1, func(int) []byte { return []byte{20, 0} }), "label 20 of record 0 out of range [0, 20)"},
		{"gzip garbage", read10, []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3}, "gzip:"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := c.read(c.in); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error = %v, want one containing %q", err, c.want)
			}
		})
	}
}

func read10(b []byte) error { _, err := ReadCIFAR10(bytes.NewReader(b)); return err }
func read100fine(b []byte) error {
	_, err := ReadCIFAR100(bytes.NewReader(b), true)
	return err
}
func read100coarse(b []byte) error {
	_, err := ReadCIFAR100(bytes.NewReader(b), false)
	return err
}

func TestLoadCIFAR10Dir(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "cifar-10-batches-bin")
	mkdir(t, dir)
	for b, name := range []string{"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin", "test_batch.bin"} {
		writeFile(t, dir, name, cifarBytes(4, func(i int) []byte { return []byte{byte(b)} }))
	}
	// The parent folder is accepted as well as the folder itself.
	for _, dd := range []string{root, dir} {
		s, err := Load(Options{Name: "cifar10", DataDir: dd, TrainPortion: 0.75})
		if err != nil {
			t.Fatal(err)
		}
		if s.Info.Train != 15 || s.Info.Val != 5 || s.Info.Test != 4 || s.Info.Source != dir {
			t.Errorf("DataDir %s: info %+v, want 15/5/4 from %s", dd, s.Info, dir)
		}
		// Batches are concatenated in file order: label = batch number.
		if got := s.Train.im.Labels[4]; got != 1 {
			t.Errorf("label of example 4 = %d, want 1 (from data_batch_2)", got)
		}
		if got := s.Test.im.Labels[0]; got != 5 {
			t.Errorf("test label = %d, want 5", got)
		}
		if len(s.Info.Mean) != 3 {
			t.Errorf("mean has %d channels, want 3", len(s.Info.Mean))
		}
	}
	writeFile(t, dir, "data_batch_3.bin", []byte{1, 2, 3})
	_, err := Load(Options{Name: "cifar10", DataDir: root})
	if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "data_batch_3.bin")) {
		t.Errorf("corrupt batch 3: error = %v, want it to name the file", err)
	}
}

func TestLoadCIFAR100Dir(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "train.bin", cifarBytes(6, func(i int) []byte { return []byte{byte(i), byte(50 + i)} }))
	writeFile(t, dir, "test.bin", cifarBytes(2, func(i int) []byte { return []byte{7, 77} }))
	for _, c := range []struct {
		name    string
		classes int
		first   int
	}{{"cifar100", 100, 50}, {"cifar100-coarse", 20, 0}} {
		s, err := Load(Options{Name: c.name, DataDir: dir})
		if err != nil {
			t.Fatal(err)
		}
		if s.Info.Classes != c.classes || s.Train.im.Labels[0] != c.first || s.Info.Train != 3 || s.Info.Test != 2 {
			t.Errorf("%s: %+v, first label %d; want %d classes, first label %d", c.name, s.Info, s.Train.im.Labels[0], c.classes, c.first)
		}
	}
}
