package tensorboard

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestCRC32CVectors(t *testing.T) {
	seq := func(f func(i int) byte) []byte {
		b := make([]byte, 32)
		for i := range b {
			b[i] = f(i)
		}
		return b
	}
	// RFC 3720 (iSCSI) appendix B.4, and the common check value of "123456789".
	pdu := []byte{
		0x01, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18,
		0x28, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	}
	cases := []struct {
		name string
		in   []byte
		want uint32
	}{
		{"32 zeros", seq(func(int) byte { return 0 }), 0x8a9136aa},
		{"32 ones", seq(func(int) byte { return 0xff }), 0x62a8ab43},
		{"incrementing", seq(func(i int) byte { return byte(i) }), 0x46dd794e},
		{"decrementing", seq(func(i int) byte { return byte(31 - i) }), 0x113fdb5c},
		{"iSCSI read PDU", pdu, 0xd9963a56},
		{"123456789", []byte("123456789"), 0xe3069283},
	}
	for _, c := range cases {
		if got := CRC32C(c.in); got != c.want {
			t.Errorf("%s: crc32c %08x, want %08x", c.name, got, c.want)
		}
	}
	if got := MaskCRC(CRC32C(nil)); got != 0xa282ead8 {
		t.Errorf("masked crc of nothing %08x, want a282ead8", got)
	}
	// mask(0x12345678) by hand: rotate right by 15 = 0xacf02468, plus the delta.
	rot, delta := uint32(0xacf02468), uint32(0xa282ead8)
	if got, want := MaskCRC(0x12345678), rot+delta; got != want {
		t.Errorf("mask(0x12345678) = %08x, want %08x", got, want)
	}
}

// TestRecordByHand frames "abc" and checks every byte against values
// computed independently above (CRC vectors) and by hand.
func TestRecordByHand(t *testing.T) {
	rec := AppendRecord(nil, []byte("abc"))
	if len(rec) != 8+4+3+4 {
		t.Fatalf("record of %d bytes", len(rec))
	}
	if !bytes.Equal(rec[:8], []byte{3, 0, 0, 0, 0, 0, 0, 0}) || string(rec[12:15]) != "abc" {
		t.Fatalf("bad framing %x", rec)
	}
	got, err := ReadRecord(bytes.NewReader(rec))
	if err != nil || string(got) != "abc" {
		t.Fatalf("%q %v", got, err)
	}
	for i := range rec {
		bad := append([]byte{}, rec...)
		bad[i] ^= 0x40
		if _, err := ReadRecord(bytes.NewReader(bad)); err == nil {
			t.Errorf("flipping byte %d went unnoticed", i)
		}
	}
	if _, err := ReadRecord(bytes.NewReader(rec[:len(rec)-1])); !errors.Is(err, ErrTruncated) {
		t.Errorf("truncated: %v", err)
	}
	if _, err := ReadRecord(bytes.NewReader(nil)); err != io.EOF {
		t.Errorf("empty: %v", err)
	}
}

func fixtureClock() func() time.Time {
	times := []float64{1700000000.5, 1700000001.25, 1700000002.0, 1700000003.0, 1700000004.0, 1700000005.0}
	i := 0
	return func() time.Time {
		s := times[i]
		i++
		sec := math.Floor(s)
		return time.Unix(int64(sec), int64(math.Round((s-sec)*1e9)))
	}
}

var histValues = []float64{-1.5, -0.001, 0.0, 0.0, 1e-13, 0.3, 2.0, 2.0, 1e25, -3e-12}

// TestWriterMatchesFixture writes the events of testdata/gen_fixture.py and
// requires the very bytes that python3-protobuf and crcmod produced.
func TestWriterMatchesFixture(t *testing.T) {
	want, err := os.ReadFile("testdata/fixture.tfevents")
	if err != nil {
		t.Fatal(err)
	}
	png, err := os.ReadFile("testdata/tiny.png")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	w, err := newWriter(dir, fixtureClock())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(filepath.Base(w.Path()), "events.out.tfevents.1700000000.") {
		t.Errorf("file name %s", w.Path())
	}
	for _, err := range []error{
		w.Scalar("loss", 0, 0),
		w.Scalar("train/acc", 3, 0.75),
		w.Scalar("alpha/normal/edge0/sep_conv_3x3", 1<<40, -0.125),
		w.Histogram("alpha/hist", 7, histValues),
		w.Image("cell/normal", 2, png, 3, 2),
		w.Close(),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(w.Path())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("event file differs from the fixture\n got %x\nwant %x", got, want)
	}
}

