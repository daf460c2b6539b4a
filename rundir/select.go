package rundir

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
)

// The files of a selection (darts select): a directory, by default
// RUN/select/<strategy> of the search run whose supernet it scores, with
// config.json (the settings), select.jsonl (one Candidate a line, in the
// order evaluated), result.json (the best, after rescoring) and the best
// genotype as genotype.json and genotype.txt.
const (
	SelectDir        = "select"
	SelectFile       = "select.jsonl"
	SelectResultFile = "result.json"
)

// SelectPath returns the path of select.jsonl in selection directory dir.
func SelectPath(dir string) string { return filepath.Join(dir, SelectFile) }

// SelectResultPath returns the path of result.json in selection directory dir.
func SelectResultPath(dir string) string { return filepath.Join(dir, SelectResultFile) }

// DefaultSelectDir is the selection directory of strategy in search run
// run: run/select/<strategy>.
func DefaultSelectDir(run, strategy string) string { return filepath.Join(run, SelectDir, strategy) }

// Candidate is one line of select.jsonl: the n-th candidate evaluated
// (from 1), its architecture (the space's decisions and the genotype's
// text), its score (accuracy on the scoring batches, a fraction) and loss,
// the seconds its scoring took (0 when Cached: the same architecture was
// scored before, and scores are deterministic), and the best score so far.
type Candidate struct {
	N         int     `json:"n"`
	Strategy  string  `json:"strategy"`
	Genotype  string  `json:"genotype"`
	Decisions []int   `json:"decisions"`
	Score     float64 `json:"score"`
	Loss      float64 `json:"loss"`
	Seconds   float64 `json:"seconds"`
	Cached    bool    `json:"cached,omitempty"`
	Best      float64 `json:"best"`
}

// ReadCandidates reads select.jsonl at path; see DecodeCandidates.
func ReadCandidates(path string) ([]Candidate, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("rundir: %w", err)
	}
	defer f.Close()
	return DecodeCandidates(f, path)
}

// DecodeCandidates parses select.jsonl from r; name identifies r in
// errors. It returns the lines parsed before any error; the error is a
// *TruncatedError if only the last line is incomplete, or a *LineError
// naming the first bad line (a line must have n, counting from 1 without
// gaps, and decisions).
func DecodeCandidates(r io.Reader, name string) ([]Candidate, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("rundir: read %s: %w", name, err)
	}
	var out []Candidate
	err = eachLine(data, name, func(_ int, line []byte) error {
		var c Candidate
		if err := json.Unmarshal(line, &c); err != nil {
			return err
		}
		if c.N != len(out)+1 {
			return fmt.Errorf("candidate n = %d, want %d (lines in order from 1)", c.N, len(out)+1)
		}
		if len(c.Decisions) == 0 {
			return errors.New(`no "decisions"`)
		}
		out = append(out, c)
		return nil
	})
	return out, wrapLineErr(err)
}

// SelectRuns lists the selection directories of search run run (those of
// run/select/* holding a select.jsonl), sorted.
func SelectRuns(run string) []string {
	ms, _ := filepath.Glob(filepath.Join(run, SelectDir, "*", SelectFile))
	var dirs []string
	for _, m := range ms {
		dirs = append(dirs, filepath.Dir(m))
	}
	sort.Strings(dirs)
	return dirs
}
