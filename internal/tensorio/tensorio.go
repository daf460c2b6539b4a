package tensorio

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
)

// Magic is the first eight bytes of every tensor archive.
const Magic = "DARTSGO1"

// Version is the format version this package writes and reads.
const Version = 1

const (
	prefixLen   = 16 // magic + version + header length
	checksumLen = 4
	dataAlign   = 8
)

// Errors returned (wrapped) by Read and ReadFile; test them with errors.Is.
var (
	ErrNotTensorFile = errors.New("not a darts-go tensor file")
	ErrVersion       = errors.New("unsupported version")
	ErrTruncated     = errors.New("truncated")
	ErrCorrupt       = errors.New("corrupt (checksum mismatch)")
	ErrHeader        = errors.New("invalid header")
	ErrShape         = errors.New("shape/length mismatch")
	ErrDuplicate     = errors.New("duplicate tensor name")
)

// Tensor is a named, shaped array. Exactly one of F32, F64, I64, U64 is
// non-nil; it holds the elements in row-major order.
//
// Shape nil means a vector of the data's length; a scalar has Shape []int{}
// (non-nil, empty). Read always returns a non-nil Shape and a non-nil data
// slice, even for zero elements.
type Tensor struct {
	Name  string
	Shape []int
	F32   []float32
	F64   []float64
	I64   []int64
	U64   []uint64
}

// DType returns the name of t's element type as stored in the header
// ("float32", "float64", "int64", "uint64"), or "" unless exactly one data
// slice is set.
func (t *Tensor) DType() string {
	n, dt := 0, ""
	if t.F32 != nil {
		n, dt = n+1, dtF32
	}
	if t.F64 != nil {
		n, dt = n+1, dtF64
	}
	if t.I64 != nil {
		n, dt = n+1, dtI64
	}
	if t.U64 != nil {
		n, dt = n+1, dtU64
	}
	if n != 1 {
		return ""
	}
	return dt
}

// Len returns the number of elements in t's data slice.
func (t *Tensor) Len() int {
	return len(t.F32) + len(t.F64) + len(t.I64) + len(t.U64)
}

const (
	dtF32 = "float32"
	dtF64 = "float64"
	dtI64 = "int64"
	dtU64 = "uint64"
)

func elemSize(dtype string) int {
	switch dtype {
	case dtF32:
		return 4
	case dtF64, dtI64, dtU64:
		return 8
	}
	return 0
}

type header struct {
	Meta    json.RawMessage `json:"meta"`
	Tensors []entry         `json:"tensors"`
}

type entry struct {
	Name   string `json:"name"`
	DType  string `json:"dtype"`
	Shape  []int  `json:"shape"`
	Offset int64  `json:"offset"`
	Length int64  `json:"length"`
}

// numElems returns the product of shape, or an error if a dimension is
// negative or the product exceeds limit (which also rules out overflow).
func numElems(shape []int, limit int64) (int64, error) {
	n := int64(1)
	for _, d := range shape {
		if d < 0 {
			return 0, fmt.Errorf("negative dimension %d in shape %v", d, shape)
		}
		if d == 0 {
			n = 0
			continue
		}
		if n > limit/int64(d) {
			return 0, fmt.Errorf("shape %v has more than %d elements", shape, limit)
		}
		n *= int64(d)
	}
	return n, nil
}

// Write writes meta (marshalled with encoding/json; it must encode to a JSON
// object, or be nil for {}) and tensors to w in the format described in the
// package documentation.
func Write(w io.Writer, meta any, tensors []Tensor) error {
	if err := write(w, meta, tensors); err != nil {
		return fmt.Errorf("tensorio: %w", err)
	}
	return nil
}

