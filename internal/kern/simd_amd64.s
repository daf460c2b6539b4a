//go:build amd64 && !noasm

#include "textflag.h"

// func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)
TEXT ·cpuid(SB), NOSPLIT, $0-24
	MOVL eaxArg+0(FP), AX
	MOVL ecxArg+4(FP), CX
	CPUID
	MOVL AX, eax+8(FP)
	MOVL BX, ebx+12(FP)
	MOVL CX, ecx+16(FP)
	MOVL DX, edx+20(FP)
	RET

// func xgetbv0() (eax uint32)
TEXT ·xgetbv0(SB), NOSPLIT, $0-4
	MOVL $0, CX
	BYTE $0x0f; BYTE $0x01; BYTE $0xd0 // XGETBV
	MOVL AX, eax+0(FP)
	RET

// func axpyAVX(a float32, x, y *float32, n int)
// y[i] += a*x[i], fused multiply-add.
TEXT ·axpyAVX(SB), NOSPLIT, $0-32
	VBROADCASTSS a+0(FP), Y0
	MOVQ x+8(FP), SI
	MOVQ y+16(FP), DI
	MOVQ n+24(FP), CX

axpy32:
	CMPQ CX, $32
	JL   axpy8
	VMOVUPS (SI), Y1
	VMOVUPS 32(SI), Y2
	VMOVUPS 64(SI), Y3
	VMOVUPS 96(SI), Y4
	VFMADD213PS (DI), Y0, Y1
	VFMADD213PS 32(DI), Y0, Y2
	VFMADD213PS 64(DI), Y0, Y3
	VFMADD213PS 96(DI), Y0, Y4
	VMOVUPS Y1, (DI)
	VMOVUPS Y2, 32(DI)
	VMOVUPS Y3, 64(DI)
	VMOVUPS Y4, 96(DI)
	ADDQ $128, SI
	ADDQ $128, DI
	SUBQ $32, CX
	JMP  axpy32

axpy8:
	CMPQ CX, $8
	JL   axpy1
	VMOVUPS (SI), Y1
	VFMADD213PS (DI), Y0, Y1
	VMOVUPS Y1, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  axpy8

axpy1:
	CMPQ CX, $0
	JE   axpydone
	VMOVSS (SI), X1
	VFMADD213SS (DI), X0, X1
	VMOVSS X1, (DI)
	ADDQ $4, SI
	ADDQ $4, DI
	DECQ CX
	JMP  axpy1

axpydone:
	VZEROUPPER
	RET

// func scalAVX(a float32, x, y *float32, n int)
// y[i] = a*x[i].
TEXT ·scalAVX(SB), NOSPLIT, $0-32
	VBROADCASTSS a+0(FP), Y0
	MOVQ x+8(FP), SI
	MOVQ y+16(FP), DI
	MOVQ n+24(FP), CX

scal32:
	CMPQ CX, $32
	JL   scal8
	VMULPS (SI), Y0, Y1
	VMULPS 32(SI), Y0, Y2
	VMULPS 64(SI), Y0, Y3
	VMULPS 96(SI), Y0, Y4
	VMOVUPS Y1, (DI)
	VMOVUPS Y2, 32(DI)
	VMOVUPS Y3, 64(DI)
	VMOVUPS Y4, 96(DI)
	ADDQ $128, SI
	ADDQ $128, DI
	SUBQ $32, CX
	JMP  scal32

scal8:
	CMPQ CX, $8
	JL   scal1
	VMULPS (SI), Y0, Y1
	VMOVUPS Y1, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  scal8

scal1:
	CMPQ CX, $0
	JE   scaldone
	VMULSS (SI), X0, X1
	VMOVSS X1, (DI)
	ADDQ $4, SI
	ADDQ $4, DI
	DECQ CX
	JMP  scal1

scaldone:
	VZEROUPPER
	RET

// func dotAVX(x, y *float32, n int) float32
// Σ x[i]*y[i] in 32 float32 lanes, added up in a fixed order.
TEXT ·dotAVX(SB), NOSPLIT, $0-28
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ n+16(FP), CX
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7

dot32:
	CMPQ CX, $32
	JL   dot8
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VMOVUPS 64(SI), Y2
	VMOVUPS 96(SI), Y3
	VFMADD231PS (DI), Y0, Y4
	VFMADD231PS 32(DI), Y1, Y5
	VFMADD231PS 64(DI), Y2, Y6
	VFMADD231PS 96(DI), Y3, Y7
	ADDQ $128, SI
	ADDQ $128, DI
	SUBQ $32, CX
	JMP  dot32

dot8:
	CMPQ CX, $8
	JL   dotreduce
	VMOVUPS (SI), Y0
	VFMADD231PS (DI), Y0, Y4
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  dot8

dotreduce:
	VADDPS Y5, Y4, Y4
	VADDPS Y7, Y6, Y6
	VADDPS Y6, Y4, Y4
	VEXTRACTF128 $1, Y4, X5
	VADDPS X5, X4, X4
	VHADDPS X4, X4, X4
	VHADDPS X4, X4, X4

