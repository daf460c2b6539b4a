package sweep

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Experiment is an experiment file, parsed and expanded into its members.
type Experiment struct {
	Name string // the experiment's name ("compare")
	Out  string // the directory holding the members' directories
	// GroupBy are the axes whose labels make a report's group: by default
	// every axis but the one named "seed", the replicates.
	GroupBy []string
	Path    string   // the file it was read from, as given
	Axes    []Axis   // the grid, in the file's order
	Members []Member // in index order
	raw     []byte   // the file's content, for emit
}

// Axis is one dimension of the grid: its name and its values' labels.
type Axis struct {
	Name   string
	Labels []string
	// SetsKey is the dotted key a "key" axis sets ("seed",
	// "search.settings.epochs"), empty for an axis of {label, set} values.
	SetsKey string
}

// Member is one point of the grid: a search (or a random cell) and its
// retraining, run in its own directory. Its Name, Dir and Settings are a
// pure function of the file and its Index.
type Member struct {
	Index int
	// Name is its labels as axis=label joined by commas
	// ("method=darts-1st,seed=1"); Dir is Out/Name.
	Name     string
	Dir      string
	Labels   []Label // one per axis, except those a random cell leaves out
	Group    string  // the labels of the GroupBy axes, as Name
	Settings Settings
}

// Label is the value a member takes on one axis.
type Label struct {
	Axis, Value string
}

// maxMembers bounds a grid, so that a typo (a list of 10^6 seeds) fails
// with a message rather than exhausting memory. (A variable for the fuzz
// target, which lowers it to keep each input fast.)
var maxMembers = 10000

type fileFormat struct {
	Name    string          `json:"name"`
	Comment json.RawMessage `json:"comment"`
	Out     string          `json:"out"`
	Base    json.RawMessage `json:"base"`
	Grid    []axisFormat    `json:"grid"`
	GroupBy []string        `json:"group_by"`
}

type axisFormat struct {
	Axis   string            `json:"axis"`
	Key    string            `json:"key"`
	Values []json.RawMessage `json:"values"`
}

type valueFormat struct {
	Label string          `json:"label"`
	Set   json.RawMessage `json:"set"`
}

// axisValues is an axis with its values' patches.
type axisValues struct {
	Axis
	patches []any
}

// ReadFile reads and expands the experiment file at path.
func ReadFile(path string) (*Experiment, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(bytes.NewReader(b), path)
}

// Parse reads an experiment file (see the package doc for the format)
// from r and expands its grid; name is the file's name, for messages and
// for the default experiment name. Every member's settings are resolved
// and checked, so that a mistake fails here, naming the file, the member
// and the setting, rather than hours into a sweep.
func Parse(r io.Reader, name string) (*Experiment, error) {
	raw, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	e, err := parse(raw, name)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return e, nil
}

func parse(raw []byte, name string) (*Experiment, error) {
	var f fileFormat
	d := json.NewDecoder(bytes.NewReader(raw))
	d.DisallowUnknownFields()
	if err := d.Decode(&f); err != nil {
		return nil, jsonError(raw, err)
	}
	if d.More() {
		return nil, errors.New("more than one JSON value")
	}
	e := &Experiment{Name: f.Name, Out: f.Out, Path: name, raw: raw}
	if e.Name == "" {
		base := filepath.Base(name)
		e.Name = strings.TrimSuffix(base, filepath.Ext(base))
	}
	if err := checkName("name", e.Name); err != nil {
		return nil, err
	}
	if e.Out == "" {
		e.Out = filepath.Join("runs", e.Name)
	}
	var base any = map[string]any{}
	if len(f.Base) > 0 {
		var err error
		if base, err = decodeValue(f.Base); err != nil {
			return nil, fmt.Errorf("base: %w", err)
		}
		if _, ok := base.(map[string]any); !ok {
			return nil, errors.New("base: need a JSON object of settings")
		}
	}
	var axes []axisValues
	total := 1
	for i, a := range f.Grid {
		av, err := parseAxis(a)
		if err != nil {
			return nil, fmt.Errorf("grid[%d]: %w", i, err)
		}
		if slices.ContainsFunc(axes, func(b axisValues) bool { return b.Name == av.Name }) {
			return nil, fmt.Errorf("grid[%d]: axis %q appears twice", i, av.Name)
		}
		axes = append(axes, av)
		e.Axes = append(e.Axes, av.Axis)
		total *= len(av.patches)
		if total > maxMembers {
			return nil, fmt.Errorf("grid: more than %d members", maxMembers)
		}
	}
	if f.GroupBy != nil {
		for _, g := range f.GroupBy {
			if !slices.ContainsFunc(e.Axes, func(a Axis) bool { return a.Name == g }) {
				return nil, fmt.Errorf("group_by: %q is not an axis of the grid", g)
			}
		}
		e.GroupBy = f.GroupBy
	} else {
		for _, a := range e.Axes {
			if a.Name != "seed" {
				e.GroupBy = append(e.GroupBy, a.Name)
			}
		}
	}
	if err := e.expand(base, axes, total); err != nil {
		return nil, err
	}
	return e, nil
}

