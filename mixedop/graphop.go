package mixedop

import (
	"fmt"
	"hash"
	"hash/fnv"
	"sync/atomic"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Block is a differentiable computation with one or more activation inputs,
// its own parameters and one output, computed by darts-go's kernels. A Block
// becomes one gorgonia node with Graph.Apply; gorgonia sees its inputs,
// output and gradients but none of its intermediate tensors, which the Block
// keeps in buffers that live across steps.
type Block[T Float] interface {
	// Name identifies the block in graph dumps and errors.
	Name() string
	// Params are the block's trainable tensors. They become graph inputs
	// of the block's node, after its activation inputs.
	Params() []*Param[T]
	// OutShape is the output shape for the given activation input shapes.
	OutShape(in []tensor.Shape) (tensor.Shape, error)
	// Forward computes the output from the activation inputs. The returned
	// slice belongs to the block; it may be overwritten by the next Forward.
	Forward(in [][]T, shapes []tensor.Shape) ([]T, error)
	// Backward takes dL/d(output) of the last Forward and ADDS dL/d(in[i])
	// into din[i] (nil when not needed) and dL/dp into every parameter's
	// Grad. The caller zeroes what Backward accumulates into.
	Backward(dy []T, din [][]T) error
}

// InputReader is an optional interface of a Block: whether its Backward
// reads the value of activation input i. A Block without it is taken to
// read all of them. Machine.Share lets a value that no backward reads share
// memory once its forward readers are done with it.
type InputReader interface {
	BackwardReadsInput(i int) bool
}

// OutputPlacer is an optional interface of a Block whose Backward does not
// read its own output: PlaceOutput(buf) makes the next Forward write its
// output into buf (of the output's size) and return it; a Forward without
// a PlaceOutput before it writes into the block's own buffer. Machine.Share
// places such outputs in shared buffers.
type OutputPlacer[T Float] interface {
	PlaceOutput(buf []T)
}

// outputPlaceable is an optional interface of an OutputPlacer that can
// place its output only sometimes (ModuleBlock).
type outputPlaceable interface{ OutputPlaceable() bool }

// placeable reports whether b places its output when told to.
func placeable[T Float](b Block[T]) bool {
	if _, ok := b.(OutputPlacer[T]); !ok {
		return false
	}
	p, ok := b.(outputPlaceable)
	return !ok || p.OutputPlaceable()
}

// PlacedOut is the output buffer of an OutputPlacer: the block's own, or
// the one PlaceOutput gave for the next Forward. Embed it and call Get in
// Forward; its PlaceOutput implements the interface.
type PlacedOut[T Float] struct{ own, place []T }

// PlaceOutput implements OutputPlacer.
func (p *PlacedOut[T]) PlaceOutput(buf []T) { p.place = buf }

// Get returns n elements to write this Forward's output into.
func (p *PlacedOut[T]) Get(n int) []T {
	if p.place != nil {
		b := p.place[:n]
		p.place = nil
		return b
	}
	p.own = grow(p.own, n)
	return p.own
}

// gradSetter is a Block of this package whose backward can overwrite din
// (holding garbage) instead of adding to it, which spares the wrapper a pass
// that zeroes din.
type gradSetter[T Float] interface {
	backwardSet(dy []T, din [][]T) error
}

var opIDs atomic.Uint64

// Graph is a gorgonia ExprGraph together with the parameter nodes darts-go
// created in it: each Param gets exactly one node, uniquely named, whose
// value is a tensor backed by the Param's own Value slice.
type Graph[T Float] struct {
	G      *G.ExprGraph
	nodes  map[*Param[T]]*G.Node
	params []*Param[T]
	names  map[string]*Param[T]
	// noParamGrads, when set, makes every block skip its parameters'
	// gradients: see SetParamGrads.
	noParamGrads *bool
}

// NewGraph returns an empty graph.
func NewGraph[T Float]() *Graph[T] {
	return &Graph[T]{G: G.NewGraph(), nodes: map[*Param[T]]*G.Node{}, names: map[string]*Param[T]{}, noParamGrads: new(bool)}
}

// Dtype is the gorgonia dtype of T.
func Dtype[T Float]() tensor.Dtype {
	var z T
	if _, ok := any(z).(float32); ok {
		return tensor.Float32
	}
	return tensor.Float64
}

// Param returns the node of p, creating it on first use. Two distinct
// Params with the same name are an error: gorgonia would merge their nodes.
func (g *Graph[T]) Param(p *Param[T]) (*G.Node, error) {
	if n, ok := g.nodes[p]; ok {
		return n, nil
	}
	if q, dup := g.names[p.Name]; dup && q != p {
		return nil, fmt.Errorf("mixedop: two parameters named %q in one graph", p.Name)
	}
	shape := append([]int(nil), p.Shape...)
	t := tensor.New(tensor.WithBacking(p.Value), tensor.WithShape(shape...))
	n := G.NewTensor(g.G, Dtype[T](), len(shape), G.WithShape(shape...), G.WithName(p.Name), G.WithValue(t))
	g.nodes[p] = n
	g.names[p.Name] = p
	g.params = append(g.params, p)
	return n, nil
}

// SetParamGrads turns the blocks' parameter gradients on (the default) or
// off for the following runs. Off, the blocks compute only the gradients of
// their activation inputs — all an architecture step needs to reach the
// alphas — and skip every weight-gradient kernel; the parameters' Grad and
// their gradient nodes then hold stale values.
func (g *Graph[T]) SetParamGrads(on bool) { *g.noParamGrads = !on }

// ParamGrads reports whether the parameters' gradients are on (see
// SetParamGrads).
func (g *Graph[T]) ParamGrads() bool { return !*g.noParamGrads }

// Params lists every parameter that has a node in g, in creation order.
func (g *Graph[T]) Params() []*Param[T] { return g.params }

// Apply adds b to the graph as one node reading the activation inputs (then
// b's parameters). needGrad[i] says whether input i needs a gradient (nil:
// all do); the image input of a network does not.
func (g *Graph[T]) Apply(b Block[T], needGrad []bool, inputs ...*G.Node) (*G.Node, error) {
	if needGrad == nil {
		needGrad = make([]bool, len(inputs))
		for i := range needGrad {
			needGrad[i] = true
		}
	}
	if len(needGrad) != len(inputs) {
		return nil, fmt.Errorf("mixedop: %s: %d gradient flags for %d inputs", b.Name(), len(needGrad), len(inputs))
	}
	children := append([]*G.Node(nil), inputs...)
	for _, p := range b.Params() {
		n, err := g.Param(p)
		if err != nil {
			return nil, err
		}
		children = append(children, n)
	}
	op := &blockOp[T]{b: b, id: opIDs.Add(1), nIn: len(inputs), needGrad: needGrad, params: b.Params(), noParamGrads: g.noParamGrads}
	op.gradT = make([]*tensor.Dense, len(op.params))
	op.gradS = make([][]T, len(op.params))
	for i, p := range op.params {
		op.gradT[i] = tensor.New(tensor.WithBacking(p.Grad), tensor.WithShape(append([]int(nil), p.Shape...)...))
		op.gradS[i] = p.Grad
	}
	var shapes []tensor.Shape
	for _, c := range children {
		op.inDims = append(op.inDims, c.Dims())
		shapes = append(shapes, c.Shape())
	}
	out, err := b.OutShape(shapes[:len(inputs)])
	if err != nil {
		return nil, fmt.Errorf("mixedop: %s: %w", b.Name(), err)
	}
	op.outDims = len(out)
	op.typ = fnType(op.inDims, op.outDims)
	n, err := G.ApplyOp(op, children...)
	if err != nil {
		return nil, fmt.Errorf("mixedop: %s: %w", b.Name(), err)
	}
	return n, nil
}

// blockOp is the gorgonia Op of a Block. Its output and gradient tensors are
// headers over the block's own buffers, made once and reused every run.
type blockOp[T Float] struct {
	b        Block[T]
	id       uint64
	nIn      int
	needGrad []bool
	inDims   []int
	outDims  int
	typ      hm.Type     // made once: gorgonia asks for it on every run
	params   []*Param[T] // b.Params(), made once
	inArg    [][]T
	shapeArg []tensor.Shape
	// skip[i], when set by a Machine, leaves input i's gradient out of
	// the backward of the running program: nothing reads it.
	skip []bool
	// noParamGrads is the graph's switch (Graph.SetParamGrads).
	noParamGrads *bool
	held         [][]T // parameters' Grad while detached

	gen, bwdGen uint64 // forward runs so far; the run whose backward is done
	shapes      []tensor.Shape
	out         *tensor.Dense
	outBuf      []T
	din         [][]T
	dinArg      [][]T
	dinT        []*tensor.Dense
	gradT       []*tensor.Dense
	gradS       [][]T // the slices gradT are headers over
	scratch     [][]T
}

func (op *blockOp[T]) Arity() int { return len(op.inDims) }

func fnType(inDims []int, outDims int) hm.Type {
	a := hm.TypeVariable('a')
	ts := make([]hm.Type, 0, len(inDims)+1)
	for _, d := range inDims {
		ts = append(ts, G.TensorType{Dims: d, Of: a})
	}
	ts = append(ts, G.TensorType{Dims: outDims, Of: a})
	return hm.NewFnType(ts...)
}

func (op *blockOp[T]) Type() hm.Type {
	if op.typ == nil {
		op.typ = fnType(op.inDims, op.outDims)
	}
	return op.typ
}

func toShapes(ds []G.DimSizer) ([]tensor.Shape, error) {
	out := make([]tensor.Shape, len(ds))
	for i, d := range ds {
		s, ok := d.(tensor.Shape)
		if !ok {
			return nil, fmt.Errorf("input %d has no shape", i)
		}
		out[i] = s
	}
	return out, nil
}

func (op *blockOp[T]) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	shapes, err := toShapes(ds)
	if err != nil {
		return nil, err
	}
	return op.b.OutShape(shapes[:op.nIn])
}

