package onnxref

import (
	"fmt"
	"math"
	"slices"

	"github.com/darts-go/darts/export/onnx"
)

// Tensor is a dense float32 array in C order.
type Tensor struct {
	Shape []int
	Data  []float32
}

func size(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

func newTensor(shape ...int) Tensor {
	return Tensor{Shape: shape, Data: make([]float32, size(shape))}
}

// MaxElements bounds the size of every value Run computes, so that a
// malformed model cannot make it allocate without limit.
const MaxElements = 1 << 28

// Run evaluates m on the given inputs (by input name) and returns every
// graph output by name. Input shapes must match the declared ones, with any
// size for a symbolic dimension. The model must pass m.InferShapes, and no
// value may have more than MaxElements elements.
func Run(m *onnx.Model, inputs map[string]Tensor) (map[string]Tensor, error) {
	shapes, err := m.InferShapes()
	if err != nil {
		return nil, err
	}
	batch := int64(1)
	for _, v := range m.Inputs {
		if x, ok := inputs[v.Name]; ok {
			for i, d := range v.Shape {
				if d.Param != "" && i < len(x.Shape) {
					batch = max(batch, int64(x.Shape[i]))
				}
			}
		}
	}
	for name, s := range shapes {
		n := int64(1)
		for _, d := range s {
			v := d.Value
			if d.Param != "" {
				v = batch
			}
			if v != 0 && n > MaxElements/v {
				return nil, fmt.Errorf("onnxref: value %q of shape %v is too large", name, s)
			}
			n *= v
		}
		if n > MaxElements {
			return nil, fmt.Errorf("onnxref: value %q of shape %v is too large", name, s)
		}
	}
	vals := map[string]Tensor{}
	ints := map[string][]int64{}
	for _, t := range m.Initializers {
		if t.DataType == onnx.Int64 {
			ints[t.Name] = t.Int64
			continue
		}
		shape := make([]int, len(t.Dims))
		for i, d := range t.Dims {
			shape[i] = int(d)
		}
		vals[t.Name] = Tensor{Shape: shape, Data: t.Float}
	}
	for _, v := range m.Inputs {
		x, ok := inputs[v.Name]
		if !ok {
			return nil, fmt.Errorf("onnxref: input %q not given", v.Name)
		}
		if len(x.Shape) != len(v.Shape) || size(x.Shape) != len(x.Data) {
			return nil, fmt.Errorf("onnxref: input %q has shape %v and %d values, declared %v", v.Name, x.Shape, len(x.Data), v.Shape)
		}
		for i, d := range v.Shape {
			if d.Param == "" && int64(x.Shape[i]) != d.Value {
				return nil, fmt.Errorf("onnxref: input %q has shape %v, declared %v", v.Name, x.Shape, v.Shape)
			}
		}
		vals[v.Name] = x
	}
	for i := range m.Nodes {
		n := &m.Nodes[i]
		in := make([]Tensor, len(n.Inputs))
		for j, name := range n.Inputs {
			if name == "" {
				continue
			}
			t, ok := vals[name]
			if !ok {
				if _, isInt := ints[name]; !isInt {
					return nil, fmt.Errorf("onnxref: node %q: value %q is missing", n.Name, name)
				}
			}
			in[j] = t
		}
		out, err := eval(n, in, ints)
		if err != nil {
			return nil, fmt.Errorf("onnxref: node %q (%s): %w", n.Name, n.OpType, err)
		}
		vals[n.Outputs[0]] = out
	}
	res := map[string]Tensor{}
	for _, v := range m.Outputs {
		res[v.Name] = vals[v.Name]
	}
	return res, nil
}

func intsAttr(n *onnx.Node, name string, def []int) []int {
	a, ok := n.Attr(name)
	if !ok {
		return def
	}
	out := make([]int, len(a.Ints))
	for i, v := range a.Ints {
		out[i] = int(v)
	}
	return out
}

func intAttr(n *onnx.Node, name string, def int) int {
	if a, ok := n.Attr(name); ok {
		return int(a.I)
	}
	return def
}

func eval(n *onnx.Node, in []Tensor, ints map[string][]int64) (Tensor, error) {
	switch n.OpType {
	case "Identity":
		return Tensor{Shape: in[0].Shape, Data: slices.Clone(in[0].Data)}, nil
	case "Relu":
		out := Tensor{Shape: in[0].Shape, Data: make([]float32, len(in[0].Data))}
		for i, v := range in[0].Data {
			out.Data[i] = max(v, 0)
		}
		return out, nil
	case "Add":
		return binary(in[0], in[1], func(a, b float64) float64 { return a + b })
	case "Sub":
		return binary(in[0], in[1], func(a, b float64) float64 { return a - b })
	case "Mul":
		return binary(in[0], in[1], func(a, b float64) float64 { return a * b })
	case "Div":
		return binary(in[0], in[1], func(a, b float64) float64 { return a / b })
	case "Sum":
		out := in[0]
		for _, t := range in[1:] {
			var err error
			if out, err = binary(out, t, func(a, b float64) float64 { return a + b }); err != nil {
				return Tensor{}, err
			}
		}
		return Tensor{Shape: out.Shape, Data: slices.Clone(out.Data)}, nil
	case "Conv":
		return conv(n, in)
	case "MaxPool", "AveragePool":
		return pool(n, in[0])
	case "BatchNormalization":
		return batchNorm(n, in)
	case "GlobalAveragePool":
		x := in[0]
		if len(x.Shape) != 4 {
			return Tensor{}, fmt.Errorf("rank %d, want 4", len(x.Shape))
		}
		N, C, H, W := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
		out := newTensor(N, C, 1, 1)
		for i := 0; i < N*C; i++ {
			s := 0.0
			for _, v := range x.Data[i*H*W : (i+1)*H*W] {
				s += float64(v)
			}
			out.Data[i] = float32(s / float64(H*W))
		}
		return out, nil
	case "Flatten":
		x := in[0]
		axis := intAttr(n, "axis", 1)
		if axis < 0 {
			axis += len(x.Shape)
		}
		if axis < 0 || axis > len(x.Shape) {
			return Tensor{}, fmt.Errorf("axis %d", axis)
		}
		return Tensor{Shape: []int{size(x.Shape[:axis]), size(x.Shape[axis:])}, Data: slices.Clone(x.Data)}, nil
	case "Gemm":
		return gemm(n, in)
	case "Concat":
		return concat(n, in)
	case "Slice":
		return slice(n, in[0], ints)
	case "Pad":
		return pad(n, in[0], ints)
	}
	return Tensor{}, fmt.Errorf("op %q is not supported", n.OpType)
}

// binary applies f elementwise with numpy broadcasting.
func binary(a, b Tensor, f func(a, b float64) float64) (Tensor, error) {
	r := max(len(a.Shape), len(b.Shape))
	pa, pb := padShape(a.Shape, r), padShape(b.Shape, r)
	shape := make([]int, r)
	for i := range shape {
		switch {
		case pa[i] == pb[i]:
			shape[i] = pa[i]
		case pa[i] == 1:
			shape[i] = pb[i]
		case pb[i] == 1:
			shape[i] = pa[i]
		default:
			return Tensor{}, fmt.Errorf("shapes %v and %v do not broadcast", a.Shape, b.Shape)
		}
	}
	sa, sb := bstrides(pa, shape), bstrides(pb, shape)
	out := newTensor(shape...)
	idx := make([]int, r)
	for i := range out.Data {
		ia, ib := 0, 0
		for k := range idx {
			ia += idx[k] * sa[k]
			ib += idx[k] * sb[k]
		}
		out.Data[i] = float32(f(float64(a.Data[ia]), float64(b.Data[ib])))
		for k := r - 1; k >= 0; k-- {
			idx[k]++
			if idx[k] < shape[k] {
				break
			}
			idx[k] = 0
		}
	}
	return out, nil
}

func padShape(s []int, r int) []int {
	out := make([]int, r-len(s), r)
	for i := range out {
		out[i] = 1
	}
	return append(out, s...)
}

// bstrides are the C-order strides of shape s, 0 where s broadcasts.
func bstrides(s, to []int) []int {
	st := make([]int, len(s))
	acc := 1
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == 1 && to[i] != 1 {
			st[i] = 0
		} else {
			st[i] = acc
		}
		acc *= s[i]
	}
	return st
}

