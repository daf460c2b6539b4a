package safetensors

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strconv"
	"unicode/utf8"
)

// MaxHeaderSize is the largest header the reference implementation accepts
// (MAX_HEADER_SIZE in safetensors/src/tensor.rs).
const MaxHeaderSize = 100_000_000

// maxElements bounds a tensor's element count so that sizes cannot overflow.
const maxElements = 1 << 40

// MetadataKey is the reserved header key of the free-form metadata.
const MetadataKey = "__metadata__"

// Dtype names as they appear in the header.
const (
	DtypeF32 = "F32"
	DtypeI64 = "I64"
)

// Errors returned (wrapped) by Read and Write; test them with errors.Is.
var (
	ErrHeader      = errors.New("safetensors: invalid header")
	ErrOffsets     = errors.New("safetensors: invalid data offsets")
	ErrUnsupported = errors.New("safetensors: unsupported dtype")
	ErrTruncated   = errors.New("safetensors: truncated")
	ErrTrailing    = errors.New("safetensors: bytes after the last tensor")
	ErrTensor      = errors.New("safetensors: invalid tensor")
)

// Tensor is a named tensor. Exactly one of F32 and I64 is non-nil; it holds
// the elements in C (row-major) order, and their count is the product of
// Shape. Shape []int{} (or nil) is a 0-dim tensor of one element.
type Tensor struct {
	Name  string
	Shape []int
	F32   []float32
	I64   []int64
}

// F32 returns a float32 tensor.
func F32(name string, shape []int, data []float32) Tensor {
	return Tensor{Name: name, Shape: shape, F32: data}
}

// I64Scalar returns a 0-dim int64 tensor, the form of PyTorch's
// BatchNorm num_batches_tracked.
func I64Scalar(name string, v int64) Tensor {
	return Tensor{Name: name, Shape: []int{}, I64: []int64{v}}
}

// Dtype returns "F32" or "I64", or "" unless exactly one data slice is set.
func (t *Tensor) Dtype() string {
	switch {
	case t.F32 != nil && t.I64 == nil:
		return DtypeF32
	case t.I64 != nil && t.F32 == nil:
		return DtypeI64
	}
	return ""
}

func (t *Tensor) len() int {
	if t.F32 != nil {
		return len(t.F32)
	}
	return len(t.I64)
}

// rank orders dtypes as the reference's Dtype enum does (larger = later).
func rank(dtype string) int {
	if dtype == DtypeI64 {
		return 2
	}
	return 1
}

// elemCount multiplies shape, failing on a negative dimension or overflow.
func elemCount(shape []int) (int, error) {
	n := 1
	for _, s := range shape {
		if s < 0 {
			return 0, fmt.Errorf("negative dimension in shape %v", shape)
		}
		if s != 0 && n > maxElements/s {
			return 0, fmt.Errorf("shape %v has too many elements", shape)
		}
		n *= s
	}
	return n, nil
}

// Header returns the complete header (8-byte length plus padded JSON) that
// Write writes for these tensors and metadata, and the tensors in the order
// their data follows it.
func Header(tensors []Tensor, metadata map[string]string) ([]byte, []Tensor, error) {
	order := make([]Tensor, len(tensors))
	copy(order, tensors)
	seen := make(map[string]bool, len(tensors))
	for i := range order {
		t := &order[i]
		if t.Name == MetadataKey {
			return nil, nil, fmt.Errorf("%w: tensor name %q is reserved", ErrTensor, t.Name)
		}
		if !utf8.ValidString(t.Name) {
			return nil, nil, fmt.Errorf("%w: tensor name %q is not UTF-8", ErrTensor, t.Name)
		}
		if seen[t.Name] {
			return nil, nil, fmt.Errorf("%w: duplicate tensor name %q", ErrTensor, t.Name)
		}
		seen[t.Name] = true
		if t.Dtype() == "" {
			return nil, nil, fmt.Errorf("%w: %q must have exactly one of F32 and I64 set", ErrTensor, t.Name)
		}
		n, err := elemCount(t.Shape)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: %q: %v", ErrTensor, t.Name, err)
		}
		if n != t.len() {
			return nil, nil, fmt.Errorf("%w: %q: shape %v has %d elements, data has %d", ErrTensor, t.Name, t.Shape, n, t.len())
		}
	}
	sort.SliceStable(order, func(i, j int) bool {
		ri, rj := rank(order[i].Dtype()), rank(order[j].Dtype())
		if ri != rj {
			return ri > rj
		}
		return order[i].Name < order[j].Name
	})
	var b bytes.Buffer
	b.WriteByte('{')
	first := true
	if metadata != nil {
		keys := make([]string, 0, len(metadata))
		for k, v := range metadata {
			if !utf8.ValidString(k) || !utf8.ValidString(v) {
				return nil, nil, fmt.Errorf("%w: metadata %q is not UTF-8", ErrHeader, k)
			}
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteString(`"__metadata__":{`)
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			writeString(&b, k)
			b.WriteByte(':')
			writeString(&b, metadata[k])
		}
		b.WriteByte('}')
		first = false
	}
	off := 0
	for _, t := range order {
		if !first {
			b.WriteByte(',')
		}
		first = false
		writeString(&b, t.Name)
		b.WriteString(`:{"dtype":"`)
		b.WriteString(t.Dtype())
		b.WriteString(`","shape":[`)
		for i, s := range t.Shape {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.Itoa(s))
		}
		size := t.len() * 4
		if t.I64 != nil {
			size = t.len() * 8
		}
		fmt.Fprintf(&b, `],"data_offsets":[%d,%d]}`, off, off+size)
		off += size
	}
	b.WriteByte('}')
	for b.Len()%8 != 0 {
		b.WriteByte(' ')
	}
	if b.Len() > MaxHeaderSize {
		return nil, nil, fmt.Errorf("%w: header of %d bytes exceeds %d", ErrHeader, b.Len(), MaxHeaderSize)
	}
	out := binary.LittleEndian.AppendUint64(make([]byte, 0, 8+b.Len()), uint64(b.Len()))
	return append(out, b.Bytes()...), order, nil
}

