package sweep

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"

	"github.com/darts-go/darts/bilevel"
	"github.com/darts-go/darts/datasets"
	"github.com/darts-go/darts/derive"
	"github.com/darts-go/darts/method"
	"github.com/darts-go/darts/retrain"
	"github.com/darts-go/darts/space"
	"github.com/darts-go/darts/supernet"
)

// Settings are one member's settings, resolved: the defaults (the
// method's recipe, see Defaults), then the file's base, then the value of
// each grid axis, applied as JSON merge patches (RFC 7386) in that order.
type Settings struct {
	// Method names the search method in package method's registry
	// ("darts"); MethodOptions are its own options (package method's,
	// numbers by name: GDAS's "tau_max"), passed to it as they are, so
	// that a method added to the registry needs no change here.
	Method        string         `json:"method"`
	MethodOptions method.Options `json:"method_options,omitempty"`
	// Budget is the method's budget the defaults are scaled to ("quick",
	// minutes on 2 cores, or "reference", the method's paper setting).
	Budget string `json:"budget"`
	// RandomCell makes the member a random baseline: no search; the cell
	// is derive.Random(Seed, ...) over the space of Search.Network and
	// Search.Ops, retrained as Retrain says.
	RandomCell bool `json:"random_cell,omitempty"`
	// Seed is the member's seed: the search's (initialization, data order)
	// or the random cell's draw. The retraining has its own,
	// Retrain.Settings.Seed (0 unless set), so that by default cells are
	// retrained alike and differ only in the cell.
	Seed    uint64           `json:"seed"`
	Search  SearchSettings   `json:"search"`
	Retrain *RetrainSettings `json:"retrain,omitempty"`
}

// SearchSettings are a search's data, supernet and hyperparameters, in the
// JSON of the packages that own them (datasets.Options, supernet.Config,
// bilevel.Settings): any of their settings can be set or swept.
type SearchSettings struct {
	Data    datasets.Options `json:"data"`
	Network supernet.Config  `json:"network"`
	// Ops are the candidate operations: a named set ("darts", "nb201-ops")
	// or op names separated by commas, as darts search --ops.
	Ops      string           `json:"ops"`
	Settings bilevel.Settings `json:"settings"`
}

// RetrainSettings say how a member's cell is retrained from scratch:
// the data (its whole training set), the network's size and the
// hyperparameters (retrain.TrainSettings), as darts train's flags.
type RetrainSettings struct {
	Data         datasets.Options      `json:"data"`
	Layers       int                   `json:"layers"`
	InitChannels int                   `json:"init_channels"`
	Auxiliary    bool                  `json:"auxiliary"`
	Settings     retrain.TrainSettings `json:"settings"`
}

// Defaults are the settings a member of method name on space sp (with
// the architecture gradient of that order) starts from at budget: the
// method's recipe (package method: its network, search settings, options
// and data limit, as `darts search --method NAME --space SP --budget B`
// has them), on MNIST with half the training set for search-train, seed
// 2; and, for a member whose file has a "retrain" section, those of
// `darts train` on the DARTS space (MNIST, 10 epochs, batch 64, 8 cells of
// 16 channels, retraining seed 0).
func Defaults(name, sp string, order int, budget string) (Settings, error) {
	spec, err := method.Lookup(name)
	if err != nil {
		return Settings{}, err
	}
	rec, err := spec.Recipe(method.Query{Space: sp, Order: order}, budget)
	if err != nil {
		return Settings{}, err
	}
	st := rec.Search
	return Settings{
		Method:        spec.Name,
		MethodOptions: rec.Options,
		Budget:        rec.Budget,
		Seed:          st.Seed,
		Search: SearchSettings{
			Data:     datasets.Options{Name: "mnist", TrainPortion: 0.5, Limit: rec.Limit},
			Network:  rec.Network,
			Ops:      strings.Join(rec.Network.Primitives, ","),
			Settings: st,
		},
	}, nil
}

func defaultRetrain() RetrainSettings {
	tr := retrain.DefaultTrainSettings()
	tr.Epochs, tr.BatchSize = 10, 64
	return RetrainSettings{Data: datasets.Options{Name: "mnist"}, Layers: 8, InitChannels: 16, Settings: tr}
}

