package job

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/darts-go/darts/internal/paramio"
	"github.com/darts-go/darts/internal/tensorio"
	"github.com/darts-go/darts/rundir"
)

// fakeRun is a run of 3 epochs of 4 steps that records its checkpoints
// and, in events, the order of what the loop does.
type fakeRun struct {
	epoch, step int
	saves       []string // "path@epoch.step"
	events      []string
	loadAt      [2]int // the position Load restores
}

func (f *fakeRun) Save(path string) error {
	f.saves = append(f.saves, filepath.Base(path)+"@"+string(rune('0'+f.epoch))+"."+string(rune('0'+f.step)))
	f.events = append(f.events, "save")
	return f.Snapshot().WriteFile(path)
}

// Snapshot's metadata is the position.
func (f *fakeRun) Snapshot() paramio.Snapshot {
	return paramio.Snapshot{Meta: map[string]int{"epoch": f.epoch, "step": f.step}}
}

// savedAt reads the position of the checkpoint at path.
func savedAt(t *testing.T, path string) [2]int {
	t.Helper()
	raw, _, err := tensorio.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var pos map[string]int
	if err := json.Unmarshal(raw, &pos); err != nil {
		t.Fatal(err)
	}
	return [2]int{pos["epoch"], pos["step"]}
}
func (f *fakeRun) Load(string) error {
	f.epoch, f.step = f.loadAt[0], f.loadAt[1]
	return nil
}
func (f *fakeRun) Done() bool         { return f.epoch >= 3 }
func (f *fakeRun) StepsPerEpoch() int { return 4 }

// textReporter writes notes and epoch lines to a buffer.
type textReporter struct{ w *bytes.Buffer }

func (r textReporter) Note(format string, args ...any) { fmt.Fprintf(r.w, format+"\n", args...) }
func (r textReporter) Begin(string, int)               { r.w.WriteString("[begin]") }
func (r textReporter) Update(int, string)              {}
func (r textReporter) End(line string)                 { fmt.Fprintln(r.w, line) }

func newFakeLoop(t *testing.T, f *fakeRun, stderr *bytes.Buffer, epoch func(ctx context.Context, onStep func(int, float64, float64)) (rundir.Metrics, error)) *Loop {
	dir := t.TempDir()
	return &Loop{Dir: dir, Ckpt: filepath.Join(dir, "checkpoint.dgo"), Report: textReporter{stderr}, State: f, Epochs: 3,
		Resume:   "darts train --resume --out " + dir,
		Pos:      func() (int, int) { return f.epoch, f.step },
		RunEpoch: epoch,
		Finish: func(m rundir.Metrics) (string, error) {
			f.events = append(f.events, "finish")
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
	l.After = func() { f.events = append(f.events, "after") }
	if err := l.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(f.saves, " "); got != "checkpoint.dgo@1.0 checkpoint.dgo@2.0 checkpoint.dgo@3.0" {
		t.Fatalf("checkpoints %s", got)
	}
	if pos := savedAt(t, l.Ckpt); pos != [2]int{3, 0} {
		t.Fatalf("final checkpoint at %v", pos)
	}
	// Every step's checkpoint was written.
	if l.writer.written != 12 {
		t.Fatalf("%d checkpoints written after steps, want 12", l.writer.written)
	}
	// An epoch's files are written before its checkpoint (a kill between
	// them repeats lines that resuming drops), plots after.
	if got, want := strings.Join(f.events, " "), strings.TrimSpace(strings.Repeat("finish save after ", 3)); got != want {
		t.Fatalf("events %q", got)
	}
}

// TestRunLoopOpen: a new run writes init's files, a checkpoint at epoch 0
// and then config.json (with the start time); a resumed one loads, drops
// the lines after the checkpoint and rewrites config.json.
func TestRunLoopOpen(t *testing.T) {
	f := &fakeRun{}
	var stderr bytes.Buffer
	l := newFakeLoop(t, f, &stderr, nil)
	type config struct {
		Started string `json:"started"`
		Epochs  int    `json:"epochs"`
	}
	conf := config{Epochs: 3}
	metrics := rundir.MetricsPath(l.Dir)
	init := func() error {
		if _, err := os.Stat(rundir.ConfigPath(l.Dir)); err == nil {
			t.Error("config.json written before init")
		}
		f.events = append(f.events, "init")
		return nil
	}
	if err := l.Open(false, &conf.Started, &conf, init, metrics); err != nil {
		t.Fatal(err)
	}
	var got config
	raw, err := os.ReadFile(rundir.ConfigPath(l.Dir))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &got); err != nil || got.Started == "" || got.Epochs != 3 {
		t.Fatalf("config.json %s (err %v): want a start time and 3 epochs", raw, err)
	}
	if strings.Join(f.events, " ") != "init save" || f.saves[0] != "checkpoint.dgo@0.0" {
		t.Fatalf("events %v, saves %v: want init then a checkpoint at epoch 0", f.events, f.saves)
	}

	// A run killed after writing epoch 3's metrics line but before its
	// checkpoint: the checkpoint is at the end of epoch 2.
	for e := 1; e <= 3; e++ {
		if err := rundir.AppendJSONLine(metrics, rundir.Metrics{Epoch: e}); err != nil {
			t.Fatal(err)
		}
	}
	f.loadAt = [2]int{2, 0}
	conf.Epochs = 5
	if err := l.Open(true, &conf.Started, &conf, func() error { t.Error("init on resume"); return nil }, metrics); err != nil {
		t.Fatal(err)
	}
	ms, err := rundir.ReadMetrics(metrics)
	if err != nil || len(ms) != 2 || ms[1].Epoch != 2 {
		t.Fatalf("metrics after resume: %+v (err %v), want epochs 1 and 2", ms, err)
	}
	raw, _ = os.ReadFile(rundir.ConfigPath(l.Dir))
	if err := json.Unmarshal(raw, &got); err != nil || got.Epochs != 5 || got.Started != conf.Started {
		t.Fatalf("config.json after resume: %s", raw)
	}
	if !strings.Contains(stderr.String(), "resuming "+l.Dir+" at epoch 3 step 0 of 3") {
		t.Fatalf("stderr %q", stderr.String())
	}
	// Resuming a finished run says so.
	stderr.Reset()
	f.loadAt = [2]int{3, 0}
	if err := l.Open(true, &conf.Started, &conf, nil, metrics); err != nil {
		t.Fatal(err)
	}
	if want := l.Dir + " has finished its 3 epochs; nothing to resume (--epochs N extends it)"; !strings.Contains(stderr.String(), want) {
		t.Fatalf("stderr %q, want %q", stderr.String(), want)
	}
}

// TestRunLoopInterrupt sends the process SIGINT in the middle of an epoch
// (so it must not run in parallel with other tests that catch signals):
// the loop saves at the step reached and returns an InterruptedError
// naming the resume command (darts exits with code 130).
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
	ctx, stop := WithSignals(context.Background())
	defer stop()
	err := l.Run(ctx)
	if !errors.Is(err, ErrInterrupted) {
		t.Fatalf("err = %v, want ErrInterrupted", err)
	}
	if got := strings.Join(f.saves, " "); got != "checkpoint.dgo@1.2" {
		t.Fatalf("checkpoints %q, want one at epoch index 1 step 2", got)
	}
	want := "interrupted at epoch 2 step 2; checkpoint saved in " + l.Dir + ". Resume with:\n  darts train --resume --out " + l.Dir
	if err.Error() != want {
		t.Fatalf("error %q, want %q", err, want)
	}
}

