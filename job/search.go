package job

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/darts-go/darts/bilevel"
	"github.com/darts-go/darts/datasets"
	"github.com/darts-go/darts/method"
	"github.com/darts-go/darts/plots"
	"github.com/darts-go/darts/rundir"
	"github.com/darts-go/darts/space"
	"github.com/darts-go/darts/supernet"
)

// SearchOptions say where and how a search job runs.
type SearchOptions struct {
	Dir string
	// Resume continues the run in Dir from its checkpoint, with the
	// settings of its config.json (the conf argument is not used).
	Resume bool
	// Epochs, with Resume, extends the run to this many epochs (0: keep).
	Epochs int
	// NoPlots leaves Dir/plots alone (by default they are redrawn after
	// every epoch).
	NoPlots bool
	Report  Reporter
	// ResumeCommand is the command that resumes the run, for messages.
	ResumeCommand string
	// PeakRSS, if set, gives the process's peak resident memory in bytes
	// for the epoch lines.
	PeakRSS func() (uint64, bool)
	// OnEpoch, if set, is called after every finished epoch, once its files,
	// checkpoint and plots are written (a TensorBoard log, say).
	OnEpoch func(Epoch)
}

// methodFor builds the search method conf names (package method's
// registry) from its resolved settings.
func methodFor(conf SearchConfig) (bilevel.Method[float32], error) {
	spec, err := method.Lookup(conf.Method)
	if err != nil {
		return bilevel.Method[float32]{}, err
	}
	return spec.BuildRecipe(method.Recipe{Method: spec.Name, Space: conf.Network.Space, Budget: conf.Budget,
		Network: conf.Network, Search: conf.Search, Options: conf.MethodOptions, Limit: conf.Data.Limit})
}

// resolveMethod makes a new run's network and settings carry its method's
// options (method.Spec.Resolve: PC-DARTS's k becomes the network's partial
// channels), filling the options left out with the method's.
func resolveMethod(conf *SearchConfig) error {
	spec, err := method.Lookup(conf.Method)
	if err != nil {
		return err
	}
	r, err := spec.Resolve(method.Recipe{Method: spec.Name, Space: conf.Network.Space, Budget: conf.Budget,
		Network: conf.Network, Search: conf.Search, Options: conf.MethodOptions, Limit: conf.Data.Limit})
	if err != nil {
		return err
	}
	conf.Network, conf.Search = r.Network, r.Search
	if len(r.Options) > 0 {
		conf.MethodOptions = r.Options
	}
	return nil
}