func conv(n *onnx.Node, in []Tensor) (Tensor, error) {
	x, w := in[0], in[1]
	if len(x.Shape) != 4 || len(w.Shape) != 4 {
		return Tensor{}, fmt.Errorf("only 2-d convolution in NCHW is supported")
	}
	N, C, H, W := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	M, Cg, KH, KW := w.Shape[0], w.Shape[1], w.Shape[2], w.Shape[3]
	g := intAttr(n, "group", 1)
	s := intsAttr(n, "strides", []int{1, 1})
	p := intsAttr(n, "pads", []int{0, 0, 0, 0})
	d := intsAttr(n, "dilations", []int{1, 1})
	if g < 1 || Cg*g != C || M%g != 0 {
		return Tensor{}, fmt.Errorf("channels %d, weight %v, group %d", C, w.Shape, g)
	}
	OH := (H+p[0]+p[2]-d[0]*(KH-1)-1)/s[0] + 1
	OW := (W+p[1]+p[3]-d[1]*(KW-1)-1)/s[1] + 1
	out := newTensor(N, M, OH, OW)
	mPerG := M / g
	for b := 0; b < N; b++ {
		for m := 0; m < M; m++ {
			c0 := (m / mPerG) * Cg
			for oh := 0; oh < OH; oh++ {
				for ow := 0; ow < OW; ow++ {
					acc := 0.0
					if len(in) > 2 && in[2].Data != nil {
						acc = float64(in[2].Data[m])
					}
					for c := 0; c < Cg; c++ {
						for kh := 0; kh < KH; kh++ {
							ih := oh*s[0] - p[0] + kh*d[0]
							if ih < 0 || ih >= H {
								continue
							}
							for kw := 0; kw < KW; kw++ {
								iw := ow*s[1] - p[1] + kw*d[1]
								if iw < 0 || iw >= W {
									continue
								}
								acc += float64(x.Data[((b*C+c0+c)*H+ih)*W+iw]) * float64(w.Data[((m*Cg+c)*KH+kh)*KW+kw])
							}
						}
					}
					out.Data[((b*M+m)*OH+oh)*OW+ow] = float32(acc)
				}
			}
		}
	}
	return out, nil
}

