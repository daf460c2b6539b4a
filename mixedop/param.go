package mixedop

import (
	"fmt"
	"math"

	"github.com/darts-go/darts/internal/kern"
	"github.com/darts-go/darts/internal/rng"
)

// Float is the element type of every tensor in darts-go: float32 in normal
// use, float64 for exact tests.
type Float = kern.Float

// Shape is the shape of an NCHW activation.
type Shape struct{ N, C, H, W int }

// Size is the number of elements of a tensor of shape s.
func (s Shape) Size() int { return s.N * s.C * s.H * s.W }

// Plane is H·W.
func (s Shape) Plane() int { return s.H * s.W }

func (s Shape) String() string { return fmt.Sprintf("(%d,%d,%d,%d)", s.N, s.C, s.H, s.W) }

// Param is one tensor of parameters or of state (BatchNorm running
// statistics). Value and Grad are owned by the module that made it; the
// graph nodes, the optimizers and the checkpoints all see these same slices,
// so an update in place is visible everywhere at once.
type Param[T Float] struct {
	Name  string // unique in a network, dotted path: "cell3.edge5.sep_conv_3x3.dw1"
	Shape []int
	Value []T
	Grad  []T // nil for state tensors
}

// Len is the number of elements.
func (p *Param[T]) Len() int { return len(p.Value) }

func newParam[T Float](name string, shape ...int) *Param[T] {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return &Param[T]{Name: name, Shape: shape, Value: make([]T, n), Grad: make([]T, n)}
}

func newState[T Float](name string, fill T, shape ...int) *Param[T] {
	n := 1
	for _, d := range shape {
		n *= d
	}
	v := make([]T, n)
	for i := range v {
		v[i] = fill
	}
	return &Param[T]{Name: name, Shape: shape, Value: v}
}

// Ctx is shared by all modules of one network: the training flag and the
// random source for initialization.
type Ctx struct {
	// Training selects batch statistics in BatchNorm (and updates the
	// running statistics); when false, running statistics are used.
	Training bool
	// Rand draws initial parameter values; nil leaves parameters at zero
	// (tests load them explicitly).
	Rand *rng.Rand
	// Init is the PyTorch version whose default initialization the
	// modules follow (InitTorch031 unless set).
	Init Init
	// Skip, unless RunAll, overrides every Mixed's own Skip for the run:
	// which ops of weight exactly 0 are left out, for relaxations whose
	// forward weights are one-hot (relax.Sparse). The runners set it for
	// each run from their network's relaxation, so runners of one network
	// under different relaxations (training, scoring a candidate) do not
	// share it through the edges.
	Skip Skip
	// RecomputeDepthwise makes the depthwise convolutions of SepConv and
	// DilConv built with this context run their forward again in the
	// backward (for the pointwise convolution after them, which reads
	// their output) instead of keeping the output: one activation fewer
	// per convolution, for one more depthwise forward. Same bits either
	// way. The retraining network sets it; the supernet does not (its
	// steps are the time-critical ones, and its memory is the supernet's).
	RecomputeDepthwise bool
}

// Init names a PyTorch version's default parameter initialization. The two
// differ in two places: an affine BatchNorm's scale (U(0, 1) in 0.3.1, 1 from
// 1.2 on) and a grouped convolution's fan-in (in_channels·k·k in 0.3.1,
// in_channels/groups·k·k in 1.x). Convolution and Linear weights and
// biases are U(±1/√fan_in) in both.
type Init int

const (
	// InitTorch031 is PyTorch 0.3.1's, what the published DARTS runs used.
	InitTorch031 Init = iota
	// InitTorch1 is PyTorch 1.x's (≥ 1.2), what AutoDL-Projects and the
	// NAS-Bench-201 benchmark used.
	InitTorch1
)

// String is the version's name as config files write it: "0.3.1" or "1.x".
func (i Init) String() string {
	if i == InitTorch1 {
		return "1.x"
	}
	return "0.3.1"
}

// ParseInit reads "0.3.1" or "1.x" ("" means 0.3.1).
func ParseInit(s string) (Init, error) {
	switch s {
	case "", "0.3.1":
		return InitTorch031, nil
	case "1.x", "1":
		return InitTorch1, nil
	}
	return 0, fmt.Errorf("init %q: want 0.3.1 or 1.x (the PyTorch version whose default initialization to follow)", s)
}

// fillUniform draws U(-1/√fanIn, 1/√fanIn) into v, PyTorch's default
// initialization of Conv2d and Linear weights (and biases).
func fillUniform[T Float](r *rng.Rand, v []T, fanIn int) {
	if r == nil {
		return
	}
	b := 1 / math.Sqrt(float64(fanIn))
	for i := range v {
		v[i] = T((2*r.Float64() - 1) * b)
	}
}
