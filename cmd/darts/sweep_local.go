package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/darts-go/darts/job"
	"github.com/darts-go/darts/sweep"
)

// progressEvent is one line of a member's --progress-json output.
type progressEvent struct {
	Event  string `json:"event"` // stage, begin, update, end, result
	Stage  string `json:"stage,omitempty"`
	Epochs int    `json:"epochs,omitempty"`
	Label  string `json:"label,omitempty"`
	Done   int    `json:"done,omitempty"`
	Total  int    `json:"total,omitempty"`
	Status string `json:"status,omitempty"`
	Line   string `json:"line,omitempty"`
}

// jsonReporter is the job.Reporter of a member run by --jobs: its
// progress as JSON lines, a few a second, for the parent to draw.
type jsonReporter struct {
	mu   sync.Mutex
	enc  *json.Encoder
	last time.Time
}

func newJSONReporter(w io.Writer) *jsonReporter { return &jsonReporter{enc: json.NewEncoder(w)} }

func (j *jsonReporter) emit(ev progressEvent) {
	j.mu.Lock()
	defer j.mu.Unlock()
	_ = j.enc.Encode(ev) // a parent that went away is no reason to stop the run
}

func (j *jsonReporter) Note(string, ...any) {} // notes go to the log
func (j *jsonReporter) Begin(label string, total int) {
	j.emit(progressEvent{Event: "begin", Label: label, Total: total})
}
func (j *jsonReporter) Update(done int, status string) {
	if now := time.Now(); now.Sub(j.last) >= 250*time.Millisecond {
		j.last = now
		j.emit(progressEvent{Event: "update", Done: done, Status: status})
	}
}
func (j *jsonReporter) End(line string) {
	first, _, _ := strings.Cut(line, "\n")
	j.emit(progressEvent{Event: "end", Line: strings.TrimSpace(first)})
}
func (j *jsonReporter) Stage(stage string, epochs int) {
	j.emit(progressEvent{Event: "stage", Stage: stage, Epochs: epochs})
}

// teeReporter reports to each of its reporters.
type teeReporter []job.Reporter

func (t teeReporter) Note(format string, args ...any) {
	for _, r := range t {
		r.Note(format, args...)
	}
}
func (t teeReporter) Begin(label string, total int) {
	for _, r := range t {
		r.Begin(label, total)
	}
}
func (t teeReporter) Update(done int, status string) {
	for _, r := range t {
		r.Update(done, status)
	}
}
func (t teeReporter) End(line string) {
	for _, r := range t {
		r.End(line)
	}
}

func setMaxProcs(n int) { runtime.GOMAXPROCS(n) }

// runLocal runs the unfinished members of e, jobs at a time, each in a
// child process (`darts sweep run FILE --index I --threads T
// --progress-json`) whose standard error goes to the member's sweep.log.
func runLocal(e *sweep.Experiment, file string, jobs, threads int, stdout, stderr io.Writer) error {
	var todo []sweep.Member
	for _, m := range e.Members {
		st, err := sweep.MemberStatus(m)
		if err != nil {
			return err
		}
		if !st.Finished {
			todo = append(todo, m)
		}
	}
	if len(todo) == 0 {
		fmt.Fprintf(stdout, "all %d members of %s have finished; darts sweep report %s aggregates them\n", len(e.Members), e.Name, file)
		return nil
	}
	if threads == 0 {
		threads = max(1, runtime.NumCPU()/jobs)
	}
	jobs = min(jobs, len(todo))
	fmt.Fprintf(stderr, "%s: %d of %d members to run, %d at a time, %d threads each\n", e.Name, len(todo), len(e.Members), jobs, threads)
	ctx, stop := job.WithSignals(context.Background())
	defer stop()
	b := newBoard(stderr)
	queue := make(chan sweep.Member)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failed []string
	interrupted := false
	for range jobs {
		wg.Go(func() {
			for m := range queue {
				err := runChild(ctx, file, m, threads, b)
				if err == nil {
					continue
				}
				mu.Lock()
				if ctx.Err() != nil {
					interrupted = true
				} else {
					failed = append(failed, fmt.Sprintf("member %d (%s): %v", m.Index, m.Name, err))
				}
				mu.Unlock()
			}
		})
	}
	for _, m := range todo {
		if ctx.Err() != nil {
			break
		}
		select {
		case queue <- m:
		case <-ctx.Done():
		}
	}
	close(queue)
	wg.Wait()
	b.close()
	switch {
	case interrupted || ctx.Err() != nil:
		return fmt.Errorf("%w: the running members saved their checkpoints; the same command resumes them", job.ErrInterrupted)
	case len(failed) > 0:
		return fmt.Errorf("%d of %d members failed:\n  %s", len(failed), len(todo), strings.Join(failed, "\n  "))
	}
	fmt.Fprintf(stdout, "%s: all %d members have finished; darts sweep report %s aggregates them\n", e.Name, len(e.Members), file)
	return nil
}

