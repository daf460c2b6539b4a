package job

import (
	"sync"

	"github.com/darts-go/darts/internal/paramio"
)

// ckptWriter writes checkpoint snapshots to one path in the background,
// so that a run can checkpoint after every step at the cost of a copy.
// One write at a time: queue waits for the previous write to end before
// starting the next. That bounds how far the file can trail the run (one
// step) and keeps the writer from starving when the run has all the CPUs
// (with GOMAXPROCS=1 the compute goroutine rarely yields, and a writer
// left to the scheduler wrote nothing until the epoch's end). Errors are
// kept for flush.
type ckptWriter struct {
	path    string
	mu      sync.Mutex
	idle    *sync.Cond
	busy    bool
	err     error
	written int // snapshots written, for tests
}

func newCkptWriter(path string) *ckptWriter {
	w := &ckptWriter{path: path}
	w.idle = sync.NewCond(&w.mu)
	return w
}

// queue waits for the previous write, if it has not ended, then starts
// writing s and returns.
func (w *ckptWriter) queue(s paramio.Snapshot) {
	w.mu.Lock()
	for w.busy {
		w.idle.Wait()
	}
	w.busy = true
	w.mu.Unlock()
	go func() {
		err := s.WriteFile(w.path)
		w.mu.Lock()
		w.written++
		if err != nil && w.err == nil {
			w.err = err
		}
		w.busy = false
		w.idle.Broadcast()
		w.mu.Unlock()
	}()
}

// flush waits until the write in progress, if any, has ended and returns
// the first write error since the last flush.
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
