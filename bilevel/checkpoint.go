package bilevel

import (
	"fmt"
	"reflect"

	"github.com/darts-go/darts/internal/paramio"
	"github.com/darts-go/darts/internal/tensorio"
	"github.com/darts-go/darts/optim"
	"github.com/darts-go/darts/supernet"
)

// CheckpointFile is the name of the search checkpoint in a run directory.
const CheckpointFile = "checkpoint.dgo"

const checkpointFormat = "darts-go search checkpoint v1"

// checkpointMeta is the JSON part of a checkpoint; tensors hold the rest:
// "weight/<name>", "alpha/<name>", "bn/<name>", "sgd/<tensor>", "adam/<tensor>".
type checkpointMeta struct {
	Format   string           `json:"format"`
	Epoch    int              `json:"epoch"`
	Step     int              `json:"step"`
	Acc      accum            `json:"accumulated"`
	Settings Settings         `json:"settings"`
	Network  supernet.Config  `json:"network"`
	SGD      optim.OptimState `json:"sgd"`
	Adam     optim.OptimState `json:"adam"`
}

// Save writes the whole search state to path atomically: weights, alphas,
// BatchNorm statistics, both optimizers, the position (epoch, step) and the
// epoch's running metrics. The data order is a pure function of the seed
// and the position, so nothing else is needed to resume exactly.
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
		Settings: s.S, Network: s.Net.Cfg, SGD: s.wOpt.State(), Adam: s.aOpt.State()}
	ts := paramio.Tensors(s.groups()...)
	ts = append(ts, paramio.Prefixed("sgd/", meta.SGD.Tensors)...)
	ts = append(ts, paramio.Prefixed("adam/", meta.Adam.Tensors)...)
	return paramio.Snapshot{Meta: meta, Tensors: ts}
}

// groups are the network's tensors of a checkpoint, by name prefix.
func (s *Search[T]) groups() []paramio.Group[T] {
	return []paramio.Group[T]{{Prefix: "weight/", Params: s.Net.Weights()},
		{Prefix: "alpha/", Params: s.Net.Alphas()}, {Prefix: "bn/", Params: s.Net.State()}}
}

// Load restores a state written by Save into s, whose network and settings
// must match the checkpoint's (the number of epochs may differ, to extend a
// run). Nothing is changed if the checkpoint does not fit.
func (s *Search[T]) Load(path string) error {
	raw, ts, err := tensorio.ReadFile(path)
	if err != nil {
		return err
	}
	var meta checkpointMeta
	if err := paramio.DecodeMeta(path, raw, &meta, checkpointFormat, "search checkpoint"); err != nil {
		return err
	}
	if !reflect.DeepEqual(meta.Network, s.Net.Cfg) {
		return fmt.Errorf("%s: checkpoint is of another network (%+v), this run builds %+v", path, meta.Network, s.Net.Cfg)
	}
	want, got := s.S, meta.Settings
	want.Epochs, got.Epochs = 0, 0
	if want != got {
		return fmt.Errorf("%s: checkpoint was made with other settings (%+v), this run has %+v", path, meta.Settings, s.S)
	}
	meta.SGD.Tensors, ts = paramio.Split(ts, "sgd/")
	meta.Adam.Tensors, ts = paramio.Split(ts, "adam/")
	// Check everything before changing anything. SetState checks fully
	// before changing its optimizer; if Adam's state is bad, SGD's is put
	// back.
	apply, err := paramio.Check(path, ts, paramio.Match{Exact: true, Only: true, Flat: true, What: "checkpoint"}, s.groups()...)
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
