package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/darts-go/darts/datasets"
	"github.com/darts-go/darts/derive"
	"github.com/darts-go/darts/job"
	"github.com/darts-go/darts/mixedop"
	"github.com/darts-go/darts/retrain"
	"github.com/darts-go/darts/rundir"
	"github.com/darts-go/darts/space"
	"github.com/darts-go/darts/supernet"
	"github.com/spf13/pflag"
)

func init() {
	register(&command{Name: "train", Summary: "retrain a genotype from scratch and evaluate it on the test set", Run: runTrain})
}

const trainHelp = `Usage: darts train (--genotype FILE | --run SEARCH_RUN) [flags]

Trains the network of a genotype from scratch and evaluates it on the test
set after every epoch, training on the whole training set. The space comes
from the genotype:
  darts          as the original DARTS train.py: the cell stacked --layers
                 times (reductions at 1/3 and 2/3 of the depth), SGD with
                 momentum 0.9 and weight decay 3e-4, a cosine learning rate
                 from 0.025 to 0, gradient clipping at 5, drop path ramped
                 linearly from 0 to --drop-path, optionally the auxiliary
                 head (loss weight 0.4) and cutout;
  nas-bench-201  as the benchmark trained its cells (AutoDL's TinyNetwork:
                 3 stages of --cells-per-stage cells joined by ResNet
                 blocks; SGD with Nesterov momentum 0.9, weight decay 5e-4,
                 cosine 0.1 to 0, no clipping, no drop path).
--budget quick (the default) trains 10 epochs of batch 64 (and 8 cells of
16 channels on the darts space); --budget reference the paper's setting.
Every flag overrides.

The run directory (--out) gets config.json, metrics.jsonl (train and test
loss and accuracy per epoch), genotype.json/.txt, weights.dgo (the model,
see 'go doc github.com/darts-go/darts/derive SaveWeights') and
checkpoint.dgo (rewritten after every step, in the background, and by
Ctrl-C); --resume continues exactly, even after a hard kill.

Examples:
  darts train --run runs/search --dataset fashion-mnist --epochs 20 --out runs/fm-train
  darts train --genotype derive/testdata/darts_v2.json --dataset synthetic --input-shape 3x32x32 \
      --layers 20 --init-channels 36 --auxiliary --dry-run
  darts train --genotype '|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|' \
      --dataset synthetic --input-shape 3x32x32 --classes 10 --dry-run
  darts train --genotype genotypes/amoebanet.txt --dataset synthetic --input-shape 3x32x32 --classes 10 \
      --layers 20 --init-channels 36 --auxiliary --dry-run
  darts train --genotype path/to/darts/cnn/genotypes.py:NASNet --dataset fashion-mnist
  darts train --resume --out runs/fm-train

Flags:
`

func runTrain(args []string) error { return train(args, os.Stdout, os.Stderr) }

