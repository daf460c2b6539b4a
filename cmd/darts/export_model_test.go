package main

import (
	"bytes"
	"compress/gzip"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/darts-go/darts/datasets"
	"github.com/darts-go/darts/export/npy"
	"github.com/darts-go/darts/export/onnx"
	"github.com/darts-go/darts/export/onnx/onnxref"
	"github.com/darts-go/darts/export/safetensors"
)

// mnistTestImages reads the first n MNIST test images straight from the
// IDX file in the Go module cache, as bytes: an oracle for darts eval
// --images independent of the dataset pipeline.
func mnistTestImages(t *testing.T, n int) []byte {
	t.Helper()
	s, err := datasets.Load(datasets.Options{Name: "mnist", Limit: 1})
	if err != nil {
		t.Skip("MNIST not available:", err)
	}
	dir := s.Info.Source // the folder the files were found in
	var f *os.File
	for _, name := range []string{"t10k-images-idx3-ubyte.gz", "t10k-images-idx3-ubyte"} {
		if f, err = os.Open(filepath.Join(dir, name)); err == nil {
			break
		}
	}
	if f == nil {
		t.Skipf("no MNIST test images in %q", dir)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := datasets.ReadIDX(zr)
	if err != nil {
		t.Fatal(err)
	}
	return idx.Data[:n*28*28]
}

// TestEvalLogitsAndONNX trains a small network on MNIST, writes the first
// test images and their logits with darts eval, exports the model to ONNX,
// and requires: the images to be the IDX file's bytes / 255, the ONNX
// model run by the reference evaluator on them to give darts eval's
// logits, and --limit's accuracy over all images to be darts eval's.
func TestEvalLogitsAndONNX(t *testing.T) {
	raw := mnistTestImages(t, 20)
	dir := t.TempDir()
	run := filepath.Join(dir, "run")
	args := []string{"--genotype", v2JSON, "--dataset", "mnist", "--limit", "64", "--batch-size", "32", "--layers", "3",
		"--init-channels", "4", "--epochs", "1", "--out", run}
	if err := train(args, buf(), buf()); err != nil {
		t.Fatal(err)
	}
	logits, images := filepath.Join(dir, "logits.npy"), filepath.Join(dir, "images.npy")
	var out bytes.Buffer
	if err := eval([]string{"--run", run, "--limit", "20", "--batch-size", "8", "--logits", logits, "--images", images}, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "(the first 20 of 64 images)") {
		t.Errorf("eval printed %q", out.String())
	}
	shape, x, err := npy.ReadFile(images)
	if err != nil {
		t.Fatal(err)
	}
	if len(shape) != 4 || shape[0] != 20 || shape[1] != 1 || shape[2] != 28 || shape[3] != 28 {
		t.Fatalf("images of shape %v", shape)
	}
	for i, v := range raw {
		if x[i] != float32(v)/255 {
			t.Fatalf("pixel %d is %v, the IDX file's %d/255", i, x[i], v)
		}
	}
	lshape, want, err := npy.ReadFile(logits)
	if err != nil {
		t.Fatal(err)
	}
	if len(lshape) != 2 || lshape[0] != 20 || lshape[1] != 10 {
		t.Fatalf("logits of shape %v", lshape)
	}

	model := filepath.Join(dir, "model.onnx")
	if err := export([]string{"--run", run, "--format", "onnx", "-o", model}, buf()); err != nil {
		t.Fatal(err)
	}
	m, err := onnx.ReadFile(model)
	if err != nil {
		t.Fatal(err)
	}
	res, err := onnxref.Run(m, map[string]onnxref.Tensor{"input": {Shape: shape, Data: x}})
	if err != nil {
		t.Fatal(err)
	}
	got := res["logits"].Data
	d, mx := 0.0, 1.0
	for i := range want {
		d = math.Max(d, math.Abs(float64(got[i]-want[i])))
		mx = math.Max(mx, math.Abs(float64(want[i])))
	}
	if !(d/mx <= 1e-4) {
		t.Errorf("ONNX logits differ from darts eval's by %.3g (relative)", d/mx)
	}

	// All images: --logits gives darts eval's own accuracy.
	var all, plain bytes.Buffer
	if err := eval([]string{"--run", run, "--logits", logits}, &all); err != nil {
		t.Fatal(err)
	}
	if err := eval([]string{"--run", run}, &plain); err != nil {
		t.Fatal(err)
	}
	acc := func(s string) string { return s[strings.Index(s, "accuracy"):strings.Index(s, "\n")] }
	if acc(all.String()) != acc(plain.String()) {
		t.Errorf("with --logits %q, without %q", all.String(), plain.String())
	}
	if code := run2(t, "eval", "--run", run, "--limit", "-1"); code != 2 {
		t.Errorf("--limit -1 exited %d", code)
	}
}

func run2(t *testing.T, args ...string) int { t.Helper(); return run(args) }

// TestExportPyTorch: a run trained with the auxiliary head on 32x32 images
// exports it from the checkpoint, with num_batches_tracked counting the
// training steps; --no-auxiliary leaves it out; a checkpoint of another
// step than weights.dgo is refused.
func TestExportPyTorch(t *testing.T) {
	dir := t.TempDir()
	run := filepath.Join(dir, "run")
	args := []string{"--genotype", v2JSON, "--dataset", "synthetic", "--input-shape", "3x32x32", "--classes", "4", "--limit", "40",
		"--batch-size", "16", "--layers", "3", "--init-channels", "4", "--epochs", "1", "--auxiliary", "--out", run}
	if err := train(args, buf(), buf()); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "w.safetensors")
	var out bytes.Buffer
	if err := export([]string{"--run", run, "--format", "pytorch", "-o", file}, &out); err != nil {
		t.Fatal(err)
	}
	read := func() (map[string]safetensors.Tensor, map[string]string) {
		ts, meta, err := safetensors.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]safetensors.Tensor{}
		for _, x := range ts {
			m[x.Name] = x
		}
		return m, meta
	}
	ts, meta := read()
	// 40 training images in batches of 16: 3 steps.
	if x, ok := ts["auxiliary_head.features.6.num_batches_tracked"]; !ok || x.I64[0] != 3 {
		t.Errorf("auxiliary head's last BatchNorm: %+v", x)
	}
	if x := ts["auxiliary_head.features.5.weight"]; len(x.Shape) != 4 || x.Shape[2] != 2 {
		t.Errorf("auxiliary head's second conv %v", x.Shape)
	}
	if meta["auxiliary"] != "true" || !strings.Contains(meta["module"], "auxiliary=True") || !strings.Contains(out.String(), "NetworkCIFAR(C=4, num_classes=4, layers=3, auxiliary=True") {
		t.Errorf("metadata %v, output %q", meta, out.String())
	}
	n := len(ts)
	if err := export([]string{"--run", run, "--format", "pytorch", "-o", file, "--no-auxiliary"}, buf()); err != nil {
		t.Fatal(err)
	}
	ts, meta = read()
	if len(ts) != n-14 || meta["auxiliary"] != "false" {
		t.Errorf("--no-auxiliary: %d keys (with the head %d), auxiliary %q", len(ts), n, meta["auxiliary"])
	}

	// weights.dgo of epoch 1, checkpoint of epoch 2.
	w1, err := os.ReadFile(filepath.Join(run, "weights.dgo"))
	if err != nil {
		t.Fatal(err)
	}
	if err := train([]string{"--resume", "--out", run, "--epochs", "2"}, buf(), buf()); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(run, "weights.dgo"), w1, 0o644); err != nil {
		t.Fatal(err)
	}
	err = export([]string{"--run", run, "--format", "pytorch", "-o", file}, buf())
	if err == nil || !strings.Contains(err.Error(), "holds another model than weights.dgo") {
		t.Errorf("mismatched checkpoint: %v", err)
	}
}

