package supernet

import (
	"fmt"
	"math"

	"github.com/darts-go/darts/internal/kern"
	"github.com/darts-go/darts/mixedop"
	"gorgonia.org/tensor"
)

type Float = mixedop.Float

func grow[T Float](b []T, n int) []T {
	if cap(b) >= n {
		return b[:n]
	}
	return make([]T, n)
}

// sumBlock adds its NCHW inputs: an intermediate node of a cell.
type sumBlock[T Float] struct {
	label                string
	mixedop.PlacedOut[T] // the backward does not read the sum
}

// BackwardReadsInput implements mixedop.InputReader: the gradient of a sum
// is dy for every term.
func (b *sumBlock[T]) BackwardReadsInput(int) bool { return false }

func (b *sumBlock[T]) Name() string                { return b.label }
func (b *sumBlock[T]) Params() []*mixedop.Param[T] { return nil }
func (b *sumBlock[T]) OutShape(in []tensor.Shape) (tensor.Shape, error) {
	for _, s := range in[1:] {
		if !s.Eq(in[0]) {
			return nil, fmt.Errorf("%s: adding shapes %v and %v", b.label, in[0], s)
		}
	}
	return in[0].Clone(), nil
}
func (b *sumBlock[T]) Forward(in [][]T, _ []tensor.Shape) ([]T, error) {
	y := b.Get(len(in[0]))
	if len(in) == 1 {
		copy(y, in[0])
		return y, nil
	}
	// In order, each sum rounded once: in[0] + in[1] + ….
	kern.Add(in[0], in[1], y)
	for _, x := range in[2:] {
		kern.Add(y, x, y)
	}
	return y, nil
}
func (b *sumBlock[T]) Backward(dy []T, din [][]T) error {
	for _, d := range din {
		if d == nil {
			continue
		}
		kern.Add(d, dy, d)
	}
	return nil
}

// concatBlock concatenates NCHW inputs along the channels: a cell's output.
type concatBlock[T Float] struct {
	label                string
	mixedop.PlacedOut[T] // the backward does not read the concatenation
	shapes               []tensor.Shape
}

// BackwardReadsInput implements mixedop.InputReader: the backward slices
// dy.
func (b *concatBlock[T]) BackwardReadsInput(int) bool { return false }

func (b *concatBlock[T]) Name() string                { return b.label }
func (b *concatBlock[T]) Params() []*mixedop.Param[T] { return nil }
func (b *concatBlock[T]) OutShape(in []tensor.Shape) (tensor.Shape, error) {
	out := in[0].Clone()
	for _, s := range in[1:] {
		if len(s) != 4 || s[0] != out[0] || s[2] != out[2] || s[3] != out[3] {
			return nil, fmt.Errorf("%s: concatenating shapes %v and %v", b.label, in[0], s)
		}
		out[1] += s[1]
	}
	return out, nil
}
func (b *concatBlock[T]) Forward(in [][]T, shapes []tensor.Shape) ([]T, error) {
	b.shapes = shapes
	out, err := b.OutShape(shapes)
	if err != nil {
		return nil, err
	}
	y := b.Get(out.TotalSize())
	n, plane := out[0], out[2]*out[3]
	off := 0
	for i, x := range in {
		c := shapes[i][1] * plane
		for k := 0; k < n; k++ {
			copy(y[k*out[1]*plane+off:][:c], x[k*c:][:c])
		}
		off += c
	}
	return y, nil
}
func (b *concatBlock[T]) Backward(dy []T, din [][]T) error {
	n, plane := b.shapes[0][0], b.shapes[0][2]*b.shapes[0][3]
	total := 0
	for _, s := range b.shapes {
		total += s[1]
	}
	off := 0
	for i, d := range din {
		c := b.shapes[i][1] * plane
		if d != nil {
			kern.AddRows(dy[off:], d, n, c, total*plane)
		}
		off += c
	}
	return nil
}

// classifier is global average pooling followed by a linear layer:
// (N,C,H,W) → (N,K).
type classifier[T Float] struct {
	w, b   *mixedop.Param[T]
	c, k   int
	n, p   int
	pooled []T
	y      []T
}

func newClassifier[T Float](c, k int) *classifier[T] {
	return &classifier[T]{c: c, k: k,
		w: &mixedop.Param[T]{Name: "classifier.weight", Shape: []int{k, c}, Value: make([]T, k*c), Grad: make([]T, k*c)},
		b: &mixedop.Param[T]{Name: "classifier.bias", Shape: []int{k}, Value: make([]T, k), Grad: make([]T, k)},
	}
}

