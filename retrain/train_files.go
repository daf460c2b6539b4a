package retrain

import (
	"fmt"
	"io"
	"os"
	"reflect"
	"strings"

	"github.com/darts-go/darts/internal/paramio"
	"github.com/darts-go/darts/internal/tally"
	"github.com/darts-go/darts/internal/tensorio"
	"github.com/darts-go/darts/mixedop"
	"github.com/darts-go/darts/optim"
	"github.com/darts-go/darts/supernet"
)

// File names in a training run directory.
const (
	// WeightsFile holds the trained model (see SaveWeights).
	WeightsFile = "weights.dgo"
	// TrainCheckpointFile holds the full training state (see Trainer.Save).
	TrainCheckpointFile = "checkpoint.dgo"
)

const (
	weightsFormat    = "darts-go model weights v1"
	checkpointFormat = "darts-go train checkpoint v1"
)

// weightsMeta is the JSON metadata of a weights file.
type weightsMeta struct {
	Format  string                  `json:"format"`
	Network supernet.DiscreteConfig `json:"network"`
	Params  int                     `json:"params"`
	Epoch   int                     `json:"epoch"`
}

// SaveWeights writes net's model to path atomically as a tensorio archive
// (internal/tensorio's documented layout), for darts eval and other tools.
//
// Its metadata is the JSON object
//
//	{"format": "darts-go model weights v1",
//	 "network": {supernet.DiscreteConfig: input_c, input_h, input_w, classes,
//	             init_channels, layers, stem_multiplier, auxiliary,
//	             normal: {edges: [{op, input}, ...], concat: [...]}, reduce: {...}},
//	 "params": <parameter count>, "epoch": <epochs trained>}
//
// and its tensors are, in network order, every parameter (float32 for a
// float32 network) under its own name as documented on supernet.Discrete
// ("stem.conv" (3C,C_in,3,3), "cells.0.pre0.bn.weight" (C), ...,
// "classifier.weight" (classes,C_last), "classifier.bias"), then every
// BatchNorm running statistic ("<bn>.running_mean", "<bn>.running_var").
// Convolution weights are (out, in, kh, kw) and depthwise ones (C, 1, k,
// k), as PyTorch stores them; the auxiliary head, a training aid, is not
// saved.
func SaveWeights[T Float](path string, net *supernet.Discrete[T], epoch int) error {
	meta := weightsMeta{Format: weightsFormat, Network: net.Cfg, Params: net.NumParams(), Epoch: epoch}
	ts := paramio.Tensors(paramio.Group[T]{Params: modelTensors(net)})
	if err := tensorio.WriteFileAtomic(path, meta, ts); err != nil {
		return fmt.Errorf("saving weights: %w", err)
	}
	return nil
}

// modelTensors are the tensors of a weights file: parameters, then running
// statistics, the auxiliary head's left out.
func modelTensors[T Float](net *supernet.Discrete[T]) []*mixedop.Param[T] {
	ps := append([]*mixedop.Param[T](nil), net.Weights()...)
	for _, p := range net.State() {
		if !strings.HasPrefix(p.Name, "aux.") {
			ps = append(ps, p)
		}
	}
	return ps
}

// LoadWeights reads a file written by SaveWeights into net (see
// ReadWeights). Errors name the file.
func LoadWeights[T Float](path string, net *supernet.Discrete[T]) (epoch int, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err // names the file
	}
	defer f.Close()
	return readWeights(f, path, net)
}

// ReadWeights reads weights in SaveWeights' format from r into net,
// converting float32 and float64 as needed, and returns the epochs they were
// trained for. Weights of another network are an error that names what
// differs (layers, channels, cells, a tensor's shape, ...); net is unchanged
// on any error.
func ReadWeights[T Float](r io.Reader, net *supernet.Discrete[T]) (epoch int, err error) {
	return readWeights(r, "weights", net)
}

func readWeights[T Float](r io.Reader, name string, net *supernet.Discrete[T]) (int, error) {
	raw, ts, err := tensorio.Read(r)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", name, err)
	}
	var meta weightsMeta
	if err := paramio.DecodeMeta(name, raw, &meta, weightsFormat, "weights file"); err != nil {
		return 0, err
	}
	if d := configDiff(meta.Network, net.Cfg, false); d != "" {
		return 0, fmt.Errorf("%s: the weights are of another network: %s", name, d)
	}
	apply, err := paramio.Check(name, ts, paramio.Match{Only: true, What: "weights file"},
		paramio.Group[T]{Params: modelTensors(net)})
	if err != nil {
		return 0, err
	}
	apply()
	return meta.Epoch, nil
}

