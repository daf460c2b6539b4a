package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/darts-go/darts/datasets"
	"github.com/darts-go/darts/derive"
	"github.com/darts-go/darts/mixedop"
	"github.com/darts-go/darts/rundir"
	"github.com/darts-go/darts/supernet"
	"github.com/spf13/pflag"
)

func init() {
	register(&command{Name: "train", Summary: "retrain a genotype from scratch and evaluate it on the test set", Run: runTrain})
}

// trainConfig is config.json of a training run: every setting, resolved.
type trainConfig struct {
	Program   string                  `json:"program"`
	Command   string                  `json:"command"`
	Genotype  derive.Genotype         `json:"genotype"`
	From      string                  `json:"genotype_file"`
	Data      datasets.Options        `json:"data"`
	DataInfo  datasets.Info           `json:"data_info"`
	Network   supernet.DiscreteConfig `json:"network"`
	Train     derive.TrainSettings    `json:"train"`
	Params    int                     `json:"params"`
	AuxParams int                     `json:"aux_params"`
	Started   string                  `json:"started"`
}

// readTrainConfig reads RUN/config.json of a training run.
func readTrainConfig(dir string) (trainConfig, error) {
	var conf trainConfig
	b, err := os.ReadFile(rundir.ConfigPath(dir))
	if err != nil {
		return conf, err
	}
	if err := json.Unmarshal(b, &conf); err != nil {
		return conf, fmt.Errorf("%s: %w", rundir.ConfigPath(dir), err)
	}
	if conf.Network.Layers == 0 || len(conf.Network.Normal.Edges) == 0 {
		return conf, fmt.Errorf("%s: not the config of a training run (no network; is it a search run?)", rundir.ConfigPath(dir))
	}
	return conf, nil
}

const trainHelp = `Usage: darts train (--genotype FILE | --run SEARCH_RUN) [flags]

Trains the network of a genotype from scratch, as the original DARTS
train.py: the cell stacked --layers times (reductions at 1/3 and 2/3 of the
depth), SGD with momentum 0.9 and weight decay 3e-4, a cosine learning rate
from 0.025 to 0, gradient clipping at 5, drop path ramped linearly from 0 to
--drop-path, optionally the auxiliary head (loss weight 0.4) and cutout.
It trains on the whole training set and evaluates on the test set after
every epoch.

The run directory (--out) gets config.json, metrics.jsonl (train and test
loss and accuracy per epoch), genotype.json/.txt, weights.dgo (the model,
see 'go doc github.com/darts-go/darts/derive SaveWeights') and
checkpoint.dgo (rewritten after every step, in the background, and by
Ctrl-C); --resume continues exactly, even after a hard kill.

Examples:
  darts train --run runs/search --dataset fashion-mnist --epochs 20 --out runs/fm-train
  darts train --genotype derive/testdata/darts_v2.json --dataset synthetic --input-shape 3x32x32 \
      --layers 20 --init-channels 36 --auxiliary --dry-run
  darts train --resume --out runs/fm-train

Flags:
`

func runTrain(args []string) error { return train(args, os.Stdout, os.Stderr) }

