package mixedop

import (
	"fmt"
	"math"

	"github.com/darts-go/darts/internal/kern"
)

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

// transientOut is a module whose backward does not read its own output,
// so that the output may be borrowed (see outBuf).
type transientOut interface {
	makeTransient() bool
	releaseOut()
}

// --- ReLU ---

type relu[T Float] struct {
	x, y, sdy []T
}

func (m *relu[T]) OutShape(in Shape) (Shape, error) { return in, nil }
func (m *relu[T]) Params() []*Param[T]              { return nil }
func (m *relu[T]) State() []*Param[T]               { return nil }
func (m *relu[T]) Forward(x []T, in Shape) []T {
	m.x = x
	m.y = grow(m.y, len(x))
	kern.ReLU(x, m.y)
	return m.y
}
func (m *relu[T]) Backward(dy, dx []T) { m.backward(dy, 1, dx, true) }
func (m *relu[T]) backward(dy []T, s T, dx []T, acc bool) {
	if dx != nil {
		kern.ReLUBackwardTo(m.x, scaled(dy, s, &m.sdy), dx, acc)
	}
}

// --- depthwise convolution ---

// dwConv is the depthwise convolution; with reluIn it reads max(x, 0), the
// ReLU that starts SepConv and DilConv, without storing it.
type dwConv[T Float] struct {
	w                   *Param[T]
	k, stride, pad, dil int
	reluIn              bool
	g                   kern.Geom
	x, y, sdy           []T
}

func newDWConv[T Float](name string, c, k, stride, pad, dil int) *dwConv[T] {
	return &dwConv[T]{w: newParam[T](name, c, 1, k, k), k: k, stride: stride, pad: pad, dil: dil}
}

func (m *dwConv[T]) geom(in Shape) kern.Geom {
	return kern.Geom{N: in.N, C: in.C, H: in.H, W: in.W, K: m.k, Stride: m.stride, Pad: m.pad, Dil: m.dil}
}
func (m *dwConv[T]) OutShape(in Shape) (Shape, error) {
	g := m.geom(in)
	if in.C != m.w.Shape[0] {
		return Shape{}, fmt.Errorf("%s: input has %d channels, want %d", m.w.Name, in.C, m.w.Shape[0])
	}
	if g.OutH() < 1 || g.OutW() < 1 {
		return Shape{}, fmt.Errorf("%s: input %v too small for a %dx%d window", m.w.Name, in, m.k, m.k)
	}
	return Shape{in.N, in.C, g.OutH(), g.OutW()}, nil
}
func (m *dwConv[T]) Params() []*Param[T] { return []*Param[T]{m.w} }
func (m *dwConv[T]) State() []*Param[T]  { return nil }
func (m *dwConv[T]) Forward(x []T, in Shape) []T {
	m.g = m.geom(in)
	m.x = x
	m.y = grow(m.y, in.N*in.C*m.g.OutH()*m.g.OutW())
	kern.DepthwiseConv(m.g, m.reluIn, x, m.w.Value, m.y)
	return m.y
}
func (m *dwConv[T]) Backward(dy, dx []T) { m.backward(dy, 1, dx, true) }
func (m *dwConv[T]) backward(dy []T, s T, dx []T, acc bool) {
	kern.DepthwiseConvBackward(m.g, m.reluIn, m.x, m.w.Value, scaled(dy, s, &m.sdy), dx, m.w.Grad, acc)
}

// --- pointwise (1x1) convolution, optionally reading ReLU(x) ---

type pwConv[T Float] struct {
	w         *Param[T]
	cin, cout int
	reluIn    bool
	n, p      int
	x, y, sdy []T
	out       outBuf
}

func (m *pwConv[T]) makeTransient() bool { m.out.transient = true; return true }
func (m *pwConv[T]) releaseOut()         { m.out.release(); m.y = nil }

