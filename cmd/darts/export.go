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

const exportHelp = `Usage: darts export --genotype FILE --format json|darts|nb201|dot [--out FILE]
       darts export --run TRAIN_RUN --format onnx|pytorch -o FILE

Reads a genotype in any form darts understands (genotype.json, the
original DARTS Genotype(...) text, with or without a NAME = prefix, a
NAS-Bench-201 string; a file, or the genotype itself as the argument) and
writes it as:
  json   DARTS cells: {"normal": [["sep_conv_3x3", 0], ...], "normal_concat": [2, 3, 4, 5], ...};
         others: {"space": ..., "cells": [{"name": ..., "inputs": ..., "nodes": ..., "concat": ...}]}
  darts  Genotype(normal=[('sep_conv_3x3', 0), ...], ...), ready to paste into
         the original genotypes.py (DARTS cells only)
  nb201  |nor_conv_3x3~0|+|...|, as AutoDL-Projects' Structure.tostr() and the
         NAS-Bench-201 API's query_by_arch read it (NAS-Bench-201 cells only)
  dot    a Graphviz digraph of the cells (render with dot -Tpng)

Examples:
  darts export --genotype runs/mnist/genotype.json --format dot | dot -Tpng -o cells.png
  darts export --genotype runs/nb201/genotype.json --format nb201
` + modelExportHelp + `
Flags:
`

func runExport(args []string) error { return export(args, os.Stdout) }

// export is runExport with its standard output passed in, for tests.
func export(args []string, stdout io.Writer) error {
	fs := pflag.NewFlagSet("export", pflag.ContinueOnError)
	var genotype, format, out string
	fs.StringVar(&genotype, "genotype", "", "read the genotype from `file` (JSON, DARTS text or a NAS-Bench-201 string), or given literally")
	fs.StringVar(&format, "format", "", "output `format`: json, darts, nb201 or dot (a genotype); onnx or pytorch (a trained model)")
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
	case "nb201":
		render = func(g derive.Genotype) ([]byte, error) {
			t, err := g.FormatNB201()
			return []byte(t + "\n"), err
		}
	case "dot":
		render = func(g derive.Genotype) ([]byte, error) { return []byte(g.DOT()), nil }
	case "":
		return usageErrorf("--format is required (json, darts, nb201, dot, onnx or pytorch)")
	default:
		return usageErrorf("--format %q: want json, darts, nb201, dot, onnx or pytorch", format)
	}

	g, err := readGenotype(genotype)
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
