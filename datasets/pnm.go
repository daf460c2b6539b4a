package datasets

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"io"
)

// Netpbm images (.pgm, .ppm), which neither the standard library nor
// golang.org/x/image decodes: P5 and P6 (binary) and P2 and P3 (plain
// text) gray maps and pix maps, 8 or 16 bits a sample. Samples are scaled
// from 0..maxval to 0..255 by rounding v*255/maxval (the identity for the
// usual maxval 255). PBM bitmaps (P1, P4) are not read.

func isPNM(h []byte) bool {
	return len(h) >= 3 && h[0] == 'P' && '1' <= h[1] && h[1] <= '6' && isPNMSpace(h[2])
}

func isPNMSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

type pnmHeader struct {
	kind          byte // '2', '3', '5' or '6'
	w, h, maxval  int
	channels      int
	rasterAt      int // offset of the first sample (binary kinds)
	tokensStartAt int // offset after the header (plain kinds)
}

// parsePNMHeader reads the magic number, width, height and maxval.
func parsePNMHeader(data []byte) (*pnmHeader, error) {
	if !isPNM(data) {
		return nil, errors.New("not a PGM or PPM file")
	}
	hd := &pnmHeader{kind: data[1]}
	switch hd.kind {
	case '2', '5':
		hd.channels = 1
	case '3', '6':
		hd.channels = 3
	default:
		return nil, fmt.Errorf("PBM bitmaps (P%c) are not supported", hd.kind)
	}
	pos := 2
	var vals [3]int
	for i := range vals {
		v, next, err := pnmNumber(data, pos)
		if err != nil {
			return nil, fmt.Errorf("header: %w", err)
		}
		vals[i], pos = v, next
	}
	hd.w, hd.h, hd.maxval = vals[0], vals[1], vals[2]
	if hd.w < 1 || hd.h < 1 {
		return nil, fmt.Errorf("header: size %dx%d (WxH)", hd.w, hd.h)
	}
	if hd.maxval < 1 || hd.maxval > 65535 {
		return nil, fmt.Errorf("header: maxval %d not in [1, 65535]", hd.maxval)
	}
	// Exactly one whitespace byte separates maxval from a binary raster.
	if pos >= len(data) || !isPNMSpace(data[pos]) {
		return nil, errors.New("header: no whitespace after maxval")
	}
	hd.rasterAt, hd.tokensStartAt = pos+1, pos
	return hd, nil
}

// pnmNumber skips whitespace and comments from pos and parses a decimal
// number, returning the offset after it.
func pnmNumber(data []byte, pos int) (v, next int, err error) {
	for pos < len(data) {
		c := data[pos]
		if c == '#' {
			for pos < len(data) && data[pos] != '\n' && data[pos] != '\r' {
				pos++
			}
			continue
		}
		if !isPNMSpace(c) {
			break
		}
		pos++
	}
	start := pos
	for pos < len(data) && '0' <= data[pos] && data[pos] <= '9' {
		v = v*10 + int(data[pos]-'0')
		if v > 1<<30 {
			return 0, 0, errors.New("number too large")
		}
		pos++
	}
	if pos == start {
		if pos >= len(data) {
			return 0, 0, io.ErrUnexpectedEOF
		}
		return 0, 0, fmt.Errorf("unexpected byte %q where a number was expected", data[pos])
	}
	if pos < len(data) && !isPNMSpace(data[pos]) && data[pos] != '#' {
		return 0, 0, fmt.Errorf("unexpected byte %q after a number", data[pos])
	}
	return v, pos, nil
}

func pnmConfig(r io.Reader) (image.Config, error) {
	// The header is short; 4 KiB holds any sensible one with comments.
	buf := make([]byte, 4096)
	n, err := io.ReadFull(r, buf)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return image.Config{}, err
	}
	hd, err := parsePNMHeader(buf[:n])
	if err != nil {
		return image.Config{}, err
	}
	model := color.GrayModel
	if hd.channels == 3 {
		model = color.NRGBAModel
	}
	return image.Config{ColorModel: model, Width: hd.w, Height: hd.h}, nil
}

func decodePNM(r io.Reader) (image.Image, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	hd, err := parsePNMHeader(data)
	if err != nil {
		return nil, err
	}
	n := hd.w * hd.h * hd.channels
	scaled := make([]byte, n)
	put := func(i, v int) error {
		if v > hd.maxval {
			return fmt.Errorf("sample %d is %d, above maxval %d", i, v, hd.maxval)
		}
		if hd.maxval == 255 {
			scaled[i] = byte(v)
		} else {
			scaled[i] = byte((v*255 + hd.maxval/2) / hd.maxval)
		}
		return nil
	}
	switch hd.kind {
	case '5', '6':
		bps := 1
		if hd.maxval > 255 {
			bps = 2
		}
		raster := data[hd.rasterAt:]
		if len(raster) < n*bps {
			return nil, fmt.Errorf("truncated: want %d bytes of samples, got %d", n*bps, len(raster))
		}
		for i := 0; i < n; i++ {
			v := int(raster[i])
			if bps == 2 {
				v = int(raster[2*i])<<8 | int(raster[2*i+1])
			}
			if err := put(i, v); err != nil {
				return nil, err
			}
		}
	default:
		pos := hd.tokensStartAt
		for i := 0; i < n; i++ {
			v, next, err := pnmNumber(data, pos)
			if err != nil {
				return nil, fmt.Errorf("sample %d of %d: %w", i, n, err)
			}
			if err := put(i, v); err != nil {
				return nil, err
			}
			pos = next
		}
	}
	rect := image.Rect(0, 0, hd.w, hd.h)
	if hd.channels == 1 {
		return &image.Gray{Pix: scaled, Stride: hd.w, Rect: rect}, nil
	}
	out := image.NewNRGBA(rect)
	for i := 0; i < hd.w*hd.h; i++ {
		copy(out.Pix[4*i:], scaled[3*i:3*i+3])
		out.Pix[4*i+3] = 0xff
	}
	return out, nil
}
