package datasets

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
)

// The 2×2 → 4×4 and 4 → 2 cases are worked out by hand from the filter's
// definition (see resize.go): enlarging [a, b] to 4 gives
// [a, .75a+.25b, .25a+.75b, b]; shrinking 4 to 2 weighs the inputs
// 3/7, 3/7, 1/7, 0 and 0, 1/7, 3/7, 3/7. Each pass rounds half up.
func TestResizeByHand(t *testing.T) {
	// Rows [0 100] and [200 40]: the horizontal pass gives [0 25 75 100]
	// and [200 160 80 40]; the vertical pass then, column by column, e.g.
	// column 1: 25, .75*25+.25*160 = 58.75 → 59, .25*25+.75*160 = 126.25 →
	// 126, 160.
	got := resizePlanes([]byte{0, 100, 200, 40}, 1, 2, 2, 4, 4)
	want := []byte{
		0, 25, 75, 100,
		50, 59, 76, 85,
		150, 126, 79, 55,
		200, 160, 80, 40,
	}
	if !bytes.Equal(got, want) {
		t.Errorf("2x2 -> 4x4:\n got %v\nwant %v", got, want)
	}
	// [0 70 140 210] → (3*0+3*70+140)/7 = 50, (70+3*140+3*210)/7 = 160.
	if got := resizePlanes([]byte{0, 70, 140, 210}, 1, 1, 4, 1, 2); !bytes.Equal(got, []byte{50, 160}) {
		t.Errorf("1x4 -> 1x2: got %v, want [50 160]", got)
	}
	// The same column, shrunk vertically.
	if got := resizePlanes([]byte{0, 70, 140, 210}, 1, 4, 1, 2, 1); !bytes.Equal(got, []byte{50, 160}) {
		t.Errorf("4x1 -> 2x1: got %v, want [50 160]", got)
	}
	// Two planes are resized independently.
	got = resizePlanes([]byte{0, 100, 200, 40, 9, 9, 9, 9}, 2, 2, 2, 4, 4)
	if !bytes.Equal(got[:16], want) || !bytes.Equal(got[16:], bytes.Repeat([]byte{9}, 16)) {
		t.Errorf("two planes: got %v", got)
	}
	// Same size: unchanged.
	in := []byte{1, 2, 3, 4, 5, 6}
	if got := resizePlanes(in, 1, 2, 3, 2, 3); !bytes.Equal(got, in) {
		t.Errorf("identity: got %v", got)
	}
}

// TestResizeMatchesPIL compares with PIL's Image.resize(BILINEAR) output,
// stored in testdata/folder by make.py: it must be identical.
func TestResizeMatchesPIL(t *testing.T) {
	outs, err := filepath.Glob("testdata/folder/resize_out_*.png")
	if err != nil || len(outs) < 15 {
		t.Fatalf("want the PIL fixtures in testdata/folder, found %d (%v)", len(outs), err)
	}
	re := regexp.MustCompile(`resize_out_([a-z]+)_(\d+)x(\d+)\.png$`)
	for _, p := range outs {
		m := re.FindStringSubmatch(p)
		if m == nil {
			t.Fatalf("%s: unexpected name", p)
		}
		oh, _ := strconv.Atoi(m[2])
		ow, _ := strconv.Atoi(m[3])
		in := decodeFixture(t, "testdata/folder/resize_in_"+m[1]+".png")
		want := decodeFixture(t, p)
		if want.h != oh || want.w != ow || want.channels() != in.channels() {
			t.Fatalf("%s: fixture is %dx%dx%d", p, want.channels(), want.h, want.w)
		}
		got := resizePlanes(in.pix, in.channels(), in.h, in.w, oh, ow)
		if !bytes.Equal(got, want.pix) {
			diff := 0
			for i := range got {
				if got[i] != want.pix[i] {
					diff++
				}
			}
			t.Errorf("%s: %d of %d values differ from PIL's", p, diff, len(got))
		}
	}
}

func decodeFixture(t *testing.T, path string) *rawImage {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	im, err := decodeImage(data, maxImagePixels)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return im
}

// TestLumaMatchesPIL checks RGB → gray against values PIL 9.4's
// Image.convert("L") printed for these pixels.
func TestLumaMatchesPIL(t *testing.T) {
	cases := []struct{ r, g, b, l byte }{
		{0, 0, 0, 0}, {255, 255, 255, 255}, {255, 0, 0, 76}, {0, 255, 0, 150}, {0, 0, 255, 29},
		{10, 200, 30, 124}, {128, 128, 127, 128}, {1, 2, 3, 2}, {250, 5, 100, 89}, {77, 88, 99, 86},
	}
	n := len(cases)
	rgb := make([]byte, 3*n)
	for i, c := range cases {
		rgb[i], rgb[n+i], rgb[2*n+i] = c.r, c.g, c.b
	}
	got := lumaPlane(rgb, n)
	for i, c := range cases {
		if got[i] != c.l {
			t.Errorf("luma(%d, %d, %d) = %d, PIL gives %d", c.r, c.g, c.b, got[i], c.l)
		}
	}
	// A gray pixel keeps its value, for every value.
	for v := range 256 {
		if l := lumaPlane([]byte{byte(v), byte(v), byte(v)}, 1)[0]; l != byte(v) {
			t.Fatalf("luma of gray %d = %d", v, l)
		}
	}
}

func TestBilinearCoeffsSumToOne(t *testing.T) {
	for in := 1; in <= 40; in++ {
		for out := 1; out <= 40; out++ {
			c := bilinearCoeffs(in, out)
			for i, taps := range c.taps {
				var s int64
				for _, k := range taps {
					s += int64(k)
				}
				// Each weight is rounded separately, so the sum is 1 to
				// within one unit per tap.
				if d := s - 1<<resizePrecision; d < -int64(len(taps)) || d > int64(len(taps)) {
					t.Fatalf("%d -> %d, output %d: weights sum to %d, want %d", in, out, i, s, 1<<resizePrecision)
				}
				if c.first[i] < 0 || c.first[i]+len(taps) > in {
					t.Fatalf("%d -> %d, output %d: taps [%d, %d) outside the input", in, out, i, c.first[i], c.first[i]+len(taps))
				}
			}
		}
	}
}
