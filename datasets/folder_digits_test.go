package datasets

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/darts-go/darts/datasets/internal/digits"
)

// TestFolderSklearnDigits loads scikit-learn's 8×8 digits, a real image
// set, through the folder dataset. It needs digits.csv.gz: set
// DARTS_SKLEARN_DIGITS to the path tools/digits/fetch.sh prints.
func TestFolderSklearnDigits(t *testing.T) {
	src := os.Getenv(digits.EnvVar)
	if src == "" {
		t.Skipf("%s not set: run tools/digits/fetch.sh and set %s to the path of digits.csv.gz it prints", digits.EnvVar, digits.EnvVar)
	}
	rows, err := digits.Read(src)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != digits.Rows {
		t.Fatalf("%d rows, want %d", len(rows), digits.Rows)
	}
	var counts [digits.Classes]int
	for _, d := range rows {
		counts[d.Label]++
	}
	if counts != digits.ClassCounts {
		t.Fatalf("class counts %v, want %v", counts, digits.ClassCounts)
	}
	// The first two rows of the file.
	want0 := []uint8{0, 0, 5, 13, 9, 1, 0, 0, 0, 0, 13, 15, 10, 15, 5, 0}
	want1 := []uint8{0, 0, 0, 12, 13, 5, 0, 0, 0, 0, 0, 11, 16, 9, 0, 0}
	if rows[0].Label != 0 || !slices.Equal(rows[0].Pixels[:16], want0) || rows[1].Label != 1 || !slices.Equal(rows[1].Pixels[:16], want1) {
		t.Fatalf("first rows %+v %+v", rows[0], rows[1])
	}

	names := make([]string, 10)
	for i := range names {
		names[i] = strconv.Itoa(i)
	}
	t.Run("one folder", func(t *testing.T) {
		dir := t.TempDir()
		if err := digits.WriteFolder(rows, dir, 0); err != nil {
			t.Fatal(err)
		}
		classes, samples, err := ScanImageFolder(dir)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(classes, names) || len(samples) != digits.Rows {
			t.Fatalf("%v, %d samples", classes, len(samples))
		}
		// Row 0 is the first file of class 0; its first two rows of pixels,
		// scaled: round(v × 255 / 16).
		if samples[0].Path != filepath.Join(dir, "0", "0000.png") {
			t.Fatalf("first sample %s", samples[0].Path)
		}
		im, err := loadImageFile(samples[0].Path, [2]int{})
		if err != nil {
			t.Fatal(err)
		}
		if want := []byte{0, 0, 80, 207, 143, 16, 0, 0, 0, 0, 207, 239, 159, 239, 80, 0}; im.channels() != 1 || !slices.Equal(im.pix[:16], want) {
			t.Fatalf("row 0 decoded as %v", im.pix[:16])
		}
		s, err := Load(Options{Name: "folder", DataDir: dir})
		if err != nil {
			t.Fatal(err)
		}
		in := s.Info
		// Test: round(0.2 × each class count).
		nTest := 0
		for _, n := range digits.ClassCounts {
			nTest += int(0.2*float64(n) + 0.5)
		}
		if in.Shape != [3]int{1, 8, 8} || in.Classes != 10 || in.Test != nTest || in.Train+in.Val+in.Test != digits.Rows ||
			!slices.Equal(in.ClassNames, names) {
			t.Fatalf("info %+v (want %d test)", in, nTest)
		}
		for c := range 10 {
			n := count(s.Train.im.Labels, c) + count(s.Val.im.Labels, c)
			if want := digits.ClassCounts[c] - int(0.2*float64(digits.ClassCounts[c])+0.5); n != want {
				t.Errorf("class %d: %d training images, want %d", c, n, want)
			}
		}
	})
	t.Run("train and test", func(t *testing.T) {
		dir := t.TempDir()
		if err := digits.WriteFolder(rows, dir, 5); err != nil {
			t.Fatal(err)
		}
		s, err := Load(Options{Name: "folder", DataDir: dir, ImageSize: [2]int{16, 16}, Channels: 3})
		if err != nil {
			t.Fatal(err)
		}
		in := s.Info
		if in.Shape != [3]int{3, 16, 16} || in.Test != digits.Rows/5 || in.Train+in.Val != digits.Rows-digits.Rows/5 {
			t.Fatalf("info %+v", in)
		}
		// Every image of every class appears in search-train and
		// search-val in proportion.
		for c := range 10 {
			a, b := count(s.Train.im.Labels, c), count(s.Val.im.Labels, c)
			if a < 1 || b < 1 || a-b > 1 || b-a > 1 {
				t.Errorf("class %d: %d in search-train, %d in search-val", c, a, b)
			}
		}
	})
}
