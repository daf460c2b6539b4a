package bilevel

import (
	"encoding/json"
	"fmt"

	"github.com/darts-go/darts/internal/paramio"
	"github.com/darts-go/darts/internal/tensorio"
	"github.com/darts-go/darts/supernet"
)

// CheckpointInfo is what LoadNetwork reports of a search checkpoint: its
// position (epochs done and steps of the epoch in progress), settings,
// network and method.
type CheckpointInfo struct {
	Epoch, Step int
	Settings    Settings
	Network     supernet.Config
	Method      MethodRecord
}

// LoadNetwork loads the network of a search checkpoint (weights,
// architecture tensors and BatchNorm running statistics) into net, whose
// configuration must be the checkpoint's, without building a search (its
// optimizers' state is not read): what scoring candidates with a trained
// supernet needs. Nothing changes if the checkpoint does not fit.
func LoadNetwork[T Float](path string, net *supernet.Network[T]) (CheckpointInfo, error) {
	raw, ts, err := tensorio.ReadFile(path)
	if err != nil {
		return CheckpointInfo{}, err
	}
	var head struct {
		Format string `json:"format"`
	}
	format := checkpointFormat
	if json.Unmarshal(raw, &head) == nil && head.Format == checkpointFormatV1 {
		format = checkpointFormatV1
	}
	var meta checkpointMeta
	if err := paramio.DecodeMeta(path, raw, &meta, format, "search checkpoint"); err != nil {
		return CheckpointInfo{}, err
	}
	if format == checkpointFormatV1 {
		meta.Network = meta.Network.WithDefaults()
	}
	if d := paramio.DiffJSON(meta.Network, net.Cfg); d != "" {
		return CheckpointInfo{}, fmt.Errorf("%s: checkpoint is of another network: %s", path, d)
	}
	var rest []tensorio.Tensor
	for _, p := range []string{"weight/", "alpha/", "bn/"} {
		in, _ := paramio.Split(ts, p)
		rest = append(rest, paramio.Prefixed(p, in)...)
	}
	apply, err := paramio.Check(path, rest, paramio.Match{Exact: true, Only: true, What: "checkpoint"},
		paramio.Group[T]{Prefix: "weight/", Params: net.Weights()},
		paramio.Group[T]{Prefix: "alpha/", Params: net.ArchParams()},
		paramio.Group[T]{Prefix: "bn/", Params: net.State()})
	if err != nil {
		return CheckpointInfo{}, err
	}
	apply()
	return CheckpointInfo{Epoch: meta.Epoch, Step: meta.Step, Settings: meta.Settings, Network: meta.Network, Method: meta.Method}, nil
}
