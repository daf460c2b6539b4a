package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"

	"github.com/darts-go/darts/export/network"
	"github.com/darts-go/darts/export/safetensors"
	"github.com/darts-go/darts/internal/atomicfile"
	"github.com/darts-go/darts/internal/tensorio"
	"github.com/darts-go/darts/job"
	"github.com/darts-go/darts/retrain"
	"github.com/darts-go/darts/rundir"
	"github.com/darts-go/darts/space"
	"github.com/spf13/pflag"
)

// modelExportHelp is the part of darts export --help about trained models.
const modelExportHelp = `
With --run TRAIN_RUN (a darts train run directory) it exports the trained
model, RUN/weights.dgo:
  onnx     an ONNX model (opset 13, IR version 7) for onnxruntime and other
           ONNX tools: input "input", float32 [N, C, H, W] with pixels in
           [0, 1] (an 8-bit image divided by 255, channels as the dataset
           has them) — the normalization with the training images' mean and
           std is part of the graph; output "logits", float32 [N, classes],
           before softmax. BatchNorm in eval form, no drop path, no
           auxiliary head; N is symbolic (any batch size).
  pytorch  a safetensors file with the state_dict of the original code:
           DARTS's NetworkCIFAR (quark0/darts cnn/model.py; its
           auxiliary_head.* too if the run trained one, unless
           --no-auxiliary) or AutoDL-Projects' TinyNetwork for NAS-Bench-201,
           BatchNorm statistics and num_batches_tracked included, so that
           model.load_state_dict(safetensors.torch.load_file(FILE), strict=True)
           works; its metadata names the constructor call, the genotype and
           the normalization to apply.

Examples:
  darts export --run runs/train --format onnx -o model.onnx
  darts export --run runs/train --format pytorch -o weights.safetensors
`

// modelFlags are darts export's flags for trained models.
type modelFlags struct {
	run   string
	noAux bool
}

func addModelFlags(fs *pflag.FlagSet) *modelFlags {
	m := &modelFlags{}
	fs.StringVar(&m.run, "run", "", "the run `DIR`: a training run for --format onnx|pytorch; for json|darts|dot, a run whose genotype.json to read")
	fs.BoolVar(&m.noAux, "no-auxiliary", false, "--format pytorch: leave the auxiliary head out (load into NetworkCIFAR(..., auxiliary=False))")
	return m
}

// isModelFormat reports whether format exports a trained model.
func isModelFormat(format string) bool { return format == "onnx" || format == "pytorch" }