func (op *blockOp[T]) Do(vals ...G.Value) (G.Value, error) {
	if len(vals) != len(op.inDims) {
		return nil, fmt.Errorf("%s: got %d inputs, want %d", op.b.Name(), len(vals), len(op.inDims))
	}
	if op.inArg == nil {
		op.inArg = make([][]T, op.nIn)
	}
	if op.shapeArg == nil {
		op.shapeArg = make([]tensor.Shape, op.nIn)
	}
	for i := 0; i < op.nIn; i++ {
		d, ok := vals[i].(*tensor.Dense)
		if !ok {
			return nil, fmt.Errorf("%s: input %d is %T, want *tensor.Dense", op.b.Name(), i, vals[i])
		}
		s, ok := d.Data().([]T)
		if !ok {
			return nil, fmt.Errorf("%s: input %d has dtype %v", op.b.Name(), i, d.Dtype())
		}
		op.inArg[i] = s
		op.shapeArg[i] = d.Shape()
	}
	return op.forward(op.inArg, op.shapeArg)
}

// forward runs the block on the activation inputs in (of the given
// shapes) and returns the output tensor, a header over the block's buffer.
func (op *blockOp[T]) forward(in [][]T, shapes []tensor.Shape) (*tensor.Dense, error) {
	if op.shapes == nil {
		op.shapes = make([]tensor.Shape, op.nIn)
	}
	copy(op.shapes, shapes)
	out, err := op.b.Forward(in, op.shapes)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op.b.Name(), err)
	}
	op.gen++
	// The output must not alias an input: gorgonia assumes a fresh value.
	if len(out) > 0 {
		for _, x := range in {
			if len(x) > 0 && &x[0] == &out[0] {
				if len(op.scratch) == 0 || len(op.scratch[0]) != len(out) {
					op.scratch = [][]T{make([]T, len(out))}
				}
				copy(op.scratch[0], out)
				out = op.scratch[0]
			}
		}
	}
	if op.out == nil || len(op.outBuf) != len(out) || (len(out) > 0 && &op.outBuf[0] != &out[0]) {
		shape, err := op.b.OutShape(op.shapes)
		if err != nil {
			return nil, err
		}
		op.outBuf = out
		op.out = tensor.New(tensor.WithBacking(out), tensor.WithShape(shape...))
	}
	return op.out, nil
}

