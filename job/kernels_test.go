package job

import (
	"bytes"
	"strings"
	"testing"
)

// TestNoteKernels: resuming with another kernel path than the one a run
// recorded warns, naming both; the same path, or a run of darts-go 0.2
// that recorded none, says nothing.
func TestNoteKernels(t *testing.T) {
	now := KernelPath()
	if now == "" {
		t.Fatal("KernelPath() is empty")
	}
	for _, c := range []struct {
		recorded string
		warn     bool
	}{{now, false}, {"", false}, {"other-" + now, true}} {
		var b bytes.Buffer
		noteKernels(c.recorded, textReporter{&b})
		got := b.String()
		if c.warn != (got != "") {
			t.Errorf("recorded %q: note %q", c.recorded, got)
		}
		if c.warn && !(strings.Contains(got, c.recorded) && strings.Contains(got, "resumes with the "+now)) {
			t.Errorf("recorded %q: note %q does not name both paths", c.recorded, got)
		}
	}
	noteKernels("other", nil) // no reporter: nothing to do, no panic
}
