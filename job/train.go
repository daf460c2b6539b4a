package job

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/darts-go/darts/datasets"
	"github.com/darts-go/darts/retrain"
	"github.com/darts-go/darts/rundir"
	"github.com/darts-go/darts/space"
	"github.com/darts-go/darts/supernet"
)

// TrainOptions say where and how a training job runs.
type TrainOptions struct {
	Dir string
	// Resume continues the run in Dir from its checkpoint, with the
	// settings of its config.json (the conf argument is not used).
	Resume bool
	// Epochs, with Resume, extends the run to this many epochs (0: keep).
	Epochs int
	// Layers (DARTS space) or CellsPerStage (NAS-Bench-201), Channels
	// and Auxiliary shape the network of a new run (on NAS-Bench-201, zero
	// Channels and CellsPerStage are the benchmark's 16 and 5).
	Layers, CellsPerStage, Channels int
	Auxiliary                       bool
	Report                          Reporter
	// ResumeCommand is the command that resumes the run, for messages.
	ResumeCommand string
	// OnEpoch, if set, is called after every finished epoch, once its files
	// and checkpoint are written (a TensorBoard log, say).
	OnEpoch func(Epoch)
}

// Training is a training job built and ready to run: its resolved config,
// data, network and trainer. BuildTraining makes one; Run runs it.
type Training struct {
	Conf    TrainConfig
	Data    *datasets.Splits
	Net     *supernet.Discrete[float32]
	Trainer *retrain.Trainer[float32]
	o       TrainOptions
}

// BuildTraining resolves conf (or, with o.Resume, the run's config.json)
// and builds the data and the network, without touching the run
// directory: what `darts train --dry-run` shows. Settings that cannot make
// a network come back as a *ConfigError.
func BuildTraining(conf TrainConfig, o TrainOptions) (*Training, error) {
	if o.Resume {
		var err error
		if conf, err = ReadTrainConfig(o.Dir); err != nil {
			return nil, fmt.Errorf("--resume: %w (is --out %s a training run?)", err, o.Dir)
		}
		if err := ExtendEpochs(o.Epochs, &conf.Train.Epochs); err != nil {
			return nil, &OptionError{err}
		}
		noteKernels(conf.Kernels, o.Report)
	} else {
		if err := conf.Train.Validate(); err != nil {
			return nil, &ConfigError{err}
		}
		conf.Program, conf.Kernels = Version, KernelPath()
	}
	data, err := datasets.Load(conf.Data)
	if err != nil {
		return nil, err
	}
	if !o.Resume {
		conf.Network = retrain.NetworkConfig(conf.Genotype, data.Info.Shape, data.Info.Classes, o.Channels, o.Layers, o.Auxiliary)
		if conf.Network.Space == space.NB201Name {
			conf.Network.Layers = 0
			if o.CellsPerStage > 0 {
				conf.Network.CellsPerStage = o.CellsPerStage
			}
			if conf.Train.DropPath > 0 {
				return nil, &ConfigError{fmt.Errorf("drop path %g: the NAS-Bench-201 network has no drop path (use 0)", conf.Train.DropPath)}
			}
		} else if o.CellsPerStage > 0 {
			return nil, &ConfigError{fmt.Errorf("cells per stage %d: a setting of nas-bench-201 networks, not of %s", o.CellsPerStage, conf.Network.Space)}
		}
	}
	conf.DataInfo = data.Info
	net, err := supernet.NewDiscrete[float32](conf.Network, conf.Train.Seed)
	if err != nil {
		return nil, &ConfigError{err}
	}
	conf.Params, conf.AuxParams = net.NumParams(), net.NumAuxParams()
	return &Training{Conf: conf, Data: data, Net: net, o: o}, nil
}

