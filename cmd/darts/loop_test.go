package main

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/darts-go/darts/rundir"
)

// fakeRun is a run of 3 epochs of 4 steps that records its checkpoints.
type fakeRun struct {
	epoch, step int
	saves       []string // "path@epoch.step"
}

func (f *fakeRun) Save(path string) error {
	f.saves = append(f.saves, filepath.Base(path)+"@"+string(rune('0'+f.epoch))+"."+string(rune('0'+f.step)))
	return nil
}
func (f *fakeRun) Load(string) error  { return nil }
func (f *fakeRun) Done() bool         { return f.epoch >= 3 }
func (f *fakeRun) StepsPerEpoch() int { return 4 }

func newFakeLoop(t *testing.T, f *fakeRun, stderr *bytes.Buffer, epoch func(ctx context.Context, onStep func(int, float64, float64)) (rundir.Metrics, error)) *runLoop {
	dir := t.TempDir()
	return &runLoop{cmd: "train", out: dir, ckpt: filepath.Join(dir, "checkpoint.dgo"), stderr: stderr, state: f, epochs: 3,
		pos:      func() (int, int) { return f.epoch, f.step },
		runEpoch: epoch,
		finish: func(m rundir.Metrics) (string, error) {
			if m.Epoch == 99 {
				return "", errors.New("disk full")
			}
			return "done", nil
		},
	}
}

func TestRunLoopSavesEveryEpoch(t *testing.T) {
	f := &fakeRun{}
	var stderr bytes.Buffer
	l := newFakeLoop(t, f, &stderr, func(ctx context.Context, onStep func(int, float64, float64)) (rundir.Metrics, error) {
		for f.step < 4 {
			f.step++
			onStep(f.step, 0.5, 0.9)
		}
		f.epoch, f.step = f.epoch+1, 0
		return rundir.Metrics{Epoch: f.epoch}, nil
	})
	if err := l.run(); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(f.saves, " "); got != "checkpoint.dgo@1.0 checkpoint.dgo@2.0 checkpoint.dgo@3.0" {
		t.Fatalf("checkpoints %s", got)
	}
}

// TestRunLoopInterrupt sends the process SIGINT in the middle of an epoch:
// the loop saves at the step reached, prints the resume command and
// returns errInterrupted (exit code 130).
func TestRunLoopInterrupt(t *testing.T) {
	f := &fakeRun{epoch: 1}
	var stderr bytes.Buffer
	l := newFakeLoop(t, f, &stderr, func(ctx context.Context, onStep func(int, float64, float64)) (rundir.Metrics, error) {
		f.step = 2
		onStep(2, 0.5, 0.9)
		if err := syscall.Kill(syscall.Getpid(), syscall.SIGINT); err != nil {
			t.Error(err)
		}
		select {
		case <-ctx.Done():
			return rundir.Metrics{}, ctx.Err()
		case <-time.After(10 * time.Second):
			t.Error("SIGINT did not cancel the epoch")
			return rundir.Metrics{}, errors.New("timeout")
		}
	})
	err := l.run()
	if !errors.Is(err, errInterrupted) {
		t.Fatalf("err = %v, want errInterrupted", err)
	}
	if got := strings.Join(f.saves, " "); got != "checkpoint.dgo@1.2" {
		t.Fatalf("checkpoints %q, want one at epoch index 1 step 2", got)
	}
	want := "interrupted at epoch 2 step 2; checkpoint saved. Resume with:\n  darts train --resume --out " + l.out
	if !strings.Contains(stderr.String(), want) {
		t.Fatalf("stderr %q lacks %q", stderr.String(), want)
	}
}

func TestRunLoopErrors(t *testing.T) {
	f := &fakeRun{}
	var stderr bytes.Buffer
	l := newFakeLoop(t, f, &stderr, func(context.Context, func(int, float64, float64)) (rundir.Metrics, error) {
		return rundir.Metrics{}, errors.New("loss is NaN at epoch 1 step 3")
	})
	err := l.run()
	if err == nil || !strings.Contains(err.Error(), "loss is NaN at epoch 1 step 3 (the last checkpoint, "+l.ckpt+", is intact)") {
		t.Fatalf("err = %v", err)
	}
	if len(f.saves) != 0 {
		t.Fatalf("a failed epoch saved %v", f.saves)
	}
	// A failure writing the epoch's files stops before the checkpoint.
	l = newFakeLoop(t, f, &stderr, func(context.Context, func(int, float64, float64)) (rundir.Metrics, error) {
		f.epoch++
		return rundir.Metrics{Epoch: 99}, nil
	})
	if err := l.run(); err == nil || err.Error() != "disk full" {
		t.Fatalf("err = %v, want disk full", err)
	}
	if len(f.saves) != 0 {
		t.Fatalf("saved %v after a failed finish", f.saves)
	}
}
