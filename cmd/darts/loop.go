package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/pflag"

	"github.com/darts-go/darts/internal/paramio"
	"github.com/darts-go/darts/rundir"
)

// resumable is a search (bilevel.Search) or a training (derive.Trainer) in
// progress, as the run loop sees it.
type resumable interface {
	Save(path string) error
	Snapshot() paramio.Snapshot
	Load(path string) error
	Done() bool
	StepsPerEpoch() int
}

// runLoop is the part of darts search and darts train that owns the run
// directory: it resumes from or starts the run, writes config.json, runs
// the epochs with a progress bar and checkpoints: after every step in the
// background (a copy of the state, written while the next step runs; see
// ckptWriter), and
// synchronously after every epoch and on Ctrl-C or SIGTERM, which then
// prints the command that resumes. A run killed hard loses the step in
// flight and at most one finished step, whose checkpoint may still be
// being written.
type runLoop struct {
	cmd    string // "search" or "train"
	out    string // run directory
	ckpt   string // checkpoint path in out
	stderr io.Writer
	state  resumable
	// pos is the state's position: the epoch in progress (0-based) and the
	// steps done in it.
	pos func() (epoch, step int)
	// epochs is the run's length, for messages.
	epochs int
	// runEpoch runs the rest of the epoch in progress, reporting each step.
	runEpoch func(ctx context.Context, onStep func(step int, loss, acc float64)) (rundir.Metrics, error)
	// finish writes a finished epoch's files (before the checkpoint is
	// saved, so that a kill in between repeats the epoch's lines, which
	// resuming then drops) and returns the line that ends its progress bar.
	finish func(m rundir.Metrics) (string, error)
	// after runs once the checkpoint is saved (plots, say); may be nil.
	after  func()
	writer *ckptWriter // the checkpoints after each step
}

// extendEpochs applies --epochs to the epochs of a run being resumed: a
// run can be extended, not shortened (its learning-rate schedule so far
// would not be the one of the shorter run).
func extendEpochs(fs *pflag.FlagSet, flagValue int, epochs *int) error {
	if !fs.Changed("epochs") {
		return nil
	}
	if flagValue < *epochs {
		return usageErrorf("--epochs %d: the run already has %d; --resume can only extend it", flagValue, *epochs)
	}
	*epochs = flagValue
	return nil
}

// open prepares the run directory. On resume it loads the checkpoint and
// drops the lines of the JSON-lines files (the run's metrics, alphas, ...)
// written after it by a run killed between the two. A new run gets the
// directory, *started stamped, the files of init (which may be nil), and a
// checkpoint at epoch 0 step 0, so that a run killed even in its first
// epoch resumes; config.json comes last, since its presence is what marks
// the directory as holding a run. config (a pointer, so that the stamp is
// seen) is written on resume too: --epochs may have changed it.
func (r *runLoop) open(resume bool, started *string, config any, init func() error, jsonl ...string) error {
	if resume {
		if err := r.state.Load(r.ckpt); err != nil {
			return fmt.Errorf("--resume: %w", err)
		}
		epoch, step := r.pos()
		for _, f := range jsonl {
			if err := rundir.TruncateJSONL(f, epoch); err != nil {
				return err
			}
		}
		if r.state.Done() {
			fmt.Fprintf(r.stderr, "%s has finished its %d epochs; nothing to resume (--epochs N extends it)\n", r.out, r.epochs)
		} else {
			fmt.Fprintf(r.stderr, "resuming %s at epoch %d step %d of %d\n", r.out, epoch+1, step, r.epochs)
		}
	} else {
		if err := os.MkdirAll(r.out, 0o755); err != nil {
			return err
		}
		*started = time.Now().UTC().Format(time.RFC3339)
		if init != nil {
			if err := init(); err != nil {
				return err
			}
		}
		if err := r.state.Save(r.ckpt); err != nil {
			return err
		}
	}
	return rundir.WriteJSON(rundir.ConfigPath(r.out), config)
}

// run runs the epochs that remain.
func (r *runLoop) run() error {
	r.writer = newCkptWriter(r.ckpt)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	for !r.state.Done() {
		epoch, _ := r.pos()
		bar := newProgress(r.stderr, fmt.Sprintf("epoch %d/%d", epoch+1, r.epochs), r.state.StepsPerEpoch())
		m, err := r.runEpoch(ctx, func(step int, loss, acc float64) {
			bar.Update(step, fmt.Sprintf("loss %.3f acc %.1f%%", loss, 100*acc))
			r.writer.queue(r.state.Snapshot())
		})
		// Whatever happened, the background writes end before anything
		// else touches the checkpoint.
		if ferr := r.writer.flush(); ferr != nil && err == nil {
			return fmt.Errorf("checkpoint after a step: %w", ferr)
		}
		if err != nil {
			if ctx.Err() != nil {
				if serr := r.state.Save(r.ckpt); serr != nil {
					return fmt.Errorf("interrupted, and saving the checkpoint failed: %w", serr)
				}
				epoch, step := r.pos()
				fmt.Fprintf(r.stderr, "\ninterrupted at epoch %d step %d; checkpoint saved. Resume with:\n  darts %s --resume --out %s\n",
					epoch+1, step, r.cmd, r.out)
				return errInterrupted
			}
			return fmt.Errorf("%w (the last checkpoint, %s, is intact)", err, r.ckpt)
		}
		line, err := r.finish(m)
		if err != nil {
			return err
		}
		if err := r.state.Save(r.ckpt); err != nil {
			return err
		}
		bar.Done(line)
		if r.after != nil {
			r.after()
		}
	}
	return nil
}
