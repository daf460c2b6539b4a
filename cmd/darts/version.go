package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"

	"github.com/darts-go/darts/job"
	"github.com/spf13/pflag"
)

func init() {
	register(&command{Name: "version", Summary: "print the program version, the Go version and the kernel path in use", Run: runVersion})
}

const versionHelp = `Usage: darts version   (or darts --version)

Prints the program version, the Go toolchain and platform it was built
with, and the path the float32 kernels take on this machine (plain Go
loops, or AVX2 assembly, chosen at start from what the CPU supports): the
path decides the last bits of every result, so config.json records it too
(as "kernels").

Flags:
`

func runVersion(args []string) error { return version(args, os.Stdout) }

// version is runVersion with its standard output passed in, for tests.
func version(args []string, stdout io.Writer) error {
	fs := pflag.NewFlagSet("version", pflag.ContinueOnError)
	if help, err := parseFlags(fs, args); help || err != nil {
		if help {
			printHelp(stdout, fs, versionHelp)
		}
		return err
	}
	printVersion(stdout)
	return nil
}

// printVersion writes the three lines of darts version.
func printVersion(w io.Writer) {
	prog := job.Version
	if bi, ok := debug.ReadBuildInfo(); ok {
		var rev, modified string
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				modified = s.Value
			}
		}
		if len(rev) > 12 {
			rev = rev[:12]
		}
		if rev != "" {
			prog += " (commit " + rev
			if modified == "true" {
				prog += ", modified"
			}
			prog += ")"
		}
	}
	fmt.Fprintf(w, "%s\n%s %s/%s\nkernels %s\n", prog, runtime.Version(), runtime.GOOS, runtime.GOARCH, job.KernelPath())
}
