package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/darts-go/darts/derive"
	"github.com/darts-go/darts/job"
	"github.com/darts-go/darts/projection"
	"github.com/darts-go/darts/rundir"
	"github.com/darts-go/darts/space"
	"github.com/spf13/pflag"
)

func init() {
	register(&command{Name: "derive", Summary: "derive a genotype from a search run's alphas, or a random one", Run: runDerive})
}

const deriveHelp = `Usage: darts derive --run DIR [--epoch N] [--json] [--out FILE]
       darts derive --run DIR --rule perturbation [--pt-interval 5] [--pt-criterion acc] [--pt-seed N]
       darts derive --random SEED [--space darts] [--ops darts] [--nodes 4] [--json] [--out FILE]

--run applies the search run's derivation rule to its architecture weights
(RUN/alphas.jsonl: the last epoch, or --epoch N; 0 is the initialization):
on the DARTS space, per node the two strongest edges by their best
non-'none' op; on NAS-Bench-201, the strongest op of every edge, 'none'
included (AutoDL-Projects' genotype()).

--rule perturbation is DARTS-PT's selection (Wang et al., ICLR 2021;
ruocwang/darts-pt) on a finished DARTS-space search run (darts, or any
method whose supernet mixes ops by softmax): from the run's final
checkpoint, each round picks one undecided edge per cell at random and
fixes it to the op whose removal lowers the supernet's search-val accuracy
most (BatchNorm on batch statistics, all of search-val); after the 14 op
rounds, 3 more keep on each node the two edges whose removals hurt most.
Between rounds the supernet tunes (weights and alphas) for --pt-interval
epochs at a tenth of the run's learning rate: 5·16+1 = 81 epochs by
default, each as long as one of the search's. It works in
RUN/perturbation/ (selection.json: every decision and probe; the tuning's
checkpoint; genotype.json/.txt) and, stopped, continues where it was when
the same command is run again.

--random draws the random baseline of --space: alphas from N(0,1), then the
space's rule, so that a searched cell can be compared with random cells at
equal budget (on NAS-Bench-201 every cell of the space is equally likely).
The same SEED always gives the same genotype.

The genotype is printed in the original DARTS text form, or as a
NAS-Bench-201 string (--json: as JSON), or written to --out. A cell whose
output does not depend on its input (only 'none' on every path) gets a
warning.

Examples:
  darts derive --run runs/search --epoch 3
  darts derive --random 1 --out random1.json --json
  darts derive --run runs/search --rule perturbation --pt-interval 1
  darts derive --random 7 --space nas-bench-201
  darts train --genotype random1.json --dataset fashion-mnist

Flags:
`

func runDerive(args []string) error { return deriveCmd(args, os.Stdout, os.Stderr) }

