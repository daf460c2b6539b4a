package network

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/darts-go/darts/export/safetensors"
	"github.com/darts-go/darts/space"
	"github.com/darts-go/darts/supernet"
)

// ErrAuxShape is returned (wrapped) by PyTorch for an auxiliary head that
// model.py's AuxiliaryHeadCIFAR cannot load: that head's second
// convolution is 2×2, made for the 8×8 maps of 32×32 CIFAR images, and
// darts-go sizes it to the maps it gets (1×1 on 28×28 MNIST).
var ErrAuxShape = errors.New("the auxiliary head does not have model.py's shape")

// modelPyOps are the ops of quark0/darts cnn/operations.py (OPS) that
// darts-go has: a DARTS genotype with any other op has no NetworkCIFAR.
var modelPyOps = map[string]bool{"none": true, "avg_pool_3x3": true, "max_pool_3x3": true, "skip_connect": true,
	"sep_conv_3x3": true, "sep_conv_5x5": true, "sep_conv_7x7": true, "dil_conv_3x3": true, "dil_conv_5x5": true}

// autoDLOps are the ops of AutoDL-Projects' xautodl/models/cell_operations.py
// (OPS) that darts-go's NAS-Bench-201 cells have.
var autoDLOps = map[string]bool{"none": true, "avg_pool_3x3": true, "max_pool_3x3": true, "skip_connect": true,
	"nor_conv_1x1": true, "nor_conv_3x3": true}

// A rule renames the darts-go tensors whose names match re: the submatches
// replace $1, $2, ... in to.
type rule struct {
	re *regexp.Regexp
	to string
}

func rules(pairs ...string) []rule {
	var rs []rule
	for i := 0; i < len(pairs); i += 2 {
		rs = append(rs, rule{regexp.MustCompile("^" + pairs[i] + "$"), pairs[i+1]})
	}
	return rs
}

// bnField matches what follows a BatchNorm's prefix.
const bnField = `(weight|bias|running_mean|running_var)`

// dartsRules map supernet.Discrete's DARTS names to NetworkCIFAR's keys
// (module registration order: model.py's Sequential indices, ReLUs
// included, which have no tensors).
var dartsRules = rules(
	`stem\.conv`, `stem.0.weight`,
	`stem\.bn\.`+bnField, `stem.1.$1`,
	// ReLUConvBN preprocessing: op = Sequential(ReLU, Conv2d, BatchNorm2d).
	`cells\.(\d+)\.pre([01])\.conv`, `cells.$1.preprocess$2.op.1.weight`,
	`cells\.(\d+)\.pre([01])\.bn\.`+bnField, `cells.$1.preprocess$2.op.2.$3`,
	// FactorizedReduce preprocessing: conv_1, conv_2, bn.
	`cells\.(\d+)\.pre0\.conv([12])`, `cells.$1.preprocess0.conv_$2.weight`,
	`cells\.(\d+)\.pre0\.fbn\.`+bnField, `cells.$1.preprocess0.bn.$2`,
	// SepConv: op = Sequential(ReLU, dw, pw, BN, ReLU, dw, pw, BN).
	`cells\.(\d+)\.ops\.(\d+)\.dw1`, `cells.$1._ops.$2.op.1.weight`,
	`cells\.(\d+)\.ops\.(\d+)\.pw1`, `cells.$1._ops.$2.op.2.weight`,
	`cells\.(\d+)\.ops\.(\d+)\.bn1\.`+bnField, `cells.$1._ops.$2.op.3.$3`,
	`cells\.(\d+)\.ops\.(\d+)\.dw2`, `cells.$1._ops.$2.op.5.weight`,
	`cells\.(\d+)\.ops\.(\d+)\.pw2`, `cells.$1._ops.$2.op.6.weight`,
	`cells\.(\d+)\.ops\.(\d+)\.bn2\.`+bnField, `cells.$1._ops.$2.op.7.$3`,
	// DilConv: op = Sequential(ReLU, dw, pw, BN).
	`cells\.(\d+)\.ops\.(\d+)\.dw`, `cells.$1._ops.$2.op.1.weight`,
	`cells\.(\d+)\.ops\.(\d+)\.pw`, `cells.$1._ops.$2.op.2.weight`,
	`cells\.(\d+)\.ops\.(\d+)\.bn\.`+bnField, `cells.$1._ops.$2.op.3.$3`,
	// skip_connect at stride 2: FactorizedReduce.
	`cells\.(\d+)\.ops\.(\d+)\.fr\.conv([12])`, `cells.$1._ops.$2.conv_$3.weight`,
	`cells\.(\d+)\.ops\.(\d+)\.fr\.bn\.`+bnField, `cells.$1._ops.$2.bn.$3`,
	// AuxiliaryHeadCIFAR: features = Sequential(ReLU, AvgPool2d, Conv2d,
	// BatchNorm2d, ReLU, Conv2d, BatchNorm2d, ReLU), classifier.
	`aux\.conv1\.conv`, `auxiliary_head.features.2.weight`,
	`aux\.conv1\.bn\.`+bnField, `auxiliary_head.features.3.$1`,
	`aux\.conv2\.conv`, `auxiliary_head.features.5.weight`,
	`aux\.conv2\.bn\.`+bnField, `auxiliary_head.features.6.$1`,
	`aux\.classifier\.(weight|bias)`, `auxiliary_head.classifier.$1`,
	`classifier\.(weight|bias)`, `classifier.$1`,
)

