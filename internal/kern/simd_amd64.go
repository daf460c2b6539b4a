//go:build amd64 && !noasm

package kern

// The float32 vector primitives in simd_amd64.s use AVX2 and FMA, those in
// simd512_amd64.s AVX-512, when the CPU and the OS support them (path.go
// picks the path); the pure Go loops are the fallback (and the only path
// with the noasm build tag or on other architectures).

func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)
func xgetbv0() (eax uint32)

//go:noescape
func axpyAVX(a float32, x, y *float32, n int)

//go:noescape
func scalAVX(a float32, x, y *float32, n int)

//go:noescape
func addAVX(x, y, z *float32, n int)

//go:noescape
func mulAddAVX(a float32, x, y *float32, n int)

//go:noescape
func dotAVX(x, y *float32, n int) float32

//go:noescape
func reluAVX(x, y *float32, n int)

//go:noescape
func maskAVX(x, src, dst *float32, n int, acc bool)

//go:noescape
func sumDot64AVX(x, y *float32, n int) (sx, sxy float64)

//go:noescape
func corr3AVX(w *float32, d int, s, t *float32, n int, acc bool)

//go:noescape
func corr5AVX(w *float32, d int, s, t *float32, n int, acc bool)

//go:noescape
func bnNormAVX(x, y *float32, n int, mu, is float32)

//go:noescape
func bnAffineAVX(x, xh, y *float32, n int, mu, is, gm, bt float32)

//go:noescape
func bnDxAVX(dy, xh, dx *float32, n int, scale, mdy, mdyx float32, acc bool)

//go:noescape
func sqDev64AVX(x *float32, n int, mu float64) float64

//go:noescape
func gemm4AVX(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, n int, acc bool)

// hasAVX2FMA reports whether the CPU has AVX2 and FMA and the OS saves the
// YMM registers.
func hasAVX2FMA() bool {
	maxID, _, _, _ := cpuid(0, 0)
	if maxID < 7 {
		return false
	}
	_, _, c1, _ := cpuid(1, 0)
	const fma, osxsave, avx = 1 << 12, 1 << 27, 1 << 28
	if c1&fma == 0 || c1&osxsave == 0 || c1&avx == 0 {
		return false
	}
	if xgetbv0()&6 != 6 { // XMM and YMM state
		return false
	}
	_, b7, _, _ := cpuid(7, 0)
	return b7&(1<<5) != 0
}

// hasAVX512 reports whether the CPU has AVX512F, BW, DQ and VL (CPUID leaf 7
// EBX bits 16, 30, 17, 31; and BMI2, bit 8, for the tail masks) and the OS saves the opmask and all 32 ZMM
// registers (XCR0 bits 5 to 7, with XMM and YMM: bits 1 and 2). Call it only
// once hasAVX2FMA holds.
func hasAVX512() bool {
	if xgetbv0()&0xe6 != 0xe6 {
		return false
	}
	_, b7, _, _ := cpuid(7, 0)
	const bmi2, f, dq, bw, vl = 1 << 8, 1 << 16, 1 << 17, 1 << 30, 1 << 31
	return b7&(bmi2|f|dq|bw|vl) == bmi2|f|dq|bw|vl
}

// detectPath returns the widest kernel path the CPU and OS support.
func detectPath() int {
	switch {
	case !hasAVX2FMA():
		return pathPlain
	case !hasAVX512():
		return pathAVX2
	}
	return pathAVX512
}

//go:noescape
func hasNaNAVX(x *float32, n int) bool

//go:noescape
func max9AVX(s *float32, pw int, y *float32, n int)

//go:noescape
func maxCodeAVX(s *float32, pw int, m, code *float32, n int)

//go:noescape
func maxScatterAVX(code, d *float32, pw int, dx *float32, n int)

//go:noescape
func dot8AVX(x *float32, ys *[8]*float32, n int, out *[8]float32)

//go:noescape
func padAVX(x *float32, h, w int, dst *float32, p int, v float32, relu bool)

// The AVX-512 kernels of simd512_amd64.s, each giving the same bits as its
// AVX2 counterpart (same name with AVX).

//go:noescape
func axpy512(a float32, x, y *float32, n int)

//go:noescape
func scal512(a float32, x, y *float32, n int)

//go:noescape
func add512(x, y, z *float32, n int)

//go:noescape
func mulAdd512(a float32, x, y *float32, n int)

//go:noescape
func spread2x512(src, dst *float32, rows, w, dpitch int)

//go:noescape
func rows512(x, src, dst *float32, rows, w, spitch, dpitch int, relu, acc bool)

//go:noescape
func corrStack3x512(w *float32, d, pitch int, s, t *float32, n int)

//go:noescape
func corrRows3x512(w *float32, d, pitch int, s, x, y *float32, planes, rows, cols, splane, yplane int, relu, acc bool)

//go:noescape
func corrRows5x512(w *float32, d, pitch int, s, x, y *float32, planes, rows, cols, splane, yplane int, relu, acc bool)

//go:noescape
func dotTile512(a, b *float32, k, nb int, c *float32, ldc int, bt *float32, ldbt int)

//go:noescape
func relu512(x, y *float32, n int)

//go:noescape
func mask512(x, src, dst *float32, n int, acc bool)

//go:noescape
func bnNorm512(x, y *float32, n int, mu, is float32)

//go:noescape
func bnAffine512(x, xh, y *float32, n int, mu, is, gm, bt float32)

//go:noescape
func bnScale512(xh, y *float32, n int, gm, bt float32)

//go:noescape
func bnDx512(dy, xh, dx *float32, n int, scale, mdy, mdyx float32, acc bool)

//go:noescape
func corr3x512(w *float32, d int, s, t *float32, n int, acc bool)

//go:noescape
func corr5x512(w *float32, d int, s, t *float32, n int, acc bool)

//go:noescape
func pad512(x *float32, h, w int, dst *float32, p int, v float32, relu bool)

//go:noescape
func hasNaN512(x *float32, n int) bool

//go:noescape
func max9x512(s *float32, pw int, y *float32, n int)

//go:noescape
func maxCode512(s *float32, pw int, m, code *float32, n int)

//go:noescape
func maxScatter512(code, d *float32, pw int, dx *float32, n int)

// gemm4x512 is gemm4AVX over all n columns, the last n-n8 computed as
// gemmNNVec's Go loop computes them.
//
//go:noescape
func gemm4x512(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, n, n8 int, acc bool)

// sumDot64x4 is sumDot64AVX on 4 planes at once (n a multiple of 8),
// giving each plane sumDot64AVX's bits.
//
//go:noescape
func sumDot64x4(x, y *float32, stride, n int, out *[8]float64)

// sqDev64x4 is sqDev64AVX on 4 planes at once (n a multiple of 8), giving
// each plane sqDev64AVX's bits.
//
//go:noescape
func sqDev64x4(x *float32, stride, n int, mu float64, out *[4]float64)

// dw2x512 is dwPlane's stride-2 loops, with their bits.
//
//go:noescape
func dw2x512(src *float32, rs int, offs *int, w *float32, k int, y *float32, oh, ow int, first bool)

//go:noescape
func dots64x4(x *float32, ys *[4]*float32, n int, out *[4]float64)