// train is runTrain with its output streams passed in, for tests.
func train(args []string, stdout, stderr io.Writer) error {
	fs := pflag.NewFlagSet("train", pflag.ContinueOnError)
	// Flag defaults shown are the DARTS space's quick budget; a flag left
	// alone takes the value of the genotype's space and --budget.
	def, _ := retrain.RecipeFor(space.DARTSName, retrain.Quick)
	nb, _ := retrain.RecipeFor(space.NB201Name, retrain.Quick)
	var (
		o        datasets.Options
		shape    string
		st       = def.Settings
		genoPath string
		runDir   string
		budget   string
		layers   int
		cells    int
		initC    int
		aux      bool
		out      string
		resume   bool
		dryRun   bool
	)
	both := func(what string, d, n any) string {
		return fmt.Sprintf("%s (darts: %v; nas-bench-201: %v, at the quick budget)", what, d, n)
	}
	fs.StringVar(&genoPath, "genotype", "", "train the genotype in `file` (JSON, DARTS text or a NAS-Bench-201 string; FILE:NAME for the genotype NAME of a module such as DARTS's genotypes.py), or given literally ('|nor_conv_3x3~0|+|...')")
	fs.StringVar(&runDir, "run", "", "train the genotype of the search run in `dir` (its genotype.json)")
	fs.StringVar(&budget, "budget", retrain.Quick, "defaults for epochs, batch and network size: quick, or reference (the space's paper setting: darts 600 epochs of 20 cells of 36 channels; nas-bench-201 200 epochs, batch 256)")
	fs.StringVar(&o.Name, "dataset", "mnist", "dataset `name`: "+strings.Join(datasets.Names(), ", "))
	fs.StringVar(&o.DataDir, "data-dir", "", "read the dataset's files from `dir`")
	folder := addFolderFlags(fs)
	fs.IntVar(&o.Limit, "limit", 0, "use only the first `N` training and test examples (0 = all)")
	fs.StringVar(&shape, "input-shape", "", "image shape `CxHxW` of --dataset synthetic")
	fs.IntVar(&o.Classes, "classes", 0, "classes of --dataset synthetic")
	fs.IntVar(&st.Epochs, "epochs", st.Epochs, "training epochs")
	fs.IntVar(&st.BatchSize, "batch-size", st.BatchSize, "batch size")
	fs.IntVar(&layers, "layers", def.Layers, "cells in the network (darts space)")
	fs.IntVar(&cells, "cells-per-stage", nb.CellsPerStage, "cells in each of the 3 stages (nas-bench-201)")
	fs.IntVar(&initC, "init-channels", def.C, both("channels of the first cells", def.C, nb.C))
	fs.BoolVar(&aux, "auxiliary", false, "train with the auxiliary head (loss weight 0.4; darts space)")
	fs.IntVar(&st.Cutout, "cutout", 0, "cutout square side `N` (0 = none; DARTS uses 16 on CIFAR)")
	fs.Float64Var(&st.DropPath, "drop-path", st.DropPath, both("final drop-path probability `P`", def.Settings.DropPath, nb.Settings.DropPath))
	fs.Float64Var(&st.LR, "learning-rate", st.LR, both("initial learning rate (cosine schedule)", def.Settings.LR, nb.Settings.LR))
	fs.Float64Var(&st.LRMin, "learning-rate-min", st.LRMin, "final learning rate")
	fs.Float64Var(&st.Momentum, "momentum", st.Momentum, "SGD momentum")
	fs.BoolVar(&st.Nesterov, "nesterov", st.Nesterov, both("Nesterov momentum", def.Settings.Nesterov, nb.Settings.Nesterov))
	fs.Float64Var(&st.WeightDecay, "weight-decay", st.WeightDecay, both("weight decay", def.Settings.WeightDecay, nb.Settings.WeightDecay))
	fs.Float64Var(&st.GradClip, "grad-clip", st.GradClip, both("clip the gradient's 2-norm to this (0: no clipping)", def.Settings.GradClip, nb.Settings.GradClip))
	fs.Uint64Var(&st.Seed, "seed", 0, "seed of the initialization, data order, augmentation and drop path")
	fs.StringVar(&out, "out", "runs/train", "run directory `DIR`")
	fs.BoolVar(&resume, "resume", false, "continue the run in --out from its checkpoint (settings come from its config.json; --epochs may extend it)")
	fs.BoolVar(&dryRun, "dry-run", false, "build the network, print its summary and exit")
	tb := fs.Bool("tensorboard", false, tensorboardUsage)
	setThreads := addThreadsFlag(fs)
	if help, err := parseFlags(fs, args); help || err != nil {
		if help {
			printHelp(stdout, fs, withFolderHelp(trainHelp))
		}
		return err
	}
	if err := setThreads(); err != nil {
		return err
	}

	var conf job.TrainConfig
	if resume {
		if genoPath != "" || runDir != "" || dryRun {
			return usageErrorf("--resume takes its genotype and settings from --out's config.json; drop --genotype, --run and --dry-run")
		}
	} else {
		switch {
		case genoPath != "" && runDir != "":
			return usageErrorf("give either --genotype or --run, not both")
		case runDir != "":
			genoPath = rundir.GenotypeJSONPath(runDir)
		case genoPath == "":
			return usageErrorf("--genotype FILE or --run SEARCH_RUN is required")
		}
		g, err := readGenotype(genoPath)
		if err != nil {
			if runDir != "" && errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("--run %s: no genotype.json (has the search finished an epoch?): %w", runDir, err)
			}
			return err
		}
		sp := g.Space
		if sp == "" {
			sp = space.DARTSName
		}
		rec, err := retrain.RecipeFor(sp, budget)
		if err != nil {
			return usageErrorf("--budget: %v", err)
		}
		fill := func(name string, dst *float64, v float64) {
			if !fs.Changed(name) {
				*dst = v
			}
		}
		fillInt := func(name string, dst *int, v int) {
			if !fs.Changed(name) {
				*dst = v
			}
		}
		rs := rec.Settings
		fillInt("epochs", &st.Epochs, rs.Epochs)
		fillInt("batch-size", &st.BatchSize, rs.BatchSize)
		fillInt("init-channels", &initC, rec.C)
		fill("drop-path", &st.DropPath, rs.DropPath)
		fill("learning-rate", &st.LR, rs.LR)
		fill("learning-rate-min", &st.LRMin, rs.LRMin)
		fill("momentum", &st.Momentum, rs.Momentum)
		fill("weight-decay", &st.WeightDecay, rs.WeightDecay)
		fill("grad-clip", &st.GradClip, rs.GradClip)
		if !fs.Changed("nesterov") {
			st.Nesterov = rs.Nesterov
		}
		if sp == space.NB201Name {
			for _, f := range []string{"layers", "auxiliary"} {
				if fs.Changed(f) {
					return usageErrorf("--%s: not a setting of NAS-Bench-201 networks (they take --cells-per-stage)", f)
				}
			}
			layers = 0
			fillInt("cells-per-stage", &cells, rec.CellsPerStage)
		} else {
			if fs.Changed("cells-per-stage") {
				return usageErrorf("--cells-per-stage: a setting of NAS-Bench-201 networks, not of %s (it takes --layers)", sp)
			}
			cells = 0
			fillInt("layers", &layers, rec.Layers)
		}
		o.TrainPortion = 0.5 // training uses search-train and search-val together
		if err := checkDataFlags(&o, shape); err != nil {
			return err
		}
		if err := folder.apply(fs, &o); err != nil {
			return err
		}
		if err := st.Validate(); err != nil {
			return usageErrorf("%v", err)
		}
		o.Seed = st.Seed
		conf = job.TrainConfig{Command: "darts train " + strings.Join(args, " "), Genotype: g, From: genoPath, Data: o, Train: st}
		if !dryRun {
			if err := job.CheckNewRun(out); err != nil {
				return err
			}
		}
	}
	epochs := 0
	if resume && fs.Changed("epochs") {
		if st.Epochs < 1 {
			return usageErrorf("--epochs %d: need at least 1", st.Epochs)
		}
		epochs = st.Epochs
	}
	onEpoch, closeTB := tensorboardHook(*tb, out, "train", stderr)
	defer closeTB()
	opts := job.TrainOptions{Dir: out, Resume: resume, Epochs: epochs, Layers: layers, CellsPerStage: cells, Channels: initC, Auxiliary: aux,
		Report: newReporter(stderr), ResumeCommand: "darts train --resume --out " + out, OnEpoch: onEpoch}
	t, err := job.BuildTraining(conf, opts)
	if err != nil {
		return jobError(err, resume)
	}
	if dryRun {
		printSummary(stdout, t.Net, t.Conf)
		return nil
	}
	ctx, stop := job.WithSignals(context.Background())
	defer stop()
	if err := t.Run(ctx); err != nil {
		return jobError(err, resume)
	}
	return printResult(stdout, out, t.Conf)
}

