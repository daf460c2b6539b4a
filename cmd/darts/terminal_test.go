package main

import (
	"os"
	"testing"
)

// /dev/null is a character device but not a terminal: nothing is drawn.
// (The check it replaced, os.ModeCharDevice, took it for one.)
func TestProgressDevNull(t *testing.T) {
	f, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Skip(err)
	}
	defer f.Close()
	if isTerminal(f) {
		t.Errorf("%s counts as a terminal", os.DevNull)
	}
	if p := newProgress(f, "epoch 1", 10); p.term {
		t.Errorf("progress on %s draws", os.DevNull)
	}
}
