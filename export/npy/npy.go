package npy

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
)

// Magic is the first six bytes of every .npy file.
const Magic = "\x93NUMPY"

const (
	align              = 64 // numpy's ARRAY_ALIGN
	growthAxisMaxDigit = 21 // numpy's GROWTH_AXIS_MAX_DIGITS
	maxHeaderLen       = 1 << 20
	// MaxElements bounds the element count Read accepts (the product of the
	// shape), so that a corrupt shape cannot overflow an int.
	MaxElements = 1 << 40
)

// Errors returned (wrapped) by Read; test them with errors.Is.
var (
	ErrNotNpy       = errors.New("npy: not a .npy file")
	ErrVersion      = errors.New("npy: unsupported format version")
	ErrHeader       = errors.New("npy: invalid header")
	ErrUnsupported  = errors.New("npy: unsupported array type")
	ErrTruncated    = errors.New("npy: truncated data")
	ErrShape        = errors.New("npy: shape does not match data length")
	ErrTrailingData = errors.New("npy: trailing bytes after the array")
)

// Header returns the complete .npy version 1.0 header (magic, version,
// length and padded dict) for a float32 C-order array of the given shape,
// exactly as numpy 1.24 writes it. It fails on a negative dimension or a
// header longer than version 1.0 allows (65535 bytes).
func Header(shape []int) ([]byte, error) {
	var d strings.Builder
	d.WriteString("{'descr': '<f4', 'fortran_order': False, 'shape': ")
	d.WriteString(shapeRepr(shape))
	d.WriteString(", }")
	for _, s := range shape {
		if s < 0 {
			return nil, fmt.Errorf("npy: negative dimension in shape %v", shape)
		}
	}
	if len(shape) > 0 {
		d.WriteString(strings.Repeat(" ", growthAxisMaxDigit-len(strconv.Itoa(shape[0]))))
	}
	hlen := d.Len() + 1 // the final '\n'
	pad := align - (len(Magic)+2+2+hlen)%align
	total := hlen + pad
	if total > math.MaxUint16 {
		return nil, fmt.Errorf("npy: header of %d bytes too long for format 1.0", total)
	}
	out := make([]byte, 0, 10+total)
	out = append(out, Magic...)
	out = append(out, 1, 0)
	out = binary.LittleEndian.AppendUint16(out, uint16(total))
	out = append(out, d.String()...)
	out = append(out, bytes.Repeat([]byte{' '}, pad)...)
	out = append(out, '\n')
	return out, nil
}