// TestExportModelErrors: usage errors name the flag.
func TestExportModelErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--format", "onnx", "-o", "x.onnx"}, "--run TRAIN_RUN is required"},
		{[]string{"--format", "pytorch", "--run", "r"}, "-o FILE is required"},
		{[]string{"--format", "onnx", "--run", "r", "-o", "x", "--no-auxiliary"}, "--no-auxiliary applies to --format pytorch"},
		{[]string{"--format", "onnx", "--genotype", v2JSON, "-o", "x"}, "not a genotype file"},
	} {
		err := export(c.args, buf())
		var ue *usageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want a usage error with %q", c.args, err, c.want)
		}
	}
	err := export([]string{"--format", "onnx", "--run", t.TempDir(), "-o", filepath.Join(t.TempDir(), "x")}, buf())
	if err == nil || !strings.Contains(err.Error(), "config.json") {
		t.Errorf("not a run: %v", err)
	}
	// An output that cannot be created is said before the run is read
	// (the run here does not even exist).
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ out, want string }{
		{filepath.Join(dir, "no", "x.onnx"), "-o " + filepath.Join(dir, "no", "x.onnx") + ": directory " + filepath.Join(dir, "no") + " does not exist"},
		{dir, "-o " + dir + ": is a directory"},
		{filepath.Join(file, "x.onnx"), file + " is not a directory"},
	} {
		err := export([]string{"--format", "onnx", "--run", filepath.Join(dir, "nosuch"), "-o", c.out}, buf())
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("-o %s: %v, want %q", c.out, err, c.want)
		}
	}
	for _, flag := range []string{"--logits", "--images"} {
		out := filepath.Join(dir, "no", "x.npy")
		err := eval([]string{"--run", filepath.Join(dir, "nosuch"), flag, out}, buf())
		if want := flag + " " + out + ": directory"; err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("eval %s %s: %v, want %q", flag, out, err, want)
		}
	}
}

// TestExportGenotypeOfRun: --run DIR with a genotype format reads the
// run's genotype.json.
func TestExportGenotypeOfRun(t *testing.T) {
	run := filepath.Join(t.TempDir(), "run")
	if err := train(tinyTrain(run, "--epochs", "1"), buf(), buf()); err != nil {
		t.Fatal(err)
	}
	var a, b bytes.Buffer
	if err := export([]string{"--run", run, "--format", "darts"}, &a); err != nil {
		t.Fatal(err)
	}
	if err := export([]string{"--genotype", v2JSON, "--format", "darts"}, &b); err != nil {
		t.Fatal(err)
	}
	if a.String() != b.String() || !strings.HasPrefix(a.String(), "Genotype(normal=") {
		t.Errorf("--run gives %q, --genotype %q", a.String(), b.String())
	}
}
