package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/darts-go/darts/bilevel"
	"github.com/darts-go/darts/datasets"
	"github.com/darts-go/darts/job"
	"github.com/darts-go/darts/rundir"
	"github.com/darts-go/darts/strategy"
	"github.com/darts-go/darts/supernet"
	"github.com/spf13/pflag"
)

func init() {
	register(&command{Name: "select", Summary: "search a trained supernet by random, grid, evolution or reinforce, scoring with its shared weights", Run: runSelect})
}

const selectHelp = `Usage: darts select --run SEARCH_RUN --strategy random|grid|evolution|reinforce [flags]

Searches the supernet of a finished search (RUN/checkpoint.dgo, any
method) by a strategy that needs no gradient, scoring every candidate
architecture with the supernet's shared weights on a few search-val
batches (the same batches for every candidate, only the candidate's ops
run), as the one-shot methods (ENAS, RSPS, SPOS) estimate them:

  random     uniform samples (two distinct inputs per node and an op of all
             the primitives, 'none' included, on the DARTS space; an op per
             edge on NAS-Bench-201)
  grid       every architecture of the space in turn (NAS-Bench-201: 15,625);
             the time it will take is printed first
  evolution  regularized (aging) evolution: a population of --population,
             the best of a tournament of --tournament is mutated once (one op
             or one input changed), the child replaces the oldest
  reinforce  REINFORCE: a categorical distribution per decision, Adam on its
             logits, a moving-average baseline

--budget is the number of candidates evaluated (grid: all by default). At
the end the best --rescore candidates are scored again on the whole
search-val split and the best of them is chosen. BatchNorm normalizes with
each batch's statistics (--bn batch), the supernet's running statistics
(--bn running) or statistics re-estimated for each candidate on
--bn-batches search-train batches (--bn recalc).

The selection directory (--out, default RUN/select/STRATEGY) gets
config.json, select.jsonl (one line per candidate: n, genotype, decisions,
score, loss, seconds, best so far), result.json (the rescored and the
chosen) and the chosen genotype as genotype.json and genotype.txt, for
darts train --genotype. Runs are seeded; Ctrl-C or a kill stops after the
candidate in progress, and --resume continues (or extends --budget).
'darts plot --run RUN' draws every strategy run on the supernet side by
side (plots/strategies.png).

Examples:
  darts select --run runs/rsps --strategy evolution --budget 300
  darts select --run runs/nb201 --strategy grid --batches 1
  darts select --run runs/rsps --strategy reinforce --budget 300 --resume
  darts train --genotype runs/rsps/select/evolution/genotype.json

Flags:
`

func runSelect(args []string) error { return selectCmd(args, os.Stdout, os.Stderr) }

