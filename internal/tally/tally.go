// Package tally holds the bookkeeping every training loop of darts-go
// shares — the search (bilevel) and the retraining (retrain) — so that they
// report alike: the running sums of an epoch, the report after each step,
// and the error of a loss or gradient that is not finite. Epochs are
// counted from 1 in everything a user reads.
package tally

import (
	"fmt"
	"math"
)

// Sums are the running sums of the epoch in progress (checkpointed, so a
// resumed epoch reports the same means as an uninterrupted one).
type Sums struct {
	Loss    float64 `json:"loss"`    // Σ loss·batch
	Correct int     `json:"correct"` // correctly classified examples
	Seen    int     `json:"seen"`    // examples
	Seconds float64 `json:"seconds"` // time spent in steps
}

// Add counts one step of n examples with mean loss and correct answers.
func (s *Sums) Add(loss float64, correct, n int, seconds float64) {
	s.Loss += loss * float64(n)
	s.Correct += correct
	s.Seen += n
	s.Seconds += seconds
}

// MeanLoss is the mean loss per example so far.
func (s Sums) MeanLoss() float64 { return s.Loss / float64(s.Seen) }

// Accuracy is the fraction of examples classified correctly so far.
func (s Sums) Accuracy() float64 { return float64(s.Correct) / float64(s.Seen) }

// StepInfo is reported after each step.
type StepInfo struct {
	Epoch       int     // the epoch in progress, from 1
	Step, Steps int     // steps done in it, of Steps
	Loss, Acc   float64 // running means over the epoch's steps
}

// Report is the StepInfo of the step just done.
func (s Sums) Report(epoch, step, steps int) StepInfo {
	return StepInfo{Epoch: epoch, Step: step, Steps: steps, Loss: s.MeanLoss(), Acc: s.Accuracy()}
}

// NonFiniteError reports a NaN or infinite loss or gradient. The state in
// memory may be half-way through the failing step; the last checkpoint on
// disk is untouched, and the run resumes from it.
type NonFiniteError struct {
	Epoch int // from 1
	Step  int // steps done before the failing one
	What  string
}

func (e *NonFiniteError) Error() string {
	return fmt.Sprintf("epoch %d step %d: %s is not finite (diverged: try a smaller learning rate or batch)", e.Epoch, e.Step+1, e.What)
}

// Finite reports whether x is neither NaN nor infinite.
func Finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
