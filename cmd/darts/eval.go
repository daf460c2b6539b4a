package main

import (
	"fmt"
	"io"
	"os"

	"github.com/darts-go/darts/datasets"
	"github.com/darts-go/darts/job"
	"github.com/darts-go/darts/retrain"
	"github.com/spf13/pflag"
)

func init() {
	register(&command{Name: "eval", Summary: "evaluate a trained model on the test set", Run: runEval})
}

const evalHelp = `Usage: darts eval --run DIR [flags]

Rebuilds the network of a training run (darts train) from RUN/config.json,
loads its weights (RUN/weights.dgo, or --weights FILE) and evaluates it on
the test split of the run's dataset, with BatchNorm's running statistics.

With --logits it also writes the logits of the images it evaluated as a
float32 .npy array (N×classes), and with --images those images (N×C×H×W,
pixels in [0, 1] before normalization, the input of 'darts export --format
onnx'), so that another tool's predictions can be compared with darts-go's;
--limit N evaluates only the first N test images.

Examples:
  darts eval --run runs/train
  darts eval --run runs/train --weights other/weights.dgo
  darts eval --run runs/train --limit 100 --logits logits.npy --images images.npy

Flags:
`

func runEval(args []string) error { return eval(args, os.Stdout) }

// eval is runEval with its standard output passed in, for tests.
func eval(args []string, stdout io.Writer) error {
	fs := pflag.NewFlagSet("eval", pflag.ContinueOnError)
	var (
		run, weights, dataDir string
		batch                 int
	)
	fs.StringVar(&run, "run", "", "training run `dir`")
	fs.StringVar(&weights, "weights", "", "weights `file` (default RUN/weights.dgo)")
	fs.StringVar(&dataDir, "data-dir", "", "read the dataset's files from `dir` instead of the run's setting")
	folder := addFolderFlags(fs)
	fs.IntVar(&batch, "batch-size", 0, "evaluation batch size (default: the run's)")
	outs := addEvalOutputFlags(fs)
	setThreads := addThreadsFlag(fs)
	if help, err := parseFlags(fs, args); help || err != nil {
		if help {
			printHelp(stdout, fs, evalHelp)
		}
		return err
	}
	if err := setThreads(); err != nil {
		return err
	}
	if run == "" {
		return usageErrorf("--run is required")
	}
	if batch < 0 {
		return usageErrorf("--batch-size %d: need a positive size", batch)
	}
	if err := outs.check(); err != nil {
		return err
	}
	tr, err := job.OpenTraining(run, weights)
	if err != nil {
		return err
	}
	conf := tr.Conf
	if batch == 0 {
		batch = conf.Train.BatchSize
	}
	if dataDir != "" {
		conf.Data.DataDir = dataDir
	}
	if err := folder.apply(fs, &conf.Data); err != nil {
		return err
	}
	data, err := datasets.Load(conf.Data)
	if err != nil {
		return err
	}
	if err := checkEvalData(os.Stderr, tr, data.Info); err != nil {
		return err
	}
	if outs.used() {
		return evalAndWrite(stdout, tr, data, batch, outs)
	}
	loss, acc, err := retrain.Evaluate(tr.Net, data.Test, batch)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s (trained %d epochs, %s params) on %s test (%d images): loss %.4f, accuracy %.2f%%\n",
		tr.Weights, tr.Epochs, thousands(tr.Net.NumParams()), data.Info.Name, data.Test.Len(), loss, 100*acc)
	return nil
}
