package onnx

import (
	"fmt"
	"math"
	"slices"
)

// InferShapes computes the shape of every value in the graph from the
// input shapes and initializers, for the ops Builder writes, and checks that
// the declared outputs agree. It is a sanity check of what is about to be
// exported (channel counts, kernel sizes, Concat and Add operands), much
// smaller than ONNX's own shape inference: only the first dimension may be
// symbolic, and an op it does not know is an error.
func (m *Model) InferShapes() (map[string][]Dim, error) {
	if err := m.Check(); err != nil {
		return nil, err
	}
	shapes := map[string][]Dim{}
	consts := map[string]*Tensor{}
	for i := range m.Initializers {
		t := &m.Initializers[i]
		shapes[t.Name] = fixed(t.Dims)
		consts[t.Name] = t
	}
	for _, v := range m.Inputs {
		shapes[v.Name] = v.Shape
	}
	for i := range m.Nodes {
		n := &m.Nodes[i]
		in := make([][]Dim, len(n.Inputs))
		for j, name := range n.Inputs {
			if name != "" {
				in[j] = shapes[name]
			}
		}
		out, err := inferNode(n, in, consts)
		if err != nil {
			return nil, fmt.Errorf("%w: node %q (%s): %v", ErrInvalid, n.Name, n.OpType, err)
		}
		shapes[n.Outputs[0]] = out
	}
	for _, v := range m.Outputs {
		got := shapes[v.Name]
		if !sameShape(got, v.Shape) {
			return nil, fmt.Errorf("%w: output %q is declared %v but computes to %v", ErrInvalid, v.Name, v.Shape, got)
		}
	}
	return shapes, nil
}

func fixed(dims []int64) []Dim {
	s := make([]Dim, len(dims))
	for i, d := range dims {
		s[i] = Dim{Value: d}
	}
	return s
}

func sameShape(a, b []Dim) bool {
	return slices.Equal(a, b)
}

func ints(n *Node, name string, def []int64) []int64 {
	if a, ok := n.Attr(name); ok && a.Type == AttrInts {
		return a.Ints
	}
	return def
}

func intAttr(n *Node, name string, def int64) int64 {
	if a, ok := n.Attr(name); ok && a.Type == AttrInt {
		return a.I
	}
	return def
}

func repeat(v int64, k int) []int64 {
	s := make([]int64, k)
	for i := range s {
		s[i] = v
	}
	return s
}

// window computes the spatial output sizes of Conv and the pools
// (ceil_mode 0, auto_pad NOTSET).
func window(x []Dim, kernel, strides, pads, dil []int64) ([]Dim, error) {
	k := len(x) - 2
	if k < 1 || len(kernel) != k || len(strides) != k || len(pads) != 2*k || len(dil) != k {
		return nil, fmt.Errorf("input rank %d does not fit kernel %v, strides %v, pads %v, dilations %v", len(x), kernel, strides, pads, dil)
	}
	out := slices.Clone(x[:2])
	for i := 0; i < k; i++ {
		d := x[2+i]
		if d.Param != "" {
			return nil, fmt.Errorf("spatial dimension %d is symbolic", i)
		}
		if strides[i] < 1 || dil[i] < 1 || kernel[i] < 1 || pads[i] < 0 || pads[k+i] < 0 {
			return nil, fmt.Errorf("bad kernel %v, strides %v, pads %v or dilations %v", kernel, strides, pads, dil)
		}
		span := dil[i]*(kernel[i]-1) + 1
		w := d.Value + pads[i] + pads[k+i] - span
		if w < 0 {
			return nil, fmt.Errorf("kernel span %d exceeds padded size %d", span, d.Value+pads[i]+pads[k+i])
		}
		out = append(out, Dim{Value: w/strides[i] + 1})
	}
	return out, nil
}

func need(in [][]Dim, n int) error {
	if len(in) < n {
		return fmt.Errorf("%d inputs, want %d", len(in), n)
	}
	for i := 0; i < n; i++ {
		if in[i] == nil {
			return fmt.Errorf("input %d is missing", i)
		}
	}
	return nil
}

