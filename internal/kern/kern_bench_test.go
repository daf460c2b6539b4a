package kern

import (
	"fmt"
	"math/rand/v2"
	"syscall"
	"testing"
	"time"
)

// Measured numbers are in doc.go.

func benchData(n int) []float32 {
	return to32(randSlice(rand.New(rand.NewPCG(1, uint64(n))), n))
}

// reportFlops reports the rate of flops floating-point operations per call
// (a multiply-add counts 2; a comparison or add in pooling and batch norm 1).
func reportFlops(b *testing.B, flops float64) {
	b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// cpuTime is the user+system CPU time of the process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// loop runs f in the benchmark loop and reports its rate for flops
// operations per call, and cpu-ns/op: the CPU time of all threads per call,
// which other jobs on a shared machine disturb less than the wall time of
// sec/op (compare it at GOMAXPROCS=1, where the kernels run on one thread).
func loop(b *testing.B, flops float64, f func()) {
	b.ReportAllocs()
	c0 := cpuTime()
	for b.Loop() {
		f()
	}
	b.ReportMetric(float64(cpuTime()-c0)/float64(b.N), "cpu-ns/op")
	reportFlops(b, flops)
}

var benchGeoms = []Geom{
	{N: 32, C: 16, H: 16, W: 16, K: 3, Stride: 1, Pad: 1, Dil: 1},
	{N: 32, C: 16, H: 16, W: 16, K: 3, Stride: 2, Pad: 1, Dil: 1},
	{N: 32, C: 16, H: 16, W: 16, K: 5, Stride: 1, Pad: 2, Dil: 1},
	{N: 32, C: 16, H: 16, W: 16, K: 5, Stride: 2, Pad: 2, Dil: 1},
	{N: 32, C: 16, H: 16, W: 16, K: 3, Stride: 1, Pad: 2, Dil: 2},
}

func BenchmarkDepthwiseConv(b *testing.B) {
	for _, g := range benchGeoms {
		x, w, y := benchData(g.inLen()), benchData(g.C*g.K*g.K), make([]float32, g.outLen())
		dy, dx, dw := benchData(g.outLen()), make([]float32, g.inLen()), make([]float32, len(w))
		flops := 2 * float64(g.outLen()*g.K*g.K)
		b.Run(g.String()+"/fwd", func(b *testing.B) {
			loop(b, flops, func() { DepthwiseConv(g, false, x, w, y) })
		})
		b.Run(g.String()+"/bwd", func(b *testing.B) {
			loop(b, 2*flops, func() { DepthwiseConvBackward(g, false, x, w, dy, dx, dw, true) })
		})
		// As in SepConv and DilConv: ReLU fused into the read, dx overwritten.
		b.Run(g.String()+"/reluIn/fwd", func(b *testing.B) {
			loop(b, flops, func() { DepthwiseConv(g, true, x, w, y) })
		})
		b.Run(g.String()+"/reluIn/bwd", func(b *testing.B) {
			loop(b, 2*flops, func() { DepthwiseConvBackward(g, true, x, w, dy, dx, dw, false) })
		})
	}
}

func BenchmarkPointwise(b *testing.B) {
	for _, c := range []struct{ n, cin, cout, p int }{
		{32, 16, 16, 256},
		{32, 64, 64, 64},
		{32, 16, 16, 1024},
	} {
		x, w := benchData(c.n*c.cin*c.p), benchData(c.cout*c.cin)
		y, dy := make([]float32, c.n*c.cout*c.p), benchData(c.n*c.cout*c.p)
		dx, dw := make([]float32, len(x)), make([]float32, len(w))
		flops := 2 * float64(c.n*c.cin*c.cout*c.p)
		name := fmt.Sprintf("N%d_%dto%d_P%d", c.n, c.cin, c.cout, c.p)
		b.Run(name+"/fwd", func(b *testing.B) {
			loop(b, flops, func() { Pointwise(c.n, c.cin, c.cout, c.p, true, x, w, y) })
		})
		b.Run(name+"/bwd", func(b *testing.B) {
			loop(b, 2*flops, func() { PointwiseBackward(c.n, c.cin, c.cout, c.p, true, x, w, dy, dx, dw, true) })
		})
	}
}

func BenchmarkConv(b *testing.B) {
	for _, c := range []struct {
		g    Geom
		cout int
	}{
		{Geom{N: 32, C: 16, H: 16, W: 16, K: 3, Stride: 1, Pad: 1, Dil: 1}, 16},
		{Geom{N: 32, C: 16, H: 16, W: 16, K: 1, Stride: 2, Pad: 0, Dil: 1}, 8},
		{Geom{N: 32, C: 3, H: 32, W: 32, K: 3, Stride: 1, Pad: 1, Dil: 1}, 48},
	} {
		g := c.g
		ylen := g.N * c.cout * g.OutH() * g.OutW()
		x, w := benchData(g.inLen()), benchData(c.cout*g.C*g.K*g.K)
		y, dy := make([]float32, ylen), benchData(ylen)
		dx, dw := make([]float32, len(x)), make([]float32, len(w))
		flops := 2 * float64(ylen*g.C*g.K*g.K)
		name := fmt.Sprintf("%s_Cout%d", g, c.cout)
		b.Run(name+"/fwd", func(b *testing.B) {
			loop(b, flops, func() { Conv(g, c.cout, x, w, y) })
		})
		b.Run(name+"/bwd", func(b *testing.B) {
			loop(b, 2*flops, func() { ConvBackward(g, c.cout, x, w, dy, dx, dw, true) })
		})
	}
}

func BenchmarkPool(b *testing.B) {
	for _, g := range benchGeoms[:2] {
		x, y := benchData(g.inLen()), make([]float32, g.outLen())
		dy, dx := benchData(g.outLen()), make([]float32, g.inLen())
		flops := float64(g.outLen() * g.K * g.K)
		for _, k := range []struct {
			name string
			fwd  func()
			bwd  func()
		}{
			{"Max", func() { MaxPool(g, x, y) }, func() { MaxPoolBackward(g, x, y, dy, dx, true) }},
			{"Avg", func() { AvgPool(g, x, y) }, func() { AvgPoolBackward(g, dy, dx) }},
		} {
			b.Run(k.name+"/"+g.String()+"/fwd", func(b *testing.B) {
				loop(b, flops, func() { k.fwd() })
			})
			b.Run(k.name+"/"+g.String()+"/bwd", func(b *testing.B) {
				loop(b, flops, func() { k.bwd() })
			})
		}
	}
}

func BenchmarkBatchNorm(b *testing.B) {
	n, c, p := 32, 16, 256
	x, gamma, beta := benchData(n*c*p), benchData(c), benchData(c)
	y, xh := make([]float32, len(x)), make([]float32, len(x))
	m, v, is := make([]float32, c), make([]float32, c), make([]float32, c)
	dy, dx, dg, db := benchData(len(x)), make([]float32, len(x)), make([]float32, c), make([]float32, c)
	b.Run("train", func(b *testing.B) {
		// sum, squared deviation, normalize and affine
		loop(b, 6*float64(len(x)), func() { BatchNormTrain(n, c, p, 1e-5, x, gamma, beta, y, xh, m, v, is) })
	})
	b.Run("bwd", func(b *testing.B) {
		loop(b, 7*float64(len(x)), func() { BatchNormBackward(n, c, p, xh, is, gamma, dy, 1, dx, dg, db, true) })
	})
	b.Run("eval", func(b *testing.B) {
		loop(b, 3*float64(len(x)), func() { BatchNormEval(n, c, p, 1e-5, x, m, v, gamma, beta, y) })
	})
}

func BenchmarkReLU(b *testing.B) {
	x, y, dx := benchData(32*16*256), make([]float32, 32*16*256), make([]float32, 32*16*256)
	b.Run("fwd", func(b *testing.B) {
		loop(b, float64(len(x)), func() { ReLU(x, y) })
	})
	b.Run("bwd", func(b *testing.B) {
		loop(b, float64(len(x)), func() { ReLUBackward(x, y, dx) })
	})
}

// BenchmarkWeightedSum is a mixed op's sum over 7 candidates of a
// mnist-small cell-0 activation (32×8×28×28).
func BenchmarkWeightedSum(b *testing.B) {
	const n = 32 * 8 * 28 * 28
	xs := make([][]float32, 7)
	a := make([]float32, 7)
	for i := range xs {
		xs[i], a[i] = benchData(n+i), float32(i)/7
	}
	y := make([]float32, n)
	loop(b, 2*7*n, func() { WeightedSum(a, xs, y, false) })
}

// BenchmarkDepthwiseSmall is the depthwise convolution on the small planes
// of the later cells (mnist-small cell 4: 32×32×7×7; cell 2: 32×16×14×14),
// where per-plane work is short.
func BenchmarkDepthwiseSmall(b *testing.B) {
	for _, g := range []Geom{
		{N: 32, C: 32, H: 7, W: 7, K: 3, Stride: 1, Pad: 1, Dil: 1},
		{N: 32, C: 32, H: 7, W: 7, K: 5, Stride: 1, Pad: 4, Dil: 2},
		{N: 32, C: 16, H: 14, W: 14, K: 5, Stride: 1, Pad: 2, Dil: 1},
		{N: 32, C: 8, H: 28, W: 28, K: 3, Stride: 1, Pad: 1, Dil: 1},
	} {
		x, w, y := benchData(g.inLen()), benchData(g.C*g.K*g.K), make([]float32, g.outLen())
		dy, dx, dw := benchData(g.outLen()), make([]float32, g.inLen()), make([]float32, len(w))
		flops := 2 * float64(g.outLen()*g.K*g.K)
		b.Run(g.String()+"/fwd", func(b *testing.B) {
			loop(b, flops, func() { DepthwiseConv(g, true, x, w, y) })
		})
		b.Run(g.String()+"/bwd", func(b *testing.B) {
			loop(b, 2*flops, func() { DepthwiseConvBackward(g, true, x, w, dy, dx, dw, false) })
		})
	}
}

// BenchmarkTasks is the overhead of running 7 empty tasks.
func BenchmarkTasks(b *testing.B) {
	b.ReportAllocs()
	f := func(int) {}
	for b.Loop() {
		Tasks(7, f)
	}
}

// BenchmarkGemmNT is the per-sample weight gradient of a pointwise
// convolution (dw[o,i] += Σ_p dy[o,p]·x[i,p]) at the plane sizes of the
// DARTS cells: 7×7 to 32×32.
func BenchmarkGemmNT(b *testing.B) {
	for _, c := range []struct{ m, n, k int }{
		{16, 16, 1024}, {16, 16, 784}, {32, 32, 256}, {64, 64, 64}, {64, 64, 49}, {32, 32, 196},
	} {
		a, bb, cc := benchData(c.m*c.k), benchData(c.n*c.k), make([]float32, c.m*c.n)
		b.Run(fmt.Sprintf("%dx%dx%d", c.m, c.n, c.k), func(b *testing.B) {
			loop(b, 2*float64(c.m*c.n*c.k), func() { gemmNT(c.m, c.n, c.k, a, bb, cc) })
		})
	}
}
