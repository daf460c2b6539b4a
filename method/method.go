// Package method is the registry of search methods. A method (DARTS, and
// the gradient methods built on the same seams) is a Spec: its name, what
// it changes and which paper and code it follows, the options of its own,
// its reference recipe on each search space (network, search settings and
// options as its reference code sets them), and how to build it into a
// bilevel.Method. Budgets scale a recipe down to a workstation without
// touching its hyperparameters.
//
// The package only describes and builds: it reads no files and runs
// nothing. The job package and the darts command read it; a method added
// in another package registers itself with Register from an init function.
package method

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/darts-go/darts/bilevel"
	"github.com/darts-go/darts/space"
	"github.com/darts-go/darts/supernet"
)

// Kind is the type of an option's value. Every option is stored as a
// float64 (config.json's "method_options"); Int and Bool options must hold
// integers and 0 or 1.
type Kind int

const (
	Float Kind = iota // any finite number
	Int               // an integer
	Bool              // 0 or 1
)

// Option is a setting of one method (GDAS's temperatures, PC-DARTS's K):
// Name is its key in config.json ("tau_max"), and its flag with dashes
// ("--tau-max").
type Option struct {
	Name  string
	Usage string
	Kind  Kind
	// Epochs marks an option counted in epochs, which a budget with fewer
	// epochs than the reference's scales in proportion (see WithBudget).
	Epochs bool
	// Choices, for an Int option, name its values 0, 1, ...: the option
	// holds the index of one of them (DARTS-'s decay schedule).
	Choices []string
}

// Flag is the option's command-line flag name (underscores as dashes).
func (o Option) Flag() string { return strings.ReplaceAll(o.Name, "_", "-") }

// Options holds the values of a method's options by name.
type Options map[string]float64

// Clone returns a copy of o.
func (o Options) Clone() Options {
	c := make(Options, len(o))
	for k, v := range o {
		c[k] = v
	}
	return c
}

// Query selects a recipe: the space and, for methods whose reference code
// differs by it, the order of the architecture gradient.
type Query struct {
	Space string
	Order int // 1 or 2; 0 means 1
}

// Recipe is everything a search needs besides the data: the network, the
// search settings and the method's options. A Spec's Reference gives the
// reference code's; WithBudget scales it.
type Recipe struct {
	Method  string
	Space   string
	Budget  string // "reference" or a budget's name
	Source  string // what the values follow, e.g. "quark0/darts cnn/train_search.py"
	Network supernet.Config
	Search  bilevel.Settings
	Options Options
	// Limit caps the training examples read (0: all), as the budget says.
	Limit int
}

// Spec is a registered method.
type Spec struct {
	Name    string
	Summary string // one line, for listings
	// Doc says what the method changes against DARTS, which paper and
	// code it follows and where they differ (printed by `darts methods`).
	Doc     string
	Spaces  []string // the spaces it has a reference recipe for
	Options []Option
	// Stages, if set, makes the method a search in stages (P-DARTS): the
	// plan of the stages of a resolved recipe, each stage's recipe built
	// by Build. nil: one search of the recipe.
	Stages func(r Recipe) (*Staging, error)
	// Reference returns the reference recipe on a space (Spaces only).
	Reference func(q Query) (Recipe, error)
	// Quick, if set, adjusts a recipe WithBudget has scaled to the quick
	// budget (a method whose reference batch is larger than DARTS's, say).
	Quick func(r *Recipe)
	// Build makes the method of a resolved recipe, checking its options.
	Build func(r Recipe) (bilevel.Method[float32], error)
	// Apply, if set, writes the method's options into the network (and
	// settings) they stand for — PC-DARTS's k into
	// Network.PartialChannels — filling the options left out with their
	// reference values. Recipe applies it last; Resolve applies it to a
	// recipe whose options were changed (from the command line, say).
	Apply func(r *Recipe) error
}

var registry = map[string]Spec{}

// Register adds a method; it panics on a duplicate or incomplete Spec (a
// programming error, found by the first test that imports the package).
func Register(s Spec) {
	if s.Name == "" || s.Reference == nil || s.Build == nil || len(s.Spaces) == 0 {
		panic(fmt.Sprintf("method.Register: incomplete spec %q", s.Name))
	}
	if _, dup := registry[s.Name]; dup {
		panic(fmt.Sprintf("method.Register: %q registered twice", s.Name))
	}
	registry[s.Name] = s
}