// fixedKeys are settings a member may not set, with the reason: the seeds
// follow the member's seed, the primitives its ops, and retraining uses
// the whole training set.
var fixedKeys = map[string]string{
	"search.settings.seed":       "the search's seed is the member's: set \"seed\"",
	"search.data.seed":           "the data seed is the member's: set \"seed\"",
	"search.network.primitives":  "the candidate ops are set by \"search.ops\"",
	"retrain.data.seed":          "the retraining data seed is retrain.settings.seed",
	"retrain.data.train_portion": "retraining uses the whole training set",
}

// checkKeys reports the first key of the JSON object v (decoded with
// UseNumber) that is not a field of t, naming its dotted path, or that
// fixedKeys forbids.
func checkKeys(v any, t reflect.Type, path string) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	obj, ok := v.(map[string]any)
	if !ok || t.Kind() != reflect.Struct || t == reflect.TypeFor[json.RawMessage]() {
		return nil // values are checked when decoded
	}
	fields := jsonFields(t)
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		p := k
		if path != "" {
			p = path + "." + k
		}
		if why, bad := fixedKeys[p]; bad {
			return fmt.Errorf("%s: cannot be set (%s)", p, why)
		}
		ft, ok := fields[k]
		if !ok {
			known := make([]string, 0, len(fields))
			for n := range fields {
				known = append(known, n)
			}
			sort.Strings(known)
			where := "the top level"
			if path != "" {
				where = path
			}
			return fmt.Errorf("%s: unknown setting (%s has: %s)", p, where, strings.Join(known, ", "))
		}
		if ft.Kind() == reflect.Map {
			continue // a free map (method_options)
		}
		if err := checkKeys(obj[k], ft, p); err != nil {
			return err
		}
	}
	return nil
}

// jsonFields maps the JSON names of t's exported fields to their types.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	m := map[string]reflect.Type{}
	for f := range t.Fields() {
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if f.Anonymous && name == "" {
			for k, v := range jsonFields(f.Type) {
				m[k] = v
			}
			continue
		}
		if name == "" {
			name = f.Name
		}
		m[name] = f.Type
	}
	return m
}

// mergePatch applies the JSON merge patch p to v (RFC 7386): objects merge
// key by key, null deletes, anything else replaces.
func mergePatch(v, p any) any {
	po, ok := p.(map[string]any)
	if !ok {
		return p
	}
	vo, ok := v.(map[string]any)
	if !ok {
		vo = map[string]any{}
	} else {
		vo = copyObject(vo)
	}
	for k, pv := range po {
		if pv == nil {
			delete(vo, k)
			continue
		}
		vo[k] = mergePatch(vo[k], pv)
	}
	return vo
}

func copyObject(o map[string]any) map[string]any {
	c := make(map[string]any, len(o))
	for k, v := range o {
		c[k] = v
	}
	return c
}

// decodeValue decodes JSON keeping numbers exact (uint64 seeds).
func decodeValue(b []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	if d.More() {
		return nil, errors.New("more than one JSON value")
	}
	return v, nil
}

// toTree turns a value into the generic tree mergePatch works on.
func toTree(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // Settings always marshal
	}
	t, err := decodeValue(b)
	if err != nil {
		panic(err)
	}
	return t
}

// resolve applies the patches to the defaults of the method, space,
// order and budget they choose, and decodes the result. The retrain
// defaults join when a patch has a "retrain" object.
func resolve(patches []any) (Settings, error) {
	var chosen any = map[string]any{}
	for _, p := range patches {
		if err := checkKeys(p, reflect.TypeFor[Settings](), ""); err != nil {
			return Settings{}, err
		}
		chosen = mergePatch(chosen, p)
	}
	var pick struct {
		Method string `json:"method"`
		Budget string `json:"budget"`
		Search struct {
			Network struct {
				Space string `json:"space"`
			} `json:"network"`
			Settings struct {
				Order int `json:"order"`
			} `json:"settings"`
		} `json:"search"`
	}
	if b, err := json.Marshal(chosen); err != nil || json.Unmarshal(b, &pick) != nil {
		pick.Method = "" // a mistyped value is reported below, by the full decoding
	}
	if pick.Method == "" {
		pick.Method = method.DARTS
	}
	if pick.Budget == "" {
		pick.Budget = method.Quick
	}
	if pick.Search.Network.Space == "" {
		pick.Search.Network.Space = space.DARTSName
	}
	def, err := Defaults(pick.Method, pick.Search.Network.Space, pick.Search.Settings.Order, pick.Budget)
	if err != nil {
		return Settings{}, err
	}
	tree := toTree(def)
	for _, p := range patches {
		if po, ok := p.(map[string]any); ok {
			if r, ok := po["retrain"].(map[string]any); ok && r != nil {
				if t := tree.(map[string]any); t["retrain"] == nil {
					t["retrain"] = toTree(defaultRetrain())
				}
			}
		}
		tree = mergePatch(tree, p)
	}
	b, err := json.Marshal(tree)
	if err != nil {
		return Settings{}, err
	}
	var s Settings
	if err := json.Unmarshal(b, &s); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return Settings{}, fmt.Errorf("%s: %s is not a %s", te.Field, te.Value, typeName(te.Type))
		}
		return Settings{}, err
	}
	return s, s.validate()
}