// configDiff describes how the network of a file (have) differs from the
// one built (want), or returns "" if they are the same. The auxiliary head
// is compared only if withAux.
func configDiff(have, want supernet.DiscreteConfig, withAux bool) string {
	var d []string
	f := func(name string, a, b any) {
		if !reflect.DeepEqual(a, b) {
			d = append(d, fmt.Sprintf("%s %v in the file, %v here", name, a, b))
		}
	}
	f("space", have.Space, want.Space)
	f("input shape", [3]int{have.InputC, have.InputH, have.InputW}, [3]int{want.InputC, want.InputH, want.InputW})
	f("classes", have.Classes, want.Classes)
	f("init channels", have.C, want.C)
	f("layers", have.Layers, want.Layers)
	f("stem multiplier", have.StemMultiplier, want.StemMultiplier)
	if withAux {
		f("auxiliary", have.Auxiliary, want.Auxiliary)
	}
	if !have.Genotype.Equal(want.Genotype) {
		d = append(d, fmt.Sprintf("genotype %s in the file, %s here", have.Genotype, want.Genotype))
	}
	return strings.Join(d, "; ")
}

// checkpointMeta is the JSON part of a training checkpoint; its tensors are
// "weight/<name>" (auxiliary head included), "bn/<name>" and
// "sgd/momentum_buffer/<name>".
type checkpointMeta struct {
	Format   string                  `json:"format"`
	Epoch    int                     `json:"epoch"`
	Step     int                     `json:"step"`
	Acc      tally.Sums              `json:"accumulated"`
	Settings TrainSettings           `json:"settings"`
	Network  supernet.DiscreteConfig `json:"network"`
	SGD      optim.OptimState        `json:"sgd"`
}

// Save writes the whole training state to path atomically: weights,
// BatchNorm statistics, the SGD state, the position (epoch, step) and the
// epoch's running metrics. Data order, augmentation and drop-path masks are
// pure functions of the seed and the position, so nothing else is needed
// to resume exactly.
func (t *Trainer[T]) Save(path string) error {
	if err := t.Snapshot().WriteFile(path); err != nil {
		return fmt.Errorf("saving checkpoint: %w", err)
	}
	return nil
}

// Snapshot copies what Save writes, to be written later (for instance by
// another goroutine while training goes on).
func (t *Trainer[T]) Snapshot() paramio.Snapshot {
	meta := checkpointMeta{Format: checkpointFormat, Epoch: t.Epoch, Step: t.Step, Acc: t.acc,
		Settings: t.S, Network: t.Net.Cfg, SGD: t.opt.State()}
	ts := append(paramio.Tensors(t.groups()...), paramio.Prefixed("sgd/", meta.SGD.Tensors)...)
	return paramio.Snapshot{Meta: meta, Tensors: ts}
}

// groups are the network's tensors of a checkpoint, by name prefix.
func (t *Trainer[T]) groups() []paramio.Group[T] {
	return []paramio.Group[T]{{Prefix: "weight/", Params: t.Net.Weights()},
		{Prefix: "weight/", Params: t.Net.AuxWeights()}, {Prefix: "bn/", Params: t.Net.State()}}
}

// Load restores a state written by Save into t, whose network and settings
// must match the checkpoint's (the number of epochs may differ, to extend a
// run). Nothing is changed if the checkpoint does not fit.
func (t *Trainer[T]) Load(path string) error {
	raw, ts, err := tensorio.ReadFile(path)
	if err != nil {
		return err
	}
	var meta checkpointMeta
	if err := paramio.DecodeMeta(path, raw, &meta, checkpointFormat, "training checkpoint"); err != nil {
		return err
	}
	if d := configDiff(meta.Network, t.Net.Cfg, true); d != "" {
		return fmt.Errorf("%s: checkpoint is of another network: %s", path, d)
	}
	want, got := t.S, meta.Settings
	want.Epochs, got.Epochs = 0, 0
	if want != got {
		return fmt.Errorf("%s: checkpoint was made with other settings (%+v), this run has %+v", path, meta.Settings, t.S)
	}
	// Check the tensors without copying, then restore the optimizer (which
	// checks before changing), then copy.
	meta.SGD.Tensors, ts = paramio.Split(ts, "sgd/")
	apply, err := paramio.Check(path, ts, paramio.Match{Exact: true, Only: true, What: "checkpoint"}, t.groups()...)
	if err != nil {
		return err
	}
	if err := t.opt.SetState(meta.SGD); err != nil {
		return fmt.Errorf("%s: optimizer: %w", path, err)
	}
	apply()
	t.Epoch, t.Step, t.acc = meta.Epoch, meta.Step, meta.Acc
	return nil
}