// readGenotype reads the genotype file at arg or, if no such file exists
// and arg looks like a genotype (a NAS-Bench-201 string, DARTS's
// Genotype(...) text or JSON), the genotype arg spells.
func readGenotype(arg string) (derive.Genotype, error) {
	g, err := derive.ReadFile(arg)
	if err == nil || !errors.Is(err, os.ErrNotExist) {
		return g, err
	}
	lit := strings.TrimSpace(arg)
	if strings.HasPrefix(lit, "|") || strings.HasPrefix(lit, "Genotype(") || strings.HasPrefix(lit, "{") {
		g, perr := derive.Parse(strings.NewReader(lit))
		if perr != nil {
			return g, fmt.Errorf("--genotype: no such file, and not a genotype: %w", perr)
		}
		return g, nil
	}
	return g, fmt.Errorf("--genotype: %w", err)
}

// printResult prints the parameter count and the final and best test
// accuracy from the run's metrics.
func printResult(w io.Writer, dir string, conf job.TrainConfig) error {
	ms, err := rundir.ReadMetrics(rundir.MetricsPath(dir))
	if err != nil {
		return err
	}
	best, bestEpoch := -1.0, 0
	var last rundir.Metrics
	for _, m := range ms {
		if m.TestAcc == nil {
			continue
		}
		if *m.TestAcc > best {
			best, bestEpoch = *m.TestAcc, m.Epoch
		}
		last = m
	}
	if last.TestAcc == nil {
		return fmt.Errorf("%s: no epoch with a test accuracy", rundir.MetricsPath(dir))
	}
	fmt.Fprintf(w, "params: %s (%.2fM)\nfinal test accuracy: %.2f%% (epoch %d)\nbest test accuracy: %.2f%% (epoch %d)\nmodel: %s\n",
		thousands(conf.Params), float64(conf.Params)/1e6, 100**last.TestAcc, last.Epoch, 100*best, bestEpoch,
		filepath.Join(dir, retrain.WeightsFile))
	return nil
}