// shapeRepr is Python's repr of a tuple of ints: (), (3,), (2, 3).
func shapeRepr(shape []int) string {
	switch len(shape) {
	case 0:
		return "()"
	case 1:
		return "(" + strconv.Itoa(shape[0]) + ",)"
	}
	parts := make([]string, len(shape))
	for i, s := range shape {
		parts[i] = strconv.Itoa(s)
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// Write writes data as a .npy version 1.0 float32 array of the given shape
// (C order). The product of shape must equal len(data); shape []int{} (or
// nil) is a 0-d array of one element.
func Write(w io.Writer, shape []int, data []float32) error {
	n := 1
	for _, s := range shape {
		if s < 0 {
			return fmt.Errorf("npy: negative dimension in shape %v", shape)
		}
		if s != 0 && n > MaxElements/s {
			return fmt.Errorf("npy: shape %v has too many elements", shape)
		}
		n *= s
	}
	if n != len(data) {
		return fmt.Errorf("%w: shape %v has %d elements, data has %d", ErrShape, shape, n, len(data))
	}
	h, err := Header(shape)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	if _, err := bw.Write(h); err != nil {
		return err
	}
	var b [4]byte
	for _, v := range data {
		binary.LittleEndian.PutUint32(b[:], math.Float32bits(v))
		if _, err := bw.Write(b[:]); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// WriteFile writes data to the named file as Write does, replacing the file.
func WriteFile(path string, shape []int, data []float32) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := Write(f, shape, data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Read reads one .npy array of float32 in C order from r and returns its
// shape (non-nil; empty for a 0-d array) and elements. It reads exactly the
// array and then requires r to be at EOF (ErrTrailingData otherwise).
func Read(r io.Reader) (shape []int, data []float32, err error) {
	var pre [8]byte
	if _, err := io.ReadFull(r, pre[:]); err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrNotNpy, err)
	}
	if string(pre[:6]) != Magic {
		return nil, nil, ErrNotNpy
	}
	var hlen int
	switch pre[6] {
	case 1:
		var b [2]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return nil, nil, fmt.Errorf("%w: header length: %v", ErrHeader, err)
		}
		hlen = int(binary.LittleEndian.Uint16(b[:]))
	case 2, 3:
		var b [4]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return nil, nil, fmt.Errorf("%w: header length: %v", ErrHeader, err)
		}
		l := binary.LittleEndian.Uint32(b[:])
		if l > maxHeaderLen {
			return nil, nil, fmt.Errorf("%w: header length %d exceeds %d", ErrHeader, l, maxHeaderLen)
		}
		hlen = int(l)
	default:
		return nil, nil, fmt.Errorf("%w: %d.%d", ErrVersion, pre[6], pre[7])
	}
	if pre[7] != 0 {
		return nil, nil, fmt.Errorf("%w: %d.%d", ErrVersion, pre[6], pre[7])
	}
	hdr := make([]byte, hlen)
	if _, err := io.ReadFull(r, hdr); err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrHeader, err)
	}
	shape, err = parseHeader(string(hdr))
	if err != nil {
		return nil, nil, err
	}
	n := 1
	for _, s := range shape {
		if s != 0 && n > MaxElements/s {
			return nil, nil, fmt.Errorf("%w: shape %v has too many elements", ErrHeader, shape)
		}
		n *= s
	}
	// Read in chunks so that memory grows only with the bytes that exist.
	data = make([]float32, 0, min(n, 1<<16))
	buf := make([]byte, 4*min(n, 1<<16))
	for len(data) < n {
		k := min(n-len(data), len(buf)/4)
		if _, err := io.ReadFull(r, buf[:4*k]); err != nil {
			return nil, nil, fmt.Errorf("%w: shape %v needs %d bytes of data: %v", ErrTruncated, shape, 4*n, err)
		}
		for i := 0; i < k; i++ {
			data = append(data, math.Float32frombits(binary.LittleEndian.Uint32(buf[4*i:])))
		}
	}
	var one [1]byte
	if m, _ := r.Read(one[:]); m > 0 {
		return nil, nil, ErrTrailingData
	}
	return shape, data, nil
}

// ReadFile reads the named .npy file as Read does.
func ReadFile(path string) (shape []int, data []float32, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	shape, data, err = Read(bufio.NewReaderSize(f, 1<<16))
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return shape, data, nil
}

