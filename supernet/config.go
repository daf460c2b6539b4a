package supernet

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"

	"github.com/darts-go/darts/mixedop"
	"github.com/darts-go/darts/space"
)

// Config is the shape of a search supernet. Space names its search space;
// the DARTS space (the default) reads every field, each of them a setting
// DARTS fixes, with DARTS's values as defaults (see WithDefaults).
type Config struct {
	Space          string   `json:"space"`           // "darts" or "nas-bench-201"
	InputC         int      `json:"input_c"`         // image shape
	InputH         int      `json:"input_h"`         //
	InputW         int      `json:"input_w"`         //
	Classes        int      `json:"classes"`         // classifier outputs
	C              int      `json:"init_channels"`   // channels of the first cells
	Layers         int      `json:"layers"`          // cells; ⌊L/3⌋ and ⌊2L/3⌋ are reduction cells
	Steps          int      `json:"steps"`           // intermediate nodes per cell (4)
	Multiplier     int      `json:"multiplier"`      // nodes concatenated into the output (4)
	StemMultiplier int      `json:"stem_multiplier"` // stem channels = StemMultiplier·C (3)
	Primitives     []string `json:"primitives"`      // candidate ops, in alpha-column order
	// CellsPerStage is NAS-Bench-201's N: the cells of each of its three
	// stages (5); Layers is not used there.
	CellsPerStage int `json:"cells_per_stage,omitempty"`
	// NoTrackStats makes the BatchNorm of NAS-Bench-201's search cells keep
	// no running statistics (AutoDL's --track_running_stats 0, NATS-Bench's
	// default); by default they track them (--track_running_stats 1, the
	// NAS-Bench-201 scripts' setting).
	NoTrackStats bool `json:"no_track_running_stats,omitempty"`
	// Init is the PyTorch version whose default initialization the
	// weights follow (mixedop.Init): "0.3.1" for the DARTS space (the
	// version of quark0/darts's published runs), "1.x" for NAS-Bench-201
	// (AutoDL-Projects).
	Init string `json:"init,omitempty"`
	// ArchInit is the distribution of the architecture tensors' initial
	// values; nil is DARTS's 1e-3·N(0, 1).
	ArchInit *ArchInit `json:"arch_init,omitempty"`
	// PartialChannels is PC-DARTS's K: only 1/K of the channels of every
	// mixed edge's input go through its ops, the rest bypass them
	// (mixedop.Partial); 0 sends all of them (DARTS). The DARTS space only;
	// K must divide init_channels.
	PartialChannels int `json:"partial_channels,omitempty"`
	// EdgeNormalization gives every cell type an edge tensor β
	// (space.EdgeTensor) whose softmax over the edges into each node
	// weights those edges (PC-DARTS's edge normalization). The DARTS space
	// only.
	EdgeNormalization bool `json:"edge_normalization,omitempty"`
	// AuxSkip adds DARTS-'s auxiliary skip connection, with its scheduled
	// coefficient, to every mixed edge; nil: none. The DARTS space only.
	AuxSkip *AuxSkip `json:"auxiliary_skip,omitempty"`
	// EdgeOps, if set, gives every edge of a cell type its own subset of
	// Primitives (a P-DARTS stage): EdgeOps[cell][e] lists the ops edge e
	// of that cell type holds, in Primitives order. The architecture
	// tensors keep one column per primitive; the edge weights are the
	// softmax over each edge's ops (relax.MaskedSoftmax), 0 for the others.
	// A cell type it leaves out has every op on every edge. The DARTS
	// space only.
	EdgeOps map[string][][]string `json:"edge_ops,omitempty"`
	// SkipDropout, if set, follows every stride-1 skip connection with
	// P-DARTS's scheduled dropout; nil: none. The DARTS space only.
	SkipDropout *SkipDropout `json:"skip_dropout,omitempty"`
}

// ArchInit is a normal distribution N(Mean, Std²) for the initial values of
// the architecture tensors (Std 0: every value is Mean).
type ArchInit struct {
	Mean float64 `json:"mean"`
	Std  float64 `json:"std"`
}

// DefaultArchInit is DARTS's initialization of α, 1e-3·N(0, 1).
var DefaultArchInit = ArchInit{Mean: 0, Std: 1e-3}

// defaultInit is the initialization of a space's reference code.
func defaultInit(sp string) string {
	if sp == space.NB201Name {
		return mixedop.InitTorch1.String()
	}
	return mixedop.InitTorch031.String()
}

