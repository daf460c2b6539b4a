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
		{[]string{"--method", "gdsa"}, `method "gdsa": unknown`},
		{[]string{"--batch-size", "-1"}, "--batch-size -1"},
		{[]string{"--preset", "tiny", "--method", "pc-darts"}, "partial channels K = 4"},
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
