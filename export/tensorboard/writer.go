package tensorboard

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Writer appends events to one event file. Its methods are safe for
// concurrent use.
type Writer struct {
	mu   sync.Mutex
	f    *os.File
	path string
	now  func() time.Time
	err  error
}

// NewWriter creates the directory dir if needed and a new event file in it,
// and writes the file's first event (file_version "brain.Event:2").
func NewWriter(dir string) (*Writer, error) {
	return newWriter(dir, time.Now)
}

func newWriter(dir string, now func() time.Time) (*Writer, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "localhost"
	}
	host = strings.ReplaceAll(host, string(filepath.Separator), "_")
	t := now()
	base := fmt.Sprintf("events.out.tfevents.%010d.%s", t.Unix(), host)
	var f *os.File
	path := filepath.Join(dir, base)
	for k := 0; ; k++ {
		if k > 0 {
			path = filepath.Join(dir, fmt.Sprintf("%s.%d.%d", base, os.Getpid(), k))
		}
		f, err = os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|os.O_APPEND, 0o644)
		if err == nil {
			break
		}
		if !errors.Is(err, os.ErrExist) || k >= 100 {
			return nil, err
		}
	}
	w := &Writer{f: f, path: path, now: now}
	if err := w.write(&Event{WallTime: wallTime(t), FileVersion: FileVersion}); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, err
	}
	return w, nil
}

// wallTime is t in seconds since the Unix epoch, as Python's time.time().
func wallTime(t time.Time) float64 { return float64(t.Unix()) + float64(t.Nanosecond())/1e9 }

// Path returns the event file's path.
func (w *Writer) Path() string { return w.path }

// write appends one record with a single write call.
func (w *Writer) write(e *Event) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return w.err
	}
	if w.f == nil {
		return errors.New("tensorboard: writer is closed")
	}
	if _, err := w.f.Write(AppendRecord(nil, e.Marshal())); err != nil {
		w.err = fmt.Errorf("tensorboard: %s: %w", w.path, err)
		return w.err
	}
	return nil
}

// WriteEvent appends e as it is (its WallTime included).
func (w *Writer) WriteEvent(e *Event) error { return w.write(e) }

func (w *Writer) summary(step int64, v Value) error {
	return w.write(&Event{WallTime: wallTime(w.now()), Step: step, Summary: []Value{v}})
}

// Scalar appends a scalar summary for tag at step. The value is stored as
// simple_value, a float32, so it is rounded to float32.
func (w *Writer) Scalar(tag string, step int64, value float64) error {
	v := float32(value)
	return w.summary(step, Value{Tag: tag, SimpleValue: &v})
}

// Histogram appends a histogram of values for tag at step, bucketed with
// TensorFlow's default limits (see NewHisto). NaN or infinite values are an
// error and write nothing.
func (w *Writer) Histogram(tag string, step int64, values []float64) error {
	h, err := NewHisto(values)
	if err != nil {
		return err
	}
	return w.summary(step, Value{Tag: tag, Histo: h})
}

// Image appends a PNG image for tag at step. png must be a PNG file whose
// header says width w and height h; the colorspace is taken from its colour
// type (gray 1, gray+alpha 2, RGB and palette 3, RGBA 4).
func (w *Writer) Image(tag string, step int64, png []byte, width, height int) error {
	cs, pw, ph, err := pngInfo(png)
	if err != nil {
		return err
	}
	if pw != width || ph != height {
		return fmt.Errorf("tensorboard: image %q is %dx%d, not %dx%d", tag, pw, ph, width, height)
	}
	return w.summary(step, Value{Tag: tag, Image: &Image{Height: int32(height), Width: int32(width), Colorspace: cs, Encoded: png}})
}

// pngInfo reads the IHDR chunk of a PNG file.
func pngInfo(b []byte) (colorspace int32, w, h int, err error) {
	const sig = "\x89PNG\r\n\x1a\n"
	if len(b) < 33 || string(b[:8]) != sig || string(b[12:16]) != "IHDR" {
		return 0, 0, 0, errors.New("tensorboard: image is not a PNG file")
	}
	w = int(binary.BigEndian.Uint32(b[16:]))
	h = int(binary.BigEndian.Uint32(b[20:]))
	if w <= 0 || h <= 0 || w > 1<<31-1 || h > 1<<31-1 {
		return 0, 0, 0, errors.New("tensorboard: PNG has a bad size")
	}
	switch b[25] {
	case 0:
		colorspace = 1
	case 4:
		colorspace = 2
	case 2, 3:
		colorspace = 3
	case 6:
		colorspace = 4
	default:
		return 0, 0, 0, fmt.Errorf("tensorboard: PNG colour type %d", b[25])
	}
	return colorspace, w, h, nil
}

// Flush makes the events written so far durable (fsync). Every event is
// already in the file (the operating system's) when its method returns.
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return errors.New("tensorboard: writer is closed")
	}
	if err := w.f.Sync(); err != nil {
		return fmt.Errorf("tensorboard: %s: %w", w.path, err)
	}
	return w.err
}

// Close flushes and closes the file. Calling it again is a no-op.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return nil
	}
	err := w.f.Sync()
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	w.f = nil
	if err == nil {
		err = w.err
	}
	return err
}

// ReadEvents reads all events of an event file. It stops at the first
// malformed record, returning the events before it and the error.
func ReadEvents(r io.Reader) ([]*Event, error) {
	br := bufio.NewReader(r)
	var out []*Event
	for {
		data, err := ReadRecord(br)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, fmt.Errorf("record %d: %w", len(out), err)
		}
		e, err := UnmarshalEvent(data)
		if err != nil {
			return out, fmt.Errorf("record %d: %w", len(out), err)
		}
		out = append(out, e)
	}
}

// ReadFile reads all events of the named event file as ReadEvents does.
func ReadFile(path string) ([]*Event, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ReadEvents(bytes.NewReader(b))
}
