package tensorio

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"hash/crc32"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// sampleTensors covers every dtype, scalars, empty tensors and the float
// values that a careless encoder would change: NaN payloads, -0, ±Inf,
// subnormals.
func sampleTensors() []Tensor {
	return []Tensor{
		{Name: "f32", Shape: []int{2, 4}, F32: []float32{
			1.5, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)),
			math.Float32frombits(0x7fc00001), // quiet NaN with a payload
			math.Float32frombits(0x7f800001), // signalling NaN
			math.Float32frombits(0xffc12345), // negative NaN
			math.Float32frombits(1),          // smallest subnormal
		}},
		{Name: "f64", Shape: []int{3}, F64: []float64{
			math.Copysign(0, -1), math.Float64frombits(0x7ff0000000000001), math.MaxFloat64,
		}},
		{Name: "i64", Shape: []int{1, 2}, I64: []int64{math.MinInt64, math.MaxInt64}},
		{Name: "u64", U64: []uint64{0, math.MaxUint64, 42}}, // nil Shape: a vector
		{Name: "scalar", Shape: []int{}, F64: []float64{math.Pi}},
		{Name: "empty", Shape: []int{0, 5}, F32: []float32{}},
		{Name: "unicode/名前 \"quoted\"", Shape: []int{1}, I64: []int64{-1}},
	}
}

func encode(t *testing.T, meta any, ts []Tensor) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, meta, ts); err != nil {
		t.Fatalf("Write: %v", err)
	}
	return buf.Bytes()
}

// sameBits compares tensors bit for bit; reflect.DeepEqual would call
// NaN != NaN and -0 == 0 the wrong way round for this purpose.
func sameBits(t *testing.T, got, want Tensor) {
	t.Helper()
	wantShape := want.Shape
	if wantShape == nil {
		wantShape = []int{want.Len()}
	}
	if got.Name != want.Name || got.DType() != want.DType() || !equalInts(got.Shape, wantShape) || got.Len() != want.Len() {
		t.Fatalf("got %q %s %v len %d, want %q %s %v len %d", got.Name, got.DType(), got.Shape, got.Len(),
			want.Name, want.DType(), wantShape, want.Len())
	}
	for i := range want.F32 {
		if math.Float32bits(got.F32[i]) != math.Float32bits(want.F32[i]) {
			t.Errorf("%s[%d] = %#x, want %#x", want.Name, i, math.Float32bits(got.F32[i]), math.Float32bits(want.F32[i]))
		}
	}
	for i := range want.F64 {
		if math.Float64bits(got.F64[i]) != math.Float64bits(want.F64[i]) {
			t.Errorf("%s[%d] = %#x, want %#x", want.Name, i, math.Float64bits(got.F64[i]), math.Float64bits(want.F64[i]))
		}
	}
	for i := range want.I64 {
		if got.I64[i] != want.I64[i] {
			t.Errorf("%s[%d] = %d, want %d", want.Name, i, got.I64[i], want.I64[i])
		}
	}
	for i := range want.U64 {
		if got.U64[i] != want.U64[i] {
			t.Errorf("%s[%d] = %d, want %d", want.Name, i, got.U64[i], want.U64[i])
		}
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestRoundTrip(t *testing.T) {
	type metaT struct {
		Epoch int     `json:"epoch"`
		LR    float64 `json:"lr"`
	}
	tests := []struct {
		name     string
		meta     any
		wantMeta string
		tensors  []Tensor
	}{
		{"all dtypes", metaT{Epoch: 3, LR: 0.025}, `{"epoch":3,"lr":0.025}`, sampleTensors()},
		{"nil meta, no tensors", nil, `{}`, nil},
		{"raw meta", json.RawMessage(`{"a": [1, 2]}`), `{"a":[1,2]}`, sampleTensors()[:1]},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := encode(t, tc.meta, tc.tensors)
			if (prefixLen+binary.LittleEndian.Uint32(b[12:]))%dataAlign != 0 {
				t.Errorf("data section not %d-byte aligned", dataAlign)
			}
			meta, got, err := Read(bytes.NewReader(b))
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			var compact bytes.Buffer
			if err := json.Compact(&compact, meta); err != nil {
				t.Fatal(err)
			}
			if compact.String() != tc.wantMeta {
				t.Errorf("meta = %s, want %s", compact.String(), tc.wantMeta)
			}
			if len(got) != len(tc.tensors) {
				t.Fatalf("got %d tensors, want %d", len(got), len(tc.tensors))
			}
			for i := range got {
				sameBits(t, got[i], tc.tensors[i])
				if got[i].Shape == nil || got[i].DType() == "" {
					t.Errorf("%s: nil Shape or data after Read", got[i].Name)
				}
			}
		})
	}
}

