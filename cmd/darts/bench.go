package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/darts-go/darts/bilevel"
	"github.com/darts-go/darts/datasets"
	"github.com/darts-go/darts/method"
	"github.com/darts-go/darts/space"
	"github.com/darts-go/darts/supernet"
	"github.com/spf13/pflag"
)

func init() {
	register(&command{Name: "bench", Summary: "time search steps of a benchmark preset (step time, images/s, peak RSS)", Run: runBench})
}

// benchPreset is a benchmark configuration: the supernet and
// the batch the PyTorch reference is measured on.
type benchPreset struct {
	Shape                 [3]int
	Classes, Layers, C, B int
	Ops                   []string // search mode: the candidate ops (nil: DARTS's)
	hidden                bool     // for tests: not listed in the help
}

var benchPresets = map[string]benchPreset{
	"mnist-small": {Shape: [3]int{1, 28, 28}, Classes: 10, Layers: 5, C: 8, B: 32},
	"cifar-small": {Shape: [3]int{3, 32, 32}, Classes: 10, Layers: 8, C: 16, B: 32},
	"tiny":        {Shape: [3]int{1, 8, 8}, Classes: 3, Layers: 3, C: 2, B: 4, hidden: true},
}

func benchPresetNames() string {
	var ns []string
	for n, p := range benchPresets {
		if !p.hidden {
			ns = append(ns, n)
		}
	}
	sort.Strings(ns)
	return strings.Join(ns, ", ")
}

// benchResult is what darts bench measures; --json prints it as one object.
type benchResult struct {
	Preset        string    `json:"preset"`
	Method        string    `json:"method"`
	Mode          string    `json:"mode"`
	Order         int       `json:"order"`
	Steps         int       `json:"steps"`
	Warmup        int       `json:"warmup"`
	Batch         int       `json:"batch"`
	MedianStepS   float64   `json:"median_step_s"`
	MinStepS      float64   `json:"min_step_s"`
	StepS         []float64 `json:"step_s"`
	ImagesPerS    float64   `json:"images_per_s"`
	PeakRSSMiB    float64   `json:"peak_rss_mib"`
	Params        int       `json:"params"`
	Threads       int       `json:"threads"`
	CPUPerStepS   float64   `json:"cpu_s_per_step"`
	AllocsPerStep float64   `json:"allocs_per_step"`
	BytesPerStep  float64   `json:"alloc_bytes_per_step"`
	Layers        int       `json:"layers"`
	InitChannels  int       `json:"init_channels"`
	Ops           []string  `json:"ops,omitempty"`       // search mode
	Genotype      string    `json:"genotype,omitempty"`  // train mode
	DropPath      *float64  `json:"drop_path,omitempty"` // train mode
	Auxiliary     *bool     `json:"auxiliary,omitempty"` // train mode
}

const benchHelp = `Usage: darts bench [--mode search|train] [flags]

Times search steps (--mode search, the default) or retraining steps
(--mode train --genotype FILE) of a benchmark preset (listed below).

Search mode times search steps of the preset on synthetic data of the
preset's shape, with the supernet of --method (its reference partial
channels, edge normalization or auxiliary skip on the preset's cells and
channels; the search settings stay DARTS's, without warm-up, so that every
method is timed on the same steps): the same bilevel.Search steps as darts
search (an architecture step on a search-val batch, then a weight step on
a search-train batch), first --warmup untimed steps, then --steps timed
ones.
It prints the median and minimum step time, images per second (search-train
images, i.e. batch / median step), the process's peak resident memory, the
supernet's weight count, GOMAXPROCS, the process CPU time per timed step
(a check on a busy machine: near threads × step time when the cores are the
bench's alone) and the heap allocations per timed step.

Train mode times the training steps of darts train (retrain.Trainer: the
genotype's network with the auxiliary head and drop path on every
non-identity op, forward, backward, gradient clip 5, SGD with momentum 0.9
and weight decay 3e-4 at the learning rate 0.025) on synthetic data of the
preset's shape, with the preset's layers, channels and batch; params
counts the network's weights without the auxiliary head (as darts train
--dry-run). The drop-path probability is --drop-path at every step (darts
train ramps it up from 0 over the epochs; the bench runs the second of two
epochs of twice the probability, hence --drop-path below 0.5).

--layers, --init-channels, --batch-size and (search mode) --ops change the
preset's network and batch, for scaling sweeps (tools/bench/scaling.py).

Presets:
  mnist-small  1x28x28, 10 classes, 5 layers, 8 init channels, batch 32
  cifar-small  3x32x32, 10 classes, 8 layers, 16 init channels, batch 32

Examples:
  darts bench
  darts bench --preset mnist-small --order 2 --steps 5 --json
  GOMAXPROCS=1 darts bench --preset cifar-small --steps 3
  darts bench --threads 1 --json
  darts bench --method pc-darts --batch-size 128
  darts bench --mode train --genotype genotypes/darts-v2.json --preset cifar-small
  darts bench --batch-size 64 --init-channels 16 --ops none,max_pool_3x3,sep_conv_3x3

Flags:
`

