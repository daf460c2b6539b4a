package sweep

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/darts-go/darts/job"
	"github.com/darts-go/darts/rundir"
)

// Status is how far a member has got, from its directory alone.
type Status struct {
	// Finished is true once result.json exists; Result is then its content.
	Finished bool
	Result   *Result
	// Stage is the stage reached ("" if the member has not started,
	// "search" or "train"), with the epochs done and to do in it.
	Stage         string
	Epoch, Epochs int
}

// String is the status as plan and report print it: "finished",
// "not started", "search 2/6", "train 0/10".
func (s Status) String() string {
	switch {
	case s.Finished:
		return "finished"
	case s.Stage == "":
		return "not started"
	}
	return fmt.Sprintf("%s %d/%d", s.Stage, s.Epoch, s.Epochs)
}

// MemberStatus reads member m's status from its directory.
func MemberStatus(m Member) (Status, error) {
	r, err := ReadResult(m.Dir)
	if err == nil {
		return Status{Finished: true, Result: &r}, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return Status{}, err
	}
	var st Status
	if !m.Settings.RandomCell {
		dir := filepath.Join(m.Dir, SearchDir)
		if conf, err := job.ReadSearchConfig(dir); err == nil {
			st = Status{Stage: "search", Epoch: epochsDone(dir), Epochs: conf.Search.Epochs}
		}
	}
	if m.Settings.Retrain != nil {
		dir := filepath.Join(m.Dir, TrainDir)
		if conf, err := job.ReadTrainConfig(dir); err == nil {
			st = Status{Stage: "train", Epoch: epochsDone(dir), Epochs: conf.Train.Epochs}
		}
	}
	return st, nil
}

// epochsDone counts the epochs of a run's metrics.jsonl (a truncated last
// line, from a run being written, does not count).
func epochsDone(dir string) int {
	ms, _ := rundir.ReadMetrics(rundir.MetricsPath(dir))
	return len(ms)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