// backward runs the block's backward once per forward run, whichever
// gradient node executes first.
func (op *blockOp[T]) backward(dy []T) error {
	if op.bwdGen == op.gen {
		return nil
	}
	if op.din == nil {
		op.din = make([][]T, op.nIn)
		op.dinT = make([]*tensor.Dense, op.nIn)
	}
	if op.dinArg == nil {
		op.dinArg = make([][]T, op.nIn)
	}
	din := op.dinArg
	setter, set := op.b.(gradSetter[T])
	for i := 0; i < op.nIn; i++ {
		if !op.needGrad[i] || (op.skip != nil && op.skip[i]) {
			din[i] = nil
			continue
		}
		n := op.shapes[i].TotalSize()
		if len(op.din[i]) != n {
			op.din[i] = make([]T, n)
			op.dinT[i] = tensor.New(tensor.WithBacking(op.din[i]), tensor.WithShape(op.shapes[i].Clone()...))
		} else if !set {
			clear(op.din[i])
		}
		din[i] = op.din[i]
	}
	if *op.noParamGrads {
		// Detach the gradients: kernels skip a nil gradient.
		if op.held == nil {
			op.held = make([][]T, len(op.params))
		}
		for i, p := range op.params {
			op.held[i], p.Grad = p.Grad, nil
		}
		defer func() {
			for i, p := range op.params {
				p.Grad = op.held[i]
			}
		}()
	} else {
		for _, p := range op.params {
			clear(p.Grad)
		}
	}
	var err error
	if set {
		err = setter.backwardSet(dy, din)
	} else {
		err = op.b.Backward(dy, din)
	}
	if err != nil {
		return fmt.Errorf("%s backward: %w", op.b.Name(), err)
	}
	op.bwdGen = op.gen
	return nil
}

