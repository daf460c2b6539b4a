package rundir

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/darts-go/darts/internal/atomicfile"
)

// Metrics is one line of metrics.jsonl: the results of one epoch. Search runs
// fill the train and validation fields; train runs (retraining a genotype)
// fill train and test. Fields absent from a line are zero (or nil for the
// test fields, where an absent value and 0 must be told apart).
type Metrics struct {
	Epoch     int      `json:"epoch"`
	TrainLoss float64  `json:"train_loss,omitempty"`
	TrainAcc  float64  `json:"train_acc,omitempty"`
	ValLoss   float64  `json:"val_loss,omitempty"`
	ValAcc    float64  `json:"val_acc,omitempty"`
	TestLoss  *float64 `json:"test_loss,omitempty"`
	TestAcc   *float64 `json:"test_acc,omitempty"`
	LR        float64  `json:"lr"`
	Seconds   float64  `json:"seconds"`
}

// LineError reports a line of a JSON Lines file that cannot be used. Line
// counts from 1.
type LineError struct {
	File string
	Line int
	Err  error
}

func (e *LineError) Error() string { return fmt.Sprintf("%s line %d: %v", e.File, e.Line, e.Err) }

// Unwrap returns the underlying cause.
func (e *LineError) Unwrap() error { return e.Err }

// TruncatedError reports that the last line of a JSON Lines file is not
// complete JSON, as a crash in the middle of an append leaves it. Readers
// return it together with every line before it, so a caller may treat it as
// a warning:
//
//	ms, err := rundir.ReadMetrics(path)
//	var te *rundir.TruncatedError
//	if errors.As(err, &te) {
//		log.Print("warning: ", err) // ms holds the complete lines
//	} else if err != nil {
//		return err
//	}
type TruncatedError struct {
	File string
	Line int
}

func (e *TruncatedError) Error() string {
	return fmt.Sprintf("%s line %d: last line is incomplete (interrupted write?); ignored it", e.File, e.Line)
}

// AppendJSONLine appends v as one line of JSON to path (creating the file if
// needed) and fsyncs, so a crash leaves at worst an incomplete last line.
// An incomplete last line left by an earlier crash is removed first, so the
// new line never fuses with it.
func AppendJSONLine(path string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("rundir: append to %s: encode: %w", path, err)
	}
	b = append(b, '\n')
	_, statErr := os.Stat(path)
	created := errors.Is(statErr, os.ErrNotExist)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("rundir: append to %s: %w", path, err)
	}
	defer f.Close()
	if err := dropPartialLine(f); err != nil {
		return fmt.Errorf("rundir: append to %s: %w", path, err)
	}
	if _, err := f.Write(b); err != nil {
		return fmt.Errorf("rundir: append to %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("rundir: append to %s: sync: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("rundir: append to %s: %w", path, err)
	}
	if created {
		if err := atomicfile.SyncDir(filepath.Dir(path)); err != nil {
			return fmt.Errorf("rundir: append to %s: sync directory: %w", path, err)
		}
	}
	return nil
}

// dropPartialLine truncates f after its last newline if it does not end with
// one.
func dropPartialLine(f *os.File) error {
	st, err := f.Stat()
	if err != nil {
		return err
	}
	size := st.Size()
	if size == 0 {
		return nil
	}
	last := make([]byte, 1)
	if _, err := f.ReadAt(last, size-1); err != nil {
		return err
	}
	if last[0] == '\n' {
		return nil
	}
	data := make([]byte, size)
	if _, err := f.ReadAt(data, 0); err != nil {
		return err
	}
	return f.Truncate(int64(bytes.LastIndexByte(data, '\n') + 1))
}

// TruncateJSONL rewrites the JSON Lines file at path, atomically, keeping
// only the lines whose "epoch" is at most maxEpoch. A search resumed from a
// checkpoint of epoch maxEpoch calls it so that the files agree with the
// checkpoint. An incomplete last line is dropped; an unparsable line
// elsewhere, or a line without "epoch", is an error and leaves the file as
// it was. A missing file is not an error: there is nothing to truncate.
func TruncateJSONL(path string, maxEpoch int) error {
	st, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("rundir: truncate %s: %w", path, err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("rundir: truncate %s: %w", path, err)
	}
	var kept bytes.Buffer
	err = eachLine(data, path, func(_ int, line []byte) error {
		var probe struct {
			Epoch *int `json:"epoch"`
		}
		if err := json.Unmarshal(line, &probe); err != nil {
			return err
		}
		if probe.Epoch == nil {
			return errors.New(`no "epoch" field`)
		}
		if *probe.Epoch <= maxEpoch {
			kept.Write(line)
			kept.WriteByte('\n')
		}
		return nil
	})
	var te *TruncatedError
	if err != nil && !errors.As(err, &te) {
		return fmt.Errorf("rundir: truncate: %w", err)
	}
	return WriteFileAtomic(path, kept.Bytes(), st.Mode().Perm())
}

// eachLine calls fn for every non-blank line of data with its 1-based line
// number. An fn error becomes a *LineError. If the last non-blank line is not
// valid JSON, fn is not called for it and eachLine returns a
// *TruncatedError after all the lines before it.
func eachLine(data []byte, name string, fn func(n int, line []byte) error) error {
	lines := bytes.Split(data, []byte{'\n'})
	lastNonBlank := -1
	for i, l := range lines {
		if len(bytes.TrimSpace(l)) > 0 {
			lastNonBlank = i
		}
	}
	for i, l := range lines {
		l = bytes.TrimSpace(l)
		if len(l) == 0 {
			continue
		}
		if i == lastNonBlank && !json.Valid(l) {
			return &TruncatedError{File: name, Line: i + 1}
		}
		if l[0] != '{' {
			return &LineError{File: name, Line: i + 1, Err: errors.New("not a JSON object")}
		}
		if err := fn(i+1, l); err != nil {
			return &LineError{File: name, Line: i + 1, Err: err}
		}
	}
	return nil
}

// ReadMetrics reads metrics.jsonl at path; see DecodeMetrics.
func ReadMetrics(path string) ([]Metrics, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("rundir: %w", err)
	}
	defer f.Close()
	return DecodeMetrics(f, path)
}

// DecodeMetrics parses metrics.jsonl from r; name identifies r in errors.
// It always returns the lines parsed before any error. The error is a
// *TruncatedError if only the last line is incomplete (the returned lines are
// then all the complete ones), a *LineError naming the first bad line, or a
// read error.
func DecodeMetrics(r io.Reader, name string) ([]Metrics, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("rundir: read %s: %w", name, err)
	}
	var out []Metrics
	err = eachLine(data, name, func(_ int, line []byte) error {
		var m struct {
			Metrics
			Epoch *int `json:"epoch"`
		}
		if err := json.Unmarshal(line, &m); err != nil {
			return err
		}
		if m.Epoch == nil {
			return errors.New(`no "epoch" field`)
		}
		m.Metrics.Epoch = *m.Epoch
		out = append(out, m.Metrics)
		return nil
	})
	return out, wrapLineErr(err)
}

func wrapLineErr(err error) error {
	if err == nil {
		return nil
	}
	var te *TruncatedError
	if errors.As(err, &te) {
		return err
	}
	return fmt.Errorf("rundir: %w", err)
}
