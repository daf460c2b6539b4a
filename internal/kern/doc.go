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
// whatever GOMAXPROCS is. Scratch memory comes from pools (one free list
// per size class, shared by all threads, emptied when unused for two
// collections): a call allocates only its closure (1 to 4 small
// allocations).
//
// Three paths run the float32 kernels, chosen once at start and named by
// Path: plain (the Go loops), avx2 (AVX2 and FMA assembly, simd_amd64.s)
// and avx512 (AVX-512 assembly, simd512_amd64.s, and the AVX2 kernels it
// has no counterpart of). The default is the widest that the CPU has
// (CPUID leaf 7: AVX2; AVX512F, BW, DQ and VL, with BMI2) and the OS saves
// (XCR0: YMM; opmask and ZMM state). The environment variable
// DARTS_KERNELS=plain, avx2 or avx512 asks for a narrower one; asking for
// one the machine lacks gives the widest it has, and an empty or unknown
// value the widest. float64, the noasm build tag and other architectures
// take the plain loops. TestOtherPaths runs the reference tests on every
// path the machine has besides the default one.
//
// The AVX2 path's vector primitives are axpy, scal, dot, ReLU, the ReLU
// mask, 3- and 5-tap rows, BatchNorm's normalize, affine output (γ, β:
// multiply and add rounded separately, as the plain loop, so all paths
// agree bit for bit), dx and float64 sums. The
// GEMMs behind pointwise and dense convolutions are 4x8 register tiles
// (gemm4AVX) and rows of axpys; stride-1 depthwise convolution and average
// pooling stack the N planes of a channel into one tall padded plane and
// make each kernel row one vector pass over the whole stack
// (depthwise_stacked.go, pool_stacked.go). max_pool_3x3 stacks chunks of
// planes too (maxpool_stacked.go): the forward is one 9-tap VMAXPS pass,
// and the backward finds each window's first maximal tap, then gathers dy
// into each input, with no scatter. Stride-2 depthwise backward and max
// pooling run the stride-1 vector passes with dy (and y) spread onto every
// other position. dots shares each load of one vector among up to 8 dot
// products (depthwise filter gradient, pointwise weight gradient), and
// padAVX pads a whole plane in one pass. Fused multiply-adds round
// differently from the plain loops, so float32 results differ from the
// reference by rounding (the tests hold every path to it) but are the same
// on every run.
//
// The AVX-512 path runs 16 lanes at a time in ZMM registers, the last n%16
// elements of a row under an opmask instead of a scalar loop: the GEMM
// tile (4 rows by 32, then 16 columns, then a masked tail that stands in
// for the AVX2 path's Go loop over the columns past a multiple of 8), the
// 3- and 5-tap rows, padding, axpy and scal, ReLU and its mask,
// BatchNorm's normalize, affine output and dx, and max_pool_3x3's passes
// and NaN check.
// It also covers parts the AVX2 path leaves to Go or to one chain of
// adds: the stride-2 depthwise forward of the reduction cells (dw2x512
// gathers each tap's even source elements with VPERMT2PS), BatchNorm's
// float64 sums over the planes of a channel, whose independent add chains
// sumDot64x4 and sqDev64x4 interleave 4 planes at a time, the rows that the
// stacked kernels move between a stack and NCHW planes (rows512: copies,
// ReLU-masked and accumulated gradients, one call per plane instead of a Go
// call per row; spread2x512: dy spread at stride 2 by VEXPANDPS), and the
// K rows of a 3×3 or 5×5 correlation in one pass (corrStack3x512, average
// pooling's sum: the 3 passes of corr3x512 with the sum kept in a register
// between rows; corrRows3x512 and corrRows5x512, the same for K = 3 and 5,
// compute only each plane's output rows of the stack and store them
// straight into the NCHW planes, as rows512 would: the stride-1 depthwise
// forward and input gradient without the stacked output and its copy). With stride 1 and
// "same" padding the depthwise filter gradient reads dy from the input
// gradient's padded stack of dy instead of a copy of its own. A mixed
// edge's α gradients, one float64 dot product of dy with each candidate's
// output, run four at a time (dots64x4: each with Dot's lanes and order,
// sharing the reads of dy, four add chains in flight). Element-wise adds (kern.Add: the gradient sums
// that gorgonia's differentiation inserts, node sums) and drop path's
// per-example scale (ScaleRows; its gradient rounds the product before the
// add, mulAdd512/mulAddAVX, as the Go loop it replaced did) have AVX2 and
// AVX-512 kernels.
//
// The avx512 path gives the avx2 path's bits for every float32 kernel,
// forward and backward, so that a search on an AVX-512 machine repeats the
// same search on an AVX2 one: TestAVX512*SameBits compare them bit for bit,
// and a short search (darts search --limit 320 --epochs 2 --eval-limit 64:
// 10 steps of MNIST) gave a byte-identical alphas.jsonl and checkpoint on
// both paths and with the build before the AVX-512 kernels. Each
// AVX-512 kernel computes every element with the operations of its AVX2
// counterpart, in the same order, only for more elements at once. Where the
// AVX2 path is a Go loop (the GEMM's last columns, the stride-2 depthwise
// forward), the loop rounds each product explicitly (T(a*b)), so that no
// GOAMD64 level fuses it, and the AVX-512 kernel rounds as it does; only
// the sign and payload of a NaN from those loops may differ (which of two
// NaN operands an add passes on is the compiler's choice).
//
// The reductions keep the AVX2 kernels' lanes on the avx512 path: dot and
// dot8 (the depthwise filter gradient, dots) and sumDot64 for Dot (a mixed
// op's alpha gradients) run the AVX2 kernels themselves; the weight
// gradients of pointwise and dense convolutions (gemmNT) run dotTile512,
// which computes dot8AVX's sums in its 8 lanes and order of adds, two rows
// of a by 8 rows of b at a time with the 16 sums in registers (the loads
// in Y16-Y25, which only AVX-512VL can address) and the tails past a
// multiple of 8 in the kernel: the same bits, 1.8-4.4× the rate of dots
// (BenchmarkGemmNT, GOMAXPROCS=1, one test binary alternating
// DARTS_KERNELS=avx2 and avx512, medians of 5: 16x16x1024 36 → 73
// GFLOP/s, 32x32x256 23 → 70, 64x64x64 14 → 60, 64x64x49 13 → 55). Their
// bits are set by their lanes: dot8AVX keeps
// 8 partial sums a row, each a chain of dependent adds that bounds it
// (with the FMA ports), and an AVX-512 kernel that kept those chains
// would have to pack two rows' chains into one ZMM register, a shuffle for
// each multiply-add it saves.
// Summing in 16 lanes instead (commit 8c69648, reverted by 7db1c94) made
// dots 20-35% faster on the mnist-small shapes but the mnist-small
// forward+backward only 2.5% (not significant): too little for searches
// that would drift apart from the AVX2 machines' in the last bits.
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
//
// Round 3 (the avx512 path): the avx2 and avx512 paths of one build (commit
// 7db1c94, whose kernels are those of d32c719), interleaved run by run, on
// an "Intel(R) Xeon(R) Processor" (lscpu; family 6, model 207: Emerald
// Rapids) of 2 vCPUs shared with other jobs (load average 8 to 12
// throughout). Wall times were ±30-120%, so these are CPU times (cpu-ns/op
// of the kernel benchmarks; cpu-ms/op), which the other jobs disturb less;
// still ±10-40%, medians of n runs:
//
//	go test -c -o kern.test ./internal/kern/
//	for i in $(seq 10); do for p in avx2 avx512; do
//		DARTS_KERNELS=$p GOMAXPROCS=1 ./kern.test -test.run '^$' -test.benchtime 100ms \
//			-test.bench '^Benchmark(DepthwiseConv|Pointwise|Conv|Pool|BatchNorm|ReLU|WeightedSum|DepthwiseSmall)$' >> $p.txt
//	done; done
//	benchstat avx2.txt avx512.txt
//
//	kernel (N=32), CPU µs per call, n=10       avx2   avx512
//	Pointwise 16→16 P256 (ReLU in)       fwd    156       54   -66% (p=0.015)
//	                                     bwd    444      286   -36% (p=0.015)
//	Pointwise 64→64 P64                  fwd    604      195   -68% (p=0.000)
//	                                     bwd   2500     1705   -32% (p=0.004)
//	Pointwise 16→16 P1024                fwd    748      356   -52% (p=0.000)
//	                                     bwd   1692     1217   -28% (p=0.001)
//	Depthwise C32 7x7 K3 (ReLU in)       fwd    271      167    ~   (p=0.052)
//	                                     bwd    706      453   -36% (p=0.002)
//	Depthwise C32 7x7 K5 dil 2           fwd    608      450   -26% (p=0.023)
//	                                     bwd   1448     1058   -27% (p=0.029)
//	Depthwise C16 14x14 K5               bwd   1206      896   -26% (p=0.001)
//	Depthwise C8 28x28 K3                fwd    406      316    ~   (p=0.165)
//	                                     bwd    961      736   -23% (p=0.009)
//	Depthwise C16 16x16 K3 S2            fwd    333      161   -52% (p=0.000)
//	Depthwise C16 16x16 K5 S2            fwd    932      332   -64% (p=0.000)
//	Depthwise C16 16x16 K3 dil 2         fwd    392      259   -34% (p=0.000)
//	Conv C3→48 32x32 K3                  fwd   4861     2735   -44% (p=0.015)
//	                                     bwd  10721     8519   -21% (p=0.011)
//	MaxPool C16 16x16 K3 S1              bwd    860      587   -32% (p=0.002)
//	MaxPool C16 16x16 K3 S2              fwd    237      183   -23% (p=0.003)
//	AvgPool C16 16x16 K3 S1              fwd    402      332    ~   (p=0.052)
//	BatchNorm C16 16x16                train    387      347    ~   (p=0.063)
//	                                     bwd     97       81    ~   (p=0.190)
//	geomean of all 54 benchmarks                600      439   -27%
//
// ReLU, WeightedSum and BatchNorm's eval (memory-bound) did not move. The
// whole network, forward and backward at the mnist-small preset, and whole
// search steps:
//
//	go test -c -o supernet.test ./supernet/
//	for i in $(seq 8); do for p in avx2 avx512; do
//		DARTS_KERNELS=$p ./supernet.test -test.run '^$' -test.bench RunMNISTSmall -test.benchtime 3x >> $p.txt
//	done; done
//	go test -c -o bilevel.test ./bilevel/
//	for i in $(seq 6); do for p in avx2 avx512; do
//		DARTS_KERNELS=$p ./bilevel.test -test.run '^$' -test.bench SearchStep -test.benchtime 3x >> $p.txt
//	done; done
//
//	                                            avx2   avx512
//	RunMNISTSmall, CPU ms per call, n=8         1434     1228   ~   (p=0.065)
//	SearchStep order=1, s per step, n=6         2.89     2.33   ~   (p=0.18, ±64-105%)
//	SearchStep order=2, s per step, n=6         8.34     6.46   ~   (p=0.18, ±61-122%)
//
// Two earlier runs of the RunMNISTSmall loop (n=8 each, with the avx512
// kernels of d32c719) gave 1993 → 1528 (-23%, p=0.010) and 1883 → 1365
// (-27%, p=0.002); the same search steps timed in CPU time, in a program
// outside the repository, gave 2278 → 1955 ms a step for order=1 (-14%,
// p=0.000, n=10) and 6403 → 4827 for order=2 (-25%, p=0.026, n=6).
package kern
