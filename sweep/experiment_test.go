package sweep

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/darts-go/darts/bilevel"
	"github.com/darts-go/darts/retrain"
)

func mustParse(t *testing.T, src string) *Experiment {
	t.Helper()
	e, err := Parse(strings.NewReader(src), "test.json")
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// TestExpandOrder holds the members of testdata/tiny.json to the order of
// nested loops over its axes (the last innermost), and their settings to
// the file's base and values over the defaults.
func TestExpandOrder(t *testing.T) {
	e, err := ReadFile("testdata/tiny.json")
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, m := range []string{"darts-1st", "darts-2nd", "random"} {
		for _, s := range []string{"1", "2"} {
			want = append(want, "method="+m+",seed="+s)
		}
	}
	if len(e.Members) != len(want) {
		t.Fatalf("%d members, want %d", len(e.Members), len(want))
	}
	for i, m := range e.Members {
		if m.Index != i || m.Name != want[i] || m.Dir != filepath.Join("runs", "tiny", want[i]) {
			t.Errorf("member %d: index %d name %q dir %q, want %q in runs/tiny", i, m.Index, m.Name, m.Dir, want[i])
		}
		group, _, _ := strings.Cut(want[i], ",")
		if m.Group != group {
			t.Errorf("member %d: group %q, want %q", i, m.Group, group)
		}
	}
	m := e.Members[3] // darts-2nd, seed 2
	s := m.Settings
	if s.Method != "darts" || s.Search.Settings.Order != 2 || s.Seed != 2 || s.RandomCell || s.Budget != "quick" {
		t.Errorf("member 3: method %q order %d seed %d random %v budget %q", s.Method, s.Search.Settings.Order, s.Seed, s.RandomCell, s.Budget)
	}
	def := bilevel.DefaultSettings()
	if s.Search.Settings.Epochs != 2 || s.Search.Settings.BatchSize != 16 || s.Search.Settings.LR != def.LR || s.Search.Settings.ArchLR != def.ArchLR {
		t.Errorf("member 3 search settings %+v: want epochs 2, batch 16 and the rest bilevel's defaults", s.Search.Settings)
	}
	if s.Search.Data.Name != "synthetic" || s.Search.Data.Shape != [3]int{1, 8, 8} || s.Search.Data.TrainPortion != 0.5 || s.Search.Network.Layers != 3 || s.Search.Network.Steps != 4 {
		t.Errorf("member 3 search data %+v network %+v", s.Search.Data, s.Search.Network)
	}
	r := s.Retrain
	tdef := retrain.DefaultTrainSettings()
	if r == nil || r.Layers != 3 || r.InitChannels != 4 || r.Settings.Epochs != 2 || r.Settings.DropPath != 0 || r.Settings.Momentum != tdef.Momentum || r.Settings.Seed != 0 {
		t.Errorf("member 3 retrain %+v", r)
	}
	if !e.Members[4].Settings.RandomCell || e.Members[4].Settings.Seed != 1 {
		t.Errorf("member 4: %+v, want the random cell of seed 1", e.Members[4].Settings)
	}
	if got := e.GroupBy; !reflect.DeepEqual(got, []string{"method"}) {
		t.Errorf("group_by %v, want every axis but seed", got)
	}
	if _, err := e.Member(6); err == nil || !strings.Contains(err.Error(), "no member 6 (it has 6: 0..5)") {
		t.Errorf("Member(6): %v", err)
	}
}

// TestRandomCellSharesAcrossSearchAxes: a random cell ignores axes that
// set only search hyperparameters, so it is one member per seed, not one
// per search setting; axes it reads (the ops, the retraining) stay.
func TestRandomCellSharesAcrossSearchAxes(t *testing.T) {
	e := mustParse(t, `{"name": "x", "base": {"retrain": {}},
	  "grid": [
	    {"axis": "method", "values": [{"label": "darts", "set": {"method": "darts"}}, {"label": "random", "set": {"random_cell": true}}]},
	    {"key": "search.settings.epochs", "values": [1, 2]},
	    {"axis": "ops", "key": "search.ops", "values": ["darts", "nb201-ops"]},
	    {"key": "seed", "values": [7, 8]}]}`)
	var names []string
	for _, m := range e.Members {
		names = append(names, m.Name)
	}
	var want []string
	for _, ep := range []string{"1", "2"} {
		for _, ops := range []string{"darts", "nb201-ops"} {
			for _, s := range []string{"7", "8"} {
				want = append(want, fmt.Sprintf("method=darts,search.settings.epochs=%s,ops=%s,seed=%s", ep, ops, s))
			}
		}
	}
	for _, ops := range []string{"darts", "nb201-ops"} {
		for _, s := range []string{"7", "8"} {
			want = append(want, fmt.Sprintf("method=random,ops=%s,seed=%s", ops, s))
		}
	}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("members\n%s\nwant\n%s", strings.Join(names, "\n"), strings.Join(want, "\n"))
	}
	for i, m := range e.Members {
		if m.Index != i {
			t.Errorf("member %s has index %d at position %d", m.Name, m.Index, i)
		}
	}
	if g := e.Members[len(e.Members)-1].Group; g != "method=random,ops=nb201-ops" {
		t.Errorf("random group %q", g)
	}
}

