package job

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/darts-go/darts/bilevel"
	"github.com/darts-go/darts/datasets"
	"github.com/darts-go/darts/supernet"
)

// TestMethodOptions: darts's "order" option sets the search's order (the
// run records the second-order architecture step), and options that do
// not exist or values out of range are ConfigErrors naming them.
func TestMethodOptions(t *testing.T) {
	conf := SearchConfig{Method: "darts",
		Data:    datasets.Options{Name: "synthetic", Shape: [3]int{1, 8, 8}, Classes: 3, Limit: 64},
		Network: supernet.Config{C: 4, Layers: 3, Primitives: []string{"none", "skip_connect", "max_pool_3x3"}},
		Search:  bilevel.DefaultSettings()}
	conf.Search.Epochs, conf.Search.BatchSize = 1, 16
	conf.MethodOptions = map[string]json.RawMessage{"order": json.RawMessage("2")}
	dir := filepath.Join(t.TempDir(), "run")
	if err := Search(context.Background(), conf, SearchOptions{Dir: dir, NoPlots: true}); err != nil {
		t.Fatal(err)
	}
	got, err := ReadSearchConfig(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got.Search.Order != 2 || got.Record.ArchStep != (&bilevel.SecondOrder[float32]{}).Name() {
		t.Errorf("order %d, arch step %q: want 2 and the second-order step", got.Search.Order, got.Record.ArchStep)
	}
	if string(got.MethodOptions["order"]) != "2" {
		t.Errorf("config.json method_options %v, want order 2 as given", got.MethodOptions)
	}
	for opts, want := range map[string]string{
		`{"order": 3}`:   "method darts: option order 3: need 1 (first order) or 2 (second order)",
		`{"order": "x"}`: `method darts: option order "x": need 1`,
		`{"tau": 1}`:     `method darts: unknown option "tau" (known: order)`,
	} {
		c := conf
		c.MethodOptions = nil
		if err := json.Unmarshal([]byte(opts), &c.MethodOptions); err != nil {
			t.Fatal(err)
		}
		err := Search(context.Background(), c, SearchOptions{Dir: filepath.Join(t.TempDir(), "bad"), NoPlots: true})
		var ce *ConfigError
		if !errors.As(err, &ce) || !strings.Contains(err.Error(), want) {
			t.Errorf("options %s: err %v, want a ConfigError with %q", opts, err, want)
		}
	}
}
