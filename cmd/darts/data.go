package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/darts-go/darts/datasets"
	"github.com/darts-go/darts/rundir"
	"github.com/spf13/pflag"
)

func init() {
	register(&command{Name: "data", Summary: "load a dataset and show its splits, shape and normalization", Run: runData})
}

const dataHelp = `Usage: darts data --dataset NAME [flags]

Loads a dataset the way search and train do, and prints the sizes of its
splits (search-train, search-val, test), the image shape, the number of
classes, the per-channel mean and standard deviation used to normalize it,
where its files were found, and how long loading and one normalized pass
over all splits took.

Datasets: %s.
  mnist          from the Go module cache (fetched with go mod download)
  fashion-mnist  apt-get install dataset-fashion-mnist
  cifar10/100    --data-dir pointing at cifar-10-batches-bin or cifar-100-binary
  synthetic      generated: --input-shape and --classes choose its form

Example:
  darts data --dataset mnist --json

Flags:
`

func runData(args []string) error {
	fs := pflag.NewFlagSet("data", pflag.ContinueOnError)
	var (
		o        datasets.Options
		shape    string
		asJSON   bool
		seed     uint64
		datasetF = fs.String("dataset", "mnist", "dataset `name`: "+strings.Join(datasets.Names(), ", "))
	)
	fs.StringVar(&o.DataDir, "data-dir", "", "read the dataset's files from `dir` instead of the default place")
	folder := addFolderFlags(fs)
	fs.Float64Var(&o.TrainPortion, "train-portion", 0.5, "fraction of the training set used for search-train; the rest is search-val")
	fs.IntVar(&o.Limit, "limit", 0, "use only the first `N` training examples (and at most N test examples); 0 = all")
	fs.Uint64Var(&seed, "seed", 0, "seed of the synthetic dataset's content")
	fs.StringVar(&shape, "input-shape", "", "image shape `CxHxW` of the synthetic dataset (default 1x28x28)")
	fs.IntVar(&o.Classes, "classes", 0, "number of classes `K` of the synthetic dataset (default 10)")
	fs.BoolVar(&asJSON, "json", false, "print one JSON object instead of text")
	if help, err := parseFlags(fs, args); help || err != nil {
		if help {
			printHelp(os.Stdout, fs, withFolderHelp(fmt.Sprintf(dataHelp, strings.Join(datasets.Names(), ", "))))
		}
		return err
	}
	o.Name, o.Seed = *datasetF, seed
	if err := checkDataFlags(&o, shape); err != nil {
		return err
	}
	if err := folder.apply(fs, &o); err != nil {
		return err
	}
	if o.Name != "synthetic" {
		for _, f := range []string{"input-shape", "classes", "seed"} {
			if fs.Changed(f) {
				return usageErrorf("--%s applies to --dataset synthetic only, not %s", f, o.Name)
			}
		}
	}

	start := time.Now()
	s, err := datasets.Load(o)
	if err != nil {
		return err
	}
	loaded := time.Since(start)
	start = time.Now()
	var b datasets.Batch
	for _, set := range []*datasets.Set{s.Train, s.Val, s.Test} {
		it := set.Batches(256, 0, 0, false, datasets.Augment{}, false)
		for it.Next(&b) {
		}
	}
	pass := time.Since(start)

	if asJSON {
		enc := json.NewEncoder(os.Stdout)
		return enc.Encode(struct {
			datasets.Info
			LoadSeconds float64 `json:"load_seconds"`
			PassSeconds float64 `json:"pass_seconds"`
		}{s.Info, loaded.Seconds(), pass.Seconds()})
	}
	in := s.Info
	w := os.Stdout
	fmt.Fprintf(w, "dataset       %s\n", in.Name)
	fmt.Fprintf(w, "source        %s\n", in.Source)
	fmt.Fprintf(w, "shape         %dx%dx%d (CxHxW)\n", in.Shape[0], in.Shape[1], in.Shape[2])
	fmt.Fprintf(w, "classes       %d\n", in.Classes)
	fmt.Fprintf(w, "search-train  %d\n", in.Train)
	fmt.Fprintf(w, "search-val    %d\n", in.Val)
	fmt.Fprintf(w, "test          %d\n", in.Test)
	fmt.Fprintf(w, "mean          %s\n", formatFloats(in.Mean))
	fmt.Fprintf(w, "std           %s\n", formatFloats(in.Std))
	printFolderInfo(w, in)
	fmt.Fprintf(w, "loaded in     %s; one normalized pass over all splits in %s\n",
		loaded.Round(time.Millisecond), pass.Round(time.Millisecond))
	return nil
}

// checkDataFlags validates the dataset flags every command shares and
// parses --input-shape into o.
func checkDataFlags(o *datasets.Options, shape string) error {
	if !knownDataset(o.Name) {
		return usageErrorf("--dataset %q: unknown (want one of %s)", o.Name, strings.Join(datasets.Names(), ", "))
	}
	if !(o.TrainPortion > 0 && o.TrainPortion < 1) {
		return usageErrorf("--train-portion %v: want a fraction strictly between 0 and 1", o.TrainPortion)
	}
	if o.Limit < 0 {
		return usageErrorf("--limit %d: want 0 (all) or a positive count", o.Limit)
	}
	if shape != "" {
		s, err := parseShape(shape)
		if err != nil {
			return usageErrorf("--input-shape %q: %v", shape, err)
		}
		o.Shape = s
	}
	return nil
}

// checkNewRun refuses to start a run in a directory that holds one.
func checkNewRun(out string) error {
	if _, err := os.Stat(rundir.ConfigPath(out)); err == nil {
		return fmt.Errorf("--out %s already holds a run; use --resume to continue it or choose another --out", out)
	}
	return nil
}

func knownDataset(name string) bool {
	for _, n := range datasets.Names() {
		if n == name {
			return true
		}
	}
	return false
}

// parseShape parses "CxHxW" into positive integers.
func parseShape(s string) ([3]int, error) {
	parts := strings.Split(strings.ToLower(s), "x")
	if len(parts) != 3 {
		return [3]int{}, errors.New("want CxHxW, e.g. 3x32x32")
	}
	var out [3]int
	for i, p := range parts {
		v, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || v < 1 {
			return [3]int{}, fmt.Errorf("%q is not a positive integer (want CxHxW, e.g. 3x32x32)", p)
		}
		out[i] = v
	}
	return out, nil
}

func formatFloats(v []float64) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = strconv.FormatFloat(x, 'f', 4, 64)
	}
	return strings.Join(s, " ")
}
