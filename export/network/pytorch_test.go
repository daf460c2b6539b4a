package network

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/darts-go/darts/derive"
	"github.com/darts-go/darts/export/safetensors"
	"github.com/darts-go/darts/mixedop"
	"github.com/darts-go/darts/supernet"
)

// keysFile is what tools/iocheck/torchref.py keys writes: the state_dict
// of PyTorch modules with the structure of model.py's NetworkCIFAR and
// AutoDL's TinyNetwork (checked once against the original code).
type keysFile struct {
	Cases []struct {
		Name   string `json:"name"`
		Config struct {
			Space         string          `json:"space"`
			InputShape    string          `json:"input_shape"`
			Classes       int             `json:"classes"`
			C             int             `json:"init_channels"`
			Layers        int             `json:"layers"`
			CellsPerStage int             `json:"cells_per_stage"`
			Auxiliary     bool            `json:"auxiliary"`
			Genotype      json.RawMessage `json:"genotype"`
		} `json:"config"`
		Keys []struct {
			Key   string `json:"key"`
			Shape []int  `json:"shape"`
			Dtype string `json:"dtype"`
		} `json:"keys"`
	} `json:"cases"`
}

func allWeights(net *supernet.Discrete[float32]) Weights {
	return FromParams(net.Weights(), net.AuxWeights(), net.State())
}

// TestPyTorchKeysMatchModules: the exported keys, shapes and dtypes are
// exactly the state_dict of the PyTorch modules of the same configuration,
// and every tensor holds the darts-go tensor's values.
func TestPyTorchKeysMatchModules(t *testing.T) {
	raw, err := os.ReadFile("testdata/pytorch_keys.json")
	if err != nil {
		t.Fatal(err)
	}
	var kf keysFile
	if err := json.Unmarshal(raw, &kf); err != nil {
		t.Fatal(err)
	}
	if len(kf.Cases) != 3 {
		t.Fatalf("%d cases", len(kf.Cases))
	}
	for _, c := range kf.Cases {
		var shape [3]int
		if _, err := fmt.Sscanf(c.Config.InputShape, "%dx%dx%d", &shape[0], &shape[1], &shape[2]); err != nil {
			t.Fatal(err)
		}
		var g derive.Genotype
		if c.Config.Space == "nas-bench-201" {
			var s string
			if err := json.Unmarshal(c.Config.Genotype, &s); err != nil {
				t.Fatal(err)
			}
			if g, err = derive.ParseNB201(s); err != nil {
				t.Fatal(err)
			}
		} else if err := json.Unmarshal(c.Config.Genotype, &g); err != nil {
			t.Fatal(err)
		}
		cfg := supernet.DiscreteConfig{InputC: shape[0], InputH: shape[1], InputW: shape[2], Classes: c.Config.Classes,
			C: c.Config.C, Layers: c.Config.Layers, CellsPerStage: c.Config.CellsPerStage, Auxiliary: c.Config.Auxiliary, Genotype: g}
		net, err := supernet.NewDiscrete[float32](cfg, 3)
		if err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		w := allWeights(net)
		ts, err := PyTorch(cfg, w, 42)
		if err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		got := map[string]string{}
		for _, x := range ts {
			dt := "float32"
			if x.Dtype() == safetensors.DtypeI64 {
				dt = "int64"
				if x.I64[0] != 42 {
					t.Errorf("%s: %s = %d", c.Name, x.Name, x.I64[0])
				}
			}
			got[x.Name] = fmt.Sprint(x.Shape, dt)
		}
		want := map[string]string{}
		for _, k := range c.Keys {
			want[k.Key] = fmt.Sprint(k.Shape, k.Dtype)
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s: %s is %q, the module's %q", c.Name, k, got[k], v)
			}
		}
		for k := range got {
			if _, ok := want[k]; !ok {
				t.Errorf("%s: unexpected key %s", c.Name, k)
			}
		}
		// Values: the key each darts-go tensor maps to holds its data.
		byKey := map[string]safetensors.Tensor{}
		for _, x := range ts {
			byKey[x.Name] = x
		}
		for name, tensor := range w {
			key, err := PyTorchKey(cfg, name)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(byKey[key].F32, tensor.Data) {
				t.Errorf("%s: %s (from %s) holds other values", c.Name, key, name)
			}
		}
	}
}

