package supernet

import (
	"strings"
	"testing"
)

// TestValidate checks that each unusable setting of both networks is
// refused with a message that names it.
func TestValidate(t *testing.T) {
	search := func(f func(*Config)) error {
		c := Config{InputC: 1, InputH: 8, InputW: 8, Classes: 3, C: 4, Layers: 3}.WithDefaults()
		f(&c)
		return c.Validate()
	}
	discrete := func(f func(*DiscreteConfig)) error {
		c := tinyConfig(false).WithDefaults()
		f(&c)
		return c.Validate()
	}
	cases := []struct {
		name string
		err  error
		want string
	}{
		{"search ok", search(func(*Config) {}), ""},
		{"search input", search(func(c *Config) { c.InputH = 0 }), "input shape 1x0x8"},
		{"search classes", search(func(c *Config) { c.Classes = 1 }), "classes 1: need at least 2"},
		{"search odd C", search(func(c *Config) { c.C = 5 }), "init channels 5: need a positive even number"},
		{"search layers", search(func(c *Config) { c.Layers = 0 }), "layers 0"},
		{"search stem", search(func(c *Config) { c.StemMultiplier = -1 }), "stem multiplier -1"},
		{"search steps", search(func(c *Config) { c.Steps = 0 }), "steps 0"},
		{"search multiplier", search(func(c *Config) { c.Multiplier = 9 }), "multiplier 9: need 1..steps (4)"},
		{"search no ops", search(func(c *Config) { c.Primitives = []string{} }), "no candidate ops"},
		{"search unknown op", search(func(c *Config) { c.Primitives = []string{"conv_9x9"} }), `"conv_9x9"`},
		{"discrete ok", discrete(func(*DiscreteConfig) {}), ""},
		{"discrete input", discrete(func(c *DiscreteConfig) { c.InputC = 0 }), "input shape 0x20x20"},
		{"discrete classes", discrete(func(c *DiscreteConfig) { c.Classes = 0 }), "classes 0"},
		{"discrete C", discrete(func(c *DiscreteConfig) { c.C = -2 }), "init channels -2"},
		{"discrete layers", discrete(func(c *DiscreteConfig) { c.Layers = -1 }), "layers -1"},
		{"discrete stem", discrete(func(c *DiscreteConfig) { c.StemMultiplier = -3 }), "stem multiplier -3"},
		{"discrete no reduce cell", discrete(func(c *DiscreteConfig) { c.Genotype.Cells = c.Genotype.Cells[:1] }), "no reduce cell"},
		{"discrete op", discrete(func(c *DiscreteConfig) { c.Genotype.Cells[1].Nodes[0][1].Op = "conv_9x9" }), `reduce cell: node 0 input 1: unknown op "conv_9x9"`},
		{"discrete input index", discrete(func(c *DiscreteConfig) { c.Genotype.Cells[0].Nodes[1][0].Input = 3 }), "normal cell: node 1 input 0: state 3 out of range 0..2"},
		{"discrete concat", discrete(func(c *DiscreteConfig) { c.Genotype.Cells[0].Concat = []int{2, 2} }), "concat[1]: state 2 repeated"},
		{"discrete inputs", discrete(func(c *DiscreteConfig) { c.Genotype.Cells[0].Inputs = 3 }), "normal cell: 3 inputs"},
		{"discrete space", discrete(func(c *DiscreteConfig) { c.Space = "mobilenet" }), `space "mobilenet"`},
	}
	for _, c := range cases {
		switch {
		case c.want == "" && c.err != nil:
			t.Errorf("%s: %v", c.name, c.err)
		case c.want != "" && (c.err == nil || !strings.Contains(c.err.Error(), c.want)):
			t.Errorf("%s: err %v, want it to contain %q", c.name, c.err, c.want)
		}
	}
}
