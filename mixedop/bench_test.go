package mixedop_test

import (
	"testing"

	"github.com/darts-go/darts/internal/rng"
	"github.com/darts-go/darts/mixedop"
	"github.com/darts-go/darts/space"
	"gorgonia.org/tensor"
)

// benchOp times forward+backward of one candidate op at batch 32, 16
// channels, 16×16 (a typical search-cell shape), in float32, through the
// Module interface the graph nodes call.
func benchOp(b *testing.B, name string, stride int) {
	ctx := &mixedop.Ctx{Training: true, Rand: rng.New(1)}
	m, err := mixedop.Build[float32](ctx, name, "op", mixedop.Args{C: 16, Stride: stride, PoolBN: true})
	if err != nil {
		b.Fatal(err)
	}
	in := mixedop.Shape{N: 32, C: 16, H: 16, W: 16}
	out, err := m.OutShape(in)
	if err != nil {
		b.Fatal(err)
	}
	r := rng.New(2)
	x := make([]float32, in.Size())
	for i := range x {
		x[i] = float32(r.NormFloat64())
	}
	dy := make([]float32, out.Size())
	for i := range dy {
		dy[i] = float32(r.NormFloat64())
	}
	dx := make([]float32, in.Size())
	m.Forward(x, in) // size the buffers outside the timed loop
	m.Backward(dy, dx)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.Forward(x, in)
		clear(dx)
		m.Backward(dy, dx)
	}
}

func BenchmarkOps(b *testing.B) {
	for _, name := range []string{"max_pool_3x3", "avg_pool_3x3", "skip_connect", "sep_conv_3x3", "sep_conv_5x5", "dil_conv_3x3", "dil_conv_5x5"} {
		for _, stride := range []int{1, 2} {
			b.Run(name+"/stride"+string(rune('0'+stride)), func(b *testing.B) { benchOp(b, name, stride) })
		}
	}
}

// BenchmarkMixed times forward+backward of a whole DARTS mixed edge (all
// eight ops) at the same shape.
func BenchmarkMixed(b *testing.B) {
	prims, _ := space.OpSet("darts")
	for _, stride := range []int{1, 2} {
		b.Run("stride"+string(rune('0'+stride)), func(b *testing.B) {
			ctx := &mixedop.Ctx{Training: true, Rand: rng.New(1)}
			m, err := mixedop.NewMixed[float32](ctx, "mixed", prims, 0, mixedop.Args{C: 16, Stride: stride, PoolBN: true})
			if err != nil {
				b.Fatal(err)
			}
			x := make([]float32, 32*16*16*16)
			w := make([]float32, len(prims))
			for i := range w {
				w[i] = 1 / float32(len(prims))
			}
			shapes := []tensor.Shape{{32, 16, 16, 16}, {len(prims)}}
			out, err := m.Forward([][]float32{x, w}, shapes)
			if err != nil {
				b.Fatal(err)
			}
			dy := make([]float32, len(out))
			for i := range dy {
				dy[i] = 0.01
			}
			dx := make([]float32, len(x))
			dw := make([]float32, len(w))
			if err := m.Backward(dy, [][]float32{dx, dw}); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := m.Forward([][]float32{x, w}, shapes); err != nil {
					b.Fatal(err)
				}
				clear(dx)
				clear(dw)
				if err := m.Backward(dy, [][]float32{dx, dw}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
