package supernet

import (
	"unsafe"

	"github.com/darts-go/darts/mixedop"
	"github.com/darts-go/darts/space"
)

// opBuffers is roughly how many output-sized buffers a candidate op keeps
// across forward and backward (activations, saved statistics, gradients).
func opBuffers(name string, stride int) int64 {
	spec, err := mixedop.Lookup(name)
	if err != nil {
		return 4
	}
	switch spec.Kind {
	case mixedop.KindZero:
		return 0
	case mixedop.KindSepConv:
		return 13
	case mixedop.KindDilConv, mixedop.KindReLUConvBN:
		return 6
	case mixedop.KindSkip:
		if stride == 1 {
			return 0
		}
		return 9
	default: // pools followed by BatchNorm, and ops defined elsewhere
		return 4
	}
}

// EstimateMemory estimates, in bytes, the peak resident memory of a
// `darts search` at the given batch size: the weights with their gradients,
// momentum and checkpoint copies, and the buffers the blocks keep (op
// outputs and intermediates, gradients of each edge, node sums,
// concatenations), walking the cells' topology. It is an estimate to print
// before a run starts. The buffer counts are upper bounds (not every buffer
// is live at once); activationShare scales them to the peaks measured by
// /usr/bin/time on `darts search --epochs 1 --threads 1 --no-plots` (Intel
// Xeon, Go 1.26, the backward's gradients in shared buffers
// (mixedop.Machine.Share), GOGC 25 as cmd/darts sets it): DARTS default
// (--limit 640) 767 MiB against an estimate of 713 (the whole six-epoch
// default search: 894 MiB), order 2 738 MiB, 3x32x32 8 layers of 16
// channels (synthetic, --limit 320) 2475 MiB against 3103, NAS-Bench-201
// quick (--limit 640) 381 MiB against 322, C=16 N=5 (--budget reference,
// synthetic 3x32x32, --limit 256) 1685 MiB against 2056. Treat it as ±25%.
func (n *Network[T]) EstimateMemory(batch int) int64 {
	var z T
	elem := int64(unsafe.Sizeof(z))
	c := n.Cfg
	weights := int64(n.NumParams()) * 4 // value, gradient, momentum, second-order snapshot
	if c.Space == space.NB201Name {
		return weights*elem + nb201Activations(c.InputH, c.InputW, c.C, c.CellsPerStage, func(plane int64) int64 {
			var a int64
			for _, p := range n.Space.Ops {
				a += opBuffers(p, 1) * plane
			}
			return a + 2*plane // the edge's sum and its input gradient
		})*activationShare*int64(batch)*elem/100
	}
	h, w := int64(c.InputH), int64(c.InputW)
	cCurr := int64(c.C)
	act := int64(c.StemMultiplier*c.C) * h * w * 6 // stem conv, BN, gradients
	for _, cell := range n.cells {
		inPlane := h * w
		if cell.Reduction {
			cCurr *= 2
			h, w = h/2, w/2
		}
		node := cCurr * h * w
		topo := cell.Topology
		act += int64(topo.Inputs) * 6 * cCurr * inPlane // the inputs' preprocessing
		for k := 0; k < topo.Nodes; k++ {
			for _, e := range topo.InEdges(k) {
				stride := 1
				if cell.Reduction && topo.Edges[e].Input < topo.Inputs {
					stride = 2
				}
				// With partial channels the ops see 1/K of the channels; the
				// edge keeps its own output, the ops' input and, on a
				// stride-2 edge, the bypassed input and its pooled value.
				parts := int64(max(c.PartialChannels, 1))
				for _, p := range cell.Edges[e].Primitives {
					act += opBuffers(p, stride) * node / parts
				}
				if parts > 1 {
					act += node + node*int64(stride*stride)/parts
					if stride == 2 {
						act += node * 5
					}
				}
				if c.AuxSkip != nil { // the edge's own sum, and FactorizedReduce at stride 2
					act += node
					if stride == 2 {
						act += opBuffers("skip_connect", 2) * node
					}
				}
				act += 2 * node // the edge's sum and its input gradient
			}
			act += 2 * node // node sum and its gradient
		}
		act += 2 * int64(len(topo.Concat)) * node // concat and its gradient
	}
	return weights*elem + act*activationShare*int64(batch)*elem/100
}

// activationShare is the percentage of the counted activation buffers a
// search's peak resident memory holds (calibrated as EstimateMemory says).
const activationShare = 50

// nb201Activations counts the buffers, in elements per example, that a
// NAS-Bench-201 network keeps across forward and backward: the stem, each
// cell's 6 edges (edge gives an edge's buffers for a C·H·W plane) and 3
// node sums, and the residual blocks (two ReLU-Conv-BN units, the
// shortcut's pool and convolution, the sum).
func nb201Activations(inH, inW, c, cellsPerStage int, edge func(plane int64) int64) int64 {
	h, w := int64(inH), int64(inW)
	act := int64(c) * h * w * 6 // stem conv, BN, gradients
	for _, st := range nb201Plan(c, cellsPerStage) {
		if st.Block {
			h, w = (h+1)/2, (w+1)/2
			act += 16 * int64(st.Cout) * h * w
			continue
		}
		plane := int64(st.Cout) * h * w
		act += 6*edge(plane) + 3*2*plane
	}
	return act
}