func pool(n *onnx.Node, x Tensor) (Tensor, error) {
	if len(x.Shape) != 4 {
		return Tensor{}, fmt.Errorf("only 2-d pooling in NCHW is supported")
	}
	if intAttr(n, "ceil_mode", 0) != 0 {
		return Tensor{}, fmt.Errorf("ceil_mode is not supported")
	}
	N, C, H, W := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	k := intsAttr(n, "kernel_shape", nil)
	if len(k) != 2 {
		return Tensor{}, fmt.Errorf("kernel_shape %v", k)
	}
	s := intsAttr(n, "strides", []int{1, 1})
	p := intsAttr(n, "pads", []int{0, 0, 0, 0})
	isMax := n.OpType == "MaxPool"
	includePad := intAttr(n, "count_include_pad", 0) != 0
	OH := (H+p[0]+p[2]-k[0])/s[0] + 1
	OW := (W+p[1]+p[3]-k[1])/s[1] + 1
	out := newTensor(N, C, OH, OW)
	for bc := 0; bc < N*C; bc++ {
		for oh := 0; oh < OH; oh++ {
			for ow := 0; ow < OW; ow++ {
				acc, cnt := 0.0, 0
				best := math.Inf(-1)
				for kh := 0; kh < k[0]; kh++ {
					ih := oh*s[0] - p[0] + kh
					for kw := 0; kw < k[1]; kw++ {
						iw := ow*s[1] - p[1] + kw
						if ih < 0 || ih >= H || iw < 0 || iw >= W {
							continue
						}
						v := float64(x.Data[(bc*H+ih)*W+iw])
						acc += v
						best = max(best, v)
						cnt++
					}
				}
				var r float64
				switch {
				case isMax:
					r = best
				case includePad:
					r = acc / float64(k[0]*k[1])
				default:
					r = acc / float64(cnt)
				}
				out.Data[(bc*OH+oh)*OW+ow] = float32(r)
			}
		}
	}
	return out, nil
}

