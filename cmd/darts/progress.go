package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/term"
)

// progress reports how far a long job (an epoch's steps, an evaluation) has
// got. On a terminal it redraws one line in place with a bar, the count,
// the percentage, the rate and the ETA; elsewhere (a log file, a pipe, CI)
// updates print nothing, so logs hold only the Done lines.
type progress struct {
	w        io.Writer
	label    string
	total    int
	term     bool
	now      func() time.Time
	start    time.Time
	lastDraw time.Time
	drawn    int // width of the line on screen, 0 if none
}

// redrawEvery limits redraws to about ten a second: faster is invisible and
// costs terminal bandwidth over slow links.
const redrawEvery = 100 * time.Millisecond

// newProgress returns a reporter of total units of work on w (total <= 0:
// unknown), drawing only if w is a terminal.
func newProgress(w io.Writer, label string, total int) *progress {
	return newProgressOn(w, label, total, isTerminal(w), time.Now)
}

func newProgressOn(w io.Writer, label string, total int, term bool, now func() time.Time) *progress {
	return &progress{w: w, label: label, total: total, term: term, now: now, start: now()}
}

// isTerminal reports whether w is a terminal (term.IsTerminal: the
// terminal ioctl succeeds), not merely a character device such as
// /dev/null or a serial line.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// Update records that done units are finished; status is a short note shown
// after the bar (e.g. "loss 1.23").
func (p *progress) Update(done int, status string) {
	if !p.term {
		return
	}
	t := p.now()
	if p.drawn > 0 && t.Sub(p.lastDraw) < redrawEvery && (p.total <= 0 || done < p.total) {
		return
	}
	p.lastDraw = t
	line := p.line(done, status, t.Sub(p.start))
	pad := max(p.drawn-len(line), 0)
	fmt.Fprintf(p.w, "\r%s%s", line, strings.Repeat(" ", pad))
	p.drawn = len(line)
}

// Done erases the bar, if any, and prints line on a line of its own.
func (p *progress) Done(line string) {
	if p.term && p.drawn > 0 {
		fmt.Fprintf(p.w, "\r%s\r", strings.Repeat(" ", p.drawn))
		p.drawn = 0
	}
	fmt.Fprintln(p.w, line)
}

const barWidth = 24

// line renders the bar for done units after elapsed time.
func (p *progress) line(done int, status string, elapsed time.Duration) string {
	var b strings.Builder
	b.WriteString(p.label)
	rate := 0.0
	if elapsed > 0 {
		rate = float64(done) / elapsed.Seconds()
	}
	if p.total > 0 {
		frac := min(max(float64(done)/float64(p.total), 0), 1)
		fill := int(frac * barWidth)
		fmt.Fprintf(&b, " [%s%s] %d/%d %5.1f%%", strings.Repeat("=", fill), strings.Repeat(" ", barWidth-fill), done, p.total, 100*frac)
	} else {
		fmt.Fprintf(&b, " %d", done)
	}
	fmt.Fprintf(&b, " %s", formatRate(rate))
	if p.total > 0 {
		eta := time.Duration(-1)
		if rate > 0 {
			eta = time.Duration(float64(p.total-done) / rate * float64(time.Second))
		}
		fmt.Fprintf(&b, " ETA %s", formatETA(eta))
	}
	if status != "" {
		if len(status) > 48 {
			status = status[:47] + "…"
		}
		b.WriteString("  ")
		b.WriteString(status)
	}
	return b.String()
}

// formatRate prints units per second with about three significant digits.
func formatRate(r float64) string {
	switch {
	case r >= 100:
		return fmt.Sprintf("%.0f/s", r)
	case r >= 10:
		return fmt.Sprintf("%.1f/s", r)
	default:
		return fmt.Sprintf("%.2f/s", r)
	}
}

// formatETA prints d rounded to the second as m:ss, or h:mm:ss from an hour
// on; a negative d means unknown.
func formatETA(d time.Duration) string {
	if d < 0 {
		return "--:--"
	}
	s := int64(d.Round(time.Second) / time.Second)
	h, m, sec := s/3600, s/60%60, s%60
	if h > 0 {
		return fmt.Sprintf("%d:%02d:%02d", h, m, sec)
	}
	return fmt.Sprintf("%d:%02d", m, sec)
}

// reporter is the job.Reporter of the commands: notes on their own lines,
// an epoch as a progress bar (on a terminal) ended by its summary line.
type reporter struct {
	w   io.Writer
	bar *progress
}

func newReporter(w io.Writer) *reporter { return &reporter{w: w} }

func (r *reporter) Note(format string, args ...any) { fmt.Fprintf(r.w, format+"\n", args...) }
func (r *reporter) Begin(label string, total int)   { r.bar = newProgress(r.w, label, total) }
func (r *reporter) Update(done int, status string) {
	if r.bar != nil {
		r.bar.Update(done, status)
	}
}
func (r *reporter) End(line string) {
	if r.bar != nil {
		r.bar.Done(line)
		r.bar = nil
	}
}
