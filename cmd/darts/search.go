package main

import (
	"context"
	"os"
	"strings"

	"github.com/darts-go/darts/bilevel"
	"github.com/darts-go/darts/datasets"
	"github.com/darts-go/darts/job"
	"github.com/darts-go/darts/space"
	"github.com/darts-go/darts/supernet"
	"github.com/spf13/pflag"
)

func init() {
	register(&command{Name: "search", Summary: "run a DARTS architecture search and write a run directory", Run: runSearch})
}

const searchHelp = `Usage: darts search [flags]

Runs a DARTS search (Liu, Simonyan, Yang, ICLR 2019): each step takes an
architecture step (Adam on the alphas) on a search-val batch, then a weight
step (SGD with momentum, cosine learning rate) on a search-train batch.
After every epoch it appends to RUN/metrics.jsonl and RUN/alphas.jsonl,
rewrites RUN/genotype.json and RUN/genotype.txt, saves RUN/checkpoint.dgo
and redraws RUN/plots/. RUN/checkpoint.dgo is also rewritten after every
step, in the background, and by Ctrl-C; --resume continues from it, even
after a hard kill, and ends exactly where an uninterrupted run would.

With no flags it searches real MNIST with a configuration that finishes in
about five minutes on a 2-core machine (see README.md).

Examples:
  darts search
  darts search --dataset fashion-mnist --epochs 10 --layers 5 --out runs/fm
  darts search --resume --out runs/fm
  darts search --dataset synthetic --input-shape 3x16x16 --limit 512 --epochs 2

Flags:
`

func runSearch(args []string) error {
	fs := pflag.NewFlagSet("search", pflag.ContinueOnError)
	def := bilevel.DefaultSettings()
	var (
		o       datasets.Options
		shape   string
		ops     string
		cfg     supernet.Config
		st      = def
		out     string
		resume  bool
		noPlots bool
	)
	fs.StringVar(&o.Name, "dataset", "mnist", "dataset `name`: "+strings.Join(datasets.Names(), ", "))
	fs.StringVar(&o.DataDir, "data-dir", "", "read the dataset's files from `dir`")
	folder := addFolderFlags(fs)
	fs.Float64Var(&o.TrainPortion, "train-portion", 0.5, "fraction of the training set used for search-train; the rest is search-val")
	fs.IntVar(&o.Limit, "limit", 4000, "use only the first `N` training examples (0 = all)")
	fs.StringVar(&shape, "input-shape", "", "image shape `CxHxW` of --dataset synthetic")
	fs.IntVar(&o.Classes, "classes", 0, "classes of --dataset synthetic")
	fs.IntVar(&st.Epochs, "epochs", 6, "search epochs")
	fs.IntVar(&st.BatchSize, "batch-size", 32, "batch size (train and val)")
	fs.IntVar(&cfg.Layers, "layers", 5, "cells in the search network")
	fs.IntVar(&cfg.C, "init-channels", 8, "channels of the first cells")
	fs.IntVar(&cfg.Steps, "nodes", 4, "intermediate nodes per cell")
	fs.StringVar(&ops, "ops", "darts", "candidate ops: a named set (darts, nb201-ops: NAS-Bench-201's five ops in the DARTS cell) or op names separated by commas")
	fs.IntVar(&st.Order, "order", 1, "architecture gradient: 1 first order, 2 second order (unrolled)")
	fs.Float64Var(&st.LR, "learning-rate", def.LR, "initial weight learning rate (cosine schedule)")
	fs.Float64Var(&st.LRMin, "learning-rate-min", def.LRMin, "final weight learning rate")
	fs.Float64Var(&st.ArchLR, "arch-learning-rate", def.ArchLR, "Adam learning rate of the alphas")
	fs.IntVar(&st.EvalLimit, "eval-limit", 0, "evaluate at most `N` search-val examples after each epoch (0: all of them, as DARTS)")
	fs.Uint64Var(&st.Seed, "seed", def.Seed, "seed of the initialization and the data order")
	fs.StringVar(&out, "out", "runs/search", "run directory `DIR`")
	fs.BoolVar(&resume, "resume", false, "continue the run in --out from its checkpoint (settings come from its config.json; --epochs may extend it)")
	fs.BoolVar(&noPlots, "no-plots", false, "do not redraw RUN/plots after each epoch")
	tb := fs.Bool("tensorboard", false, tensorboardUsage)
	setThreads := addThreadsFlag(fs)
	if help, err := parseFlags(fs, args); help || err != nil {
		if help {
			printHelp(os.Stdout, fs, withFolderHelp(searchHelp))
		}
		return err
	}
	if err := setThreads(); err != nil {
		return err
	}

	var conf job.SearchConfig
	if !resume {
		if err := checkDataFlags(&o, shape); err != nil {
			return err
		}
		if err := folder.apply(fs, &o); err != nil {
			return err
		}
		prims, err := space.OpSet(ops)
		if err != nil {
			return usageErrorf("--ops: %v", err)
		}
		cfg.Primitives = prims
		if err := st.Validate(); err != nil {
			return usageErrorf("%v", err)
		}
		o.Seed = st.Seed
		conf = job.SearchConfig{Command: "darts search " + strings.Join(args, " "), Method: "darts", Data: o, Network: cfg, Search: st}
	}
	epochs := 0
	if resume && fs.Changed("epochs") {
		if st.Epochs < 1 {
			return usageErrorf("--epochs %d: need at least 1", st.Epochs)
		}
		epochs = st.Epochs
	}
	ctx, stop := job.WithSignals(context.Background())
	defer stop()
	onEpoch, closeTB := tensorboardHook(*tb, out, "search", os.Stderr)
	defer closeTB()
	err := job.Search(ctx, conf, job.SearchOptions{Dir: out, Resume: resume, Epochs: epochs, NoPlots: noPlots,
		Report: newReporter(os.Stderr), ResumeCommand: "darts search --resume --out " + out, PeakRSS: peakRSS, OnEpoch: onEpoch})
	return jobError(err, resume)
}