func batchNorm(n *onnx.Node, in []Tensor) (Tensor, error) {
	x := in[0]
	if len(x.Shape) < 2 {
		return Tensor{}, fmt.Errorf("rank %d", len(x.Shape))
	}
	eps := 1e-5
	if a, ok := n.Attr("epsilon"); ok {
		eps = float64(a.F)
	}
	C := x.Shape[1]
	for i := 1; i < 5; i++ {
		if len(in[i].Data) != C {
			return Tensor{}, fmt.Errorf("parameter %d has %d values for %d channels", i, len(in[i].Data), C)
		}
	}
	inner := size(x.Shape[2:])
	out := newTensor(x.Shape...)
	for i, v := range x.Data {
		c := (i / inner) % C
		mean, variance := float64(in[3].Data[c]), float64(in[4].Data[c])
		out.Data[i] = float32((float64(v)-mean)/math.Sqrt(variance+eps)*float64(in[1].Data[c]) + float64(in[2].Data[c]))
	}
	return out, nil
}

func gemm(n *onnx.Node, in []Tensor) (Tensor, error) {
	a, w := in[0], in[1]
	if len(a.Shape) != 2 || len(w.Shape) != 2 || intAttr(n, "transA", 0) != 0 {
		return Tensor{}, fmt.Errorf("Gemm of %v and %v", a.Shape, w.Shape)
	}
	alpha, beta := 1.0, 1.0
	if at, ok := n.Attr("alpha"); ok {
		alpha = float64(at.F)
	}
	if bt, ok := n.Attr("beta"); ok {
		beta = float64(bt.F)
	}
	M, K := a.Shape[0], a.Shape[1]
	transB := intAttr(n, "transB", 0) != 0
	var NN int
	if transB {
		NN = w.Shape[0]
		if w.Shape[1] != K {
			return Tensor{}, fmt.Errorf("Gemm of %v and %vᵀ", a.Shape, w.Shape)
		}
	} else {
		NN = w.Shape[1]
		if w.Shape[0] != K {
			return Tensor{}, fmt.Errorf("Gemm of %v and %v", a.Shape, w.Shape)
		}
	}
	out := newTensor(M, NN)
	for i := 0; i < M; i++ {
		for j := 0; j < NN; j++ {
			acc := 0.0
			for k := 0; k < K; k++ {
				wv := w.Data[k*NN+j]
				if transB {
					wv = w.Data[j*K+k]
				}
				acc += float64(a.Data[i*K+k]) * float64(wv)
			}
			out.Data[i*NN+j] = float32(alpha * acc)
		}
	}
	if len(in) > 2 && in[2].Data != nil {
		c, err := binary(out, in[2], func(x, c float64) float64 { return x + beta*c })
		if err != nil {
			return Tensor{}, err
		}
		if !slices.Equal(c.Shape, out.Shape) {
			return Tensor{}, fmt.Errorf("bias %v for output %v", in[2].Shape, out.Shape)
		}
		return c, nil
	}
	return out, nil
}

func concat(n *onnx.Node, in []Tensor) (Tensor, error) {
	a, ok := n.Attr("axis")
	if !ok {
		return Tensor{}, fmt.Errorf("no axis")
	}
	r := len(in[0].Shape)
	axis := int(a.I)
	if axis < 0 {
		axis += r
	}
	if axis < 0 || axis >= r {
		return Tensor{}, fmt.Errorf("axis %d for rank %d", a.I, r)
	}
	shape := slices.Clone(in[0].Shape)
	shape[axis] = 0
	for _, t := range in {
		if len(t.Shape) != r {
			return Tensor{}, fmt.Errorf("ranks differ")
		}
		for i := range t.Shape {
			if i != axis && t.Shape[i] != in[0].Shape[i] {
				return Tensor{}, fmt.Errorf("shapes %v and %v differ off the axis", in[0].Shape, t.Shape)
			}
		}
		shape[axis] += t.Shape[axis]
	}
	outer := size(shape[:axis])
	out := Tensor{Shape: shape, Data: make([]float32, 0, size(shape))}
	for o := 0; o < outer; o++ {
		for _, t := range in {
			chunk := size(t.Shape[axis:])
			out.Data = append(out.Data, t.Data[o*chunk:(o+1)*chunk]...)
		}
	}
	return out, nil
}

