package job

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/darts-go/darts/internal/paramio"
	"github.com/darts-go/darts/rundir"
)

// Resumable is a search (bilevel.Search) or a training (retrain.Trainer) in
// progress, as the run loop sees it.
type Resumable interface {
	Save(path string) error
	Snapshot() paramio.Snapshot
	Load(path string) error
	Done() bool
	StepsPerEpoch() int
}

// Reporter is how a job tells its user what it is doing. Begin starts an
// epoch of total steps, Update reports the steps done with a short status
// ("loss 1.23 acc 45.6%"), End closes the epoch with its summary line, and
// Note is a one-off message (resuming, warnings). Nop reports nothing.
type Reporter interface {
	Note(format string, args ...any)
	Begin(label string, total int)
	Update(done int, status string)
	End(line string)
}

// Nop is a Reporter that reports nothing.
type Nop struct{}

// Note implements Reporter.
func (Nop) Note(string, ...any) {}

// Begin implements Reporter.
func (Nop) Begin(string, int) {}

// Update implements Reporter.
func (Nop) Update(int, string) {}

// End implements Reporter.
func (Nop) End(string) {}

// ErrInterrupted is what an *InterruptedError matches with errors.Is.
var ErrInterrupted = errors.New("interrupted")

// InterruptedError reports a run stopped by its context (Ctrl-C, SIGTERM,
// a caller's cancellation) after it saved its checkpoint at the position
// it reached; resuming continues from there exactly.
type InterruptedError struct {
	Dir         string
	Epoch, Step int    // 1-based epoch, steps done in it
	Resume      string // the command that resumes the run, if the caller gave one
}

func (e *InterruptedError) Error() string {
	msg := fmt.Sprintf("interrupted at epoch %d step %d; checkpoint saved in %s", e.Epoch, e.Step, e.Dir)
	if e.Resume != "" {
		msg += ". Resume with:\n  " + e.Resume
	}
	return msg
}

// Is makes errors.Is(err, ErrInterrupted) true.
func (e *InterruptedError) Is(target error) bool { return target == ErrInterrupted }

// WithSignals returns a context that SIGINT (Ctrl-C) or SIGTERM cancels,
// and a function that stops listening: run a job with it to checkpoint on
// those signals and get an *InterruptedError back.
func WithSignals(ctx context.Context) (context.Context, context.CancelFunc) {
	return signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
}

// Loop is the part of a search or a training that owns the run directory:
// it resumes from or starts the run, writes config.json, runs the epochs
// and checkpoints: after every step in the background (a copy of the
// state, written while the next step runs; see ckptWriter), and
// synchronously after every epoch and when the context is cancelled. A run
// killed hard loses the step in flight and at most one finished step, whose
// checkpoint may still be being written.
type Loop struct {
	Dir    string // run directory
	Ckpt   string // checkpoint path in Dir
	State  Resumable
	Report Reporter
	// Pos is the state's position: the epoch in progress (0-based) and the
	// steps done in it.
	Pos func() (epoch, step int)
	// Epochs is the run's length, for messages.
	Epochs int
	// RunEpoch runs the rest of the epoch in progress, reporting each step.
	RunEpoch func(ctx context.Context, onStep func(step int, loss, acc float64)) (rundir.Metrics, error)
	// Finish writes a finished epoch's files (before the checkpoint is
	// saved, so that a kill in between repeats the epoch's lines, which
	// resuming then drops) and returns the line that ends its progress.
	Finish func(m rundir.Metrics) (string, error)
	// After runs once the checkpoint is saved (plots, say); may be nil.
	After func()
	// Resume is the command that resumes the run, for InterruptedError.
	Resume string

	writer *ckptWriter // the checkpoints after each step
}

func (l *Loop) report() Reporter {
	if l.Report == nil {
		return Nop{}
	}
	return l.Report
}

// ExtendEpochs applies a new number of epochs to a run being resumed: a
// run can be extended, not shortened (its learning-rate schedule so far
// would not be the one of the shorter run). want 0 keeps the run's.
func ExtendEpochs(want int, epochs *int) error {
	if want == 0 {
		return nil
	}
	if want < *epochs {
		return fmt.Errorf("--epochs %d: the run already has %d; --resume can only extend it", want, *epochs)
	}
	*epochs = want
	return nil
}

// Open prepares the run directory. On resume it loads the checkpoint and
// drops the lines of the JSON-lines files (the run's metrics, alphas, ...)
// written after it by a run killed between the two. A new run gets the
// directory, *started stamped, the files of init (which may be nil), and a
// checkpoint at epoch 0 step 0, so that a run killed even in its first
// epoch resumes; config.json comes last, since its presence is what marks
// the directory as holding a run. config (a pointer, so that the stamp is
// seen) is written on resume too: the epochs may have changed it.
func (l *Loop) Open(resume bool, started *string, config any, init func() error, jsonl ...string) error {
	if resume {
		if err := l.State.Load(l.Ckpt); err != nil {
			return fmt.Errorf("--resume: %w", err)
		}
		epoch, step := l.Pos()
		for _, f := range jsonl {
			if err := rundir.TruncateJSONL(f, epoch); err != nil {
				return err
			}
		}
		if l.State.Done() {
			l.report().Note("%s has finished its %d epochs; nothing to resume (--epochs N extends it)", l.Dir, l.Epochs)
		} else {
			l.report().Note("resuming %s at epoch %d step %d of %d", l.Dir, epoch+1, step, l.Epochs)
		}
	} else {
		if err := os.MkdirAll(l.Dir, 0o755); err != nil {
			return err
		}
		*started = time.Now().UTC().Format(time.RFC3339)
		if init != nil {
			if err := init(); err != nil {
				return err
			}
		}
		if err := l.State.Save(l.Ckpt); err != nil {
			return err
		}
	}
	return rundir.WriteJSON(rundir.ConfigPath(l.Dir), config)
}

// Run runs the epochs that remain. When ctx is cancelled it saves the
// checkpoint at the step reached and returns an *InterruptedError.
func (l *Loop) Run(ctx context.Context) error {
	l.writer = newCkptWriter(l.Ckpt)
	rep := l.report()
	for !l.State.Done() {
		epoch, _ := l.Pos()
		rep.Begin(fmt.Sprintf("epoch %d/%d", epoch+1, l.Epochs), l.State.StepsPerEpoch())
		m, err := l.RunEpoch(ctx, func(step int, loss, acc float64) {
			rep.Update(step, fmt.Sprintf("loss %.3f acc %.1f%%", loss, 100*acc))
			l.writer.queue(l.State.Snapshot())
		})
		// Whatever happened, the background writes end before anything
		// else touches the checkpoint.
		if ferr := l.writer.flush(); ferr != nil && err == nil {
			return fmt.Errorf("checkpoint after a step: %w", ferr)
		}
		if err != nil {
			if ctx.Err() != nil {
				if serr := l.State.Save(l.Ckpt); serr != nil {
					return fmt.Errorf("interrupted, and saving the checkpoint failed: %w", serr)
				}
				epoch, step := l.Pos()
				rep.End("")
				return &InterruptedError{Dir: l.Dir, Epoch: epoch + 1, Step: step, Resume: l.Resume}
			}
			return fmt.Errorf("%w (the last checkpoint, %s, is intact)", err, l.Ckpt)
		}
		line, err := l.Finish(m)
		if err != nil {
			return err
		}
		if err := l.State.Save(l.Ckpt); err != nil {
			return err
		}
		rep.End(line)
		if l.After != nil {
			l.After()
		}
	}
	return nil
}
