package main

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/darts-go/darts/method"
	"github.com/spf13/pflag"
)

func init() {
	register(&command{Name: "methods", Summary: "list the search methods, or describe one with its reference defaults", Run: runMethods})
}

const methodsHelp = `Usage: darts methods [NAME]

Without NAME, lists the search methods 'darts search --method' takes. With
NAME, describes the method (what it changes, which paper and code it
follows), its own options, and its reference settings on each search space
next to what the quick budget makes of them.

Flags:
`

func runMethods(args []string) error { return methods(args, os.Stdout) }

func methods(args []string, w io.Writer) error {
	fs := pflag.NewFlagSet("methods", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		if err == pflag.ErrHelp {
			printHelp(w, fs, methodsHelp)
			return nil
		}
		return usageErrorf("%v", err)
	}
	switch fs.NArg() {
	case 0:
		for _, n := range method.Names() {
			s, _ := method.Lookup(n)
			fmt.Fprintf(w, "%-12s %s\n             spaces: %s\n", n, s.Summary, strings.Join(s.Spaces, ", "))
		}
		return nil
	case 1:
	default:
		return usageErrorf("unexpected argument %q (give one method name)", fs.Arg(1))
	}
	s, err := method.Lookup(fs.Arg(0))
	if err != nil {
		return usageErrorf("%v", err)
	}
	fmt.Fprintf(w, "%s: %s\n\n%s\n", s.Name, s.Summary, s.Doc)
	if len(s.Options) > 0 {
		fmt.Fprintf(w, "\nOptions (flags of 'darts search --method %s'):\n", s.Name)
		for _, o := range s.Options {
			fmt.Fprintf(w, "  --%-18s %s\n", o.Flag(), o.Usage)
		}
	}
	for _, sp := range s.Spaces {
		for _, order := range []int{1, 2} {
			ref, err := s.Recipe(method.Query{Space: sp, Order: order}, method.Reference)
			if err != nil {
				return err
			}
			if order == 2 && sameRecipe(ref, mustRecipe(s, sp, 1)) {
				continue // the reference does not depend on the order
			}
			quick, err := s.Recipe(method.Query{Space: sp, Order: order}, method.Quick)
			if err != nil {
				return err
			}
			title := fmt.Sprintf("On %s (%s):", sp, ref.Source)
			if !sameRecipe(mustRecipe(s, sp, 2), mustRecipe(s, sp, 1)) {
				title = fmt.Sprintf("On %s with --order %d (%s):", sp, order, ref.Source)
			}
			fmt.Fprintf(w, "\n%s\n", title)
			printRecipe(w, ref, quick)
		}
	}
	return nil
}

// sameRecipe reports whether two recipes differ only in their order.
func sameRecipe(a, b method.Recipe) bool {
	a.Search.Order, b.Search.Order = 0, 0
	return fmt.Sprintf("%+v", a) == fmt.Sprintf("%+v", b)
}

func mustRecipe(s method.Spec, sp string, order int) method.Recipe {
	r, _ := s.Recipe(method.Query{Space: sp, Order: order}, method.Reference)
	return r
}

// printRecipe prints a reference recipe, and the quick budget's value
// where it differs.
func printRecipe(w io.Writer, ref, quick method.Recipe) {
	row := func(name string, r, q any) {
		rs, qs := fmt.Sprint(r), fmt.Sprint(q)
		if rs == qs {
			fmt.Fprintf(w, "  %-22s %s\n", name, rs)
		} else {
			fmt.Fprintf(w, "  %-22s %s   (quick budget: %s)\n", name, rs, qs)
		}
	}
	rs, qs := ref.Search, quick.Search
	rn, qn := ref.Network, quick.Network
	limit := func(n int) string {
		if n == 0 {
			return "all"
		}
		return fmt.Sprint(n)
	}
	row("training examples", limit(ref.Limit), limit(quick.Limit))
	row("epochs", rs.Epochs, qs.Epochs)
	row("batch size", rs.BatchSize, qs.BatchSize)
	if rn.CellsPerStage > 0 {
		row("cells per stage", rn.CellsPerStage, qn.CellsPerStage)
		row("search-cell BN stats", map[bool]string{false: "tracked", true: "batch only"}[rn.NoTrackStats], map[bool]string{false: "tracked", true: "batch only"}[qn.NoTrackStats])
	} else {
		row("layers", rn.Layers, qn.Layers)
		row("nodes per cell", rn.Steps, qn.Steps)
	}
	row("init channels", rn.C, qn.C)
	row("ops", strings.Join(rn.Primitives, ","), strings.Join(qn.Primitives, ","))
	row("initialization", "PyTorch "+rn.Init, "PyTorch "+qn.Init)
	sgd := func(s method.Recipe) string {
		st := s.Search
		m := fmt.Sprintf("SGD lr %g → %g (cosine), momentum %g", st.LR, st.LRMin, st.Momentum)
		if st.Nesterov {
			m += " (Nesterov)"
		}
		m += fmt.Sprintf(", weight decay %g, clip %g", st.WeightDecay, st.GradClip)
		if st.ClipWithArch {
			m += " (α's gradient in the norm)"
		}
		return m
	}
	row("weights", sgd(ref), sgd(quick))
	adam := func(s method.Recipe) string {
		st := s.Search
		return fmt.Sprintf("Adam (PyTorch %s) lr %g, betas (%g, %g), weight decay %g", st.ArchAdam, st.ArchLR, st.ArchBeta1, st.ArchBeta2, st.ArchWeightDecay)
	}
	row("architecture", adam(ref), adam(quick))
	order := func(s method.Recipe) string {
		if s.Search.WeightFirst {
			return "weight step, then architecture step"
		}
		return "architecture step, then weight step"
	}
	row("step order", order(ref), order(quick))
	row("warm-up epochs", rs.Warmup, qs.Warmup)
	keys := make([]string, 0, len(ref.Options))
	for k := range ref.Options {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		row(k, ref.Options[k], quick.Options[k])
	}
}