// nb201Rules map supernet.Discrete's NAS-Bench-201 names to TinyNetwork's
// keys: InferCell's layers list holds one module per pair, 'none' included,
// in the genotype's order (darts-go's ops.<j>); ReLUConvBN is op =
// Sequential(ReLU, Conv2d, BatchNorm2d); ResNetBasicblock has conv_a,
// conv_b and downsample = Sequential(AvgPool2d, Conv2d).
var nb201Rules = rules(
	`stem\.conv`, `stem.0.weight`,
	`stem\.bn\.`+bnField, `stem.1.$1`,
	`cells\.(\d+)\.ops\.(\d+)\.conv`, `cells.$1.layers.$2.op.1.weight`,
	`cells\.(\d+)\.ops\.(\d+)\.bn\.`+bnField, `cells.$1.layers.$2.op.2.$3`,
	`cells\.(\d+)\.(conv_[ab])\.conv`, `cells.$1.$2.op.1.weight`,
	`cells\.(\d+)\.(conv_[ab])\.bn\.`+bnField, `cells.$1.$2.op.2.$3`,
	`cells\.(\d+)\.downsample\.conv`, `cells.$1.downsample.1.weight`,
	`lastact\.bn\.`+bnField, `lastact.0.$1`,
	`classifier\.(weight|bias)`, `classifier.$1`,
)

// PyTorchKey returns the state_dict key of the darts-go tensor name in the
// PyTorch module of cfg's space (NetworkCIFAR for DARTS, TinyNetwork for
// NAS-Bench-201), or an error if the module has no such tensor.
func PyTorchKey(cfg supernet.DiscreteConfig, name string) (string, error) {
	cfg = cfg.WithDefaults()
	rs := dartsRules
	if cfg.Space == space.NB201Name {
		rs = nb201Rules
	} else if m := frPre0.FindStringSubmatch(name); m != nil {
		// A FactorizedReduce's BatchNorm after a reduction cell is
		// preprocess0.bn, a ReLUConvBN's preprocess0.op.2.
		if i, _ := strconv.Atoi(m[1]); i > 0 && supernet.IsReduction(i-1, cfg.Layers) {
			name = "cells." + m[1] + ".pre0.fbn." + m[2]
		}
	}
	for _, r := range rs {
		if r.re.MatchString(name) {
			return r.re.ReplaceAllString(name, r.to), nil
		}
	}
	return "", fmt.Errorf("tensor %s has no counterpart in %s", name, pytorchModule(cfg))
}

var frPre0 = regexp.MustCompile(`^cells\.(\d+)\.pre0\.bn\.` + bnField + `$`)

func pytorchModule(cfg supernet.DiscreteConfig) string {
	if cfg.Space == space.NB201Name {
		return "AutoDL-Projects' TinyNetwork"
	}
	return "DARTS's NetworkCIFAR (model.py)"
}

// PyTorch returns the tensors of w under the state_dict keys of the
// original module of cfg's space, ready for safetensors.Write:
//
//   - DARTS: quark0/darts cnn/model.py NetworkCIFAR(C, classes, layers,
//     auxiliary, genotype), its auxiliary_head.* keys exactly when w holds
//     the auxiliary head's tensors ("aux.*");
//   - NAS-Bench-201: AutoDL-Projects' xautodl TinyNetwork(C, N, genotype,
//     classes).
//
// Each BatchNorm also gets num_batches_tracked, a 0-dim int64 tensor set to
// batchesTracked (the training steps, which PyTorch counts; it does not
// change the model's output). w must be the complete network of cfg (the
// same check as ONNX's). The genotype must be one the original code builds:
// DARTS's two cells of two pairs per node with model.py's ops, or a
// NAS-Bench-201 cell of AutoDL's ops; and an auxiliary head must have
// model.py's 2×2 second convolution (ErrAuxShape). The original stems take
// 3 input channels: for other data, the stem's weight has the data's.
func PyTorch(cfg supernet.DiscreteConfig, w Weights, batchesTracked int64) ([]safetensors.Tensor, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	ops := modelPyOps
	if cfg.Space == space.NB201Name {
		ops = autoDLOps
	} else if !cfg.Genotype.IsDARTS() {
		return nil, fmt.Errorf("genotype %s: not in DARTS's format (a normal and a reduce cell of two inputs and two pairs per node), which model.py's Cell needs", cfg.Genotype)
	}
	for _, c := range cfg.Genotype.Cells {
		for _, p := range c.Pairs() {
			if !ops[p.Op] {
				return nil, fmt.Errorf("genotype: op %s of the %s cell has no counterpart in %s", p.Op, c.Name, pytorchModule(cfg))
			}
		}
	}
	// The network part must be complete and consistent: building its ONNX
	// graph checks every tensor's presence and shape.
	mean, std := make([]float64, cfg.InputC), make([]float64, cfg.InputC)
	for i := range std {
		std[i] = 1
	}
	if _, err := ONNX(cfg, w, Normalization{Mean: mean, Std: std}, ""); err != nil {
		return nil, err
	}
	hasAux := false
	for name := range w {
		if strings.HasPrefix(name, AuxPrefix) {
			hasAux = true
		}
	}
	if hasAux {
		if !cfg.Auxiliary {
			return nil, fmt.Errorf("auxiliary head tensors for a network without an auxiliary head")
		}
		if err := checkAux(w, cfg.Classes); err != nil {
			return nil, err
		}
	}
	names := make([]string, 0, len(w))
	for name := range w {
		names = append(names, name)
	}
	sort.Strings(names)
	var out []safetensors.Tensor
	seen := map[string]string{}
	for _, name := range names {
		key, err := PyTorchKey(cfg, name)
		if err != nil {
			return nil, err
		}
		if prev, dup := seen[key]; dup {
			return nil, fmt.Errorf("tensors %s and %s both map to %s", prev, name, key)
		}
		seen[key] = name
		t := w[name]
		out = append(out, safetensors.F32(key, t.Shape, t.Data))
		if base, ok := strings.CutSuffix(key, ".running_mean"); ok {
			out = append(out, safetensors.I64Scalar(base+".num_batches_tracked", batchesTracked))
		}
	}
	return out, nil
}