func TestRunLoopErrors(t *testing.T) {
	f := &fakeRun{}
	var stderr bytes.Buffer
	l := newFakeLoop(t, f, &stderr, func(_ context.Context, onStep func(int, float64, float64)) (rundir.Metrics, error) {
		for f.step < 2 {
			f.step++
			onStep(f.step, 0.5, 0.9)
		}
		return rundir.Metrics{}, errors.New("loss is NaN at epoch 1 step 3")
	})
	err := l.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "loss is NaN at epoch 1 step 3 (the last checkpoint, "+l.Ckpt+", is intact)") {
		t.Fatalf("err = %v", err)
	}
	if len(f.saves) != 0 {
		t.Fatalf("a failed epoch saved %v", f.saves)
	}
	// The checkpoints after each step (in the background) got to step 2,
	// the last good one, before run returned: a crash loses no finished step.
	if pos := savedAt(t, l.Ckpt); pos != [2]int{0, 2} {
		t.Fatalf("checkpoint at %v, want epoch 0 step 2", pos)
	}
	// A failure writing the epoch's files stops before the checkpoint.
	l = newFakeLoop(t, f, &stderr, func(context.Context, func(int, float64, float64)) (rundir.Metrics, error) {
		f.epoch++
		return rundir.Metrics{Epoch: 99}, nil
	})
	if err := l.Run(context.Background()); err == nil || err.Error() != "disk full" {
		t.Fatalf("err = %v, want disk full", err)
	}
	if len(f.saves) != 0 {
		t.Fatalf("saved %v after a failed finish", f.saves)
	}
}

func TestExtendEpochs(t *testing.T) {
	epochs := 6
	if err := ExtendEpochs(0, &epochs); err != nil || epochs != 6 {
		t.Errorf("0 keeps the run: %d, %v", epochs, err)
	}
	if err := ExtendEpochs(9, &epochs); err != nil || epochs != 9 {
		t.Errorf("extend to 9: %d, %v", epochs, err)
	}
	if err := ExtendEpochs(4, &epochs); err == nil || !strings.Contains(err.Error(), "--epochs 4: the run already has 9; --resume can only extend it") || epochs != 9 {
		t.Errorf("shorten to 4: %d, %v", epochs, err)
	}
}