// runChild runs one member in a child process and feeds its progress to b.
func runChild(ctx context.Context, file string, m sweep.Member, threads int, b *board) error {
	if err := os.MkdirAll(m.Dir, 0o755); err != nil {
		return err
	}
	logPath := filepath.Join(m.Dir, "sweep.log")
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logFile.Close()
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	cmd := exec.Command(exe, "sweep", "run", file, "--index", strconv.Itoa(m.Index), "--threads", strconv.Itoa(threads), "--progress-json")
	last := &lastLine{w: logFile}
	cmd.Stderr = last
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return err
	}
	b.start(m)
	done := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			_ = cmd.Process.Signal(syscall.SIGTERM) // checkpoint and exit
		case <-done:
		}
	}()
	var result string
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var ev progressEvent
		if json.Unmarshal(sc.Bytes(), &ev) != nil {
			continue
		}
		if ev.Event == "result" {
			result = ev.Line
		}
		b.event(m, ev)
	}
	err = cmd.Wait()
	close(done)
	elapsed := time.Since(start).Round(time.Second)
	switch {
	case err == nil:
		b.finish(m, fmt.Sprintf("finished in %s: %s", elapsed, result))
		return nil
	case ctx.Err() != nil:
		b.finish(m, fmt.Sprintf("stopped after %s; checkpoint saved (log: %s)", elapsed, logPath))
	default:
		b.finish(m, fmt.Sprintf("failed after %s (%v): %s (log: %s)", elapsed, err, last.last(), logPath))
	}
	return fmt.Errorf("%v (log: %s)", err, logPath)
}

// lastLine passes writes through to w and keeps the last non-empty line.
type lastLine struct {
	mu   sync.Mutex
	w    io.Writer
	line []byte
	tail []byte
}

func (l *lastLine) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.tail = append(l.tail, p...)
	for {
		i := bytes.IndexByte(l.tail, '\n')
		if i < 0 {
			break
		}
		if s := bytes.TrimSpace(l.tail[:i]); len(s) > 0 {
			l.line = append(l.line[:0], s...)
		}
		l.tail = l.tail[i+1:]
	}
	if len(l.tail) > 4096 {
		l.tail = l.tail[len(l.tail)-4096:]
	}
	return l.w.Write(p)
}

func (l *lastLine) last() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if s := bytes.TrimSpace(l.tail); len(s) > 0 {
		return string(s)
	}
	return string(l.line)
}

// board draws the members run by --jobs: on a terminal, one live line per
// running member, redrawn in place below the lines that stay (a member's
// start, its epochs, its end); elsewhere only the lines that stay.
type board struct {
	mu    sync.Mutex
	w     io.Writer
	term  bool
	width int
	order []int               // running members, in start order
	live  map[int]*memberLine // by index
	drawn int                 // live lines on screen
}

type memberLine struct {
	m          sweep.Member
	stage      string
	label      string
	done, tot  int
	status     string
	lastRedraw time.Time
}

func newBoard(w io.Writer) *board {
	b := &board{w: w, term: isTerminal(w), live: map[int]*memberLine{}, width: 100}
	if f, ok := w.(*os.File); ok && b.term {
		if n := termWidth(f); n > 20 {
			b.width = n
		}
	}
	return b
}

func (b *board) tag(m sweep.Member) string { return fmt.Sprintf("[%d] %s", m.Index, m.Name) }

func (b *board) start(m sweep.Member) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.order = append(b.order, m.Index)
	b.live[m.Index] = &memberLine{m: m, stage: "starting"}
	b.print(b.tag(m) + " started")
}

func (b *board) event(m sweep.Member, ev progressEvent) {
	b.mu.Lock()
	defer b.mu.Unlock()
	l := b.live[m.Index]
	if l == nil {
		return
	}
	switch ev.Event {
	case "stage":
		l.stage, l.label, l.done, l.tot, l.status = ev.Stage, "", 0, 0, ""
		if ev.Stage == "cell" {
			l.stage = "random cell"
		}
	case "begin":
		l.label, l.done, l.tot, l.status = ev.Label, 0, ev.Total, ""
	case "update":
		l.done, l.status = ev.Done, ev.Status
	case "end":
		if ev.Line != "" {
			b.print(fmt.Sprintf("%s %s %s", b.tag(m), l.stage, ev.Line))
		}
		return
	default:
		return
	}
	if b.term && time.Since(l.lastRedraw) >= 200*time.Millisecond {
		l.lastRedraw = time.Now()
		b.redraw()
	}
}

func (b *board) finish(m sweep.Member, line string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.live, m.Index)
	for i, x := range b.order {
		if x == m.Index {
			b.order = append(b.order[:i], b.order[i+1:]...)
			break
		}
	}
	b.print(b.tag(m) + " " + line)
}

func (b *board) close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.clear()
}

// print writes a line that stays, above the live lines.
func (b *board) print(line string) {
	b.clear()
	fmt.Fprintln(b.w, line)
	b.redraw()
}

// clear erases the live lines (terminal only).
func (b *board) clear() {
	if !b.term || b.drawn == 0 {
		return
	}
	fmt.Fprintf(b.w, "\x1b[%dA", b.drawn)
	for range b.drawn {
		fmt.Fprint(b.w, "\r\x1b[2K\n")
	}
	fmt.Fprintf(b.w, "\x1b[%dA", b.drawn)
	b.drawn = 0
}

// redraw draws the live lines again (terminal only).
func (b *board) redraw() {
	if !b.term {
		return
	}
	if b.drawn > 0 {
		fmt.Fprintf(b.w, "\x1b[%dA", b.drawn)
	}
	for _, i := range b.order {
		l := b.live[i]
		line := b.tag(l.m) + "  " + l.stage
		if l.label != "" {
			line += " " + l.label
		}
		if l.tot > 0 {
			frac := min(max(float64(l.done)/float64(l.tot), 0), 1)
			fill := int(frac * 20)
			line += fmt.Sprintf(" [%s%s] %d/%d", strings.Repeat("=", fill), strings.Repeat(" ", 20-fill), l.done, l.tot)
		}
		if l.status != "" {
			line += "  " + l.status
		}
		if r := []rune(line); len(r) > b.width-1 {
			line = string(r[:b.width-2]) + "…"
		}
		fmt.Fprintf(b.w, "\r\x1b[2K%s\n", line)
	}
	b.drawn = len(b.order)
}
