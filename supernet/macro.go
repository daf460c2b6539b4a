package supernet

import (
	"fmt"

	"github.com/darts-go/darts/mixedop"
	"github.com/darts-go/darts/space"
)

// The DARTS macro skeleton, shared by the search network (model_search.py
// Network) and the network of a genotype (model.py NetworkCIFAR): a 3×3
// convolution stem with StemMultiplier·C channels, then Layers cells, each
// reading the outputs of the two cells before it (the stem's output twice
// at the start), cells ⌊L/3⌋ and ⌊2L/3⌋ reduction cells that double the
// channels and halve the resolution, and the first input of a cell after a
// reduction cell reduced by a FactorizedReduce.

// validateMacro checks the settings of the DARTS macro skeleton.
func validateMacro(inputC, inputH, inputW, classes, c, layers, stemMultiplier int) error {
	switch {
	case inputC < 1 || inputH < 1 || inputW < 1:
		return fmt.Errorf("input shape %dx%dx%d: every dimension must be at least 1", inputC, inputH, inputW)
	case classes < 2:
		return fmt.Errorf("classes %d: need at least 2", classes)
	case c < 1 || c%2 != 0:
		return fmt.Errorf("init channels %d: need a positive even number (FactorizedReduce splits channels in two)", c)
	case layers < 1:
		return fmt.Errorf("layers %d: need at least 1", layers)
	case stemMultiplier < 1:
		return fmt.Errorf("stem multiplier %d: need at least 1", stemMultiplier)
	}
	return nil
}

// IsReduction reports whether cell i of a DARTS network of layers cells is
// a reduction cell.
func IsReduction(i, layers int) bool { return i == layers/3 || i == 2*layers/3 }

// cellPlan is one cell of the DARTS macro skeleton: its inputs' channels,
// its own channels per node, and the resolution it outputs.
type cellPlan struct {
	Index                    int
	Reduction, ReductionPrev bool
	CPP, CP, C               int
	H, W                     int
}

// planCells walks the skeleton: a stem of stemC channels, then layers
// cells, where reduction cells double the channels and halve the
// resolution, and cell i's output concatenates mult(reduction) nodes. It
// returns the plans and the last cell's output channels.
func planCells(stemC, c, h, w, layers int, mult func(reduction bool) int) ([]cellPlan, int, error) {
	var plans []cellPlan
	cpp, cp, cCurr := stemC, stemC, c
	redPrev := false
	for i := 0; i < layers; i++ {
		red := IsReduction(i, layers)
		if red {
			cCurr *= 2
			if h%2 != 0 || w%2 != 0 {
				return nil, 0, fmt.Errorf("cell %d reduces a %dx%d input: reductions need even sizes (use another input size or fewer layers)", i, h, w)
			}
			h, w = h/2, w/2
		}
		plans = append(plans, cellPlan{Index: i, Reduction: red, ReductionPrev: redPrev, CPP: cpp, CP: cp, C: cCurr, H: h, W: w})
		redPrev = red
		cpp, cp = cp, mult(red)*cCurr
	}
	return plans, cp, nil
}

// dartsPreprocess builds a DARTS cell's preprocessing of its two inputs:
// pre0 is a FactorizedReduce after a reduction cell, else a 1×1
// ReLUConvBN; pre1 is a 1×1 ReLUConvBN.
func dartsPreprocess[T Float](ctx *mixedop.Ctx, prefix string, pl cellPlan, affine bool) ([]mixedop.Module[T], error) {
	var pre0 mixedop.Module[T]
	if pl.ReductionPrev {
		fr, err := mixedop.NewFactorizedReduce[T](ctx, join(prefix, "pre0"), pl.CPP, pl.C, affine)
		if err != nil {
			return nil, err
		}
		pre0 = fr
	} else {
		pre0 = mixedop.NewReLUConvBN[T](ctx, join(prefix, "pre0"), pl.CPP, pl.C, 1, 1, 0, affine)
	}
	pre1 := mixedop.NewReLUConvBN[T](ctx, join(prefix, "pre1"), pl.CP, pl.C, 1, 1, 0, affine)
	return []mixedop.Module[T]{pre0, pre1}, nil
}

func join(prefix, role string) string {
	if prefix == "" {
		return role
	}
	return prefix + "." + role
}

func lookup(op string) (mixedop.Spec, error) { return mixedop.Lookup(op) }

// DARTSCell describes one cell of the DARTS search network
// (model_search.py Cell): its topology (space.DARTSCell), the channels of
// its two inputs (CPP from two cells back, CP from the previous one) and of
// its nodes, whether it is a reduction cell (stride 2 on the edges from
// its inputs) and whether the cell before it was one (its first input is
// then reduced by a FactorizedReduce), and its candidate ops.
type DARTSCell struct {
	Topology                 space.Cell
	CPP, CP, C               int
	Reduction, ReductionPrev bool
	Ops                      []string
	// Partial, AuxSkip, EdgeOps and SkipDropout are CellOptions':
	// PC-DARTS's partial channels, DARTS-'s auxiliary skip, each edge's
	// own candidates, P-DARTS's dropout after skip connections.
	Partial     int
	AuxSkip     func() float64
	EdgeOps     [][]string
	SkipDropout *mixedop.Dropout
}

// NewDARTSCell builds the search cell d describes, its inputs preprocessed
// as DARTS does (BatchNorm without affine) and BatchNorm after pools, with
// parameters named "<prefix>.pre0.conv", "<prefix>.edge<e>.<op>.<role>",
// ... as in the golden vectors. cellType names the tensor its edges read.
func NewDARTSCell[T Float](ctx *mixedop.Ctx, prefix, cellType string, d DARTSCell) (*SearchCell[T], error) {
	pl := cellPlan{Reduction: d.Reduction, ReductionPrev: d.ReductionPrev, CPP: d.CPP, CP: d.CP, C: d.C}
	pre, err := dartsPreprocess[T](ctx, prefix, pl, false)
	if err != nil {
		return nil, err
	}
	return NewSearchCell[T](ctx, prefix, cellType, d.Topology, pre, CellOptions{C: d.C, Ops: d.Ops, Reduction: d.Reduction, PoolBN: true,
		Partial: d.Partial, AuxSkip: d.AuxSkip, EdgeOps: d.EdgeOps, SkipDropout: d.SkipDropout})
}