// deriveCmd is runDerive with its output streams passed in, for tests.
func deriveCmd(args []string, stdout, stderr io.Writer) error {
	fs := pflag.NewFlagSet("derive", pflag.ContinueOnError)
	var (
		run, ops, out string
		spaceName     string
		epoch, nodes  int
		seed          uint64
		asJSON        bool
		rule, ptCrit  string
		ptInterval    int
		ptSeed        uint64
	)
	fs.StringVar(&run, "run", "", "search run `dir`")
	fs.IntVar(&epoch, "epoch", -1, "derive from the alphas after epoch `N` (default: the last)")
	fs.Uint64Var(&seed, "random", 0, "draw a random genotype from `seed`")
	fs.StringVar(&spaceName, "space", space.DARTSName, "search space of --random: "+strings.Join(space.Names(), ", "))
	fs.StringVar(&ops, "ops", "", "candidate ops of --random: a named set ("+strings.Join(space.OpSetNames(), ", ")+") or op names separated by commas (default: the space's)")
	fs.IntVar(&nodes, "nodes", 4, "intermediate nodes per cell of --random")
	fs.StringVar(&rule, "rule", "", "with --run: `perturbation` selects by DARTS-PT's removal test instead of the run's rule on its alphas")
	fs.IntVar(&ptInterval, "pt-interval", projection.DefaultInterval, "--rule perturbation: tuning epochs between two decisions (0: none)")
	fs.StringVar(&ptCrit, "pt-criterion", projection.CritAcc, "--rule perturbation: acc (lowest search-val accuracy without the op) or loss (highest loss)")
	fs.Uint64Var(&ptSeed, "pt-seed", 0, "--rule perturbation: seed of the visiting order and tuning data (default: the run's seed)")
	fs.BoolVar(&asJSON, "json", false, "print JSON instead of the DARTS text form")
	fs.StringVar(&out, "out", "", "write to `file` (replaced atomically) instead of standard output")
	if help, err := parseFlags(fs, args); help || err != nil {
		if help {
			printHelp(stdout, fs, deriveHelp)
		}
		return err
	}
	random := fs.Changed("random")
	for _, f := range []string{"pt-interval", "pt-criterion", "pt-seed"} {
		if fs.Changed(f) && rule != "perturbation" {
			return usageErrorf("--%s goes with --rule perturbation", f)
		}
	}
	if rule != "" && rule != "perturbation" {
		return usageErrorf("--rule %q: the only rule besides the run's own is perturbation", rule)
	}
	var g derive.Genotype
	switch {
	case rule != "" && (run == "" || random || fs.Changed("epoch")):
		return usageErrorf("--rule perturbation needs --run and works on the run's final checkpoint (no --epoch)")
	case rule == "perturbation":
		o := projection.Options{Interval: ptInterval, Criterion: ptCrit, Seed: ptSeed}
		if err := o.Validate(); err != nil {
			return usageErrorf("--pt-interval, --pt-criterion: %v", err)
		}
		ctx, stop := job.WithSignals(context.Background())
		defer stop()
		resume := "darts derive --run " + run + " --rule perturbation"
		if fs.Changed("pt-interval") {
			resume += fmt.Sprintf(" --pt-interval %d", ptInterval)
		}
		if fs.Changed("pt-criterion") {
			resume += " --pt-criterion " + ptCrit
		}
		if fs.Changed("pt-seed") {
			resume += fmt.Sprintf(" --pt-seed %d", ptSeed)
		}
		var err error
		if g, err = job.SelectPerturbation(ctx, job.PerturbationOptions{Run: run, Opts: o, SeedSet: fs.Changed("pt-seed"),
			Report: newReporter(stderr), ResumeCommand: resume}); err != nil {
			return err
		}
	case run != "" && random:
		return usageErrorf("give either --run or --random, not both")
	case random:
		if fs.Changed("epoch") {
			return usageErrorf("--epoch goes with --run, not --random")
		}
		if nodes < 1 {
			return usageErrorf("--nodes %d: need at least 1", nodes)
		}
		var sp space.Space
		switch spaceName {
		case space.DARTSName:
			if ops == "" {
				ops = "darts"
			}
		case space.NB201Name:
			if fs.Changed("nodes") {
				return usageErrorf("--nodes: the NAS-Bench-201 cell has 3 nodes")
			}
			if ops == "" {
				ops = "nb201-ops"
			}
		default:
			return usageErrorf("--space %q: unknown (known: %s)", spaceName, strings.Join(space.Names(), ", "))
		}
		prims, err := space.OpSet(ops)
		if err != nil {
			return usageErrorf("--ops: %v", err)
		}
		if spaceName == space.NB201Name {
			sp = space.NB201(prims)
		} else {
			sp = space.DARTS(nodes, nodes, prims)
		}
		if g, err = derive.Random(seed, sp, derive.DefaultRule(sp.Name)); err != nil {
			return usageErrorf("--ops %q: no cell can be derived: %v", ops, err)
		}
	case run != "":
		if fs.Changed("ops") || fs.Changed("nodes") || fs.Changed("space") {
			return usageErrorf("--space, --ops and --nodes go with --random; --run takes them from its alphas")
		}
		var err error
		if g, err = deriveFromRun(run, epoch, stderr); err != nil {
			return err
		}
	default:
		return usageErrorf("--run DIR or --random SEED is required")
	}
	if w := g.ReachabilityWarning(); w != "" {
		fmt.Fprintf(stderr, "warning: %s\n", w)
	}
	var data []byte
	if asJSON {
		b, err := g.MarshalJSON()
		if err != nil {
			return err
		}
		data = append(b, '\n')
	} else {
		data = []byte(g.String() + "\n")
	}
	if out == "" {
		_, err := stdout.Write(data)
		return err
	}
	return rundir.WriteFileAtomic(out, data, 0o644)
}

// deriveFromRun derives the genotype of epoch (-1: the last) of a search
// run's alphas.jsonl.
func deriveFromRun(run string, epoch int, stderr io.Writer) (derive.Genotype, error) {
	path := rundir.AlphasPath(run)
	as, err := rundir.ReadAlphas(path)
	var te *rundir.TruncatedError
	if errors.As(err, &te) {
		fmt.Fprintf(stderr, "warning: %v\n", err)
	} else if err != nil {
		return derive.Genotype{}, err
	}
	if len(as) == 0 {
		return derive.Genotype{}, fmt.Errorf("%s: no alphas (has the search started?)", path)
	}
	a := as[len(as)-1]
	if epoch >= 0 {
		i := slices.IndexFunc(as, func(a rundir.Alphas) bool { return a.Epoch == epoch })
		if i < 0 {
			return derive.Genotype{}, fmt.Errorf("%s: no line for epoch %d (it has epochs %d..%d)", path, epoch, as[0].Epoch, as[len(as)-1].Epoch)
		}
		a = as[i]
	}
	rule, err := derive.RuleByName(a.Rule)
	if err != nil {
		return derive.Genotype{}, fmt.Errorf("%s epoch %d: %w", path, a.Epoch, err)
	}
	g, err := derive.Derive(a.Space, rule, a.CellWeights())
	if err != nil {
		return derive.Genotype{}, fmt.Errorf("%s epoch %d: %w", path, a.Epoch, err)
	}
	return g, nil
}
