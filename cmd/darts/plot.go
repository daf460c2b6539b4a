package main

import (
	"fmt"
	"io"
	"os"

	"github.com/darts-go/darts/plots"
	"github.com/spf13/pflag"
)

func init() {
	register(&command{Name: "plot", Summary: "draw the figures of a run directory (alphas, weights, curves, cells)", Run: runPlot})
}

const plotHelp = `Usage: darts plot --run DIR [--out DIR] [--format png|svg|pdf]

Draws every figure the files of a run directory allow, from those files
alone:
  alphas_normal, alphas_reduce    softmax weight of every op per edge over the epochs
  weights_normal, weights_reduce  final weights, edges x ops, derived choices boxed
  skip_count                      skip connections in the derived normal cell per epoch
  curves                          loss, accuracy and learning rate per epoch
  cell_normal, cell_reduce        the genotype's cells as graphs
  strategies                      score against candidates evaluated, best so far and
                                  every candidate, of each selection on the run's
                                  supernet (DIR/select/*: darts select)
A training run (darts train) has the curves (train and test) and the cells;
a selection directory (darts select --out) its strategy and chosen cells.
A missing or damaged file (no alphas.jsonl, a truncated last line, ops
that change between lines) is reported as a warning on standard error and
the remaining figures are still drawn. The files written are listed on
standard output.

Examples:
  darts plot --run runs/mnist --format pdf
  darts plot --run runs/fm --out /tmp/fm-plots

Flags:
`

func runPlot(args []string) error { return plot(args, os.Stdout, os.Stderr) }

// plot is runPlot with its output streams passed in, for tests.
func plot(args []string, stdout, stderr io.Writer) error {
	fs := pflag.NewFlagSet("plot", pflag.ContinueOnError)
	var run, out, format string
	fs.StringVar(&run, "run", "", "read the run directory `dir`")
	fs.StringVar(&out, "out", "", "write the figures to `dir` (default DIR/plots)")
	fs.StringVar(&format, "format", "png", "image `format`: png, svg or pdf")
	if help, err := parseFlags(fs, args); help || err != nil {
		if help {
			printHelp(stdout, fs, plotHelp)
		}
		return err
	}
	if run == "" {
		return usageErrorf("--run is required")
	}
	switch format {
	case "png", "svg", "pdf":
	default:
		return usageErrorf("--format %q: want png, svg or pdf", format)
	}
	written, warnings, err := plots.All(run, out, format)
	for _, w := range warnings {
		fmt.Fprintln(stderr, "warning:", w)
	}
	for _, p := range written {
		fmt.Fprintln(stdout, p)
	}
	return err
}