dot1:
	CMPQ CX, $0
	JE   dotdone
	VMOVSS (SI), X0
	VFMADD231SS (DI), X0, X4
	ADDQ $4, SI
	ADDQ $4, DI
	DECQ CX
	JMP  dot1

dotdone:
	VMOVSS X4, ret+24(FP)
	VZEROUPPER
	RET

// func reluAVX(x, y *float32, n int)
// y[i] = max(x[i], 0), NaN kept: MAXPS returns its second source when
// either is NaN, and that source is x.
TEXT ·reluAVX(SB), NOSPLIT, $0-24
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ n+16(FP), CX
	VXORPS Y0, Y0, Y0

relu32:
	CMPQ CX, $32
	JL   relu8
	VMOVUPS (SI), Y1
	VMOVUPS 32(SI), Y2
	VMOVUPS 64(SI), Y3
	VMOVUPS 96(SI), Y4
	VMAXPS Y1, Y0, Y1
	VMAXPS Y2, Y0, Y2
	VMAXPS Y3, Y0, Y3
	VMAXPS Y4, Y0, Y4
	VMOVUPS Y1, (DI)
	VMOVUPS Y2, 32(DI)
	VMOVUPS Y3, 64(DI)
	VMOVUPS Y4, 96(DI)
	ADDQ $128, SI
	ADDQ $128, DI
	SUBQ $32, CX
	JMP  relu32

relu8:
	CMPQ CX, $8
	JL   relu1
	VMOVUPS (SI), Y1
	VMAXPS Y1, Y0, Y1
	VMOVUPS Y1, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  relu8

relu1:
	CMPQ CX, $0
	JE   reludone
	VMOVSS (SI), X1
	VMAXSS X1, X0, X1
	VMOVSS X1, (DI)
	ADDQ $4, SI
	ADDQ $4, DI
	DECQ CX
	JMP  relu1

reludone:
	VZEROUPPER
	RET

// func maskAVX(x, src, dst *float32, n int, acc bool)
// m = x[i] > 0 (false for NaN); dst[i] = m ? src[i] : 0, plus dst[i] if acc.
TEXT ·maskAVX(SB), NOSPLIT, $0-33
	MOVQ x+0(FP), SI
	MOVQ src+8(FP), DX
	MOVQ dst+16(FP), DI
	MOVQ n+24(FP), CX
	MOVBLZX acc+32(FP), AX
	VXORPS Y0, Y0, Y0

mask8:
	CMPQ CX, $8
	JL   mask1
	VMOVUPS (SI), Y1
	VCMPPS $0x1e, Y0, Y1, Y1 // x > 0, ordered, quiet (GT_OQ)
	VANDPS (DX), Y1, Y1
	TESTQ AX, AX
	JZ   mask8set
	VADDPS (DI), Y1, Y1

mask8set:
	VMOVUPS Y1, (DI)
	ADDQ $32, SI
	ADDQ $32, DX
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  mask8

mask1:
	CMPQ CX, $0
	JE   maskdone
	VMOVSS (SI), X1
	VCMPSS $0x1e, X0, X1, X1
	VMOVSS (DX), X2
	VANDPS X2, X1, X1
	TESTQ AX, AX
	JZ   mask1set
	VADDSS (DI), X1, X1

mask1set:
	VMOVSS X1, (DI)
	ADDQ $4, SI
	ADDQ $4, DX
	ADDQ $4, DI
	DECQ CX
	JMP  mask1

maskdone:
	VZEROUPPER
	RET

// func sumDot64AVX(x, y *float32, n int) (sx, sxy float64)
// Σ x and Σ x*y in float64 (each float32 widened exactly), in 4 lanes of
// 2 accumulators each, added up in a fixed order. y is read only if non-nil.
TEXT ·sumDot64AVX(SB), NOSPLIT, $0-40
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ n+16(FP), CX
	VXORPD Y4, Y4, Y4
	VXORPD Y5, Y5, Y5
	VXORPD Y6, Y6, Y6
	VXORPD Y7, Y7, Y7
	TESTQ DI, DI
	JZ   sum8

sd8:
	CMPQ CX, $8
	JL   sdreduce
	VCVTPS2PD (SI), Y0
	VCVTPS2PD 16(SI), Y1
	VCVTPS2PD (DI), Y2
	VCVTPS2PD 16(DI), Y3
	VADDPD Y0, Y4, Y4
	VADDPD Y1, Y5, Y5
	VFMADD231PD Y2, Y0, Y6
	VFMADD231PD Y3, Y1, Y7
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  sd8

sum8:
	CMPQ CX, $8
	JL   sdreduce
	VCVTPS2PD (SI), Y0
	VCVTPS2PD 16(SI), Y1
	VADDPD Y0, Y4, Y4
	VADDPD Y1, Y5, Y5
	ADDQ $32, SI
	SUBQ $8, CX
	JMP  sum8

sdreduce:
	VADDPD Y5, Y4, Y4
	VADDPD Y7, Y6, Y6
	VEXTRACTF128 $1, Y4, X5
	VADDPD X5, X4, X4
	VHADDPD X4, X4, X4
	VEXTRACTF128 $1, Y6, X7
	VADDPD X7, X6, X6
	VHADDPD X6, X6, X6