func newPWConv[T Float](name string, cin, cout int, reluIn bool) *pwConv[T] {
	return &pwConv[T]{w: newParam[T](name, cout, cin, 1, 1), cin: cin, cout: cout, reluIn: reluIn}
}
func (m *pwConv[T]) OutShape(in Shape) (Shape, error) {
	if in.C != m.cin {
		return Shape{}, fmt.Errorf("%s: input has %d channels, want %d", m.w.Name, in.C, m.cin)
	}
	return Shape{in.N, m.cout, in.H, in.W}, nil
}
func (m *pwConv[T]) Params() []*Param[T] { return []*Param[T]{m.w} }
func (m *pwConv[T]) State() []*Param[T]  { return nil }
func (m *pwConv[T]) Forward(x []T, in Shape) []T {
	m.n, m.p, m.x = in.N, in.Plane(), x
	m.y = outGet(&m.out, m.y, in.N*m.cout*m.p)
	kern.Pointwise(m.n, m.cin, m.cout, m.p, m.reluIn, x, m.w.Value, m.y)
	return m.y
}
func (m *pwConv[T]) Backward(dy, dx []T) { m.backward(dy, 1, dx, true) }
func (m *pwConv[T]) backward(dy []T, s T, dx []T, acc bool) {
	kern.PointwiseBackward(m.n, m.cin, m.cout, m.p, m.reluIn, m.x, m.w.Value, scaled(dy, s, &m.sdy), dx, m.w.Grad, acc)
}

// --- dense convolution ---

type conv[T Float] struct {
	w                         *Param[T]
	cin, cout, k, stride, pad int
	g                         kern.Geom
	x, y, sdy                 []T
	out                       outBuf
}

func (m *conv[T]) makeTransient() bool { m.out.transient = true; return true }
func (m *conv[T]) releaseOut()         { m.out.release(); m.y = nil }

func newConv[T Float](name string, cin, cout, k, stride, pad int) *conv[T] {
	return &conv[T]{w: newParam[T](name, cout, cin, k, k), cin: cin, cout: cout, k: k, stride: stride, pad: pad}
}
func (m *conv[T]) geom(in Shape) kern.Geom {
	return kern.Geom{N: in.N, C: in.C, H: in.H, W: in.W, K: m.k, Stride: m.stride, Pad: m.pad, Dil: 1}
}
func (m *conv[T]) OutShape(in Shape) (Shape, error) {
	if in.C != m.cin {
		return Shape{}, fmt.Errorf("%s: input has %d channels, want %d", m.w.Name, in.C, m.cin)
	}
	g := m.geom(in)
	if g.OutH() < 1 || g.OutW() < 1 {
		return Shape{}, fmt.Errorf("%s: input %v too small for a %dx%d window", m.w.Name, in, m.k, m.k)
	}
	return Shape{in.N, m.cout, g.OutH(), g.OutW()}, nil
}
func (m *conv[T]) Params() []*Param[T] { return []*Param[T]{m.w} }
func (m *conv[T]) State() []*Param[T]  { return nil }
func (m *conv[T]) Forward(x []T, in Shape) []T {
	m.g, m.x = m.geom(in), x
	m.y = outGet(&m.out, m.y, in.N*m.cout*m.g.OutH()*m.g.OutW())
	kern.Conv(m.g, m.cout, x, m.w.Value, m.y)
	return m.y
}
func (m *conv[T]) Backward(dy, dx []T) { m.backward(dy, 1, dx, true) }
func (m *conv[T]) backward(dy []T, s T, dx []T, acc bool) {
	kern.ConvBackward(m.g, m.cout, m.x, m.w.Value, scaled(dy, s, &m.sdy), dx, m.w.Grad, acc)
}

// --- batch normalization ---

// BNMomentum and BNEps are PyTorch's BatchNorm2d defaults, which DARTS uses.
const (
	BNMomentum = 0.1
	BNEps      = 1e-5
)

type batchNorm[T Float] struct {
	ctx                *Ctx
	c                  int
	gamma, beta        *Param[T] // nil when affine=False
	rmean, rvar        *Param[T]
	n, p               int
	training           bool // mode of the last Forward
	y, xhat            []T
	mean, uvar, invstd []T
}

