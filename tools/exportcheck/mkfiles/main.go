// Command mkfiles writes sample .npy, .safetensors and TensorBoard event
// files with darts-go's writers (export/npy, export/safetensors,
// export/tensorboard) for tools/exportcheck/check.py to verify with numpy,
// PyTorch, crcmod and protoc:
//
//	go run ./tools/exportcheck/mkfiles DIR
//
// It writes DIR/npy/*.npy, DIR/model.safetensors (the state_dict of a small
// PyTorch nn.Sequential, see check.py) with DIR/model.input.npy and
// DIR/model.expected.npy (its logits computed by export/onnx/onnxref),
// DIR/tb/events.out.tfevents.*, and DIR/manifest.json describing what check.py
// must find. It touches nothing outside DIR.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"

	"github.com/darts-go/darts/export/npy"
	"github.com/darts-go/darts/export/onnx"
	"github.com/darts-go/darts/export/onnx/onnxref"
	"github.com/darts-go/darts/export/onnx/onnxtest"
	"github.com/darts-go/darts/export/safetensors"
	"github.com/darts-go/darts/export/tensorboard"
)

type npyEntry struct {
	File  string `json:"file"`
	Shape []int  `json:"shape"`
}

type scalar struct {
	Tag   string  `json:"tag"`
	Step  int64   `json:"step"`
	Value float64 `json:"value"`
}

type histo struct {
	Tag    string    `json:"tag"`
	Step   int64     `json:"step"`
	Values []float64 `json:"values"`
}

type img struct {
	Tag    string `json:"tag"`
	Step   int64  `json:"step"`
	Width  int    `json:"width"`
	Height int    `json:"height"`
	PNG    []byte `json:"png"`
}

type manifest struct {
	Npy         []npyEntry        `json:"npy"`
	Safetensors string            `json:"safetensors"`
	Metadata    map[string]string `json:"metadata"`
	NumBatches  int64             `json:"num_batches_tracked"`
	EventFile   string            `json:"event_file"`
	Scalars     []scalar          `json:"scalars"`
	Histograms  []histo           `json:"histograms"`
	Images      []img             `json:"images"`
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: mkfiles DIR")
		os.Exit(2)
	}
	if err := run(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "mkfiles:", err)
		os.Exit(1)
	}
}

func prod(s []int) int {
	n := 1
	for _, d := range s {
		n *= d
	}
	return n
}

func run(dir string) error {
	var man manifest
	if err := os.MkdirAll(filepath.Join(dir, "npy"), 0o755); err != nil {
		return err
	}
	// .npy: values onnxtest.InputData (exact in float32), various shapes.
	for i, s := range [][]int{{2, 3}, {}, {0}, {7}, {2, 1, 3, 4}, {1, 2, 1, 2, 1, 2, 1, 2}, {3, 0, 5}, {1000, 3}} {
		e := npyEntry{File: fmt.Sprintf("npy/a%d.npy", i), Shape: s}
		if err := npy.WriteFile(filepath.Join(dir, e.File), s, onnxtest.InputData(prod(s))); err != nil {
			return err
		}
		man.Npy = append(man.Npy, e)
	}
	if err := writeModel(dir, &man); err != nil {
		return err
	}
	return writeEvents(dir, &man)
}