func write(w io.Writer, meta any, tensors []Tensor) error {
	metaJSON := []byte("{}")
	if meta != nil {
		b, err := json.Marshal(meta)
		if err != nil {
			return fmt.Errorf("encoding meta: %w", err)
		}
		if t := bytes.TrimSpace(b); len(t) == 0 || (t[0] != '{' && !bytes.Equal(t, []byte("null"))) {
			return fmt.Errorf("meta must encode to a JSON object, got %.40s", b)
		} else if t[0] == '{' {
			metaJSON = b
		}
	}
	h := header{Meta: metaJSON, Tensors: make([]entry, len(tensors))}
	seen := make(map[string]bool, len(tensors))
	var off int64
	for i := range tensors {
		t := &tensors[i]
		if t.Name == "" {
			return fmt.Errorf("tensor %d has an empty name", i)
		}
		if seen[t.Name] {
			return fmt.Errorf("tensor %q: %w", t.Name, ErrDuplicate)
		}
		seen[t.Name] = true
		dt := t.DType()
		if dt == "" {
			return fmt.Errorf("tensor %q: want exactly one of F32, F64, I64, U64 set", t.Name)
		}
		shape := t.Shape
		if shape == nil {
			shape = []int{t.Len()}
		}
		n, err := numElems(shape, math.MaxInt64/8)
		if err != nil {
			return fmt.Errorf("tensor %q: %w", t.Name, err)
		}
		if n != int64(t.Len()) {
			return fmt.Errorf("tensor %q: shape %v has %d elements, data has %d: %w", t.Name, shape, n, t.Len(), ErrShape)
		}
		length := n * int64(elemSize(dt))
		h.Tensors[i] = entry{Name: t.Name, DType: dt, Shape: shape, Offset: off, Length: length}
		off += length
	}
	hdr, err := json.Marshal(h)
	if err != nil {
		return fmt.Errorf("encoding header: %w", err)
	}
	// Pad so the data section is 8-byte aligned in the file, which lets a
	// future reader map it instead of copying.
	if r := (prefixLen + len(hdr)) % dataAlign; r != 0 {
		hdr = append(hdr, bytes.Repeat([]byte{' '}, dataAlign-r)...)
	}
	if uint64(len(hdr)) > math.MaxUint32 {
		return fmt.Errorf("header is %d bytes, more than the format's 4 GiB limit", len(hdr))
	}

	crc := crc32.NewIEEE()
	out := io.MultiWriter(w, crc)
	var prefix [prefixLen]byte
	copy(prefix[:], Magic)
	binary.LittleEndian.PutUint32(prefix[8:], Version)
	binary.LittleEndian.PutUint32(prefix[12:], uint32(len(hdr)))
	if _, err := out.Write(prefix[:]); err != nil {
		return err
	}
	if _, err := out.Write(hdr); err != nil {
		return err
	}
	buf := make([]byte, 0, 64<<10)
	flush := func() error {
		_, err := out.Write(buf)
		buf = buf[:0]
		return err
	}
	for i := range tensors {
		t := &tensors[i]
		// Each case appends element by element into a bounded buffer so
		// writing a large tensor needs no second copy of it.
		switch {
		case t.F32 != nil:
			for _, v := range t.F32 {
				if len(buf)+4 > cap(buf) {
					if err := flush(); err != nil {
						return err
					}
				}
				buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(v))
			}
		case t.F64 != nil:
			for _, v := range t.F64 {
				if len(buf)+8 > cap(buf) {
					if err := flush(); err != nil {
						return err
					}
				}
				buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(v))
			}
		case t.I64 != nil:
			for _, v := range t.I64 {
				if len(buf)+8 > cap(buf) {
					if err := flush(); err != nil {
						return err
					}
				}
				buf = binary.LittleEndian.AppendUint64(buf, uint64(v))
			}
		case t.U64 != nil:
			for _, v := range t.U64 {
				if len(buf)+8 > cap(buf) {
					if err := flush(); err != nil {
						return err
					}
				}
				buf = binary.LittleEndian.AppendUint64(buf, v)
			}
		}
	}
	if err := flush(); err != nil {
		return err
	}
	var sum [checksumLen]byte
	binary.LittleEndian.PutUint32(sum[:], crc.Sum32())
	_, err = w.Write(sum[:])
	return err
}

// Read reads a whole tensor archive from r and returns its metadata object
// and tensors, in file order. Errors wrap one of the Err* values.
func Read(r io.Reader) (meta json.RawMessage, tensors []Tensor, err error) {
	// Reading everything first bounds every allocation below by the real
	// input size, whatever the header claims.
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, nil, fmt.Errorf("tensorio: %w", err)
	}
	meta, tensors, err = parse(b)
	if err != nil {
		return nil, nil, fmt.Errorf("tensorio: %w", err)
	}
	return meta, tensors, nil
}

func checksumOK(b []byte) bool {
	n := len(b) - checksumLen
	return crc32.ChecksumIEEE(b[:n]) == binary.LittleEndian.Uint32(b[n:])
}

