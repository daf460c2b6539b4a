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
// pool_stacked.go). Fused multiply-adds round differently from the plain
// loops, so float32 results differ from the reference by rounding (the
// tests hold both paths to it) but are the same on every run of a given
// machine. float64, the noasm build tag and other architectures use the
// plain Go loops, which TestPlainPaths also runs on AVX2 machines.
//
// Measured (float32, AMD64 2 cores, GOAMD64=v1, pure Go, the machine shared
// with other jobs so ±30%):
//
//	go test -run '^$' -bench . -benchtime=300ms ./internal/kern/
//
//	kernel (N=32)                          ns/op   GFLOP/s  allocs
//	DepthwiseConv C16 16x16 K3 S1 P1 fwd   264617    8.9      1
//	                                 bwd   526287    9.0      1
//	DepthwiseConv C16 16x16 K3 S2 P1 fwd   125239    4.7      1
//	                                 bwd   368412    3.2      1
//	DepthwiseConv C16 16x16 K5 S1 P2 fwd   497773   13.2      1
//	                                 bwd  1064295   12.3      1
//	DepthwiseConv C16 16x16 K5 S2 P2 fwd   233921    7.0      1
//	                                 bwd   641235    5.1      1
//	DepthwiseConv C16 16x16 K3 S1 P2 D2    249939    9.4      1
//	                                 bwd   524591    9.0      1
//	Pointwise 16→16 P256 (ReLU in)   fwd   453373    9.3      1
//	                                 bwd   698464   12.0      3
//	Pointwise 64→64 P64              fwd  1307617   12.8      1
//	                                 bwd  2226451   15.1      3
//	Pointwise 16→16 P1024            fwd  1716877    9.8      1
//	                                 bwd  3539152    9.5      3
//	Conv C16→16 16x16 K3 P1          fwd  2989821   12.6      1
//	                                 bwd  5312551   14.2      3
//	Conv C16→8 16x16 K1 S2           fwd   106447    4.9      1
//	                                 bwd   201057    5.2      3
//	Conv C3→48 32x32 K3 P1 (stem)    fwd 12158685    7.0      1
//	                                 bwd 18767429    9.1      3
//	MaxPool C16 16x16 K3 S1 P1       fwd   600271    2.0      1
//	                                 bwd  1435188    0.8      1
//	AvgPool C16 16x16 K3 S1 P1       fwd   342550    3.4      1
//	                                 bwd   606198    1.9      1
//	MaxPool C16 16x16 K3 S2 P1       fwd   237372    1.2      1
//	                                 bwd   453667    0.7      1
//	AvgPool C16 16x16 K3 S2 P1       fwd   187225    1.6      1
//	                                 bwd   259780    1.1      1
//	BatchNormTrain C16 P256          fwd   163777    4.8      1
//	                                 bwd   163983    5.6      1
//	BatchNormEval                          59859    6.6      1
//	ReLU (131072 elements)           fwd    85699    1.5      1
//	                                 bwd    96145    1.4      1
//
// A multiply-add counts 2 flops; a comparison or addition in pooling, ReLU
// and batch norm counts 1.
package kern
