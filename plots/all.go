package plots

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/darts-go/darts/derive"
	"github.com/darts-go/darts/rundir"
	"github.com/darts-go/darts/space"
)

// All draws every figure the files of run directory runDir allow into
// outDir (runDir/plots if empty) in format (png, svg or pdf; png if empty)
// and returns the paths written, in a fixed order:
//
//	alphas_<tensor>   AlphaEvolution, per op tensor (alphas.jsonl): alphas_normal, alphas_reduce for DARTS
//	weights_<tensor>  WeightsHeatmap of the last line, per op tensor (alphas.jsonl)
//	alphas_<tensor>   EdgeWeightEvolution, per edge tensor (PC-DARTS: alphas_beta_normal, alphas_beta_reduce)
//	skip_count        SkipCount             (alphas.jsonl)
//	curves            Curves                (metrics.jsonl)
//	cell_<cell>       CellDiagram, per cell of the genotype (genotype.json, else
//	                  derived from the last alphas line): cell_normal, cell_reduce;
//	                  a NAS-Bench-201 run's one cell is "cell"
//	strategies        Strategies, of every selection made on the run's supernet
//	                  (select/*/select.jsonl: darts select), or of the selection
//	                  runDir itself is (its select.jsonl)
//
// A training run (darts train) has curves and cell diagrams only; a
// selection directory its strategy figure and the chosen cell.
//
// Missing or damaged files do not stop it: a missing file, a truncated last
// line, or a bad line (after which only the lines before it are used)
// becomes a warning and the figures that can still be drawn are. err is for
// what stops everything: a bad format, an unreadable run directory, a
// failed write, or no figure at all.
func All(runDir, outDir, format string) (written, warnings []string, err error) {
	if format == "" {
		format = "png"
	}
	format = strings.ToLower(format)
	if !slices.Contains(Formats, format) {
		return nil, nil, fmt.Errorf("plots: unknown format %q (want png, svg or pdf)", format)
	}
	st, err := os.Stat(runDir)
	if err != nil {
		return nil, nil, fmt.Errorf("plots: run directory: %w", err)
	}
	if !st.IsDir() {
		return nil, nil, fmt.Errorf("plots: run directory %s is not a directory", runDir)
	}
	if outDir == "" {
		outDir = rundir.PlotsPath(runDir)
	}
	warn := func(format string, args ...any) { warnings = append(warnings, fmt.Sprintf(format, args...)) }

	type job struct {
		name string
		make func() (*Figure, error)
	}
	var jobs []job

	metrics, merr := rundir.ReadMetrics(rundir.MetricsPath(runDir))
	// A training run (darts train: metrics with test accuracy) has no
	// alphas; their absence is then no warning. A selection directory
	// (darts select) has neither.
	training := len(metrics) > 0 && metrics[0].TestAcc != nil
	_, serr := os.Stat(rundir.SelectPath(runDir))
	selection := serr == nil
	alphas, aerr := rundir.ReadAlphas(rundir.AlphasPath(runDir))
	if !((training || selection) && errors.Is(aerr, os.ErrNotExist)) {
		noteReadErr(aerr, rundir.AlphasFile, len(alphas), "alpha evolution, weight heatmaps and skip count", warn)
	}
	var derived *derive.Genotype
	if len(alphas) > 0 {
		last := alphas[len(alphas)-1]
		var opTensors []string // a cell type's own tensor holds its op weights
		for _, c := range last.Space.Cells {
			if _, ok := last.Tensor(c.Name); ok {
				opTensors = append(opTensors, c.Name)
			}
		}
		for _, name := range opTensors {
			jobs = append(jobs, job{"alphas_" + name, func() (*Figure, error) { return AlphaEvolution(alphas, name) }})
		}
		for _, name := range opTensors {
			jobs = append(jobs, job{"weights_" + name, func() (*Figure, error) { return WeightsHeatmap(last, name) }})
		}
		for _, x := range last.Space.Extra {
			if _, ok := last.Tensor(x.Name); ok && x.Kind == space.KindEdge {
				name := x.Name
				jobs = append(jobs, job{"alphas_" + name, func() (*Figure, error) { return EdgeWeightEvolution(alphas, name) }})
			}
		}
		jobs = append(jobs, job{"skip_count", func() (*Figure, error) {
			f, ws, err := SkipCount(alphas)
			warnings = append(warnings, ws...)
			return f, err
		}})
		if g, err := deriveLine(alphas[len(alphas)-1]); err == nil {
			derived = &g
		}
	}

	if !(selection && errors.Is(merr, os.ErrNotExist)) {
		noteReadErr(merr, rundir.MetricsFile, len(metrics), "learning curves", warn)
	}
	if len(metrics) > 0 {
		jobs = append(jobs, job{"curves", func() (*Figure, error) { return Curves(metrics) }})
	}

	var geno *derive.Genotype
	gpath := rundir.GenotypeJSONPath(runDir)
	switch g, err := derive.ReadFile(gpath); {
	case err == nil:
		geno = &g
		if derived != nil && !g.Equal(*derived) && !noArchStep(runDir) {
			warn("%s differs from the genotype derived from the last line of %s (epoch %d); the cell diagrams show %s, the alpha figures mark the derived one",
				rundir.GenotypeJSONFile, rundir.AlphasFile, alphas[len(alphas)-1].Epoch, rundir.GenotypeJSONFile)
		}
	case errors.Is(err, os.ErrNotExist) && derived != nil:
		geno = derived
		warn("no %s: the cell diagrams show the genotype derived from the last line of %s (epoch %d)",
			rundir.GenotypeJSONFile, rundir.AlphasFile, alphas[len(alphas)-1].Epoch)
	case errors.Is(err, os.ErrNotExist):
		warn("no %s and no usable %s: skipped the cell diagrams", rundir.GenotypeJSONFile, rundir.AlphasFile)
	default:
		warn("%v: skipped the cell diagrams", err)
	}
	if geno != nil {
		for _, c := range geno.Cells {
			name := "cell_" + c.Name
			if c.Name == "cell" {
				name = "cell"
			}
			jobs = append(jobs, job{name, func() (*Figure, error) { return CellDiagram(*geno, c.Name) }})
		}
	}

	selDirs := rundir.SelectRuns(runDir)
	if selection {
		selDirs = []string{runDir}
	}
	var sels []Selection
	for _, d := range selDirs {
		cs, err := rundir.ReadCandidates(rundir.SelectPath(d))
		noteReadErr(err, filepath.Join(filepath.Base(d), rundir.SelectFile), len(cs), "candidates after it in the strategies figure", warn)
		if len(cs) > 0 {
			sels = append(sels, Selection{Label: filepath.Base(d), Candidates: cs})
		}
	}
	if len(sels) > 0 {
		jobs = append(jobs, job{"strategies", func() (*Figure, error) { return Strategies(sels) }})
	}

	if len(jobs) == 0 {
		return nil, warnings, fmt.Errorf("plots: nothing to plot in %s (%s)", runDir, strings.Join(warnings, "; "))
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return nil, warnings, fmt.Errorf("plots: %w", err)
	}
	for _, j := range jobs {
		f, err := j.make()
		if err != nil {
			warn("%s: %v", j.name, err)
			continue
		}
		path := filepath.Join(outDir, j.name+"."+format)
		if err := f.Save(path); err != nil {
			return written, warnings, err
		}
		written = append(written, path)
	}
	if len(written) == 0 {
		return nil, warnings, fmt.Errorf("plots: no figure could be drawn from %s (%s)", runDir, strings.Join(warnings, "; "))
	}
	return written, warnings, nil
}

// noteReadErr turns the error of reading a run file into a warning saying
// what is lost.
func noteReadErr(err error, file string, kept int, figures string, warn func(string, ...any)) {
	var te *rundir.TruncatedError
	switch {
	case err == nil:
	case errors.Is(err, os.ErrNotExist):
		warn("no %s: skipped the %s", file, figures)
	case errors.As(err, &te):
		warn("%v", err)
	case kept > 0:
		warn("%v; using the %d lines before it", err, kept)
	default:
		warn("%v: skipped the %s", err, figures)
	}
}

// noArchStep reports whether runDir's config.json says its method takes
// no architecture step (method_parts.arch_step "none": RSPS), so that its
// alphas.jsonl (the sampler's fixed probabilities) does not choose the
// genotype and a genotype.json unlike the one derived from it is expected.
func noArchStep(runDir string) bool {
	b, err := os.ReadFile(rundir.ConfigPath(runDir))
	if err != nil {
		return false
	}
	var c struct {
		Method struct {
			ArchStep string `json:"arch_step"`
		} `json:"method_parts"`
	}
	return json.Unmarshal(b, &c) == nil && c.Method.ArchStep == "none"
}