func parse(b []byte) (json.RawMessage, []Tensor, error) {
	size := int64(len(b))
	if size < int64(len(Magic)) {
		if bytes.HasPrefix([]byte(Magic), b) {
			return nil, nil, fmt.Errorf("%w: expected at least %d bytes, got %d", ErrTruncated, prefixLen+checksumLen, size)
		}
		return nil, nil, fmt.Errorf("%w (file is %d bytes)", ErrNotTensorFile, size)
	}
	if string(b[:len(Magic)]) != Magic {
		return nil, nil, fmt.Errorf("%w (magic %q, want %q)", ErrNotTensorFile, b[:len(Magic)], Magic)
	}
	if size < prefixLen+checksumLen {
		return nil, nil, fmt.Errorf("%w: expected at least %d bytes, got %d", ErrTruncated, prefixLen+checksumLen, size)
	}
	if v := binary.LittleEndian.Uint32(b[8:]); v != Version {
		return nil, nil, fmt.Errorf("%w %d (this reader supports version %d)", ErrVersion, v, Version)
	}
	hlen := int64(binary.LittleEndian.Uint32(b[12:]))
	if min := prefixLen + hlen + checksumLen; size < min {
		return nil, nil, fmt.Errorf("%w: header length %d needs at least %d bytes, got %d", ErrTruncated, hlen, min, size)
	}
	var h header
	dec := json.NewDecoder(bytes.NewReader(b[prefixLen : prefixLen+hlen]))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&h); err != nil {
		return nil, nil, headerErr(b, fmt.Errorf("%w: %v", ErrHeader, err))
	}
	if dec.More() || !onlySpace(b[prefixLen+dec.InputOffset():prefixLen+hlen]) {
		return nil, nil, headerErr(b, fmt.Errorf("%w: data after the JSON object", ErrHeader))
	}
	if t := bytes.TrimSpace(h.Meta); len(t) == 0 || t[0] != '{' {
		return nil, nil, headerErr(b, fmt.Errorf("%w: meta is not a JSON object", ErrHeader))
	}
	if h.Tensors == nil {
		return nil, nil, headerErr(b, fmt.Errorf("%w: no \"tensors\" list", ErrHeader))
	}

	dataStart := prefixLen + hlen
	avail := size - dataStart - checksumLen // bytes that can hold tensor data
	seen := make(map[string]bool, len(h.Tensors))
	var off int64
	for i, e := range h.Tensors {
		if e.Name == "" {
			return nil, nil, headerErr(b, fmt.Errorf("%w: tensor %d has an empty name", ErrHeader, i))
		}
		if seen[e.Name] {
			return nil, nil, headerErr(b, fmt.Errorf("tensor %q: %w", e.Name, ErrDuplicate))
		}
		seen[e.Name] = true
		es := elemSize(e.DType)
		if es == 0 {
			return nil, nil, headerErr(b, fmt.Errorf("%w: tensor %q has unknown dtype %q", ErrHeader, e.Name, e.DType))
		}
		if e.Shape == nil {
			return nil, nil, headerErr(b, fmt.Errorf("%w: tensor %q has no shape", ErrHeader, e.Name))
		}
		if e.Offset != off {
			return nil, nil, headerErr(b, fmt.Errorf("%w: tensor %q at offset %d, want %d (tensors are stored back to back)", ErrHeader, e.Name, e.Offset, off))
		}
		if e.Length < 0 || e.Length%int64(es) != 0 {
			return nil, nil, headerErr(b, fmt.Errorf("tensor %q: length %d bytes is not a whole number of %s elements: %w", e.Name, e.Length, e.DType, ErrShape))
		}
		n, err := numElems(e.Shape, math.MaxInt64/8)
		if err != nil {
			return nil, nil, headerErr(b, fmt.Errorf("tensor %q: %v: %w", e.Name, err, ErrShape))
		}
		if n*int64(es) != e.Length {
			return nil, nil, headerErr(b, fmt.Errorf("tensor %q: shape %v needs %d bytes of %s, length is %d: %w", e.Name, e.Shape, n*int64(es), e.DType, e.Length, ErrShape))
		}
		if e.Length > math.MaxInt64-off {
			return nil, nil, headerErr(b, fmt.Errorf("%w: tensor %q: offset %d + length %d overflows", ErrHeader, e.Name, off, e.Length))
		}
		off += e.Length
	}
	if want := dataStart + off + checksumLen; off > avail {
		return nil, nil, fmt.Errorf("%w: expected %d bytes, got %d", ErrTruncated, want, size)
	} else if off < avail {
		return nil, nil, headerErr(b, fmt.Errorf("%w: expected %d bytes, got %d (trailing data)", ErrHeader, want, size))
	}
	if !checksumOK(b) {
		return nil, nil, fmt.Errorf("%w: stored CRC-32 %08x, computed %08x", ErrCorrupt,
			binary.LittleEndian.Uint32(b[size-checksumLen:]), crc32.ChecksumIEEE(b[:size-checksumLen]))
	}

	tensors := make([]Tensor, len(h.Tensors))
	for i, e := range h.Tensors {
		raw := b[dataStart+e.Offset : dataStart+e.Offset+e.Length]
		t := Tensor{Name: e.Name, Shape: e.Shape}
		switch e.DType {
		case dtF32:
			t.F32 = make([]float32, len(raw)/4)
			for j := range t.F32 {
				t.F32[j] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*j:]))
			}
		case dtF64:
			t.F64 = make([]float64, len(raw)/8)
			for j := range t.F64 {
				t.F64[j] = math.Float64frombits(binary.LittleEndian.Uint64(raw[8*j:]))
			}
		case dtI64:
			t.I64 = make([]int64, len(raw)/8)
			for j := range t.I64 {
				t.I64[j] = int64(binary.LittleEndian.Uint64(raw[8*j:]))
			}
		case dtU64:
			t.U64 = make([]uint64, len(raw)/8)
			for j := range t.U64 {
				t.U64[j] = binary.LittleEndian.Uint64(raw[8*j:])
			}
		}
		tensors[i] = t
	}
	return h.Meta, tensors, nil
}

// headerErr reports a header problem as corruption when the checksum does
// not match either, since a damaged byte is then the likelier cause.
func headerErr(b []byte, err error) error {
	if !checksumOK(b) {
		return fmt.Errorf("%w (and %w)", ErrCorrupt, err)
	}
	return err
}

func onlySpace(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			return false
		}
	}
	return true
}
