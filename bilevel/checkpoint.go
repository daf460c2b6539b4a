package bilevel

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"unsafe"

	"github.com/darts-go/darts/internal/tensorio"
	"github.com/darts-go/darts/mixedop"
	"github.com/darts-go/darts/supernet"
)

// CheckpointFile is the name of the search checkpoint in a run directory.
const CheckpointFile = "checkpoint.dgo"

const checkpointFormat = "darts-go search checkpoint v1"

// checkpointMeta is the JSON part of a checkpoint; tensors hold the rest:
// "weight/<name>", "alpha/<name>", "bn/<name>", "sgd/<tensor>", "adam/<tensor>".
type checkpointMeta struct {
	Format   string          `json:"format"`
	Epoch    int             `json:"epoch"`
	Step     int             `json:"step"`
	Acc      accum           `json:"accumulated"`
	Settings Settings        `json:"settings"`
	Network  supernet.Config `json:"network"`
	SGD      OptimState      `json:"sgd"`
	Adam     OptimState      `json:"adam"`
}

// Save writes the whole search state to path atomically: weights, alphas,
// BatchNorm statistics, both optimizers, the position (epoch, step) and the
// epoch's running metrics. The data order is a pure function of the seed
// and the position, so nothing else is needed to resume exactly.
func (s *Search[T]) Save(path string) error {
	meta := checkpointMeta{Format: checkpointFormat, Epoch: s.Epoch, Step: s.Step, Acc: s.acc,
		Settings: s.S, Network: s.Net.Cfg, SGD: s.wOpt.State(), Adam: s.aOpt.State()}
	var ts []tensorio.Tensor
	add := func(prefix string, ps []*mixedop.Param[T]) {
		for _, p := range ps {
			ts = append(ts, toTensor(prefix+p.Name, p.Value))
		}
	}
	add("weight/", s.Net.Weights())
	add("alpha/", s.Net.Alphas())
	add("bn/", s.Net.State())
	for _, t := range meta.SGD.Tensors {
		t.Name = "sgd/" + t.Name
		ts = append(ts, t)
	}
	for _, t := range meta.Adam.Tensors {
		t.Name = "adam/" + t.Name
		ts = append(ts, t)
	}
	if err := tensorio.WriteFileAtomic(path, meta, ts); err != nil {
		return fmt.Errorf("saving checkpoint: %w", err)
	}
	return nil
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
	if err := json.Unmarshal(raw, &meta); err != nil {
		return fmt.Errorf("%s: checkpoint header: %w", path, err)
	}
	if meta.Format != checkpointFormat {
		return fmt.Errorf("%s: not a search checkpoint (format %q)", path, meta.Format)
	}
	if !reflect.DeepEqual(meta.Network, s.Net.Cfg) {
		return fmt.Errorf("%s: checkpoint is of another network (%+v), this run builds %+v", path, meta.Network, s.Net.Cfg)
	}
	want, got := s.S, meta.Settings
	want.Epochs, got.Epochs = 0, 0
	if want != got {
		return fmt.Errorf("%s: checkpoint was made with other settings (%+v), this run has %+v", path, meta.Settings, s.S)
	}
	byName := map[string]*tensorio.Tensor{}
	for i := range ts {
		byName[ts[i].Name] = &ts[i]
	}
	// Check everything before changing anything.
	type dst struct {
		name string
		to   []T
	}
	var plan []dst
	for _, g := range []struct {
		prefix string
		ps     []*mixedop.Param[T]
	}{{"weight/", s.Net.Weights()}, {"alpha/", s.Net.Alphas()}, {"bn/", s.Net.State()}} {
		for _, p := range g.ps {
			plan = append(plan, dst{g.prefix + p.Name, p.Value})
		}
	}
	for _, d := range plan {
		t, ok := byName[d.name]
		if !ok {
			return fmt.Errorf("%s: checkpoint has no tensor %q", path, d.name)
		}
		if t.Len() != len(d.to) {
			return fmt.Errorf("%s: tensor %q has %d values, the network needs %d", path, d.name, t.Len(), len(d.to))
		}
		if (t.F32 == nil) == (unsafeSize[T]() == 4) {
			return fmt.Errorf("%s: tensor %q is %s, the network is not", path, d.name, t.DType())
		}
	}
	pick := func(prefix string) []tensorio.Tensor {
		var out []tensorio.Tensor
		for _, t := range ts {
			if strings.HasPrefix(t.Name, prefix) {
				t.Name = strings.TrimPrefix(t.Name, prefix)
				out = append(out, t)
			}
		}
		return out
	}
	meta.SGD.Tensors = pick("sgd/")
	meta.Adam.Tensors = pick("adam/")
	// SetState checks fully before changing its optimizer; if Adam's state
	// is bad, SGD's is put back.
	sgdBefore := s.wOpt.State()
	if err := s.wOpt.SetState(meta.SGD); err != nil {
		return fmt.Errorf("%s: weight optimizer: %w", path, err)
	}
	if err := s.aOpt.SetState(meta.Adam); err != nil {
		_ = s.wOpt.SetState(sgdBefore)
		return fmt.Errorf("%s: architecture optimizer: %w", path, err)
	}
	for _, d := range plan {
		t := byName[d.name]
		if unsafeSize[T]() == 4 {
			copy(f32View(d.to), t.F32)
		} else {
			copy(f64View(d.to), t.F64)
		}
	}
	s.Epoch, s.Step, s.acc = meta.Epoch, meta.Step, meta.Acc
	return nil
}

func unsafeSize[T Float]() uintptr {
	var z T
	return unsafe.Sizeof(z)
}