sd1:
	CMPQ CX, $0
	JE   sddone
	VCVTSS2SD (SI), X0, X0
	VADDSD X0, X4, X4
	TESTQ DI, DI
	JZ   sd1next
	VCVTSS2SD (DI), X1, X1
	VFMADD231SD X1, X0, X6
	ADDQ $4, DI

sd1next:
	ADDQ $4, SI
	DECQ CX
	JMP  sd1

sddone:
	VMOVSD X4, sx+24(FP)
	VMOVSD X6, sxy+32(FP)
	VZEROUPPER
	RET

// func corr3AVX(w *float32, d int, s, t *float32, n int, acc bool)
// t[i] = (acc ? t[i] : 0) + w[0]*s[i] + w[1]*s[i+d] + … (k = 3 taps, each
// fused, in order; without acc the first is a plain product).
TEXT ·corr3AVX(SB), NOSPLIT, $0-41
	MOVQ w+0(FP), AX
	VBROADCASTSS 0(AX), Y8
	VBROADCASTSS 4(AX), Y9
	VBROADCASTSS 8(AX), Y10
	MOVQ d+8(FP), DX
	SHLQ $2, DX
	MOVQ s+16(FP), SI
	MOVQ t+24(FP), DI
	MOVQ n+32(FP), CX
	MOVBLZX acc+40(FP), BX
	LEAQ (SI)(DX*1), R8
	LEAQ (R8)(DX*1), R9

c3loop:
	CMPQ CX, $8
	JL   c3tail
	TESTQ BX, BX
	JZ   c3first
	VMOVUPS (DI), Y0
	VFMADD231PS (SI), Y8, Y0
	JMP  c3rest

c3first:
	VMULPS (SI), Y8, Y0

c3rest:
	VFMADD231PS (R8), Y9, Y0
	VFMADD231PS (R9), Y10, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, R8
	ADDQ $32, R9
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  c3loop

c3tail:
	CMPQ CX, $0
	JE   c3done
	TESTQ BX, BX
	JZ   c3tfirst
	VMOVSS (DI), X0
	VFMADD231SS (SI), X8, X0
	JMP  c3trest

c3tfirst:
	VMULSS (SI), X8, X0

c3trest:
	VFMADD231SS (R8), X9, X0
	VFMADD231SS (R9), X10, X0
	VMOVSS X0, (DI)
	ADDQ $4, SI
	ADDQ $4, R8
	ADDQ $4, R9
	ADDQ $4, DI
	DECQ CX
	JMP  c3tail

c3done:
	VZEROUPPER
	RET

// func corr5AVX(w *float32, d int, s, t *float32, n int, acc bool)
// t[i] = (acc ? t[i] : 0) + w[0]*s[i] + w[1]*s[i+d] + … (k = 5 taps, each
// fused, in order; without acc the first is a plain product).
TEXT ·corr5AVX(SB), NOSPLIT, $0-41
	MOVQ w+0(FP), AX
	VBROADCASTSS 0(AX), Y8
	VBROADCASTSS 4(AX), Y9
	VBROADCASTSS 8(AX), Y10
	VBROADCASTSS 12(AX), Y11
	VBROADCASTSS 16(AX), Y12
	MOVQ d+8(FP), DX
	SHLQ $2, DX
	MOVQ s+16(FP), SI
	MOVQ t+24(FP), DI
	MOVQ n+32(FP), CX
	MOVBLZX acc+40(FP), BX
	LEAQ (SI)(DX*1), R8
	LEAQ (R8)(DX*1), R9
	LEAQ (R9)(DX*1), R10
	LEAQ (R10)(DX*1), R11

c5loop:
	CMPQ CX, $8
	JL   c5tail
	TESTQ BX, BX
	JZ   c5first
	VMOVUPS (DI), Y0
	VFMADD231PS (SI), Y8, Y0
	JMP  c5rest

c5first:
	VMULPS (SI), Y8, Y0

c5rest:
	VFMADD231PS (R8), Y9, Y0
	VFMADD231PS (R9), Y10, Y0
	VFMADD231PS (R10), Y11, Y0
	VFMADD231PS (R11), Y12, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, R8
	ADDQ $32, R9
	ADDQ $32, R10
	ADDQ $32, R11
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  c5loop

c5tail:
	CMPQ CX, $0
	JE   c5done
	TESTQ BX, BX
	JZ   c5tfirst
	VMOVSS (DI), X0
	VFMADD231SS (SI), X8, X0
	JMP  c5trest

c5tfirst:
	VMULSS (SI), X8, X0

c5trest:
	VFMADD231SS (R8), X9, X0
	VFMADD231SS (R9), X10, X0
	VFMADD231SS (R10), X11, X0
	VFMADD231SS (R11), X12, X0
	VMOVSS X0, (DI)
	ADDQ $4, SI
	ADDQ $4, R8
	ADDQ $4, R9
	ADDQ $4, R10
	ADDQ $4, R11
	ADDQ $4, DI
	DECQ CX
	JMP  c5tail

