package safetensors

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestReferenceVector is the expected output of the reference
// implementation's own test_serialization (huggingface/safetensors,
// safetensors/src/tensor.rs at commit 24b0b2857fef, 2026-05-12): one F32
// tensor "attn.0" of shape [1,2,3] holding 0..5. Its header happens to be a
// multiple of 8 long (64 bytes), so it has no padding.
func TestReferenceVector(t *testing.T) {
	want := []byte{
		64, 0, 0, 0, 0, 0, 0, 0, 123, 34, 97, 116, 116, 110, 46, 48, 34, 58, 123, 34, 100,
		116, 121, 112, 101, 34, 58, 34, 70, 51, 50, 34, 44, 34, 115, 104, 97, 112, 101, 34,
		58, 91, 49, 44, 50, 44, 51, 93, 44, 34, 100, 97, 116, 97, 95, 111, 102, 102, 115,
		101, 116, 115, 34, 58, 91, 48, 44, 50, 52, 93, 125, 125, 0, 0, 0, 0, 0, 0, 128, 63,
		0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64,
	}
	var buf bytes.Buffer
	if err := Write(&buf, []Tensor{F32("attn.0", []int{1, 2, 3}, []float32{0, 1, 2, 3, 4, 5})}, nil); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Fatalf("got  %q\nwant %q", buf.Bytes(), want)
	}
	ts, meta, err := Read(bytes.NewReader(want))
	if err != nil {
		t.Fatal(err)
	}
	if meta != nil || len(ts) != 1 || ts[0].Name != "attn.0" || !reflect.DeepEqual(ts[0].Shape, []int{1, 2, 3}) ||
		!reflect.DeepEqual(ts[0].F32, []float32{0, 1, 2, 3, 4, 5}) {
		t.Fatalf("read back %+v, %v", ts, meta)
	}
}

// handVector is derived by hand from the format description: an I64 scalar
// sorts before the F32 tensors (descending dtype alignment), F32 tensors by
// name, metadata first, and the 245-byte JSON padded with 3 spaces to 248.
func handVector() []byte {
	js := `{"__metadata__":{"format":"pt","note":"a\"b\\c\n\u0001<&>é"},` +
		`"bn.num_batches_tracked":{"dtype":"I64","shape":[],"data_offsets":[0,8]},` +
		`"a":{"dtype":"F32","shape":[],"data_offsets":[8,12]},` +
		`"b":{"dtype":"F32","shape":[2,1],"data_offsets":[12,20]}}`
	pad := (8 - len(js)%8) % 8
	js += strings.Repeat(" ", pad)
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(js)))
	out = append(out, js...)
	out = append(out, 7, 0, 0, 0, 0, 0, 0, 0) // int64 7
	out = append(out, 0, 0, 0x40, 0x40)       // float32 3
	out = append(out, 0, 0, 0x80, 0x3f)       // float32 1
	out = append(out, 0, 0, 0, 0xc0)          // float32 -2
	return out
}

func TestHandVector(t *testing.T) {
	want := handVector()
	if n := binary.LittleEndian.Uint64(want); n%8 != 0 || n != 248 {
		t.Fatalf("hand vector header length %d; the test's own arithmetic is off", n)
	}
	in := []Tensor{
		F32("b", []int{2, 1}, []float32{1, -2}),
		I64Scalar("bn.num_batches_tracked", 7),
		F32("a", []int{}, []float32{3}),
	}
	meta := map[string]string{"note": "a\"b\\c\n\x01<&>é", "format": "pt"}
	var buf bytes.Buffer
	if err := Write(&buf, in, meta); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Fatalf("got  %q\nwant %q", buf.Bytes(), want)
	}
	ts, m, err := Read(bytes.NewReader(want))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(m, meta) {
		t.Errorf("metadata %q, want %q", m, meta)
	}
	wantTs := []Tensor{in[1], in[2], in[0]}
	if !reflect.DeepEqual(ts, wantTs) {
		t.Errorf("tensors %+v, want %+v", ts, wantTs)
	}
}

func TestAlignment(t *testing.T) {
	// Every int64 tensor must start on an 8-byte boundary of the file: the
	// header is padded to 8 and I64 tensors come first.
	for name := 1; name < 20; name++ {
		in := []Tensor{F32(strings.Repeat("x", name), []int{3}, []float32{1, 2, 3}), I64Scalar("n", 1), I64Scalar(strings.Repeat("m", name), 2)}
		var buf bytes.Buffer
		if err := Write(&buf, in, nil); err != nil {
			t.Fatal(err)
		}
		n := binary.LittleEndian.Uint64(buf.Bytes())
		if (8+n)%8 != 0 {
			t.Fatalf("header length %d is not a multiple of 8", n)
		}
		if h := buf.Bytes()[8 : 8+n]; h[len(h)-1] != '}' && h[len(h)-1] != ' ' {
			t.Fatalf("header does not end with '}' or padding: %q", h)
		}
	}
}