// TestMergePatch holds mergePatch to the examples of RFC 7386's
// appendix A.
func TestMergePatch(t *testing.T) {
	cases := [][3]string{
		{`{"a":"b"}`, `{"a":"c"}`, `{"a":"c"}`},
		{`{"a":"b"}`, `{"b":"c"}`, `{"a":"b","b":"c"}`},
		{`{"a":"b"}`, `{"a":null}`, `{}`},
		{`{"a":"b","b":"c"}`, `{"a":null}`, `{"b":"c"}`},
		{`{"a":["b"]}`, `{"a":"c"}`, `{"a":"c"}`},
		{`{"a":"c"}`, `{"a":["b"]}`, `{"a":["b"]}`},
		{`{"a":{"b":"c"}}`, `{"a":{"b":"d","c":null}}`, `{"a":{"b":"d"}}`},
		{`{"a":[{"b":"c"}]}`, `{"a":[1]}`, `{"a":[1]}`},
		{`["a","b"]`, `["c","d"]`, `["c","d"]`},
		{`{"a":"b"}`, `["c"]`, `["c"]`},
		{`{"a":"foo"}`, `null`, `null`},
		{`{"a":"foo"}`, `"bar"`, `"bar"`},
		{`{"e":null}`, `{"a":1}`, `{"a":1,"e":null}`},
		{`[1,2]`, `{"a":"b","c":null}`, `{"a":"b"}`},
		{`{}`, `{"a":{"bb":{"ccc":null}}}`, `{"a":{"bb":{}}}`},
	}
	for _, c := range cases {
		v, err1 := decodeValue([]byte(c[0]))
		p, err2 := decodeValue([]byte(c[1]))
		w, err3 := decodeValue([]byte(c[2]))
		if err1 != nil || err2 != nil || err3 != nil {
			t.Fatal(err1, err2, err3)
		}
		got := mergePatch(v, p)
		gb, _ := json.Marshal(got)
		wb, _ := json.Marshal(w)
		if !bytes.Equal(gb, wb) {
			t.Errorf("merge %s with %s: %s, want %s", c[0], c[1], gb, wb)
		}
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct{ src, want string }{
		{`{"name": "x", "grid": [], "extra": 1}`, `json: unknown field "extra"`},
		{`{"name": "x",`, "test.json: unexpected EOF"},
		{"{\"name\": \"x\",\n  \"out\": 3}", "test.json: line 2 column 11: out: number is not a string"},
		{`{"name": "a b"}`, `name "a b": only letters, digits and . _ + - (it names directories)`},
		{`{"name": ".x"}`, `name ".x": may not start with a dot`},
		{`{"name": "x", "base": {"search": {"settings": {"epoch": 3}}}}`, "search.settings.epoch: unknown setting (search.settings has: arch_adam, arch_beta1"},
		{`{"name": "x", "base": {"serch": {}}}`, "serch: unknown setting (the top level has: budget, method, method_options, random_cell, retrain, search, seed)"},
		{`{"name": "x", "base": {"search": {"settings": {"epochs": "six"}}}}`, "search.settings.epochs: string is not a whole number"},
		{`{"name": "x", "base": {"seed": -1}}`, "seed: number -1 is not a whole number ≥ 0"},
		{`{"name": "x", "base": {"search": {"settings": {"seed": 3}}}}`, `search.settings.seed: cannot be set (the search's seed is the member's: set "seed")`},
		{`{"name": "x", "base": {"search": {"network": {"primitives": ["none"]}}}}`, `search.network.primitives: cannot be set (the candidate ops are set by "search.ops")`},
		{`{"name": "x", "base": {"retrain": {"data": {"train_portion": 0.3}}}}`, "retrain.data.train_portion: cannot be set (retraining uses the whole training set)"},
		{`{"name": "x", "base": {"search": {"settings": {"epochs": 0}}}}`, "member run: search.settings: epochs 0: need at least 1"},
		{`{"name": "x", "base": {"search": {"data": {"name": "imagenet"}}}}`, `search.data.name: "imagenet" is not a dataset (known: `},
		{`{"name": "x", "base": {"search": {"ops": "none,conv_9x9"}}}`, "search.ops: "},
		{`{"name": "x", "base": {"method": "dratz"}}`, `method "dratz": unknown (known: darts`},
		{`{"name": "x", "base": {"method_options": {"tau": 1}}}`, "method_options: "},
		{`{"name": "x", "base": {"method_options": {"tau": "hot"}}}`, "method_options: string is not a number"},
		{`{"name": "x", "base": {"budget": "huge"}}`, `budget "huge": unknown`},
		{`{"name": "x", "base": {"method": "p-darts", "search": {"settings": {"epochs": 1}}}}`, "member run: method p-darts: "},
		{`{"name": "x", "base": {"search": {"network": {"space": "nowhere"}}}}`, `"nowhere"`},
		{`{"name": "x", "base": {"random_cell": true}}`, `random_cell: a random cell needs a "retrain" section`},
		{`{"name": "x", "base": {"retrain": {"layers": 0}}}`, "retrain: layers 0, init_channels 16: need at least 1 of each"},
		{`{"name": "x", "base": {"retrain": {"settings": {"drop_path_prob": 1}}}}`, "retrain.settings: drop path probability 1: need 0 ≤ p < 1"},
		{`{"name": "x", "base": 3}`, "base: need a JSON object of settings"},
		{`{"name": "x", "grid": [{"axis": "s", "values": []}]}`, `grid[0]: axis "s": no values`},
		{`{"name": "x", "grid": [{"key": "seed", "values": [1, 1]}]}`, `grid[0]: axis "seed": label "1" appears twice`},
		{`{"name": "x", "grid": [{"key": "seed", "values": [1]}, {"key": "seed", "values": [2]}]}`, `grid[1]: axis "seed" appears twice`},
		{`{"name": "x", "grid": [{"key": "search.ops", "values": [["none"]]}]}`, "a key axis takes strings, numbers or booleans"},
		{`{"name": "x", "grid": [{"key": "search.data.data_dir", "values": ["/data/x"]}]}`, `axis "search.data.data_dir" label "/data/x": only letters, digits`},
		{`{"name": "x", "grid": [{"key": "search..epochs", "values": [1]}]}`, `key "search..epochs": empty part`},
		{`{"name": "x", "grid": [{"axis": "m", "values": [{"label": "a"}]}]}`, `axis "m" value 0 ("a"): no "set"`},
		{`{"name": "x", "grid": [{"axis": "m", "values": [{"label": "a", "set": {"x": 1}, "y": 2}]}]}`, `need {"label": ..., "set": {...}}`},
		{`{"name": "x", "grid": [{"axis": "m", "values": [{"label": "a", "set": 1}]}]}`, `axis "m" value "a": set: need a JSON object`},
		{`{"name": "x", "grid": [{"axis": "m", "values": [{"label": "a", "set": {"seed": "x"}}]}]}`, "member m=a: seed: string is not a whole number ≥ 0"},
		{`{"name": "x", "grid": [{"key": "seed", "values": [1]}], "group_by": ["method"]}`, `group_by: "method" is not an axis of the grid`},
		{`{"name": "x", "grid": [{"key": "seed", "values": [1,2,3,4,5,6,7,8,9,10]}, {"key": "search.settings.epochs", "values": [1,2,3,4,5,6,7,8,9,10]}, {"key": "search.settings.batch_size", "values": [1,2,3,4,5,6,7,8,9,10]}, {"key": "retrain.layers", "values": [1,2,3,4,5,6,7,8,9,10,11]}]}`, "grid: more than 10000 members"},
		{`{"name": "x"} {}`, "more than one JSON value"},
	}
	for _, c := range cases {
		_, err := Parse(strings.NewReader(c.src), "test.json")
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "test.json: ") {
			t.Errorf("%s\n  error: %v\n  want it to contain %q, after the file's name", c.src, err, c.want)
		}
	}
}