func TestReadFixture(t *testing.T) {
	evs, err := ReadFile("testdata/fixture.tfevents")
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 6 {
		t.Fatalf("%d events", len(evs))
	}
	if evs[0].FileVersion != FileVersion || evs[0].WallTime != 1700000000.5 || evs[0].Summary != nil {
		t.Errorf("first event %+v", evs[0])
	}
	scalars := []struct {
		tag  string
		step int64
		v    float32
	}{{"loss", 0, 0}, {"train/acc", 3, 0.75}, {"alpha/normal/edge0/sep_conv_3x3", 1 << 40, -0.125}}
	for i, s := range scalars {
		e := evs[1+i]
		if len(e.Summary) != 1 || e.Step != s.step || e.Summary[0].Tag != s.tag || e.Summary[0].SimpleValue == nil || *e.Summary[0].SimpleValue != s.v {
			t.Errorf("event %d: %+v", 1+i, e)
		}
	}
	h := evs[4].Summary[0].Histo
	if h == nil {
		t.Fatal("no histogram")
	}
	if h.Min != -1.5 || h.Max != 1e25 || h.Num != 10 {
		t.Errorf("histogram stats %+v", h)
	}
	// Counts by hand: -1.5 | -0.001 | -3e-12 | 0,0,1e-13 (all in [0, 1e-12)) | 0.3 | 2,2 | 1e25.
	var nonEmpty []float64
	for _, c := range h.Bucket {
		if c > 0 {
			nonEmpty = append(nonEmpty, c)
		}
	}
	if !reflect.DeepEqual(nonEmpty, []float64{1, 1, 1, 3, 1, 2, 1}) {
		t.Errorf("non-empty bucket counts %v", nonEmpty)
	}
	if last := h.BucketLimit[len(h.BucketLimit)-1]; last != math.MaxFloat64 {
		t.Errorf("last limit %v", last)
	}
	// The two zeros and 1e-13 lie in [0, 1e-12): the bucket whose limit is 1e-12.
	for i, l := range h.BucketLimit {
		if l == 1e-12 && h.Bucket[i] != 3 {
			t.Errorf("bucket up to 1e-12 holds %v", h.Bucket[i])
		}
	}
	mine, err := NewHisto(histValues)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(mine, h) {
		t.Errorf("NewHisto differs from the fixture's numpy-built histogram")
	}
	im := evs[5].Summary[0].Image
	if im == nil || im.Width != 3 || im.Height != 2 || im.Colorspace != 3 || len(im.Encoded) != 85 {
		t.Errorf("image %+v", im)
	}
}

func TestDefaultBucketLimits(t *testing.T) {
	l := DefaultBucketLimits()
	if len(l) != 1551 || l[0] != -math.MaxFloat64 || l[775] != 0 || l[776] != 1e-12 || l[1550] != math.MaxFloat64 {
		t.Fatalf("len %d, ends %v %v, middle %v %v", len(l), l[0], l[len(l)-1], l[775], l[776])
	}
	if l[777] != 1.1000000000000002e-12 || l[1549] != 9.920775621859783e+19 {
		t.Errorf("limits %v, %v (Python's loop gives 1.1000000000000002e-12, 9.920775621859783e+19)", l[777], l[1549])
	}
	for i := 1; i < len(l); i++ {
		if l[i] <= l[i-1] || l[i] != -l[len(l)-1-i] {
			t.Fatalf("limit %d: %v after %v", i, l[i], l[i-1])
		}
	}
}

func TestHistoEdgeCases(t *testing.T) {
	h, err := NewHisto(nil)
	if err != nil {
		t.Fatal(err)
	}
	if h.Min != math.MaxFloat64 || h.Max != -math.MaxFloat64 || !reflect.DeepEqual(h.BucketLimit, []float64{math.MaxFloat64}) || !reflect.DeepEqual(h.Bucket, []float64{0}) {
		t.Errorf("empty histogram %+v", h)
	}
	// A value equal to a limit goes to the next bucket (upper_bound).
	h, _ = NewHisto([]float64{1e-12})
	for i, l := range h.BucketLimit {
		if h.Bucket[i] == 1 && l != 1.1000000000000002e-12 {
			t.Errorf("1e-12 counted in the bucket up to %v", l)
		}
	}
	for _, bad := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		if _, err := NewHisto([]float64{1, bad}); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}