// expand builds the members: the product of the axes, the last one
// varying fastest, and members with the same directory (random cells that
// differ only in axes they ignore) kept once, at their first index.
func (e *Experiment) expand(base any, axes []axisValues, total int) error {
	seen := map[string]bool{}
	choice := make([]int, len(axes))
	for n := 0; n < total; n++ {
		rest := n
		for k := len(axes) - 1; k >= 0; k-- {
			choice[k] = rest % len(axes[k].patches)
			rest /= len(axes[k].patches)
		}
		patches := []any{base}
		var all []Label
		for k, a := range axes {
			patches = append(patches, a.patches[choice[k]])
			all = append(all, Label{a.Name, a.Labels[choice[k]]})
		}
		s, err := resolve(patches)
		if err != nil {
			return fmt.Errorf("member %s: %w", joinLabels(all), err)
		}
		var labels []Label
		for k, a := range axes {
			if s.RandomCell && onlySearch(a.patches[choice[k]]) {
				continue // a random cell ignores this axis
			}
			labels = append(labels, all[k])
		}
		name := joinLabels(labels)
		if seen[name] {
			continue
		}
		seen[name] = true
		var group []Label
		for _, l := range labels {
			if slices.Contains(e.GroupBy, l.Axis) {
				group = append(group, l)
			}
		}
		e.Members = append(e.Members, Member{Index: len(e.Members), Name: name, Dir: filepath.Join(e.Out, name),
			Labels: labels, Group: joinLabels(group), Settings: s})
	}
	return nil
}

func joinLabels(ls []Label) string {
	if len(ls) == 0 {
		return "run"
	}
	parts := make([]string, len(ls))
	for i, l := range ls {
		parts[i] = l.Axis + "=" + l.Value
	}
	return strings.Join(parts, ",")
}

// searchOnly are the settings a random cell does not read: the method,
// its options, the budget its search is scaled to and the search's data
// and hyperparameters (it reads the search's space and ops).
var searchOnly = []string{"method", "method_options", "budget", "search.data", "search.settings"}

// onlySearch reports whether the patch p sets nothing but searchOnly
// settings (and sets something).
func onlySearch(p any) bool {
	var leaves []string
	var walk func(v any, path string)
	walk = func(v any, path string) {
		o, ok := v.(map[string]any)
		if !ok || len(o) == 0 {
			leaves = append(leaves, path)
			return
		}
		for k, c := range o {
			if path != "" {
				k = path + "." + k
			}
			walk(c, k)
		}
	}
	walk(p, "")
	for _, l := range leaves {
		if !slices.ContainsFunc(searchOnly, func(s string) bool { return l == s || strings.HasPrefix(l, s+".") }) {
			return false
		}
	}
	return len(leaves) > 0
}

