package space

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
)

// The registry of candidate-operation names. It holds names only; package
// mixedop holds the constructor of each (mixedop.Register adds both), and a
// test there checks that the two agree. Genotype parsers, --ops and the
// plots' palette read it.
var (
	opsMu sync.RWMutex
	ops   = map[string]bool{}
	sets  = map[string][]string{}
)

// builtinOps are the operations darts-go implements: the DARTS primitives
// (quark0/darts genotypes.py PRIMITIVES, plus sep_conv_7x7 and
// conv_7x1_1x7 of its NASNet and AmoebaNet cells) and NAS-Bench-201's.
var builtinOps = []string{
	"none", "max_pool_3x3", "avg_pool_3x3", "skip_connect",
	"sep_conv_3x3", "sep_conv_5x5", "sep_conv_7x7",
	"dil_conv_3x3", "dil_conv_5x5", "conv_7x1_1x7",
	"nor_conv_1x1", "nor_conv_3x3",
}

// DARTSOps are the DARTS primitives in quark0/darts's order: the columns
// of a DARTS architecture tensor.
var DARTSOps = []string{"none", "max_pool_3x3", "avg_pool_3x3", "skip_connect",
	"sep_conv_3x3", "sep_conv_5x5", "dil_conv_3x3", "dil_conv_5x5"}

// NB201Ops are NAS-Bench-201's five operations in AutoDL-Projects' order.
var NB201Ops = []string{"none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"}

func init() {
	for _, n := range builtinOps {
		ops[n] = true
	}
	sets["darts"] = DARTSOps
	// NAS-Bench-201's five ops, to try in another cell: the NAS-Bench-201
	// space itself (its cell, network and rule) is NB201.
	sets["nb201-ops"] = NB201Ops
}

// RegisterOp adds an operation name. Names are identifiers-like: not empty,
// without commas, spaces, quotes or the '~' and '|' of NAS-Bench-201
// strings. Registering a name twice is an error.
func RegisterOp(name string) error {
	if name == "" || strings.ContainsAny(name, ", \t\n'\"~|()[]{}") {
		return fmt.Errorf("space: bad op name %q", name)
	}
	opsMu.Lock()
	defer opsMu.Unlock()
	if ops[name] {
		return fmt.Errorf("space: op %q registered twice", name)
	}
	ops[name] = true
	return nil
}

// IsOp reports whether name is a registered operation.
func IsOp(name string) bool {
	opsMu.RLock()
	defer opsMu.RUnlock()
	return ops[name]
}

// Ops lists the registered operation names, sorted.
func Ops() []string {
	opsMu.RLock()
	defer opsMu.RUnlock()
	names := make([]string, 0, len(ops))
	for n := range ops {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// CheckOp returns an error listing the known operations if name is not one.
func CheckOp(name string) error {
	if IsOp(name) {
		return nil
	}
	return fmt.Errorf("unknown op %q (known: %s)", name, strings.Join(Ops(), ", "))
}

// RegisterOpSet names an ordered list of registered operations, for --ops.
func RegisterOpSet(name string, list []string) error {
	for _, n := range list {
		if err := CheckOp(n); err != nil {
			return fmt.Errorf("space: op set %q: %w", name, err)
		}
	}
	opsMu.Lock()
	defer opsMu.Unlock()
	if _, dup := sets[name]; dup {
		return fmt.Errorf("space: op set %q registered twice", name)
	}
	sets[name] = slices.Clone(list)
	return nil
}

// OpSetNames lists the named op sets, sorted.
func OpSetNames() []string {
	opsMu.RLock()
	defer opsMu.RUnlock()
	var names []string
	for n := range sets {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// OpSet resolves a named set ("darts", "nb201-ops", ...) or a
// comma-separated list of op names into the ordered list of primitives.
// Duplicates and unknown names are errors that list what is known.
func OpSet(spec string) ([]string, error) {
	opsMu.RLock()
	s, ok := sets[spec]
	opsMu.RUnlock()
	if ok {
		return slices.Clone(s), nil
	}
	named := strings.Join(OpSetNames(), ", ")
	var out []string
	for _, n := range strings.Split(spec, ",") {
		n = strings.TrimSpace(n)
		if n == "" {
			continue
		}
		if err := CheckOp(n); err != nil {
			return nil, fmt.Errorf("op set %q: %w; named sets: %s", spec, err, named)
		}
		if slices.Contains(out, n) {
			return nil, fmt.Errorf("op set %q: %q listed twice", spec, n)
		}
		out = append(out, n)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("op set %q is empty; use a named set (%s) or op names separated by commas", spec, named)
	}
	return out, nil
}
