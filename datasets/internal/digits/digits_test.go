package digits

import (
	"bytes"
	"compress/gzip"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func row(label string, px func(i int) string) string {
	f := make([]string, 65)
	for i := range 64 {
		f[i] = px(i)
	}
	f[64] = label
	return strings.Join(f, ",")
}

func writeGz(t *testing.T, text string) string {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(text))
	w.Close()
	p := filepath.Join(t.TempDir(), "digits.csv.gz")
	if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestScale(t *testing.T) {
	for v, want := range map[uint8]uint8{0: 0, 1: 16, 5: 80, 8: 128, 13: 207, 15: 239, 16: 255} {
		if got := Scale(v); got != want {
			t.Errorf("Scale(%d) = %d, want %d", v, got, want)
		}
	}
}

func TestReadAndWriteFolder(t *testing.T) {
	text := row("3", func(i int) string { return []string{"0", "16", "5.0"}[i%3] }) + "\n" +
		row("0", func(i int) string { return "8" }) + "\n\n" +
		row("9", func(i int) string { return "1" }) + "\n"
	d, err := Read(writeGz(t, text))
	if err != nil {
		t.Fatal(err)
	}
	if len(d) != 3 || d[0].Label != 3 || d[1].Label != 0 || d[2].Label != 9 || d[0].Pixels[1] != 16 || d[0].Pixels[2] != 5 {
		t.Fatalf("read %+v", d)
	}
	dir := t.TempDir()
	if err := WriteFolder(d, dir, 2); err != nil {
		t.Fatal(err)
	}
	// Row 1 goes to test/, rows 0 and 2 to train/.
	for _, p := range []string{"train/3/0000.png", "test/0/0001.png", "train/9/0002.png"} {
		f, err := os.Open(filepath.Join(dir, p))
		if err != nil {
			t.Fatal(err)
		}
		m, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if b := m.Bounds(); b.Dx() != 8 || b.Dy() != 8 {
			t.Fatalf("%s: %v", p, b)
		}
		if p == "train/3/0000.png" {
			r, _, _, _ := m.At(1, 0).RGBA()
			r2, _, _, _ := m.At(2, 0).RGBA()
			if r>>8 != 255 || r2>>8 != 80 {
				t.Errorf("%s: pixels %d %d, want 255 80", p, r>>8, r2>>8)
			}
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "test/5")); err != nil {
		t.Errorf("empty class directories are created too: %v", err)
	}
}

func TestReadErrors(t *testing.T) {
	for text, want := range map[string]string{
		"1,2,3\n": ":1: 3 fields, want 65",
		row("0", func(int) string { return "17" }):  ":1: pixel 0 is 17, not in 0..16",
		row("10", func(int) string { return "1" }):  ":1: digit 10 not in 0..9",
		row("1", func(int) string { return "1.5" }): ":1: field 1 is \"1.5\", not an integer",
		"": ": no rows",
	} {
		_, err := Read(writeGz(t, text))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%.20q: error %v, want %q", text, err, want)
		}
	}
}