func newBatchNorm[T Float](ctx *Ctx, name string, c int, affine bool) *batchNorm[T] {
	m := &batchNorm[T]{ctx: ctx, c: c,
		rmean: newState[T](name+".running_mean", 0, c),
		rvar:  newState[T](name+".running_var", 1, c),
		mean:  make([]T, c), uvar: make([]T, c), invstd: make([]T, c),
	}
	if affine {
		m.gamma = newState[T](name+".weight", 1, c)
		m.gamma.Grad = make([]T, c)
		m.beta = newParam[T](name+".bias", c)
	}
	return m
}
func (m *batchNorm[T]) OutShape(in Shape) (Shape, error) {
	if in.C != m.c {
		return Shape{}, fmt.Errorf("%s: input has %d channels, want %d", m.rmean.Name, in.C, m.c)
	}
	return in, nil
}
func (m *batchNorm[T]) Params() []*Param[T] {
	if m.gamma == nil {
		return nil
	}
	return []*Param[T]{m.gamma, m.beta}
}
func (m *batchNorm[T]) State() []*Param[T] { return []*Param[T]{m.rmean, m.rvar} }
func (m *batchNorm[T]) gb() (g, b []T) {
	if m.gamma != nil {
		return m.gamma.Value, m.beta.Value
	}
	return nil, nil
}
func (m *batchNorm[T]) Forward(x []T, in Shape) []T {
	m.n, m.p = in.N, in.Plane()
	m.y = grow(m.y, len(x))
	g, b := m.gb()
	m.training = m.ctx == nil || m.ctx.Training
	if m.training {
		if m.gamma == nil {
			// Without affine, y is xhat.
			m.xhat = m.y
		} else {
			m.xhat = grow(m.xhat, len(x))
		}
		kern.BatchNormTrain(m.n, m.c, m.p, T(BNEps), x, g, b, m.y, m.xhat, m.mean, m.uvar, m.invstd)
		kern.UpdateRunning(T(BNMomentum), m.mean, m.uvar, m.rmean.Value, m.rvar.Value)
	} else {
		kern.BatchNormEval(m.n, m.c, m.p, T(BNEps), x, m.rmean.Value, m.rvar.Value, g, b, m.y)
		if m.gamma != nil {
			if len(m.xhat) > 0 && len(m.y) > 0 && &m.xhat[0] == &m.y[0] {
				m.xhat = nil // was y in a training run
			}
			m.xhat = grow(m.xhat, len(x))
			copy(m.xhat, x) // eval backward needs x for dγ
		}
	}
	return m.y
}
func (m *batchNorm[T]) Backward(dy, dx []T) { m.backward(dy, 1, dx, true) }
func (m *batchNorm[T]) backward(dy []T, sc T, dx []T, acc bool) {
	var g, dg, db []T
	if m.gamma != nil {
		g, dg, db = m.gamma.Value, m.gamma.Grad, m.beta.Grad
	}
	if m.training {
		kern.BatchNormBackward(m.n, m.c, m.p, m.xhat, m.invstd, g, dy, sc, dx, dg, db, acc)
		return
	}
	// Eval mode is an affine map per channel: y = (x-μ)·s·γ + β.
	for c := 0; c < m.c; c++ {
		s := T(1 / math.Sqrt(float64(m.rvar.Value[c])+BNEps))
		gc := T(1)
		if g != nil {
			gc = g[c]
		}
		for n := 0; n < m.n; n++ {
			o := (n*m.c + c) * m.p
			for i := o; i < o+m.p; i++ {
				d := sc * dy[i]
				if dx != nil {
					if acc {
						dx[i] += d * s * gc
					} else {
						dx[i] = d * s * gc
					}
				}
				if dg != nil {
					dg[c] += d * (m.xhat[i] - m.rmean.Value[c]) * s
					db[c] += d
				}
			}
		}
	}
}

// --- pooling ---