// selectCmd is runSelect with its output streams passed in, for tests.
func selectCmd(args []string, stdout, stderr io.Writer) error {
	fs := pflag.NewFlagSet("select", pflag.ContinueOnError)
	var (
		run, name, out, bn string
		resume             bool
		s                  strategy.Settings
	)
	def := strategy.DefaultSettings(strategy.EvolutionName)
	ref := strategy.DefaultSettings(strategy.ReinforceName)
	fs.StringVar(&run, "run", "", "the search run `dir` whose supernet (checkpoint.dgo) is scored")
	fs.StringVar(&name, "strategy", "", "search `strategy`: "+strings.Join(strategy.Names(), ", "))
	fs.IntVar(&s.Budget, "budget", def.Budget, "candidates to evaluate (grid: all of the space unless given)")
	fs.Uint64Var(&s.Seed, "seed", 1, "seed of the strategy and of the scoring batches")
	fs.IntVar(&s.Rescore, "rescore", def.Rescore, "best `K` candidates scored again on the whole search-val split (0: none)")
	fs.IntVar(&s.Score.Batches, "batches", def.Score.Batches, "search-val batches each candidate is scored on")
	fs.IntVar(&s.Score.BatchSize, "batch-size", 0, "batch size of the scoring (0: the search's)")
	fs.StringVar(&bn, "bn", string(strategy.BNBatch), "BatchNorm when scoring: batch (each batch's statistics), running (the supernet's), recalc (re-estimated per candidate)")
	fs.IntVar(&s.Score.BNBatches, "bn-batches", def.Score.BNBatches, "search-train batches of --bn recalc")
	fs.IntVar(&s.Population, "population", def.Population, "evolution: population size P")
	fs.IntVar(&s.Tournament, "tournament", def.Tournament, "evolution: tournament size S")
	fs.Float64Var(&s.LR, "learning-rate", ref.LR, "reinforce: Adam's learning rate on the policy")
	fs.Float64Var(&s.BaselineMomentum, "baseline-momentum", ref.BaselineMomentum, "reinforce: momentum of the moving-average baseline")
	fs.StringVar(&out, "out", "", "selection `dir` (default RUN/select/STRATEGY)")
	fs.BoolVar(&resume, "resume", false, "continue the selection in --out (a larger --budget extends it)")
	setThreads := addThreadsFlag(fs)
	if help, err := parseFlags(fs, args); help || err != nil {
		if help {
			printHelp(stdout, fs, selectHelp)
		}
		return err
	}
	if err := setThreads(); err != nil {
		return err
	}
	switch {
	case run == "":
		return usageErrorf("--run SEARCH_RUN is required")
	case name == "":
		return usageErrorf("--strategy is required: %s", strings.Join(strategy.Names(), ", "))
	}
	s.Strategy = name
	mode, err := strategy.ParseBN(bn)
	if err != nil {
		return usageErrorf("--bn: %v", err)
	}
	s.Score.BN = mode
	s.Score.Seed = s.Seed
	if name != strategy.EvolutionName {
		s.Population, s.Tournament = 0, 0
	}
	if name != strategy.ReinforceName {
		s.LR, s.BaselineMomentum = 0, 0
	}
	if name != strategy.GridName || fs.Changed("budget") {
		if s.Budget < 1 {
			return usageErrorf("--budget %d: need at least 1", s.Budget)
		}
	} else {
		s.Budget = 1 << 31 // all of the space: Run caps it at the space's size
	}
	if out == "" {
		out = rundir.DefaultSelectDir(run, name)
	}

	conf, err := job.ReadSearchConfig(run)
	if err != nil {
		return err
	}
	if s.Score.BatchSize == 0 {
		s.Score.BatchSize = conf.Search.BatchSize
	}
	if err := s.Validate(); err != nil {
		return usageErrorf("%v", err)
	}
	ckpt := filepath.Join(run, bilevel.CheckpointFile)
	if _, err := os.Stat(ckpt); err != nil {
		return fmt.Errorf("--run %s: no checkpoint to score (%w)", run, err)
	}
	data, err := datasets.Load(conf.Data)
	if err != nil {
		return err
	}
	net, err := supernet.NewNetwork[float32](conf.Network, conf.Search.Seed)
	if err != nil {
		return err
	}
	info, err := bilevel.LoadNetwork(ckpt, net)
	if err != nil {
		return err
	}
	if info.Epoch < conf.Search.Epochs {
		fmt.Fprintf(stderr, "note: %s stopped at epoch %d step %d of %d epochs; scoring its supernet as it is\n", run, info.Epoch+1, info.Step, conf.Search.Epochs)
	}
	sc, err := strategy.NewScorer(net, data, s.Score)
	if err != nil {
		return usageErrorf("%v", err)
	}
	defer sc.Close()

	rep := newReporter(stderr)
	ctx, stop := job.WithSignals(context.Background())
	defer stop()
	var bar *progress
	sconf := strategy.Config{Program: job.Version, Command: "darts select " + strings.Join(args, " "), Run: run,
		Epoch: info.Epoch, Step: info.Step, Settings: s}
	res, err := strategy.Run(ctx, sc, sconf, strategy.Options{Dir: out, Resume: resume, Note: rep.Note,
		Progress: func(c rundir.Candidate, total int) {
			if bar == nil {
				bar = newProgress(stderr, name, total)
			}
			bar.Update(c.N, fmt.Sprintf("best %.2f%%", 100*c.Best))
		}})
	if bar != nil {
		bar.Done("")
	}
	if err != nil {
		if ctx.Err() != nil && errors.Is(err, context.Canceled) {
			return fmt.Errorf("%w: %s holds every candidate scored so far; continue with:\n  darts select --run %s --strategy %s --out %s --resume",
				job.ErrInterrupted, rundir.SelectPath(out), run, name, out)
		}
		return err
	}
	fmt.Fprintf(stdout, "%s: %d candidates in %.0f s; chosen candidate %d: score %.2f%% on %d batches",
		name, res.Evaluated, res.Seconds, res.Best.N, 100*res.Best.Score, s.Score.Batches)
	if res.Full != nil {
		fmt.Fprintf(stdout, ", %.2f%% on all %d search-val images", 100*res.Full.Acc, res.Full.N)
	}
	fmt.Fprintf(stdout, "\n%s\ngenotype: %s\n", res.Genotype, rundir.GenotypeJSONPath(out))
	return nil
}
