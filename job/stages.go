package job

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/darts-go/darts/bilevel"
	"github.com/darts-go/darts/datasets"
	"github.com/darts-go/darts/derive"
	"github.com/darts-go/darts/method"
	"github.com/darts-go/darts/plots"
	"github.com/darts-go/darts/rundir"
	"github.com/darts-go/darts/supernet"
)

// A search in stages (a method with method.Spec.Stages: P-DARTS) runs in
// one directory: config.json (the run's recipe, its network the first
// stage's), stages.json (every started stage's network and settings, and
// in the end the genotype), checkpoint-stage<k>.dgo for stage k (from 1),
// and metrics.jsonl and alphas.jsonl whose epochs count on across the
// stages, their lines carrying "stage" and "stage_epoch". A stage is
// started by writing its entry in stages.json, then its checkpoint; a
// resumed run continues the last stage stages.json names, from its
// checkpoint if it has one, and a stage that has finished hands its
// alphas to the next. Nothing else is needed to resume in any stage, or
// between two: every stage's recipe is a function of the one before.

// StagesFile is the name of the stages file of a search in stages.
const StagesFile = "stages.json"

// StageCheckpoint is the checkpoint of stage k (from 1) of a search in
// stages.
func StageCheckpoint(dir string, k int) string {
	return filepath.Join(dir, fmt.Sprintf("checkpoint-stage%d.dgo", k))
}

// StageRecord is one stage of stages.json: its number (from 1), the
// global epoch it starts after, its network and search settings.
type StageRecord struct {
	Stage      int              `json:"stage"`
	FirstEpoch int              `json:"first_epoch"`
	Network    supernet.Config  `json:"network"`
	Search     bilevel.Settings `json:"search"`
}

// Stages is stages.json.
type Stages struct {
	Method   string           `json:"method"`
	Count    int              `json:"count"`
	Stages   []StageRecord    `json:"stages"`
	Genotype *derive.Genotype `json:"genotype,omitempty"`
	Note     string           `json:"note,omitempty"`
}

// ReadStages reads dir's stages.json.
func ReadStages(dir string) (Stages, error) {
	var st Stages
	path := filepath.Join(dir, StagesFile)
	b, err := os.ReadFile(path)
	if err != nil {
		return st, err
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return st, fmt.Errorf("%s: %w", path, err)
	}
	for i, s := range st.Stages {
		if s.Stage != i+1 {
			return st, fmt.Errorf("%s: entry %d is stage %d", path, i+1, s.Stage)
		}
	}
	return st, nil
}

// stageMetrics and stageAlphas are the lines of a search in stages.
type stageMetrics struct {
	rundir.Metrics
	Stage      int `json:"stage"`
	StageEpoch int `json:"stage_epoch"`
}

type stageAlphas struct {
	rundir.Alphas
	Stage      int `json:"stage"`
	StageEpoch int `json:"stage_epoch"`
}

// searchStages runs or resumes the search in stages conf describes (its
// network filled with the data's shape), writing o.Dir as the package doc
// says.
func searchStages(ctx context.Context, conf SearchConfig, o SearchOptions, spec method.Spec, data *datasets.Splits, rep Reporter) error {
	recipe := method.Recipe{Method: spec.Name, Space: conf.Network.Space, Budget: conf.Budget,
		Network: conf.Network, Search: conf.Search, Options: conf.MethodOptions, Limit: conf.Data.Limit}
	if err := spec.CheckOptions(recipe.Options); err != nil {
		return &ConfigError{err}
	}
	plan, err := spec.Stages(recipe)
	if err != nil {
		return &ConfigError{err}
	}
	out := o.Dir
	stagesPath := filepath.Join(out, StagesFile)
	st := Stages{Method: spec.Name, Count: plan.Count}
	if o.Resume {
		if st, err = ReadStages(out); err != nil {
			return fmt.Errorf("--resume: %w", err)
		}
		if len(st.Stages) == 0 || st.Count != plan.Count {
			return fmt.Errorf("--resume: %s names %d of %d stages, the method plans %d", stagesPath, len(st.Stages), st.Count, plan.Count)
		}
		if e := st.Stages[0].Search.Epochs; o.Epochs != 0 && o.Epochs != e {
			return &OptionError{fmt.Errorf("--epochs %d: a search in stages runs the %d epochs per stage it started with; it cannot be extended", o.Epochs, e)}
		}
		conf.Search.Epochs = st.Stages[0].Search.Epochs
	} else if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	total := plan.Count * conf.Search.Epochs
	first := 0
	if o.Resume {
		first = len(st.Stages) - 1
	}
	// Every stage runs the same number of epochs (the recipe's).
	conf.Program = Version
	var prev *method.StageResult
	for k := first; k < plan.Count; k++ {
		var sr method.Recipe
		if k < len(st.Stages) {
			rec := st.Stages[k]
			sr = recipe
			sr.Network, sr.Search = rec.Network, rec.Search
		} else {
			if sr, err = plan.Stage(k, prev); err != nil {
				return &ConfigError{err}
			}
			sr.Network = sr.Network.WithDefaults()
			st.Stages = append(st.Stages, StageRecord{Stage: k + 1, FirstEpoch: k * conf.Search.Epochs, Network: sr.Network, Search: sr.Search})
			st.Genotype, st.Note = nil, ""
			if err := rundir.WriteJSON(stagesPath, st); err != nil {
				return err
			}
		}
		res, err := runStage(ctx, &conf, o, spec, sr, st.Stages[k], plan.Count, total, data, rep)
		if err != nil {
			return err
		}
		prev = &res
	}
	g, note, err := plan.Final(*prev)
	if err != nil {
		return err
	}
	if err := WriteGenotype(out, g); err != nil {
		return err
	}
	st.Genotype, st.Note = &g, note
	if err := rundir.WriteJSON(stagesPath, st); err != nil {
		return err
	}
	if note != "" {
		rep.Note("%s: %s", spec.Name, note)
	}
	rep.Note("done: %s (genotype in %s)\n  %s", out, rundir.GenotypeTextPath(out), g)
	return nil
}