// train is runTrain with its output streams passed in, for tests.
func train(args []string, stdout, stderr io.Writer) error {
	fs := pflag.NewFlagSet("train", pflag.ContinueOnError)
	def := derive.DefaultTrainSettings()
	var (
		o        datasets.Options
		shape    string
		st       = def
		genoPath string
		runDir   string
		layers   int
		initC    int
		aux      bool
		out      string
		resume   bool
		dryRun   bool
	)
	fs.StringVar(&genoPath, "genotype", "", "train the genotype in `file` (JSON or DARTS text)")
	fs.StringVar(&runDir, "run", "", "train the genotype of the search run in `dir` (its genotype.json)")
	fs.StringVar(&o.Name, "dataset", "mnist", "dataset `name`: "+strings.Join(datasets.Names(), ", "))
	fs.StringVar(&o.DataDir, "data-dir", "", "read the dataset's files from `dir`")
	fs.IntVar(&o.Limit, "limit", 0, "use only the first `N` training and test examples (0 = all)")
	fs.StringVar(&shape, "input-shape", "", "image shape `CxHxW` of --dataset synthetic")
	fs.IntVar(&o.Classes, "classes", 0, "classes of --dataset synthetic")
	fs.IntVar(&st.Epochs, "epochs", 10, "training epochs")
	fs.IntVar(&st.BatchSize, "batch-size", 64, "batch size")
	fs.IntVar(&layers, "layers", 8, "cells in the network")
	fs.IntVar(&initC, "init-channels", 16, "channels of the first cells")
	fs.BoolVar(&aux, "auxiliary", false, "train with the auxiliary head (loss weight 0.4)")
	fs.IntVar(&st.Cutout, "cutout", 0, "cutout square side `N` (0 = none; DARTS uses 16 on CIFAR)")
	fs.Float64Var(&st.DropPath, "drop-path", def.DropPath, "final drop-path probability `P`")
	fs.Float64Var(&st.LR, "learning-rate", def.LR, "initial learning rate (cosine schedule)")
	fs.Float64Var(&st.LRMin, "learning-rate-min", def.LRMin, "final learning rate")
	fs.Uint64Var(&st.Seed, "seed", 0, "seed of the initialization, data order, augmentation and drop path")
	fs.StringVar(&out, "out", "runs/train", "run directory `DIR`")
	fs.BoolVar(&resume, "resume", false, "continue the run in --out from its checkpoint (settings come from its config.json; --epochs may extend it)")
	fs.BoolVar(&dryRun, "dry-run", false, "build the network, print its summary and exit")
	setThreads := addThreadsFlag(fs)
	if help, err := parseFlags(fs, args); help || err != nil {
		if help {
			printHelp(stdout, fs, trainHelp)
		}
		return err
	}
	if err := setThreads(); err != nil {
		return err
	}

	var conf trainConfig
	if resume {
		if genoPath != "" || runDir != "" || dryRun {
			return usageErrorf("--resume takes its genotype and settings from --out's config.json; drop --genotype, --run and --dry-run")
		}
		var err error
		if conf, err = readTrainConfig(out); err != nil {
			return fmt.Errorf("--resume: %w (is --out %s a training run?)", err, out)
		}
		if err := extendEpochs(fs, st.Epochs, &conf.Train.Epochs); err != nil {
			return err
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
		g, err := derive.ReadFile(genoPath)
		if err != nil {
			if runDir != "" && errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("--run %s: no genotype.json (has the search finished an epoch?): %w", runDir, err)
			}
			return err
		}
		o.TrainPortion = 0.5 // training uses search-train and search-val together
		if err := checkDataFlags(&o, shape); err != nil {
			return err
		}
		if err := st.Validate(); err != nil {
			return usageErrorf("%v", err)
		}
		o.Seed = st.Seed
		conf = trainConfig{Program: version, Command: "darts train " + strings.Join(args, " "), Genotype: g, From: genoPath, Data: o, Train: st}
		if !dryRun {
			if err := checkNewRun(out); err != nil {
				return err
			}
		}
	}

	data, err := datasets.Load(conf.Data)
	if err != nil {
		return err
	}
	if !resume {
		conf.Network = derive.NetworkConfig(conf.Genotype, data.Info.Shape, data.Info.Classes, initC, layers, aux)
	}
	conf.DataInfo = data.Info
	net, err := supernet.NewDiscrete[float32](conf.Network, conf.Train.Seed)
	if err != nil {
		return usageErrorf("%v", err)
	}
	conf.Params, conf.AuxParams = net.NumParams(), net.NumAuxParams()
	if dryRun {
		printSummary(stdout, net, conf)
		return nil
	}
	tr, err := derive.NewTrainer(net, data, conf.Train)
	if err != nil {
		return err
	}
	defer tr.Close()

	loop := &runLoop{cmd: "train", out: out, ckpt: filepath.Join(out, derive.TrainCheckpointFile), stderr: stderr,
		state: tr, epochs: conf.Train.Epochs,
		pos: func() (int, int) { return tr.Epoch, tr.Step },
		runEpoch: func(ctx context.Context, onStep func(int, float64, float64)) (rundir.Metrics, error) {
			return tr.RunEpoch(ctx, func(si derive.StepInfo) { onStep(si.Step, si.Loss, si.Acc) })
		},
		finish: func(m rundir.Metrics) (string, error) {
			if err := rundir.AppendJSONLine(rundir.MetricsPath(out), m); err != nil {
				return "", err
			}
			if err := derive.SaveWeights(filepath.Join(out, derive.WeightsFile), net, m.Epoch); err != nil {
				return "", err
			}
			return fmt.Sprintf("epoch %d/%d  train loss %.4f acc %.2f%%  test loss %.4f acc %.2f%%  lr %.5f  drop path %.3f  %.0fs",
				m.Epoch, conf.Train.Epochs, m.TrainLoss, 100*m.TrainAcc, *m.TestLoss, 100**m.TestAcc, m.LR,
				conf.Train.DropPath*float64(m.Epoch-1)/float64(conf.Train.Epochs), m.Seconds), nil
		},
	}
	genotype := func() error { return writeGenotype(out, conf.Genotype) }
	if err := loop.open(resume, &conf.Started, &conf, genotype, rundir.MetricsPath(out)); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "train: %s, %d training / %d test images of %dx%dx%d, %d classes\n",
		data.Info.Name, data.Info.Train+data.Info.Val, data.Info.Test, data.Info.Shape[0], data.Info.Shape[1], data.Info.Shape[2], data.Info.Classes)
	fmt.Fprintf(stderr, "network: %d layers, %d init channels, %s parameters%s, %d steps/epoch of batch %d\n",
		conf.Network.Layers, conf.Network.C, thousands(conf.Params), auxNote(conf.AuxParams), tr.StepsPerEpoch(), conf.Train.BatchSize)
	if err := loop.run(); err != nil {
		return err
	}
	return printResult(stdout, out, conf)
}

