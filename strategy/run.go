package strategy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"os"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/darts-go/darts/derive"
	"github.com/darts-go/darts/internal/paramio"
	"github.com/darts-go/darts/rundir"
)

// Config is config.json of a selection directory: the search run whose
// supernet is scored, the checkpoint position, the space, the settings.
type Config struct {
	Program  string   `json:"program"`
	Command  string   `json:"command"`
	Run      string   `json:"run"`
	Epoch    int      `json:"checkpoint_epoch"` // epochs done by the search at its checkpoint
	Step     int      `json:"checkpoint_step"`
	Space    string   `json:"space"`
	Count    string   `json:"architectures"` // the space's size, a decimal integer
	Settings Settings `json:"settings"`
	Started  string   `json:"started"`
}

// Rescored is one of the best candidates scored again on the whole
// search-val split.
type Rescored struct {
	N         int     `json:"n"`
	Genotype  string  `json:"genotype"`
	Decisions []int   `json:"decisions"`
	Score     float64 `json:"score"` // on the scoring batches
	Full      Score   `json:"full"`
}

// Result is a selection's outcome (result.json): how many candidates were
// evaluated, the rescored ones (best first) and the chosen candidate, the
// best of them on the whole split, or the best by score without
// rescoring.
type Result struct {
	Strategy  string           `json:"strategy"`
	Evaluated int              `json:"evaluated"`
	Best      rundir.Candidate `json:"best"`
	Full      *Score           `json:"full,omitempty"`
	Rescored  []Rescored       `json:"rescored,omitempty"`
	Seconds   float64          `json:"seconds"` // scoring, rescoring included
	Genotype  derive.Genotype  `json:"-"`
}

// Options say where and how Run reports.
type Options struct {
	// Dir is the selection directory.
	Dir string
	// Resume continues the selection in Dir (its config.json and
	// select.jsonl); conf's settings must be its own, but a larger budget.
	Resume bool
	// Note reports a one-off message; Progress each candidate evaluated.
	Note     func(format string, args ...any)
	Progress func(c rundir.Candidate, total int)
}

// selection is a selection in progress.
type selection struct {
	sc    *Scorer
	st    Strategy
	s     Settings
	cands []rundir.Candidate
	cache map[string]Score
	best  float64
	secs  float64
}

func newSelection(sc *Scorer, s Settings) (*selection, error) {
	st, err := New(sc.Enc, s)
	if err != nil {
		return nil, err
	}
	return &selection{sc: sc, st: st, s: s, cache: map[string]Score{}, best: math.Inf(-1)}, nil
}

// replay feeds the candidates of a log to the strategy, checking that it
// proposes each of them.
func (sel *selection) replay(cands []rundir.Candidate, file string) error {
	for i, c := range cands {
		x, err := sel.st.Propose(i)
		if err != nil {
			return err
		}
		if !slices.Equal(x, c.Decisions) {
			return fmt.Errorf("%s line %d: candidate %v is not what %s proposes there (%v): was it written with other settings or another seed?", file, i+1, c.Decisions, sel.s.Strategy, x)
		}
		sel.st.Observe(i, x, c.Score)
		sel.cache[Key(x)] = Score{Acc: c.Score, Loss: c.Loss}
		sel.best = math.Max(sel.best, c.Score)
		sel.secs += c.Seconds
		sel.cands = append(sel.cands, c)
	}
	return nil
}

// next evaluates candidate len(sel.cands).
func (sel *selection) next() (rundir.Candidate, error) {
	i := len(sel.cands)
	x, err := sel.st.Propose(i)
	if err != nil {
		return rundir.Candidate{}, err
	}
	g, err := sel.sc.Enc.Genotype(x)
	if err != nil {
		return rundir.Candidate{}, err
	}
	c := rundir.Candidate{N: i + 1, Strategy: sel.s.Strategy, Genotype: g.String(), Decisions: x}
	if s, ok := sel.cache[Key(x)]; ok {
		c.Score, c.Loss, c.Cached = s.Acc, s.Loss, true
	} else {
		start := time.Now()
		s, err := sel.sc.Score(x)
		if err != nil {
			return rundir.Candidate{}, err
		}
		c.Seconds = time.Since(start).Seconds()
		c.Score, c.Loss = s.Acc, s.Loss
		sel.cache[Key(x)] = s
	}
	sel.st.Observe(i, x, c.Score)
	sel.best = math.Max(sel.best, c.Score)
	c.Best = sel.best
	sel.secs += c.Seconds
	sel.cands = append(sel.cands, c)
	return c, nil
}

