package bilevel

import (
	"encoding/json"
	"fmt"

	"github.com/darts-go/darts/internal/paramio"
	"github.com/darts-go/darts/internal/tally"
	"github.com/darts-go/darts/internal/tensorio"
	"github.com/darts-go/darts/optim"
	"github.com/darts-go/darts/supernet"
)

// CheckpointFile is the name of the search checkpoint in a run directory.
const CheckpointFile = "checkpoint.dgo"

const (
	checkpointFormat   = "darts-go search checkpoint v2"
	checkpointFormatV1 = "darts-go search checkpoint v1" // darts-go 0.1: DARTS only, no method record
)

// MethodRecord names the parts of a search's method, and their settings as
// JSON, as a checkpoint records them: resuming with other ones is an error
// that names both.
type MethodRecord struct {
	Name          string          `json:"name"`
	Relaxation    string          `json:"relaxation"`
	RelaxSettings json.RawMessage `json:"relaxation_settings"`
	ArchStep      string          `json:"arch_step"`
	ArchSettings  json.RawMessage `json:"arch_step_settings"`
	Rule          string          `json:"rule"`
}

// Record describes m for a checkpoint or config.json.
func (m Method[T]) Record() MethodRecord {
	settings := func(v any) json.RawMessage {
		b, err := json.Marshal(v)
		if err != nil {
			return json.RawMessage("null")
		}
		return b
	}
	r := MethodRecord{Name: m.Name}
	if m.Relax != nil {
		r.Relaxation, r.RelaxSettings = m.Relax.Name(), settings(m.Relax)
	}
	if m.Arch != nil {
		r.ArchStep, r.ArchSettings = m.Arch.Name(), settings(m.Arch)
	}
	if m.Rule != nil {
		r.Rule = m.Rule.Name()
	}
	return r
}

// checkpointMeta is the JSON part of a checkpoint; tensors hold the rest:
// "weight/<name>", "alpha/<name>", "bn/<name>", "sgd/<tensor>", "adam/<tensor>"
// and, with Settings.ClipWithArch, "archgrad/<name>".
type checkpointMeta struct {
	Format   string           `json:"format"`
	Epoch    int              `json:"epoch"`
	Step     int              `json:"step"`
	Acc      tally.Sums       `json:"accumulated"`
	Settings Settings         `json:"settings"`
	Network  supernet.Config  `json:"network"`
	Method   MethodRecord     `json:"method"`
	SGD      optim.OptimState `json:"sgd"`
	Adam     optim.OptimState `json:"adam"`
}

// Save writes the whole search state to path atomically: weights,
// architecture tensors, BatchNorm statistics, both optimizers, the method,
// the position (epoch, step) and the epoch's running metrics. The data
// order and every random draw are pure functions of the seed and the
// position, so nothing else is needed to resume exactly.
func (s *Search[T]) Save(path string) error {
	if err := s.Snapshot().WriteFile(path); err != nil {
		return fmt.Errorf("saving checkpoint: %w", err)
	}
	return nil
}

// Snapshot copies what Save writes, to be written later (for instance by
// another goroutine while the search goes on).
func (s *Search[T]) Snapshot() paramio.Snapshot {
	meta := checkpointMeta{Format: checkpointFormat, Epoch: s.Epoch, Step: s.Step, Acc: s.acc,
		Settings: s.S, Network: s.Net.Cfg, Method: s.Method.Record(), SGD: s.wOpt.State(), Adam: s.aOpt.State()}
	ts := paramio.Tensors(s.groups()...)
	ts = append(ts, paramio.Prefixed("sgd/", meta.SGD.Tensors)...)
	ts = append(ts, paramio.Prefixed("adam/", meta.Adam.Tensors)...)
	return paramio.Snapshot{Meta: meta, Tensors: ts}
}

// groups are the network's tensors of a checkpoint, by name prefix.
func (s *Search[T]) groups() []paramio.Group[T] {
	g := []paramio.Group[T]{{Prefix: "weight/", Params: s.Net.Weights()},
		{Prefix: "alpha/", Params: s.Net.ArchParams()}, {Prefix: "bn/", Params: s.Net.State()}}
	if len(s.archAcc) > 0 {
		g = append(g, paramio.Group[T]{Prefix: "archgrad/", Params: s.archAcc})
	}
	return g
}

// Load restores a state written by Save into s, whose network, settings and
// method must match the checkpoint's (the number of epochs may differ, to
// extend a run); what differs is named. Nothing is changed if the
// checkpoint does not fit. Checkpoints of darts-go 0.1 (DARTS only) load
// into a DARTS search.
func (s *Search[T]) Load(path string) error {
	raw, ts, err := tensorio.ReadFile(path)
	if err != nil {
		return err
	}
	var meta checkpointMeta
	var head struct {
		Format string `json:"format"`
	}
	if json.Unmarshal(raw, &head) == nil && head.Format == checkpointFormatV1 {
		err = paramio.DecodeMeta(path, raw, &meta, checkpointFormatV1, "search checkpoint")
		if err == nil {
			meta.Network = meta.Network.WithDefaults()
			legacy := Method[T]{Name: "darts", Relax: s.Method.Relax, Rule: s.Method.Rule}
			if meta.Settings.Order == 2 {
				legacy.Arch = &SecondOrder[T]{}
			} else {
				legacy.Arch = FirstOrder[T]{}
			}
			meta.Method = legacy.Record()
		}
	} else {
		err = paramio.DecodeMeta(path, raw, &meta, checkpointFormat, "search checkpoint")
	}
	if err != nil {
		return err
	}
	if d := paramio.DiffJSON(meta.Network, s.Net.Cfg); d != "" {
		return fmt.Errorf("%s: checkpoint is of another network: %s", path, d)
	}
	want, got := s.S, meta.Settings
	want.Epochs, got.Epochs = 0, 0
	if d := paramio.DiffJSON(got, want); d != "" {
		return fmt.Errorf("%s: checkpoint was made with other settings: %s", path, d)
	}
	if d := paramio.DiffJSON(meta.Method, s.Method.Record()); d != "" {
		return fmt.Errorf("%s: checkpoint was made with another method: %s", path, d)
	}
	meta.SGD.Tensors, ts = paramio.Split(ts, "sgd/")
	meta.Adam.Tensors, ts = paramio.Split(ts, "adam/")
	// Check everything before changing anything. SetState checks fully
	// before changing its optimizer; if Adam's state is bad, SGD's is put
	// back.
	apply, err := paramio.Check(path, ts, paramio.Match{Exact: true, Only: true, What: "checkpoint"}, s.groups()...)
	if err != nil {
		return err
	}
	sgdBefore := s.wOpt.State()
	if err := s.wOpt.SetState(meta.SGD); err != nil {
		return fmt.Errorf("%s: weight optimizer: %w", path, err)
	}
	if err := s.aOpt.SetState(meta.Adam); err != nil {
		_ = s.wOpt.SetState(sgdBefore)
		return fmt.Errorf("%s: architecture optimizer: %w", path, err)
	}
	apply()
	s.Epoch, s.Step, s.acc = meta.Epoch, meta.Step, meta.Acc
	return nil
}