// exportModel is darts export --format onnx|pytorch.
func exportModel(format, out string, m *modelFlags, stdout io.Writer) error {
	switch {
	case m.run == "":
		return usageErrorf("--format %s exports a trained model: --run TRAIN_RUN is required", format)
	case out == "":
		return usageErrorf("--format %s writes a binary file: -o FILE is required", format)
	}
	if m.noAux && format != "pytorch" {
		return usageErrorf("--no-auxiliary applies to --format pytorch (the ONNX model never has the auxiliary head)")
	}
	if err := checkOutFile("-o", out); err != nil {
		return err
	}
	tr, err := job.OpenTraining(m.run, "")
	if err != nil {
		return err
	}
	conf := tr.Conf
	norm := network.Normalization{Mean: conf.DataInfo.Mean, Std: conf.DataInfo.Std}
	w := network.FromParams(tr.Net.Weights(), tr.Net.State())
	cfg := conf.Network
	if format == "onnx" {
		model, err := network.ONNX(cfg, w, norm, job.Version)
		if err != nil {
			return fmt.Errorf("%s: %w", tr.Weights, err)
		}
		b, err := model.Marshal()
		if err != nil {
			return err
		}
		if err := rundir.WriteFileAtomic(out, b, 0o644); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s: ONNX opset %d (IR %d), %d nodes, %s parameters; input %q [N,%d,%d,%d] pixels in [0, 1], output %q [N,%d]\n",
			out, model.Opset, model.IRVersion, len(model.Nodes), thousands(tr.Net.NumParams()), network.InputName,
			cfg.InputC, cfg.InputH, cfg.InputW, network.OutputName, cfg.Classes)
		return nil
	}

	withAux := cfg.Auxiliary && !m.noAux
	if withAux {
		if err := addAuxHead(m.run, w); err != nil {
			return err
		}
	}
	steps := int64(tr.Epochs) * int64(stepsPerEpoch(conf))
	ts, err := network.PyTorch(cfg, w, steps)
	if errors.Is(err, network.ErrAuxShape) {
		return fmt.Errorf("%v: add --no-auxiliary to export the network without it", err)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", tr.Weights, err)
	}
	meta, err := network.PyTorchMetadata(cfg, norm, withAux, job.Version)
	if err != nil {
		return err
	}
	if err := atomicfile.Write(out, 0o644, func(f io.Writer) error { return safetensors.Write(f, ts, meta) }); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: %d tensors, the state_dict of %s\n", out, len(ts), meta["module"])
	fmt.Fprintf(stdout, "genotype = %s\n", meta["genotype"])
	fmt.Fprintf(stdout, "input: pixels in [0, 1] normalized with mean [%s], std [%s]\n", meta["mean"], meta["std"])
	if cfg.InputC != 3 {
		stem := "Conv2d(3, 3*C, 3, padding=1, bias=False) of NetworkCIFAR's stem"
		if cfg.Space == space.NB201Name {
			stem = "Conv2d(3, C, 3, padding=1, bias=False) of TinyNetwork's stem"
		}
		fmt.Fprintf(stdout, "note: the data has %d channel(s); the original code's %s takes 3: give it %d input channel(s)\n", cfg.InputC, stem, cfg.InputC)
	}
	return nil
}

// stepsPerEpoch is the training steps of one epoch of a training run:
// one per batch of the training set (search-train and search-val
// together), the last partial batch included.
func stepsPerEpoch(conf job.TrainConfig) int {
	n, b := conf.DataInfo.Train+conf.DataInfo.Val, conf.Train.BatchSize
	if b < 1 {
		return 0
	}
	return (n + b - 1) / b
}

// addAuxHead adds the auxiliary head's tensors to w from the run's
// training checkpoint (weights.dgo leaves the head out), after checking
// that the checkpoint holds the model of weights.dgo: the head of another
// step would not be the model's.
func addAuxHead(run string, w network.Weights) error {
	path := filepath.Join(run, retrain.TrainCheckpointFile)
	raw, ts, err := tensorio.ReadFile(path)
	if err != nil {
		return fmt.Errorf("the auxiliary head's weights are in the training checkpoint: %w (or add --no-auxiliary)", err)
	}
	var pos struct{ Epoch, Step int }
	if err := json.Unmarshal(raw, &pos); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	n := 0
	for _, t := range ts {
		name, ok := strings.CutPrefix(t.Name, "weight/")
		if !ok {
			name, ok = strings.CutPrefix(t.Name, "bn/")
		}
		if !ok {
			continue
		}
		data := t.F32
		if t.F64 != nil {
			data = make([]float32, len(t.F64))
			for i, v := range t.F64 {
				data[i] = float32(v)
			}
		}
		if strings.HasPrefix(name, network.AuxPrefix) {
			w[name] = network.Tensor{Shape: t.Shape, Data: data}
			n++
			continue
		}
		if have, ok := w[name]; !ok || !slices.Equal(have.Data, data) {
			return fmt.Errorf("%s (epoch %d, step %d) holds another model than weights.dgo (%s differs): the auxiliary head of that step is not the model's; resume the run to the end of an epoch, or add --no-auxiliary",
				path, pos.Epoch, pos.Step, name)
		}
	}
	if n == 0 {
		return fmt.Errorf("%s has no auxiliary head tensors; add --no-auxiliary", path)
	}
	return nil
}