// TestDefaultName: with no "name", the experiment is named after its
// file and its out is runs/NAME; with no grid it has one member, "run".
func TestDefaultName(t *testing.T) {
	e, err := Parse(strings.NewReader(`{}`), "dir/my-exp.json")
	if err != nil {
		t.Fatal(err)
	}
	if e.Name != "my-exp" || e.Out != filepath.Join("runs", "my-exp") || len(e.Members) != 1 || e.Members[0].Name != "run" {
		t.Errorf("name %q out %q members %+v", e.Name, e.Out, e.Members)
	}
	d, err := Defaults("darts", "darts", 1, "quick")
	if err != nil {
		t.Fatal(err)
	}
	if e.Members[0].Settings.Search.Settings != d.Search.Settings || e.Members[0].Settings.Retrain != nil || d.Search.Settings.Epochs != 6 || d.Search.Data.Limit != 4000 {
		t.Errorf("an empty file's member: %+v, want the defaults without retraining", e.Members[0].Settings)
	}
}

// FuzzParse: Parse never panics, and an accepted file is expanded the
// same way every time, into members with distinct names under Out. Its
// seeds are whole files, whose minimization stalls the fuzzer: run it with
// go test -run '^$' -fuzz=FuzzParse -fuzzminimizetime 0 ./sweep.
func FuzzParse(f *testing.F) {
	saved := maxMembers
	maxMembers = 64 // every input stays fast; the limit itself is TestParseErrors's
	f.Cleanup(func() { maxMembers = saved })
	for _, p := range []string{"testdata/tiny.json", "../experiments/compare.json"} {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"grid": [{"key": "seed", "values": [1, 2]}, {"axis": "m", "values": [{"label": "r", "set": {"random_cell": true, "retrain": {}}}]}]}`))
	f.Add([]byte(`{"base": {"search": {"settings": {"epochs": 1e400}}}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := Parse(bytes.NewReader(b), "fuzz.json")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.json: ") {
				t.Fatalf("error %q does not name the file", err)
			}
			return
		}
		again, err := Parse(bytes.NewReader(b), "fuzz.json")
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for i, m := range e.Members {
			if seen[m.Name] || m.Dir != filepath.Join(e.Out, m.Name) || m.Index != i {
				t.Fatalf("member %d: %+v", i, m)
			}
			seen[m.Name] = true
			a, _ := json.Marshal(m)
			b, _ := json.Marshal(again.Members[i])
			if !bytes.Equal(a, b) {
				t.Fatalf("member %d differs between two parses", i)
			}
		}
	})
}

