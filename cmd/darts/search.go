package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/darts-go/darts/datasets"
	"github.com/darts-go/darts/job"
	"github.com/darts-go/darts/method"
	"github.com/darts-go/darts/mixedop"
	"github.com/darts-go/darts/optim"
	"github.com/darts-go/darts/space"
	"github.com/spf13/pflag"
)

func init() {
	register(&command{Name: "search", Summary: "run an architecture search (DARTS and the other methods) and write a run directory", Run: runSearch})
}

const searchHelp = `Usage: darts search [flags]

Runs an architecture search with --method (default darts; 'darts methods'
lists them) on --space (darts: the DARTS CNN cell; nas-bench-201: the
NAS-Bench-201 cell). Each step takes an architecture step on a search-val
batch and a weight step on a search-train batch, in the order the method's
reference code takes them. After every epoch it appends to RUN/metrics.jsonl
and RUN/alphas.jsonl, rewrites RUN/genotype.json and RUN/genotype.txt,
saves RUN/checkpoint.dgo and redraws RUN/plots/. RUN/checkpoint.dgo is also
rewritten after every step, in the background, and by Ctrl-C; --resume
continues from it, even after a hard kill, and ends exactly where an
uninterrupted run would.

Defaults: every hyperparameter is the method's reference value on the
space; --budget quick (the default) scales the epochs, batch, data and
network down to a search of a few minutes on a 2-core machine, --budget
reference keeps the reference's. Every flag overrides; an --epochs other
than the budget's also scales the settings counted in epochs that are not
given (--warmup-epochs, and the method's options in epochs) as a budget
does: the reference's value times --epochs over the reference's epochs,
rounded. With no flags it searches real MNIST (see README.md). The
defaults below are those of
  --method %s --space %s --budget %s
(give other values of these flags with --help to see theirs).

%s

Examples:
  darts search
  darts search --dataset fashion-mnist --epochs 10 --layers 5 --out runs/fm
  darts search --space nas-bench-201 --out runs/nb201
  darts search --method darts --order 2 --budget reference --dataset fashion-mnist
  darts search --resume --out runs/fm
  darts search --dataset synthetic --input-shape 3x16x16 --limit 512 --epochs 2

Flags:
`

// selection is what picks a recipe: read from the arguments before the
// flags are defined, so that the flags' defaults are the recipe's.
type selection struct {
	method, space, budget string
	order                 int
}

// preselect finds --method, --space, --budget and --order in args (either
// "--flag value" or "--flag=value"); a malformed value is left to the flag
// parser to report.
func preselect(args []string) selection {
	sel := selection{method: method.DARTS, space: space.DARTSName, budget: method.Quick, order: 1}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			break
		}
		name, val, ok := strings.Cut(strings.TrimPrefix(a, "--"), "=")
		if !strings.HasPrefix(a, "--") {
			continue
		}
		switch name {
		case "method", "space", "budget", "order":
		default:
			continue
		}
		if !ok {
			if i+1 >= len(args) {
				break
			}
			i++
			val = args[i]
		}
		switch name {
		case "method":
			sel.method = val
		case "space":
			sel.space = val
		case "budget":
			sel.budget = val
		case "order":
			if n, err := strconv.Atoi(val); err == nil {
				sel.order = n
			}
		}
	}
	return sel
}

func runSearch(args []string) error { return search(args, os.Stdout, os.Stderr) }