// checkAux checks the auxiliary head's tensors against
// AuxiliaryHeadCIFAR's shapes.
func checkAux(w Weights, classes int) error {
	want := map[string][]int{"aux.conv1.conv": nil, "aux.conv2.conv": {768, 128, 2, 2}, "aux.classifier.weight": {classes, 768}}
	for name, shape := range want {
		t, ok := w[name]
		if !ok {
			return fmt.Errorf("auxiliary head: no tensor %s", name)
		}
		if shape != nil && fmt.Sprint(t.Shape) != fmt.Sprint(shape) {
			return fmt.Errorf("%w: %s is %v, AuxiliaryHeadCIFAR's is %v (made for 32x32 inputs)", ErrAuxShape, name, t.Shape, shape)
		}
	}
	return nil
}

// PyTorchMetadata is the safetensors "__metadata__" of a PyTorch export:
// what it takes to build the module and feed it, as strings —
//
//	format           "pt" (the key Hugging Face's loaders look for)
//	producer         producer, e.g. "darts-go 0.2"
//	space            "darts" or "nas-bench-201"
//	genotype         the DARTS Genotype(...) text or the NAS-Bench-201 string
//	module           the constructor call, e.g. "NetworkCIFAR(C=16, num_classes=10,
//	                 layers=8, auxiliary=False, genotype=genotype)"
//	input_shape      "CxHxW"; classes; init_channels; layers (DARTS);
//	cells_per_stage  (NAS-Bench-201); auxiliary "true"/"false" (DARTS: whether
//	                 the file has the auxiliary_head.* keys)
//	mean, std        the input normalization, comma-separated per channel, of
//	                 pixels in [0, 1]: feed (x - mean) / std (a std of 0: 1)
func PyTorchMetadata(cfg supernet.DiscreteConfig, norm Normalization, auxiliary bool, producer string) (map[string]string, error) {
	cfg = cfg.WithDefaults()
	floats := func(v []float64) string {
		s := make([]string, len(v))
		for i, x := range v {
			s[i] = strconv.FormatFloat(x, 'g', -1, 64)
		}
		return strings.Join(s, ",")
	}
	m := map[string]string{
		"format":        "pt",
		"producer":      producer,
		"space":         cfg.Space,
		"input_shape":   fmt.Sprintf("%dx%dx%d", cfg.InputC, cfg.InputH, cfg.InputW),
		"classes":       strconv.Itoa(cfg.Classes),
		"init_channels": strconv.Itoa(cfg.C),
		"mean":          floats(norm.Mean),
		"std":           floats(norm.Std),
	}
	var err error
	if cfg.Space == space.NB201Name {
		m["genotype"], err = cfg.Genotype.FormatNB201()
		m["cells_per_stage"] = strconv.Itoa(cfg.CellsPerStage)
		m["module"] = fmt.Sprintf("TinyNetwork(C=%d, N=%d, genotype=genotype, num_classes=%d)", cfg.C, cfg.CellsPerStage, cfg.Classes)
	} else {
		m["genotype"], err = cfg.Genotype.FormatDARTS()
		m["layers"] = strconv.Itoa(cfg.Layers)
		m["auxiliary"] = strconv.FormatBool(auxiliary)
		m["module"] = fmt.Sprintf("NetworkCIFAR(C=%d, num_classes=%d, layers=%d, auxiliary=%s, genotype=genotype)",
			cfg.C, cfg.Classes, cfg.Layers, map[bool]string{true: "True", false: "False"}[auxiliary])
	}
	if err != nil {
		return nil, fmt.Errorf("genotype: %w", err)
	}
	return m, nil
}