func constInts(n *onnx.Node, i int, ints map[string][]int64) ([]int64, bool) {
	if i >= len(n.Inputs) || n.Inputs[i] == "" {
		return nil, false
	}
	v, ok := ints[n.Inputs[i]]
	return v, ok
}

func slice(n *onnx.Node, x Tensor, ints map[string][]int64) (Tensor, error) {
	starts, ok1 := constInts(n, 1, ints)
	ends, ok2 := constInts(n, 2, ints)
	if !ok1 || !ok2 || len(starts) != len(ends) {
		return Tensor{}, fmt.Errorf("starts and ends must be int64 initializers of one length")
	}
	axes, ok := constInts(n, 3, ints)
	if !ok {
		axes = nil
		for i := range starts {
			axes = append(axes, int64(i))
		}
	}
	if steps, ok := constInts(n, 4, ints); ok {
		for _, s := range steps {
			if s != 1 {
				return Tensor{}, fmt.Errorf("steps other than 1 are not supported")
			}
		}
	}
	if len(axes) != len(starts) {
		return Tensor{}, fmt.Errorf("%d axes for %d starts", len(axes), len(starts))
	}
	r := len(x.Shape)
	lo := make([]int, r)
	hi := slices.Clone(x.Shape)
	for i, ax := range axes {
		if ax < 0 {
			ax += int64(r)
		}
		if ax < 0 || ax >= int64(r) {
			return Tensor{}, fmt.Errorf("axis %d", axes[i])
		}
		l, h := onnx.SliceRange(int64(x.Shape[ax]), starts[i], ends[i])
		lo[ax], hi[ax] = int(l), int(max(h, l))
	}
	shape := make([]int, r)
	for i := range shape {
		shape[i] = hi[i] - lo[i]
	}
	out := newTensor(shape...)
	src := bstrides(x.Shape, x.Shape)
	idx := make([]int, r)
	for i := range out.Data {
		off := 0
		for k := range idx {
			off += (idx[k] + lo[k]) * src[k]
		}
		out.Data[i] = x.Data[off]
		for k := r - 1; k >= 0; k-- {
			idx[k]++
			if idx[k] < shape[k] {
				break
			}
			idx[k] = 0
		}
	}
	return out, nil
}

func pad(n *onnx.Node, x Tensor, ints map[string][]int64) (Tensor, error) {
	pads, ok := constInts(n, 1, ints)
	r := len(x.Shape)
	if !ok || len(pads) != 2*r {
		return Tensor{}, fmt.Errorf("pads must be an int64 initializer of %d values", 2*r)
	}
	if a, ok := n.Attr("mode"); ok && a.S != "constant" {
		return Tensor{}, fmt.Errorf("mode %q", a.S)
	}
	if len(n.Inputs) > 2 && n.Inputs[2] != "" {
		return Tensor{}, fmt.Errorf("a constant_value input is not supported")
	}
	shape := make([]int, r)
	for i := range shape {
		if pads[i] < 0 || pads[r+i] < 0 {
			return Tensor{}, fmt.Errorf("negative pads")
		}
		shape[i] = x.Shape[i] + int(pads[i]+pads[r+i])
	}
	out := newTensor(shape...)
	dst := bstrides(shape, shape)
	idx := make([]int, r)
	for i := range x.Data {
		off := 0
		for k := range idx {
			off += (idx[k] + int(pads[k])) * dst[k]
		}
		out.Data[off] = x.Data[i]
		for k := r - 1; k >= 0; k-- {
			idx[k]++
			if idx[k] < x.Shape[k] {
				break
			}
			idx[k] = 0
		}
	}
	return out, nil
}