c5done:
	VZEROUPPER
	RET

// func bnNormAVX(x, y *float32, n int, mu, is float32)
// y[i] = (x[i] - mu) * is.
TEXT ·bnNormAVX(SB), NOSPLIT, $0-32
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ n+16(FP), CX
	VBROADCASTSS mu+24(FP), Y8
	VBROADCASTSS is+28(FP), Y9

bnn8:
	CMPQ CX, $8
	JL   bnn1
	VMOVUPS (SI), Y0
	VSUBPS Y8, Y0, Y0
	VMULPS Y9, Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  bnn8

bnn1:
	CMPQ CX, $0
	JE   bnndone
	VMOVSS (SI), X0
	VSUBSS X8, X0, X0
	VMULSS X9, X0, X0
	VMOVSS X0, (DI)
	ADDQ $4, SI
	ADDQ $4, DI
	DECQ CX
	JMP  bnn1

bnndone:
	VZEROUPPER
	RET

// func bnDxAVX(dy, xh, dx *float32, n int, scale, mdy, mdyx float32, acc bool)
// v = scale * ((dy[i] - mdy) - xh[i]*mdyx); dx[i] = v, or dx[i] += v if acc.
TEXT ·bnDxAVX(SB), NOSPLIT, $0-45
	MOVQ dy+0(FP), SI
	MOVQ xh+8(FP), DX
	MOVQ dx+16(FP), DI
	MOVQ n+24(FP), CX
	VBROADCASTSS scale+32(FP), Y8
	VBROADCASTSS mdy+36(FP), Y9
	VBROADCASTSS mdyx+40(FP), Y10
	MOVBLZX acc+44(FP), BX

bnd8:
	CMPQ CX, $8
	JL   bnd1
	VMOVUPS (SI), Y0
	VSUBPS Y9, Y0, Y0
	VMULPS (DX), Y10, Y1
	VSUBPS Y1, Y0, Y0
	VMULPS Y8, Y0, Y0
	TESTQ BX, BX
	JZ   bnd8set
	VADDPS (DI), Y0, Y0

bnd8set:
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DX
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  bnd8

bnd1:
	CMPQ CX, $0
	JE   bnddone
	VMOVSS (SI), X0
	VSUBSS X9, X0, X0
	VMOVSS (DX), X1
	VMULSS X10, X1, X1
	VSUBSS X1, X0, X0
	VMULSS X8, X0, X0
	TESTQ BX, BX
	JZ   bnd1set
	VADDSS (DI), X0, X0

bnd1set:
	VMOVSS X0, (DI)
	ADDQ $4, SI
	ADDQ $4, DX
	ADDQ $4, DI
	DECQ CX
	JMP  bnd1

bnddone:
	VZEROUPPER
	RET

// func sqDev64AVX(x *float32, n int, mu float64) float64
// Σ (float64(x[i]) - mu)², in 4 lanes of 2 accumulators, added up in a
// fixed order.
TEXT ·sqDev64AVX(SB), NOSPLIT, $0-32
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	VBROADCASTSD mu+16(FP), Y8
	VXORPD Y4, Y4, Y4
	VXORPD Y5, Y5, Y5

sqd8:
	CMPQ CX, $8
	JL   sqdreduce
	VCVTPS2PD (SI), Y0
	VCVTPS2PD 16(SI), Y1
	VSUBPD Y8, Y0, Y0
	VSUBPD Y8, Y1, Y1
	VFMADD231PD Y0, Y0, Y4
	VFMADD231PD Y1, Y1, Y5
	ADDQ $32, SI
	SUBQ $8, CX
	JMP  sqd8

sqdreduce:
	VADDPD Y5, Y4, Y4
	VEXTRACTF128 $1, Y4, X5
	VADDPD X5, X4, X4
	VHADDPD X4, X4, X4

sqd1:
	CMPQ CX, $0
	JE   sqddone
	VCVTSS2SD (SI), X0, X0
	VSUBSD X8, X0, X0
	VFMADD231SD X0, X0, X4
	ADDQ $4, SI
	DECQ CX
	JMP  sqd1

sqddone:
	VMOVSD X4, ret+24(FP)
	VZEROUPPER
	RET

// func gemm4AVX(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, n int, acc bool)
// For the 4 rows r of c and columns j < n rounded down to 8:
// c[r,j] = (acc ? c[r,j] : 0) + Σ_p a[r,p]*b[p,j], p in order, fused; the
// 4 sums of 8 columns stay in registers across p.
TEXT ·gemm4AVX(SB), NOSPLIT, $0-65
	MOVQ k+0(FP), R8
	MOVQ a+8(FP), R9
	MOVQ lda+16(FP), R10
	SHLQ $2, R10
	MOVQ b+24(FP), R11
	MOVQ ldb+32(FP), R12
	SHLQ $2, R12
	MOVQ c+40(FP), R13
	MOVQ ldc+48(FP), R14
	SHLQ $2, R14
	MOVQ n+56(FP), R15
	XORQ DX, DX // column offset in bytes