// better orders candidates by score, then lower loss, then earlier.
func better(a, b rundir.Candidate) bool {
	if a.Score != b.Score {
		return a.Score > b.Score
	}
	if a.Loss != b.Loss {
		return a.Loss < b.Loss
	}
	return a.N < b.N
}

// finish rescores the best Rescore distinct candidates on the whole split
// and picks the result.
func (sel *selection) finish() (*Result, error) {
	if len(sel.cands) == 0 {
		return nil, errors.New("selection: no candidate evaluated")
	}
	ranked := slices.Clone(sel.cands)
	sort.SliceStable(ranked, func(i, j int) bool { return better(ranked[i], ranked[j]) })
	res := &Result{Strategy: sel.s.Strategy, Evaluated: len(sel.cands), Best: ranked[0]}
	seen := map[string]bool{}
	start := time.Now()
	for _, c := range ranked {
		if len(res.Rescored) == sel.s.Rescore {
			break
		}
		if seen[Key(c.Decisions)] {
			continue
		}
		seen[Key(c.Decisions)] = true
		full, err := sel.sc.ScoreFull(c.Decisions)
		if err != nil {
			return nil, err
		}
		res.Rescored = append(res.Rescored, Rescored{N: c.N, Genotype: c.Genotype, Decisions: c.Decisions, Score: c.Score, Full: full})
	}
	sort.SliceStable(res.Rescored, func(i, j int) bool {
		a, b := res.Rescored[i].Full, res.Rescored[j].Full
		if a.Acc != b.Acc {
			return a.Acc > b.Acc
		}
		return a.Loss < b.Loss
	})
	if len(res.Rescored) > 0 {
		top := res.Rescored[0]
		res.Best = sel.cands[top.N-1]
		res.Full = &top.Full
	}
	res.Seconds = sel.secs + time.Since(start).Seconds()
	g, err := sel.sc.Enc.Genotype(res.Best.Decisions)
	if err != nil {
		return nil, err
	}
	res.Genotype = g
	return res, nil
}

// Select evaluates budget candidates of the strategy s names and returns
// the result, writing nothing (RSPS's selection inside a search).
func Select(ctx context.Context, sc *Scorer, s Settings) (*Result, error) {
	sel, err := newSelection(sc, s)
	if err != nil {
		return nil, err
	}
	for len(sel.cands) < s.Budget {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if _, err := sel.next(); err != nil {
			return nil, err
		}
	}
	return sel.finish()
}