// writeString writes s as a JSON string the way serde_json does.
func writeString(b *bytes.Buffer, s string) {
	const hex = "0123456789abcdef"
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"':
			b.WriteString(`\"`)
		case c == '\\':
			b.WriteString(`\\`)
		case c == '\b':
			b.WriteString(`\b`)
		case c == '\f':
			b.WriteString(`\f`)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\r':
			b.WriteString(`\r`)
		case c == '\t':
			b.WriteString(`\t`)
		case c < 0x20:
			b.WriteString(`\u00`)
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
}

// Write writes the tensors and the optional metadata (nil for none) in the
// safetensors format. Names must be unique, valid UTF-8 and not
// "__metadata__"; the order of tensors does not matter (see the package
// comment for the order in the file).
func Write(w io.Writer, tensors []Tensor, metadata map[string]string) error {
	h, order, err := Header(tensors, metadata)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	if _, err := bw.Write(h); err != nil {
		return err
	}
	var b [8]byte
	for _, t := range order {
		for _, v := range t.F32 {
			binary.LittleEndian.PutUint32(b[:4], math.Float32bits(v))
			if _, err := bw.Write(b[:4]); err != nil {
				return err
			}
		}
		for _, v := range t.I64 {
			binary.LittleEndian.PutUint64(b[:], uint64(v))
			if _, err := bw.Write(b[:]); err != nil {
				return err
			}
		}
	}
	return bw.Flush()
}

// WriteFile writes the tensors to the named file as Write does, replacing
// the file.
func WriteFile(path string, tensors []Tensor, metadata map[string]string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := Write(f, tensors, metadata); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

type info struct {
	name  string
	dtype string
	shape []int
	begin int64
	end   int64
}

// Read reads a safetensors file from r. It returns the tensors in the order
// of their data in the file and the metadata (nil if the file has none).
func Read(r io.Reader) ([]Tensor, map[string]string, error) {
	var nb [8]byte
	if _, err := io.ReadFull(r, nb[:]); err != nil {
		return nil, nil, fmt.Errorf("%w: header length: %v", ErrTruncated, err)
	}
	n := binary.LittleEndian.Uint64(nb[:])
	if n > MaxHeaderSize {
		return nil, nil, fmt.Errorf("%w: header length %d exceeds %d", ErrHeader, n, MaxHeaderSize)
	}
	hdr, err := readN(r, int64(n))
	if err != nil {
		return nil, nil, fmt.Errorf("%w: header of %d bytes: %v", ErrTruncated, n, err)
	}
	infos, meta, err := parseHeader(hdr)
	if err != nil {
		return nil, nil, err
	}
	sort.SliceStable(infos, func(i, j int) bool {
		if infos[i].begin != infos[j].begin {
			return infos[i].begin < infos[j].begin
		}
		return infos[i].end < infos[j].end
	})
	var start int64
	for _, in := range infos {
		if in.begin != start || in.end < in.begin {
			return nil, nil, fmt.Errorf("%w: tensor %q has [%d,%d], expected it to begin at %d", ErrOffsets, in.name, in.begin, in.end, start)
		}
		cnt, err := elemCount(in.shape)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: tensor %q: %v", ErrHeader, in.name, err)
		}
		size := int64(cnt) * 4
		if in.dtype == DtypeI64 {
			size = int64(cnt) * 8
		}
		if in.end-in.begin != size {
			return nil, nil, fmt.Errorf("%w: tensor %q: %s%v needs %d bytes, offsets give %d", ErrOffsets, in.name, in.dtype, in.shape, size, in.end-in.begin)
		}
		start = in.end
	}
	tensors := make([]Tensor, 0, len(infos))
	for _, in := range infos {
		raw, err := readN(r, in.end-in.begin)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: tensor %q: %v", ErrTruncated, in.name, err)
		}
		t := Tensor{Name: in.name, Shape: in.shape}
		if in.dtype == DtypeF32 {
			t.F32 = make([]float32, len(raw)/4)
			for i := range t.F32 {
				t.F32[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
			}
		} else {
			t.I64 = make([]int64, len(raw)/8)
			for i := range t.I64 {
				t.I64[i] = int64(binary.LittleEndian.Uint64(raw[8*i:]))
			}
		}
		tensors = append(tensors, t)
	}
	var one [1]byte
	if m, _ := r.Read(one[:]); m > 0 {
		return nil, nil, ErrTrailing
	}
	return tensors, meta, nil
}

