package mixedop

import (
	"fmt"
	"sort"
	"strings"

	"github.com/darts-go/darts/space"
)

// Kind is the family of a builtin candidate operation; a Spec picks its
// size. Operations defined outside this package are KindCustom.
type Kind int

// The kinds of candidate operation.
const (
	KindZero       Kind = iota // none: x[:, :, ::s, ::s]·0
	KindMaxPool                // max pooling, padding never selected (+BN in search)
	KindAvgPool                // average pooling excluding padding (+BN in search)
	KindSkip                   // identity; FactorizedReduce at stride 2
	KindSepConv                // DARTS SepConv: (ReLU, dw k×k, pw 1×1, BN) twice, stride on the first
	KindDilConv                // DARTS DilConv: ReLU, dw k×k dilated, pw 1×1, BN
	KindReLUConvBN             // ReLU, dense k×k conv, BN (NAS-Bench-201's nor_conv)
	KindConvKx1                // DARTS conv_7x1_1x7: ReLU, 1×k conv (stride on the width), k×1 conv (stride on the height), BN
	KindCustom                 // registered with its own constructors
)

// Constructor builds a candidate operation for one element type from the
// network's context, the prefix of its parameter names and its Args.
type Constructor[T Float] func(ctx *Ctx, prefix string, a Args) (Module[T], error)

// Spec describes a registered candidate operation. Builtin ops are
// described by Kind, K and Dil; an op defined elsewhere gives its
// constructors for both element types, usually one generic function
// instantiated twice:
//
//	mixedop.Register(mixedop.Spec{Name: "my_op", New32: newMyOp[float32], New64: newMyOp[float64]})
type Spec struct {
	Name  string
	Kind  Kind
	K     int // window size
	Dil   int // dilation (DilConv)
	New32 Constructor[float32]
	New64 Constructor[float64]
}

var registry = map[string]Spec{}

// Register makes an operation defined outside this package available to
// search networks, genotypes (its name goes to package space's registry,
// which the parsers read), retraining and plots. It needs both
// constructors. Call it from an init function, before any network is built.
func Register(spec Spec) error {
	if spec.New32 == nil || spec.New64 == nil {
		return fmt.Errorf("mixedop: op %q: Register needs New32 and New64", spec.Name)
	}
	if _, dup := registry[spec.Name]; dup {
		return fmt.Errorf("mixedop: op %q registered twice", spec.Name)
	}
	if err := space.RegisterOp(spec.Name); err != nil {
		return fmt.Errorf("mixedop: %w", err)
	}
	spec.Kind = KindCustom
	registry[spec.Name] = spec
	return nil
}

// builtins are the ops this package implements, described by family and
// size; their names are package space's builtin ones (a test checks that
// the two lists agree).
var builtins = []Spec{
	{Name: "none", Kind: KindZero},
	{Name: "max_pool_3x3", Kind: KindMaxPool, K: 3},
	{Name: "avg_pool_3x3", Kind: KindAvgPool, K: 3},
	{Name: "skip_connect", Kind: KindSkip},
	{Name: "sep_conv_3x3", Kind: KindSepConv, K: 3},
	{Name: "sep_conv_5x5", Kind: KindSepConv, K: 5},
	{Name: "sep_conv_7x7", Kind: KindSepConv, K: 7},
	{Name: "dil_conv_3x3", Kind: KindDilConv, K: 3, Dil: 2},
	{Name: "dil_conv_5x5", Kind: KindDilConv, K: 5, Dil: 2},
	{Name: "nor_conv_1x1", Kind: KindReLUConvBN, K: 1},
	{Name: "nor_conv_3x3", Kind: KindReLUConvBN, K: 3},
	{Name: "conv_7x1_1x7", Kind: KindConvKx1, K: 7},
}

func init() {
	for _, s := range builtins {
		s.New32 = func(ctx *Ctx, prefix string, a Args) (Module[float32], error) {
			return buildBuiltin[float32](s, ctx, prefix, a)
		}
		s.New64 = func(ctx *Ctx, prefix string, a Args) (Module[float64], error) {
			return buildBuiltin[float64](s, ctx, prefix, a)
		}
		registry[s.Name] = s
	}
}