g4col:
	CMPQ R15, $8
	JL   g4done
	LEAQ (R13)(DX*1), DI // &c[0,j]
	CMPB acc+64(FP), $0
	JE   g4zero
	VMOVUPS (DI), Y0
	VMOVUPS (DI)(R14*1), Y1
	LEAQ (DI)(R14*2), AX
	VMOVUPS (AX), Y2
	VMOVUPS (AX)(R14*1), Y3
	JMP  g4k

g4zero:
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3

g4k:
	MOVQ R9, SI          // &a[0,p]
	LEAQ (R9)(R10*2), BX // &a[2,p]
	LEAQ (R11)(DX*1), CX // &b[p,j]
	MOVQ R8, AX          // p count

g4p:
	TESTQ AX, AX
	JZ   g4store
	VMOVUPS (CX), Y4
	VBROADCASTSS (SI), Y5
	VFMADD231PS Y4, Y5, Y0
	VBROADCASTSS (SI)(R10*1), Y6
	VFMADD231PS Y4, Y6, Y1
	VBROADCASTSS (BX), Y7
	VFMADD231PS Y4, Y7, Y2
	VBROADCASTSS (BX)(R10*1), Y8
	VFMADD231PS Y4, Y8, Y3
	ADDQ $4, SI
	ADDQ $4, BX
	ADDQ R12, CX
	DECQ AX
	JMP  g4p

g4store:
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, (DI)(R14*1)
	LEAQ (DI)(R14*2), AX
	VMOVUPS Y2, (AX)
	VMOVUPS Y3, (AX)(R14*1)
	ADDQ $32, DX
	SUBQ $8, R15
	JMP  g4col

g4done:
	VZEROUPPER
	RET

// func hasNaNAVX(x *float32, n int) bool
// Whether any x[i] is NaN.
TEXT ·hasNaNAVX(SB), NOSPLIT, $0-17
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1

hn16:
	CMPQ CX, $16
	JL   hn8
	VMOVUPS (SI), Y2
	VMOVUPS 32(SI), Y3
	VCMPPS $3, Y2, Y2, Y2 // unordered: NaN
	VCMPPS $3, Y3, Y3, Y3
	VORPS Y2, Y0, Y0
	VORPS Y3, Y1, Y1
	ADDQ $64, SI
	SUBQ $16, CX
	JMP  hn16

hn8:
	VORPS Y1, Y0, Y0
	CMPQ CX, $8
	JL   hn1
	VMOVUPS (SI), Y2
	VCMPPS $3, Y2, Y2, Y2
	VORPS Y2, Y0, Y0
	ADDQ $32, SI
	SUBQ $8, CX

hn1:
	CMPQ CX, $0
	JE   hndone
	VMOVSS (SI), X2
	VCMPSS $3, X2, X2, X2
	VORPS Y2, Y0, Y0
	ADDQ $4, SI
	DECQ CX
	JMP  hn1

hndone:
	VMOVMSKPS Y0, AX
	TESTL AX, AX
	SETNE ret+16(FP)
	VZEROUPPER
	RET

// func max9AVX(s *float32, pw int, y *float32, n int)
// y[i] = max over kh, kw < 3 of s[i+kh*pw+kw] (VMAXPS: NaN is not
// propagated; callers check for NaN first).
TEXT ·max9AVX(SB), NOSPLIT, $0-32
	MOVQ s+0(FP), SI
	MOVQ pw+8(FP), DX
	SHLQ $2, DX
	MOVQ y+16(FP), DI
	MOVQ n+24(FP), CX
	LEAQ (SI)(DX*1), R8
	LEAQ (R8)(DX*1), R9

m9loop:
	CMPQ CX, $8
	JL   m9tail
	VMOVUPS (SI), Y0
	VMOVUPS (R8), Y1
	VMOVUPS (R9), Y2
	VMAXPS 4(SI), Y0, Y0
	VMAXPS 4(R8), Y1, Y1
	VMAXPS 4(R9), Y2, Y2
	VMAXPS 8(SI), Y0, Y0
	VMAXPS 8(R8), Y1, Y1
	VMAXPS 8(R9), Y2, Y2
	VMAXPS Y1, Y0, Y0
	VMAXPS Y2, Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, R8
	ADDQ $32, R9
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  m9loop

m9tail:
	CMPQ CX, $0
	JE   m9done
	VMOVSS (SI), X0
	VMOVSS (R8), X1
	VMOVSS (R9), X2
	VMAXSS 4(SI), X0, X0
	VMAXSS 4(R8), X1, X1
	VMAXSS 4(R9), X2, X2
	VMAXSS 8(SI), X0, X0
	VMAXSS 8(R8), X1, X1
	VMAXSS 8(R9), X2, X2
	VMAXSS X1, X0, X0
	VMAXSS X2, X0, X0
	VMOVSS X0, (DI)
	ADDQ $4, SI
	ADDQ $4, R8
	ADDQ $4, R9
	ADDQ $4, DI
	DECQ CX
	JMP  m9tail

m9done:
	VZEROUPPER
	RET

