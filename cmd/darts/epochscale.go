package main

import (
	"strconv"

	"github.com/darts-go/darts/bilevel"
	"github.com/darts-go/darts/method"
	"github.com/spf13/pflag"
)

// scaleToEpochs makes the settings counted in epochs follow an --epochs
// that differs from the budget's, as a budget makes them follow its own
// (method.Spec.WithBudget): the warm-up and every method option marked
// Epochs that the command line leaves alone become the reference recipe's
// value times --epochs over the reference's epochs, rounded to the nearest
// integer (PC-DARTS's 15 warm-up epochs of 50 become 3 of --epochs 10 and
// 1 of --epochs 3). A value given on the command line is kept as it is.
func scaleToEpochs(fs *pflag.FlagSet, spec method.Spec, q method.Query, rec method.Recipe, st *bilevel.Settings) error {
	if !fs.Changed("epochs") || st.Epochs < 1 || st.Epochs == rec.Search.Epochs {
		return nil
	}
	ref, err := spec.Recipe(q, method.Reference)
	if err != nil {
		return err
	}
	scaled := spec.WithBudget(ref, method.Budget{Name: rec.Budget, Epochs: st.Epochs})
	if !fs.Changed("warmup-epochs") {
		st.Warmup = scaled.Search.Warmup
	}
	for _, o := range spec.Options {
		v, ok := scaled.Options[o.Name]
		if !ok || !o.Epochs || fs.Changed(o.Flag()) || fs.Lookup(o.Flag()) == nil {
			continue
		}
		if err := fs.Set(o.Flag(), strconv.FormatFloat(v, 'g', -1, 64)); err != nil {
			return err
		}
	}
	return nil
}