func TestImageChecks(t *testing.T) {
	png, _ := os.ReadFile("testdata/tiny.png")
	w, err := NewWriter(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if err := w.Image("x", 0, png, 2, 3); err == nil {
		t.Error("wrong size accepted")
	}
	if err := w.Image("x", 0, []byte("GIF89a"), 1, 1); err == nil {
		t.Error("non-PNG accepted")
	}
}

func TestNameCollision(t *testing.T) {
	dir := t.TempDir()
	clock := func() time.Time { return time.Unix(1234567890, 0) }
	a, err := newWriter(dir, clock)
	if err != nil {
		t.Fatal(err)
	}
	b, err := newWriter(dir, clock)
	if err != nil {
		t.Fatal(err)
	}
	if a.Path() == b.Path() {
		t.Fatal("two writers share a file")
	}
	a.Close()
	b.Close()
	if err := a.Scalar("x", 1, 1); err == nil {
		t.Error("write after Close accepted")
	}
}

// TestKilledWriterKeepsRecords runs a writer in a child process, kills it
// with SIGKILL after it reported 50 scalars written, and requires all 51
// records to be complete in the file.
func TestKilledWriterKeepsRecords(t *testing.T) {
	if dir := os.Getenv("TB_KILL_CHILD_DIR"); dir != "" {
		w, err := NewWriter(dir)
		if err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		for i := 0; i < 50; i++ {
			if err := w.Scalar("loss", int64(i), float64(i)); err != nil {
				fmt.Println("error", err)
				os.Exit(1)
			}
		}
		fmt.Println("written")
		select {} // wait to be killed
	}
	if testing.Short() {
		t.Skip("spawns a process")
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestKilledWriterKeepsRecords$")
	cmd.Env = append(os.Environ(), "TB_KILL_CHILD_DIR="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(out).ReadString('\n')
	cmd.Process.Kill()
	cmd.Wait()
	if line != "written\n" {
		t.Fatalf("child said %q", line)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "events.out.tfevents.*"))
	if len(files) != 1 {
		t.Fatalf("files %v", files)
	}
	evs, err := ReadFile(files[0])
	if err != nil || len(evs) != 51 {
		t.Fatalf("%d events, %v", len(evs), err)
	}
	if evs[50].Step != 49 || *evs[50].Summary[0].SimpleValue != 49 {
		t.Errorf("last event %+v", evs[50])
	}
}

func TestReadEventsTruncated(t *testing.T) {
	b, _ := os.ReadFile("testdata/fixture.tfevents")
	evs, err := ReadEvents(bytes.NewReader(b[:len(b)-3]))
	if !errors.Is(err, ErrTruncated) || len(evs) != 5 {
		t.Fatalf("%d events, %v", len(evs), err)
	}
}

func TestUnmarshalRejects(t *testing.T) {
	for name, in := range map[string][]byte{
		"bad tag":              {0xff},
		"step as fixed64":      {0x11, 1, 2, 3, 4, 5, 6, 7, 8},
		"short fixed64":        {0x09, 1, 2},
		"string past end":      {0x1a, 10, 'a'},
		"value with bad histo": {0x2a, 5, 0x0a, 3, 0x2a, 1, 0x31},
	} {
		if _, err := UnmarshalEvent(in); !errors.Is(err, ErrProto) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func FuzzReadEvents(f *testing.F) {
	b, err := os.ReadFile("testdata/fixture.tfevents")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add(AppendRecord(nil, nil))
	f.Fuzz(func(t *testing.T, in []byte) {
		evs, err := ReadEvents(bytes.NewReader(in))
		if err != nil {
			return
		}
		var out []byte
		for _, e := range evs {
			out = AppendRecord(out, e.Marshal())
		}
		evs2, err := ReadEvents(bytes.NewReader(out))
		if err != nil {
			t.Fatalf("re-reading: %v", err)
		}
		if len(evs2) != len(evs) {
			t.Fatalf("%d events became %d", len(evs), len(evs2))
		}
	})
}

func FuzzUnmarshalEvent(f *testing.F) {
	b, _ := os.ReadFile("testdata/fixture.tfevents")
	for len(b) > 0 {
		data, err := ReadRecord(bytes.NewReader(b))
		if err != nil {
			break
		}
		f.Add(data)
		b = b[16+len(data):]
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		e, err := UnmarshalEvent(in)
		if err != nil {
			return
		}
		e2, err := UnmarshalEvent(e.Marshal())
		if err != nil {
			t.Fatalf("re-decoding: %v", err)
		}
		if !sameEvent(e, e2) {
			t.Fatalf("round trip changed %+v to %+v", e, e2)
		}
	})
}

// sameEvent compares events bitwise (NaN-safe).
func sameEvent(a, b *Event) bool {
	return bytes.Equal(a.Marshal(), b.Marshal())
}

func TestConcurrentWriters(t *testing.T) {
	w, err := NewWriter(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	for g := 0; g < 4; g++ {
		go func(g int) {
			for i := 0; i < 100; i++ {
				if err := w.Scalar(fmt.Sprintf("g%d", g), int64(i), float64(i)); err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}(g)
	}
	for g := 0; g < 4; g++ {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	evs, err := ReadFile(w.Path())
	if err != nil || len(evs) != 401 {
		t.Fatalf("%d events, %v", len(evs), err)
	}
}
