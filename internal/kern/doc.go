// Package kern holds the numerical kernels behind darts-go's custom gorgonia
// Ops: depthwise, pointwise and dense convolution, pooling, batch
// normalization and ReLU, forward and backward, in float32 and float64. Each
// fast kernel has a plain reference implementation it is tested against
// (ref.go), and its backward is checked against finite differences.
//
// Tensors are flat row-major NCHW slices. Forward kernels overwrite their
// output. Backward kernels take acc: true adds (+=) into dx, false
// overwrites it (so that a chain of modules never zeroes its intermediate
// gradients); parameter gradients always accumulate; any gradient may be
// nil to skip it. The depthwise and pointwise convolutions can read
// max(x, 0) instead of x (reluIn), the ReLU that starts a SepConv, DilConv
// or ReLUConvBN fused into the read, with the mask x > 0 applied to dx.
// BatchNormBackward takes a scale for dy, through which a mixed op's weight
// reaches its candidate without a pass that stores w·dy.
//
// Work is split across the caller's goroutine and the pool workers that are
// idle, up to GOMAXPROCS; reductions over the batch use a fixed chunking and
// per-channel reductions run on one goroutine, so results are bit-identical
// whatever GOMAXPROCS is. Scratch memory comes from pools: a call allocates
// only its closure (1 to 4 small allocations).
//
// On amd64 with AVX2 and FMA (checked with CPUID at start), float32 runs on
// vector primitives in Go assembly (simd_amd64.s): axpy, scal, dot, ReLU,
// the ReLU mask, 3- and 5-tap rows, BatchNorm's normalize, dx and float64
// sums. The GEMMs behind pointwise and dense convolutions are rows of
// axpys; stride-1 depthwise convolution and average pooling stack the N
// planes of a channel into one tall padded plane and make each kernel row
// one vector pass over the whole stack (depthwise_stacked.go,
// pool_stacked.go). max_pool_3x3 stacks chunks of planes too
// (maxpool_stacked.go): the forward is one 9-tap VMAXPS pass, and the
// backward finds each window's first maximal tap, then gathers dy into each
// input, with no scatter. Stride-2 depthwise backward and max pooling run
// the stride-1 vector passes with dy (and y) spread onto every other
// position. dots shares each load of one vector among up to 8 dot products
// (depthwise filter gradient, pointwise weight gradient), and padAVX pads a
// whole plane in one pass. Fused multiply-adds round differently from the plain
// loops, so float32 results differ from the reference by rounding (the
// tests hold both paths to it) but are the same on every run of a given
// machine. float64, the noasm build tag and other architectures use the
// plain Go loops, which TestOtherPaths also runs on AVX2 machines.
//
// Measured, float32, one goroutine (GOMAXPROCS=1: the 2-vCPU machine was
// shared, so these are ±30%), commit fe9c4c2 (before stacked planes and the
// 4x8 GEMM) against now:
//
//	GOMAXPROCS=1 go test -run '^$' -bench 'Pointwise|DepthwiseSmall|DepthwiseConv|Pool' -benchtime 200ms ./internal/kern/
//
//	kernel (N=32)                           before      after    GFLOP/s after
//	Pointwise 16→16 P256 (ReLU in)    fwd   310 µs      148 µs   28
//	Pointwise 64→64 P64               fwd  1940 µs      617 µs   27
//	Pointwise 16→16 P1024             fwd  1380 µs      835 µs   20
//	Depthwise C32 7x7 K3 (ReLU in)    fwd   177 µs      105 µs    8.6
//	Depthwise C8 28x28 K3 (ReLU in)   fwd   186 µs      155 µs   23
//	AvgPool C16 16x16 K3 S1           fwd  1076 µs      395 µs    3.0
//	                                  bwd  2540 µs      493 µs    2.4
//
// Round 2 (max pooling, stride-2 depthwise backward, dots, padAVX):
// base cc0932b against 0fc4ae8, same command, GOMAXPROCS=1, in µs (the
// machine was shared: ±15%):
//
//	kernel (N=32)                           before      after
//	MaxPool C16 16x16 K3 S1           fwd   831         101
//	                                  bwd  1735         284
//	MaxPool C16 16x16 K3 S2           fwd   227          85
//	                                  bwd   442         358
//	Depthwise C16 16x16 K3 S2         bwd   494         281
//	Depthwise C16 16x16 K5 S2         bwd  1126         511
//	Depthwise C32 7x7 K3              fwd   117          82
//	                                  bwd   268         226
//	Depthwise C32 7x7 K5 dil 2        bwd   771         505
//	Depthwise C8 28x28 K3             fwd   169         139
//	                                  bwd   435         337
//	Pointwise 64→64 P64               bwd  1054         908
//	Pointwise 16→16 P1024             bwd   752         636
//
// (fe9c4c2 already had the AVX2 axpy rows of a524d06; the pure Go kernels
// of 92ad02c ran the pointwise forward at 9-13 GFLOP/s on 2 cores). The
// whole-network numbers, with the commands that produce them, are in the
// project notes (PERFORMANCE) and supernet/bench_test.go.
package kern