#define BCASTD(v, r) MOVL $v, AX; VMOVD AX, X0; VPBROADCASTD X0, r

// func maxCodeAVX(s *float32, pw int, m, code *float32, n int)
// code[i] (an int32) = the first t = kh*3+kw in order with
// s[i+kh*pw+kw] == m[i], or 9 if none: taps are tried last to first and
// each match overwrites the code.
TEXT ·maxCodeAVX(SB), NOSPLIT, $0-40
	MOVQ s+0(FP), SI
	MOVQ pw+8(FP), DX
	SHLQ $2, DX
	MOVQ m+16(FP), BX
	MOVQ code+24(FP), DI
	MOVQ n+32(FP), CX
	LEAQ (SI)(DX*1), R8
	LEAQ (R8)(DX*1), R9
	BCASTD(0, Y6)
	BCASTD(1, Y7)
	BCASTD(2, Y8)
	BCASTD(3, Y9)
	BCASTD(4, Y10)
	BCASTD(5, Y11)
	BCASTD(6, Y12)
	BCASTD(7, Y13)
	BCASTD(8, Y14)
	BCASTD(9, Y15)

#define MCTAP(off, row, t) VCMPPS $0, off(row), Y0, Y2; VBLENDVPS Y2, t, Y1, Y1

mcloop:
	CMPQ CX, $8
	JL   mctail
	VMOVUPS (BX), Y0
	VMOVUPS Y15, Y1
	MCTAP(8, R9, Y14)
	MCTAP(4, R9, Y13)
	MCTAP(0, R9, Y12)
	MCTAP(8, R8, Y11)
	MCTAP(4, R8, Y10)
	MCTAP(0, R8, Y9)
	MCTAP(8, SI, Y8)
	MCTAP(4, SI, Y7)
	MCTAP(0, SI, Y6)
	VMOVUPS Y1, (DI)
	ADDQ $32, SI
	ADDQ $32, R8
	ADDQ $32, R9
	ADDQ $32, BX
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  mcloop

#define MCTAP1(off, row, t) VMOVSS off(row), X3; VCMPPS $0, Y3, Y0, Y2; VBLENDVPS Y2, t, Y1, Y1

mctail:
	CMPQ CX, $0
	JE   mcdone
	VMOVSS (BX), X0
	VMOVUPS Y15, Y1
	MCTAP1(8, R9, Y14)
	MCTAP1(4, R9, Y13)
	MCTAP1(0, R9, Y12)
	MCTAP1(8, R8, Y11)
	MCTAP1(4, R8, Y10)
	MCTAP1(0, R8, Y9)
	MCTAP1(8, SI, Y8)
	MCTAP1(4, SI, Y7)
	MCTAP1(0, SI, Y6)
	VMOVSS X1, (DI)
	ADDQ $4, SI
	ADDQ $4, R8
	ADDQ $4, R9
	ADDQ $4, BX
	ADDQ $4, DI
	DECQ CX
	JMP  mctail

mcdone:
	VZEROUPPER
	RET

// func maxScatterAVX(code, d *float32, pw int, dx *float32, n int)
// dx[i] = Σ over kh, kw < 3 of (code[j] == kh*3+kw ? d[j] : 0) with
// j = i+(2-kh)*pw+(2-kw), added in increasing j: the gradient of each input
// from the windows that selected it.
TEXT ·maxScatterAVX(SB), NOSPLIT, $0-40
	MOVQ code+0(FP), SI
	MOVQ d+8(FP), R10
	MOVQ pw+16(FP), DX
	SHLQ $2, DX
	MOVQ dx+24(FP), DI
	MOVQ n+32(FP), CX
	LEAQ (SI)(DX*1), R8
	LEAQ (R8)(DX*1), R9
	LEAQ (R10)(DX*1), R11
	LEAQ (R11)(DX*1), R12
	BCASTD(0, Y6)
	BCASTD(1, Y7)
	BCASTD(2, Y8)
	BCASTD(3, Y9)
	BCASTD(4, Y10)
	BCASTD(5, Y11)
	BCASTD(6, Y12)
	BCASTD(7, Y13)
	BCASTD(8, Y14)

#define MSTAP(off, crow, drow, t) VPCMPEQD off(crow), t, Y2; VANDPS off(drow), Y2, Y2; VADDPS Y2, Y1, Y1

msloop:
	CMPQ CX, $8
	JL   mstail
	VXORPS Y1, Y1, Y1
	MSTAP(0, SI, R10, Y14)
	MSTAP(4, SI, R10, Y13)
	MSTAP(8, SI, R10, Y12)
	MSTAP(0, R8, R11, Y11)
	MSTAP(4, R8, R11, Y10)
	MSTAP(8, R8, R11, Y9)
	MSTAP(0, R9, R12, Y8)
	MSTAP(4, R9, R12, Y7)
	MSTAP(8, R9, R12, Y6)
	VMOVUPS Y1, (DI)
	ADDQ $32, SI
	ADDQ $32, R8
	ADDQ $32, R9
	ADDQ $32, R10
	ADDQ $32, R11
	ADDQ $32, R12
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  msloop

