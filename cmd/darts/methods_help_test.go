package main

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/darts-go/darts/method"
)

// TestSearchHelpEveryMethod: `darts search --method M [--space S] --help`
// works for every registered method on every space it has (a method
// option whose flag collides with a search flag panicked in pflag), and
// the help names each of the method's options as a flag.
func TestSearchHelpEveryMethod(t *testing.T) {
	for _, name := range method.Names() {
		spec, err := method.Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, sp := range spec.Spaces {
			t.Run(name+"/"+sp, func(t *testing.T) {
				var out bytes.Buffer
				err := func() (err error) {
					defer func() {
						if r := recover(); r != nil {
							err = fmt.Errorf("panic: %v", r)
						}
					}()
					return search([]string{"--method", name, "--space", sp, "--help"}, &out, &bytes.Buffer{})
				}()
				if err != nil {
					t.Fatalf("--help: %v", err)
				}
				for _, o := range spec.Options {
					flag := "--" + strings.ReplaceAll(o.Name, "_", "-")
					if !strings.Contains(out.String(), flag) {
						t.Errorf("help does not name %s", flag)
					}
				}
			})
		}
	}
}