// writeGenotype writes the run's genotype.json and genotype.txt, so that
// plots and export read a training run like a search run.
func writeGenotype(dir string, g derive.Genotype) error {
	js, err := json.MarshalIndent(g, "", "  ")
	if err != nil {
		return err
	}
	if err := rundir.WriteFileAtomic(rundir.GenotypeJSONPath(dir), append(js, '\n'), 0o644); err != nil {
		return err
	}
	return rundir.WriteFileAtomic(rundir.GenotypeTextPath(dir), []byte(g.String()+"\n"), 0o644)
}

// printResult prints the parameter count and the final and best test
// accuracy from the run's metrics.
func printResult(w io.Writer, dir string, conf trainConfig) error {
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
		filepath.Join(dir, derive.WeightsFile))
	return nil
}

// printSummary is --dry-run's output.
func printSummary(w io.Writer, net *supernet.Discrete[float32], conf trainConfig) {
	c := net.Cfg
	fmt.Fprintf(w, "genotype: %s\n", conf.Genotype)
	fmt.Fprintf(w, "input %dx%dx%d, %d classes, %d layers, %d init channels\n", c.InputC, c.InputH, c.InputW, c.Classes, c.Layers, c.C)
	fmt.Fprintf(w, "params: %s (%.2fM)%s\n", thousands(net.NumParams()), float64(net.NumParams())/1e6, auxNote(net.NumAuxParams()))
	fmt.Fprintf(w, "estimated training memory at batch %d: %.0f MB\n", conf.Train.BatchSize, float64(net.EstimateMemory(conf.Train.BatchSize))/1e6)
	cells := net.CellShapes()
	if len(cells) > 0 {
		fmt.Fprintf(w, "stem:     %dx%dx%d -> %s\n", c.InputC, c.InputH, c.InputW, chw(cells[0].In1))
	}
	for _, cs := range cells {
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
func thousands(n int) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + thousands(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
