package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/darts-go/darts/datasets"
	"github.com/darts-go/darts/retrain"
	"github.com/darts-go/darts/space"
	"github.com/darts-go/darts/supernet"
)

// benchTrainFlags are the flags of darts bench --mode train.
type benchTrainFlags struct {
	genotype  string
	dropPath  float64
	auxiliary bool
}

// benchTrain times retraining steps: retrain.Trainer's RunEpoch, as darts
// train runs it, on the genotype's network at the preset's shape.
func benchTrain(stdout, stderr io.Writer, preset string, p benchPreset, f benchTrainFlags, steps, warmup int, seed uint64, asJSON bool) error {
	if !(f.dropPath >= 0 && f.dropPath < 0.5) {
		return usageErrorf("--drop-path %g: need 0 ≤ p < 0.5", f.dropPath)
	}
	g, err := readGenotype(f.genotype)
	if err != nil {
		return usageErrorf("%v", err)
	}
	if g.Space != "" && g.Space != space.DARTSName {
		return usageErrorf("--genotype %s: a genotype of the %s space; train mode times DARTS-space networks", f.genotype, g.Space)
	}
	total := warmup + steps
	// One batch more than the steps: the epoch does not end with the last
	// timed step (which would evaluate on the test set), and the
	// cancellation after it stops RunEpoch at the next step.
	data, err := datasets.Load(datasets.Options{Name: "synthetic", Shape: p.Shape, Classes: p.Classes,
		Limit: (total + 1) * p.B, Seed: seed})
	if err != nil {
		return err
	}
	cfg := retrain.NetworkConfig(g, p.Shape, p.Classes, p.C, p.Layers, f.auxiliary)
	net, err := supernet.NewDiscrete[float32](cfg, seed)
	if err != nil {
		return usageErrorf("--genotype %s on preset %s: %v", f.genotype, preset, err)
	}
	// The drop-path probability of epoch e of E is DropPath·e/E: the
	// second of two epochs at twice the probability has it at every step.
	// A learning rate whose cosine runs from 0.025 to 0.025 is 0.025
	// throughout, the first epoch's value.
	st := retrain.DefaultTrainSettings()
	st.Epochs, st.BatchSize, st.Seed = 2, p.B, seed
	st.LRMin = st.LR
	st.DropPath = 2 * f.dropPath
	tr, err := retrain.NewTrainer(net, data, st)
	if err != nil {
		return err
	}
	defer tr.Close()
	tr.Epoch = 1

	dp, aux := f.dropPath, f.auxiliary
	res := benchResult{Preset: preset, Mode: "train", Steps: steps, Warmup: warmup, Batch: p.B, Params: net.NumParams(),
		Threads: runtime.GOMAXPROCS(0), Layers: p.Layers, InitChannels: p.C, Genotype: f.genotype, DropPath: &dp, Auxiliary: &aux}
	bar := newProgress(stderr, fmt.Sprintf("bench train %s", preset), total)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	clock := newStepClock(warmup, total, cancel)
	_, err = tr.RunEpoch(ctx, func(si retrain.StepInfo) {
		clock.step(si.Step, func() { bar.Update(si.Step, fmt.Sprintf("loss %.3f", si.Loss)) })
	})
	if err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	if err := clock.fill(&res); err != nil {
		return err
	}
	rss, rssOK := peakRSS()
	res.PeakRSSMiB = float64(rss) / (1 << 20)
	bar.Done(fmt.Sprintf("bench train %s: %d warm-up + %d timed steps", preset, warmup, steps))
	if asJSON {
		b, err := json.Marshal(res)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(stdout, "%s\n", b)
		return err
	}
	var times []string
	for _, t := range res.StepS {
		times = append(times, fmt.Sprintf("%.3f", t))
	}
	rssText := fmt.Sprintf("%.1f MiB", res.PeakRSSMiB)
	if !rssOK {
		rssText = "unknown on " + runtime.GOOS
	}
	_, err = fmt.Fprintf(stdout, `preset         %s (%dx%dx%d, %d classes, %d layers, %d init channels, batch %d)
mode           train %s, drop path %g, auxiliary %v
median step    %.3f s
min step       %.3f s
steps          %s s
images/s       %.1f
peak RSS       %s
params         %d (+%d in the auxiliary head)
threads        %d (GOMAXPROCS)
CPU/step       %.3f s (user+system, all threads)
allocs/step    %.0f (%.1f KiB)
`, preset, p.Shape[0], p.Shape[1], p.Shape[2], p.Classes, p.Layers, p.C, p.B, f.genotype, f.dropPath, f.auxiliary,
		res.MedianStepS, res.MinStepS, strings.Join(times, " "), res.ImagesPerS, rssText,
		res.Params, net.NumAuxParams(), res.Threads, res.CPUPerStepS, res.AllocsPerStep, res.BytesPerStep/1024)
	return err
}

// stepClock times the steps of a run reported one by one (step k of
// total, from 1): the wall time of each step after warmup, from the end of
// the previous step's report, and the process's CPU time and heap
// allocations over them. At step total it calls stop.
type stepClock struct {
	warmup, total int
	stop          func()
	stepS         []float64
	m0, m1        runtime.MemStats
	cpu0, cpu1    time.Duration
	last          time.Time
}

func newStepClock(warmup, total int, stop func()) *stepClock {
	c := &stepClock{warmup: warmup, total: total, stop: stop}
	if warmup == 0 {
		runtime.ReadMemStats(&c.m0)
		c.cpu0, _ = cpuTime()
	}
	c.last = time.Now()
	return c
}

// step records the end of step k; report (progress output) is not timed.
func (c *stepClock) step(k int, report func()) {
	now := time.Now()
	if k > c.warmup {
		c.stepS = append(c.stepS, now.Sub(c.last).Seconds())
	}
	if k == c.total {
		c.cpu1, _ = cpuTime()
		runtime.ReadMemStats(&c.m1)
		c.stop()
	}
	report()
	if k == c.warmup {
		runtime.ReadMemStats(&c.m0)
		c.cpu0, _ = cpuTime()
	}
	c.last = time.Now()
}

// fill writes the timings into res.
func (c *stepClock) fill(res *benchResult) error {
	steps := c.total - c.warmup
	if len(c.stepS) != steps {
		return fmt.Errorf("bench: timed %d steps, want %d", len(c.stepS), steps)
	}
	res.StepS = c.stepS
	sorted := slices.Sorted(slices.Values(c.stepS))
	res.MinStepS = sorted[0]
	if n := len(sorted); n%2 == 1 {
		res.MedianStepS = sorted[n/2]
	} else {
		res.MedianStepS = (sorted[n/2-1] + sorted[n/2]) / 2
	}
	res.ImagesPerS = float64(res.Batch) / res.MedianStepS
	res.AllocsPerStep = float64(c.m1.Mallocs-c.m0.Mallocs) / float64(steps)
	res.BytesPerStep = float64(c.m1.TotalAlloc-c.m0.TotalAlloc) / float64(steps)
	res.CPUPerStepS = (c.cpu1 - c.cpu0).Seconds() / float64(steps)
	return nil
}