// TestCompareFiles: experiments/compare.json is what README says it is —
// first- and second-order DARTS, P-DARTS, RSPS and random cells, 3 seeds
// each, searched on 4000 MNIST images for 6 epochs and retrained on 20000
// Fashion-MNIST images for 6 epochs — its smoke version has the same
// members, and every member of each is retrained at one budget, so the
// random cells are every group's baseline.
func TestCompareFiles(t *testing.T) {
	e, err := ReadFile("../experiments/compare.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(e.Members) != 15 || e.Out != filepath.Join("runs", "compare") {
		t.Fatalf("%d members in %s", len(e.Members), e.Out)
	}
	methods := []string{"darts", "darts", "p-darts", "rsps"}
	for i, m := range e.Members {
		s := m.Settings
		g := i / 3
		order := map[int]int{1: 2}[g]
		if order == 0 {
			order = 1
		}
		if s.Seed != uint64(i%3+1) || (g < 4) == s.RandomCell || g < 4 && (s.Method != methods[g] || s.Search.Settings.Order != order) {
			t.Errorf("member %d %s: seed %d random %v method %s order %d", i, m.Name, s.Seed, s.RandomCell, s.Method, s.Search.Settings.Order)
		}
		if d := s.Search.Data; d.Name != "mnist" || d.Limit != 4000 || s.Search.Settings.Epochs != 6 || s.Search.Settings.BatchSize != 32 ||
			s.Search.Network.Layers != 5 || s.Search.Network.C != 8 || s.Search.Ops != "darts" {
			t.Errorf("member %d search %+v", i, s.Search)
		}
		if r := s.Retrain; r == nil || r.Data.Name != "fashion-mnist" || r.Data.Limit != 20000 || r.Layers != 5 || r.InitChannels != 16 ||
			r.Settings.Epochs != 6 || r.Settings.BatchSize != 64 || r.Settings.DropPath != 0 {
			t.Errorf("member %d retrain %+v", i, s.Retrain)
		}
	}
	var names []string
	for _, m := range e.Members {
		names = append(names, m.Name)
	}
	for _, f := range []string{"../experiments/compare.json", "../experiments/compare-smoke.json"} {
		e, err := ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if len(e.Members) != len(names) {
			t.Errorf("%s: %d members, compare.json %d", f, len(e.Members), len(names))
		}
		for i, m := range e.Members {
			if i >= len(names) || m.Name != names[i] {
				t.Errorf("%s: member %d is %s, not compare.json's", f, i, m.Name)
			}
		}
		for _, m := range e.Members {
			if budget(m.Settings) != budget(e.Members[0].Settings) {
				t.Errorf("%s: %s is retrained at another budget than %s", f, m.Name, e.Members[0].Name)
			}
		}
	}
}

