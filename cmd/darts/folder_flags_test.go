package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/darts-go/darts/datasets"
)

// writeFolder writes a folder dataset of 3 classes, n images each, of
// size w×h, class c's images mostly of colour c (so that the classes can
// be learnt) and all of them colour when rgb is set; it returns the root.
func writeFolder(t *testing.T, n, w, h int, rgb bool) string {
	t.Helper()
	root := t.TempDir()
	for c, name := range []string{"cat", "dog", "emu"} {
		dir := filepath.Join(root, name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < n; i++ {
			im := image.NewRGBA(image.Rect(0, 0, w, h))
			for y := 0; y < h; y++ {
				for x := 0; x < w; x++ {
					v := uint8((x*37 + y*11 + i*53 + c*80) % 256)
					if rgb {
						im.Set(x, y, color.RGBA{v, uint8(c * 100), 255 - v, 255})
					} else {
						im.Set(x, y, color.RGBA{v, v, v, 255})
					}
				}
			}
			f, err := os.Create(filepath.Join(dir, string(rune('a'+i))+".png"))
			if err != nil {
				t.Fatal(err)
			}
			if err := png.Encode(f, im); err != nil {
				t.Fatal(err)
			}
			f.Close()
		}
	}
	return root
}

// dataJSON runs darts data --json and decodes its output.
func dataJSON(t *testing.T, args ...string) (datasets.Info, error) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout := os.Stdout
	os.Stdout = w
	runErr := runData(append(args, "--json"))
	os.Stdout = stdout
	w.Close()
	var b bytes.Buffer
	b.ReadFrom(r)
	var info datasets.Info
	if runErr == nil {
		if err := json.Unmarshal(b.Bytes(), &info); err != nil {
			t.Fatalf("darts data --json printed %q: %v", b.String(), err)
		}
	}
	return info, runErr
}

// TestFolderFlags: the folder options reach the dataset; a corrupt file
// stops loading with its name, or is skipped and counted with --skip-bad.
func TestFolderFlags(t *testing.T) {
	root := writeFolder(t, 5, 12, 10, false)
	info, err := dataJSON(t, "--dataset", "folder", "--data-dir", root, "--image-size", "8x6", "--channels", "3", "--test-portion", "0.4")
	if err != nil {
		t.Fatal(err)
	}
	// 2 of each class's 5 images held out.
	if info.Shape != [3]int{3, 8, 6} || info.Classes != 3 || info.Test != 6 || info.Train+info.Val != 9 || strings.Join(info.ClassNames, ",") != "cat,dog,emu" {
		t.Errorf("info %+v", info)
	}
	if info, err = dataJSON(t, "--dataset", "folder", "--data-dir", root, "--image-size", "8"); err != nil || info.Shape != [3]int{1, 8, 8} {
		t.Errorf("--image-size 8: %+v, %v", info, err)
	}
	bad := filepath.Join(root, "dog", "zz.png")
	if err := os.WriteFile(bad, []byte("\x89PNG\r\n\x1a\nnot really"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := dataJSON(t, "--dataset", "folder", "--data-dir", root); err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("corrupt file: %v, want its name", err)
	}
	info, err = dataJSON(t, "--dataset", "folder", "--data-dir", root, "--skip-bad")
	if err != nil || info.Skipped != 1 || len(info.SkippedFiles) != 1 || !strings.Contains(info.SkippedFiles[0], bad) {
		t.Errorf("--skip-bad: %+v, %v", info, err)
	}
	// A training run says what it left out.
	var stderr bytes.Buffer
	args := []string{"--genotype", v2JSON, "--dataset", "folder", "--data-dir", root, "--skip-bad", "--image-size", "8x8", "--limit", "0",
		"--batch-size", "4", "--layers", "3", "--init-channels", "4", "--epochs", "1", "--out", filepath.Join(t.TempDir(), "run")}
	if err := train(args, buf(), &stderr); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stderr.String(), "warning: 1 image file(s) could not be read or decoded and were left out") || !strings.Contains(stderr.String(), bad) {
		t.Errorf("darts train --skip-bad said %q", stderr.String())
	}
}