#define MSTAP1(off, crow, drow, t) VMOVSS off(crow), X3; VPCMPEQD Y3, t, Y2; VMOVSS off(drow), X4; VANDPS Y4, Y2, Y2; VADDSS X2, X1, X1

mstail:
	CMPQ CX, $0
	JE   msdone
	VXORPS Y1, Y1, Y1
	MSTAP1(0, SI, R10, Y14)
	MSTAP1(4, SI, R10, Y13)
	MSTAP1(8, SI, R10, Y12)
	MSTAP1(0, R8, R11, Y11)
	MSTAP1(4, R8, R11, Y10)
	MSTAP1(8, R8, R11, Y9)
	MSTAP1(0, R9, R12, Y8)
	MSTAP1(4, R9, R12, Y7)
	MSTAP1(8, R9, R12, Y6)
	VMOVSS X1, (DI)
	ADDQ $4, SI
	ADDQ $4, R8
	ADDQ $4, R9
	ADDQ $4, R10
	ADDQ $4, R11
	ADDQ $4, R12
	ADDQ $4, DI
	DECQ CX
	JMP  mstail

msdone:
	VZEROUPPER
	RET

// func dot8AVX(x *float32, ys *[8]*float32, n int, out *[8]float32)
// out[j] = Σ_{i < n} x[i]*ys[j][i] for the 8 rows at once (n a multiple of
// 8), so that each load of x serves 8 fused multiply-adds. Each sum runs in
// 8 lanes, added up in a fixed order.
TEXT ·dot8AVX(SB), NOSPLIT, $0-32
	MOVQ x+0(FP), SI
	MOVQ ys+8(FP), AX
	MOVQ n+16(FP), CX
	MOVQ 0(AX), R8
	MOVQ 8(AX), R9
	MOVQ 16(AX), R10
	MOVQ 24(AX), R11
	MOVQ 32(AX), R12
	MOVQ 40(AX), R13
	MOVQ 48(AX), R14
	MOVQ 56(AX), R15
	XORQ DX, DX
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11
	VXORPS Y12, Y12, Y12
	VXORPS Y13, Y13, Y13
	VXORPS Y14, Y14, Y14
	VXORPS Y15, Y15, Y15

d8loop:
	CMPQ CX, $8
	JL   d8reduce
	VMOVUPS (SI)(DX*1), Y0
	VFMADD231PS (R8)(DX*1), Y0, Y8
	VFMADD231PS (R9)(DX*1), Y0, Y9
	VFMADD231PS (R10)(DX*1), Y0, Y10
	VFMADD231PS (R11)(DX*1), Y0, Y11
	VFMADD231PS (R12)(DX*1), Y0, Y12
	VFMADD231PS (R13)(DX*1), Y0, Y13
	VFMADD231PS (R14)(DX*1), Y0, Y14
	VFMADD231PS (R15)(DX*1), Y0, Y15
	ADDQ $32, DX
	SUBQ $8, CX
	JMP  d8loop

d8reduce:
	VHADDPS Y9, Y8, Y0
	VHADDPS Y11, Y10, Y1
	VHADDPS Y13, Y12, Y2
	VHADDPS Y15, Y14, Y3
	VHADDPS Y1, Y0, Y0
	VHADDPS Y3, Y2, Y2
	VPERM2F128 $0x20, Y2, Y0, Y4
	VPERM2F128 $0x31, Y2, Y0, Y5
	VADDPS Y5, Y4, Y4
	MOVQ out+24(FP), DI
	VMOVUPS Y4, (DI)
	VZEROUPPER
	RET

// func padAVX(x *float32, h, w int, dst *float32, p int, v float32, relu bool)
// Writes the (h+2p)×(w+2p) plane dst: the h×w plane x in the middle (as
// max(x, 0), NaN kept, if relu) and v in the border, in one pass.
TEXT ·padAVX(SB), NOSPLIT, $0-45
	MOVQ x+0(FP), SI
	MOVQ h+8(FP), R8
	MOVQ w+16(FP), R9
	MOVQ dst+24(FP), DI
	MOVQ p+32(FP), R10
	VBROADCASTSS v+40(FP), Y15
	MOVBLZX relu+44(FP), R11
	VXORPS Y14, Y14, Y14
	LEAQ (R9)(R10*2), R12 // pw
	// Top rows and the first left border: p*pw + p.
	MOVQ R10, CX
	IMULQ R12, CX
	ADDQ R10, CX
	LEAQ (R10)(R10*1), R13 // 2p: right border + next left border

padfill:
	CMPQ CX, $8
	JL   padfill1
	VMOVUPS Y15, (DI)
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  padfill

padfill1:
	CMPQ CX, $0
	JE   padrow
	VMOVSS X15, (DI)
	ADDQ $4, DI
	DECQ CX
	JMP  padfill1

padrow:
	CMPQ R8, $0
	JE   paddone
	MOVQ R9, CX

padcopy8:
	CMPQ CX, $8
	JL   padcopy1
	VMOVUPS (SI), Y0
	TESTQ R11, R11
	JZ   padst8
	VMAXPS Y0, Y14, Y0

