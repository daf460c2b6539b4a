package sweep

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/darts-go/darts/derive"
	"github.com/darts-go/darts/job"
	"github.com/darts-go/darts/plots"
	"github.com/darts-go/darts/rundir"
)

// The files and directories of a member's directory.
const (
	// MemberFile (member.json) records the member's resolved settings
	// when it first starts; a later run with other settings (an edited
	// experiment file) is refused rather than mixed in.
	MemberFile = "member.json"
	// ResultFile (result.json) is written last, when every stage has
	// finished: its presence is what makes the member finished.
	ResultFile = "result.json"
	// SearchDir and TrainDir are the run directories of the search and
	// of the retraining (see package rundir); the retrained cell is also
	// in the member's genotype.json and genotype.txt.
	SearchDir = "search"
	TrainDir  = "train"
	lockFile  = ".lock"
)

// memberRecord is member.json.
type memberRecord struct {
	Experiment string   `json:"experiment"`
	Index      int      `json:"index"`
	Name       string   `json:"name"`
	Program    string   `json:"program"`
	Started    string   `json:"started"`
	Settings   Settings `json:"settings"`
}

// Result is result.json: what a finished member measured.
type Result struct {
	Member     string `json:"member"`
	Group      string `json:"group"`
	RandomCell bool   `json:"random_cell"`
	Seed       uint64 `json:"seed"`
	// Genotype is the cell retrained: the search's final one, or the
	// random draw.
	Genotype derive.Genotype `json:"genotype"`
	// NormalSkips counts the skip connections of its normal cell (its only
	// cell in a space with one), the symptom of DARTS's collapse.
	NormalSkips int          `json:"normal_skip_connections"`
	Search      *StageResult `json:"search,omitempty"`
	Train       *StageResult `json:"train,omitempty"`
	Finished    string       `json:"finished"`
}

// StageResult is a finished search or retraining, from its run directory.
type StageResult struct {
	Epochs  int     `json:"epochs"`
	Params  int     `json:"params"`
	Seconds float64 `json:"seconds"` // the epochs' wall time, summed
	// ValAcc is a search's final search-val accuracy, TestAcc a
	// retraining's final test accuracy (fractions).
	ValAcc  *float64 `json:"val_acc,omitempty"`
	TestAcc *float64 `json:"test_acc,omitempty"`
}

// RunOptions say how a member runs.
type RunOptions struct {
	// Report receives the stages' notes and epochs (nil: nothing).
	Report job.Reporter
	// Stage, if set, is called as each stage starts: "search", "cell"
	// (the random draw) or "train", with its epochs.
	Stage func(stage string, epochs int)
	// NoPlots leaves the search's figures undrawn; by default they are
	// drawn once, when the search has finished (not after every epoch, as
	// darts search does: in a sweep that time adds up). darts plot --run
	// draws them from the run's files at any time.
	NoPlots bool
	// Command reruns the member ("darts sweep run FILE --index 3"); it goes
	// into config.json and the message of an interruption.
	Command string
}

// ErrLocked is what Run returns, wrapped, when another process is running
// the member.
var ErrLocked = errors.New("member is being run by another process")