// broadcast applies numpy's rule to two shapes.
func broadcast(a, b []Dim) ([]Dim, error) {
	if len(a) < len(b) {
		a, b = b, a
	}
	out := slices.Clone(a)
	off := len(a) - len(b)
	for i, d := range b {
		o := out[off+i]
		switch {
		case d == o:
		case d == Dim{Value: 1}:
		case o == Dim{Value: 1}:
			out[off+i] = d
		default:
			return nil, fmt.Errorf("shapes %v and %v do not broadcast", a, b)
		}
	}
	return out, nil
}

// knownAttrs lists, per op, the attributes InferShapes and onnxref
// understand, with the only value accepted where just one is (0 for ints,
// "NOTSET" for auto_pad; dilations of a pool must be all 1).
var knownAttrs = map[string][]string{
	"Conv":               {"auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"},
	"MaxPool":            {"auto_pad", "ceil_mode", "dilations", "kernel_shape", "pads", "storage_order", "strides"},
	"AveragePool":        {"auto_pad", "ceil_mode", "count_include_pad", "kernel_shape", "pads", "strides"},
	"BatchNormalization": {"epsilon", "momentum", "training_mode"},
	"Flatten":            {"axis"},
	"Gemm":               {"alpha", "beta", "transA", "transB"},
	"Concat":             {"axis"},
	"Pad":                {"mode"},
}

func checkAttrs(n *Node) error {
	for _, a := range n.Attrs {
		if !slices.Contains(knownAttrs[n.OpType], a.Name) {
			return fmt.Errorf("attribute %q is not supported", a.Name)
		}
		switch a.Name {
		case "auto_pad":
			if a.S != "NOTSET" {
				return fmt.Errorf("auto_pad %q is not supported (only NOTSET)", a.S)
			}
		case "ceil_mode", "storage_order", "training_mode", "transA":
			if a.Type != AttrInt || a.I != 0 {
				return fmt.Errorf("%s other than 0 is not supported", a.Name)
			}
		case "dilations":
			if n.OpType == "MaxPool" {
				for _, d := range a.Ints {
					if d != 1 {
						return fmt.Errorf("MaxPool dilations %v are not supported", a.Ints)
					}
				}
			}
		}
	}
	return nil
}