func typeName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Int, reflect.Int64, reflect.Int32:
		return "whole number"
	case reflect.Uint64, reflect.Uint, reflect.Uint32:
		return "whole number ≥ 0"
	case reflect.Float64, reflect.Float32:
		return "number"
	case reflect.Bool:
		return "true or false"
	case reflect.String:
		return "string"
	case reflect.Slice, reflect.Array:
		return "list"
	}
	return "JSON object"
}

// validate checks what can be checked before running: the settings
// packages validate, the datasets and ops exist, the method accepts its
// recipe (as it is built before a search), and a random cell has a
// retraining.
func (s Settings) validate() error {
	spec, err := method.Lookup(s.Method)
	if err != nil {
		return fmt.Errorf("method: %w", err)
	}
	if err := spec.CheckOptions(s.MethodOptions); err != nil {
		return fmt.Errorf("method_options: %w", err)
	}
	if err := checkDataset("search.data", s.Search.Data); err != nil {
		return err
	}
	if _, err := space.OpSet(s.Search.Ops); err != nil {
		return fmt.Errorf("search.ops: %w", err)
	}
	st := s.Search.Settings
	st.Seed = s.Seed
	if err := st.Validate(); err != nil {
		return fmt.Errorf("search.settings: %w", err)
	}
	if !s.RandomCell {
		// The method's own checks of its recipe (P-DARTS's stages against
		// the epochs, say), as job makes it before the search starts.
		cfg, err := s.network()
		if err != nil {
			return err
		}
		if _, err := spec.BuildRecipe(method.Recipe{Method: spec.Name, Space: cfg.Space, Budget: s.Budget,
			Network: cfg, Search: st, Options: s.MethodOptions, Limit: s.Search.Data.Limit}); err != nil {
			return err
		}
	}
	if s.RandomCell {
		if s.Retrain == nil {
			return errors.New("random_cell: a random cell needs a \"retrain\" section (its retrained accuracy is what it is for)")
		}
		if _, _, err := s.randomSpace(); err != nil {
			return err
		}
	}
	if r := s.Retrain; r != nil {
		if err := checkDataset("retrain.data", r.Data); err != nil {
			return err
		}
		if r.Layers < 1 || r.InitChannels < 1 {
			return fmt.Errorf("retrain: layers %d, init_channels %d: need at least 1 of each", r.Layers, r.InitChannels)
		}
		if err := r.Settings.Validate(); err != nil {
			return fmt.Errorf("retrain.settings: %w", err)
		}
	}
	return nil
}

func checkDataset(key string, o datasets.Options) error {
	if !slices.Contains(datasets.Names(), o.Name) {
		return fmt.Errorf("%s.name: %q is not a dataset (known: %s)", key, o.Name, strings.Join(datasets.Names(), ", "))
	}
	return nil
}

// network is the search's supernet configuration with its primitives.
func (s Settings) network() (supernet.Config, error) {
	prims, err := space.OpSet(s.Search.Ops)
	if err != nil {
		return supernet.Config{}, fmt.Errorf("search.ops: %w", err)
	}
	cfg := s.Search.Network
	cfg.Primitives = prims
	return cfg, nil
}

// randomSpace is the space a random cell is drawn from (the search's, with
// its ops) and the rule that derives it: the space's reference rule
// (derive.DefaultRule: DARTS's top-2 in the DARTS space, argmax per edge
// in NAS-Bench-201's), as the methods' own derivations.
func (s Settings) randomSpace() (space.Space, derive.Rule, error) {
	cfg, err := s.network()
	if err != nil {
		return space.Space{}, nil, err
	}
	cfg = cfg.WithDefaults()
	sp, err := cfg.SearchSpace()
	if err != nil {
		return space.Space{}, nil, fmt.Errorf("search.network.space: %w", err)
	}
	return sp, derive.DefaultRule(cfg.Space), nil
}
