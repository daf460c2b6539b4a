package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/darts-go/darts/internal/tensorio"
)

// TestMain lets a test run darts train in a child process (the test binary
// itself, with DARTS_TEST_CHILD_TRAIN holding the arguments) so that the
// child can be killed hard; with DARTS_TEST_MAIN=1 the test binary is the
// darts command (darts sweep run --jobs starts itself as its members).
func TestMain(m *testing.M) {
	if os.Getenv("DARTS_TEST_MAIN") == "1" {
		os.Exit(run(os.Args[1:]))
	}
	if args := os.Getenv("DARTS_TEST_CHILD_TRAIN"); args != "" {
		if err := train(strings.Split(args, "\x1f"), io.Discard, io.Discard); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// checkpointPosition reads the epoch and step of a checkpoint, or reports
// false if there is none (yet).
func checkpointPosition(path string) (epoch, step int, ok bool) {
	raw, _, err := tensorio.ReadFile(path)
	if err != nil {
		return 0, 0, false
	}
	var m struct{ Epoch, Step int }
	if json.Unmarshal(raw, &m) != nil {
		return 0, 0, false
	}
	return m.Epoch, m.Step, true
}

// TestTrainSurvivesSIGKILL kills a training process with SIGKILL (no
// chance to save anything) once its checkpoint shows 5 steps (200 to an
// epoch): the checkpoint holds at least the steps seen before the kill,
// and --resume ends with the same model as a run never stopped.
func TestTrainSurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	args := func(out string) []string {
		return []string{"--genotype", v2JSON, "--dataset", "synthetic", "--input-shape", "1x16x16", "--classes", "3",
			"--limit", "3200", "--batch-size", "16", "--layers", "3", "--init-channels", "8", "--drop-path", "0.2",
			"--epochs", "2", "--threads", "1", "--out", out}
	}
	if err := train(args(a), io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "DARTS_TEST_CHILD_TRAIN="+strings.Join(args(b), "\x1f"))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ckpt := filepath.Join(b, "checkpoint.dgo")
	deadline := time.Now().Add(2 * time.Minute)
	// Kill once a checkpoint shows 5 steps done; the child may have moved
	// on by the time the signal lands, never back.
	var seen [2]int
	for {
		if e, st, ok := checkpointPosition(ckpt); ok && (e > 0 || st >= 5) {
			seen = [2]int{e, st}
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("no checkpoint after 5 steps within 2 minutes; child stderr: %s", stderr.String())
		}
		time.Sleep(2 * time.Millisecond)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err == nil {
		t.Fatal("the child finished before it was killed")
	}
	e, s, ok := checkpointPosition(ckpt)
	if !ok || e < seen[0] || e == seen[0] && s < seen[1] {
		t.Fatalf("after SIGKILL the checkpoint is at epoch %d step %d (ok %v); it showed epoch %d step %d before", e, s, ok, seen[0], seen[1])
	}
	t.Logf("killed; checkpoint at epoch %d step %d (seen: %v)", e+1, s, seen)

	if err := train([]string{"--resume", "--out", b}, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	wa, err1 := os.ReadFile(filepath.Join(a, "weights.dgo"))
	wb, err2 := os.ReadFile(filepath.Join(b, "weights.dgo"))
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	if !bytes.Equal(wa, wb) {
		t.Error("the model of the killed and resumed run differs from the uninterrupted run's")
	}
}