// TestLayout checks the documented byte layout independently of Read.
func TestLayout(t *testing.T) {
	b := encode(t, map[string]int{"k": 1}, []Tensor{
		{Name: "a", F32: []float32{1}},
		{Name: "b", I64: []int64{-2, 3}},
	})
	if string(b[:8]) != "DARTSGO1" {
		t.Fatalf("magic %q", b[:8])
	}
	if v := binary.LittleEndian.Uint32(b[8:]); v != 1 {
		t.Errorf("version %d, want 1", v)
	}
	h := int(binary.LittleEndian.Uint32(b[12:]))
	var hdr struct {
		Meta    map[string]int
		Tensors []struct {
			Name, DType    string
			Shape          []int
			Offset, Length int
		}
	}
	if err := json.Unmarshal(b[16:16+h], &hdr); err != nil {
		t.Fatalf("header: %v", err)
	}
	if hdr.Meta["k"] != 1 || len(hdr.Tensors) != 2 {
		t.Fatalf("header %+v", hdr)
	}
	data := b[16+h : len(b)-4]
	if len(data) != 4+16 {
		t.Fatalf("data section %d bytes, want 20", len(data))
	}
	if hdr.Tensors[1].Offset != 4 || hdr.Tensors[1].Length != 16 || hdr.Tensors[1].DType != "int64" {
		t.Errorf("entry b = %+v", hdr.Tensors[1])
	}
	if got := binary.LittleEndian.Uint32(data); got != math.Float32bits(1) {
		t.Errorf("a[0] bits %#x", got)
	}
	if got := int64(binary.LittleEndian.Uint64(data[4:])); got != -2 {
		t.Errorf("b[0] = %d", got)
	}
	if got, want := binary.LittleEndian.Uint32(b[len(b)-4:]), crc32.ChecksumIEEE(b[:len(b)-4]); got != want {
		t.Errorf("crc %08x, want %08x", got, want)
	}
}