// TestPyTorchDARTSV2Counts holds NetworkCIFAR(36, 10, 20, auxiliary,
// DARTS_V2) to the counts of the original model.py (../shared/ECOSYSTEM.md
// §2.3, from an enumeration of model.py; 3,349,342 parameters is the
// "param size" DARTS logs): 1650 keys and 241 BatchNorms with the
// auxiliary head, 1636 and 239 without.
func TestPyTorchDARTSV2Counts(t *testing.T) {
	g, err := derive.ReadFile("../../genotypes/darts-v2.json")
	if err != nil {
		t.Fatal(err)
	}
	cfg := supernet.DiscreteConfig{InputC: 3, InputH: 32, InputW: 32, Classes: 10, C: 36, Layers: 20, Auxiliary: true, Genotype: g}
	net, err := supernet.NewDiscrete[float32](cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	noAux := Weights{}
	for name, x := range allWeights(net) {
		if !strings.HasPrefix(name, AuxPrefix) {
			noAux[name] = x
		}
	}
	for _, c := range []struct {
		w                        Weights
		keys, bn, params, buffer int
	}{
		{allWeights(net), 1650, 241, 3825768, 42184},
		{noAux, 1636, 239, 3349342, 40392},
	} {
		ts, err := PyTorch(cfg, c.w, 1)
		if err != nil {
			t.Fatal(err)
		}
		bn, params, buffer := 0, 0, 0
		for _, x := range ts {
			switch {
			case strings.HasSuffix(x.Name, ".num_batches_tracked"):
				bn++
			case strings.HasSuffix(x.Name, ".running_mean"), strings.HasSuffix(x.Name, ".running_var"):
				buffer += len(x.F32)
			default:
				params += len(x.F32)
			}
		}
		if len(ts) != c.keys || bn != c.bn || params != c.params || buffer != c.buffer {
			t.Errorf("%d keys, %d BatchNorms, %d parameters, %d buffer values; want %d, %d, %d, %d",
				len(ts), bn, params, buffer, c.keys, c.bn, c.params, c.buffer)
		}
	}
}

// TestPyTorchErrors: what the original modules cannot hold is an error.
func TestPyTorchErrors(t *testing.T) {
	withNorConv := exportCases(t)[0] // nor_conv_3x3 in a DARTS reduce cell
	net, err := supernet.NewDiscrete[float32](withNorConv, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := PyTorch(withNorConv, allWeights(net), 0); err == nil || !strings.Contains(err.Error(), "op nor_conv_3x3 of the reduce cell has no counterpart in DARTS's NetworkCIFAR") {
		t.Errorf("nor_conv in a DARTS cell: %v", err)
	}
	dag := exportCases(t)[2]
	net, err = supernet.NewDiscrete[float32](dag, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := PyTorch(dag, allWeights(net), 0); err == nil || !strings.Contains(err.Error(), "not in DARTS's format") {
		t.Errorf("a general DAG: %v", err)
	}
	// An auxiliary head on 28x28 (MNIST): 1x1 second convolution.
	g, err := derive.ReadFile("../../genotypes/darts-v2.json")
	if err != nil {
		t.Fatal(err)
	}
	mnist := supernet.DiscreteConfig{InputC: 1, InputH: 28, InputW: 28, Classes: 10, C: 4, Layers: 3, Auxiliary: true, Genotype: g}
	net, err = supernet.NewDiscrete[float32](mnist, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := PyTorch(mnist, allWeights(net), 0); !errors.Is(err, ErrAuxShape) || !strings.Contains(err.Error(), "aux.conv2.conv is [768 128 1 1]") {
		t.Errorf("auxiliary head on 28x28: %v", err)
	}
	ts, err := PyTorch(mnist, FromParams(net.Weights(), stateWithout(net.State(), AuxPrefix)), 0)
	if err != nil {
		t.Errorf("the same without the head's tensors: %v", err)
	}
	for _, x := range ts {
		if strings.HasPrefix(x.Name, "auxiliary_head.") {
			t.Errorf("key %s without the head's tensors", x.Name)
		}
	}
	mnist.Auxiliary = false
	if _, err := PyTorch(mnist, allWeights(net), 0); err == nil || !strings.Contains(err.Error(), "without an auxiliary head") {
		t.Errorf("head tensors of a network without a head: %v", err)
	}
	if _, err := PyTorchKey(mnist, "cells.0.ops.0.conv_bias"); err == nil || !strings.Contains(err.Error(), "cells.0.ops.0.conv_bias has no counterpart") {
		t.Errorf("unknown name: %v", err)
	}
}

func stateWithout(ps []*mixedop.Param[float32], prefix string) []*mixedop.Param[float32] {
	var out []*mixedop.Param[float32]
	for _, p := range ps {
		if !strings.HasPrefix(p.Name, prefix) {
			out = append(out, p)
		}
	}
	return out
}

// TestPyTorchMetadata: the metadata names the module, the genotype in the
// original code's text and the normalization.
func TestPyTorchMetadata(t *testing.T) {
	cases := exportCases(t)
	m, err := PyTorchMetadata(cases[1], Normalization{Mean: []float64{0.1307}, Std: []float64{0.3081}}, false, "darts-go 0.2")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"format": "pt", "producer": "darts-go 0.2", "space": "darts", "input_shape": "1x12x12", "classes": "3",
		"init_channels": "2", "layers": "5", "auxiliary": "false", "mean": "0.1307", "std": "0.3081",
		"module":   "NetworkCIFAR(C=2, num_classes=3, layers=5, auxiliary=False, genotype=genotype)",
		"genotype": "Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 1), ('skip_connect', 0), ('skip_connect', 0), ('dil_conv_3x3', 2)], normal_concat=[2, 3, 4, 5], reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 1), ('max_pool_3x3', 0), ('skip_connect', 2), ('skip_connect', 2), ('max_pool_3x3', 1)], reduce_concat=[2, 3, 4, 5])"}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("%s = %q, want %q", k, m[k], v)
		}
	}
	if len(m) != len(want) {
		t.Errorf("%d keys, want %d: %v", len(m), len(want), m)
	}
	m, err = PyTorchMetadata(cases[3], Normalization{Mean: []float64{0.5, 0.25, 0}, Std: []float64{0.2, 0, 1}}, false, "x")
	if err != nil {
		t.Fatal(err)
	}
	if m["genotype"] != "|nor_conv_3x3~0|+|nor_conv_1x1~0|avg_pool_3x3~1|+|skip_connect~0|max_pool_3x3~1|none~2|" ||
		m["module"] != "TinyNetwork(C=4, N=2, genotype=genotype, num_classes=4)" || m["std"] != "0.2,0,1" || m["cells_per_stage"] != "2" {
		t.Errorf("NAS-Bench-201 metadata %v", m)
	}
}
