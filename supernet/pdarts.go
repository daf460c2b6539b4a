package supernet

import (
	"fmt"
	"math"
	"slices"

	"github.com/darts-go/darts/internal/rng"
	"github.com/darts-go/darts/mixedop"
)

// A stage of P-DARTS (Chen, Xie, Wu, Tian, ICCV 2019; chenxin061/pdarts
// model_search.py) is a DARTS supernet with two changes, both settings of
// Config: every edge holds only the ops the previous stages kept on it
// (EdgeOps), and every stride-1 skip connection is followed by a dropout
// whose rate falls over the stage's epochs (SkipDropout).

// tagSkipDropoutPass keys the skip-dropout masks of a pass.
const tagSkipDropoutPass uint64 = 0x70646172747364 // "pdartsd"

// SkipDropout is P-DARTS's schedule of the dropout after its skip
// connections, for a stage of Epochs epochs whose first Warmup train the
// weights only (train_search.py): p = Rate·(Epochs−e−1)/Epochs in epoch e
// of the warm-up, then p = Rate·exp(−Decay·(e−Warmup)) (so p is back at
// Rate when the architecture steps start). A Rate of 0 builds no dropout,
// as the reference builds none when its rate is 0.
type SkipDropout struct {
	Rate   float64 `json:"rate"`
	Warmup int     `json:"warmup_epochs"`
	Decay  float64 `json:"decay"`
}

// P is the dropout rate in epoch (from 0) of a stage of epochs epochs (0:
// Rate).
func (d SkipDropout) P(epoch, epochs int) float64 {
	switch {
	case epochs <= 0:
		return d.Rate
	case epoch < d.Warmup:
		return d.Rate * float64(epochs-epoch-1) / float64(epochs)
	}
	return d.Rate * math.Exp(-d.Decay*float64(epoch-d.Warmup))
}

// validateStage checks EdgeOps and SkipDropout: a list of ops for every
// edge of a cell type of the space, each a non-empty subset of the
// primitives in their order, with an op other than 'none'; a dropout rate
// in [0, 1), a warm-up of 0 or more epochs, a finite decay of 0 or more.
func (c Config) validateStage() error {
	if d := c.SkipDropout; d != nil {
		if !(d.Rate >= 0 && d.Rate < 1) || d.Warmup < 0 || !(d.Decay >= 0) || math.IsInf(d.Decay, 0) {
			return fmt.Errorf("skip_dropout %+v: need a rate in [0, 1), a warm-up of 0 or more epochs and a finite decay of 0 or more", *d)
		}
	}
	if c.EdgeOps == nil {
		return nil
	}
	sp, err := c.SearchSpace()
	if err != nil {
		return err
	}
	for name, edges := range c.EdgeOps {
		ct, ok := sp.CellType(name)
		if !ok {
			return fmt.Errorf("edge_ops: %q is not a cell type of space %s", name, sp.Name)
		}
		if len(edges) != len(ct.Cell.Edges) {
			return fmt.Errorf("edge_ops[%s]: %d edges, the cell has %d", name, len(edges), len(ct.Cell.Edges))
		}
		for e, ops := range edges {
			last := -1
			for _, o := range ops {
				i := slices.Index(c.Primitives, o)
				if i < 0 {
					return fmt.Errorf("edge_ops[%s][%d]: %q is not one of the primitives %q", name, e, o, c.Primitives)
				}
				if i <= last {
					return fmt.Errorf("edge_ops[%s][%d]: %q: ops must be distinct and in the primitives' order %q", name, e, ops, c.Primitives)
				}
				last = i
			}
			if !slices.ContainsFunc(ops, func(o string) bool { return o != "none" }) {
				return fmt.Errorf("edge_ops[%s][%d]: %q: an edge needs an op other than 'none'", name, e, ops)
			}
		}
	}
	return nil
}

// EdgeMasks returns, for every cell type EdgeOps restricts, which
// primitives each of its edges holds (rows = edges, columns = Primitives),
// or nil without EdgeOps.
func (c Config) EdgeMasks() map[string][][]bool {
	if c.EdgeOps == nil {
		return nil
	}
	m := map[string][][]bool{}
	for name, edges := range c.EdgeOps {
		for _, ops := range edges {
			row := make([]bool, len(c.Primitives))
			for k, p := range c.Primitives {
				row[k] = slices.Contains(ops, p)
			}
			m[name] = append(m[name], row)
		}
	}
	return m
}

// edgeColumns returns the candidates of every edge of cell type cell, one
// per primitive: the primitive where the edge holds it, 'none' (nothing
// built, nothing computed) where it does not; nil if every edge holds
// every primitive.
func (c Config) edgeColumns(cell string) [][]string {
	edges, ok := c.EdgeOps[cell]
	if !ok {
		return nil
	}
	cols := make([][]string, len(edges))
	for e, ops := range edges {
		for _, p := range c.Primitives {
			if slices.Contains(ops, p) {
				cols[e] = append(cols[e], p)
			} else {
				cols[e] = append(cols[e], "none")
			}
		}
	}
	return cols
}

// skipDropout is the dropout shared by the network's skip connections
// (Config.SkipDropout), its rate and masks read from the pass in progress,
// or nil if the network has none.
func (n *Network[T]) skipDropout() *mixedop.Dropout {
	d := n.Cfg.SkipDropout
	if d == nil || d.Rate == 0 {
		return nil
	}
	return &mixedop.Dropout{
		Rate: func() float64 { return d.P(n.Pass.Epoch, n.Pass.Epochs) },
		Key: func() uint64 {
			p := n.Pass
			return rng.Key(tagSkipDropoutPass, p.Seed, uint64(p.Epoch), uint64(p.Step), uint64(p.Phase), uint64(p.Sub))
		},
	}
}
