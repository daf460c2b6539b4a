// Command darts is the command-line front end of darts-go: search, derive,
// train, eval, plot, export, data and bench subcommands.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "darts: not yet implemented")
	os.Exit(1)
}