// Run runs the selection conf describes in o.Dir, or resumes the one
// there: config.json first, then one line of select.jsonl per candidate
// as it is scored (so a killed selection resumes from its log, which the
// strategy replays), then result.json and the chosen genotype
// (genotype.json, genotype.txt). A grid search's budget is capped at the
// space's size. Cancelling ctx stops after the candidate in progress and
// returns ctx's error; everything written stays consistent.
func Run(ctx context.Context, sc *Scorer, conf Config, o Options) (*Result, error) {
	note := o.Note
	if note == nil {
		note = func(string, ...any) {}
	}
	count := sc.Enc.Count()
	conf.Space, conf.Count = sc.Enc.Space.Name, count.String()
	if conf.Settings.Strategy == GridName {
		if count.Cmp(big.NewInt(1<<31)) > 0 {
			return nil, fmt.Errorf("grid: the %s space has %s architectures; grid search needs a space small enough to enumerate (use random, evolution or reinforce)", conf.Space, count)
		}
		if n := int(count.Int64()); conf.Settings.Budget > n {
			conf.Settings.Budget = n
		}
	}
	if err := conf.Settings.Validate(); err != nil {
		return nil, err
	}
	cfgPath := rundir.ConfigPath(o.Dir)
	logPath := rundir.SelectPath(o.Dir)
	sel, err := newSelection(sc, conf.Settings)
	if err != nil {
		return nil, err
	}
	if o.Resume {
		var old Config
		b, err := os.ReadFile(cfgPath)
		if err != nil {
			return nil, fmt.Errorf("--resume: %w", err)
		}
		if err := json.Unmarshal(b, &old); err != nil {
			return nil, fmt.Errorf("--resume: %s: %w", cfgPath, err)
		}
		if conf.Settings.Budget < old.Settings.Budget {
			conf.Settings.Budget = old.Settings.Budget
		}
		a, b2 := old.Settings, conf.Settings
		a.Budget, b2.Budget = 0, 0
		if d := paramio.DiffJSON(a, b2); d != "" {
			return nil, fmt.Errorf("--resume: %s was made with other settings: %s", cfgPath, d)
		}
		if old.Epoch != conf.Epoch || old.Step != conf.Step {
			return nil, fmt.Errorf("--resume: %s scored the supernet at epoch %d step %d, its checkpoint is now at epoch %d step %d", cfgPath, old.Epoch, old.Step, conf.Epoch, conf.Step)
		}
		conf.Started = old.Started
		sel.s = conf.Settings
		cands, err := rundir.ReadCandidates(logPath)
		var te *rundir.TruncatedError
		switch {
		case errors.As(err, &te):
			note("%v", err)
		case errors.Is(err, os.ErrNotExist):
		case err != nil:
			return nil, err
		}
		if err := sel.replay(cands, logPath); err != nil {
			return nil, err
		}
		if len(cands) > 0 {
			note("resuming %s after %d of %d candidates (best score %.4f)", o.Dir, len(cands), conf.Settings.Budget, sel.best)
		}
	} else {
		if _, err := os.Stat(cfgPath); err == nil {
			return nil, fmt.Errorf("%s already holds a selection; use --resume to continue it or another --out", o.Dir)
		}
		if err := os.MkdirAll(o.Dir, 0o755); err != nil {
			return nil, err
		}
		conf.Started = time.Now().UTC().Format(time.RFC3339)
		_ = os.Remove(logPath)
	}
	if err := rundir.WriteJSON(cfgPath, conf); err != nil {
		return nil, err
	}
	total := conf.Settings.Budget
	note("%s: %s architectures in the %s space; budget %d candidates, scored on %d search-val batches of %d (BatchNorm: %s)",
		conf.Settings.Strategy, thousands(count), conf.Space, total, conf.Settings.Score.Batches, conf.Settings.Score.BatchSize, conf.Settings.Score.BN)
	timed, secs := 0, 0.0
	for len(sel.cands) < total {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		c, err := sel.next()
		if err != nil {
			return nil, err
		}
		if err := rundir.AppendJSONLine(logPath, c); err != nil {
			return nil, err
		}
		if !c.Cached && c.N > 1 { // the first includes building the graphs
			timed++
			secs += c.Seconds
			if timed == 3 || (timed < 3 && len(sel.cands) == total) {
				left := total - len(sel.cands)
				note("%.2f s per candidate: about %s for the %d left (%s for the budget of %d)", secs/float64(timed),
					duration(secs/float64(timed)*float64(left)), left, duration(secs/float64(timed)*float64(total)), total)
			}
		}
		if o.Progress != nil {
			o.Progress(c, total)
		}
	}
	res, err := sel.finish()
	if err != nil {
		return nil, err
	}
	if err := writeResult(o.Dir, res); err != nil {
		return nil, err
	}
	return res, nil
}

func writeResult(dir string, res *Result) error {
	if err := rundir.WriteJSON(rundir.SelectResultPath(dir), res); err != nil {
		return err
	}
	js, err := json.MarshalIndent(res.Genotype, "", "  ")
	if err != nil {
		return err
	}
	if err := rundir.WriteFileAtomic(rundir.GenotypeJSONPath(dir), append(js, '\n'), 0o644); err != nil {
		return err
	}
	return rundir.WriteFileAtomic(rundir.GenotypeTextPath(dir), []byte(res.Genotype.String()+"\n"), 0o644)
}

// thousands writes n with commas, or in scientific notation past 10^15.
func thousands(n *big.Int) string {
	s := n.String()
	if len(s) > 15 {
		f, _ := new(big.Float).SetInt(n).Float64()
		return fmt.Sprintf("%.3g", f)
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func duration(s float64) string {
	return (time.Duration(s*float64(time.Second)) / time.Second * time.Second).String()
}