// TestMethodRecipes: a member starts from its method's recipe on its
// space at its budget and order, whichever patch chooses them. The values
// are the reference code's: quark0/darts cnn/train_search.py (50 epochs
// of batch 64, 8 cells of 16 channels, SGD 0.025 → 0.001, weight decay
// 3e-4, the architecture step first) and AutoDL-Projects' NAS-Bench-201
// DARTS-V1/V2 (50 epochs of batch 64, C 16, N 5, Nesterov, weight decay
// 5e-4; V1 takes the weight step first, V2 the architecture step).
func TestMethodRecipes(t *testing.T) {
	e := mustParse(t, `{"name": "rec", "base": {"budget": "reference"},
	  "grid": [
	    {"axis": "space", "key": "search.network.space", "values": ["darts", "nas-bench-201"]},
	    {"axis": "order", "key": "search.settings.order", "values": [1, 2]}]}`)
	for _, m := range e.Members {
		s := m.Settings
		st, n := s.Search.Settings, s.Search.Network
		if s.Method != "darts" || s.Budget != "reference" || st.Epochs != 50 || st.BatchSize != 64 || st.LR != 0.025 || st.LRMin != 0.001 ||
			st.ArchLR != 3e-4 || st.ArchWeightDecay != 1e-3 || s.Search.Data.Limit != 0 {
			t.Errorf("%s: method %q budget %q settings %+v limit %d", m.Name, s.Method, s.Budget, st, s.Search.Data.Limit)
		}
		order := 1
		if strings.HasSuffix(m.Name, "order=2") {
			order = 2
		}
		switch {
		case strings.Contains(m.Name, "space=darts"):
			if n.Space != "darts" || n.Layers != 8 || n.C != 16 || st.WeightDecay != 3e-4 || st.Nesterov || st.WeightFirst || st.Order != order {
				t.Errorf("%s: network %+v settings %+v", m.Name, n, st)
			}
		default:
			if n.Space != "nas-bench-201" || n.C != 16 || n.CellsPerStage != 5 || st.WeightDecay != 5e-4 || !st.Nesterov || st.WeightFirst != (order == 1) || st.Order != order {
				t.Errorf("%s: network %+v settings %+v", m.Name, n, st)
			}
		}
	}
	// The quick budget (the default) is a smaller search of the same
	// hyperparameters.
	q := mustParse(t, `{"name": "q"}`).Members[0].Settings.Search
	if q.Settings.Epochs >= 50 || q.Settings.LR != 0.025 || q.Settings.ArchLR != 3e-4 || q.Network.Layers >= 8 {
		t.Errorf("quick: settings %+v network %+v", q.Settings, q.Network)
	}
	// A budget axis is search-only: the random cells are one per seed.
	b := mustParse(t, `{"name": "b", "base": {"retrain": {}},
	  "grid": [
	    {"axis": "method", "values": [{"label": "darts", "set": {"method": "darts"}}, {"label": "random", "set": {"random_cell": true}}]},
	    {"key": "budget", "values": ["quick", "reference"]},
	    {"key": "seed", "values": [1, 2]}]}`)
	var names []string
	for _, m := range b.Members {
		names = append(names, m.Name)
	}
	if got := strings.Join(names, " "); got != "method=darts,budget=quick,seed=1 method=darts,budget=quick,seed=2 method=darts,budget=reference,seed=1 method=darts,budget=reference,seed=2 method=random,seed=1 method=random,seed=2" {
		t.Errorf("members %s", got)
	}
}
