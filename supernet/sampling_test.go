package supernet_test

import (
	"strings"
	"testing"

	"github.com/darts-go/darts/mixedop"
	"github.com/darts-go/darts/relax"
	"github.com/darts-go/darts/space"
	"github.com/darts-go/darts/supernet"
)

// TestNoPoolBN: the DARTS supernet without BatchNorm after pools (DrNAS,
// AutoDL's GDAS) loses exactly the pools' BatchNorm running statistics,
// two per pool per edge, and no weight (that BatchNorm has no affine);
// NAS-Bench-201 refuses the setting.
func TestNoPoolBN(t *testing.T) {
	cfg := supernet.Config{InputC: 1, InputH: 8, InputW: 8, Classes: 3, C: 4, Layers: 3}
	with, err := supernet.NewNetwork[float32](cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	cfg.NoPoolBN = true
	without, err := supernet.NewNetwork[float32](cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	poolStats := 0
	for _, p := range with.State() {
		if strings.Contains(p.Name, "pool_3x3") {
			poolStats++
		}
	}
	// 3 cells × 14 edges × 2 pools × (running mean, running variance).
	if want := 3 * 14 * 2 * 2; poolStats != want {
		t.Fatalf("%d pool statistics with BatchNorm after pools, want %d", poolStats, want)
	}
	if got, want := len(without.State()), len(with.State())-poolStats; got != want {
		t.Errorf("NoPoolBN: %d running statistics, want %d", got, want)
	}
	for _, p := range without.State() {
		if strings.Contains(p.Name, "pool_3x3") {
			t.Errorf("NoPoolBN network has pool statistic %s", p.Name)
		}
	}
	if with.NumParams() != without.NumParams() {
		t.Errorf("NoPoolBN changed the weights: %d vs %d", without.NumParams(), with.NumParams())
	}
	nb := supernet.Config{Space: space.NB201Name, InputC: 3, InputH: 8, InputW: 8, Classes: 3, C: 2, CellsPerStage: 1, NoPoolBN: true}.WithDefaults()
	if err := nb.Validate(); err == nil || !strings.Contains(err.Error(), "no_pool_bn") {
		t.Errorf("NAS-Bench-201 with no_pool_bn: %v", err)
	}
}

// TestSparseRelaxationSkips: a network under a relaxation that implements
// relax.Sparse builds its mixed edges to skip as it says; others run all.
func TestSparseRelaxationSkips(t *testing.T) {
	for _, c := range []struct {
		r    relax.Relaxation[float32]
		want mixedop.Skip
	}{
		{relax.Softmax[float32]{}, mixedop.RunAll},
		{relax.SNAS[float32]{Tau: relax.Constant(1)}, mixedop.RunAll},
		{relax.GDAS[float32]{Tau: relax.Constant(1)}, mixedop.SkipZero},
		{relax.GDAS[float32]{Tau: relax.Constant(1), Scalars: true}, mixedop.SkipZeroScalar},
	} {
		n, err := supernet.NewNetwork[float32](supernet.Config{InputC: 1, InputH: 8, InputW: 8, Classes: 3, C: 4, Layers: 3}, 1)
		if err != nil {
			t.Fatal(err)
		}
		n.Relax = c.r
		r, err := n.NewRunner(2, true)
		if err != nil {
			t.Fatal(err)
		}
		r.Close()
		for _, cell := range n.Cells() {
			for _, e := range cell.Edges {
				if e.Skip != c.want {
					t.Fatalf("%s: edge %s skips %d, want %d", c.r.Name(), e.Prefix, e.Skip, c.want)
				}
			}
		}
	}
}