// Run runs member m: its search (or random draw), then the retraining of
// the cell, each in its run directory through package job. It is
// idempotent: a finished member (one with result.json) is skipped, with
// skipped true and its result; a stopped one, however it stopped (Ctrl-C,
// SIGTERM, SIGKILL, a lost node), resumes from its checkpoints and ends as
// an uninterrupted run would. Cancelling ctx checkpoints and returns the
// job's *job.InterruptedError. Two processes never run one member: the
// second gets ErrLocked.
func Run(ctx context.Context, m Member, o RunOptions) (res Result, skipped bool, err error) {
	if o.Report == nil {
		o.Report = job.Nop{}
	}
	stage := func(s string, epochs int) {
		if o.Stage != nil {
			o.Stage(s, epochs)
		}
	}
	if err := os.MkdirAll(m.Dir, 0o755); err != nil {
		return res, false, err
	}
	unlock, err := lock(filepath.Join(m.Dir, lockFile))
	if err != nil {
		return res, false, fmt.Errorf("member %d (%s): %w", m.Index, m.Dir, err)
	}
	defer unlock()
	if err := checkRecord(m); err != nil {
		return res, false, err
	}
	if r, err := ReadResult(m.Dir); err == nil {
		return r, true, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return res, false, err
	}

	s := m.Settings
	var g derive.Genotype
	if s.RandomCell {
		stage("cell", 0)
		sp, rule, err := s.randomSpace()
		if err != nil {
			return res, false, err
		}
		if g, err = derive.Random(s.Seed, sp, rule); err != nil {
			return res, false, fmt.Errorf("member %s: random cell: %w", m.Name, err)
		}
		o.Report.Note("random cell (seed %d): %s", s.Seed, g)
	} else {
		dir := filepath.Join(m.Dir, SearchDir)
		resume, err := prepareStage(dir)
		if err != nil {
			return res, false, err
		}
		cfg, err := s.network()
		if err != nil {
			return res, false, err
		}
		st := s.Search.Settings
		st.Seed = s.Seed
		data := s.Search.Data
		data.Seed = s.Seed
		conf := job.SearchConfig{Command: o.Command, Method: s.Method, MethodOptions: s.MethodOptions, Budget: s.Budget,
			Data: data, Network: cfg, Search: st}
		stage("search", st.Epochs)
		if err := job.Search(ctx, conf, job.SearchOptions{Dir: dir, Resume: resume, NoPlots: true, Report: o.Report, ResumeCommand: o.Command}); err != nil {
			return res, false, fmt.Errorf("member %s: search: %w", m.Name, err)
		}
		if !o.NoPlots {
			_, warns, err := plots.All(dir, "", "png")
			if err != nil {
				warns = append(warns, err.Error())
			}
			for _, w := range warns {
				o.Report.Note("warning: plots: %s", w)
			}
		}
		if g, err = derive.ReadFile(rundir.GenotypeJSONPath(dir)); err != nil {
			return res, false, err
		}
	}
	if err := job.WriteGenotype(m.Dir, g); err != nil {
		return res, false, err
	}

	if r := s.Retrain; r != nil {
		dir := filepath.Join(m.Dir, TrainDir)
		resume, err := prepareStage(dir)
		if err != nil {
			return res, false, err
		}
		data := r.Data
		data.TrainPortion = 0.5 // the whole training set: search-train and search-val together
		data.Seed = r.Settings.Seed
		conf := job.TrainConfig{Command: o.Command, Genotype: g, From: rundir.GenotypeJSONPath(m.Dir), Data: data, Train: r.Settings}
		t, err := job.BuildTraining(conf, job.TrainOptions{Dir: dir, Resume: resume, Layers: r.Layers, Channels: r.InitChannels,
			Auxiliary: r.Auxiliary, Report: o.Report, ResumeCommand: o.Command})
		if err != nil {
			return res, false, fmt.Errorf("member %s: retraining: %w", m.Name, err)
		}
		stage("train", t.Conf.Train.Epochs)
		if err := t.Run(ctx); err != nil {
			return res, false, fmt.Errorf("member %s: retraining: %w", m.Name, err)
		}
	}
	if res, err = collect(m, g); err != nil {
		return res, false, err
	}
	if err := rundir.WriteJSON(filepath.Join(m.Dir, ResultFile), res); err != nil {
		return res, false, err
	}
	return res, false, nil
}

// prepareStage says whether the run directory holds a run to resume. A
// directory without config.json is a start killed before its first
// checkpoint (job writes config.json last): it holds nothing worth
// keeping and is cleared, so that the new run starts clean.
func prepareStage(dir string) (resume bool, err error) {
	if _, err := os.Stat(rundir.ConfigPath(dir)); err == nil {
		return true, nil
	}
	return false, os.RemoveAll(dir)
}