// Known lists the ops that have constructors, sorted.
func Known() []string {
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Lookup returns the Spec of a registered op.
func Lookup(name string) (Spec, error) {
	s, ok := registry[name]
	if !ok {
		return Spec{}, fmt.Errorf("unknown op %q (known: %s)", name, strings.Join(Known(), ", "))
	}
	return s, nil
}

// Args are the settings a candidate op is built with.
type Args struct {
	C      int  // channels in and out
	Stride int  // 1, or 2 on the input edges of a reduction cell
	Affine bool // BatchNorm with learned scale and shift (derived network)
	PoolBN bool // BatchNorm without affine after pools (DARTS search network)
	// ConvBias gives the convolutions of ReLUConvBN ops (nor_conv) a bias,
	// as NAS-Bench-201's do exactly when BatchNorm is not affine.
	ConvBias bool
	// Untracked BatchNorm keeps no running statistics and normalizes with
	// the batch's in eval mode too (PyTorch's track_running_stats=False,
	// an option of NAS-Bench-201's search).
	Untracked bool
	// SkipDropout, if set, follows every stride-1 skip_connect with its
	// dropout (P-DARTS's search network); nil: the plain identity.
	SkipDropout *Dropout
}

// Build makes the candidate op called name with its registered
// constructor. Parameter names start with prefix: "<prefix>.dw1",
// "<prefix>.fr.conv1", …, as in the golden vectors.
func Build[T Float](ctx *Ctx, name, prefix string, a Args) (Module[T], error) {
	spec, err := Lookup(name)
	if err != nil {
		return nil, err
	}
	var m any
	switch any(*new(T)).(type) {
	case float32:
		m, err = spec.New32(ctx, prefix, a)
	case float64:
		m, err = spec.New64(ctx, prefix, a)
	default:
		return nil, fmt.Errorf("%s: networks are float32 or float64, not %T", prefix, *new(T))
	}
	if err != nil {
		return nil, err
	}
	mod, ok := m.(Module[T])
	if !ok || mod == nil {
		return nil, fmt.Errorf("%s: constructor of %q returned no module", prefix, name)
	}
	return mod, nil
}

// buildBuiltin makes one of this package's ops.
func buildBuiltin[T Float](spec Spec, ctx *Ctx, prefix string, a Args) (Module[T], error) {
	name := spec.Name
	if a.Stride != 1 && a.Stride != 2 {
		return nil, fmt.Errorf("%s: stride %d (want 1 or 2)", prefix, a.Stride)
	}
	p := func(role string) string { return prefix + "." + role }
	bn := func(name string, c int, affine bool) *batchNorm[T] {
		m := newBatchNorm[T](ctx, name, c, affine)
		m.untracked = a.Untracked
		return m
	}
	dw := func(name string, c, k, stride, pad, dil int) *dwConv[T] {
		m := newDWConv[T](name, c, k, stride, pad, dil)
		m.recomputable = ctx != nil && ctx.RecomputeDepthwise
		return m
	}
	var m Module[T]
	switch spec.Kind {
	case KindZero:
		m = &zero[T]{stride: a.Stride}
	case KindMaxPool, KindAvgPool:
		pl := &pool[T]{max: spec.Kind == KindMaxPool, k: spec.K, stride: a.Stride, pad: spec.K / 2}
		if !a.PoolBN {
			m = pl
		} else {
			m = &seq[T]{mods: []Module[T]{pl, bn(p("bn"), a.C, false)}}
		}
	case KindSkip:
		if a.Stride == 1 && a.SkipDropout != nil {
			m = newDropSkip[T](ctx, a.SkipDropout)
		} else if a.Stride == 1 {
			m = identity[T]{}
		} else {
			fr, err := newFactorizedReduce[T](ctx, p("fr"), a.C, a.C, a.Affine)
			if err != nil {
				return nil, err
			}
			fr.bn.untracked = a.Untracked
			m = fr
		}
	case KindSepConv:
		pad := spec.K / 2
		m = &seq[T]{mods: []Module[T]{
			&relu[T]{},
			dw(p("dw1"), a.C, spec.K, a.Stride, pad, 1),
			newPWConv[T](p("pw1"), a.C, a.C, false),
			bn(p("bn1"), a.C, a.Affine),
			&relu[T]{},
			dw(p("dw2"), a.C, spec.K, 1, pad, 1),
			newPWConv[T](p("pw2"), a.C, a.C, false),
			bn(p("bn2"), a.C, a.Affine),
		}}
	case KindDilConv:
		m = &seq[T]{mods: []Module[T]{
			&relu[T]{},
			dw(p("dw"), a.C, spec.K, a.Stride, spec.Dil*(spec.K-1)/2, spec.Dil),
			newPWConv[T](p("pw"), a.C, a.C, false),
			bn(p("bn"), a.C, a.Affine),
		}}
	case KindConvKx1:
		// operations.py: nn.Conv2d(C, C, (1,7), stride=(1, stride),
		// padding=(0, 3)), then nn.Conv2d(C, C, (7,1), stride=(stride, 1),
		// padding=(3, 0)), neither with a bias.
		m = &seq[T]{mods: []Module[T]{
			&relu[T]{},
			newConvRect[T](p("conv_1x7"), a.C, a.C, 1, spec.K, 1, a.Stride, 0, spec.K/2),
			newConvRect[T](p("conv_7x1"), a.C, a.C, spec.K, 1, a.Stride, 1, spec.K/2, 0),
			bn(p("bn"), a.C, a.Affine),
		}}
	case KindReLUConvBN:
		return NewConvUnit[T](ctx, prefix, a.C, a.C, spec.K, a.Stride, spec.K/2, ConvUnit{ReLU: true, Affine: a.Affine, Bias: a.ConvBias, Untracked: a.Untracked}), nil
	default:
		return nil, fmt.Errorf("%s: op %q has unknown kind %d", prefix, name, spec.Kind)
	}
	initModule(ctx, m)
	return m, nil
}

// ConvUnit selects the variant of a convolution followed by BatchNorm:
// a ReLU before it, BatchNorm's learned scale and shift, a bias on the
// convolution, BatchNorm without running statistics.
type ConvUnit struct {
	ReLU, Affine, Bias, Untracked bool
}

// NewConvUnit is [ReLU →] k×k convolution → BatchNorm, parameters
// "<prefix>.conv" (and "<prefix>.conv_bias"), "<prefix>.bn.*": DARTS's and
// NAS-Bench-201's ReLUConvBN with ReLU, a stem without. The 1×1 stride-1
// case reads ReLU(x) inside the convolution instead of storing it.
func NewConvUnit[T Float](ctx *Ctx, prefix string, cin, cout, k, stride, pad int, u ConvUnit) Module[T] {
	bn := newBatchNorm[T](ctx, prefix+".bn", cout, u.Affine)
	bn.untracked = u.Untracked
	var m *seq[T]
	if k == 1 && stride == 1 && pad == 0 {
		pw := newPWConv[T](prefix+".conv", cin, cout, u.ReLU)
		if u.Bias {
			pw.b = newParam[T](prefix+".conv_bias", cout)
		}
		m = &seq[T]{mods: []Module[T]{pw, bn}}
	} else {
		c := newConv[T](prefix+".conv", cin, cout, k, stride, pad)
		if u.Bias {
			c.b = newParam[T](prefix+".conv_bias", cout)
		}
		m = &seq[T]{mods: []Module[T]{c, bn}}
		if u.ReLU {
			m.mods = append([]Module[T]{&relu[T]{}}, m.mods...)
		}
	}
	initModule(ctx, m)
	return m
}

// NewReLUConvBN is DARTS's ReLUConvBN: ReLU, k×k convolution (no bias),
// BatchNorm.
func NewReLUConvBN[T Float](ctx *Ctx, prefix string, cin, cout, k, stride, pad int, affine bool) Module[T] {
	return NewConvUnit[T](ctx, prefix, cin, cout, k, stride, pad, ConvUnit{ReLU: true, Affine: affine})
}

// NewFactorizedReduce is DARTS's FactorizedReduce (cout even, input height
// and width even): it halves the resolution without losing half the pixels.
func NewFactorizedReduce[T Float](ctx *Ctx, prefix string, cin, cout int, affine bool) (Module[T], error) {
	m, err := newFactorizedReduce[T](ctx, prefix, cin, cout, affine)
	if err != nil {
		return nil, err
	}
	initModule(ctx, m)
	return m, nil
}

// initModule draws the initial parameters of m and of every module inside
// it, in parameter order, as the PyTorch version ctx.Init names initializes
// them. PyTorch 0.3.1 (the version the published DARTS runs used): a
// convolution's weight from U(±1/√n) with n = in_channels·k·k whatever the
// groups (so a depthwise convolution over C channels gets 1/(k·√C)), an
// affine BatchNorm's scale from U(0, 1) and its shift 0. PyTorch 1.x: n =
// in_channels/groups·k·k (1/k for a depthwise one), the scale 1 (nothing
// drawn). Nothing is drawn without ctx.Rand.
func initModule[T Float](ctx *Ctx, m Module[T]) {
	if ctx == nil || ctx.Rand == nil {
		return
	}
	switch m := m.(type) {
	case *seq[T]:
		for _, mod := range m.mods {
			initModule(ctx, mod)
		}
	case *factorizedReduce[T]:
		initModule[T](ctx, m.c1)
		initModule[T](ctx, m.c2)
		initModule[T](ctx, m.bn)
	case *dwConv[T]:
		fanIn := m.w.Shape[0] * m.k * m.k
		if ctx.Init == InitTorch1 {
			fanIn = m.k * m.k
		}
		fillUniform(ctx.Rand, m.w.Value, fanIn)
	case *pwConv[T]:
		fillUniform(ctx.Rand, m.w.Value, m.cin)
		if m.b != nil {
			fillUniform(ctx.Rand, m.b.Value, m.cin)
		}
	case *convRect[T]:
		fillUniform(ctx.Rand, m.w.Value, m.cin*m.kh*m.kw)
	case *conv[T]:
		fillUniform(ctx.Rand, m.w.Value, m.cin*m.k*m.k)
		if m.b != nil {
			fillUniform(ctx.Rand, m.b.Value, m.cin*m.k*m.k)
		}
	case *batchNorm[T]:
		if m.gamma != nil && ctx.Init == InitTorch1 {
			for i := range m.gamma.Value {
				m.gamma.Value[i] = 1
			}
		} else if m.gamma != nil {
			for i := range m.gamma.Value {
				m.gamma.Value[i] = T(ctx.Rand.Float64())
			}
		}
	}
}

// NewConvBN is a k×k convolution (no bias) followed by BatchNorm: the stem
// of DARTS networks.
func NewConvBN[T Float](ctx *Ctx, prefix string, cin, cout, k, stride, pad int, affine bool) Module[T] {
	m := &seq[T]{mods: []Module[T]{
		newConv[T](prefix+".conv", cin, cout, k, stride, pad),
		newBatchNorm[T](ctx, prefix+".bn", cout, affine),
	}}
	initModule(ctx, m)
	return m
}
