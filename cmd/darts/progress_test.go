package main

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestFormatETA(t *testing.T) {
	cases := []struct {
		d    time.Duration
		want string
	}{
		{-1, "--:--"},
		{0, "0:00"},
		{1400 * time.Millisecond, "0:01"},
		{59600 * time.Millisecond, "1:00"},
		{125 * time.Second, "2:05"},
		{59*time.Minute + 59*time.Second, "59:59"},
		{time.Hour, "1:00:00"},
		{100*time.Hour + 3*time.Minute + 7*time.Second, "100:03:07"},
	}
	for _, c := range cases {
		if got := formatETA(c.d); got != c.want {
			t.Errorf("formatETA(%v) = %q, want %q", c.d, got, c.want)
		}
	}
}

// Not on a terminal: updates print nothing, Done prints its line.
func TestProgressNotTerminal(t *testing.T) {
	var buf bytes.Buffer
	p := newProgress(&buf, "epoch 1", 10)
	for i := 0; i <= 10; i++ {
		p.Update(i, "loss 2.3")
	}
	if buf.Len() != 0 {
		t.Fatalf("updates wrote %q to a non-terminal", buf.String())
	}
	p.Done("epoch 1: loss 2.30")
	if got := buf.String(); got != "epoch 1: loss 2.30\n" {
		t.Errorf("Done wrote %q", got)
	}
}

// fakeClock advances by step at each reading.
type fakeClock struct {
	t    time.Time
	step time.Duration
}

func (c *fakeClock) now() time.Time { c.t = c.t.Add(c.step); return c.t }

func TestProgressTerminal(t *testing.T) {
	var buf bytes.Buffer
	clk := &fakeClock{t: time.Unix(0, 0), step: time.Second}
	p := newProgressOn(&buf, "search", 100, true, clk.now)
	// The clock reads 1 s per call: 25 units in 1 s → 25/s, 75 left → 3 s.
	p.Update(25, "loss 1.5")
	got := buf.String()
	for _, want := range []string{"\rsearch [======", "25/100", "25.0%", "25.0/s", "ETA 0:03", "loss 1.5"} {
		if !strings.Contains(got, want) {
			t.Errorf("bar %q lacks %q", got, want)
		}
	}
	// Within the redraw interval nothing is drawn, except the last update.
	clk.step = time.Millisecond
	buf.Reset()
	p.Update(26, "")
	if buf.Len() != 0 {
		t.Errorf("redrew after 1 ms: %q", buf.String())
	}
	p.Update(100, "")
	if !strings.Contains(buf.String(), "100/100 100.0%") {
		t.Errorf("final update %q lacks 100/100", buf.String())
	}
	buf.Reset()
	p.Done("done")
	if got := buf.String(); !strings.HasPrefix(got, "\r ") || !strings.HasSuffix(got, "\rdone\n") {
		t.Errorf("Done wrote %q, want the bar erased then the line", got)
	}
}