// checkRecord writes member.json on the first run and, on later ones,
// refuses settings other than those the member started with.
func checkRecord(m Member) error {
	path := filepath.Join(m.Dir, MemberFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return rundir.WriteJSON(path, memberRecord{Index: m.Index, Name: m.Name, Program: job.Version,
			Started: time.Now().UTC().Format(time.RFC3339), Settings: m.Settings})
	}
	if err != nil {
		return err
	}
	var rec memberRecord
	if err := json.Unmarshal(b, &rec); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	was, _ := json.Marshal(rec.Settings)
	now, _ := json.Marshal(m.Settings)
	if !bytes.Equal(was, now) {
		return fmt.Errorf("%s: member %s was started with other settings than the experiment file now gives it (%s); restore the file, or move the directory away to start the member anew",
			path, m.Name, firstDifference(toTree(rec.Settings), toTree(m.Settings), ""))
	}
	return nil
}

// firstDifference names the first setting (in key order) where two
// settings trees differ.
func firstDifference(a, b any, path string) string {
	ao, aok := a.(map[string]any)
	bo, bok := b.(map[string]any)
	if aok && bok {
		keys := map[string]bool{}
		for k := range ao {
			keys[k] = true
		}
		for k := range bo {
			keys[k] = true
		}
		for _, k := range sortedKeys(keys) {
			p := k
			if path != "" {
				p = path + "." + k
			}
			if d := firstDifference(ao[k], bo[k], p); d != "" {
				return d
			}
		}
		return ""
	}
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if bytes.Equal(ja, jb) {
		return ""
	}
	return fmt.Sprintf("%s was %s, is now %s", path, ja, jb)
}

// collect reads the finished stages' results from their run directories.
func collect(m Member, g derive.Genotype) (Result, error) {
	res := Result{Member: m.Name, Group: m.Group, RandomCell: m.Settings.RandomCell, Seed: m.Settings.Seed,
		Genotype: g, NormalSkips: normalSkips(g), Finished: time.Now().UTC().Format(time.RFC3339)}
	if !m.Settings.RandomCell {
		dir := filepath.Join(m.Dir, SearchDir)
		conf, err := job.ReadSearchConfig(dir)
		if err != nil {
			return res, err
		}
		sr, err := stageResult(dir, conf.Params)
		if err != nil {
			return res, err
		}
		res.Search = &sr
	}
	if m.Settings.Retrain != nil {
		dir := filepath.Join(m.Dir, TrainDir)
		conf, err := job.ReadTrainConfig(dir)
		if err != nil {
			return res, err
		}
		tr, err := stageResult(dir, conf.Params)
		if err != nil {
			return res, err
		}
		res.Train = &tr
	}
	return res, nil
}

func stageResult(dir string, params int) (StageResult, error) {
	ms, err := rundir.ReadMetrics(rundir.MetricsPath(dir))
	if err != nil {
		return StageResult{}, err
	}
	if len(ms) == 0 {
		return StageResult{}, fmt.Errorf("%s: no epochs", rundir.MetricsPath(dir))
	}
	r := StageResult{Epochs: len(ms), Params: params}
	for _, m := range ms {
		r.Seconds += m.Seconds
	}
	last := ms[len(ms)-1]
	if last.TestAcc != nil {
		r.TestAcc = last.TestAcc
	} else {
		v := last.ValAcc
		r.ValAcc = &v
	}
	return r, nil
}

// normalSkips counts skip_connect in the normal cell (or the only cell).
func normalSkips(g derive.Genotype) int {
	c, ok := g.Cell("normal")
	if !ok && len(g.Cells) > 0 {
		c = g.Cells[0]
	}
	n := 0
	for _, p := range c.Pairs() {
		if p.Op == "skip_connect" {
			n++
		}
	}
	return n
}

// ReadResult reads a member directory's result.json (an error matching
// os.ErrNotExist if the member has not finished).
func ReadResult(dir string) (Result, error) {
	path := filepath.Join(dir, ResultFile)
	b, err := os.ReadFile(path)
	if err != nil {
		return Result{}, err
	}
	var r Result
	if err := json.Unmarshal(b, &r); err != nil {
		return Result{}, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}