func inferNode(n *Node, in [][]Dim, consts map[string]*Tensor) ([]Dim, error) {
	if len(n.Outputs) != 1 {
		return nil, fmt.Errorf("%d outputs, want 1", len(n.Outputs))
	}
	if err := checkAttrs(n); err != nil {
		return nil, err
	}
	switch n.OpType {
	case "Relu", "Identity":
		if err := need(in, 1); err != nil {
			return nil, err
		}
		return in[0], nil
	case "Add", "Sub", "Mul", "Div":
		if err := need(in, 2); err != nil {
			return nil, err
		}
		return broadcast(in[0], in[1])
	case "Sum":
		if err := need(in, max(1, len(in))); err != nil {
			return nil, err
		}
		out := in[0]
		for _, s := range in[1:] {
			var err error
			if out, err = broadcast(out, s); err != nil {
				return nil, err
			}
		}
		return out, nil
	case "Conv":
		if err := need(in, 2); err != nil {
			return nil, err
		}
		x, w := in[0], in[1]
		if len(x) != len(w) || len(x) < 3 {
			return nil, fmt.Errorf("input %v and weight %v ranks differ", x, w)
		}
		k := len(x) - 2
		group := intAttr(n, "group", 1)
		kernel := ints(n, "kernel_shape", nil)
		wk := make([]int64, k)
		for i := range wk {
			wk[i] = w[2+i].Value
		}
		if kernel == nil {
			kernel = wk
		}
		if !slices.Equal(kernel, wk) {
			return nil, fmt.Errorf("kernel_shape %v but weight %v", kernel, w)
		}
		if group < 1 || x[1].Param != "" || x[1].Value != w[1].Value*group || w[0].Value%group != 0 {
			return nil, fmt.Errorf("input channels %v do not match weight %v with group %d", x[1], w, group)
		}
		if len(in) > 2 && in[2] != nil && !sameShape(in[2], []Dim{w[0]}) {
			return nil, fmt.Errorf("bias %v for %v output channels", in[2], w[0])
		}
		out, err := window(x, kernel, ints(n, "strides", repeat(1, k)), ints(n, "pads", repeat(0, 2*k)), ints(n, "dilations", repeat(1, k)))
		if err != nil {
			return nil, err
		}
		out[1] = w[0]
		return out, nil
	case "MaxPool", "AveragePool":
		if err := need(in, 1); err != nil {
			return nil, err
		}
		k := len(in[0]) - 2
		if intAttr(n, "ceil_mode", 0) != 0 {
			return nil, fmt.Errorf("ceil_mode 1 is not supported")
		}
		return window(in[0], ints(n, "kernel_shape", nil), ints(n, "strides", repeat(1, k)), ints(n, "pads", repeat(0, 2*max(k, 0))), repeat(1, k))
	case "BatchNormalization":
		if err := need(in, 5); err != nil {
			return nil, err
		}
		if len(in[0]) < 2 {
			return nil, fmt.Errorf("input rank %d", len(in[0]))
		}
		for i := 1; i < 5; i++ {
			if !sameShape(in[i], []Dim{in[0][1]}) {
				return nil, fmt.Errorf("parameter %d has shape %v, want [%v]", i, in[i], in[0][1])
			}
		}
		return in[0], nil
	case "GlobalAveragePool":
		if err := need(in, 1); err != nil {
			return nil, err
		}
		out := slices.Clone(in[0])
		for i := 2; i < len(out); i++ {
			out[i] = Dim{Value: 1}
		}
		return out, nil
	case "Flatten":
		if err := need(in, 1); err != nil {
			return nil, err
		}
		x := in[0]
		axis := intAttr(n, "axis", 1)
		if axis < 0 {
			axis += int64(len(x))
		}
		if axis < 0 || axis > int64(len(x)) {
			return nil, fmt.Errorf("axis %d for rank %d", axis, len(x))
		}
		prod := func(ds []Dim) Dim {
			if len(ds) == 1 {
				return ds[0]
			}
			p := int64(1)
			for _, d := range ds {
				if d.Param != "" {
					return Dim{Param: "?"}
				}
				p *= d.Value
			}
			return Dim{Value: p}
		}
		return []Dim{prod(x[:axis]), prod(x[axis:])}, nil
	case "Gemm":
		if err := need(in, 2); err != nil {
			return nil, err
		}
		a, w := in[0], in[1]
		if len(a) != 2 || len(w) != 2 {
			return nil, fmt.Errorf("Gemm needs 2-d operands, got %v and %v", a, w)
		}
		if intAttr(n, "transA", 0) != 0 {
			return nil, fmt.Errorf("transA is not supported")
		}
		kk, nn := w[0], w[1]
		if intAttr(n, "transB", 0) != 0 {
			kk, nn = w[1], w[0]
		}
		if a[1] != kk {
			return nil, fmt.Errorf("A %v times B %v (transB %d) do not fit", a, w, intAttr(n, "transB", 0))
		}
		out := []Dim{a[0], nn}
		if len(in) > 2 && in[2] != nil {
			if b, err := broadcast(out, in[2]); err != nil || !sameShape(b, out) {
				return nil, fmt.Errorf("bias %v does not broadcast to %v", in[2], out)
			}
		}
		return out, nil
	case "Concat":
		if err := need(in, max(1, len(in))); err != nil {
			return nil, err
		}
		axis := intAttr(n, "axis", math.MinInt64)
		if axis == math.MinInt64 {
			return nil, fmt.Errorf("Concat needs an axis")
		}
		r := int64(len(in[0]))
		if axis < 0 {
			axis += r
		}
		if axis < 0 || axis >= r {
			return nil, fmt.Errorf("axis %d for rank %d", axis, r)
		}
		out := slices.Clone(in[0])
		for _, s := range in[1:] {
			if int64(len(s)) != r {
				return nil, fmt.Errorf("ranks differ: %v and %v", in[0], s)
			}
			for i := range s {
				if int64(i) == axis {
					if s[i].Param != "" || out[i].Param != "" {
						return nil, fmt.Errorf("symbolic concat axis")
					}
					out[i].Value += s[i].Value
				} else if s[i] != out[i] {
					return nil, fmt.Errorf("shapes %v and %v differ off axis %d", in[0], s, axis)
				}
			}
		}
		return out, nil
	case "Slice":
		if err := need(in, 3); err != nil {
			return nil, err
		}
		get := func(i int) ([]int64, error) {
			if i >= len(n.Inputs) || n.Inputs[i] == "" {
				return nil, nil
			}
			t := consts[n.Inputs[i]]
			if t == nil || t.DataType != Int64 {
				return nil, fmt.Errorf("input %d must be an int64 initializer", i)
			}
			return t.Int64, nil
		}
		starts, err := get(1)
		if err != nil {
			return nil, err
		}
		ends, err := get(2)
		if err != nil {
			return nil, err
		}
		axes, err := get(3)
		if err != nil {
			return nil, err
		}
		steps, err := get(4)
		if err != nil {
			return nil, err
		}
		x := in[0]
		if axes == nil {
			for i := range starts {
				axes = append(axes, int64(i))
			}
		}
		if len(ends) != len(starts) || len(axes) != len(starts) || (steps != nil && len(steps) != len(starts)) {
			return nil, fmt.Errorf("starts %v, ends %v, axes %v, steps %v differ in length", starts, ends, axes, steps)
		}
		out := slices.Clone(x)
		for i, ax := range axes {
			if ax < 0 {
				ax += int64(len(x))
			}
			if ax < 0 || ax >= int64(len(x)) || x[ax].Param != "" {
				return nil, fmt.Errorf("axis %d of %v cannot be sliced", axes[i], x)
			}
			step := int64(1)
			if steps != nil {
				step = steps[i]
			}
			if step < 1 {
				return nil, fmt.Errorf("step %d is not supported", step)
			}
			lo, hi := SliceRange(x[ax].Value, starts[i], ends[i])
			out[ax] = Dim{Value: (max(hi-lo, 0) + step - 1) / step}
		}
		return out, nil
	case "Pad":
		if err := need(in, 2); err != nil {
			return nil, err
		}
		t := consts[n.Inputs[1]]
		x := in[0]
		if t == nil || t.DataType != Int64 || len(t.Int64) != 2*len(x) {
			return nil, fmt.Errorf("pads must be an int64 initializer of %d values", 2*len(x))
		}
		if a, ok := n.Attr("mode"); ok && a.S != "constant" {
			return nil, fmt.Errorf("mode %q is not supported", a.S)
		}
		out := slices.Clone(x)
		for i := range x {
			b, e := t.Int64[i], t.Int64[len(x)+i]
			if b == 0 && e == 0 {
				continue
			}
			if x[i].Param != "" || b < 0 || e < 0 {
				return nil, fmt.Errorf("cannot pad axis %d of %v by %d,%d", i, x, b, e)
			}
			out[i].Value += b + e
		}
		return out, nil
	}
	return nil, fmt.Errorf("op %q is not known to InferShapes", n.OpType)
}

// SliceRange clamps ONNX Slice's start and end (negative counts from the
// back) for a dimension of size d and positive step, as opset 13 specifies.
func SliceRange(d, start, end int64) (lo, hi int64) {
	clamp := func(v int64) int64 {
		if v < 0 {
			v += d
		}
		return min(max(v, 0), d)
	}
	return clamp(start), clamp(end)
}
