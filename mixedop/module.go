package mixedop

import "github.com/darts-go/darts/internal/kern"

// Module is a differentiable function of one NCHW activation with its own
// parameters and buffers: the unit candidate operations are built from.
// Buffers are sized on the first Forward of a shape and reused after.
type Module[T Float] interface {
	// OutShape is the output shape for input shape in, or an error if the
	// module cannot take that input.
	OutShape(in Shape) (Shape, error)
	// Params are the trainable tensors.
	Params() []*Param[T]
	// State are the non-trained tensors a checkpoint keeps (BatchNorm
	// running statistics).
	State() []*Param[T]
	// Forward computes the output of x. The result belongs to the module
	// (it may be x itself for an identity) and stays valid until the next
	// Forward; x must stay unchanged until Backward.
	Forward(x []T, in Shape) []T
	// Backward takes dL/dy of the last Forward and adds dL/dx into dx (nil:
	// not needed) and dL/dp into each parameter's Grad.
	Backward(dy, dx []T)
}

func grow[T Float](b []T, n int) []T {
	if cap(b) >= n {
		return b[:n]
	}
	return make([]T, n)
}

// backwarder is the backward pass every module of this package has inside
// its Backward: dy arrives scaled by s (a mixed op's weight, folded into the
// first kernel that reads dy instead of stored as s·dy) and dx is
// overwritten unless acc (so that chained modules need not zero their
// intermediate gradients). Backward(dy, dx) is backward(dy, 1, dx, true).
type backwarder[T Float] interface {
	backward(dy []T, s T, dx []T, acc bool)
}

// backwardOf runs m's backward with dy scaled by s and dx overwritten unless
// acc, through Backward (with buf for s·dy) for a module from elsewhere.
func backwardOf[T Float](m Module[T], dy []T, s T, dx []T, acc bool, buf *[]T) {
	if b, ok := m.(backwarder[T]); ok {
		b.backward(dy, s, dx, acc)
		return
	}
	if !acc && dx != nil {
		clear(dx)
	}
	m.Backward(scaled(dy, s, buf), dx)
}

// scaled returns dy if s is 1, else s·dy stored in *buf.
func scaled[T Float](dy []T, s T, buf *[]T) []T {
	if s == 1 {
		return dy
	}
	*buf = grow(*buf, len(dy))
	kern.Axpy(s, dy, *buf, false)
	return *buf
}

// outBuf is how a module holds its output: its own buffer, or, when the
// module feeds a BatchNorm inside a seq (whose backward needs only its own
// xhat, not its input), a scratch buffer borrowed between the two forwards
// (see seq.fuse), which saves one activation per such pair.
type outBuf struct {
	transient bool
	sc        kern.Scratch
}

func outGet[T Float](o *outBuf, y []T, n int) []T {
	if o.transient {
		o.sc, y = kern.GetScratch[T](n)
		return y
	}
	return grow(y, n)
}

func (o *outBuf) release() {
	o.sc.Release()
	o.sc = kern.Scratch{}
}

// outPlacer is a module that can write the output of its next Forward into
// a buffer it is given, if canPlaceOut (its backward then reads neither
// that output nor anything it is a view of): how ModuleBlock places its
// output for Machine.Share.
type outPlacer[T Float] interface {
	canPlaceOut() bool
	placeOut(buf []T)
}

// transientOut is a module whose backward does not read its own output,
// so that the output may be borrowed (see outBuf).
type transientOut interface {
	makeTransient() bool
	releaseOut()
}

// withBias lists a convolution's parameters: the weight, then the bias if
// there is one.
func withBias[T Float](w, b *Param[T]) []*Param[T] {
	if b == nil {
		return []*Param[T]{w}
	}
	return []*Param[T]{w, b}
}

// addBias adds b[c] to every element of channel c of y (NCHW, plane p).
func addBias[T Float](b *Param[T], y []T, c, p int) {
	if b == nil {
		return
	}
	for o := 0; o < len(y); o += c * p {
		for ch := 0; ch < c; ch++ {
			v := b.Value[ch]
			for i := o + ch*p; i < o+(ch+1)*p; i++ {
				y[i] += v
			}
		}
	}
}

// biasGrad adds Σ dy over the examples and the plane into each channel's
// bias gradient (a nil Grad: gradients detached).
func biasGrad[T Float](b *Param[T], dy []T, c, p int) {
	if b == nil || b.Grad == nil {
		return
	}
	for o := 0; o < len(dy); o += c * p {
		for ch := 0; ch < c; ch++ {
			var s float64
			for _, v := range dy[o+ch*p : o+(ch+1)*p] {
				s += float64(v)
			}
			b.Grad[ch] += T(s)
		}
	}
}
