// Command darts is the command-line front end of darts-go: search, methods,
// derive, train, eval, plot, export, data, bench and version subcommands.
//
// Each subcommand lives in its own file and registers itself from init with
// register; main only dispatches. Exit codes: 0 success, 1 runtime error,
// 2 usage error (bad flag or argument), 130 interrupted.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"sort"

	"github.com/darts-go/darts/job"
	"github.com/spf13/pflag"
)

// command is one subcommand of darts.
type command struct {
	Name    string                    // as typed: "search"
	Summary string                    // one line for `darts --help`
	Run     func(args []string) error // parses its own flags from args
}

var commands = map[string]*command{}

// register adds a subcommand; called from the init of each subcommand's file.
func register(c *command) {
	if _, dup := commands[c.Name]; dup {
		panic("darts: duplicate subcommand " + c.Name)
	}
	commands[c.Name] = c
}

// usageError marks an error caused by how darts was invoked (exit code 2).
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// usageErrorf returns a usage error (exit code 2) with a formatted message.
func usageErrorf(format string, args ...any) error {
	return &usageError{fmt.Sprintf(format, args...)}
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "darts: differentiable neural architecture search (DARTS and its family) in Go")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Usage: darts <command> [flags]   (darts <command> --help for its flags)")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-8s %s\n", n, commands[n].Summary)
	}
}

func main() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	os.Exit(run(os.Args[1:]))
}

// gcPercent is the garbage collector's target (GOGC) unless the environment
// sets one. A search or training keeps hundreds of MiB of buffers live from
// step to step and makes a few MiB of garbage per step; Go's default of 100
// lets the heap grow to twice the live buffers before collecting, which a
// long run reaches: the default search (six epochs) peaked at 1352 MiB
// with 100 and at 894 MiB with 25, with the same bits. The live buffers
// are pointer-free and cheap to mark: GODEBUG=gctrace=1 shows each
// collection taking about 10 ms and 0% of the run's CPU (notes/perf.md).
const gcPercent = 25

// run dispatches to a subcommand and maps its error to an exit code.
func run(args []string) int {
	if len(args) == 0 {
		printUsage(os.Stderr)
		return 2
	}
	switch args[0] {
	case "-h", "--help", "help":
		printUsage(os.Stdout)
		return 0
	case "--version":
		printVersion(os.Stdout)
		return 0
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(os.Stderr, "darts: unknown command %q\n\n", args[0])
		printUsage(os.Stderr)
		return 2
	}
	err := c.Run(args[1:])
	var ue *usageError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(os.Stderr, "darts %s: %v\n", c.Name, err)
		fmt.Fprintf(os.Stderr, "Run 'darts %s --help' for usage.\n", c.Name)
		return 2
	case errors.Is(err, job.ErrInterrupted):
		fmt.Fprintf(os.Stderr, "darts %s: %v\n", c.Name, err)
		return 130
	default:
		fmt.Fprintf(os.Stderr, "darts %s: %v\n", c.Name, err)
		return 1
	}
}

// parseFlags parses a subcommand's flags. It reports whether --help was
// asked for, and turns a bad flag or a stray argument into a usage error.
func parseFlags(fs *pflag.FlagSet, args []string) (help bool, err error) {
	fs.SetOutput(io.Discard) // run reports the error once
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return true, nil
		}
		return false, usageErrorf("%v", err)
	}
	if fs.NArg() > 0 {
		return false, usageErrorf("unexpected argument %q", fs.Arg(0))
	}
	return false, nil
}

// addThreadsFlag adds --threads to fs. Call the returned function after
// parsing: it checks the value and sets GOMAXPROCS. Results do not depend
// on it (the kernels' reductions are fixed whatever the thread count).
func addThreadsFlag(fs *pflag.FlagSet) func() error {
	n := fs.Int("threads", 0, "use `N` threads (sets GOMAXPROCS; 0: all CPUs, or $GOMAXPROCS); results are the same for any N")
	return func() error {
		if *n < 0 {
			return usageErrorf("--threads %d: need 0 or more", *n)
		}
		if *n > 0 {
			runtime.GOMAXPROCS(*n)
		}
		return nil
	}
}

// printHelp writes a subcommand's help text followed by its flags.
func printHelp(w io.Writer, fs *pflag.FlagSet, text string) {
	fmt.Fprint(w, text)
	fs.SetOutput(w)
	fs.PrintDefaults()
}

// jobError maps what a job returns to the commands' errors: settings that
// cannot make a run are usage errors for a new run (they came from the
// flags) and runtime errors on --resume (they came from config.json).
func jobError(err error, resume bool) error {
	var ce *job.ConfigError
	var oe *job.OptionError
	switch {
	case errors.As(err, &ce) && !resume:
		return usageErrorf("%v", ce.Err)
	case errors.As(err, &oe):
		return usageErrorf("%v", oe.Err)
	}
	return err
}
