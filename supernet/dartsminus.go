package supernet

import (
	"fmt"
	"math"
	"strings"
)

// The decay schedules of DARTS-'s auxiliary skip (AuxSkip.Decay), the
// choices of the reference's --decay.
const (
	DecayConstant   = ""            // --decay None, the reference's default: β stays Beta
	DecayLinear     = "linear"      // what scripts/run_darts_minus.sh passes
	DecayCosine     = "cosine"      //
	DecaySlowCosine = "slow_cosine" //
)

// DecayNames lists the decay schedules, constant ("") first.
var DecayNames = []string{DecayConstant, DecayLinear, DecayCosine, DecaySlowCosine}

// AuxSkip is DARTS-'s auxiliary skip connection on every mixed edge of a
// DARTS supernet (Chu et al., ICLR 2021; Meituan-AutoML/DARTS- src/search/
// model_search.py MixedOp, src/utils.py DecayScheduler): each edge adds
// β·skip(x) (mixedop.AuxSkip), β a function of the epoch alone, as the
// reference's DecayScheduler.step(epoch) sets it at the start of every
// epoch:
//
//	epoch < Start:                 β = Beta
//	linear:      β = Beta·(Max − e)/(Max − Start)
//	cosine:      β = Beta·(1 + cos(π·e/(Max − Start)))/2
//	slow_cosine: β = Beta·cos((π/2)·e/(Max − Start))
//
// with e = min(epoch, Stop) (after Stop β keeps its last value), epochs
// counted from 0. The reference's flags: --skip_beta 1 (Beta),
// --decay_start_epoch 0, --decay_stop_epoch 50 and --decay_max_epoch 50
// (its number of epochs); here Stop and Max 0 mean the run's number of
// epochs, so that a shorter run decays over its own length.
type AuxSkip struct {
	Beta  float64 `json:"beta"`
	Decay string  `json:"decay"`
	Start int     `json:"start_epoch"`
	Stop  int     `json:"stop_epoch"`
	Max   int     `json:"max_epoch"`
}

// Coef is β in epoch (from 0) of a run of epochs.
func (a AuxSkip) Coef(epoch, epochs int) float64 {
	stop, tmax := a.Stop, a.Max
	if stop == 0 {
		stop = epochs
	}
	if tmax == 0 {
		tmax = epochs
	}
	e := min(epoch, stop)
	if a.Decay == DecayConstant || e < a.Start {
		return a.Beta
	}
	d := float64(tmax - a.Start)
	switch a.Decay {
	case DecayLinear:
		return a.Beta * float64(tmax-e) / d
	case DecayCosine:
		return a.Beta * (1 + math.Cos(math.Pi*float64(e)/d)) / 2
	case DecaySlowCosine:
		return a.Beta * math.Cos((math.Pi/2)*float64(e)/d)
	}
	return math.NaN()
}

// Validate checks the schedule for a run of epochs (0: not known yet,
// checked again when it is): a finite Beta, a known decay, epochs counted
// from 0, and a decay whose span Max − Start is positive.
func (a AuxSkip) Validate(epochs int) error {
	known := false
	for _, d := range DecayNames {
		known = known || a.Decay == d
	}
	switch {
	case math.IsNaN(a.Beta) || math.IsInf(a.Beta, 0):
		return fmt.Errorf("auxiliary skip β %g: need a finite number", a.Beta)
	case !known:
		return fmt.Errorf("auxiliary skip decay %q: unknown (known: %q)", a.Decay, strings.Join(DecayNames[1:], `", "`)+`" or "" (constant)`)
	case a.Start < 0 || a.Stop < 0 || a.Max < 0:
		return fmt.Errorf("auxiliary skip decay epochs start %d, stop %d, max %d: need 0 or more", a.Start, a.Stop, a.Max)
	}
	tmax := a.Max
	if tmax == 0 {
		tmax = epochs
	}
	if a.Decay != DecayConstant && tmax > 0 && tmax <= a.Start {
		return fmt.Errorf("auxiliary skip decay from epoch %d to max epoch %d: the max must come after the start", a.Start, tmax)
	}
	return nil
}