func runBench(args []string) error { return bench(os.Stdout, os.Stderr, args) }

func bench(stdout, stderr io.Writer, args []string) error {
	fs := pflag.NewFlagSet("bench", pflag.ContinueOnError)
	var (
		preset       string
		order, steps int
		warmup       int
		asJSON       bool
		seed         uint64
		methodName   string
		mode         string
		bt           benchTrainFlags
		layers, c, b int
		ops          []string
	)
	fs.StringVar(&preset, "preset", "mnist-small", "benchmark `name`: "+benchPresetNames())
	fs.StringVar(&mode, "mode", "search", "what to time: search (search steps) or train (retraining steps of --genotype)")
	fs.StringVar(&bt.genotype, "genotype", "", "train mode: the genotype to retrain (a file or a literal, as darts train --genotype)")
	fs.Float64Var(&bt.dropPath, "drop-path", 0.2, "train mode: drop-path probability `p` of every step (0 ≤ p < 0.5)")
	fs.BoolVar(&bt.auxiliary, "auxiliary", true, "train mode: the auxiliary head (weight 0.4), as train.py --auxiliary")
	fs.IntVar(&layers, "layers", 0, "cells `N` (0: the preset's)")
	fs.IntVar(&c, "init-channels", 0, "initial channels `N` (0: the preset's)")
	fs.IntVar(&b, "batch-size", 0, "batch size `N` (0: the preset's)")
	fs.StringSliceVar(&ops, "ops", nil, "search mode: the candidate `ops` of every edge, separated by commas (default DARTS's 8)")
	fs.IntVar(&order, "order", 1, "architecture gradient: 1 first order, 2 second order (unrolled)")
	fs.IntVar(&steps, "steps", 5, "timed search steps")
	fs.IntVar(&warmup, "warmup", 2, "untimed search steps before them")
	fs.StringVar(&methodName, "method", method.DARTS, "search `method` whose supernet to time: "+strings.Join(method.Names(), ", "))
	setThreads := addThreadsFlag(fs)
	fs.Uint64Var(&seed, "seed", 2, "seed of the initialization and the synthetic data")
	fs.BoolVar(&asJSON, "json", false, "print one JSON object instead of text")
	if help, err := parseFlags(fs, args); help || err != nil {
		if help {
			printHelp(stdout, fs, benchHelp)
		}
		return err
	}
	p, ok := benchPresets[preset]
	if !ok {
		return usageErrorf("--preset %q: unknown (want one of %s)", preset, benchPresetNames())
	}
	switch {
	case order != 1 && order != 2:
		return usageErrorf("--order %d: want 1 or 2", order)
	case steps < 1:
		return usageErrorf("--steps %d: need at least 1", steps)
	case warmup < 0:
		return usageErrorf("--warmup %d: need 0 or more", warmup)
	case layers < 0:
		return usageErrorf("--layers %d: need 0 (the preset's) or more", layers)
	case c < 0:
		return usageErrorf("--init-channels %d: need 0 (the preset's) or more", c)
	case b < 0:
		return usageErrorf("--batch-size %d: need 0 (the preset's) or more", b)
	case mode != "search" && mode != "train":
		return usageErrorf("--mode %q: want search or train", mode)
	case mode == "train" && bt.genotype == "":
		return usageErrorf("--mode train needs --genotype FILE")
	case mode == "train" && fs.Changed("ops"):
		return usageErrorf("--ops: a setting of search mode (train mode's ops are --genotype's)")
	case mode == "train" && fs.Changed("order"):
		return usageErrorf("--order: a setting of search mode")
	case mode == "train" && fs.Changed("method"):
		return usageErrorf("--method: a setting of search mode (train mode retrains --genotype)")
	case mode == "search" && (fs.Changed("genotype") || fs.Changed("drop-path") || fs.Changed("auxiliary")):
		return usageErrorf("--genotype, --drop-path and --auxiliary are settings of --mode train")
	}
	if layers > 0 {
		p.Layers = layers
	}
	if c > 0 {
		p.C = c
	}
	if b > 0 {
		p.B = b
	}
	p.Ops = ops
	if err := setThreads(); err != nil {
		return err
	}
	if mode == "train" {
		return benchTrain(stdout, stderr, preset, p, bt, steps, warmup, seed, asJSON)
	}
	spec, err := method.Lookup(methodName)
	if err != nil {
		return usageErrorf("--method: %v", err)
	}
	ref, err := spec.Recipe(method.Query{Space: space.DARTSName, Order: order}, method.Reference)
	if err != nil {
		return usageErrorf("--method %s: %v", methodName, err)
	}

	total := warmup + steps
	// Exactly total batches in each of search-train and search-val: the
	// epoch ends with the last timed step, and the cancellation below stops
	// RunEpoch before its evaluation pass.
	data, err := datasets.Load(datasets.Options{Name: "synthetic", Shape: p.Shape, Classes: p.Classes,
		Limit: 2 * total * p.B, TrainPortion: 0.5, Seed: seed})
	if err != nil {
		return err
	}
	cfg := supernet.Config{InputC: p.Shape[0], InputH: p.Shape[1], InputW: p.Shape[2], Classes: p.Classes, C: p.C, Layers: p.Layers, Primitives: p.Ops,
		PartialChannels: ref.Network.PartialChannels, EdgeNormalization: ref.Network.EdgeNormalization, AuxSkip: ref.Network.AuxSkip}
	if err := cfg.WithDefaults().Validate(); err != nil {
		return usageErrorf("--method/--ops/--layers/--init-channels: %v", err)
	}
	st := bilevel.DefaultSettings()
	st.Epochs, st.BatchSize, st.Order, st.Seed = 1, p.B, order, seed
	rec := ref
	rec.Network, rec.Search = cfg, st
	m, err := spec.BuildRecipe(rec)
	if err != nil {
		return usageErrorf("--method %s on preset %s: %v", methodName, preset, err)
	}
	net, err := supernet.NewNetwork[float32](cfg, seed)
	if err != nil {
		return usageErrorf("--method %s on preset %s: %v", methodName, preset, err)
	}
	s, err := bilevel.NewSearch(net, data, st, m)
	if err != nil {
		return err
	}
	defer s.Close()

	res := benchResult{Preset: preset, Method: spec.Name, Mode: "search", Order: order, Steps: steps, Warmup: warmup, Batch: p.B,
		Params: net.NumParams(), Threads: runtime.GOMAXPROCS(0), Layers: p.Layers, InitChannels: p.C, Ops: p.Ops}
	bar := newProgress(stderr, fmt.Sprintf("bench %s order %d", preset, order), total)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var (
		m0, m1     runtime.MemStats
		cpu0, cpu1 time.Duration
		last       time.Time
	)
	onStep := func(si bilevel.StepInfo) {
		now := time.Now()
		k := si.Step
		if k > warmup {
			res.StepS = append(res.StepS, now.Sub(last).Seconds())
		}
		if k == total {
			cpu1, _ = cpuTime()
			runtime.ReadMemStats(&m1)
			cancel()
		}
		bar.Update(k, fmt.Sprintf("loss %.3f", si.Loss))
		if k == warmup {
			runtime.ReadMemStats(&m0)
			cpu0, _ = cpuTime()
		}
		// Taken after the bookkeeping, so that a timed step measures the
		// step alone.
		last = time.Now()
	}
	if warmup == 0 {
		runtime.ReadMemStats(&m0)
		cpu0, _ = cpuTime()
	}
	last = time.Now()
	if _, err := s.RunEpoch(ctx, onStep); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	if len(res.StepS) != steps {
		return fmt.Errorf("bench: timed %d steps, want %d", len(res.StepS), steps)
	}
	sorted := slices.Sorted(slices.Values(res.StepS))
	res.MinStepS = sorted[0]
	if n := len(sorted); n%2 == 1 {
		res.MedianStepS = sorted[n/2]
	} else {
		res.MedianStepS = (sorted[n/2-1] + sorted[n/2]) / 2
	}
	res.ImagesPerS = float64(p.B) / res.MedianStepS
	res.AllocsPerStep = float64(m1.Mallocs-m0.Mallocs) / float64(steps)
	res.BytesPerStep = float64(m1.TotalAlloc-m0.TotalAlloc) / float64(steps)
	res.CPUPerStepS = (cpu1 - cpu0).Seconds() / float64(steps)
	rss, rssOK := peakRSS()
	res.PeakRSSMiB = float64(rss) / (1 << 20)
	bar.Done(fmt.Sprintf("bench %s order %d: %d warm-up + %d timed steps", preset, order, warmup, steps))

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
method         %s
order          %d
median step    %.3f s
min step       %.3f s
steps          %s s
images/s       %.1f
peak RSS       %s
params         %d
threads        %d (GOMAXPROCS)
CPU/step       %.3f s (user+system, all threads)
allocs/step    %.0f (%.1f KiB)
`, preset, p.Shape[0], p.Shape[1], p.Shape[2], p.Classes, p.Layers, p.C, p.B, spec.Name, order,
		res.MedianStepS, res.MinStepS, strings.Join(times, " "), res.ImagesPerS, rssText,
		res.Params, res.Threads, res.CPUPerStepS, res.AllocsPerStep, res.BytesPerStep/1024)
	return err
}