// TestFolderFlagErrors: bad values and folder options of other datasets
// are usage errors naming the flag.
func TestFolderFlagErrors(t *testing.T) {
	root := writeFolder(t, 2, 4, 4, false)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--dataset", "mnist", "--image-size", "8x8"}, "--image-size applies to --dataset folder only, not mnist"},
		{[]string{"--dataset", "synthetic", "--skip-bad"}, "--skip-bad applies to --dataset folder only"},
		{[]string{"--dataset", "folder", "--data-dir", root, "--image-size", "8y8"}, `--image-size "8y8"`},
		{[]string{"--dataset", "folder", "--data-dir", root, "--image-size", "0x8"}, `"0" is not a size`},
		{[]string{"--dataset", "folder", "--data-dir", root, "--channels", "2"}, "--channels 2: want 1 (gray), 3 (RGB) or 0"},
		{[]string{"--dataset", "folder", "--data-dir", root, "--test-portion", "1"}, "--test-portion 1: want a fraction"},
		{[]string{"--dataset", "folder"}, "--dataset folder needs --data-dir DIR"},
	} {
		for _, cmd := range []func([]string) error{
			func(a []string) error { _, err := dataJSON(t, a...); return err },
			func(a []string) error {
				return train(append([]string{"--genotype", v2JSON, "--out", t.TempDir()}, a...), buf(), buf())
			},
			func(a []string) error { return runSearch(append([]string{"--out", t.TempDir()}, a...)) },
		} {
			err := cmd(c.args)
			var ue *usageError
			if !errors.As(err, &ue) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%v: %v, want a usage error with %q", c.args, err, c.want)
			}
		}
	}
}

// TestFolderTrainEval trains on a folder with the folder flags, which
// config.json records, and evaluates on the same run, then on another
// folder of the same classes, whose normalization differs: a warning.
func TestFolderTrainEval(t *testing.T) {
	root := writeFolder(t, 6, 10, 10, true)
	run := filepath.Join(t.TempDir(), "run")
	args := []string{"--genotype", v2JSON, "--dataset", "folder", "--data-dir", root, "--image-size", "8x8", "--test-portion", "0.34",
		"--limit", "0", "--batch-size", "4", "--layers", "3", "--init-channels", "4", "--epochs", "1", "--out", run}
	if err := train(args, buf(), buf()); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(run, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	var conf struct {
		Data     datasets.Options `json:"data"`
		DataInfo datasets.Info    `json:"data_info"`
	}
	if err := json.Unmarshal(raw, &conf); err != nil {
		t.Fatal(err)
	}
	if conf.Data.ImageSize != [2]int{8, 8} || conf.Data.TestPortion != 0.34 || conf.DataInfo.Shape != [3]int{3, 8, 8} || conf.DataInfo.Test != 6 {
		t.Errorf("config.json data %+v, info %+v", conf.Data, conf.DataInfo)
	}
	var out bytes.Buffer
	if err := eval([]string{"--run", run}, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "on folder test (6 images)") {
		t.Errorf("eval printed %q", out.String())
	}
	other := writeFolder(t, 6, 16, 16, false)
	// Gray images read as 3 channels at 8x8: the network's input.
	stderr := os.Stderr
	r, w, _ := os.Pipe()
	os.Stderr = w
	err = eval([]string{"--run", run, "--data-dir", other, "--channels", "3"}, &out)
	os.Stderr = stderr
	w.Close()
	var warn bytes.Buffer
	warn.ReadFrom(r)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(warn.String(), "warning: these images are normalized with their own training part's mean") {
		t.Errorf("no normalization warning: %q", warn.String())
	}
	if err := eval([]string{"--run", run, "--image-size", "4x4"}, &out); err == nil || !strings.Contains(err.Error(), "the data is 3x4x4 with 3 classes, the network of") {
		t.Errorf("eval at another size: %v", err)
	}
}

// FuzzParseImageSize: any text gives a size within bounds or an error,
// and a size read back from its own HxW form is the same.
func FuzzParseImageSize(f *testing.F) {
	for _, s := range []string{"32x32", "8", " 16 X 9 ", "0x1", "4096x4097", "x", "1x2x3", "-3x4"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		hw, err := parseImageSize(s)
		if err != nil {
			return
		}
		for _, v := range hw {
			if v < 1 || v > datasets.MaxImageSide {
				t.Fatalf("%q gave %v", s, hw)
			}
		}
		back, err := parseImageSize(fmt.Sprintf("%dx%d", hw[0], hw[1]))
		if err != nil || back != hw {
			t.Fatalf("%q gave %v, which reads back as %v (%v)", s, hw, back, err)
		}
	})
}