// Search runs the search conf describes in o.Dir, writing the run
// directory (see package rundir), or resumes the one there. Cancelling ctx
// checkpoints and returns an *InterruptedError. Settings that cannot make a
// search come back as a *ConfigError.
func Search(ctx context.Context, conf SearchConfig, o SearchOptions) error {
	rep := o.Report
	if rep == nil {
		rep = Nop{}
	}
	if o.Resume {
		var err error
		if conf, err = ReadSearchConfig(o.Dir); err != nil {
			return fmt.Errorf("--resume: %w (is --out %s a search run?)", err, o.Dir)
		}
		if err := ExtendEpochs(o.Epochs, &conf.Search.Epochs); err != nil {
			return &OptionError{err}
		}
		noteKernels(conf.Kernels, rep)
	} else {
		if err := CheckNewRun(o.Dir); err != nil {
			return err
		}
		if err := conf.Search.Validate(); err != nil {
			return &ConfigError{err}
		}
		if err := resolveMethod(&conf); err != nil {
			return &ConfigError{err}
		}
		conf.Program, conf.Kernels = Version, KernelPath()
	}
	data, err := datasets.Load(conf.Data)
	if err != nil {
		return err
	}
	if !o.Resume {
		cfg := conf.Network
		cfg.InputC, cfg.InputH, cfg.InputW = data.Info.Shape[0], data.Info.Shape[1], data.Info.Shape[2]
		cfg.Classes = data.Info.Classes
		conf.Network = cfg.WithDefaults()
	}
	if spec, err := method.Lookup(conf.Method); err == nil && spec.Stages != nil {
		return searchStages(ctx, conf, o, spec, data, rep)
	}
	net, err := supernet.NewNetwork[float32](conf.Network, conf.Search.Seed)
	if err != nil {
		return &ConfigError{err}
	}
	m, err := methodFor(conf)
	if err != nil {
		return &ConfigError{err}
	}
	conf.Network = net.Cfg
	conf.DataInfo = data.Info
	conf.Params = net.NumParams()
	s, err := bilevel.NewSearch(net, data, conf.Search, m)
	if err != nil {
		return &ConfigError{err}
	}
	defer s.Close()
	conf.Method, conf.Record = s.Method.Name, s.Method.Record()

	out := o.Dir
	var done Epoch // the epoch Finish wrote, for OnEpoch
	loop := &Loop{Dir: out, Ckpt: filepath.Join(out, bilevel.CheckpointFile), State: s, Report: rep,
		Epochs: conf.Search.Epochs, Resume: o.ResumeCommand,
		Pos: func() (int, int) { return s.Epoch, s.Step },
		RunEpoch: func(ctx context.Context, onStep func(int, float64, float64)) (rundir.Metrics, error) {
			return s.RunEpoch(ctx, func(si bilevel.StepInfo) { onStep(si.Step, si.Loss, si.Acc) })
		},
		Finish: func(m rundir.Metrics) (string, error) {
			a := s.Alphas(m.Epoch)
			g, err := s.Genotype()
			if err != nil {
				return "", err
			}
			if err := rundir.AppendJSONLine(rundir.MetricsPath(out), m); err != nil {
				return "", err
			}
			if err := rundir.AppendJSONLine(rundir.AlphasPath(out), a); err != nil {
				return "", err
			}
			if err := WriteGenotype(out, g); err != nil {
				return "", err
			}
			done = Epoch{Metrics: m, Alphas: &a, Genotype: g}
			rss := ""
			if o.PeakRSS != nil {
				if b, ok := o.PeakRSS(); ok {
					rss = fmt.Sprintf("  peak RSS %d MiB", b>>20)
				}
			}
			warn := ""
			if w := g.ReachabilityWarning(); w != "" {
				warn = "\n  warning: " + w
			}
			return fmt.Sprintf("epoch %d/%d  train loss %.4f acc %.2f%%  val loss %.4f acc %.2f%%  lr %.5f  %.0fs%s\n  %s%s",
				m.Epoch, conf.Search.Epochs, m.TrainLoss, 100*m.TrainAcc, m.ValLoss, 100*m.ValAcc, m.LR, m.Seconds, rss, g, warn), nil
		},
		After: func() {
			if !o.NoPlots {
				if written, warns, err := plots.All(out, "", "png"); err != nil {
					rep.Note("warning: plots: %v", err)
				} else {
					done.Plots = written
					for _, w := range warns {
						rep.Note("warning: plots: %s", w)
					}
				}
			}
			if o.OnEpoch != nil {
				o.OnEpoch(done)
			}
		},
	}
	initialAlphas := func() error { return rundir.AppendJSONLine(rundir.AlphasPath(out), s.Alphas(0)) }
	if err := loop.Open(o.Resume, &conf.Started, &conf, initialAlphas, rundir.MetricsPath(out), rundir.AlphasPath(out)); err != nil {
		return err
	}
	rep.Note("search: %s, %d search-train / %d search-val images of %dx%dx%d, %d classes",
		data.Info.Name, data.Info.Train, data.Info.Val, data.Info.Shape[0], data.Info.Shape[1], data.Info.Shape[2], data.Info.Classes)
	noteSkipped(rep, data.Info)
	shape := fmt.Sprintf("%d layers", net.Cfg.Layers)
	if net.Cfg.Space == space.NB201Name {
		shape = fmt.Sprintf("nas-bench-201, 3 stages of %d cells", net.Cfg.CellsPerStage)
	}
	rep.Note("supernet: %s, %d init channels, %d ops, %d weights (%.1f MB), method %s, order %d, %d steps/epoch of batch %d, about %d MiB of memory",
		shape, net.Cfg.C, len(net.Space.Ops), conf.Params, float64(conf.Params)*4/1e6, conf.Method, conf.Search.Order, s.StepsPerEpoch(), conf.Search.BatchSize,
		net.EstimateMemory(conf.Search.BatchSize)>>20)
	if err := loop.Run(ctx); err != nil {
		return err
	}
	rep.Note("done: %s (genotype in %s)", out, rundir.GenotypeTextPath(out))
	return nil
}
