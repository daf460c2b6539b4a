//go:build unix

// Command methodsearch runs one registered search method (package method)
// at a budget, as `darts search --method NAME --budget BUDGET` does with
// no other flag: the method's reference recipe scaled to the budget,
// through job.Search, into a run directory. It prints the final search-val
// accuracy, the genotype, the median step time (measured between the
// progress callbacks of the search steps, which darts search does not
// print) and the process's peak resident memory.
//
//	go run ./tools/methodsearch -method gdas -out runs/gdas
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/darts-go/darts/datasets"
	"github.com/darts-go/darts/job"
	"github.com/darts-go/darts/method"
	"github.com/darts-go/darts/rundir"
)

// stepTimer is a job.Reporter that times the steps of each epoch and
// prints the epoch lines.
type stepTimer struct {
	last  time.Time
	steps []float64
}

func (r *stepTimer) Note(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) }
func (r *stepTimer) Begin(label string, total int) {
	fmt.Fprintf(os.Stderr, "%s: %d steps\n", label, total)
	r.last = time.Now()
}
func (r *stepTimer) Update(done int, status string) {
	now := time.Now()
	r.steps = append(r.steps, now.Sub(r.last).Seconds())
	r.last = now
}
func (r *stepTimer) End(line string) { fmt.Fprintln(os.Stderr, line) }

func peakRSS() (uint64, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return uint64(ru.Maxrss) * 1024, true
}

func main() {
	name := flag.String("method", method.DARTS, "method: "+strings.Join(method.Names(), ", "))
	sp := flag.String("space", "darts", "search space: darts or nas-bench-201")
	budget := flag.String("budget", method.Quick, "budget: quick or reference")
	dataset := flag.String("dataset", "mnist", "dataset")
	out := flag.String("out", "", "run directory")
	flag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, "methodsearch: -out is required")
		os.Exit(2)
	}
	spec, err := method.Lookup(*name)
	if err == nil {
		var r method.Recipe
		r, err = spec.Recipe(method.Query{Space: *sp}, *budget)
		if err == nil {
			err = run(r, *dataset, *out)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "methodsearch:", err)
		os.Exit(1)
	}
}

func run(r method.Recipe, dataset, out string) error {
	conf := job.SearchConfig{Command: strings.Join(os.Args, " "), Method: r.Method, MethodOptions: r.Options, Budget: r.Budget,
		Data:    datasets.Options{Name: dataset, Limit: r.Limit, TrainPortion: 0.5, Seed: r.Search.Seed},
		Network: r.Network, Search: r.Search}
	rep := &stepTimer{}
	start := time.Now()
	if err := job.Search(context.Background(), conf, job.SearchOptions{Dir: out, Report: rep, PeakRSS: peakRSS}); err != nil {
		return err
	}
	wall := time.Since(start)
	ms, err := rundir.ReadMetrics(rundir.MetricsPath(out))
	if err != nil {
		return err
	}
	g, err := os.ReadFile(rundir.GenotypeTextPath(out))
	if err != nil {
		return err
	}
	sorted := slices.Sorted(slices.Values(rep.steps))
	rss, _ := peakRSS()
	var accs []string
	for _, m := range ms {
		accs = append(accs, fmt.Sprintf("%.1f", 100*m.ValAcc))
	}
	fmt.Printf("method %s (%s)\nwall %.0f s, %d steps, median step %.3f s, peak RSS %d MiB\nsearch-val accuracy by epoch %s%%\n%s",
		r.Method, r.Source, wall.Seconds(), len(sorted), sorted[len(sorted)/2], rss>>20, strings.Join(accs, ", "), g)
	return nil
}