// Run trains in the run directory: a new run writes config.json, the
// genotype files and a first checkpoint; every epoch appends to
// metrics.jsonl and rewrites weights.dgo. Cancelling ctx checkpoints and
// returns an *InterruptedError.
func (t *Training) Run(ctx context.Context) error {
	o, conf, net := t.o, &t.Conf, t.Net
	rep := o.Report
	if rep == nil {
		rep = Nop{}
	}
	if !o.Resume {
		if err := CheckNewRun(o.Dir); err != nil {
			return err
		}
	}
	tr, err := retrain.NewTrainer(net, t.Data, conf.Train)
	if err != nil {
		return &ConfigError{err}
	}
	t.Trainer = tr
	defer tr.Close()
	out := o.Dir
	var done Epoch // the epoch Finish wrote, for OnEpoch
	loop := &Loop{Dir: out, Ckpt: filepath.Join(out, retrain.TrainCheckpointFile), State: tr, Report: rep,
		Epochs: conf.Train.Epochs, Resume: o.ResumeCommand,
		Pos: func() (int, int) { return tr.Epoch, tr.Step },
		RunEpoch: func(ctx context.Context, onStep func(int, float64, float64)) (rundir.Metrics, error) {
			return tr.RunEpoch(ctx, func(si retrain.StepInfo) { onStep(si.Step, si.Loss, si.Acc) })
		},
		Finish: func(m rundir.Metrics) (string, error) {
			if err := rundir.AppendJSONLine(rundir.MetricsPath(out), m); err != nil {
				return "", err
			}
			if err := retrain.SaveWeights(filepath.Join(out, retrain.WeightsFile), net, m.Epoch); err != nil {
				return "", err
			}
			done = Epoch{Metrics: m, Genotype: conf.Genotype}
			return fmt.Sprintf("epoch %d/%d  train loss %.4f acc %.2f%%  test loss %.4f acc %.2f%%  lr %.5f  drop path %.3f  %.0fs",
				m.Epoch, conf.Train.Epochs, m.TrainLoss, 100*m.TrainAcc, *m.TestLoss, 100**m.TestAcc, m.LR,
				conf.Train.DropPath*float64(m.Epoch-1)/float64(conf.Train.Epochs), m.Seconds), nil
		},
		After: func() {
			if o.OnEpoch != nil {
				o.OnEpoch(done)
			}
		},
	}
	genotype := func() error { return WriteGenotype(out, conf.Genotype) }
	if err := loop.Open(o.Resume, &conf.Started, conf, genotype, rundir.MetricsPath(out)); err != nil {
		return err
	}
	info := t.Data.Info
	rep.Note("train: %s, %d training / %d test images of %dx%dx%d, %d classes",
		info.Name, info.Train+info.Val, info.Test, info.Shape[0], info.Shape[1], info.Shape[2], info.Classes)
	noteSkipped(rep, info)
	aux := ""
	if conf.AuxParams > 0 {
		aux = fmt.Sprintf(" (+%s in the auxiliary head, training only)", Thousands(conf.AuxParams))
	}
	shape := fmt.Sprintf("%d layers", conf.Network.Layers)
	if conf.Network.Space == space.NB201Name {
		shape = fmt.Sprintf("nas-bench-201, 3 stages of %d cells", conf.Network.CellsPerStage)
	}
	rep.Note("network: %s, %d init channels, %s parameters%s, %d steps/epoch of batch %d",
		shape, conf.Network.C, Thousands(conf.Params), aux, tr.StepsPerEpoch(), conf.Train.BatchSize)
	if w := conf.Genotype.ReachabilityWarning(); w != "" {
		rep.Note("warning: %s", w)
	}
	return loop.Run(ctx)
}

// Trained is a finished (or stopped) training run reopened from its files.
type Trained struct {
	Conf    TrainConfig
	Net     *supernet.Discrete[float32] // without the auxiliary head
	Epochs  int                         // epochs the weights were trained for
	Weights string                      // the weights file read
}

// OpenTraining rebuilds the network of the training run in dir from its
// config.json and loads its weights (RUN/weights.dgo, or the file
// weights if not empty), as `darts eval` does.
func OpenTraining(dir, weights string) (*Trained, error) {
	conf, err := ReadTrainConfig(dir)
	if err != nil {
		return nil, err
	}
	if weights == "" {
		weights = filepath.Join(dir, retrain.WeightsFile)
	}
	cfg := conf.Network
	cfg.Auxiliary = false // not part of the model
	net, err := supernet.NewDiscrete[float32](cfg, 0)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	epoch, err := retrain.LoadWeights(weights, net)
	if err != nil {
		return nil, err
	}
	return &Trained{Conf: conf, Net: net, Epochs: epoch, Weights: weights}, nil
}

// Thousands formats n with commas: 3,349,342.
func Thousands(n int) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + Thousands(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
