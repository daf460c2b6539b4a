package main

import (
	"sync"

	"github.com/darts-go/darts/internal/paramio"
)

// ckptWriter writes checkpoint snapshots to one path in the background,
// so that a run can checkpoint after every step at the cost of a copy:
// writes happen one at a time in the order queued, and a snapshot queued
// while another is being written replaces any older one still waiting
// (only the newest matters). Errors are kept for flush.
type ckptWriter struct {
	path    string
	mu      sync.Mutex
	idle    *sync.Cond
	pending *paramio.Snapshot
	busy    bool
	err     error
	written int // snapshots written, for tests
}

func newCkptWriter(path string) *ckptWriter {
	w := &ckptWriter{path: path}
	w.idle = sync.NewCond(&w.mu)
	return w
}

// queue hands s to the writer and returns at once.
func (w *ckptWriter) queue(s paramio.Snapshot) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.pending = &s
	if !w.busy {
		w.busy = true
		go w.drain()
	}
}

func (w *ckptWriter) drain() {
	w.mu.Lock()
	for w.pending != nil {
		s := w.pending
		w.pending = nil
		w.mu.Unlock()
		err := s.WriteFile(w.path)
		w.mu.Lock()
		w.written++
		if err != nil && w.err == nil {
			w.err = err
		}
	}
	w.busy = false
	w.idle.Broadcast()
	w.mu.Unlock()
}

// flush waits until every queued snapshot is written and returns the
// first write error since the last flush.
func (w *ckptWriter) flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	for w.busy {
		w.idle.Wait()
	}
	err := w.err
	w.err = nil
	return err
}
