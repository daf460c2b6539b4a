package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/darts-go/darts/bilevel"
	"github.com/darts-go/darts/datasets"
	"github.com/darts-go/darts/derive"
	"github.com/darts-go/darts/mixedop"
	"github.com/darts-go/darts/plots"
	"github.com/darts-go/darts/rundir"
	"github.com/darts-go/darts/supernet"
	"github.com/spf13/pflag"
)

func init() {
	register(&command{Name: "search", Summary: "run a DARTS architecture search and write a run directory", Run: runSearch})
}

// version is recorded in every config.json.
const version = "darts-go 0.1"

// searchConfig is config.json of a search run: every setting, resolved.
type searchConfig struct {
	Program  string           `json:"program"`
	Command  string           `json:"command"`
	Data     datasets.Options `json:"data"`
	DataInfo datasets.Info    `json:"data_info"`
	Network  supernet.Config  `json:"network"`
	Search   bilevel.Settings `json:"search"`
	Params   int              `json:"params"`
	Started  string           `json:"started"`
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
	fs.Float64Var(&o.TrainPortion, "train-portion", 0.5, "fraction of the training set used for search-train; the rest is search-val")
	fs.IntVar(&o.Limit, "limit", 4000, "use only the first `N` training examples (0 = all)")
	fs.StringVar(&shape, "input-shape", "", "image shape `CxHxW` of --dataset synthetic")
	fs.IntVar(&o.Classes, "classes", 0, "classes of --dataset synthetic")
	fs.IntVar(&st.Epochs, "epochs", 6, "search epochs")
	fs.IntVar(&st.BatchSize, "batch-size", 32, "batch size (train and val)")
	fs.IntVar(&cfg.Layers, "layers", 5, "cells in the search network")
	fs.IntVar(&cfg.C, "init-channels", 8, "channels of the first cells")
	fs.IntVar(&cfg.Steps, "nodes", 4, "intermediate nodes per cell")
	fs.StringVar(&ops, "ops", "darts", "candidate ops: darts, nas-bench-201, or names separated by commas")
	fs.IntVar(&st.Order, "order", 1, "architecture gradient: 1 first order, 2 second order (unrolled)")
	fs.Float64Var(&st.LR, "learning-rate", def.LR, "initial weight learning rate (cosine schedule)")
	fs.Float64Var(&st.LRMin, "learning-rate-min", def.LRMin, "final weight learning rate")
	fs.Float64Var(&st.ArchLR, "arch-learning-rate", def.ArchLR, "Adam learning rate of the alphas")
	fs.IntVar(&st.EvalLimit, "eval-limit", 2000, "evaluate at most `N` search-val examples after each epoch (0 = all)")
	fs.Uint64Var(&st.Seed, "seed", def.Seed, "seed of the initialization and the data order")
	fs.StringVar(&out, "out", "runs/search", "run directory `DIR`")
	fs.BoolVar(&resume, "resume", false, "continue the run in --out from its checkpoint (settings come from its config.json; --epochs may extend it)")
	fs.BoolVar(&noPlots, "no-plots", false, "do not redraw RUN/plots after each epoch")
	setThreads := addThreadsFlag(fs)
	if help, err := parseFlags(fs, args); help || err != nil {
		if help {
			printHelp(os.Stdout, fs, searchHelp)
		}
		return err
	}
	if err := setThreads(); err != nil {
		return err
	}

	var conf searchConfig
	if resume {
		b, err := os.ReadFile(rundir.ConfigPath(out))
		if err != nil {
			return fmt.Errorf("--resume: %w (is --out %s a search run?)", err, out)
		}
		if err := json.Unmarshal(b, &conf); err != nil {
			return fmt.Errorf("--resume: %s: %w", rundir.ConfigPath(out), err)
		}
		if err := extendEpochs(fs, st.Epochs, &conf.Search.Epochs); err != nil {
			return err
		}
	} else {
		if err := checkDataFlags(&o, shape); err != nil {
			return err
		}
		prims, err := mixedop.OpSet(ops)
		if err != nil {
			return usageErrorf("--ops: %v", err)
		}
		cfg.Primitives = prims
		if err := st.Validate(); err != nil {
			return usageErrorf("%v", err)
		}
		o.Seed = st.Seed
		conf = searchConfig{Program: version, Command: "darts search " + strings.Join(args, " "), Data: o, Search: st}
		if err := checkNewRun(out); err != nil {
			return err
		}
	}

	data, err := datasets.Load(conf.Data)
	if err != nil {
		return err
	}
	if !resume {
		cfg.InputC, cfg.InputH, cfg.InputW = data.Info.Shape[0], data.Info.Shape[1], data.Info.Shape[2]
		cfg.Classes = data.Info.Classes
		conf.Network = cfg.WithDefaults()
	}
	net, err := supernet.NewNetwork[float32](conf.Network, conf.Search.Seed)
	if err != nil {
		return usageErrorf("%v", err)
	}
	conf.Network = net.Cfg
	conf.DataInfo = data.Info
	conf.Params = net.NumParams()
	s, err := bilevel.NewSearch(net, data, conf.Search)
	if err != nil {
		return err
	}
	defer s.Close()

	loop := &runLoop{cmd: "search", out: out, ckpt: filepath.Join(out, bilevel.CheckpointFile), stderr: os.Stderr,
		state: s, epochs: conf.Search.Epochs,
		pos: func() (int, int) { return s.Epoch, s.Step },
		runEpoch: func(ctx context.Context, onStep func(int, float64, float64)) (rundir.Metrics, error) {
			return s.RunEpoch(ctx, func(si bilevel.StepInfo) { onStep(si.Step, si.Loss, si.Acc) })
		},
		finish: func(m rundir.Metrics) (string, error) {
			a := s.Alphas(m.Epoch)
			g, err := derive.Derive(a.Normal.Weights, a.Reduce.Weights, a.Primitives)
			if err != nil {
				return "", err
			}
			if err := writeEpoch(out, m, a, g); err != nil {
				return "", err
			}
			rss := ""
			if b, ok := peakRSS(); ok {
				rss = fmt.Sprintf("  peak RSS %d MiB", b>>20)
			}
			return fmt.Sprintf("epoch %d/%d  train loss %.4f acc %.2f%%  val loss %.4f acc %.2f%%  lr %.5f  %.0fs%s\n  %s",
				m.Epoch, conf.Search.Epochs, m.TrainLoss, 100*m.TrainAcc, m.ValLoss, 100*m.ValAcc, m.LR, m.Seconds, rss, g), nil
		},
		after: func() {
			if noPlots {
				return
			}
			if _, warns, err := plots.All(out, "", "png"); err != nil {
				fmt.Fprintf(os.Stderr, "warning: plots: %v\n", err)
			} else {
				for _, w := range warns {
					fmt.Fprintf(os.Stderr, "warning: plots: %s\n", w)
				}
			}
		},
	}
	initialAlphas := func() error { return rundir.AppendJSONLine(rundir.AlphasPath(out), s.Alphas(0)) }
	if err := loop.open(resume, &conf.Started, &conf, initialAlphas, rundir.MetricsPath(out), rundir.AlphasPath(out)); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "search: %s, %d search-train / %d search-val images of %dx%dx%d, %d classes\n",
		data.Info.Name, data.Info.Train, data.Info.Val, data.Info.Shape[0], data.Info.Shape[1], data.Info.Shape[2], data.Info.Classes)
	fmt.Fprintf(os.Stderr, "supernet: %d layers, %d init channels, %d ops, %d weights (%.1f MB), order %d, %d steps/epoch of batch %d, about %d MiB of memory\n",
		net.Cfg.Layers, net.Cfg.C, len(net.Cfg.Primitives), conf.Params, float64(conf.Params)*4/1e6, conf.Search.Order, s.StepsPerEpoch(), conf.Search.BatchSize,
		net.EstimateMemory(conf.Search.BatchSize)>>20)
	if err := loop.run(); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "done: %s (genotype in %s)\n", out, rundir.GenotypeTextPath(out))
	return nil
}

// writeEpoch appends the epoch's lines and rewrites the genotype files.
func writeEpoch(out string, m rundir.Metrics, a rundir.Alphas, g derive.Genotype) error {
	if err := rundir.AppendJSONLine(rundir.MetricsPath(out), m); err != nil {
		return err
	}
	if err := rundir.AppendJSONLine(rundir.AlphasPath(out), a); err != nil {
		return err
	}
	js, err := json.MarshalIndent(g, "", "  ")
	if err != nil {
		return err
	}
	if err := rundir.WriteFileAtomic(rundir.GenotypeJSONPath(out), append(js, '\n'), 0o644); err != nil {
		return err
	}
	return rundir.WriteFileAtomic(rundir.GenotypeTextPath(out), []byte(g.String()+"\n"), 0o644)
}
