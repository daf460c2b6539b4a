// Package digits turns scikit-learn's 8×8 handwritten digits into a folder
// of images that the folder dataset reads, so that tests (and CI smoke runs)
// have a small real image set.
//
// The data is sklearn/datasets/data/digits.csv.gz, shipped in Debian's
// python3-sklearn package at
// /usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz; it can
// be extracted without installing the package or its dependencies, as
// tools/digits/fetch.sh does. It is the test set of the UCI "Optical
// Recognition of Handwritten Digits" data (E. Alpaydin, C. Kaynak, 1998):
// 1,797 rows of 65 comma-separated integers, no header, the 64 pixels of an
// 8×8 image row by row, each 0..16 (the number of set pixels in a 4×4 block
// of a 32×32 bitmap), then the digit.
package digits

import (
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Facts of the file, from sklearn's description (descr/digits.rst) and
// checked against the file.
const (
	Rows    = 1797
	Side    = 8
	Classes = 10
	// MaxValue is the largest pixel value of the file.
	MaxValue = 16
	// EnvVar names the environment variable holding the path of
	// digits.csv.gz for the tests that need it.
	EnvVar = "DARTS_SKLEARN_DIGITS"
	// DebianPath is where python3-sklearn puts the file, below the root the
	// package is extracted to.
	DebianPath = "usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz"
)

// ClassCounts is how many images each digit has, 0 to 9.
var ClassCounts = [Classes]int{178, 182, 177, 183, 181, 182, 181, 179, 174, 180}

// Digit is one row: Pixels row by row, each 0..MaxValue, and the digit.
type Digit struct {
	Pixels [Side * Side]uint8
	Label  int
}

// Scale maps a pixel value 0..16 to 0..255: round(v × 255 / 16), halves
// rounded up, so 0 → 0, 8 → 128 and 16 → 255.
func Scale(v uint8) uint8 { return uint8((int(v)*255 + MaxValue/2) / MaxValue) }

// Read parses digits.csv.gz (or the same text uncompressed). Numbers may
// be written as integers or as integral decimals ("5.0"), as numpy's
// loadtxt accepts; anything else, a value out of range or a row without 65
// fields is an error naming the line.
func Read(path string) ([]Digit, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	br := bufio.NewReader(f)
	var sc *bufio.Scanner
	if head, _ := br.Peek(2); len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		defer zr.Close()
		sc = bufio.NewScanner(zr)
	} else {
		sc = bufio.NewScanner(br)
	}
	var out []Digit
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		fields := strings.Split(text, ",")
		if len(fields) != Side*Side+1 {
			return nil, fmt.Errorf("%s:%d: %d fields, want %d (64 pixels and the digit)", path, line, len(fields), Side*Side+1)
		}
		var d Digit
		for i, s := range fields {
			v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
			if err != nil || v != math.Trunc(v) {
				return nil, fmt.Errorf("%s:%d: field %d is %q, not an integer", path, line, i+1, s)
			}
			if i < Side*Side {
				if v < 0 || v > MaxValue {
					return nil, fmt.Errorf("%s:%d: pixel %d is %v, not in 0..%d", path, line, i, v, MaxValue)
				}
				d.Pixels[i] = uint8(v)
			} else {
				if v < 0 || v >= Classes {
					return nil, fmt.Errorf("%s:%d: digit %v not in 0..%d", path, line, v, Classes-1)
				}
				d.Label = int(v)
			}
		}
		out = append(out, d)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(out) == 0 {
		return nil, errors.New(path + ": no rows")
	}
	return out, nil
}

// Image returns d as an 8×8 gray image, its values scaled by Scale.
func (d Digit) Image() *image.Gray {
	m := image.NewGray(image.Rect(0, 0, Side, Side))
	for i, v := range d.Pixels {
		m.Pix[i] = Scale(v)
	}
	return m
}

// WriteFolder writes digits as 8-bit gray PNGs, one directory per digit
// named "0" to "9" (so that the sorted class list gives label = digit), each
// file named by its row number, NNNN.png (so that file order is row order).
// With testEvery = 0 the class directories go directly into dir; with
// testEvery = k > 0, row i goes to dir/test/D/ when i % k == k-1 and to
// dir/train/D/ otherwise (every class directory is created in both, empty
// or not).
func WriteFolder(digits []Digit, dir string, testEvery int) error {
	if testEvery < 0 {
		return fmt.Errorf("testEvery %d: want 0 (no split) or a positive period", testEvery)
	}
	var parts []string
	if testEvery == 0 {
		parts = []string{dir}
	} else {
		parts = []string{filepath.Join(dir, "train"), filepath.Join(dir, "test")}
	}
	for _, p := range parts {
		for c := range Classes {
			if err := os.MkdirAll(filepath.Join(p, strconv.Itoa(c)), 0o755); err != nil {
				return err
			}
		}
	}
	for i, d := range digits {
		part := parts[0]
		if testEvery > 0 && i%testEvery == testEvery-1 {
			part = parts[1]
		}
		p := filepath.Join(part, strconv.Itoa(d.Label), fmt.Sprintf("%04d.png", i))
		f, err := os.Create(p)
		if err != nil {
			return err
		}
		err = png.Encode(f, d.Image())
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
	}
	return nil
}
