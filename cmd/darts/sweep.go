package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/darts-go/darts/job"
	"github.com/darts-go/darts/rundir"
	"github.com/darts-go/darts/sweep"
	"github.com/spf13/pflag"
)

func init() {
	register(&command{Name: "sweep", Summary: "run an experiment: a grid of searches, retrainings and random cells (plan, run, emit, report)", Run: runSweep})
}

const sweepHelp = `Usage: darts sweep plan FILE [--json]
       darts sweep run FILE [--index I | --jobs N] [--threads T]
       darts sweep emit FILE (--slurm | --kubernetes) [flags]
       darts sweep report FILE [--out DIR]

An experiment file (JSON; its format is 'go doc github.com/darts-go/darts/sweep')
is a grid over methods, seeds and any search or retraining setting, plus
random cells retrained at the same budget. Its members are numbered 0..n-1;
member i's directory and settings depend on the file and i alone.

  plan     lists the members: index, status, directory
  run      runs one member (--index I, or SLURM_ARRAY_TASK_ID, or
           JOB_COMPLETION_INDEX when set), or every unfinished member here,
           N at a time (--jobs N), the cores split between them, one
           progress line each. A finished member is skipped; a stopped one
           (Ctrl-C, SIGTERM, SIGKILL) resumes exactly where it stopped.
  emit     writes an sbatch array script (--slurm) or a Kubernetes Indexed
           Job manifest (--kubernetes) that runs every member
  report   aggregates the finished members: OUT/report/report.md, .csv,
           members.csv and figures; unfinished members are listed apart

Examples:
  darts sweep plan experiments/compare.json
  darts sweep run experiments/compare.json --jobs 2
  darts sweep run experiments/compare.json --index 4 --threads 2
  darts sweep emit experiments/compare.json --slurm --cpus 4 --time 8:00:00 > compare.sbatch
  darts sweep emit experiments/compare.json --kubernetes --image registry/darts:0.2 --claim runs > compare.yaml
  darts sweep report experiments/compare.json
`

func runSweep(args []string) error { return sweepCmd(args, os.Stdout, os.Stderr) }

// sweepCmd is runSweep with its output streams passed in, for tests.
func sweepCmd(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageErrorf("need a subcommand: plan, run, emit or report")
	}
	switch args[0] {
	case "-h", "--help", "help":
		fmt.Fprint(stdout, sweepHelp)
		return nil
	case "plan":
		return sweepPlan(args[1:], stdout)
	case "run":
		return sweepRun(args[1:], stdout, stderr)
	case "emit":
		return sweepEmit(args[1:], stdout)
	case "report":
		return sweepReport(args[1:], stdout, stderr)
	}
	return usageErrorf("unknown subcommand %q (want plan, run, emit or report)", args[0])
}

// parseSweepFlags parses the flags of a sweep subcommand and its one
// argument, the experiment file.
func parseSweepFlags(fs *pflag.FlagSet, args []string, stdout io.Writer, help string) (file string, helped bool, err error) {
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			printHelp(stdout, fs, help)
			return "", true, nil
		}
		return "", false, usageErrorf("%v", err)
	}
	switch fs.NArg() {
	case 0:
		return "", false, usageErrorf("need the experiment FILE")
	case 1:
		return fs.Arg(0), false, nil
	}
	return "", false, usageErrorf("unexpected argument %q (one experiment FILE only)", fs.Arg(1))
}

// readExperiment reads the file; a file that cannot make an experiment
// is a usage error.
func readExperiment(file string) (*sweep.Experiment, error) {
	e, err := sweep.ReadFile(file)
	if err != nil {
		return nil, usageErrorf("%v", err)
	}
	return e, nil
}

const planHelp = `Usage: darts sweep plan FILE [--json]

Lists the members of the experiment: index, status (not started, search
2/6, train 0/10, finished), kind (search or random cell) and directory.
--json prints every member's resolved settings too.

Flags:
`