// WithDefaults fills zero fields with the space's values: DARTS's, or
// NAS-Bench-201's (C = 16, N = 5, its five ops).
func (c Config) WithDefaults() Config {
	if c.Space == "" {
		c.Space = "darts"
	}
	if c.Init == "" {
		c.Init = defaultInit(c.Space)
	}
	if c.Space == space.NB201Name {
		if c.C == 0 {
			c.C = 16
		}
		if c.CellsPerStage == 0 {
			c.CellsPerStage = 5
		}
		if c.Primitives == nil {
			c.Primitives = append([]string(nil), space.NB201Ops...)
		}
		return c
	}
	if c.Steps == 0 {
		c.Steps = 4
	}
	if c.Multiplier == 0 {
		c.Multiplier = c.Steps
	}
	if c.StemMultiplier == 0 {
		c.StemMultiplier = 3
	}
	if c.Primitives == nil {
		c.Primitives = append([]string(nil), space.DARTSOps...)
	}
	return c
}

// SearchSpace is the space the supernet searches: its topology and
// architecture tensors.
func (c Config) SearchSpace() (space.Space, error) {
	switch c.Space {
	case "darts", "":
		sp := space.DARTS(c.Steps, c.Multiplier, c.Primitives)
		if c.EdgeNormalization {
			sp = sp.WithEdgeTensors()
		}
		return sp, nil
	case space.NB201Name:
		return space.NB201(c.Primitives), nil
	}
	return space.Space{}, fmt.Errorf("space %q: unknown (known: %s)", c.Space, strings.Join(space.Names(), ", "))
}

// Edges is the number of mixed edges per cell of the DARTS space:
// Σ_{i<steps} (i+2).
func (c Config) Edges() int { return c.Steps * (c.Steps + 3) / 2 }

// Validate reports the first setting that cannot make a network.
func (c Config) Validate() error {
	if _, err := mixedop.ParseInit(c.Init); err != nil {
		return err
	}
	if a := c.ArchInit; a != nil && (!(a.Std >= 0) || math.IsInf(a.Std, 0) || math.IsNaN(a.Mean) || math.IsInf(a.Mean, 0)) {
		return fmt.Errorf("arch_init N(%g, %g²): need a finite mean and a standard deviation of 0 or more", a.Mean, a.Std)
	}
	if c.Space == space.NB201Name {
		if c.PartialChannels != 0 || c.EdgeNormalization || c.AuxSkip != nil || c.EdgeOps != nil || c.SkipDropout != nil {
			return fmt.Errorf("space %s: partial_channels, edge_normalization, auxiliary_skip, edge_ops and skip_dropout are settings of the darts space", c.Space)
		}
		if err := validateNB201(c.InputC, c.InputH, c.InputW, c.Classes, c.C, c.CellsPerStage); err != nil {
			return err
		}
		if len(c.Primitives) == 0 {
			return fmt.Errorf("no candidate ops")
		}
		return c.validateOps()
	}
	if c.NoTrackStats || c.CellsPerStage != 0 {
		return fmt.Errorf("space %s: cells_per_stage and no_track_running_stats are settings of nas-bench-201", c.Space)
	}
	if err := c.validateEdgeOptions(); err != nil {
		return err
	}
	if err := validateMacro(c.InputC, c.InputH, c.InputW, c.Classes, c.C, c.Layers, c.StemMultiplier); err != nil {
		return err
	}
	switch {
	case c.Steps < 1:
		return fmt.Errorf("steps %d: need at least 1", c.Steps)
	case c.Multiplier < 1 || c.Multiplier > c.Steps:
		return fmt.Errorf("multiplier %d: need 1..steps (%d)", c.Multiplier, c.Steps)
	case len(c.Primitives) == 0:
		return fmt.Errorf("no candidate ops")
	}
	if err := c.validateOps(); err != nil {
		return err
	}
	return c.validateStage()
}

func (c Config) validateOps() error {
	sp, err := c.SearchSpace()
	if err != nil {
		return err
	}
	if err := sp.Validate(); err != nil {
		return err
	}
	for _, p := range c.Primitives {
		if _, err := lookup(p); err != nil {
			return err
		}
	}
	return nil
}

// UnmarshalJSON reads the snake_case keys MarshalJSON writes and, for runs
// written before they existed, the Go field names (InputC, TrainPortion,
// ...) of darts-go 0.1.
func (c *Config) UnmarshalJSON(b []byte) error {
	type plain Config
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	var legacy struct {
		InputC, InputH, InputW, Classes, C, Layers, Steps, Multiplier, StemMultiplier *int
		Primitives                                                                    []string
	}
	if err := json.Unmarshal(b, &legacy); err == nil && legacy.InputC != nil && p.InputC == 0 {
		p.InputC, p.InputH, p.InputW, p.Classes = deref(legacy.InputC), deref(legacy.InputH), deref(legacy.InputW), deref(legacy.Classes)
		p.C, p.Layers, p.Steps, p.Multiplier, p.StemMultiplier = deref(legacy.C), deref(legacy.Layers), deref(legacy.Steps), deref(legacy.Multiplier), deref(legacy.StemMultiplier)
		if p.Primitives == nil {
			p.Primitives = legacy.Primitives
		}
		if p.Space == "" {
			p.Space = "darts"
		}
	}
	*c = Config(p)
	return nil
}

func deref(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}