// Names lists the registered methods, DARTS first, then by name.
func Names() []string {
	var ns []string
	for n := range registry {
		if n != DARTS {
			ns = append(ns, n)
		}
	}
	sort.Strings(ns)
	return append([]string{DARTS}, ns...)
}

// Lookup returns the method called name.
func Lookup(name string) (Spec, error) {
	if name == "" {
		name = DARTS
	}
	s, ok := registry[name]
	if !ok {
		return Spec{}, fmt.Errorf("method %q: unknown (known: %s)", name, strings.Join(Names(), ", "))
	}
	return s, nil
}

// Option returns the option called name.
func (s Spec) Option(name string) (Option, bool) {
	for _, o := range s.Options {
		if o.Name == name {
			return o, true
		}
	}
	return Option{}, false
}

// Recipe returns the method's recipe for q at the budget called budget
// ("reference" or "quick").
func (s Spec) Recipe(q Query, budget string) (Recipe, error) {
	if q.Space == "" {
		q.Space = space.DARTSName
	}
	if q.Order == 0 {
		q.Order = 1
	}
	if !slices.Contains(s.Spaces, q.Space) {
		return Recipe{}, fmt.Errorf("method %s: no recipe for space %q (it runs on %s)", s.Name, q.Space, strings.Join(s.Spaces, ", "))
	}
	r, err := s.Reference(q)
	if err != nil {
		return Recipe{}, err
	}
	r.Method, r.Space, r.Budget = s.Name, q.Space, Reference
	r.Network.Space = q.Space
	r.Search.Order = q.Order
	if r.Options == nil {
		r.Options = Options{}
	}
	if budget == Reference || budget == "" {
		return s.Resolve(r)
	}
	b, err := LookupBudget(budget, q.Space)
	if err != nil {
		return Recipe{}, err
	}
	r = s.WithBudget(r, b)
	if s.Quick != nil && budget == Quick {
		s.Quick(&r)
	}
	return s.Resolve(r)
}

// Resolve checks r's options and makes r's network and settings carry
// them (Apply): what a search must do with a recipe whose options it
// changed before building the network. A method without Apply returns r.
func (s Spec) Resolve(r Recipe) (Recipe, error) {
	if err := s.CheckOptions(r.Options); err != nil {
		return r, err
	}
	if s.Apply == nil {
		return r, nil
	}
	r.Options = r.Options.Clone()
	if err := s.Apply(&r); err != nil {
		return r, fmt.Errorf("method %s: %w", s.Name, err)
	}
	return r, nil
}

// CheckOptions reports the first option of o the method does not have or
// whose value its Kind forbids.
func (s Spec) CheckOptions(o Options) error {
	names := make([]string, 0, len(o))
	for k := range o {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		opt, ok := s.Option(k)
		if !ok {
			var known []string
			for _, x := range s.Options {
				known = append(known, x.Name)
			}
			if len(known) == 0 {
				return fmt.Errorf("method %s: option %q: the method has no options", s.Name, k)
			}
			return fmt.Errorf("method %s: option %q: unknown (known: %s)", s.Name, k, strings.Join(known, ", "))
		}
		v := o[k]
		switch {
		case math.IsNaN(v) || math.IsInf(v, 0):
			return fmt.Errorf("method %s: option %s = %g: need a finite number", s.Name, k, v)
		case opt.Kind == Int && v != math.Trunc(v):
			return fmt.Errorf("method %s: option %s = %g: need an integer", s.Name, k, v)
		case opt.Kind == Bool && v != 0 && v != 1:
			return fmt.Errorf("method %s: option %s = %g: need 0 or 1 (false or true)", s.Name, k, v)
		case len(opt.Choices) > 0 && (v < 0 || int(v) >= len(opt.Choices)):
			var cs []string
			for i, c := range opt.Choices {
				cs = append(cs, fmt.Sprintf("%d %s", i, c))
			}
			return fmt.Errorf("method %s: option %s = %g: need one of %s", s.Name, k, v, strings.Join(cs, ", "))
		}
	}
	return nil
}

// BuildRecipe checks a resolved recipe (network, settings and options) and makes
// its method.
func (s Spec) BuildRecipe(r Recipe) (bilevel.Method[float32], error) {
	if err := s.CheckOptions(r.Options); err != nil {
		return bilevel.Method[float32]{}, err
	}
	m, err := s.Build(r)
	if err != nil {
		return m, fmt.Errorf("method %s: %w", s.Name, err)
	}
	if m.Name == "" {
		m.Name = s.Name
	}
	return m, nil
}
