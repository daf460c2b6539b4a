package datasets

import (
	"fmt"
	"io"
)

// CIFAR binary records: a label byte (CIFAR-10) or a coarse and a fine label
// byte (CIFAR-100), then a 3×32×32 image, red plane, green plane, blue plane.
const (
	cifarImageBytes = 3 * 32 * 32
	cifar10Record   = 1 + cifarImageBytes
	cifar100Record  = 2 + cifarImageBytes
	maxCIFARBytes   = 1 << 30
)

// ReadCIFAR10 reads one CIFAR-10 binary batch (data_batch_N.bin or
// test_batch.bin), raw or gzipped. The input must be a whole number of
// 3073-byte records with labels in [0, 10).
func ReadCIFAR10(r io.Reader) (*Images, error) {
	return readCIFAR(r, cifar10Record, 0, 10)
}

// ReadCIFAR100 reads a CIFAR-100 binary file (train.bin or test.bin), raw or
// gzipped, keeping the fine labels (100 classes) or, if fine is false, the
// coarse superclass labels (20 classes).
func ReadCIFAR100(r io.Reader, fine bool) (*Images, error) {
	if fine {
		return readCIFAR(r, cifar100Record, 1, 100)
	}
	return readCIFAR(r, cifar100Record, 0, 20)
}

// readCIFAR reads records of recSize bytes whose label is byte labelAt.
func readCIFAR(r io.Reader, recSize, labelAt, classes int) (*Images, error) {
	r, err := openMaybeGzip(r)
	if err != nil {
		return nil, err
	}
	raw, err := io.ReadAll(io.LimitReader(r, maxCIFARBytes+1))
	if err != nil {
		return nil, err
	}
	if len(raw) > maxCIFARBytes {
		return nil, fmt.Errorf("more than %d bytes: not a CIFAR binary file", maxCIFARBytes)
	}
	if len(raw) == 0 {
		return nil, fmt.Errorf("no records")
	}
	if len(raw)%recSize != 0 {
		return nil, fmt.Errorf("wrong record size: %d bytes is not a whole number of %d-byte records (%d records and %d bytes left over)",
			len(raw), recSize, len(raw)/recSize, len(raw)%recSize)
	}
	n := len(raw) / recSize
	im := &Images{Shape: [3]int{3, 32, 32}, Classes: classes, Pixels: make([]byte, n*cifarImageBytes), Labels: make([]int, n)}
	for i := 0; i < n; i++ {
		rec := raw[i*recSize : (i+1)*recSize]
		lab := int(rec[labelAt])
		if lab >= classes {
			return nil, fmt.Errorf("label %d of record %d out of range [0, %d)", lab, i, classes)
		}
		im.Labels[i] = lab
		copy(im.Pixels[i*cifarImageBytes:], rec[recSize-cifarImageBytes:])
	}
	return im, nil
}
