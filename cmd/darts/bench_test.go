package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/darts-go/darts/supernet"
)

func TestBenchUsageErrors(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--preset", "imagenet"}, `--preset "imagenet"`},
		{[]string{"--order", "3"}, "--order 3"},
		{[]string{"--steps", "0"}, "--steps 0"},
		{[]string{"--warmup", "-1"}, "--warmup -1"},
		{[]string{"--threads", "-2"}, "--threads -2"},
		{[]string{"--steps", "x"}, `"x" for "--steps"`},
		{[]string{"--nope"}, "--nope"},
		{[]string{"stray"}, `"stray"`},
		{[]string{"--mode", "retrain"}, `--mode "retrain"`},
		{[]string{"--mode", "train"}, "--mode train needs --genotype"},
		{[]string{"--mode", "train", "--genotype", "../../genotypes/darts-v2.json", "--drop-path", "0.5"}, "--drop-path 0.5"},
		{[]string{"--mode", "train", "--genotype", "../../genotypes/darts-v2.json", "--ops", "none,skip_connect"}, "--ops"},
		{[]string{"--mode", "train", "--genotype", "../../genotypes/darts-v2.json", "--order", "2"}, "--order"},
		{[]string{"--mode", "train", "--genotype", "no-such-file.json"}, "no-such-file.json"},
		{[]string{"--mode", "train", "--genotype", "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|"}, "nas-bench-201"},
		{[]string{"--genotype", "../../genotypes/darts-v2.json"}, "--mode train"},
		{[]string{"--drop-path", "0.1"}, "--mode train"},
		{[]string{"--layers", "-1"}, "--layers -1"},
		{[]string{"--init-channels", "-3"}, "--init-channels -3"},
		{[]string{"--batch-size", "-2"}, "--batch-size -2"},
		{[]string{"--ops", "none,conv_9x9"}, "conv_9x9"},
		{[]string{"--method", "gdsa"}, `method "gdsa": unknown`},
		{[]string{"--preset", "tiny", "--method", "pc-darts"}, "partial channels K = 4"},
		{[]string{"--mode", "train", "--genotype", "../../genotypes/darts-v2.json", "--method", "pc-darts"}, "--method"},
	}
	for _, c := range cases {
		err := bench(io.Discard, io.Discard, c.args)
		var ue *usageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("bench %v: error %v; want a usage error containing %q", c.args, err, c.want)
		}
	}
}

func TestBenchHelp(t *testing.T) {
	var out bytes.Buffer
	if err := bench(&out, io.Discard, []string{"--help"}); err != nil {
		t.Fatal(err)
	}
	h := out.String()
	for _, want := range []string{"Usage: darts bench", "darts bench --preset mnist-small --order 2", "--steps", "cifar-small"} {
		if !strings.Contains(h, want) {
			t.Errorf("help lacks %q", want)
		}
	}
	if strings.Contains(h, "tiny") {
		t.Error("help lists the hidden test preset")
	}
}