func parseAxis(a axisFormat) (axisValues, error) {
	av := axisValues{Axis: Axis{Name: a.Axis, SetsKey: a.Key}}
	if a.Axis == "" && a.Key != "" {
		av.Name = a.Key
	}
	if err := checkName("axis", av.Name); err != nil {
		return av, err
	}
	if len(a.Values) == 0 {
		return av, fmt.Errorf("axis %q: no values", av.Name)
	}
	var path []string
	if a.Key != "" {
		path = strings.Split(a.Key, ".")
		if slices.Contains(path, "") {
			return av, fmt.Errorf("axis %q: key %q: empty part", av.Name, a.Key)
		}
	}
	for j, raw := range a.Values {
		v, err := decodeValue(raw)
		if err != nil {
			return av, fmt.Errorf("axis %q value %d: %w", av.Name, j, err)
		}
		var label string
		var patch any
		if a.Key != "" {
			label, err = scalarLabel(v)
			if err != nil {
				return av, fmt.Errorf("axis %q value %d: %w", av.Name, j, err)
			}
			patch = v
			for k := len(path) - 1; k >= 0; k-- {
				patch = map[string]any{path[k]: patch}
			}
		} else {
			var vf valueFormat
			d := json.NewDecoder(bytes.NewReader(raw))
			d.DisallowUnknownFields()
			if err := d.Decode(&vf); err != nil {
				return av, fmt.Errorf("axis %q value %d: need {\"label\": ..., \"set\": {...}} (or give the axis a \"key\"): %w", av.Name, j, err)
			}
			label = vf.Label
			if len(vf.Set) == 0 {
				return av, fmt.Errorf("axis %q value %d (%q): no \"set\"", av.Name, j, label)
			}
			if patch, err = decodeValue(vf.Set); err != nil {
				return av, fmt.Errorf("axis %q value %q: set: %w", av.Name, label, err)
			}
			if _, ok := patch.(map[string]any); !ok {
				return av, fmt.Errorf("axis %q value %q: set: need a JSON object of settings", av.Name, label)
			}
		}
		if err := checkName(fmt.Sprintf("axis %q label", av.Name), label); err != nil {
			return av, err
		}
		if slices.Contains(av.Labels, label) {
			return av, fmt.Errorf("axis %q: label %q appears twice", av.Name, label)
		}
		av.Labels = append(av.Labels, label)
		av.patches = append(av.patches, patch)
	}
	return av, nil
}

// scalarLabel is the label of a key axis's value: the string itself, the
// number as written, true or false.
func scalarLabel(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case json.Number:
		return x.String(), nil
	case bool:
		return fmt.Sprint(x), nil
	}
	return "", errors.New("a key axis takes strings, numbers or booleans; give lists and objects as {\"label\": ..., \"set\": {...}}")
}

// checkName requires a name usable in a directory name and in a command
// line: letters, digits and . _ + -, not starting with a dot.
func checkName(what, s string) error {
	if s == "" {
		return fmt.Errorf("%s: empty", what)
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._+-", r)) {
			return fmt.Errorf("%s %q: only letters, digits and . _ + - (it names directories)", what, s)
		}
	}
	if s[0] == '.' {
		return fmt.Errorf("%s %q: may not start with a dot", what, s)
	}
	return nil
}

// jsonError adds the line and column to a JSON syntax or type error.
func jsonError(raw []byte, err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	off := int64(-1)
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
		if te.Field != "" {
			err = fmt.Errorf("%s: %s is not a %s", te.Field, te.Value, typeName(te.Type))
		}
	}
	if off < 0 || off > int64(len(raw)) {
		return err
	}
	line := 1 + bytes.Count(raw[:off], []byte("\n"))
	col := off - int64(bytes.LastIndexByte(raw[:off], '\n'))
	return fmt.Errorf("line %d column %d: %w", line, col, err)
}

// Member returns member i, or an error naming the valid range.
func (e *Experiment) Member(i int) (Member, error) {
	if i < 0 || i >= len(e.Members) {
		return Member{}, fmt.Errorf("%s: no member %d (it has %d: 0..%d)", e.Path, i, len(e.Members), len(e.Members)-1)
	}
	return e.Members[i], nil
}
