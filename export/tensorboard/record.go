package tensorboard

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// CRC32C returns the CRC-32C (Castagnoli) checksum of b.
func CRC32C(b []byte) uint32 { return crc32.Checksum(b, castagnoli) }

// MaskCRC returns TFRecord's masked form of a CRC:
// ((c >> 15) | (c << 17)) + 0xa282ead8.
func MaskCRC(c uint32) uint32 { return ((c >> 15) | (c << 17)) + 0xa282ead8 }

// MaxRecordSize bounds the data length ReadRecord accepts.
const MaxRecordSize = 1 << 30

// Errors returned (wrapped) by ReadRecord and ReadEvents.
var (
	ErrTruncated = errors.New("tensorboard: truncated record")
	ErrCRC       = errors.New("tensorboard: record checksum mismatch")
	ErrTooLarge  = errors.New("tensorboard: record too large")
	ErrProto     = errors.New("tensorboard: malformed protocol buffer")
)

// AppendRecord appends data framed as one TFRecord record to dst.
func AppendRecord(dst, data []byte) []byte {
	var h [12]byte
	binary.LittleEndian.PutUint64(h[:8], uint64(len(data)))
	binary.LittleEndian.PutUint32(h[8:], MaskCRC(CRC32C(h[:8])))
	dst = append(dst, h[:]...)
	dst = append(dst, data...)
	return binary.LittleEndian.AppendUint32(dst, MaskCRC(CRC32C(data)))
}

// ReadRecord reads one record from r and returns its data after checking
// both checksums. At a clean end of input it returns io.EOF; a partial
// record is ErrTruncated.
func ReadRecord(r io.Reader) ([]byte, error) {
	var h [12]byte
	n, err := io.ReadFull(r, h[:])
	if err == io.EOF {
		return nil, io.EOF
	}
	if err != nil {
		return nil, fmt.Errorf("%w: header has %d of 12 bytes", ErrTruncated, n)
	}
	if got, want := binary.LittleEndian.Uint32(h[8:]), MaskCRC(CRC32C(h[:8])); got != want {
		return nil, fmt.Errorf("%w: length crc %08x, want %08x", ErrCRC, got, want)
	}
	l := binary.LittleEndian.Uint64(h[:8])
	if l > MaxRecordSize {
		return nil, fmt.Errorf("%w: %d bytes", ErrTooLarge, l)
	}
	data := make([]byte, 0, min(l, 1<<20))
	var buf [1 << 15]byte
	for uint64(len(data)) < l {
		k := min(l-uint64(len(data)), uint64(len(buf)))
		m, err := io.ReadFull(r, buf[:k])
		data = append(data, buf[:m]...)
		if err != nil {
			return nil, fmt.Errorf("%w: data has %d of %d bytes", ErrTruncated, len(data), l)
		}
	}
	var f [4]byte
	if _, err := io.ReadFull(r, f[:]); err != nil {
		return nil, fmt.Errorf("%w: missing data crc", ErrTruncated)
	}
	if got, want := binary.LittleEndian.Uint32(f[:]), MaskCRC(CRC32C(data)); got != want {
		return nil, fmt.Errorf("%w: data crc %08x, want %08x", ErrCRC, got, want)
	}
	return data, nil
}
