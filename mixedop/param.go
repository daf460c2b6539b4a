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