// search is runSearch with its output streams passed in, for tests.
func search(args []string, stdout, stderr io.Writer) error {
	sel := preselect(args)
	spec, err := method.Lookup(sel.method)
	if err != nil {
		return usageErrorf("--method: %v", err)
	}
	if !slices.Contains(space.Names(), sel.space) {
		return usageErrorf("--space %q: unknown (known: %s)", sel.space, strings.Join(space.Names(), ", "))
	}
	rec, err := spec.Recipe(method.Query{Space: sel.space, Order: sel.order}, sel.budget)
	if err != nil {
		return usageErrorf("%v", err)
	}
	nb201 := sel.space == space.NB201Name

	fs := pflag.NewFlagSet("search", pflag.ContinueOnError)
	var (
		o          datasets.Options
		shape      string
		ops        string
		cfg        = rec.Network
		st         = rec.Search
		out        string
		resume     bool
		noPlots    bool
		trackStats = !cfg.NoTrackStats
		poolBN     = !cfg.NoPoolBN
		lastAct    = cfg.LastAct
		archAdam   = st.ArchAdam.String()
		methodName = spec.Name
		spaceName  = sel.space
		budget     = sel.budget
	)
	fs.StringVar(&methodName, "method", methodName, "search method `name`: "+strings.Join(method.Names(), ", ")+" ('darts methods' describes them)")
	fs.StringVar(&spaceName, "space", spaceName, "search space: "+strings.Join(space.Names(), ", "))
	fs.StringVar(&budget, "budget", budget, "defaults for epochs, batch, data and network size: quick (minutes on 2 cores) or reference (the method's paper setting)")
	fs.IntVar(&st.Order, "order", st.Order, "architecture gradient: 1 first order, 2 second order (unrolled)")
	fs.StringVar(&o.Name, "dataset", "mnist", "dataset `name`: "+strings.Join(datasets.Names(), ", "))
	fs.StringVar(&o.DataDir, "data-dir", "", "read the dataset's files from `dir`")
	folder := addFolderFlags(fs)
	fs.Float64Var(&o.TrainPortion, "train-portion", 0.5, "fraction of the training set used for search-train; the rest is search-val")
	fs.IntVar(&o.Limit, "limit", rec.Limit, "use only the first `N` training examples (0 = all)")
	fs.StringVar(&shape, "input-shape", "", "image shape `CxHxW` of --dataset synthetic")
	fs.IntVar(&o.Classes, "classes", 0, "classes of --dataset synthetic")
	fs.IntVar(&st.Epochs, "epochs", st.Epochs, "search epochs")
	fs.IntVar(&st.BatchSize, "batch-size", st.BatchSize, "batch size (train and val)")
	fs.IntVar(&cfg.C, "init-channels", cfg.C, "channels of the first cells")
	fs.IntVar(&cfg.Layers, "layers", cfg.Layers, "cells in the search network (darts space)")
	fs.IntVar(&cfg.Steps, "nodes", cfg.Steps, "intermediate nodes per cell (darts space)")
	fs.IntVar(&cfg.CellsPerStage, "cells-per-stage", cfg.CellsPerStage, "NAS-Bench-201's N: search cells in each of its 3 stages (nas-bench-201)")
	fs.BoolVar(&trackStats, "track-stats", trackStats, "search cells' BatchNorm keeps running statistics, as the NAS-Bench-201 scripts run it (--track_running_stats 1); false: batch statistics only, NATS-Bench's setting (nas-bench-201)")
	fs.BoolVar(&poolBN, "pool-bn", poolBN, "BatchNorm (affine=False) after the pools of the mixed edges, as DARTS; false: none, as DrNAS and AutoDL's GDAS (darts space)")
	fs.BoolVar(&lastAct, "last-act", lastAct, "BatchNorm and ReLU between the last cell and the global pooling, as AutoDL's GDAS supernet (darts space)")
	fs.StringVar(&ops, "ops", opsName(cfg.Primitives), "candidate ops: a named set ("+strings.Join(space.OpSetNames(), ", ")+") or op names separated by commas")
	fs.StringVar(&cfg.Init, "init", cfg.Init, "initialize the weights as PyTorch `version` 0.3.1 or 1.x does (BatchNorm scale, grouped fan-in)")
	fs.Float64Var(&st.LR, "learning-rate", st.LR, "initial weight learning rate (cosine schedule)")
	fs.Float64Var(&st.LRMin, "learning-rate-min", st.LRMin, "final weight learning rate")
	fs.Float64Var(&st.Momentum, "momentum", st.Momentum, "SGD momentum of the weights")
	fs.BoolVar(&st.Nesterov, "nesterov", st.Nesterov, "Nesterov momentum for the weights")
	fs.Float64Var(&st.WeightDecay, "weight-decay", st.WeightDecay, "weight decay of the weights")
	fs.Float64Var(&st.GradClip, "grad-clip", st.GradClip, "clip the weight gradient's 2-norm to this")
	fs.BoolVar(&st.ClipWithArch, "clip-with-arch", st.ClipWithArch, "count α's gradient in the clipped norm, as AutoDL-Projects' clip_grad_norm_(network.parameters())")
	fs.BoolVar(&st.WeightFirst, "weight-first", st.WeightFirst, "take each step's weight step before its architecture step (AutoDL's DARTS-V1)")
	fs.Float64Var(&st.ArchLR, "arch-learning-rate", st.ArchLR, "Adam learning rate of the architecture tensors")
	fs.Float64Var(&st.ArchWeightDecay, "arch-weight-decay", st.ArchWeightDecay, "Adam weight decay of the architecture tensors")
	fs.Float64Var(&st.ArchBeta1, "arch-beta1", st.ArchBeta1, "Adam β1 of the architecture tensors")
	fs.Float64Var(&st.ArchBeta2, "arch-beta2", st.ArchBeta2, "Adam β2 of the architecture tensors")
	fs.StringVar(&archAdam, "arch-adam", archAdam, "Adam arithmetic of PyTorch `version` 0.3.1 or 1.x for the architecture tensors")
	fs.StringVar(&st.ArchOptimizer, "arch-optimizer", st.ArchOptimizer, "optimizer of the architecture tensors: adam, or sgd (plain, --arch-learning-rate and --arch-weight-decay)")
	fs.Float64Var(&st.ArchGradClip, "arch-grad-clip", st.ArchGradClip, "clip the architecture gradient's 2-norm to this (0: no clip)")
	fs.BoolVar(&st.SingleLevel, "single-level", st.SingleLevel, "train weights and α together on search-train, one pass per step (SNAS); false: alternate with architecture steps on search-val")
	fs.IntVar(&st.Warmup, "warmup-epochs", st.Warmup, "first epochs that train the weights only")
	fs.IntVar(&st.EvalLimit, "eval-limit", st.EvalLimit, "evaluate at most `N` search-val examples after each epoch (0: all of them)")
	fs.Uint64Var(&st.Seed, "seed", st.Seed, "seed of the initialization, the data order and every random draw")
	fs.StringVar(&out, "out", "runs/search", "run directory `DIR`")
	fs.BoolVar(&resume, "resume", false, "continue the run in --out from its checkpoint (settings come from its config.json; --epochs may extend it)")
	fs.BoolVar(&noPlots, "no-plots", false, "do not redraw RUN/plots after each epoch")
	tb := fs.Bool("tensorboard", false, tensorboardUsage)
	setThreads := addThreadsFlag(fs)
	opts, err := addMethodFlags(fs, spec, rec.Options) // last: a clash with any other flag is an error, not a panic
	if err != nil {
		return err
	}
	if help, err := parseFlags(fs, args); help || err != nil {
		if help {
			printHelp(stdout, fs, withFolderHelp(fmt.Sprintf(searchHelp, spec.Name, sel.space, rec.Budget, methodHelp(spec, rec))))
		}
		return err
	}
	if err := setThreads(); err != nil {
		return err
	}

	var conf job.SearchConfig
	if resume {
		allowed := []string{"resume", "out", "epochs", "no-plots", "threads", "tensorboard"}
		var bad []string
		fs.Visit(func(f *pflag.Flag) {
			if !slices.Contains(allowed, f.Name) {
				bad = append(bad, "--"+f.Name)
			}
		})
		if len(bad) > 0 {
			return usageErrorf("%s: a resumed run keeps the settings of its config.json (only --epochs, --no-plots, --tensorboard and --threads apply)", strings.Join(bad, ", "))
		}
	} else {
		own, other := []string{"layers", "nodes", "pool-bn", "last-act"}, []string{"cells-per-stage", "track-stats"}
		if nb201 {
			own, other = other, own
		}
		for _, f := range other {
			if fs.Changed(f) {
				return usageErrorf("--%s: not a setting of the %s space (its network takes --%s)", f, sel.space, strings.Join(own, ", --"))
			}
		}
		if err := scaleToEpochs(fs, spec, method.Query{Space: sel.space, Order: sel.order}, rec, &st); err != nil {
			return usageErrorf("--epochs: %v", err)
		}
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
		cfg.NoTrackStats = !trackStats
		cfg.NoPoolBN = !poolBN
		cfg.LastAct = lastAct
		if _, err := mixedop.ParseInit(cfg.Init); err != nil {
			return usageErrorf("--init: %v", err)
		}
		if st.ArchAdam, err = optim.ParseAdamVariant(archAdam); err != nil {
			return usageErrorf("--arch-adam: %v", err)
		}
		if err := spec.CheckOptions(opts()); err != nil {
			return usageErrorf("%v", err)
		}
		if err := st.Validate(); err != nil {
			return usageErrorf("%v", err)
		}
		o.Seed = st.Seed
		conf = job.SearchConfig{Command: "darts search " + strings.Join(args, " "), Method: spec.Name, MethodOptions: opts(),
			Budget: rec.Budget, Data: o, Network: cfg, Search: st}
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
	onEpoch, closeTB := tensorboardHook(*tb, out, "search", stderr)
	defer closeTB()
	err = job.Search(ctx, conf, job.SearchOptions{Dir: out, Resume: resume, Epochs: epochs, NoPlots: noPlots,
		Report: newReporter(stderr), ResumeCommand: "darts search --resume --out " + out, PeakRSS: peakRSS, OnEpoch: onEpoch})
	return jobError(err, resume)
}

// opsName is the name of the op set ops is, or ops joined by commas.
func opsName(ops []string) string {
	for _, n := range space.OpSetNames() {
		if s, err := space.OpSet(n); err == nil && slices.Equal(s, ops) {
			return n
		}
	}
	return strings.Join(ops, ",")
}

// addMethodFlags adds a flag for each of the method's options, defaulting
// to the recipe's values; the returned function gives the values after
// parsing.
func addMethodFlags(fs *pflag.FlagSet, spec method.Spec, defaults method.Options) (func() method.Options, error) {
	floats := map[string]*float64{}
	bools := map[string]*bool{}
	for _, o := range spec.Options {
		if fs.Lookup(o.Flag()) != nil {
			return nil, fmt.Errorf("method %s: its option %s would be --%s, which is already a flag of darts search", spec.Name, o.Name, o.Flag())
		}
		usage := o.Usage + " (" + spec.Name + ")"
		switch o.Kind {
		case method.Bool:
			bools[o.Name] = fs.Bool(o.Flag(), defaults[o.Name] != 0, usage)
		default:
			floats[o.Name] = fs.Float64(o.Flag(), defaults[o.Name], usage)
		}
	}
	return func() method.Options {
		v := method.Options{}
		for k, p := range floats {
			v[k] = *p
		}
		for k, p := range bools {
			v[k] = 0
			if *p {
				v[k] = 1
			}
		}
		if len(v) == 0 {
			return nil
		}
		return v
	}, nil
}

// methodHelp is the paragraph --help prints about the selected method.
func methodHelp(spec method.Spec, rec method.Recipe) string {
	return fmt.Sprintf("Method %s: %s.\nIts defaults on %s follow %s.", spec.Name, spec.Summary, rec.Space, rec.Source)
}