// TestBenchJSON runs the hidden tiny preset and checks the JSON object:
// every field it documents, and values that agree with each other and with
// an independently built network.
func TestBenchJSON(t *testing.T) {
	p := benchPresets["tiny"]
	net, err := supernet.NewNetwork[float32](supernet.Config{InputC: p.Shape[0], InputH: p.Shape[1], InputW: p.Shape[2],
		Classes: p.Classes, C: p.C, Layers: p.Layers}, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, c := range []struct {
		order, steps, threads int
	}{{1, 3, 0}, {2, 2, 1}} {
		args := []string{"--preset", "tiny", "--order", strconv.Itoa(c.order), "--steps", strconv.Itoa(c.steps), "--warmup", "1", "--json"}
		wantThreads := runtime.GOMAXPROCS(0)
		if c.threads > 0 {
			args = append(args, "--threads", "1")
			wantThreads = 1
		}
		var out bytes.Buffer
		if err := bench(&out, io.Discard, args); err != nil {
			t.Fatalf("bench %v: %v", args, err)
		}
		if n := strings.Count(out.String(), "\n"); n != 1 {
			t.Errorf("bench %v: %d lines, want one JSON object", args, n)
		}
		var raw map[string]any
		if err := json.Unmarshal(out.Bytes(), &raw); err != nil {
			t.Fatalf("bench %v: %v in %s", args, err, out.String())
		}
		for _, f := range []string{"preset", "order", "median_step_s", "min_step_s", "images_per_s", "peak_rss_mib", "params", "threads", "allocs_per_step"} {
			if _, ok := raw[f]; !ok {
				t.Errorf("bench %v: no field %q in %s", args, f, out.String())
			}
		}
		var r benchResult
		if err := json.Unmarshal(out.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		switch {
		case r.Preset != "tiny" || r.Order != c.order:
			t.Errorf("bench %v: preset %q order %d", args, r.Preset, r.Order)
		case len(r.StepS) != c.steps:
			t.Errorf("bench %v: %d step times, want %d", args, len(r.StepS), c.steps)
		case !(r.MinStepS > 0 && r.MinStepS <= r.MedianStepS):
			t.Errorf("bench %v: min step %g, median %g", args, r.MinStepS, r.MedianStepS)
		case math.Abs(r.ImagesPerS*r.MedianStepS-float64(p.B)) > 1e-9*float64(p.B):
			t.Errorf("bench %v: %g images/s at a median step of %g s, batch %d", args, r.ImagesPerS, r.MedianStepS, p.B)
		case r.Params != net.NumParams():
			t.Errorf("bench %v: params %d, the network has %d", args, r.Params, net.NumParams())
		case r.Threads != wantThreads:
			t.Errorf("bench %v: threads %d, want %d", args, r.Threads, wantThreads)
		case runtime.GOOS == "linux" && !(r.PeakRSSMiB > 1):
			t.Errorf("bench %v: peak RSS %g MiB", args, r.PeakRSSMiB)
		case !(r.AllocsPerStep >= 0):
			t.Errorf("bench %v: allocs per step %g", args, r.AllocsPerStep)
		}
		for _, s := range r.StepS {
			if s < r.MinStepS {
				t.Errorf("bench %v: step %g below the minimum %g", args, s, r.MinStepS)
			}
		}
	}
}

// TestBenchTrainJSON times retraining steps of DARTS_V2 at mnist-small's
// shape. Its parameter count is PyTorch's: model.py's NetworkCIFAR of
// DARTS_V2 with 5 layers and 8 channels on 1×28×28 counts 36,586 weights
// without the auxiliary head (tools/bench/torch_darts.py, whose count
// check_torch_darts.py holds to darts train --dry-run's).
func TestBenchTrainJSON(t *testing.T) {
	args := []string{"--mode", "train", "--genotype", "../../genotypes/darts-v2.json", "--steps", "2", "--warmup", "1",
		"--drop-path", "0.3", "--batch-size", "8", "--json"}
	var out bytes.Buffer
	if err := bench(&out, io.Discard, args); err != nil {
		t.Fatal(err)
	}
	var r benchResult
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("%v in %s", err, out.String())
	}
	switch {
	case r.Mode != "train" || r.Preset != "mnist-small" || r.Genotype != "../../genotypes/darts-v2.json":
		t.Errorf("mode %q preset %q genotype %q", r.Mode, r.Preset, r.Genotype)
	case r.Params != 36586:
		t.Errorf("params %d, PyTorch's NetworkCIFAR has 36586", r.Params)
	case r.Layers != 5 || r.InitChannels != 8 || r.Batch != 8:
		t.Errorf("layers %d, init channels %d, batch %d; want the preset's 5 and 8 and --batch-size 8", r.Layers, r.InitChannels, r.Batch)
	case r.DropPath == nil || *r.DropPath != 0.3 || r.Auxiliary == nil || !*r.Auxiliary:
		t.Errorf("drop path %v, auxiliary %v", r.DropPath, r.Auxiliary)
	case len(r.StepS) != 2 || !(r.MinStepS > 0 && r.MinStepS <= r.MedianStepS):
		t.Errorf("step times %v, min %g, median %g", r.StepS, r.MinStepS, r.MedianStepS)
	case math.Abs(r.ImagesPerS*r.MedianStepS-8) > 1e-9:
		t.Errorf("%g images/s at a median step of %g s, batch 8", r.ImagesPerS, r.MedianStepS)
	case !(r.AllocsPerStep > 0):
		t.Errorf("allocs per step %g", r.AllocsPerStep)
	}
}

// TestBenchSearchShape checks that --layers, --init-channels, --batch-size
// and --ops reach the supernet: its weight count is that of a network
// built with them.
func TestBenchSearchShape(t *testing.T) {
	p := benchPresets["tiny"]
	ops := []string{"none", "max_pool_3x3", "sep_conv_3x3"}
	net, err := supernet.NewNetwork[float32](supernet.Config{InputC: p.Shape[0], InputH: p.Shape[1], InputW: p.Shape[2],
		Classes: p.Classes, C: 6, Layers: 4, Primitives: ops}, 1)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	args := []string{"--preset", "tiny", "--layers", "4", "--init-channels", "6", "--batch-size", "2", "--ops", strings.Join(ops, ","),
		"--steps", "1", "--warmup", "0", "--json"}
	if err := bench(&out, io.Discard, args); err != nil {
		t.Fatal(err)
	}
	var r benchResult
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatal(err)
	}
	if r.Params != net.NumParams() || r.Batch != 2 || r.Layers != 4 || r.InitChannels != 6 || strings.Join(r.Ops, ",") != strings.Join(ops, ",") || r.Mode != "search" {
		t.Errorf("got params %d batch %d layers %d channels %d ops %v mode %q; want %d, 2, 4, 6, %v, search",
			r.Params, r.Batch, r.Layers, r.InitChannels, r.Ops, r.Mode, net.NumParams(), ops)
	}
}

func TestBenchText(t *testing.T) {
	var out bytes.Buffer
	if err := bench(&out, io.Discard, []string{"--preset", "tiny", "--steps", "1", "--warmup", "0"}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"median step", "min step", "images/s", "peak RSS", "params", "threads", "allocs/step"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

// TestBenchMethods times the tiny preset with DARTS-'s network and a batch
// of its own: the method's weights (the auxiliary skip's FactorizedReduce)
// are in the count, the batch in the result.
func TestBenchMethods(t *testing.T) {
	p := benchPresets["tiny"]
	cfg := supernet.Config{InputC: p.Shape[0], InputH: p.Shape[1], InputW: p.Shape[2], Classes: p.Classes, C: p.C, Layers: p.Layers}
	plain, err := supernet.NewNetwork[float32](cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	cfg.AuxSkip = &supernet.AuxSkip{Beta: 1, Decay: supernet.DecayLinear}
	aux, err := supernet.NewNetwork[float32](cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := bench(&out, io.Discard, []string{"--preset", "tiny", "--method", "darts-minus", "--batch-size", "6", "--steps", "1", "--warmup", "0", "--json"}); err != nil {
		t.Fatal(err)
	}
	var r benchResult
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatal(err)
	}
	if r.Method != "darts-minus" || r.Batch != 6 || r.Params != aux.NumParams() || r.Params == plain.NumParams() {
		t.Errorf("method %q, batch %d, params %d; want darts-minus, 6, %d (DARTS: %d)", r.Method, r.Batch, r.Params, aux.NumParams(), plain.NumParams())
	}
}