// printSummary is --dry-run's output.
func printSummary(w io.Writer, net *supernet.Discrete[float32], conf job.TrainConfig) {
	c := net.Cfg
	fmt.Fprintf(w, "genotype: %s\n", conf.Genotype)
	size := fmt.Sprintf("%d layers", c.Layers)
	if c.Space == space.NB201Name {
		size = fmt.Sprintf("NAS-Bench-201 network, 3 stages of %d cells", c.CellsPerStage)
	}
	fmt.Fprintf(w, "input %dx%dx%d, %d classes, %s, %d init channels\n", c.InputC, c.InputH, c.InputW, c.Classes, size, c.C)
	fmt.Fprintf(w, "params: %s (%.2fM)%s\n", thousands(net.NumParams()), float64(net.NumParams())/1e6, auxNote(net.NumAuxParams()))
	fmt.Fprintf(w, "estimated training memory at batch %d: %.0f MB\n", conf.Train.BatchSize, float64(net.EstimateMemory(conf.Train.BatchSize))/1e6)
	cells := net.CellShapes()
	if len(cells) > 0 {
		fmt.Fprintf(w, "stem:     %dx%dx%d -> %s\n", c.InputC, c.InputH, c.InputW, chw(cells[0].In1))
	}
	for _, cs := range cells {
		if c.Space == space.NB201Name {
			kind := "cell  "
			if cs.Block {
				kind = "resnet"
			}
			fmt.Fprintf(w, "cell %2d:  %s  %s -> %s  %s params\n", cs.Index, kind, chw(cs.In0), chw(cs.Out), thousands(cs.Params))
			continue
		}
		kind := "normal"
		if cs.Reduction {
			kind = "reduce"
		}
		aux := ""
		if c.Auxiliary && cs.Index == c.AuxCell() {
			aux = "  (auxiliary head)"
		}
		fmt.Fprintf(w, "cell %2d:  %s  %s, %s -> %s  %s params%s\n", cs.Index, kind, chw(cs.In0), chw(cs.In1), chw(cs.Out), thousands(cs.Params), aux)
	}
}

// chw prints one example's shape as CxHxW.
func chw(s mixedop.Shape) string { return fmt.Sprintf("%dx%dx%d", s.C, s.H, s.W) }

func auxNote(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf(" (+%s in the auxiliary head, training only)", thousands(n))
}

// thousands formats n with commas: 3,349,342.
func thousands(n int) string { return job.Thousands(n) }