type pool[T Float] struct {
	max            bool
	k, stride, pad int
	g              kern.Geom
	x, y, sdy      []T
	out            outBuf
}

// makeTransient: max pooling's backward reads its output (the maxima).
func (m *pool[T]) makeTransient() bool {
	m.out.transient = !m.max
	return !m.max
}
func (m *pool[T]) releaseOut() { m.out.release(); m.y = nil }

func (m *pool[T]) geom(in Shape) kern.Geom {
	return kern.Geom{N: in.N, C: in.C, H: in.H, W: in.W, K: m.k, Stride: m.stride, Pad: m.pad, Dil: 1}
}
func (m *pool[T]) OutShape(in Shape) (Shape, error) {
	if m.k < 1 || m.stride < 1 || m.pad < 0 || m.pad > m.k/2 {
		return Shape{}, fmt.Errorf("pool: window %d, stride %d, padding %d is not a valid pooling", m.k, m.stride, m.pad)
	}
	g := m.geom(in)
	if g.OutH() < 1 || g.OutW() < 1 {
		return Shape{}, fmt.Errorf("pool: input %v too small for a %dx%d window", in, m.k, m.k)
	}
	return Shape{in.N, in.C, g.OutH(), g.OutW()}, nil
}
func (m *pool[T]) Params() []*Param[T] { return nil }
func (m *pool[T]) State() []*Param[T]  { return nil }
func (m *pool[T]) Forward(x []T, in Shape) []T {
	m.g, m.x = m.geom(in), x
	m.y = outGet(&m.out, m.y, in.N*in.C*m.g.OutH()*m.g.OutW())
	if m.max {
		kern.MaxPool(m.g, x, m.y)
	} else {
		kern.AvgPool(m.g, x, m.y)
	}
	return m.y
}
func (m *pool[T]) Backward(dy, dx []T) { m.backward(dy, 1, dx, true) }
func (m *pool[T]) backward(dy []T, s T, dx []T, acc bool) {
	if dx == nil {
		return
	}
	dy = scaled(dy, s, &m.sdy)
	if m.max {
		kern.MaxPoolBackward(m.g, m.x, m.y, dy, dx, acc)
	} else {
		kern.AvgPoolBackwardTo(m.g, dy, dx, acc)
	}
}

// --- identity and zero ---

type identity[T Float] struct{}

func (identity[T]) OutShape(in Shape) (Shape, error) { return in, nil }
func (identity[T]) Params() []*Param[T]              { return nil }
func (identity[T]) State() []*Param[T]               { return nil }
func (identity[T]) Forward(x []T, in Shape) []T      { return x }
func (identity[T]) Backward(dy, dx []T)              { identity[T]{}.backward(dy, 1, dx, true) }
func (identity[T]) backward(dy []T, s T, dx []T, acc bool) {
	if dx != nil {
		kern.Axpy(s, dy, dx, acc)
	}
}

// zero is DARTS's 'none': x[:, :, ::s, ::s]·0.
type zero[T Float] struct {
	stride int
	y      []T
}

func (m *zero[T]) OutShape(in Shape) (Shape, error) {
	return Shape{in.N, in.C, (in.H-1)/m.stride + 1, (in.W-1)/m.stride + 1}, nil
}
func (m *zero[T]) Params() []*Param[T] { return nil }
func (m *zero[T]) State() []*Param[T]  { return nil }
func (m *zero[T]) Forward(x []T, in Shape) []T {
	out, _ := m.OutShape(in)
	m.y = grow(m.y, out.Size())
	clear(m.y)
	return m.y
}
func (m *zero[T]) Backward(dy, dx []T) {}
func (m *zero[T]) backward(dy []T, s T, dx []T, acc bool) {
	if !acc && dx != nil {
		clear(dx)
	}
}

// --- sequence ---

// seq runs modules one after another. A ReLU followed by a depthwise or pointwise convolution runs as the
// convolution reading max(x, 0) (see fuse), so relu(x) is never stored.
type seq[T Float] struct {
	mods      []Module[T]
	run       []Module[T] // mods after fuse
	transient []bool      // run[i]'s output is borrowed until run[i+1] has read it
	shapes    []Shape     // input shape of each module of run
	sdy       []T
}

