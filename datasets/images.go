package datasets

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"math"
)

// Images is a decoded image-classification dataset held as bytes, the form
// every reader produces. Pixels holds Len() images of Shape (C, H, W), each
// image in CHW order, values 0..255; Labels[i] is in [0, Classes).
type Images struct {
	Shape   [3]int
	Classes int
	Pixels  []byte
	Labels  []int
}

// Len returns the number of images.
func (im *Images) Len() int { return len(im.Labels) }

// imageSize returns C*H*W.
func (im *Images) imageSize() int { return im.Shape[0] * im.Shape[1] * im.Shape[2] }

// prefix returns the first n images (all of them if n <= 0 or n >= Len),
// sharing memory with im.
func (im *Images) prefix(n int) *Images {
	if n <= 0 || n >= im.Len() {
		return im
	}
	return &Images{Shape: im.Shape, Classes: im.Classes, Pixels: im.Pixels[:n*im.imageSize()], Labels: im.Labels[:n]}
}

// ChannelStats returns the per-channel mean and standard deviation of the
// pixels scaled to [0, 1], over all images. Sums are exact integers, so the
// result does not depend on summation order or machine.
func (im *Images) ChannelStats() (mean, std []float64) {
	c, hw := im.Shape[0], im.Shape[1]*im.Shape[2]
	mean, std = make([]float64, c), make([]float64, c)
	if im.Len() == 0 || hw == 0 {
		return mean, std
	}
	sum, sq := make([]uint64, c), make([]uint64, c)
	for i := 0; i < im.Len(); i++ {
		img := im.Pixels[i*c*hw : (i+1)*c*hw]
		for ch := 0; ch < c; ch++ {
			var s, q uint64
			for _, v := range img[ch*hw : (ch+1)*hw] {
				s += uint64(v)
				q += uint64(v) * uint64(v)
			}
			sum[ch] += s
			sq[ch] += q
		}
	}
	n := float64(im.Len()) * float64(hw)
	for ch := 0; ch < c; ch++ {
		m := float64(sum[ch]) / n
		// Explicit conversions forbid fused multiply-add, which would make
		// the result differ between amd64 and arm64.
		v := float64(float64(sq[ch])/n) - float64(m*m)
		if v < 0 {
			v = 0
		}
		mean[ch] = m / 255
		std[ch] = math.Sqrt(v) / 255
	}
	return mean, std
}

// openMaybeGzip returns a reader of r's content, decompressing it when it
// starts with the gzip magic bytes 1f 8b. An empty input is an error.
func openMaybeGzip(r io.Reader) (io.Reader, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	head, err := br.Peek(2)
	if len(head) == 0 {
		if err == nil || errors.Is(err, io.EOF) {
			return nil, errors.New("empty file")
		}
		return nil, err
	}
	if len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		zr.Multistream(false)
		return gzipErrors{zr}, nil
	}
	return br, nil
}

// gzipErrors labels decompression errors so that a corrupt archive is told
// apart from a malformed payload.
type gzipErrors struct{ r io.Reader }

func (g gzipErrors) Read(p []byte) (int, error) {
	n, err := g.r.Read(p)
	switch {
	case err == nil || err == io.EOF:
	case errors.Is(err, io.ErrUnexpectedEOF):
		err = fmt.Errorf("gzip: truncated stream: %w", err)
	default:
		err = fmt.Errorf("gzip: %w", err)
	}
	return n, err
}

// readExactly reads exactly n bytes of payload called what, then checks that
// nothing follows. It never allocates more than the input actually holds
// (plus 1 MiB), so a header claiming a huge size cannot exhaust memory.
func readExactly(r io.Reader, n int64, what string) ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(int(min(n, 1<<20)))
	got, err := buf.ReadFrom(io.LimitReader(r, n))
	if err != nil {
		return nil, err
	}
	if got < n {
		return nil, fmt.Errorf("truncated: want %d bytes of %s, got %d", n, what, got)
	}
	var one [1]byte
	k, err := io.ReadFull(r, one[:])
	if k > 0 {
		return nil, fmt.Errorf("unexpected data after %d bytes of %s", n, what)
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return buf.Bytes(), nil
}
