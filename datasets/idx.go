package datasets

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// IDX is the content of an IDX file (the format of MNIST and Fashion-MNIST)
// whose elements are unsigned bytes: Dims from the header, outermost first,
// and Data holding the product of Dims bytes.
type IDX struct {
	Dims []int
	Data []byte
}

// Magic numbers of the two IDX files MNIST-like datasets consist of:
// type 0x08 (unsigned byte) with 3 dimensions and with 1 dimension.
const (
	idxImagesMagic = 0x00000803 // 2051
	idxLabelsMagic = 0x00000801 // 2049
)

// maxIDXBytes bounds the payload a header may announce; the largest real
// file (Fashion-MNIST training images) holds 47 MB.
const maxIDXBytes = 1 << 32

// ReadIDX reads an IDX file of unsigned bytes from r, raw or gzip-compressed
// (detected by the magic bytes 1f 8b). It rejects other element types, a
// header announcing more or fewer bytes than follow, and empty input.
func ReadIDX(r io.Reader) (*IDX, error) {
	r, err := openMaybeGzip(r)
	if err != nil {
		return nil, err
	}
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, headerErr(err)
	}
	magic := binary.BigEndian.Uint32(hdr[:])
	if hdr[0] != 0 || hdr[1] != 0 || hdr[2] != 0x08 || hdr[3] < 1 || hdr[3] > 4 {
		return nil, fmt.Errorf("bad magic number 0x%08x: want 0x000008NN (unsigned bytes, NN = 1..4 dimensions; MNIST uses %d and %d)",
			magic, idxImagesMagic, idxLabelsMagic)
	}
	nd := int(hdr[3])
	dimBytes := make([]byte, 4*nd)
	if _, err := io.ReadFull(r, dimBytes); err != nil {
		return nil, headerErr(err)
	}
	dims := make([]int, nd)
	total := int64(1)
	for i := range dims {
		d := binary.BigEndian.Uint32(dimBytes[4*i:])
		dims[i] = int(d)
		// Checked before multiplying: the product of four 32-bit sizes
		// overflows int64.
		if d != 0 && total > maxIDXBytes/int64(d) {
			return nil, fmt.Errorf("header dimensions %v describe more than %d bytes", dims[:i+1], int64(maxIDXBytes))
		}
		total *= int64(d)
	}
	data, err := readExactly(r, total, fmt.Sprintf("data for dimensions %v", dims))
	if err != nil {
		return nil, err
	}
	return &IDX{Dims: dims, Data: data}, nil
}

func headerErr(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("truncated header: %w", err)
	}
	return err
}

// ReadMNIST reads an MNIST-like dataset (MNIST, Fashion-MNIST) from its
// images file (IDX, N×H×W) and labels file (IDX, N), each raw or gzipped.
// Labels must be in [0, 10).
func ReadMNIST(images, labels io.Reader) (*Images, error) {
	img, err := ReadIDX(images)
	if err != nil {
		return nil, fmt.Errorf("images: %w", err)
	}
	lbl, err := ReadIDX(labels)
	if err != nil {
		return nil, fmt.Errorf("labels: %w", err)
	}
	return mnistFromIDX(img, lbl, "images", "labels")
}

// mnistFromIDX checks the two files against each other; imgName and lblName
// name them in errors.
func mnistFromIDX(img, lbl *IDX, imgName, lblName string) (*Images, error) {
	if len(img.Dims) != 3 {
		return nil, fmt.Errorf("%s: want 3 dimensions (count, rows, columns), header has %d %v", imgName, len(img.Dims), img.Dims)
	}
	if len(lbl.Dims) != 1 {
		return nil, fmt.Errorf("%s: want 1 dimension (count), header has %d %v", lblName, len(lbl.Dims), lbl.Dims)
	}
	if img.Dims[0] != lbl.Dims[0] {
		return nil, fmt.Errorf("%s holds %d images but %s holds %d labels", imgName, img.Dims[0], lblName, lbl.Dims[0])
	}
	if img.Dims[0] == 0 {
		return nil, fmt.Errorf("%s: no images", imgName)
	}
	const classes = 10
	labels := make([]int, len(lbl.Data))
	for i, v := range lbl.Data {
		if int(v) >= classes {
			return nil, fmt.Errorf("%s: label %d of example %d out of range [0, %d)", lblName, v, i, classes)
		}
		labels[i] = int(v)
	}
	return &Images{
		Shape:   [3]int{1, img.Dims[1], img.Dims[2]},
		Classes: classes,
		Pixels:  img.Data,
		Labels:  labels,
	}, nil
}