// fuse makes run: mods with each ReLU that feeds a depthwise or pointwise
// convolution folded into the convolution's read.
func (m *seq[T]) fuse() {
	m.run = m.run[:0]
	for i := 0; i < len(m.mods); i++ {
		if _, ok := m.mods[i].(*relu[T]); ok && i+1 < len(m.mods) {
			switch c := m.mods[i+1].(type) {
			case *dwConv[T]:
				c.reluIn = true
				m.run = append(m.run, c)
				i++
				continue
			case *pwConv[T]:
				c.reluIn = true
				m.run = append(m.run, c)
				i++
				continue
			}
		}
		m.run = append(m.run, m.mods[i])
	}
	m.shapes = make([]Shape, len(m.run))
	m.transient = make([]bool, len(m.run))
	for i := 0; i+1 < len(m.run); i++ {
		if _, bn := m.run[i+1].(*batchNorm[T]); bn {
			if t, ok := m.run[i].(transientOut); ok {
				m.transient[i] = t.makeTransient()
			}
		}
	}
}

func (m *seq[T]) OutShape(in Shape) (Shape, error) {
	s := in
	for _, mod := range m.mods {
		var err error
		if s, err = mod.OutShape(s); err != nil {
			return Shape{}, err
		}
	}
	return s, nil
}
func (m *seq[T]) Params() []*Param[T] {
	var ps []*Param[T]
	for _, mod := range m.mods {
		ps = append(ps, mod.Params()...)
	}
	return ps
}
func (m *seq[T]) State() []*Param[T] {
	var ps []*Param[T]
	for _, mod := range m.mods {
		ps = append(ps, mod.State()...)
	}
	return ps
}
func (m *seq[T]) Forward(x []T, in Shape) []T {
	if m.run == nil {
		m.fuse()
	}
	s := in
	for i, mod := range m.run {
		m.shapes[i] = s
		x = mod.Forward(x, s)
		s, _ = mod.OutShape(s)
		if i > 0 && m.transient[i-1] {
			m.run[i-1].(transientOut).releaseOut()
		}
	}
	return x
}
func (m *seq[T]) Backward(dy, dx []T) { m.backward(dy, 1, dx, true) }

// backward hands the scale to the last module only, and lets every module
// overwrite the gradient buffer it writes, but the first when acc.
func (m *seq[T]) backward(dy []T, s T, dx []T, acc bool) {
	// The gradients between modules live only during this call, in pooled
	// buffers: at most two at a time, instead of one per module held for
	// the life of the network.
	g := dy
	var held kern.Scratch
	for i := len(m.run) - 1; i >= 1; i-- {
		sc, buf := kern.GetScratch[T](m.shapes[i].Size())
		backwardOf(m.run[i], g, s, buf, false, &m.sdy)
		held.Release()
		held, g, s = sc, buf, 1
	}
	backwardOf(m.run[0], g, s, dx, acc, &m.sdy)
	held.Release()
}

// --- factorized reduce ---

// factorizedReduce is DARTS's FactorizedReduce: ReLU, then two 1×1 stride-2
// convolutions, one on x and one on x[:, :, 1:, 1:], concatenated along the
// channels, then BatchNorm.
type factorizedReduce[T Float] struct {
	cin, cout int
	relu      relu[T]
	c1, c2    *conv[T]
	bn        *batchNorm[T]
	in        Shape
	xs        []T // relu(x)[:, :, 1:, 1:]
	cat       []T
	g1, g2    []T
	dxr, dxs  []T
	sdy       []T
}

