// Command mkmodels writes the ONNX test models of export/onnx/onnxtest, their
// inputs and the outputs that export/onnx/onnxref computes for them, for
// tools/onnxcheck/verify.sh:
//
//	go run ./tools/onnxcheck/mkmodels DIR
//
// For each case NAME it writes DIR/NAME.onnx, DIR/NAME.input.npy and
// DIR/NAME.expected/OUTPUT.npy (one per graph output), and DIR/manifest.json
// listing them. It touches nothing outside DIR.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/darts-go/darts/export/npy"
	"github.com/darts-go/darts/export/onnx/onnxref"
	"github.com/darts-go/darts/export/onnx/onnxtest"
)

type entry struct {
	Name    string   `json:"name"`
	Model   string   `json:"model"`
	Input   string   `json:"input"`
	Outputs []string `json:"outputs"`
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: mkmodels DIR")
		os.Exit(2)
	}
	if err := run(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "mkmodels:", err)
		os.Exit(1)
	}
}

func run(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var manifest []entry
	for _, c := range onnxtest.Cases() {
		if _, err := c.Model.InferShapes(); err != nil {
			return fmt.Errorf("%s: %v", c.Name, err)
		}
		e := entry{Name: c.Name, Model: c.Name + ".onnx", Input: c.Name + ".input.npy"}
		if err := c.Model.WriteFile(filepath.Join(dir, e.Model)); err != nil {
			return err
		}
		x := c.InputTensor()
		if err := npy.WriteFile(filepath.Join(dir, e.Input), x.Shape, x.Data); err != nil {
			return err
		}
		res, err := onnxref.Run(c.Model, map[string]onnxref.Tensor{c.Input: x})
		if err != nil {
			return fmt.Errorf("%s: %v", c.Name, err)
		}
		exp := filepath.Join(dir, c.Name+".expected")
		if err := os.MkdirAll(exp, 0o755); err != nil {
			return err
		}
		for _, o := range c.Model.Outputs {
			t := res[o.Name]
			if err := npy.WriteFile(filepath.Join(exp, o.Name+".npy"), t.Shape, t.Data); err != nil {
				return err
			}
			e.Outputs = append(e.Outputs, o.Name)
		}
		manifest = append(manifest, e)
	}
	b, err := json.MarshalIndent(manifest, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "manifest.json"), append(b, '\n'), 0o644)
}
