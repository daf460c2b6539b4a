package main

import (
	"fmt"
	"io"
	"os"

	"github.com/darts-go/darts/derive"
	"github.com/darts-go/darts/rundir"
	"github.com/spf13/pflag"
)

func init() {
	register(&command{Name: "export", Summary: "convert a genotype to JSON, DARTS text or Graphviz DOT; a trained model to ONNX or PyTorch", Run: runExport})
}

const exportHelp = `Usage: darts export --genotype FILE --format json|darts|dot [--out FILE]
       darts export --run TRAIN_RUN --format onnx|pytorch -o FILE

Reads a genotype in any form darts understands (genotype.json, the
original DARTS Genotype(...) text, with or without a NAME = prefix) and
writes it as:
  json   {"normal": [["sep_conv_3x3", 0], ...], "normal_concat": [2, 3, 4, 5], ...}
  darts  Genotype(normal=[('sep_conv_3x3', 0), ...], ...), ready to paste into
         the original genotypes.py
  dot    a Graphviz digraph of both cells (render with dot -Tpng)

Example:
  darts export --genotype runs/mnist/genotype.json --format dot | dot -Tpng -o cells.png
` + modelExportHelp + `
Flags:
`

func runExport(args []string) error { return export(args, os.Stdout) }

// export is runExport with its standard output passed in, for tests.
func export(args []string, stdout io.Writer) error {
	fs := pflag.NewFlagSet("export", pflag.ContinueOnError)
	var genotype, format, out string
	fs.StringVar(&genotype, "genotype", "", "read the genotype from `file` (JSON or DARTS text)")
	fs.StringVar(&format, "format", "", "output `format`: json, darts or dot (a genotype); onnx or pytorch (a trained model)")
	fs.StringVarP(&out, "out", "o", "", "write to `file` (replaced atomically) instead of standard output")
	model := addModelFlags(fs)
	if help, err := parseFlags(fs, args); help || err != nil {
		if help {
			printHelp(stdout, fs, exportHelp)
		}
		return err
	}
	if isModelFormat(format) {
		if genotype != "" {
			return usageErrorf("--format %s exports a trained model (--run TRAIN_RUN), not a genotype file", format)
		}
		return exportModel(format, out, model, stdout)
	}
	if genotype == "" && model.run != "" {
		genotype = rundir.GenotypeJSONPath(model.run)
	}
	if genotype == "" {
		return usageErrorf("--genotype is required")
	}
	var render func(derive.Genotype) ([]byte, error)
	switch format {
	case "json":
		render = func(g derive.Genotype) ([]byte, error) {
			b, err := g.MarshalJSON()
			return append(b, '\n'), err
		}
	case "darts":
		render = func(g derive.Genotype) ([]byte, error) {
			t, err := g.FormatDARTS()
			return []byte(t + "\n"), err
		}
	case "dot":
		render = func(g derive.Genotype) ([]byte, error) { return []byte(g.DOT()), nil }
	case "":
		return usageErrorf("--format is required (json, darts, dot, onnx or pytorch)")
	default:
		return usageErrorf("--format %q: want json, darts, dot, onnx or pytorch", format)
	}

	g, err := derive.ReadFile(genotype)
	if err != nil {
		return err
	}
	data, err := render(g)
	if err != nil {
		return fmt.Errorf("%s: %w", genotype, err)
	}
	if out == "" {
		if _, err := stdout.Write(data); err != nil {
			return fmt.Errorf("writing standard output: %w", err)
		}
		return nil
	}
	return rundir.WriteFileAtomic(out, data, 0o644)
}