func TestWriteErrors(t *testing.T) {
	cases := map[string][]Tensor{
		"duplicate":  {F32("a", nil, []float32{}), F32("a", nil, []float32{})},
		"reserved":   {F32("__metadata__", []int{1}, []float32{1})},
		"no data":    {{Name: "x", Shape: []int{1}}},
		"two dtypes": {{Name: "x", Shape: []int{1}, F32: []float32{1}, I64: []int64{1}}},
		"mismatch":   {F32("x", []int{2, 2}, []float32{1})},
		"negative":   {F32("x", []int{-1}, []float32{})},
		"non-utf8":   {F32("\xff", []int{1}, []float32{1})},
	}
	for name, ts := range cases {
		if err := Write(&bytes.Buffer{}, ts, nil); !errors.Is(err, ErrTensor) {
			t.Errorf("%s: error %v, want ErrTensor", name, err)
		}
	}
}

func file(header string, data int) []byte {
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	return append(append(out, header...), make([]byte, data)...)
}

func TestReadRejects(t *testing.T) {
	const one = `{"t":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`
	cases := []struct {
		name string
		in   []byte
		want error
	}{
		{"empty", nil, ErrTruncated},
		{"header too large", binary.LittleEndian.AppendUint64(nil, MaxHeaderSize+1), ErrHeader},
		{"header past end", binary.LittleEndian.AppendUint64(nil, 100), ErrTruncated},
		{"not an object", file(` {"t":1}`, 0), ErrHeader},
		{"bad json", file(`{"t":`, 0), ErrHeader},
		{"trailing junk in header", file(one+`x`, 8), ErrHeader},
		{"data short", file(one, 7), ErrTruncated},
		{"polyglot trailing data", file(one, 9), ErrTrailing},
		{"hole", file(`{"t":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}`, 12), ErrOffsets},
		{"size mismatch", file(`{"t":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}`, 8), ErrOffsets},
		{"overlap", file(`{"t":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"u":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, 4), ErrOffsets},
		{"i32", file(`{"t":{"dtype":"I32","shape":[2],"data_offsets":[0,8]}}`, 8), ErrUnsupported},
		{"duplicate", file(`{"t":{"dtype":"F32","shape":[],"data_offsets":[0,4]},"t":{"dtype":"F32","shape":[],"data_offsets":[4,8]}}`, 8), ErrHeader},
		{"missing field", file(`{"t":{"dtype":"F32","data_offsets":[0,8]}}`, 8), ErrHeader},
		{"unknown field", file(`{"t":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"x":1}}`, 8), ErrHeader},
		{"metadata not strings", file(`{"__metadata__":{"a":1}}`, 0), ErrHeader},
		{"negative dim", file(`{"t":{"dtype":"F32","shape":[-1],"data_offsets":[0,0]}}`, 0), ErrHeader},
		{"huge shape", file(`{"t":{"dtype":"F32","shape":[1099511627776,1099511627776],"data_offsets":[0,0]}}`, 0), ErrHeader},
		{"invalid utf8", file("{\"\xff\":{}}", 0), ErrHeader},
	}
	for _, c := range cases {
		_, _, err := Read(bytes.NewReader(c.in))
		if !errors.Is(err, c.want) {
			t.Errorf("%s: error %v, want %v", c.name, err, c.want)
		}
	}
}

// TestReadPadding follows the reference implementation's tests that a
// header may be padded with trailing JSON whitespace.
func TestReadPadding(t *testing.T) {
	in := file(`{"t":{"dtype":"F32","shape":[],"data_offsets":[0,4]}}`+"   \n\t", 4)
	ts, _, err := Read(bytes.NewReader(in))
	if err != nil || len(ts) != 1 || ts[0].F32[0] != 0 {
		t.Fatalf("%+v %v", ts, err)
	}
}

func TestFileRoundTrip(t *testing.T) {
	p := filepath.Join(t.TempDir(), "m.safetensors")
	in := []Tensor{F32("w", []int{2, 2}, []float32{1, float32(math.Inf(-1)), float32(math.NaN()), 4}), I64Scalar("n", -3), F32("empty", []int{0, 3}, []float32{})}
	if err := WriteFile(p, in, map[string]string{}); err != nil {
		t.Fatal(err)
	}
	ts, meta, err := ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if meta == nil || len(meta) != 0 {
		t.Errorf("empty metadata came back as %v", meta)
	}
	if len(ts) != 3 || ts[0].Name != "n" || ts[0].I64[0] != -3 || ts[1].Name != "empty" || ts[2].Name != "w" ||
		math.Float32bits(ts[2].F32[2]) != math.Float32bits(float32(math.NaN())) {
		t.Fatalf("%+v", ts)
	}
}

func FuzzRead(f *testing.F) {
	f.Add(handVector())
	f.Add(file(`{"t":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, 8))
	seeds, _ := filepath.Glob("testdata/*.safetensors")
	for _, p := range seeds {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		ts, meta, err := Read(bytes.NewReader(in))
		if err != nil {
			return
		}
		var buf bytes.Buffer
		if err := Write(&buf, ts, meta); err != nil {
			t.Fatalf("re-encoding what was read: %v", err)
		}
		ts2, meta2, err := Read(&buf)
		if err != nil {
			t.Fatalf("re-reading: %v", err)
		}
		if len(ts2) != len(ts) || len(meta2) != len(meta) {
			t.Fatalf("round trip changed the file")
		}
	})
}
