package relax

import (
	"fmt"
	"math"
)

// Anneal is a temperature schedule linear in the epoch, set once per epoch
// as the reference codes do:
//
//	τ(e) = Max − (Max − Min)·(e + Offset)/Span,   kept between Min and Max,
//
// with e the 0-based epoch. Span > 0 is a fixed number of epochs; Span ≤ 0
// counts from the run's: its epochs plus Span. The three references:
//
//	GDAS (AutoDL-Projects GDAS.py)       Span −1, Offset 0: τ_max at the first epoch, τ_min at the last
//	SNAS (SNAS-Series Temp_Scheduler)    Span 150, Offset 1: τ_min from epoch 149 on, whatever the run's length
//	SNAS on NAS-Bench-201 (DrNAS code)   Span 0, Offset 0: τ_max − (τ_max − τ_min)·e/E, never τ_min
type Anneal struct {
	Max    float64 `json:"tau_max"`
	Min    float64 `json:"tau_min"`
	Span   int     `json:"span"`
	Offset int     `json:"offset"`
}

// Constant is the schedule that keeps τ at tau.
func Constant(tau float64) Anneal { return Anneal{Max: tau, Min: tau, Span: 1} }

// At is the temperature of epoch (0-based) of a run of epochs. A span of
// zero or fewer epochs gives Max.
func (a Anneal) At(epoch, epochs int) float64 {
	span := a.Span
	if span <= 0 {
		span += epochs
	}
	if span <= 0 {
		return a.Max
	}
	t := a.Max - (a.Max-a.Min)*float64(epoch+a.Offset)/float64(span)
	lo, hi := math.Min(a.Min, a.Max), math.Max(a.Min, a.Max)
	return math.Min(math.Max(t, lo), hi)
}

// Validate reports a schedule whose temperatures are not positive and
// finite.
func (a Anneal) Validate() error {
	ok := func(x float64) bool { return x > 0 && !math.IsInf(x, 0) }
	if !ok(a.Max) || !ok(a.Min) {
		return fmt.Errorf("temperature %g → %g: need two positive, finite temperatures", a.Max, a.Min)
	}
	return nil
}