func (op *blockOp[T]) gradValue(idx int) G.Value {
	if idx < op.nIn {
		return op.dinT[idx]
	}
	return op.gradT[idx-op.nIn]
}

// gradData is the slice behind gradValue(idx).
func (op *blockOp[T]) gradData(idx int) (*tensor.Dense, []T) {
	if idx < op.nIn {
		return op.dinT[idx], op.din[idx]
	}
	return op.gradT[idx-op.nIn], op.gradS[idx-op.nIn]
}

func (op *blockOp[T]) ReturnsPtr() bool     { return false }
func (op *blockOp[T]) CallsExtern() bool    { return false }
func (op *blockOp[T]) OverwritesInput() int { return -1 }
func (op *blockOp[T]) WriteHash(h hash.Hash) {
	fmt.Fprintf(h, "darts-block-%d", op.id)
}
func (op *blockOp[T]) Hashcode() uint32 {
	h := fnv.New32a()
	op.WriteHash(h)
	return h.Sum32()
}
func (op *blockOp[T]) String() string { return op.b.Name() }

func (op *blockOp[T]) DiffWRT(n int) []bool {
	d := make([]bool, n)
	for i := range d {
		d[i] = i >= op.nIn || op.needGrad[i]
	}
	return d
}

func (op *blockOp[T]) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	res := make(G.Nodes, len(inputs))
	children := append(append(G.Nodes(nil), inputs...), grad)
	for i := range inputs {
		if i < op.nIn && !op.needGrad[i] {
			continue
		}
		gop := &blockGradOp[T]{fwd: op, idx: i}
		n, err := G.ApplyOp(gop, children...)
		if err != nil {
			return nil, fmt.Errorf("%s gradient %d: %w", op.b.Name(), i, err)
		}
		res[i] = n
	}
	return res, nil
}

// blockGradOp yields the gradient of one input of a blockOp. All of a
// block's gradient nodes share one backward computation.
type blockGradOp[T Float] struct {
	fwd *blockOp[T]
	idx int
	typ hm.Type
}

func (op *blockGradOp[T]) Arity() int { return len(op.fwd.inDims) + 1 }
func (op *blockGradOp[T]) Type() hm.Type {
	if op.typ == nil {
		in := append(append([]int(nil), op.fwd.inDims...), op.fwd.outDims)
		op.typ = fnType(in, op.fwd.inDims[op.idx])
	}
	return op.typ
}
func (op *blockGradOp[T]) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	s, ok := ds[op.idx].(tensor.Shape)
	if !ok {
		return nil, fmt.Errorf("input %d has no shape", op.idx)
	}
	return s.Clone(), nil
}
func (op *blockGradOp[T]) Do(vals ...G.Value) (G.Value, error) {
	d, ok := vals[len(vals)-1].(*tensor.Dense)
	if !ok {
		return nil, fmt.Errorf("%s gradient: upstream is %T", op.fwd.b.Name(), vals[len(vals)-1])
	}
	dy, ok := d.Data().([]T)
	if !ok {
		return nil, fmt.Errorf("%s gradient: upstream dtype %v", op.fwd.b.Name(), d.Dtype())
	}
	if err := op.fwd.backward(dy); err != nil {
		return nil, err
	}
	return op.fwd.gradValue(op.idx), nil
}
func (op *blockGradOp[T]) ReturnsPtr() bool     { return false }
func (op *blockGradOp[T]) CallsExtern() bool    { return false }
func (op *blockGradOp[T]) OverwritesInput() int { return -1 }
func (op *blockGradOp[T]) WriteHash(h hash.Hash) {
	fmt.Fprintf(h, "darts-block-grad-%d-%d", op.fwd.id, op.idx)
}
func (op *blockGradOp[T]) Hashcode() uint32 {
	h := fnv.New32a()
	op.WriteHash(h)
	return h.Sum32()
}
func (op *blockGradOp[T]) String() string {
	return fmt.Sprintf("∂%s/∂in%d", op.fwd.b.Name(), op.idx)
}