// runStage runs (or resumes, if its checkpoint exists) one stage and
// returns how it ended.
func runStage(ctx context.Context, conf *SearchConfig, o SearchOptions, spec method.Spec, sr method.Recipe, rec StageRecord,
	count, total int, data *datasets.Splits, rep Reporter) (method.StageResult, error) {
	out := o.Dir
	k := rec.Stage
	net, err := supernet.NewNetwork[float32](sr.Network, sr.Search.Seed)
	if err != nil {
		return method.StageResult{}, &ConfigError{fmt.Errorf("stage %d: %w", k, err)}
	}
	m, err := spec.BuildRecipe(sr)
	if err != nil {
		return method.StageResult{}, &ConfigError{fmt.Errorf("stage %d: %w", k, err)}
	}
	s, err := bilevel.NewSearch(net, data, sr.Search, m)
	if err != nil {
		return method.StageResult{}, &ConfigError{fmt.Errorf("stage %d: %w", k, err)}
	}
	defer s.Close()
	if k == 1 {
		conf.Params = net.NumParams()
		conf.Method, conf.Record = s.Method.Name, s.Method.Record()
	}
	ckpt := StageCheckpoint(out, k)
	_, statErr := os.Stat(ckpt)
	resume := statErr == nil
	if statErr != nil && !errors.Is(statErr, os.ErrNotExist) {
		return method.StageResult{}, statErr
	}
	global := func(e int) int { return rec.FirstEpoch + e }
	loop := &Loop{Dir: out, Ckpt: ckpt, State: s, Report: rep, Epochs: total, Resume: o.ResumeCommand,
		Pos: func() (int, int) { return global(s.Epoch), s.Step },
		RunEpoch: func(ctx context.Context, onStep func(int, float64, float64)) (rundir.Metrics, error) {
			return s.RunEpoch(ctx, func(si bilevel.StepInfo) { onStep(si.Step, si.Loss, si.Acc) })
		},
		Finish: func(m rundir.Metrics) (string, error) {
			stageEpoch := m.Epoch
			m.Epoch = global(stageEpoch)
			a := s.Alphas(m.Epoch)
			g, err := s.Genotype()
			if err != nil {
				return "", err
			}
			if err := rundir.AppendJSONLine(rundir.MetricsPath(out), stageMetrics{m, k, stageEpoch}); err != nil {
				return "", err
			}
			if err := rundir.AppendJSONLine(rundir.AlphasPath(out), stageAlphas{a, k, stageEpoch}); err != nil {
				return "", err
			}
			if err := WriteGenotype(out, g); err != nil {
				return "", err
			}
			rss := ""
			if o.PeakRSS != nil {
				if b, ok := o.PeakRSS(); ok {
					rss = fmt.Sprintf("  peak RSS %d MiB", b>>20)
				}
			}
			return fmt.Sprintf("stage %d/%d epoch %d/%d (%d/%d)  train loss %.4f acc %.2f%%  val loss %.4f acc %.2f%%  lr %.5f  %.0fs%s\n  %s",
				k, count, stageEpoch, sr.Search.Epochs, m.Epoch, total, m.TrainLoss, 100*m.TrainAcc, m.ValLoss, 100*m.ValAcc, m.LR, m.Seconds, rss, g), nil
		},
		After: func() {
			if o.NoPlots {
				return
			}
			if _, warns, err := plots.All(out, "", "png"); err != nil {
				rep.Note("warning: plots: %v", err)
			} else {
				for _, w := range warns {
					rep.Note("warning: plots: %s", w)
				}
			}
		},
	}
	var init func() error
	if k == 1 {
		init = func() error { return rundir.AppendJSONLine(rundir.AlphasPath(out), stageAlphas{s.Alphas(0), 1, 0}) }
	}
	// Open stamps the start of a new run; a later stage's start is in
	// stages.json.
	stamp := &conf.Started
	if k > 1 {
		s := conf.Started
		stamp = &s
	}
	if err := loop.Open(resume, stamp, conf, init, rundir.MetricsPath(out), rundir.AlphasPath(out)); err != nil {
		return method.StageResult{}, err
	}
	ops := len(sr.Network.Primitives)
	if eo, ok := sr.Network.EdgeOps["normal"]; ok && len(eo) > 0 {
		ops = len(eo[0])
	}
	drop := 0.0
	if d := sr.Network.SkipDropout; d != nil {
		drop = d.Rate
	}
	rep.Note("stage %d/%d: %d cells, %d init channels, %d ops per edge, skip dropout %g, %d weights, %d epochs (%d of warm-up) of %d steps of batch %d, about %d MiB of memory",
		k, count, sr.Network.Layers, sr.Network.C, ops, drop, net.NumParams(), sr.Search.Epochs, sr.Search.Warmup, s.StepsPerEpoch(), sr.Search.BatchSize,
		net.EstimateMemory(sr.Search.BatchSize)>>20)
	if err := loop.Run(ctx); err != nil {
		return method.StageResult{}, err
	}
	return method.StageResult{Network: net.Cfg, Weights: s.Alphas(global(s.Epoch)).CellWeights()}, nil
}