func (b *classifier[T]) Name() string                { return "classifier" }
func (b *classifier[T]) Params() []*mixedop.Param[T] { return []*mixedop.Param[T]{b.w, b.b} }
func (b *classifier[T]) OutShape(in []tensor.Shape) (tensor.Shape, error) {
	if len(in[0]) != 4 || in[0][1] != b.c {
		return nil, fmt.Errorf("classifier: input shape %v, want (N,%d,H,W)", in[0], b.c)
	}
	return tensor.Shape{in[0][0], b.k}, nil
}
func (b *classifier[T]) Forward(in [][]T, s []tensor.Shape) ([]T, error) {
	b.n, b.p = s[0][0], s[0][2]*s[0][3]
	b.pooled = grow(b.pooled, b.n*b.c)
	x := in[0]
	for i := range b.pooled {
		var acc T
		for _, v := range x[i*b.p : (i+1)*b.p] {
			acc += v
		}
		b.pooled[i] = acc / T(b.p)
	}
	b.y = grow(b.y, b.n*b.k)
	for n := 0; n < b.n; n++ {
		f := b.pooled[n*b.c : (n+1)*b.c]
		for j := 0; j < b.k; j++ {
			acc := b.b.Value[j]
			for i, w := range b.w.Value[j*b.c : (j+1)*b.c] {
				acc += w * f[i]
			}
			b.y[n*b.k+j] = acc
		}
	}
	return b.y, nil
}
func (b *classifier[T]) Backward(dy []T, din [][]T) error {
	inv := 1 / T(b.p)
	for n := 0; n < b.n; n++ {
		f := b.pooled[n*b.c : (n+1)*b.c]
		for j := 0; b.w.Grad != nil && j < b.k; j++ { // nil: gradients detached
			d := dy[n*b.k+j]
			b.b.Grad[j] += d
			wg := b.w.Grad[j*b.c : (j+1)*b.c]
			for i := range wg {
				wg[i] += d * f[i]
			}
		}
		if din[0] == nil {
			continue
		}
		for i := 0; i < b.c; i++ {
			var g T
			for j := 0; j < b.k; j++ {
				g += dy[n*b.k+j] * b.w.Value[j*b.c+i]
			}
			g *= inv
			dx := din[0][(n*b.c+i)*b.p:][:b.p]
			for q := range dx {
				dx[q] += g
			}
		}
	}
	return nil
}

// crossEntropy is the mean softmax cross-entropy of logits (N,K) against
// the labels of the current batch, as a (1)-shaped output. It subtracts each
// row's maximum, so large logits give no NaN.
type crossEntropy[T Float] struct {
	labels []int
	n, k   int
	prob   []T
	y      [1]T
}

func (b *crossEntropy[T]) Name() string                { return "cross_entropy" }
func (b *crossEntropy[T]) Params() []*mixedop.Param[T] { return nil }
func (b *crossEntropy[T]) OutShape(in []tensor.Shape) (tensor.Shape, error) {
	if len(in[0]) != 2 {
		return nil, fmt.Errorf("cross_entropy: logits shape %v, want (N,K)", in[0])
	}
	return tensor.Shape{1}, nil
}
func (b *crossEntropy[T]) Forward(in [][]T, s []tensor.Shape) ([]T, error) {
	b.n, b.k = s[0][0], s[0][1]
	if len(b.labels) != b.n {
		return nil, fmt.Errorf("cross_entropy: %d labels for a batch of %d", len(b.labels), b.n)
	}
	b.prob = grow(b.prob, b.n*b.k)
	var loss float64
	for n := 0; n < b.n; n++ {
		row := in[0][n*b.k : (n+1)*b.k]
		lab := b.labels[n]
		if lab < 0 || lab >= b.k {
			return nil, fmt.Errorf("cross_entropy: label %d outside 0..%d", lab, b.k-1)
		}
		mx := float64(row[0])
		for _, v := range row {
			mx = math.Max(mx, float64(v))
		}
		var sum float64
		for _, v := range row {
			sum += math.Exp(float64(v) - mx)
		}
		lse := mx + math.Log(sum)
		for j, v := range row {
			b.prob[n*b.k+j] = T(math.Exp(float64(v) - lse))
		}
		loss += lse - float64(row[lab])
	}
	b.y[0] = T(loss / float64(b.n))
	return b.y[:], nil
}
func (b *crossEntropy[T]) Backward(dy []T, din [][]T) error {
	if din[0] == nil {
		return nil
	}
	s := dy[0] / T(b.n)
	for n := 0; n < b.n; n++ {
		for j := 0; j < b.k; j++ {
			g := b.prob[n*b.k+j]
			if j == b.labels[n] {
				g--
			}
			din[0][n*b.k+j] += s * g
		}
	}
	return nil
}