func sweepPlan(args []string, stdout io.Writer) error {
	fs := pflag.NewFlagSet("sweep plan", pflag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print the members as JSON, with their resolved settings")
	file, helped, err := parseSweepFlags(fs, args, stdout, planHelp)
	if helped || err != nil {
		return err
	}
	e, err := readExperiment(file)
	if err != nil {
		return err
	}
	type planned struct {
		Index    int            `json:"index"`
		Name     string         `json:"name"`
		Dir      string         `json:"dir"`
		Group    string         `json:"group"`
		Status   string         `json:"status"`
		Settings sweep.Settings `json:"settings"`
	}
	var list []planned
	for _, m := range e.Members {
		st, err := sweep.MemberStatus(m)
		if err != nil {
			return err
		}
		list = append(list, planned{m.Index, m.Name, m.Dir, m.Group, st.String(), m.Settings})
	}
	if *asJSON {
		b, err := json.MarshalIndent(list, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(stdout, "%s\n", b)
		return err
	}
	fmt.Fprintf(stdout, "experiment %s (%s): %d members in %s\n", e.Name, e.Path, len(e.Members), e.Out)
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "index\tstatus\tkind\tgroup\tdirectory")
	for i, p := range list {
		st := e.Members[i].Settings
		kind := planKind(st)
		if st.RandomCell {
			kind = "random cell"
		}
		if st.Retrain != nil {
			kind += " + retrain"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", p.Index, p.Status, kind, p.Group, p.Dir)
	}
	return tw.Flush()
}

// planKind is how plan names a searched member: the method, order=2 for a
// second-order search, and, in order of name, the method's options whose
// values are not its recipe's (all of them if the recipe cannot be had).
func planKind(st sweep.Settings) string {
	kind := "search " + st.Method
	if st.Search.Settings.Order == 2 {
		kind += " order=2"
	}
	var recipe map[string]float64
	if d, err := sweep.Defaults(st.Method, st.Search.Network.Space, st.Search.Settings.Order, st.Budget); err == nil {
		recipe = d.MethodOptions
	}
	keys := make([]string, 0, len(st.MethodOptions))
	for k, v := range st.MethodOptions {
		if r, ok := recipe[k]; !ok || r != v {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		kind += " " + k + "=" + strconv.FormatFloat(st.MethodOptions[k], 'g', -1, 64)
	}
	return kind
}

const runHelp = `Usage: darts sweep run FILE [--index I | --jobs N] [--threads T]

Runs member I: its search (or random cell), then the retraining of the
cell. The index is --index, else $SLURM_ARRAY_TASK_ID (a Slurm array
task), else $JOB_COMPLETION_INDEX (a Kubernetes Indexed Job's pod). A
finished member is skipped; any other resumes from its checkpoints and
ends as an uninterrupted run would. Ctrl-C or SIGTERM checkpoints and
exits with code 130.

Without an index it runs every unfinished member on this machine, N at a
time (--jobs, default 1), each in its own process with T threads
(--threads, default: the CPUs divided by N), one progress line each; a
member's output goes to its directory's sweep.log.

Flags:
`

func sweepRun(args []string, stdout, stderr io.Writer) error {
	fs := pflag.NewFlagSet("sweep run", pflag.ContinueOnError)
	index := fs.Int("index", -1, "run member `I` only")
	jobs := fs.Int("jobs", 1, "run the unfinished members `N` at a time on this machine")
	threads := fs.Int("threads", 0, "threads per member (`T`; 0: all CPUs for one member, CPUs/N with --jobs N)")
	progressJSON := fs.Bool("progress-json", false, "report progress as JSON lines on standard output (what --jobs reads from its members)")
	_ = fs.MarkHidden("progress-json")
	file, helped, err := parseSweepFlags(fs, args, stdout, runHelp)
	if helped || err != nil {
		return err
	}
	if *threads < 0 {
		return usageErrorf("--threads %d: need 0 or more", *threads)
	}
	e, err := readExperiment(file)
	if err != nil {
		return err
	}
	i, from, err := memberIndex(fs.Changed("index"), *index)
	if err != nil {
		return err
	}
	if from != "" && fs.Changed("jobs") {
		return usageErrorf("--jobs runs members locally; it does not go with %s", from)
	}
	if from == "" {
		if *jobs < 1 {
			return usageErrorf("--jobs %d: need at least 1", *jobs)
		}
		return runLocal(e, file, *jobs, *threads, stdout, stderr)
	}
	m, err := e.Member(i)
	if err != nil {
		return usageErrorf("%s: %v", from, err)
	}
	if *threads > 0 {
		setMaxProcs(*threads)
	}
	return runMember(e, file, m, *progressJSON, stdout, stderr)
}

// memberIndex finds the member to run: --index, else the scheduler's
// variables. from names where it came from ("" if nowhere: run locally).
func memberIndex(flagSet bool, flag int) (i int, from string, err error) {
	if flagSet {
		if flag < 0 {
			return 0, "", usageErrorf("--index %d: need 0 or more", flag)
		}
		return flag, fmt.Sprintf("--index %d", flag), nil
	}
	for _, v := range []string{"SLURM_ARRAY_TASK_ID", "JOB_COMPLETION_INDEX"} {
		s, ok := os.LookupEnv(v)
		if !ok || s == "" {
			continue
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return 0, "", usageErrorf("%s=%q: not a member index", v, s)
		}
		return n, fmt.Sprintf("%s=%d", v, n), nil
	}
	return 0, "", nil
}

// runMember runs one member in this process.
func runMember(e *sweep.Experiment, file string, m sweep.Member, progressJSON bool, stdout, stderr io.Writer) error {
	var rep job.Reporter = newReporter(stderr)
	var stage func(string, int)
	var jr *jsonReporter
	if progressJSON {
		jr = newJSONReporter(stdout)
		rep = teeReporter{rep, jr}
		stage = jr.Stage
	}
	command := fmt.Sprintf("darts sweep run %s --index %d", file, m.Index)
	fmt.Fprintf(stderr, "member %d of %d: %s (%s)\n", m.Index, len(e.Members), m.Name, m.Dir)
	ctx, stop := job.WithSignals(context.Background())
	defer stop()
	res, skipped, err := sweep.Run(ctx, m, sweep.RunOptions{Report: rep, Stage: stage, Command: command})
	if err != nil {
		return err
	}
	line := resultLine(res)
	if skipped {
		line = "already finished: " + line
	}
	if jr != nil {
		jr.emit(progressEvent{Event: "result", Line: line})
		return nil
	}
	_, err = fmt.Fprintf(stdout, "member %d %s: %s\n", m.Index, m.Name, line)
	return err
}

// resultLine sums up a finished member.
func resultLine(r sweep.Result) string {
	var parts []string
	if s := r.Search; s != nil && s.ValAcc != nil {
		parts = append(parts, fmt.Sprintf("search-val %.2f%% (%.0f s)", 100**s.ValAcc, s.Seconds))
	}
	if t := r.Train; t != nil && t.TestAcc != nil {
		parts = append(parts, fmt.Sprintf("test %.2f%%, %s params (%.0f s)", 100**t.TestAcc, thousands(t.Params), t.Seconds))
	}
	parts = append(parts, fmt.Sprintf("%d skips in the normal cell", r.NormalSkips))
	return strings.Join(parts, ", ")
}

const emitHelp = `Usage: darts sweep emit FILE --slurm [--cpus C] [--parallel P] [--time T] [--mem M] [--partition P]
       darts sweep emit FILE --kubernetes --image IMAGE --claim PVC [--cpus C] [--parallel P] [--mem M]

--slurm writes an sbatch script: an array job of one task per member
(--array=0-(n-1), %P with --parallel), each running 'darts sweep run FILE'
with --cpus threads, in --workdir (default: here), which every node must
see at the same path, as the experiment file and the darts binary.

--kubernetes writes a manifest (YAML): a ConfigMap with the experiment
file and an Indexed Job (completionMode Indexed, completions n,
parallelism --parallel) whose pods run 'darts sweep run' from --image,
the run directories on the PersistentVolumeClaim --claim mounted at
--mount, their working directory.

The script or manifest goes to standard output, or to --out.

Flags:
`

func sweepEmit(args []string, stdout io.Writer) error {
	fs := pflag.NewFlagSet("sweep emit", pflag.ContinueOnError)
	slurm := fs.Bool("slurm", false, "write an sbatch array script")
	kube := fs.Bool("kubernetes", false, "write a Kubernetes Indexed Job manifest")
	out := fs.String("out", "", "write to `file` instead of standard output")
	darts := fs.String("darts", "", "the darts binary as the nodes or the image see it (default: this binary's path for --slurm, darts for --kubernetes)")
	cpus := fs.Int("cpus", 2, "CPUs (threads) per member")
	parallel := fs.Int("parallel", 0, "members running at once (0: Slurm's choice; all for Kubernetes)")
	workdir := fs.String("workdir", "", "--slurm: the directory the experiment's out is relative to (default: the current one)")
	mem := fs.String("mem", "", "memory per member (Slurm --mem: 8G; Kubernetes: 8Gi)")
	timeLimit := fs.String("time", "", "--slurm: time limit per member (sbatch --time, e.g. 8:00:00)")
	partition := fs.String("partition", "", "--slurm: partition")
	image := fs.String("image", "", "--kubernetes: the container image holding darts")
	claim := fs.String("claim", "", "--kubernetes: the PersistentVolumeClaim holding the run directories")
	mount := fs.String("mount", "/work", "--kubernetes: where the claim is mounted (the pods' working directory)")
	namespace := fs.String("namespace", "", "--kubernetes: the namespace")
	file, helped, err := parseSweepFlags(fs, args, stdout, emitHelp)
	if helped || err != nil {
		return err
	}
	if *slurm == *kube {
		return usageErrorf("give one of --slurm and --kubernetes")
	}
	e, err := readExperiment(file)
	if err != nil {
		return err
	}
	var b strings.Builder
	if *slurm {
		for _, f := range []string{"image", "claim", "namespace"} {
			if fs.Changed(f) {
				return usageErrorf("--%s goes with --kubernetes", f)
			}
		}
		abs, err := filepath.Abs(file)
		if err != nil {
			return err
		}
		wd := *workdir
		if wd == "" {
			if wd, err = os.Getwd(); err != nil {
				return err
			}
		}
		if wd, err = filepath.Abs(wd); err != nil {
			return err
		}
		bin := *darts
		if bin == "" {
			bin = defaultDartsPath()
		}
		err = e.Slurm(&b, sweep.SlurmOptions{Darts: bin, File: abs, Workdir: wd, Parallel: *parallel, CPUs: *cpus,
			Mem: *mem, Time: *timeLimit, Partition: *partition})
		if err != nil {
			return usageErrorf("%v", err)
		}
	} else {
		for _, f := range []string{"workdir", "time", "partition"} {
			if fs.Changed(f) {
				return usageErrorf("--%s goes with --slurm", f)
			}
		}
		par := *parallel
		if par == 0 {
			par = len(e.Members)
		}
		err := e.Kubernetes(&b, sweep.KubernetesOptions{Image: *image, Darts: *darts, Claim: *claim, MountPath: *mount,
			Parallelism: par, CPUs: *cpus, Memory: *mem, Namespace: *namespace})
		if err != nil {
			return usageErrorf("%v", err)
		}
	}
	if *out == "" {
		_, err := io.WriteString(stdout, b.String())
		return err
	}
	mode := os.FileMode(0o644)
	if *slurm {
		mode = 0o755
	}
	return rundir.WriteFileAtomic(*out, []byte(b.String()), mode)
}

// defaultDartsPath is this binary's absolute path, unless it is a
// temporary one (go run, go test), where "darts" on PATH is the guess.
func defaultDartsPath() string {
	exe, err := os.Executable()
	if err != nil || strings.HasPrefix(exe, os.TempDir()) || strings.Contains(exe, "go-build") {
		return "darts"
	}
	return exe
}

const reportHelp = `Usage: darts sweep report FILE [--out DIR] [--no-figures]

Aggregates the finished members, by the labels of the experiment's
group_by axes (default: every axis but "seed"): mean ± sample standard
deviation and n of the final search-val accuracy, the retrained test
accuracy, the parameters, the search time, the skip connections in the
normal cell, and the test accuracy of the random cells retrained at the
same budget. Unfinished members are listed apart, never averaged in.

Writes DIR/report.md (also printed), DIR/report.csv (one row per group),
DIR/members.csv (one row per member) and, unless --no-figures, the
figures: test_acc.png and search_val_acc.png (mean ± std per group with
each seed's point) and alphas_GROUP.png (the first seed's alphas). DIR
defaults to the experiment's out/report.

Flags:
`

func sweepReport(args []string, stdout, stderr io.Writer) error {
	fs := pflag.NewFlagSet("sweep report", pflag.ContinueOnError)
	out := fs.String("out", "", "write the report to `dir` (default OUT/report)")
	noFigures := fs.Bool("no-figures", false, "write the tables only")
	file, helped, err := parseSweepFlags(fs, args, stdout, reportHelp)
	if helped || err != nil {
		return err
	}
	e, err := readExperiment(file)
	if err != nil {
		return err
	}
	dir := *out
	if dir == "" {
		dir = filepath.Join(e.Out, "report")
	}
	r, err := sweep.NewReport(e)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var md, csv, members strings.Builder
	if err := r.Markdown(&md); err != nil {
		return err
	}
	if err := r.CSV(&csv); err != nil {
		return err
	}
	if err := r.MembersCSV(&members); err != nil {
		return err
	}
	for name, s := range map[string]string{"report.md": md.String(), "report.csv": csv.String(), "members.csv": members.String()} {
		if err := rundir.WriteFileAtomic(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
			return err
		}
	}
	if !*noFigures {
		written, warnings, err := r.WriteFigures(dir)
		for _, w := range warnings {
			fmt.Fprintln(stderr, "warning:", w)
		}
		if err != nil {
			return err
		}
		for _, w := range written {
			fmt.Fprintln(stderr, "wrote", w)
		}
	}
	fmt.Fprintln(stderr, "wrote", filepath.Join(dir, "report.md"), filepath.Join(dir, "report.csv"), filepath.Join(dir, "members.csv"))
	_, err = io.WriteString(stdout, md.String())
	return err
}