// parseHeader parses the Python dict literal of a .npy header. It accepts
// the three keys in any order, single or double quotes, optional trailing
// commas and whitespace, and nothing else.
func parseHeader(h string) ([]int, error) {
	p := &parser{s: h}
	p.ws()
	if !p.eat('{') {
		return nil, fmt.Errorf("%w: header does not start with '{': %q", ErrHeader, trunc(h))
	}
	var (
		descr         string
		fortran       bool
		shape         []int
		seenD, seenF  bool
		seenS, closed bool
	)
	for {
		p.ws()
		if p.eat('}') {
			closed = true
			break
		}
		key, ok := p.str()
		if !ok {
			return nil, fmt.Errorf("%w: expected a quoted key at byte %d", ErrHeader, p.i)
		}
		p.ws()
		if !p.eat(':') {
			return nil, fmt.Errorf("%w: expected ':' after %q", ErrHeader, key)
		}
		p.ws()
		switch key {
		case "descr":
			if seenD {
				return nil, fmt.Errorf("%w: duplicate key %q", ErrHeader, key)
			}
			seenD = true
			if descr, ok = p.str(); !ok {
				return nil, fmt.Errorf("%w: descr is not a string", ErrHeader)
			}
		case "fortran_order":
			if seenF {
				return nil, fmt.Errorf("%w: duplicate key %q", ErrHeader, key)
			}
			seenF = true
			switch {
			case p.word("True"):
				fortran = true
			case p.word("False"):
			default:
				return nil, fmt.Errorf("%w: fortran_order is not True or False", ErrHeader)
			}
		case "shape":
			if seenS {
				return nil, fmt.Errorf("%w: duplicate key %q", ErrHeader, key)
			}
			seenS = true
			var err error
			if shape, err = p.tuple(); err != nil {
				return nil, err
			}
		default:
			return nil, fmt.Errorf("%w: unknown key %q", ErrHeader, key)
		}
		p.ws()
		if p.eat(',') {
			continue
		}
		p.ws()
		if p.eat('}') {
			closed = true
			break
		}
		return nil, fmt.Errorf("%w: expected ',' or '}' at byte %d", ErrHeader, p.i)
	}
	if !closed {
		return nil, fmt.Errorf("%w: unterminated dict", ErrHeader)
	}
	p.ws()
	if p.i != len(p.s) {
		return nil, fmt.Errorf("%w: bytes after the dict", ErrHeader)
	}
	if !seenD || !seenF || !seenS {
		return nil, fmt.Errorf("%w: needs keys descr, fortran_order and shape", ErrHeader)
	}
	if descr != "<f4" {
		return nil, fmt.Errorf("%w: descr %q (only '<f4', little-endian float32, is supported)", ErrUnsupported, descr)
	}
	if fortran {
		return nil, fmt.Errorf("%w: fortran_order True (only C order is supported)", ErrUnsupported)
	}
	return shape, nil
}

type parser struct {
	s string
	i int
}

func (p *parser) ws() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == '\n' || p.s[p.i] == '\r') {
		p.i++
	}
}

func (p *parser) eat(c byte) bool {
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *parser) word(w string) bool {
	if strings.HasPrefix(p.s[p.i:], w) {
		p.i += len(w)
		return true
	}
	return false
}

// str reads a quoted string without escapes.
func (p *parser) str() (string, bool) {
	if p.i >= len(p.s) || (p.s[p.i] != '\'' && p.s[p.i] != '"') {
		return "", false
	}
	q := p.s[p.i]
	j := strings.IndexByte(p.s[p.i+1:], q)
	if j < 0 {
		return "", false
	}
	v := p.s[p.i+1 : p.i+1+j]
	if strings.IndexByte(v, '\\') >= 0 {
		return "", false
	}
	p.i += j + 2
	return v, true
}

// tuple reads a Python tuple of non-negative ints: (), (3,), (2, 3).
func (p *parser) tuple() ([]int, error) {
	if !p.eat('(') {
		return nil, fmt.Errorf("%w: shape is not a tuple", ErrHeader)
	}
	shape := []int{}
	for {
		p.ws()
		if p.eat(')') {
			break
		}
		j := p.i
		for j < len(p.s) && p.s[j] >= '0' && p.s[j] <= '9' {
			j++
		}
		if j == p.i || j-p.i > 18 {
			return nil, fmt.Errorf("%w: bad dimension in shape at byte %d", ErrHeader, p.i)
		}
		v, err := strconv.Atoi(p.s[p.i:j])
		if err != nil {
			return nil, fmt.Errorf("%w: bad dimension in shape: %v", ErrHeader, err)
		}
		p.i = j
		shape = append(shape, v)
		p.ws()
		if p.eat(',') {
			continue
		}
		p.ws()
		if p.eat(')') {
			if len(shape) == 1 {
				return nil, fmt.Errorf("%w: (n) is not a tuple; numpy writes (n,)", ErrHeader)
			}
			break
		}
		return nil, fmt.Errorf("%w: expected ',' or ')' in shape at byte %d", ErrHeader, p.i)
	}
	return shape, nil
}

func trunc(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}
