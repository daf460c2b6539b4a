package npy

import (
	"bytes"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// vals returns the values gen_fixtures.py stores: 0.5*i - 1.
func vals(n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(i)*0.5 - 1
	}
	return v
}

var fixtures = []struct {
	file  string
	shape []int
}{
	{"f4_2x3.npy", []int{2, 3}},
	{"f4_scalar.npy", []int{}},
	{"f4_empty.npy", []int{0}},
	{"f4_vec5.npy", []int{5}},
	{"f4_nchw.npy", []int{2, 1, 3, 4}},
	{"f4_8d.npy", []int{1, 2, 1, 2, 1, 2, 1, 2}},
	{"f4_wide.npy", []int{1234567890, 0}},
	{"f4_pad64.npy", []int{0, 10, 10, 10, 10, 10, 10, 10, 10, 10, 100}},
}

func count(shape []int) int {
	n := 1
	for _, s := range shape {
		n *= s
	}
	return n
}

// TestWriteMatchesNumpy checks that Write produces, byte for byte, the files
// numpy 1.24's np.save wrote (testdata/gen_fixtures.py).
func TestWriteMatchesNumpy(t *testing.T) {
	for _, fx := range fixtures {
		want, err := os.ReadFile(filepath.Join("testdata", fx.file))
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := Write(&buf, fx.shape, vals(count(fx.shape))); err != nil {
			t.Fatalf("%s: %v", fx.file, err)
		}
		if !bytes.Equal(buf.Bytes(), want) {
			t.Errorf("%s: Write differs from numpy\n got %q\nwant %q", fx.file, buf.Bytes(), want)
		}
	}
}

func TestReadNumpyFiles(t *testing.T) {
	for _, fx := range append(fixtures[:len(fixtures):len(fixtures)], struct {
		file  string
		shape []int
	}{"f4_v2.npy", []int{2, 3}}) {
		shape, data, err := ReadFile(filepath.Join("testdata", fx.file))
		if err != nil {
			t.Fatalf("%s: %v", fx.file, err)
		}
		if !reflect.DeepEqual(shape, fx.shape) {
			t.Errorf("%s: shape %v, want %v", fx.file, shape, fx.shape)
		}
		if want := vals(count(fx.shape)); !reflect.DeepEqual(data, want) {
			t.Errorf("%s: data %v, want %v", fx.file, data, want)
		}
	}
}

func TestReadRejects(t *testing.T) {
	ok, err := os.ReadFile("testdata/f4_2x3.npy")
	if err != nil {
		t.Fatal(err)
	}
	hdr := func(dict string) []byte {
		b := []byte("\x93NUMPY\x01\x00")
		b = append(b, byte(len(dict)), byte(len(dict)>>8))
		return append(b, dict...)
	}
	cases := []struct {
		name string
		in   []byte
		want error
	}{
		{"float64", mustRead(t, "bad_f8.npy"), ErrUnsupported},
		{"fortran", mustRead(t, "bad_fortran.npy"), ErrUnsupported},
		{"big-endian", mustRead(t, "bad_be.npy"), ErrUnsupported},
		{"empty", nil, ErrNotNpy},
		{"bad magic", append([]byte("\x93NUMPZ"), ok[6:]...), ErrNotNpy},
		{"version 4", append(append([]byte{}, ok[:6]...), append([]byte{4, 0}, ok[8:]...)...), ErrVersion},
		{"truncated data", ok[:len(ok)-1], ErrTruncated},
		{"trailing data", append(append([]byte{}, ok...), 0), ErrTrailingData},
		{"truncated header", ok[:40], ErrHeader},
		{"huge shape, no data", hdr("{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000, 1000), }\n"), ErrTruncated},
		{"overflowing shape", hdr("{'descr': '<f4', 'fortran_order': False, 'shape': (999999999999999999, 999999999999999999), }\n"), ErrHeader},
		{"missing key", hdr("{'descr': '<f4', 'shape': (2, 3), }\n"), ErrHeader},
		{"duplicate key", hdr("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (), }\n"), ErrHeader},
		{"unknown key", hdr("{'descr': '<f4', 'fortran_order': False, 'shape': (), 'x': 1}\n"), ErrHeader},
		{"negative dim", hdr("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }\n"), ErrHeader},
		{"(n) not a tuple", hdr("{'descr': '<f4', 'fortran_order': False, 'shape': (3), }\n"), ErrHeader},
		{"no dict", hdr("descr\n"), ErrHeader},
	}
	for _, c := range cases {
		_, _, err := Read(bytes.NewReader(c.in))
		if !errors.Is(err, c.want) {
			t.Errorf("%s: error %v, want %v", c.name, err, c.want)
		}
	}
}

func mustRead(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestHeaderByHand checks the layout against bytes derived from the spec
// rather than from numpy: 10 prefix bytes, the dict, spaces, '\n', 64-byte
// total for a (3,) array.
func TestHeaderByHand(t *testing.T) {
	h, err := Header([]int{3})
	if err != nil {
		t.Fatal(err)
	}
	dict := "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }" + strings.Repeat(" ", 20)
	want := "\x93NUMPY\x01\x00\x76\x00" + dict + strings.Repeat(" ", 128-10-len(dict)-1) + "\n"
	if string(h) != want {
		t.Fatalf("header\n got %q\nwant %q", h, want)
	}
}

func TestRoundTripSpecialValues(t *testing.T) {
	in := []float32{float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.Copysign(0, -1)), math.Float32frombits(0x7fc00001), math.SmallestNonzeroFloat32}
	var buf bytes.Buffer
	if err := Write(&buf, []int{5}, in); err != nil {
		t.Fatal(err)
	}
	_, out, err := Read(&buf)
	if err != nil {
		t.Fatal(err)
	}
	for i := range in {
		if math.Float32bits(in[i]) != math.Float32bits(out[i]) {
			t.Errorf("element %d: bits %08x, want %08x", i, math.Float32bits(out[i]), math.Float32bits(in[i]))
		}
	}
}

func TestWriteErrors(t *testing.T) {
	if err := Write(&bytes.Buffer{}, []int{2, 2}, make([]float32, 3)); !errors.Is(err, ErrShape) {
		t.Errorf("shape mismatch: %v", err)
	}
	if err := Write(&bytes.Buffer{}, []int{-1}, nil); err == nil {
		t.Error("negative dimension accepted")
	}
}

func FuzzRead(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.npy")
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		shape, data, err := Read(bytes.NewReader(in))
		if err != nil {
			return
		}
		if count(shape) != len(data) {
			t.Fatalf("shape %v but %d elements", shape, len(data))
		}
		var buf bytes.Buffer
		if err := Write(&buf, shape, data); err != nil {
			if strings.Contains(err.Error(), "too long") {
				return
			}
			t.Fatalf("re-encoding %v: %v", shape, err)
		}
		shape2, data2, err := Read(&buf)
		if err != nil {
			t.Fatalf("re-reading: %v", err)
		}
		if !reflect.DeepEqual(shape, shape2) || len(data) != len(data2) {
			t.Fatalf("round trip changed %v to %v", shape, shape2)
		}
		for i := range data {
			if math.Float32bits(data[i]) != math.Float32bits(data2[i]) {
				t.Fatalf("round trip changed element %d", i)
			}
		}
	})
}