func TestWriteRejects(t *testing.T) {
	tests := []struct {
		name    string
		meta    any
		tensors []Tensor
		want    string
	}{
		{"meta not object", []int{1}, nil, "JSON object"},
		{"meta unencodable", math.NaN(), nil, "meta"},
		{"empty name", nil, []Tensor{{F32: []float32{1}}}, "empty name"},
		{"duplicate", nil, []Tensor{{Name: "x", F32: []float32{1}}, {Name: "x", F64: []float64{1}}}, "duplicate"},
		{"no data", nil, []Tensor{{Name: "x"}}, "exactly one"},
		{"two data", nil, []Tensor{{Name: "x", F32: []float32{}, U64: []uint64{}}}, "exactly one"},
		{"shape mismatch", nil, []Tensor{{Name: "x", Shape: []int{2, 2}, F32: []float32{1, 2, 3}}}, "shape"},
		{"negative dim", nil, []Tensor{{Name: "x", Shape: []int{-1}, F32: []float32{}}}, "negative"},
		{"scalar needs one element", nil, []Tensor{{Name: "x", Shape: []int{}, F32: []float32{1, 2}}}, "shape"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := Write(&bytes.Buffer{}, tc.meta, tc.tensors)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Write error = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// rewrite builds an archive with a hand-made header and data section and a
// correct checksum, so each test isolates one defect.
func rewrite(version uint32, hdr string, data []byte) []byte {
	b := []byte(Magic)
	b = binary.LittleEndian.AppendUint32(b, version)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(hdr)))
	b = append(b, hdr...)
	b = append(b, data...)
	return binary.LittleEndian.AppendUint32(b, crc32.ChecksumIEEE(b))
}

func TestReadErrors(t *testing.T) {
	valid := encode(t, map[string]string{"run": "x"}, sampleTensors())
	flipped := bytes.Clone(valid)
	flipped[len(flipped)-10] ^= 0x10 // inside the data section
	flippedHdr := bytes.Clone(valid)
	flippedHdr[20] ^= 0x40 // inside the header JSON
	one := make([]byte, 4)
	binary.LittleEndian.PutUint32(one, math.Float32bits(1))

	tests := []struct {
		name string
		in   []byte
		want error
		msg  string
	}{
		{"empty", nil, ErrTruncated, "got 0"},
		{"png", []byte("\x89PNG\r\n\x1a\n0000000000000000"), ErrNotTensorFile, "magic"},
		{"short non-magic", []byte("hi"), ErrNotTensorFile, ""},
		{"magic only", []byte(Magic), ErrTruncated, "got 8"},
		{"in header", valid[:40], ErrTruncated, "got 40"},
		{"in data", valid[:len(valid)-20], ErrTruncated, "expected"},
		{"checksum cut", valid[:len(valid)-1], ErrTruncated, "got"},
		{"trailing", append(bytes.Clone(valid), 0), ErrCorrupt, "trailing"},
		{"flipped data byte", flipped, ErrCorrupt, "CRC"},
		{"flipped header byte", flippedHdr, ErrCorrupt, ""},
		{"version 2", rewrite(2, `{"meta":{},"tensors":[]}`, nil), ErrVersion, "version 2"},
		{"header not JSON", rewrite(1, `{"meta":{},"tensors":[`, nil), ErrHeader, ""},
		{"header garbage after", rewrite(1, `{"meta":{},"tensors":[]} x`, nil), ErrHeader, "after"},
		{"meta array", rewrite(1, `{"meta":[],"tensors":[]}`, nil), ErrHeader, "meta"},
		{"no tensors key", rewrite(1, `{"meta":{}}`, nil), ErrHeader, "tensors"},
		{"unknown field", rewrite(1, `{"meta":{},"tensors":[],"x":1}`, nil), ErrHeader, ""},
		{"bad dtype", rewrite(1, `{"meta":{},"tensors":[{"name":"a","dtype":"int8","shape":[4],"offset":0,"length":4}]}`, one), ErrHeader, "int8"},
		{"empty name", rewrite(1, `{"meta":{},"tensors":[{"name":"","dtype":"float32","shape":[1],"offset":0,"length":4}]}`, one), ErrHeader, "empty name"},
		{"no shape", rewrite(1, `{"meta":{},"tensors":[{"name":"a","dtype":"float32","offset":0,"length":4}]}`, one), ErrHeader, "shape"},
		{"shape vs length", rewrite(1, `{"meta":{},"tensors":[{"name":"a","dtype":"float32","shape":[2],"offset":0,"length":4}]}`, one), ErrShape, "shape [2]"},
		{"partial element", rewrite(1, `{"meta":{},"tensors":[{"name":"a","dtype":"float64","shape":[1],"offset":0,"length":4}]}`, one), ErrShape, "whole number"},
		{"negative dim", rewrite(1, `{"meta":{},"tensors":[{"name":"a","dtype":"float32","shape":[-1,-4],"offset":0,"length":4}]}`, one), ErrShape, "negative"},
		{"huge shape", rewrite(1, `{"meta":{},"tensors":[{"name":"a","dtype":"float32","shape":[4294967296,4294967296],"offset":0,"length":4}]}`, one), ErrShape, ""},
		{"huge length", rewrite(1, `{"meta":{},"tensors":[{"name":"a","dtype":"float32","shape":[1099511627776],"offset":0,"length":4398046511104}]}`, one), ErrTruncated, "expected 4398046511"},
		{"gap", rewrite(1, `{"meta":{},"tensors":[{"name":"a","dtype":"float32","shape":[1],"offset":4,"length":4}]}`, one), ErrHeader, "offset 4"},
		{"duplicate", rewrite(1, `{"meta":{},"tensors":[{"name":"a","dtype":"float32","shape":[],"offset":0,"length":4},{"name":"a","dtype":"float32","shape":[0],"offset":4,"length":0}]}`, one), ErrDuplicate, `"a"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, ts, err := Read(bytes.NewReader(tc.in))
			if !errors.Is(err, tc.want) {
				t.Fatalf("Read error = %v, want %v", err, tc.want)
			}
			if ts != nil {
				t.Errorf("tensors returned with an error")
			}
			if !strings.Contains(err.Error(), tc.msg) || !strings.HasPrefix(err.Error(), "tensorio: ") {
				t.Errorf("error %q does not contain %q", err, tc.msg)
			}
		})
	}
}

// TestTruncateEverywhere cuts a valid file at every length: a proper
// prefix of a valid file is always reported as truncated.
func TestTruncateEverywhere(t *testing.T) {
	valid := encode(t, nil, sampleTensors())
	for n := 0; n < len(valid); n++ {
		_, _, err := Read(bytes.NewReader(valid[:n]))
		if !errors.Is(err, ErrTruncated) {
			t.Fatalf("cut at %d of %d: %v, want truncated", n, len(valid), err)
		}
	}
}

func TestFlipEveryByte(t *testing.T) {
	valid := encode(t, nil, sampleTensors()[:3])
	for i := range valid {
		b := bytes.Clone(valid)
		b[i] ^= 0x01
		_, _, err := Read(bytes.NewReader(b))
		if err == nil {
			t.Fatalf("flip at %d: no error", i)
		}
		// A flip in the data section or the checksum can only be caught by
		// the checksum; elsewhere a more specific error may come first.
		if i >= prefixLen+int(binary.LittleEndian.Uint32(valid[12:])) && !errors.Is(err, ErrCorrupt) {
			t.Errorf("flip at %d: %v, want corrupt", i, err)
		}
	}
}

func TestFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ckpt.dgt")
	first := []Tensor{{Name: "w", F32: []float32{1, 2}}}
	if err := WriteFileAtomic(path, map[string]int{"epoch": 1}, first); err != nil {
		t.Fatal(err)
	}
	second := []Tensor{{Name: "w", F32: []float32{3, 4, 5}}}
	if err := WriteFileAtomic(path, map[string]int{"epoch": 2}, second); err != nil {
		t.Fatal(err)
	}
	meta, ts, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(meta) != `{"epoch":2}` || len(ts) != 1 {
		t.Fatalf("meta %s, %d tensors", meta, len(ts))
	}
	sameBits(t, ts[0], second[0])

	// A failing write must leave the previous file intact.
	bad := []Tensor{{Name: "w", Shape: []int{7}, F32: []float32{1}}}
	if err := WriteFileAtomic(path, nil, bad); err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("bad write: err = %v, want one naming %s", err, path)
	}
	if _, ts, err := ReadFile(path); err != nil || len(ts[0].F32) != 3 {
		t.Fatalf("after failed write: %v, %v", err, ts)
	}
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o644 {
		t.Errorf("mode: %v %v", st.Mode(), err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("directory holds %v, want only ckpt.dgt (no temp files)", names)
	}

	// ReadFile errors name the file.
	if err := os.WriteFile(filepath.Join(dir, "junk"), []byte("not a tensor file at all"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"junk", "missing"} {
		p := filepath.Join(dir, name)
		if _, _, err := ReadFile(p); err == nil || !strings.Contains(err.Error(), p) {
			t.Errorf("ReadFile(%s) error = %v, want one naming the file", name, err)
		}
	}
	if _, _, err := ReadFile(filepath.Join(dir, "junk")); !errors.Is(err, ErrNotTensorFile) {
		t.Errorf("junk: %v", err)
	}
	if err := WriteFileAtomic(filepath.Join(dir, "nodir", "x"), nil, nil); err == nil {
		t.Errorf("write into a missing directory succeeded")
	}
}

func FuzzRead(f *testing.F) {
	var buf bytes.Buffer
	for _, ts := range [][]Tensor{nil, sampleTensors(), sampleTensors()[2:4]} {
		buf.Reset()
		if err := Write(&buf, map[string]any{"k": []int{1}}, ts); err != nil {
			f.Fatal(err)
		}
		f.Add(bytes.Clone(buf.Bytes()))
	}
	f.Add([]byte(Magic))
	f.Fuzz(func(t *testing.T, b []byte) {
		meta, ts, err := Read(bytes.NewReader(b))
		if err != nil {
			return
		}
		// Whatever reads must write back and read again to the same thing.
		var out bytes.Buffer
		if err := Write(&out, meta, ts); err != nil {
			t.Fatalf("re-Write of a readable file: %v", err)
		}
		_, again, err := Read(&out)
		if err != nil {
			t.Fatalf("re-Read: %v", err)
		}
		if len(again) != len(ts) {
			t.Fatalf("re-Read: %d tensors, want %d", len(again), len(ts))
		}
		for i := range ts {
			sameBits(t, again[i], ts[i])
		}
	})
}