// ReadFile reads the named file as Read does.
func ReadFile(path string) ([]Tensor, map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	ts, meta, err := Read(bufio.NewReaderSize(f, 1<<16))
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return ts, meta, nil
}

// readN reads exactly n bytes, growing its buffer only as bytes arrive.
func readN(r io.Reader, n int64) ([]byte, error) {
	var b bytes.Buffer
	m, err := io.CopyN(&b, r, n)
	if m != n {
		if err == nil || err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("got %d of %d bytes: %v", m, n, err)
	}
	return b.Bytes(), nil
}

func parseHeader(hdr []byte) ([]info, map[string]string, error) {
	if len(hdr) == 0 || hdr[0] != '{' {
		return nil, nil, fmt.Errorf("%w: does not start with '{'", ErrHeader)
	}
	if !utf8.Valid(hdr) {
		return nil, nil, fmt.Errorf("%w: not UTF-8", ErrHeader)
	}
	dec := json.NewDecoder(bytes.NewReader(hdr))
	dec.UseNumber()
	if _, err := dec.Token(); err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrHeader, err)
	}
	var (
		infos []info
		meta  map[string]string
		seen  = map[string]bool{}
	)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, nil, fmt.Errorf("%w: %v", ErrHeader, err)
		}
		name, ok := tok.(string)
		if !ok {
			return nil, nil, fmt.Errorf("%w: key is not a string", ErrHeader)
		}
		if seen[name] {
			return nil, nil, fmt.Errorf("%w: duplicate key %q", ErrHeader, name)
		}
		seen[name] = true
		if name == MetadataKey {
			if err := dec.Decode(&meta); err != nil {
				return nil, nil, fmt.Errorf("%w: __metadata__ must map strings to strings: %v", ErrHeader, err)
			}
			if meta == nil {
				meta = map[string]string{}
			}
			continue
		}
		var ti struct {
			Dtype       *string   `json:"dtype"`
			Shape       *[]int    `json:"shape"`
			DataOffsets *[2]int64 `json:"data_offsets"`
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, nil, fmt.Errorf("%w: tensor %q: %v", ErrHeader, name, err)
		}
		strict := json.NewDecoder(bytes.NewReader(raw))
		strict.DisallowUnknownFields()
		if err := strict.Decode(&ti); err != nil {
			return nil, nil, fmt.Errorf("%w: tensor %q: %v", ErrHeader, name, err)
		}
		if ti.Dtype == nil || ti.Shape == nil || ti.DataOffsets == nil {
			return nil, nil, fmt.Errorf("%w: tensor %q needs dtype, shape and data_offsets", ErrHeader, name)
		}
		if *ti.Dtype != DtypeF32 && *ti.Dtype != DtypeI64 {
			return nil, nil, fmt.Errorf("%w: tensor %q has dtype %q (F32 and I64 are supported)", ErrUnsupported, name, *ti.Dtype)
		}
		if ti.DataOffsets[0] < 0 || ti.DataOffsets[1] < 0 {
			return nil, nil, fmt.Errorf("%w: tensor %q has negative offsets", ErrOffsets, name)
		}
		infos = append(infos, info{name: name, dtype: *ti.Dtype, shape: append([]int{}, (*ti.Shape)...), begin: ti.DataOffsets[0], end: ti.DataOffsets[1]})
	}
	if _, err := dec.Token(); err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrHeader, err)
	}
	// Only whitespace may follow the object.
	if len(bytes.TrimLeft(hdr[dec.InputOffset():], " \t\r\n")) != 0 {
		return nil, nil, fmt.Errorf("%w: bytes after the JSON object", ErrHeader)
	}
	return infos, meta, nil
}