// writeModel writes the state_dict of
//
//	nn.Sequential(nn.Conv2d(3, 4, 3, padding=1, bias=False), nn.BatchNorm2d(4),
//	              nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 2))
//
// and the logits of the same network built with export/onnx and evaluated by
// onnxref on a fixed input.
func writeModel(dir string, man *manifest) error {
	w := map[string][]float32{
		"0.weight":       onnxtest.Values(4*3*3*3, 1),
		"1.weight":       onnxtest.Values(4, 2),
		"1.bias":         onnxtest.Values(4, 3),
		"1.running_mean": onnxtest.Values(4, 4),
		"1.running_var":  onnxtest.Variances(4, 5),
		"5.weight":       onnxtest.Values(2*4, 6),
		"5.bias":         onnxtest.Values(2, 7),
	}
	shapes := map[string][]int{"0.weight": {4, 3, 3, 3}, "1.weight": {4}, "1.bias": {4}, "1.running_mean": {4}, "1.running_var": {4}, "5.weight": {2, 4}, "5.bias": {2}}
	man.NumBatches = 12345
	ts := []safetensors.Tensor{safetensors.I64Scalar("1.num_batches_tracked", man.NumBatches)}
	for name, v := range w {
		ts = append(ts, safetensors.F32(name, shapes[name], v))
	}
	man.Safetensors = "model.safetensors"
	man.Metadata = map[string]string{"format": "pt", "producer": "darts-go mkfiles"}
	if err := safetensors.WriteFile(filepath.Join(dir, man.Safetensors), ts, man.Metadata); err != nil {
		return err
	}
	b := onnx.NewBuilder("seq", "darts-go", "mkfiles")
	x := b.Input("x", 3, 5, 5)
	c := func(name string) string {
		s := shapes[name]
		d := make([]int64, len(s))
		for i, v := range s {
			d[i] = int64(v)
		}
		return b.Const(name, d, w[name])
	}
	h := b.Conv(x, c("0.weight"), "", onnx.ConvParams{Kernel: []int64{3, 3}, Pads: []int64{1, 1, 1, 1}})
	h = b.Relu(b.BatchNorm(h, c("1.weight"), c("1.bias"), c("1.running_mean"), c("1.running_var"), onnx.BNEpsilon))
	out := b.Gemm(b.Flatten(b.GlobalAveragePool(h), 1), c("5.weight"), c("5.bias"))
	b.Output(out, 2)
	m, err := b.Model()
	if err != nil {
		return err
	}
	in := onnxref.Tensor{Shape: []int{2, 3, 5, 5}, Data: onnxtest.InputData(2 * 3 * 5 * 5)}
	res, err := onnxref.Run(m, map[string]onnxref.Tensor{"x": in})
	if err != nil {
		return err
	}
	if err := npy.WriteFile(filepath.Join(dir, "model.input.npy"), in.Shape, in.Data); err != nil {
		return err
	}
	return npy.WriteFile(filepath.Join(dir, "model.expected.npy"), res[out].Shape, res[out].Data)
}

func writeEvents(dir string, man *manifest) error {
	tw, err := tensorboard.NewWriter(filepath.Join(dir, "tb"))
	if err != nil {
		return err
	}
	man.EventFile, _ = filepath.Rel(dir, tw.Path())
	for step := int64(0); step < 5; step++ {
		for _, s := range []scalar{
			{"train/loss", step, 2.5 / float64(step+1)},
			{"train/acc", step, 0.1 * float64(step)},
			{"alpha/normal/0/sep_conv_3x3", step, float64(float32(0.125*float64(step) - 0.3))},
		} {
			if err := tw.Scalar(s.Tag, s.Step, s.Value); err != nil {
				return err
			}
			man.Scalars = append(man.Scalars, s)
		}
	}
	for step := int64(0); step < 3; step++ {
		v := []float64{-1.5, 0, 0, 1e-13, 0.3, float64(step), 2, 1e25, -3e-12}
		for i := 0; i < 50; i++ {
			v = append(v, float64(i-25)*0.01*float64(step+1))
		}
		if err := tw.Histogram("alpha/hist", step, v); err != nil {
			return err
		}
		man.Histograms = append(man.Histograms, histo{"alpha/hist", step, v})
	}
	im := image.NewRGBA(image.Rect(0, 0, 5, 3))
	for y := 0; y < 3; y++ {
		for x := 0; x < 5; x++ {
			im.Set(x, y, color.RGBA{uint8(50 * x), uint8(80 * y), 200, 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, im); err != nil {
		return err
	}
	if err := tw.Image("cell/normal", 4, buf.Bytes(), 5, 3); err != nil {
		return err
	}
	man.Images = append(man.Images, img{"cell/normal", 4, 5, 3, buf.Bytes()})
	if err := tw.Close(); err != nil {
		return err
	}
	b, err := json.MarshalIndent(man, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "manifest.json"), append(b, '\n'), 0o644)
}