padst8:
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  padcopy8

padcopy1:
	CMPQ CX, $0
	JE   padborder
	VMOVSS (SI), X0
	TESTQ R11, R11
	JZ   padst1
	VMAXSS X0, X14, X0

padst1:
	VMOVSS X0, (DI)
	ADDQ $4, SI
	ADDQ $4, DI
	DECQ CX
	JMP  padcopy1

padborder:
	DECQ R8
	MOVQ R13, CX
	CMPQ R8, $0
	JNE  padfill
	// Last row: its right border, then the bottom rows.
	MOVQ R10, CX
	IMULQ R12, CX
	ADDQ R10, CX
	JMP  padfill

paddone:
	VZEROUPPER
	RET

// func bnAffineAVX(x, xh, y *float32, n int, mu, is, gm, bt float32)
// h = (x[i] - mu) * is; xh[i] = h; y[i] = h*gm + bt, the multiply and the
// add rounded separately (as the Go loop it replaces: no FMA).
TEXT ·bnAffineAVX(SB), NOSPLIT, $0-48
	MOVQ x+0(FP), SI
	MOVQ xh+8(FP), DX
	MOVQ y+16(FP), DI
	MOVQ n+24(FP), CX
	VBROADCASTSS mu+32(FP), Y8
	VBROADCASTSS is+36(FP), Y9
	VBROADCASTSS gm+40(FP), Y10
	VBROADCASTSS bt+44(FP), Y11

bna8:
	CMPQ CX, $8
	JL   bna1
	VMOVUPS (SI), Y0
	VSUBPS Y8, Y0, Y0
	VMULPS Y9, Y0, Y0
	VMOVUPS Y0, (DX)
	VMULPS Y10, Y0, Y1
	VADDPS Y11, Y1, Y1
	VMOVUPS Y1, (DI)
	ADDQ $32, SI
	ADDQ $32, DX
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  bna8

bna1:
	CMPQ CX, $0
	JE   bnadone
	VMOVSS (SI), X0
	VSUBSS X8, X0, X0
	VMULSS X9, X0, X0
	VMOVSS X0, (DX)
	VMULSS X10, X0, X1
	VADDSS X11, X1, X1
	VMOVSS X1, (DI)
	ADDQ $4, SI
	ADDQ $4, DX
	ADDQ $4, DI
	DECQ CX
	JMP  bna1

bnadone:
	VZEROUPPER
	RET

// func addAVX(x, y, z *float32, n int)
// z[i] = x[i] + y[i].
TEXT ·addAVX(SB), NOSPLIT, $0-32
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), DX
	MOVQ z+16(FP), DI
	MOVQ n+24(FP), CX

add32:
	CMPQ CX, $32
	JL   add8
	VMOVUPS (SI), Y1
	VMOVUPS 32(SI), Y2
	VMOVUPS 64(SI), Y3
	VMOVUPS 96(SI), Y4
	VADDPS (DX), Y1, Y1
	VADDPS 32(DX), Y2, Y2
	VADDPS 64(DX), Y3, Y3
	VADDPS 96(DX), Y4, Y4
	VMOVUPS Y1, (DI)
	VMOVUPS Y2, 32(DI)
	VMOVUPS Y3, 64(DI)
	VMOVUPS Y4, 96(DI)
	ADDQ $128, SI
	ADDQ $128, DX
	ADDQ $128, DI
	SUBQ $32, CX
	JMP  add32

add8:
	CMPQ CX, $8
	JL   add1
	VMOVUPS (SI), Y1
	VADDPS (DX), Y1, Y1
	VMOVUPS Y1, (DI)
	ADDQ $32, SI
	ADDQ $32, DX
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  add8

add1:
	CMPQ CX, $0
	JE   adddone
	VMOVSS (SI), X1
	VADDSS (DX), X1, X1
	VMOVSS X1, (DI)
	ADDQ $4, SI
	ADDQ $4, DX
	ADDQ $4, DI
	DECQ CX
	JMP  add1

adddone:
	VZEROUPPER
	RET

// func mulAddAVX(a float32, x, y *float32, n int)
// y[i] = y[i] + a*x[i], the product rounded before the add.
TEXT ·mulAddAVX(SB), NOSPLIT, $0-32
	VBROADCASTSS a+0(FP), Y0
	MOVQ x+8(FP), SI
	MOVQ y+16(FP), DI
	MOVQ n+24(FP), CX

ma8:
	CMPQ CX, $8
	JL   ma1
	VMULPS (SI), Y0, Y1
	VMOVUPS (DI), Y3
	VADDPS Y1, Y3, Y3
	VMOVUPS Y3, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  ma8

ma1:
	CMPQ CX, $0
	JE   madone
	VMULSS (SI), X0, X1
	VMOVSS (DI), X3
	VADDSS X1, X3, X3
	VMOVSS X3, (DI)
	ADDQ $4, SI
	ADDQ $4, DI
	DECQ CX
	JMP  ma1

madone:
	VZEROUPPER
	RET
