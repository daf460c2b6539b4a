package job

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/darts-go/darts/bilevel"
	"github.com/darts-go/darts/datasets"
	"github.com/darts-go/darts/derive"
	"github.com/darts-go/darts/internal/atomicfile"
	"github.com/darts-go/darts/method"
	"github.com/darts-go/darts/projection"
	"github.com/darts-go/darts/space"
	"github.com/darts-go/darts/supernet"
)

// DARTS-PT's selection (`darts derive --rule perturbation`) works in
// RUN/perturbation/ of a finished search run: selection.json (the options,
// the decisions so far with every probe's search-val accuracy and loss,
// the tuning epochs' metrics, the position, the name of the current
// checkpoint and in the end the genotype), tune-<n>.dgo (the tuning
// search's checkpoint, a new name each time, so that selection.json names
// a complete one at any instant) and genotype.json/.txt when done. Run
// again, it continues from there; the decisions are a function of the
// checkpoint and the position, so a stopped selection ends where an
// uninterrupted one would.

// PerturbationDir is the directory of the selection inside a search run.
const PerturbationDir = "perturbation"

// SelectionFile is the selection's state file in PerturbationDir.
const SelectionFile = "selection.json"

const selectionFormat = "darts-go DARTS-PT selection v1"

// PerturbationOptions say how `darts derive --rule perturbation` runs.
type PerturbationOptions struct {
	Run  string             // the finished search run
	Opts projection.Options // Seed 0 is the run's seed
	// SeedSet says Opts.Seed was given (0 included).
	SeedSet bool
	Report  Reporter
	// ResumeCommand is the command that continues the selection, for
	// messages.
	ResumeCommand string
}

// TuneMetrics is one tuning epoch of selection.json.
type TuneMetrics struct {
	Epoch     int     `json:"epoch"`
	TrainLoss float64 `json:"train_loss"`
	TrainAcc  float64 `json:"train_acc"`
	ValLoss   float64 `json:"val_loss"`
	ValAcc    float64 `json:"val_acc"`
	LR        float64 `json:"lr"`
}

// Selection is selection.json.
type Selection struct {
	Format     string                `json:"format"`
	Options    projection.Options    `json:"options"`
	TuneEpochs int                   `json:"tune_epochs"`
	Round      int                   `json:"rounds_done"`
	Epoch      int                   `json:"epochs_done"`
	Checkpoint string                `json:"checkpoint"`
	Decisions  []projection.Decision `json:"decisions"`
	Tuning     []TuneMetrics         `json:"tuning"`
	Genotype   *derive.Genotype      `json:"genotype,omitempty"`
}

// ReadSelection reads RUN/perturbation/selection.json.
func ReadSelection(run string) (Selection, error) {
	path := filepath.Join(run, PerturbationDir, SelectionFile)
	var s Selection
	b, err := os.ReadFile(path)
	if err != nil {
		return s, err
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return s, fmt.Errorf("%s: %v", path, err)
	}
	if s.Format != selectionFormat {
		return s, fmt.Errorf("%s: format %q, want %q", path, s.Format, selectionFormat)
	}
	return s, nil
}