func newFactorizedReduce[T Float](ctx *Ctx, name string, cin, cout int, affine bool) (*factorizedReduce[T], error) {
	if cout%2 != 0 {
		return nil, fmt.Errorf("%s: FactorizedReduce needs an even number of output channels, got %d", name, cout)
	}
	return &factorizedReduce[T]{cin: cin, cout: cout,
		c1: newConv[T](name+".conv1", cin, cout/2, 1, 2, 0),
		c2: newConv[T](name+".conv2", cin, cout/2, 1, 2, 0),
		bn: newBatchNorm[T](ctx, name+".bn", cout, affine),
	}, nil
}
func (m *factorizedReduce[T]) OutShape(in Shape) (Shape, error) {
	if in.C != m.cin {
		return Shape{}, fmt.Errorf("%s: input has %d channels, want %d", m.c1.w.Name, in.C, m.cin)
	}
	if in.H%2 != 0 || in.W%2 != 0 {
		return Shape{}, fmt.Errorf("%s: FactorizedReduce needs an even height and width, got %dx%d", m.c1.w.Name, in.H, in.W)
	}
	return Shape{in.N, m.cout, in.H / 2, in.W / 2}, nil
}
func (m *factorizedReduce[T]) Params() []*Param[T] {
	return append([]*Param[T]{m.c1.w, m.c2.w}, m.bn.Params()...)
}
func (m *factorizedReduce[T]) State() []*Param[T]     { return m.bn.State() }
func (m *factorizedReduce[T]) shifted(in Shape) Shape { return Shape{in.N, in.C, in.H - 1, in.W - 1} }
func (m *factorizedReduce[T]) Forward(x []T, in Shape) []T {
	m.in = in
	r := m.relu.Forward(x, in)
	ss := m.shifted(in)
	m.xs = grow(m.xs, ss.Size())
	for nc := 0; nc < in.N*in.C; nc++ {
		for h := 1; h < in.H; h++ {
			copy(m.xs[(nc*ss.H+h-1)*ss.W:][:ss.W], r[(nc*in.H+h)*in.W+1:][:ss.W])
		}
	}
	y1 := m.c1.Forward(r, in)
	y2 := m.c2.Forward(m.xs, ss)
	out, _ := m.OutShape(in)
	half := m.cout / 2 * out.Plane()
	m.cat = grow(m.cat, out.Size())
	for n := 0; n < in.N; n++ {
		copy(m.cat[(2*n)*half:][:half], y1[n*half:][:half])
		copy(m.cat[(2*n+1)*half:][:half], y2[n*half:][:half])
	}
	return m.bn.Forward(m.cat, out)
}
func (m *factorizedReduce[T]) Backward(dy, dx []T) { m.backward(dy, 1, dx, true) }
func (m *factorizedReduce[T]) backward(dy []T, s T, dx []T, acc bool) {
	in := m.in
	out, _ := m.OutShape(in)
	dcat := grow(m.g1, out.Size())
	m.g1 = dcat
	m.bn.backward(dy, s, dcat, false)
	half := m.cout / 2 * out.Plane()
	m.g2 = grow(m.g2, 2*in.N*half)
	d1, d2 := m.g2[:in.N*half], m.g2[in.N*half:]
	for n := 0; n < in.N; n++ {
		copy(d1[n*half:][:half], dcat[(2*n)*half:][:half])
		copy(d2[n*half:][:half], dcat[(2*n+1)*half:][:half])
	}
	var dr, ds []T
	if dx != nil {
		m.dxr = grow(m.dxr, in.Size())
		m.dxs = grow(m.dxs, m.shifted(in).Size())
		dr, ds = m.dxr, m.dxs
	}
	m.c1.backward(d1, 1, dr, false)
	m.c2.backward(d2, 1, ds, false)
	if dx == nil {
		return
	}
	ss := m.shifted(in)
	for nc := 0; nc < in.N*in.C; nc++ {
		for h := 1; h < in.H; h++ {
			src := ds[(nc*ss.H+h-1)*ss.W:][:ss.W]
			dst := dr[(nc*in.H+h)*in.W+1:][:ss.W]
			for i, v := range src {
				dst[i] += v
			}
		}
	}
	m.relu.backward(dr, 1, dx, acc)
}