// SelectPerturbation runs (or continues) DARTS-PT's selection on the
// finished search run o.Run and returns its genotype. The supernet is the
// run's final checkpoint; the tuning is its method's search (architecture
// step, relaxation, settings) with the weight optimizer restarted at a
// tenth of the run's learning rate, held there (darts-pt creates a cosine
// schedule for it and never steps it), and the architecture optimizer's
// state carried on. Cancelling ctx saves and returns an *InterruptedError.
func SelectPerturbation(ctx context.Context, o PerturbationOptions) (derive.Genotype, error) {
	rep := o.Report
	if rep == nil {
		rep = Nop{}
	}
	conf, err := ReadSearchConfig(o.Run)
	if err != nil {
		return derive.Genotype{}, fmt.Errorf("--run: %w", err)
	}
	if spec, err := method.Lookup(conf.Method); err == nil && spec.Stages != nil {
		return derive.Genotype{}, fmt.Errorf("%s: a %s search runs in stages; the perturbation rule needs a one-stage supernet search", o.Run, conf.Method)
	}
	if conf.Network.Space != space.DARTSName && conf.Network.Space != "" {
		return derive.Genotype{}, fmt.Errorf("%s: space %q: the perturbation rule is DARTS-PT's on the DARTS space", o.Run, conf.Network.Space)
	}
	opts := o.Opts
	if !o.SeedSet {
		opts.Seed = conf.Search.Seed
	}
	dir := filepath.Join(o.Run, PerturbationDir)
	var prev *Selection
	if st, err := ReadSelection(o.Run); err == nil {
		if st.Options != opts {
			return derive.Genotype{}, fmt.Errorf("%s holds a selection with options %+v, not %+v: remove the directory to start another", dir, st.Options, opts)
		}
		if st.Genotype != nil {
			rep.Note("the selection in %s is finished", dir)
			return *st.Genotype, nil
		}
		prev = &st
	} else if !errors.Is(err, os.ErrNotExist) {
		return derive.Genotype{}, err
	}

	data, err := datasets.Load(conf.Data)
	if err != nil {
		return derive.Genotype{}, err
	}
	net, err := supernet.NewNetwork[float32](conf.Network, conf.Search.Seed)
	if err != nil {
		return derive.Genotype{}, &ConfigError{err}
	}
	m, err := methodFor(conf)
	if err != nil {
		return derive.Genotype{}, &ConfigError{err}
	}
	s0, err := bilevel.NewSearch(net, data, conf.Search, m)
	if err != nil {
		return derive.Genotype{}, &ConfigError{err}
	}
	ckpt := filepath.Join(o.Run, bilevel.CheckpointFile)
	if err := s0.Load(ckpt); err != nil {
		s0.Close()
		return derive.Genotype{}, err
	}
	base := s0.Method
	archState := s0.ArchOptimizerState()
	done := s0.Done()
	epoch := s0.Epoch
	s0.Close()
	if !done {
		return derive.Genotype{}, fmt.Errorf("%s: the search has run %d of %d epochs; finish it first (darts search --resume --out %s)", o.Run, epoch, conf.Search.Epochs, o.Run)
	}
	if base.Relax.Name() != "softmax" {
		return derive.Genotype{}, fmt.Errorf("%s: relaxation %q: DARTS-PT removes ops from softmax weights (darts, sdarts searches)", o.Run, base.Relax.Name())
	}

	sel, err := projection.NewSelector(net.Space, base.Relax.Weights, opts)
	if err != nil {
		return derive.Genotype{}, &OptionError{err}
	}
	st := conf.Search
	st.Epochs = max(sel.TuneEpochs(), 1) // no tuning epoch runs with Interval 0
	st.LR /= 10
	st.LRMin = st.LR
	st.Warmup = 0
	st.Seed = opts.Seed
	tm := bilevel.Method[float32]{Name: base.Name + "+pt", Relax: projection.Relaxation(base.Relax, sel.Proj), Arch: base.Arch, Rule: base.Rule}
	s, err := bilevel.NewSearch(net, data, st, tm)
	if err != nil {
		return derive.Genotype{}, &ConfigError{err}
	}
	defer s.Close()
	state := Selection{Format: selectionFormat, Options: opts, TuneEpochs: sel.TuneEpochs()}
	if prev != nil {
		state = *prev
		if err := sel.Proj.Replay(state.Decisions); err != nil {
			return derive.Genotype{}, fmt.Errorf("%s: %w", filepath.Join(dir, SelectionFile), err)
		}
		sel.Decisions, sel.Round, sel.Epoch = state.Decisions, state.Round, state.Epoch
		if err := s.Load(filepath.Join(dir, state.Checkpoint)); err != nil {
			return derive.Genotype{}, err
		}
		if s.Epoch != sel.Epoch {
			return derive.Genotype{}, fmt.Errorf("%s: the checkpoint is at epoch %d, selection.json at %d", dir, s.Epoch, sel.Epoch)
		}
		rep.Note("continuing the selection in %s: %d of %d rounds, %d of %d tuning epochs done", dir, sel.Round, sel.OpRounds()+sel.EdgeRounds(), sel.Epoch, sel.TuneEpochs())
	} else {
		if err := s.SetArchOptimizerState(archState); err != nil {
			return derive.Genotype{}, err
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return derive.Genotype{}, err
		}
		rep.Note("DARTS-PT selection of %s in %s: %d op rounds and %d topology rounds, %d tuning epochs at lr %g, criterion %s, seed %d",
			o.Run, dir, sel.OpRounds(), sel.EdgeRounds(), sel.TuneEpochs(), st.LR, opts.Criterion, opts.Seed)
	}
	tuner := &projection.Network[float32]{S: s}
	save := func() error {
		state.Round, state.Epoch, state.Decisions = sel.Round, sel.Epoch, sel.Decisions
		old := state.Checkpoint
		state.Checkpoint = fmt.Sprintf("tune-%d-%d.dgo", sel.Round, sel.Epoch)
		if s.Step > 0 {
			state.Checkpoint = fmt.Sprintf("tune-%d-%d-%d.dgo", sel.Round, sel.Epoch, s.Step)
		}
		if err := s.Save(filepath.Join(dir, state.Checkpoint)); err != nil {
			return err
		}
		b, err := json.MarshalIndent(state, "", " ")
		if err != nil {
			return err
		}
		if err := atomicfile.WriteFile(filepath.Join(dir, SelectionFile), append(b, '\n'), 0o644); err != nil {
			return err
		}
		if old != "" && old != state.Checkpoint {
			_ = os.Remove(filepath.Join(dir, old))
		}
		return nil
	}
	if prev == nil {
		if err := save(); err != nil {
			return derive.Genotype{}, err
		}
	}
	decided := len(sel.Decisions)
	total := s.StepsPerEpoch()
	tuner.OnStep = func(si bilevel.StepInfo) {
		rep.Update(si.Step, fmt.Sprintf("loss %.4f acc %.2f%%", si.Loss, 100*si.Acc))
	}
	after := func() error {
		for _, d := range sel.Decisions[decided:] {
			rep.Note("%s", describe(net.Space, d, opts.Criterion))
		}
		decided = len(sel.Decisions)
		for _, m := range tuner.Metrics {
			state.Tuning = append(state.Tuning, TuneMetrics{Epoch: m.Epoch, TrainLoss: m.TrainLoss, TrainAcc: m.TrainAcc, ValLoss: m.ValLoss, ValAcc: m.ValAcc, LR: m.LR})
			rep.End(fmt.Sprintf("tuning epoch %d/%d  train loss %.4f acc %.2f%%  val loss %.4f acc %.2f%%  %.0fs",
				m.Epoch, sel.TuneEpochs(), m.TrainLoss, 100*m.TrainAcc, m.ValLoss, 100*m.ValAcc, m.Seconds))
		}
		tuner.Metrics = nil
		if !sel.Done() && sel.Round*opts.Interval != sel.Epoch {
			rep.Begin(fmt.Sprintf("tuning epoch %d/%d", sel.Epoch+1, sel.TuneEpochs()), total)
		}
		return save()
	}
	if !sel.Done() && sel.Round*opts.Interval != sel.Epoch {
		rep.Begin(fmt.Sprintf("tuning epoch %d/%d", sel.Epoch+1, sel.TuneEpochs()), total)
	}
	if err := sel.Run(ctx, tuner, after); err != nil {
		if ctx.Err() != nil {
			if serr := save(); serr != nil {
				return derive.Genotype{}, errors.Join(err, serr)
			}
			return derive.Genotype{}, &InterruptedError{Dir: dir, Epoch: s.Epoch + 1, Step: s.Step, Resume: o.ResumeCommand}
		}
		return derive.Genotype{}, err
	}
	g, err := sel.Genotype(tuner.Alphas(), base.Rule)
	if err != nil {
		return derive.Genotype{}, err
	}
	state.Genotype = &g
	if err := save(); err != nil {
		return derive.Genotype{}, err
	}
	if err := WriteGenotype(dir, g); err != nil {
		return derive.Genotype{}, err
	}
	rep.Note("done: %s (genotype in %s)", dir, filepath.Join(dir, "genotype.txt"))
	return g, nil
}

// describe is a decision's line for the user.
func describe(sp space.Space, d projection.Decision, crit string) string {
	ct, _ := sp.CellType(d.Cell)
	if d.Kind == "op" {
		s := fmt.Sprintf("round %d (epoch %d): %s edge %d (%s): %s; search-val %s without each op:", d.Round+1, d.Epoch, d.Cell, d.Edge, ct.Cell.EdgeName(d.Edge), d.Op, crit)
		for _, p := range d.Probes {
			v := p.Acc
			if crit == projection.CritLoss {
				v = p.Loss
			}
			s += fmt.Sprintf(" %s %.4f", p.Op, v)
		}
		return s
	}
	return fmt.Sprintf("round %d (epoch %d): %s node %d keeps edges %v (%d removals probed)", d.Round+1, d.Epoch, d.Cell, d.Node, d.Kept, len(d.Probes))
}
