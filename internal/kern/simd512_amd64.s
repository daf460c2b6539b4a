//go:build amd64 && !noasm

#include "textflag.h"

// The AVX-512 kernels: 16 float32 lanes in ZMM registers, the last n%16
// elements under an opmask (masked loads do not fault on masked-out lanes,
// so the tail reads nothing past its slice). Each computes every element
// with the same operations, in the same order, as its AVX2 counterpart in
// simd_amd64.s (whose scalar tails use the same fused or unfused operations
// as its vector body), so the two give the same bits.

// TAIL sets the opmask k to the n low bits (n <= 16; AX is clobbered).
#define TAIL(n, k) MOVL $-1, AX; BZHIL n, AX, AX; KMOVW AX, k

// func axpy512(a float32, x, y *float32, n int)
// y[i] += a*x[i], fused multiply-add.
TEXT ·axpy512(SB), NOSPLIT, $0-32
	VBROADCASTSS a+0(FP), Z0
	MOVQ x+8(FP), SI
	MOVQ y+16(FP), DI
	MOVQ n+24(FP), CX

axpy64:
	CMPQ CX, $64
	JL   axpy16
	VMOVUPS (SI), Z1
	VMOVUPS 64(SI), Z2
	VMOVUPS 128(SI), Z3
	VMOVUPS 192(SI), Z4
	VFMADD213PS (DI), Z0, Z1
	VFMADD213PS 64(DI), Z0, Z2
	VFMADD213PS 128(DI), Z0, Z3
	VFMADD213PS 192(DI), Z0, Z4
	VMOVUPS Z1, (DI)
	VMOVUPS Z2, 64(DI)
	VMOVUPS Z3, 128(DI)
	VMOVUPS Z4, 192(DI)
	ADDQ $256, SI
	ADDQ $256, DI
	SUBQ $64, CX
	JMP  axpy64

axpy16:
	CMPQ CX, $16
	JL   axpytail
	VMOVUPS (SI), Z1
	VFMADD213PS (DI), Z0, Z1
	VMOVUPS Z1, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX
	JMP  axpy16

axpytail:
	TESTQ CX, CX
	JZ   axpydone
	TAIL(CX, K1)
	VMOVUPS.Z (SI), K1, Z1
	VFMADD213PS (DI), Z0, K1, Z1
	VMOVUPS Z1, K1, (DI)

axpydone:
	VZEROUPPER
	RET

// func scal512(a float32, x, y *float32, n int)
// y[i] = a*x[i].
TEXT ·scal512(SB), NOSPLIT, $0-32
	VBROADCASTSS a+0(FP), Z0
	MOVQ x+8(FP), SI
	MOVQ y+16(FP), DI
	MOVQ n+24(FP), CX

scal64:
	CMPQ CX, $64
	JL   scal16
	VMULPS (SI), Z0, Z1
	VMULPS 64(SI), Z0, Z2
	VMULPS 128(SI), Z0, Z3
	VMULPS 192(SI), Z0, Z4
	VMOVUPS Z1, (DI)
	VMOVUPS Z2, 64(DI)
	VMOVUPS Z3, 128(DI)
	VMOVUPS Z4, 192(DI)
	ADDQ $256, SI
	ADDQ $256, DI
	SUBQ $64, CX
	JMP  scal64

scal16:
	CMPQ CX, $16
	JL   scaltail
	VMULPS (SI), Z0, Z1
	VMOVUPS Z1, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX
	JMP  scal16

scaltail:
	TESTQ CX, CX
	JZ   scaldone
	TAIL(CX, K1)
	VMULPS.Z (SI), Z0, K1, Z1
	VMOVUPS Z1, K1, (DI)

scaldone:
	VZEROUPPER
	RET

// func relu512(x, y *float32, n int)
// y[i] = max(x[i], 0), NaN kept: MAXPS returns its second source when
// either is NaN (or both are zeros), and that source is x.
TEXT ·relu512(SB), NOSPLIT, $0-24
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ n+16(FP), CX
	VPXORD Z0, Z0, Z0

relu64:
	CMPQ CX, $64
	JL   relu16
	VMOVUPS (SI), Z1
	VMOVUPS 64(SI), Z2
	VMOVUPS 128(SI), Z3
	VMOVUPS 192(SI), Z4
	VMAXPS Z1, Z0, Z1
	VMAXPS Z2, Z0, Z2
	VMAXPS Z3, Z0, Z3
	VMAXPS Z4, Z0, Z4
	VMOVUPS Z1, (DI)
	VMOVUPS Z2, 64(DI)
	VMOVUPS Z3, 128(DI)
	VMOVUPS Z4, 192(DI)
	ADDQ $256, SI
	ADDQ $256, DI
	SUBQ $64, CX
	JMP  relu64

relu16:
	CMPQ CX, $16
	JL   relutail
	VMOVUPS (SI), Z1
	VMAXPS Z1, Z0, Z1
	VMOVUPS Z1, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX
	JMP  relu16

relutail:
	TESTQ CX, CX
	JZ   reludone
	TAIL(CX, K1)
	VMOVUPS.Z (SI), K1, Z1
	VMAXPS Z1, Z0, Z1
	VMOVUPS Z1, K1, (DI)

reludone:
	VZEROUPPER
	RET

// func mask512(x, src, dst *float32, n int, acc bool)
// m = x[i] > 0 (false for NaN); dst[i] = m ? src[i] : +0, plus dst[i] if acc.
TEXT ·mask512(SB), NOSPLIT, $0-33
	MOVQ x+0(FP), SI
	MOVQ src+8(FP), DX
	MOVQ dst+16(FP), DI
	MOVQ n+24(FP), CX
	MOVBLZX acc+32(FP), BX
	VPXORD Z0, Z0, Z0

mask16:
	CMPQ CX, $16
	JL   masktail
	VMOVUPS (SI), Z1
	VCMPPS $0x1e, Z0, Z1, K2 // x > 0, ordered, quiet (GT_OQ)
	VMOVUPS.Z (DX), K2, Z1
	TESTQ BX, BX
	JZ   mask16set
	VADDPS (DI), Z1, Z1

mask16set:
	VMOVUPS Z1, (DI)
	ADDQ $64, SI
	ADDQ $64, DX
	ADDQ $64, DI
	SUBQ $16, CX
	JMP  mask16

masktail:
	TESTQ CX, CX
	JZ   maskdone
	TAIL(CX, K1)
	VMOVUPS.Z (SI), K1, Z1
	VCMPPS $0x1e, Z0, Z1, K1, K2
	VMOVUPS.Z (DX), K2, Z1
	TESTQ BX, BX
	JZ   masktailset
	VADDPS.Z (DI), Z1, K1, Z1

masktailset:
	VMOVUPS Z1, K1, (DI)

maskdone:
	VZEROUPPER
	RET

// func bnNorm512(x, y *float32, n int, mu, is float32)
// y[i] = (x[i] - mu) * is.
TEXT ·bnNorm512(SB), NOSPLIT, $0-32
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ n+16(FP), CX
	VBROADCASTSS mu+24(FP), Z8
	VBROADCASTSS is+28(FP), Z9

bnn32:
	CMPQ CX, $32
	JL   bnn16
	VMOVUPS (SI), Z0
	VMOVUPS 64(SI), Z1
	VSUBPS Z8, Z0, Z0
	VSUBPS Z8, Z1, Z1
	VMULPS Z9, Z0, Z0
	VMULPS Z9, Z1, Z1
	VMOVUPS Z0, (DI)
	VMOVUPS Z1, 64(DI)
	ADDQ $128, SI
	ADDQ $128, DI
	SUBQ $32, CX
	JMP  bnn32

bnn16:
	CMPQ CX, $16
	JL   bnntail
	VMOVUPS (SI), Z0
	VSUBPS Z8, Z0, Z0
	VMULPS Z9, Z0, Z0
	VMOVUPS Z0, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX
	JMP  bnn16

bnntail:
	TESTQ CX, CX
	JZ   bnndone
	TAIL(CX, K1)
	VMOVUPS.Z (SI), K1, Z0
	VSUBPS Z8, Z0, Z0
	VMULPS Z9, Z0, Z0
	VMOVUPS Z0, K1, (DI)

bnndone:
	VZEROUPPER
	RET

// func bnDx512(dy, xh, dx *float32, n int, scale, mdy, mdyx float32, acc bool)
// v = scale * ((dy[i] - mdy) - xh[i]*mdyx); dx[i] = v, or dx[i] += v if acc.
TEXT ·bnDx512(SB), NOSPLIT, $0-45
	MOVQ dy+0(FP), SI
	MOVQ xh+8(FP), DX
	MOVQ dx+16(FP), DI
	MOVQ n+24(FP), CX
	VBROADCASTSS scale+32(FP), Z8
	VBROADCASTSS mdy+36(FP), Z9
	VBROADCASTSS mdyx+40(FP), Z10
	MOVBLZX acc+44(FP), BX

bnd16:
	CMPQ CX, $16
	JL   bndtail
	VMOVUPS (SI), Z0
	VSUBPS Z9, Z0, Z0
	VMULPS (DX), Z10, Z1
	VSUBPS Z1, Z0, Z0
	VMULPS Z8, Z0, Z0
	TESTQ BX, BX
	JZ   bnd16set
	VADDPS (DI), Z0, Z0

bnd16set:
	VMOVUPS Z0, (DI)
	ADDQ $64, SI
	ADDQ $64, DX
	ADDQ $64, DI
	SUBQ $16, CX
	JMP  bnd16

bndtail:
	TESTQ CX, CX
	JZ   bnddone
	TAIL(CX, K1)
	VMOVUPS.Z (SI), K1, Z0
	VSUBPS Z9, Z0, Z0
	VMULPS.Z (DX), Z10, K1, Z1
	VSUBPS Z1, Z0, Z0
	VMULPS Z8, Z0, Z0
	TESTQ BX, BX
	JZ   bndtailset
	VADDPS.Z (DI), Z0, K1, Z0

bndtailset:
	VMOVUPS Z0, K1, (DI)

bnddone:
	VZEROUPPER
	RET

// func corr3x512(w *float32, d int, s, t *float32, n int, acc bool)
// t[i] = (acc ? t[i] : 0) + w[0]*s[i] + w[1]*s[i+d] + w[2]*s[i+2d], each
// tap fused, in order; without acc the first is a plain product.
TEXT ·corr3x512(SB), NOSPLIT, $0-41
	MOVQ w+0(FP), AX
	VBROADCASTSS 0(AX), Z8
	VBROADCASTSS 4(AX), Z9
	VBROADCASTSS 8(AX), Z10
	MOVQ d+8(FP), DX
	SHLQ $2, DX
	MOVQ s+16(FP), SI
	MOVQ t+24(FP), DI
	MOVQ n+32(FP), CX
	MOVBLZX acc+40(FP), BX
	LEAQ (SI)(DX*1), R8
	LEAQ (R8)(DX*1), R9
	XORQ DX, DX // byte offset

c3loop:
	CMPQ CX, $16
	JL   c3tail
	TESTQ BX, BX
	JZ   c3first
	VMOVUPS (DI)(DX*1), Z0
	VFMADD231PS (SI)(DX*1), Z8, Z0
	JMP  c3rest

c3first:
	VMULPS (SI)(DX*1), Z8, Z0

c3rest:
	VFMADD231PS (R8)(DX*1), Z9, Z0
	VFMADD231PS (R9)(DX*1), Z10, Z0
	VMOVUPS Z0, (DI)(DX*1)
	ADDQ $64, DX
	SUBQ $16, CX
	JMP  c3loop

c3tail:
	TESTQ CX, CX
	JZ   c3done
	TAIL(CX, K1)
	TESTQ BX, BX
	JZ   c3tfirst
	VMOVUPS.Z (DI)(DX*1), K1, Z0
	VFMADD231PS (SI)(DX*1), Z8, K1, Z0
	JMP  c3trest

c3tfirst:
	VMULPS.Z (SI)(DX*1), Z8, K1, Z0

c3trest:
	VFMADD231PS (R8)(DX*1), Z9, K1, Z0
	VFMADD231PS (R9)(DX*1), Z10, K1, Z0
	VMOVUPS Z0, K1, (DI)(DX*1)

c3done:
	VZEROUPPER
	RET

// func corr5x512(w *float32, d int, s, t *float32, n int, acc bool)
// t[i] = (acc ? t[i] : 0) + w[0]*s[i] + w[1]*s[i+d] + … (5 taps, each
// fused, in order; without acc the first is a plain product).
TEXT ·corr5x512(SB), NOSPLIT, $0-41
	MOVQ w+0(FP), AX
	VBROADCASTSS 0(AX), Z8
	VBROADCASTSS 4(AX), Z9
	VBROADCASTSS 8(AX), Z10
	VBROADCASTSS 12(AX), Z11
	VBROADCASTSS 16(AX), Z12
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
	XORQ DX, DX

c5loop:
	CMPQ CX, $16
	JL   c5tail
	TESTQ BX, BX
	JZ   c5first
	VMOVUPS (DI)(DX*1), Z0
	VFMADD231PS (SI)(DX*1), Z8, Z0
	JMP  c5rest

c5first:
	VMULPS (SI)(DX*1), Z8, Z0

c5rest:
	VFMADD231PS (R8)(DX*1), Z9, Z0
	VFMADD231PS (R9)(DX*1), Z10, Z0
	VFMADD231PS (R10)(DX*1), Z11, Z0
	VFMADD231PS (R11)(DX*1), Z12, Z0
	VMOVUPS Z0, (DI)(DX*1)
	ADDQ $64, DX
	SUBQ $16, CX
	JMP  c5loop

c5tail:
	TESTQ CX, CX
	JZ   c5done
	TAIL(CX, K1)
	TESTQ BX, BX
	JZ   c5tfirst
	VMOVUPS.Z (DI)(DX*1), K1, Z0
	VFMADD231PS (SI)(DX*1), Z8, K1, Z0
	JMP  c5trest

c5tfirst:
	VMULPS.Z (SI)(DX*1), Z8, K1, Z0

c5trest:
	VFMADD231PS (R8)(DX*1), Z9, K1, Z0
	VFMADD231PS (R9)(DX*1), Z10, K1, Z0
	VFMADD231PS (R10)(DX*1), Z11, K1, Z0
	VFMADD231PS (R11)(DX*1), Z12, K1, Z0
	VMOVUPS Z0, K1, (DI)(DX*1)

c5done:
	VZEROUPPER
	RET

// func pad512(x *float32, h, w int, dst *float32, p int, v float32, relu bool)
// Writes the (h+2p)×(w+2p) plane dst: the h×w plane x in the middle (as
// max(x, 0), NaN kept, if relu) and v in the border, in one pass, each row
// one run of full vectors and one masked one.
TEXT ·pad512(SB), NOSPLIT, $0-45
	MOVQ x+0(FP), SI
	MOVQ h+8(FP), R8
	MOVQ w+16(FP), R9
	MOVQ dst+24(FP), DI
	MOVQ p+32(FP), R10
	VBROADCASTSS v+40(FP), Z15
	MOVBLZX relu+44(FP), R11
	VPXORD Z14, Z14, Z14
	LEAQ (R9)(R10*2), R12 // pw
	MOVQ R9, BX
	ANDQ $15, BX          // w%16: the masked part of each row
	TAIL(BX, K2)
	// Top rows and the first left border: p*pw + p.
	MOVQ R10, CX
	IMULQ R12, CX
	ADDQ R10, CX
	LEAQ (R10)(R10*1), R13 // 2p: right border + next left border

padfill:
	CMPQ CX, $16
	JL   padfilltail
	VMOVUPS Z15, (DI)
	ADDQ $64, DI
	SUBQ $16, CX
	JMP  padfill

padfilltail:
	TESTQ CX, CX
	JZ   padrow
	TAIL(CX, K1)
	VMOVUPS Z15, K1, (DI)
	LEAQ (DI)(CX*4), DI

padrow:
	CMPQ R8, $0
	JE   paddone
	MOVQ R9, CX

padcopy:
	CMPQ CX, $16
	JL   padcopytail
	VMOVUPS (SI), Z0
	TESTQ R11, R11
	JZ   padst
	VMAXPS Z0, Z14, Z0

padst:
	VMOVUPS Z0, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX
	JMP  padcopy

padcopytail:
	TESTQ CX, CX
	JZ   padborder
	VMOVUPS.Z (SI), K2, Z0
	TESTQ R11, R11
	JZ   padsttail
	VMAXPS Z0, Z14, Z0

padsttail:
	VMOVUPS Z0, K2, (DI)
	LEAQ (SI)(CX*4), SI
	LEAQ (DI)(CX*4), DI

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

// func hasNaN512(x *float32, n int) bool
// Whether any x[i] is NaN.
TEXT ·hasNaN512(SB), NOSPLIT, $0-17
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	KXORW K3, K3, K3

hn32:
	CMPQ CX, $32
	JL   hn16
	VMOVUPS (SI), Z2
	VMOVUPS 64(SI), Z3
	VCMPPS $3, Z2, Z2, K4 // unordered: NaN
	VCMPPS $3, Z3, Z3, K5
	KORW K4, K3, K3
	KORW K5, K3, K3
	ADDQ $128, SI
	SUBQ $32, CX
	JMP  hn32

hn16:
	CMPQ CX, $16
	JL   hntail
	VMOVUPS (SI), Z2
	VCMPPS $3, Z2, Z2, K4
	KORW K4, K3, K3
	ADDQ $64, SI
	SUBQ $16, CX

hntail:
	TESTQ CX, CX
	JZ   hndone
	TAIL(CX, K1)
	VMOVUPS.Z (SI), K1, Z2
	VCMPPS $3, Z2, Z2, K4
	KORW K4, K3, K3

hndone:
	KORTESTW K3, K3
	SETNE ret+16(FP)
	VZEROUPPER
	RET

// func max9x512(s *float32, pw int, y *float32, n int)
// y[i] = max over kh, kw < 3 of s[i+kh*pw+kw], in the order of max9AVX
// (which decides which of +0 and -0 is kept; NaN is not propagated).
TEXT ·max9x512(SB), NOSPLIT, $0-32
	MOVQ s+0(FP), SI
	MOVQ pw+8(FP), DX
	SHLQ $2, DX
	MOVQ y+16(FP), DI
	MOVQ n+24(FP), CX
	LEAQ (SI)(DX*1), R8
	LEAQ (R8)(DX*1), R9

m9loop:
	CMPQ CX, $16
	JL   m9tail
	VMOVUPS (SI), Z0
	VMOVUPS (R8), Z1
	VMOVUPS (R9), Z2
	VMAXPS 4(SI), Z0, Z0
	VMAXPS 4(R8), Z1, Z1
	VMAXPS 4(R9), Z2, Z2
	VMAXPS 8(SI), Z0, Z0
	VMAXPS 8(R8), Z1, Z1
	VMAXPS 8(R9), Z2, Z2
	VMAXPS Z1, Z0, Z0
	VMAXPS Z2, Z0, Z0
	VMOVUPS Z0, (DI)
	ADDQ $64, SI
	ADDQ $64, R8
	ADDQ $64, R9
	ADDQ $64, DI
	SUBQ $16, CX
	JMP  m9loop

m9tail:
	TESTQ CX, CX
	JZ   m9done
	TAIL(CX, K1)
	VMOVUPS.Z (SI), K1, Z0
	VMOVUPS.Z (R8), K1, Z1
	VMOVUPS.Z (R9), K1, Z2
	VMAXPS 4(SI), Z0, K1, Z0
	VMAXPS 4(R8), Z1, K1, Z1
	VMAXPS 4(R9), Z2, K1, Z2
	VMAXPS 8(SI), Z0, K1, Z0
	VMAXPS 8(R8), Z1, K1, Z1
	VMAXPS 8(R9), Z2, K1, Z2
	VMAXPS Z1, Z0, Z0
	VMAXPS Z2, Z0, Z0
	VMOVUPS Z0, K1, (DI)

m9done:
	VZEROUPPER
	RET

#define BCASTD512(v, r) MOVL $v, AX; VPBROADCASTD AX, r

// func maxCode512(s *float32, pw int, m, code *float32, n int)
// code[i] (an int32) = the first t = kh*3+kw in order with
// s[i+kh*pw+kw] == m[i], or 9 if none: taps are tried last to first and
// each match overwrites the code.
TEXT ·maxCode512(SB), NOSPLIT, $0-40
	MOVQ s+0(FP), SI
	MOVQ pw+8(FP), DX
	SHLQ $2, DX
	MOVQ m+16(FP), BX
	MOVQ code+24(FP), DI
	MOVQ n+32(FP), CX
	LEAQ (SI)(DX*1), R8
	LEAQ (R8)(DX*1), R9
	BCASTD512(0, Z6)
	BCASTD512(1, Z7)
	BCASTD512(2, Z8)
	BCASTD512(3, Z9)
	BCASTD512(4, Z10)
	BCASTD512(5, Z11)
	BCASTD512(6, Z12)
	BCASTD512(7, Z13)
	BCASTD512(8, Z14)
	BCASTD512(9, Z15)

#define MCTAP512(off, row, t) VCMPPS $0, off(row), Z0, K2; VMOVDQA32 t, K2, Z1

mcloop:
	CMPQ CX, $16
	JL   mctail
	VMOVUPS (BX), Z0
	VMOVDQA32 Z15, Z1
	MCTAP512(8, R9, Z14)
	MCTAP512(4, R9, Z13)
	MCTAP512(0, R9, Z12)
	MCTAP512(8, R8, Z11)
	MCTAP512(4, R8, Z10)
	MCTAP512(0, R8, Z9)
	MCTAP512(8, SI, Z8)
	MCTAP512(4, SI, Z7)
	MCTAP512(0, SI, Z6)
	VMOVUPS Z1, (DI)
	ADDQ $64, SI
	ADDQ $64, R8
	ADDQ $64, R9
	ADDQ $64, BX
	ADDQ $64, DI
	SUBQ $16, CX
	JMP  mcloop

#define MCTAPM512(off, row, t) VCMPPS $0, off(row), Z0, K1, K2; VMOVDQA32 t, K2, Z1

mctail:
	TESTQ CX, CX
	JZ   mcdone
	TAIL(CX, K1)
	VMOVUPS.Z (BX), K1, Z0
	VMOVDQA32 Z15, Z1
	MCTAPM512(8, R9, Z14)
	MCTAPM512(4, R9, Z13)
	MCTAPM512(0, R9, Z12)
	MCTAPM512(8, R8, Z11)
	MCTAPM512(4, R8, Z10)
	MCTAPM512(0, R8, Z9)
	MCTAPM512(8, SI, Z8)
	MCTAPM512(4, SI, Z7)
	MCTAPM512(0, SI, Z6)
	VMOVUPS Z1, K1, (DI)

mcdone:
	VZEROUPPER
	RET

// func maxScatter512(code, d *float32, pw int, dx *float32, n int)
// dx[i] = Σ over kh, kw < 3 of (code[j] == kh*3+kw ? d[j] : +0) with
// j = i+(2-kh)*pw+(2-kw), added in increasing j, as maxScatterAVX.
TEXT ·maxScatter512(SB), NOSPLIT, $0-40
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
	BCASTD512(0, Z6)
	BCASTD512(1, Z7)
	BCASTD512(2, Z8)
	BCASTD512(3, Z9)
	BCASTD512(4, Z10)
	BCASTD512(5, Z11)
	BCASTD512(6, Z12)
	BCASTD512(7, Z13)
	BCASTD512(8, Z14)

#define MSTAP512(off, crow, drow, t) VPCMPEQD off(crow), t, K2; VMOVUPS.Z off(drow), K2, Z2; VADDPS Z2, Z1, Z1

msloop:
	CMPQ CX, $16
	JL   mstail
	VPXORD Z1, Z1, Z1
	MSTAP512(0, SI, R10, Z14)
	MSTAP512(4, SI, R10, Z13)
	MSTAP512(8, SI, R10, Z12)
	MSTAP512(0, R8, R11, Z11)
	MSTAP512(4, R8, R11, Z10)
	MSTAP512(8, R8, R11, Z9)
	MSTAP512(0, R9, R12, Z8)
	MSTAP512(4, R9, R12, Z7)
	MSTAP512(8, R9, R12, Z6)
	VMOVUPS Z1, (DI)
	ADDQ $64, SI
	ADDQ $64, R8
	ADDQ $64, R9
	ADDQ $64, R10
	ADDQ $64, R11
	ADDQ $64, R12
	ADDQ $64, DI
	SUBQ $16, CX
	JMP  msloop

#define MSTAPM512(off, crow, drow, t) VPCMPEQD off(crow), t, K1, K2; VMOVUPS.Z off(drow), K2, Z2; VADDPS Z2, Z1, Z1

mstail:
	TESTQ CX, CX
	JZ   msdone
	TAIL(CX, K1)
	VPXORD Z1, Z1, Z1
	MSTAPM512(0, SI, R10, Z14)
	MSTAPM512(4, SI, R10, Z13)
	MSTAPM512(8, SI, R10, Z12)
	MSTAPM512(0, R8, R11, Z11)
	MSTAPM512(4, R8, R11, Z10)
	MSTAPM512(8, R8, R11, Z9)
	MSTAPM512(0, R9, R12, Z8)
	MSTAPM512(4, R9, R12, Z7)
	MSTAPM512(8, R9, R12, Z6)
	VMOVUPS Z1, K1, (DI)

msdone:
	VZEROUPPER
	RET

// G4LOAD loads (acc) or zeroes the 4 rows of c at DI (pitch R14) into four
// accumulators, AX clobbered; G4STORE stores them back.
#define G4LOAD(off, z0, z1, z2, z3) \
	VMOVUPS off(DI), z0; \
	VMOVUPS off(DI)(R14*1), z1; \
	LEAQ (DI)(R14*2), AX; \
	VMOVUPS off(AX), z2; \
	VMOVUPS off(AX)(R14*1), z3

#define G4STORE(off, z0, z1, z2, z3) \
	VMOVUPS z0, off(DI); \
	VMOVUPS z1, off(DI)(R14*1); \
	LEAQ (DI)(R14*2), AX; \
	VMOVUPS z2, off(AX); \
	VMOVUPS z3, off(AX)(R14*1)

// func gemm4x512(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, n, n8 int, acc bool)
// For the 4 rows r of c and the columns j < n:
// c[r,j] = (acc ? c[r,j] : 0) + Σ_p a[r,p]*b[p,j], p in order, each step
// fused for j < n8 (gemm4AVX's columns) and a rounded product, then a
// rounded add, for j >= n8 (gemmNNVec's Go loop over the columns past
// gemm4AVX's). Tiles of 4 rows by 32, then 16 columns keep their sums in
// registers across p; the last n%16 columns are one masked tile. k >= 1.
TEXT ·gemm4x512(SB), NOSPLIT, $0-73
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

g32col:
	CMPQ R15, $32
	JL   g16col
	LEAQ (R13)(DX*1), DI // &c[0,j]
	CMPB acc+72(FP), $0
	JE   g32zero
	G4LOAD(0, Z0, Z2, Z4, Z6)
	G4LOAD(64, Z1, Z3, Z5, Z7)
	JMP  g32k

g32zero:
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7

g32k:
	MOVQ R9, SI          // &a[0,p]
	LEAQ (R9)(R10*2), BX // &a[2,p]
	LEAQ (R11)(DX*1), CX // &b[p,j]
	MOVQ R8, AX          // p count

g32p:
	VMOVUPS (CX), Z8
	VMOVUPS 64(CX), Z9
	VBROADCASTSS (SI), Z10
	VFMADD231PS Z8, Z10, Z0
	VFMADD231PS Z9, Z10, Z1
	VBROADCASTSS (SI)(R10*1), Z11
	VFMADD231PS Z8, Z11, Z2
	VFMADD231PS Z9, Z11, Z3
	VBROADCASTSS (BX), Z12
	VFMADD231PS Z8, Z12, Z4
	VFMADD231PS Z9, Z12, Z5
	VBROADCASTSS (BX)(R10*1), Z13
	VFMADD231PS Z8, Z13, Z6
	VFMADD231PS Z9, Z13, Z7
	ADDQ $4, SI
	ADDQ $4, BX
	ADDQ R12, CX
	DECQ AX
	JNZ  g32p

	G4STORE(0, Z0, Z2, Z4, Z6)
	G4STORE(64, Z1, Z3, Z5, Z7)
	ADDQ $128, DX
	SUBQ $32, R15
	JMP  g32col

g16col:
	CMPQ R15, $16
	JL   gtail
	LEAQ (R13)(DX*1), DI
	CMPB acc+72(FP), $0
	JE   g16zero
	G4LOAD(0, Z0, Z1, Z2, Z3)
	JMP  g16k

g16zero:
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3

g16k:
	MOVQ R9, SI
	LEAQ (R9)(R10*2), BX
	LEAQ (R11)(DX*1), CX
	MOVQ R8, AX

g16p:
	VMOVUPS (CX), Z8
	VBROADCASTSS (SI), Z10
	VFMADD231PS Z8, Z10, Z0
	VBROADCASTSS (SI)(R10*1), Z11
	VFMADD231PS Z8, Z11, Z1
	VBROADCASTSS (BX), Z12
	VFMADD231PS Z8, Z12, Z2
	VBROADCASTSS (BX)(R10*1), Z13
	VFMADD231PS Z8, Z13, Z3
	ADDQ $4, SI
	ADDQ $4, BX
	ADDQ R12, CX
	DECQ AX
	JNZ  g16p

	G4STORE(0, Z0, Z1, Z2, Z3)
	ADDQ $64, DX
	SUBQ $16, R15
	JMP  g16col

gtail:
	// R15 < 16 columns left, from j = DX/4: K3 holds them all, K1 the
	// fused ones (j < n8), K2 the others.
	TESTQ R15, R15
	JZ   gdone
	MOVQ n8+64(FP), BX
	SHLQ $2, BX
	SUBQ DX, BX
	SHRQ $2, BX // n8 - j: 0 or 8
	TAIL(BX, K1)
	TAIL(R15, K3)
	KANDNW K3, K1, K2
	LEAQ (R13)(DX*1), DI
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	CMPB acc+72(FP), $0
	JE   gtk
	VMOVUPS.Z (DI), K3, Z0
	VMOVUPS.Z (DI)(R14*1), K3, Z1
	LEAQ (DI)(R14*2), AX
	VMOVUPS.Z (AX), K3, Z2
	VMOVUPS.Z (AX)(R14*1), K3, Z3

gtk:
	MOVQ R9, SI
	LEAQ (R9)(R10*2), BX
	LEAQ (R11)(DX*1), CX
	MOVQ R8, AX

// GTROW adds the product of the broadcast z and Z8 into the accumulator
// acc: fused in the lanes of K1, rounded then added in those of K2.
#define GTROW(z, acc) \
	VMULPS Z8, z, Z14; \
	VFMADD231PS Z8, z, K1, acc; \
	VADDPS Z14, acc, K2, acc

gtp:
	VMOVUPS.Z (CX), K3, Z8
	VBROADCASTSS (SI), Z10
	GTROW(Z10, Z0)
	VBROADCASTSS (SI)(R10*1), Z11
	GTROW(Z11, Z1)
	VBROADCASTSS (BX), Z12
	GTROW(Z12, Z2)
	VBROADCASTSS (BX)(R10*1), Z13
	GTROW(Z13, Z3)
	ADDQ $4, SI
	ADDQ $4, BX
	ADDQ R12, CX
	DECQ AX
	JNZ  gtp

	VMOVUPS Z0, K3, (DI)
	VMOVUPS Z1, K3, (DI)(R14*1)
	LEAQ (DI)(R14*2), AX
	VMOVUPS Z2, K3, (AX)
	VMOVUPS Z3, K3, (AX)(R14*1)

gdone:
	VZEROUPPER
	RET

// func sumDot64x4(x, y *float32, stride, n int, out *[8]float64)
// For the 4 planes k < 4 at x+k*stride (and y+k*stride) and n a multiple
// of 8: out[k] = Σ x, out[4+k] = Σ x*y (0 if y is nil), in float64, the 8
// floats of each block widened into one ZMM of 8 lanes. Each plane's lanes
// hold the sums of sumDot64AVX's 2 YMM accumulators and are added up as it
// adds them, so each plane gets its bits; running 4 planes' sums at once
// hides the latency of the adds that bounds sumDot64AVX.
TEXT ·sumDot64x4(SB), NOSPLIT, $0-40
	MOVQ x+0(FP), R10
	MOVQ y+8(FP), R14
	MOVQ stride+16(FP), R8
	SHLQ $2, R8
	MOVQ n+24(FP), CX
	LEAQ (R10)(R8*1), R11
	LEAQ (R11)(R8*1), R12
	LEAQ (R12)(R8*1), R13
	VPXORQ Z4, Z4, Z4
	VPXORQ Z5, Z5, Z5
	VPXORQ Z6, Z6, Z6
	VPXORQ Z7, Z7, Z7
	VPXORQ Z12, Z12, Z12
	VPXORQ Z13, Z13, Z13
	VPXORQ Z14, Z14, Z14
	VPXORQ Z15, Z15, Z15
	XORQ DX, DX
	TESTQ R14, R14
	JZ   s4sum
	LEAQ (R14)(R8*1), R15
	LEAQ (R15)(R8*1), BX
	LEAQ (BX)(R8*1), AX

s4dot:
	CMPQ CX, $8
	JL   s4reduce
	VCVTPS2PD (R10)(DX*1), Z0
	VCVTPS2PD (R11)(DX*1), Z1
	VCVTPS2PD (R12)(DX*1), Z2
	VCVTPS2PD (R13)(DX*1), Z3
	VCVTPS2PD (R14)(DX*1), Z8
	VCVTPS2PD (R15)(DX*1), Z9
	VCVTPS2PD (BX)(DX*1), Z10
	VCVTPS2PD (AX)(DX*1), Z11
	VADDPD Z0, Z4, Z4
	VADDPD Z1, Z5, Z5
	VADDPD Z2, Z6, Z6
	VADDPD Z3, Z7, Z7
	VFMADD231PD Z8, Z0, Z12
	VFMADD231PD Z9, Z1, Z13
	VFMADD231PD Z10, Z2, Z14
	VFMADD231PD Z11, Z3, Z15
	ADDQ $32, DX
	SUBQ $8, CX
	JMP  s4dot

s4sum:
	CMPQ CX, $8
	JL   s4reduce
	VCVTPS2PD (R10)(DX*1), Z0
	VCVTPS2PD (R11)(DX*1), Z1
	VCVTPS2PD (R12)(DX*1), Z2
	VCVTPS2PD (R13)(DX*1), Z3
	VADDPD Z0, Z4, Z4
	VADDPD Z1, Z5, Z5
	VADDPD Z2, Z6, Z6
	VADDPD Z3, Z7, Z7
	ADDQ $32, DX
	SUBQ $8, CX
	JMP  s4sum

// S4RED adds up the 8 lanes of z (its low half, then high half, as
// sumDot64AVX's 2 accumulators) into the low lane of its YMM y.
#define S4RED(z, y, x) \
	VEXTRACTF64X4 $1, z, Y1; \
	VADDPD Y1, y, y; \
	VEXTRACTF128 $1, y, X1; \
	VADDPD X1, x, x; \
	VHADDPD x, x, x

s4reduce:
	MOVQ out+32(FP), DI
	S4RED(Z4, Y4, X4)
	VMOVSD X4, 0(DI)
	S4RED(Z5, Y5, X5)
	VMOVSD X5, 8(DI)
	S4RED(Z6, Y6, X6)
	VMOVSD X6, 16(DI)
	S4RED(Z7, Y7, X7)
	VMOVSD X7, 24(DI)
	S4RED(Z12, Y12, X12)
	VMOVSD X12, 32(DI)
	S4RED(Z13, Y13, X13)
	VMOVSD X13, 40(DI)
	S4RED(Z14, Y14, X14)
	VMOVSD X14, 48(DI)
	S4RED(Z15, Y15, X15)
	VMOVSD X15, 56(DI)
	VZEROUPPER
	RET

// func sqDev64x4(x *float32, stride, n int, mu float64, out *[4]float64)
// For the 4 planes k < 4 at x+k*stride and n a multiple of 8:
// out[k] = Σ (float64(x)-mu)², 8 lanes a plane summed as sqDev64AVX's 2
// accumulators and added up as it adds them.
TEXT ·sqDev64x4(SB), NOSPLIT, $0-40
	MOVQ x+0(FP), R10
	MOVQ stride+8(FP), R8
	SHLQ $2, R8
	MOVQ n+16(FP), CX
	VBROADCASTSD mu+24(FP), Z8
	LEAQ (R10)(R8*1), R11
	LEAQ (R11)(R8*1), R12
	LEAQ (R12)(R8*1), R13
	VPXORQ Z4, Z4, Z4
	VPXORQ Z5, Z5, Z5
	VPXORQ Z6, Z6, Z6
	VPXORQ Z7, Z7, Z7
	XORQ DX, DX

q4loop:
	CMPQ CX, $8
	JL   q4reduce
	VCVTPS2PD (R10)(DX*1), Z0
	VCVTPS2PD (R11)(DX*1), Z1
	VCVTPS2PD (R12)(DX*1), Z2
	VCVTPS2PD (R13)(DX*1), Z3
	VSUBPD Z8, Z0, Z0
	VSUBPD Z8, Z1, Z1
	VSUBPD Z8, Z2, Z2
	VSUBPD Z8, Z3, Z3
	VFMADD231PD Z0, Z0, Z4
	VFMADD231PD Z1, Z1, Z5
	VFMADD231PD Z2, Z2, Z6
	VFMADD231PD Z3, Z3, Z7
	ADDQ $32, DX
	SUBQ $8, CX
	JMP  q4loop

q4reduce:
	MOVQ out+32(FP), DI
	S4RED(Z4, Y4, X4)
	VMOVSD X4, 0(DI)
	S4RED(Z5, Y5, X5)
	VMOVSD X5, 8(DI)
	S4RED(Z6, Y6, X6)
	VMOVSD X6, 16(DI)
	S4RED(Z7, Y7, X7)
	VMOVSD X7, 24(DI)
	VZEROUPPER
	RET

// The even lanes of two ZMM registers (VPERMT2PS indices).
DATA evens<>+0(SB)/4, $0
DATA evens<>+4(SB)/4, $2
DATA evens<>+8(SB)/4, $4
DATA evens<>+12(SB)/4, $6
DATA evens<>+16(SB)/4, $8
DATA evens<>+20(SB)/4, $10
DATA evens<>+24(SB)/4, $12
DATA evens<>+28(SB)/4, $14
DATA evens<>+32(SB)/4, $16
DATA evens<>+36(SB)/4, $18
DATA evens<>+40(SB)/4, $20
DATA evens<>+44(SB)/4, $22
DATA evens<>+48(SB)/4, $24
DATA evens<>+52(SB)/4, $26
DATA evens<>+56(SB)/4, $28
DATA evens<>+60(SB)/4, $30
GLOBL evens<>(SB), RODATA|NOPTR, $64

// func dw2x512(src *float32, rs int, offs *int, w *float32, k int, y *float32, oh, ow int, first bool)
// The stride-2 depthwise convolution of dwPlane, for each output (i, j)
// of the oh×ow plane y:
//
//	s := w[0]*src[i*rs+offs[0]+2j] (first), or 0 + that product (!first)
//	s = s + w[t]*src[i*rs+offs[t]+2j] for t = 1 … k-1
//	y[i*ow+j] = s
//
// each product rounded, then added: the Go expressions of dwPlane (K = 3:
// first; K = 5 and others: into a zeroed y). 16 outputs of a row at a time;
// the source elements of each tap are gathered from two (masked) loads.
TEXT ·dw2x512(SB), NOSPLIT, $0-65
	MOVQ src+0(FP), SI
	MOVQ rs+8(FP), R8
	SHLQ $2, R8
	MOVQ offs+16(FP), R9
	MOVQ w+24(FP), R10
	MOVQ k+32(FP), R11
	MOVQ y+40(FP), DI
	MOVQ oh+48(FP), R12
	MOVQ ow+56(FP), R13
	MOVBLZX first+64(FP), BX
	VMOVDQU32 evens<>(SB), Z7

d2row:
	TESTQ R12, R12
	JZ   d2done
	XORQ DX, DX // first output of the chunk
	MOVQ R13, R15

d2chunk:
	// R15 outputs left in the row: this chunk has m = min(16, R15); its
	// taps read 2m-1 elements, K1 the first 16 of them, K2 the rest.
	MOVQ R15, CX
	CMPQ CX, $16
	JLE  d2m
	MOVQ $16, CX

d2m:
	TAIL(CX, K3) // (BZHI keeps all 16 bits for CX = 16)
	LEAQ -1(CX)(CX*1), CX // 2m-1
	MOVQ CX, R14
	CMPQ CX, $16
	JLE  d2lo
	MOVQ $16, CX

d2lo:
	TAIL(CX, K1)
	SUBQ CX, R14 // 2m-1-16, or 0
	TAIL(R14, K2)
	LEAQ (SI)(DX*8), AX // &src[i*rs + 2j]
	XORQ CX, CX         // tap
	VPXORD Z0, Z0, Z0

d2tap:
	MOVQ (R9)(CX*8), R14
	LEAQ (AX)(R14*4), R14
	VMOVUPS.Z (R14), K1, Z1
	VMOVUPS.Z 64(R14), K2, Z2
	VPERMT2PS Z2, Z7, Z1
	VMULPS.BCST (R10)(CX*4), Z1, Z1
	TESTQ CX, CX
	JNZ  d2add
	TESTQ BX, BX
	JZ   d2add
	VMOVAPS Z1, Z0
	JMP  d2next

d2add:
	VADDPS Z1, Z0, Z0

d2next:
	INCQ CX
	CMPQ CX, R11
	JL   d2tap
	VMOVUPS Z0, K3, (DI)(DX*4)
	ADDQ $16, DX
	SUBQ $16, R15
	JG   d2chunk
	ADDQ R8, SI
	LEAQ (DI)(R13*4), DI
	DECQ R12
	JMP  d2row

d2done:
	VZEROUPPER
	RET

// func bnAffine512(x, xh, y *float32, n int, mu, is, gm, bt float32)
// h = (x[i] - mu) * is; xh[i] = h; y[i] = h*gm + bt, the multiply and the
// add rounded separately (as the Go loop it replaces: no FMA).
TEXT ·bnAffine512(SB), NOSPLIT, $0-48
	MOVQ x+0(FP), SI
	MOVQ xh+8(FP), DX
	MOVQ y+16(FP), DI
	MOVQ n+24(FP), CX
	VBROADCASTSS mu+32(FP), Z8
	VBROADCASTSS is+36(FP), Z9
	VBROADCASTSS gm+40(FP), Z10
	VBROADCASTSS bt+44(FP), Z11

bna16:
	CMPQ CX, $16
	JL   bnatail
	VMOVUPS (SI), Z0
	VSUBPS Z8, Z0, Z0
	VMULPS Z9, Z0, Z0
	VMOVUPS Z0, (DX)
	VMULPS Z10, Z0, Z1
	VADDPS Z11, Z1, Z1
	VMOVUPS Z1, (DI)
	ADDQ $64, SI
	ADDQ $64, DX
	ADDQ $64, DI
	SUBQ $16, CX
	JMP  bna16

bnatail:
	TESTQ CX, CX
	JZ   bnadone
	TAIL(CX, K1)
	VMOVUPS.Z (SI), K1, Z0
	VSUBPS Z8, Z0, Z0
	VMULPS Z9, Z0, Z0
	VMOVUPS Z0, K1, (DX)
	VMULPS Z10, Z0, Z1
	VADDPS Z11, Z1, Z1
	VMOVUPS Z1, K1, (DI)

bnadone:
	VZEROUPPER
	RET

// func bnScale512(xh, y *float32, n int, gm, bt float32)
// y[i] = xh[i]*gm + bt, the multiply and the add rounded separately: the
// output bnAffine512 wrote next to xh, again.
TEXT ·bnScale512(SB), NOSPLIT, $0-32
	MOVQ xh+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ n+16(FP), CX
	VBROADCASTSS gm+24(FP), Z10
	VBROADCASTSS bt+28(FP), Z11

bns16:
	CMPQ CX, $16
	JL   bnstail
	VMULPS (SI), Z10, Z1
	VADDPS Z11, Z1, Z1
	VMOVUPS Z1, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX
	JMP  bns16

bnstail:
	TESTQ CX, CX
	JZ   bnsdone
	TAIL(CX, K1)
	VMOVUPS.Z (SI), K1, Z0
	VMULPS Z10, Z0, Z1
	VADDPS Z11, Z1, Z1
	VMOVUPS Z1, K1, (DI)

bnsdone:
	VZEROUPPER
	RET

// func add512(x, y, z *float32, n int)
// z[i] = x[i] + y[i].
TEXT ·add512(SB), NOSPLIT, $0-32
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), DX
	MOVQ z+16(FP), DI
	MOVQ n+24(FP), CX

add64:
	CMPQ CX, $64
	JL   add16
	VMOVUPS (SI), Z1
	VMOVUPS 64(SI), Z2
	VMOVUPS 128(SI), Z3
	VMOVUPS 192(SI), Z4
	VADDPS (DX), Z1, Z1
	VADDPS 64(DX), Z2, Z2
	VADDPS 128(DX), Z3, Z3
	VADDPS 192(DX), Z4, Z4
	VMOVUPS Z1, (DI)
	VMOVUPS Z2, 64(DI)
	VMOVUPS Z3, 128(DI)
	VMOVUPS Z4, 192(DI)
	ADDQ $256, SI
	ADDQ $256, DX
	ADDQ $256, DI
	SUBQ $64, CX
	JMP  add64

add16:
	CMPQ CX, $16
	JL   addtail
	VMOVUPS (SI), Z1
	VADDPS (DX), Z1, Z1
	VMOVUPS Z1, (DI)
	ADDQ $64, SI
	ADDQ $64, DX
	ADDQ $64, DI
	SUBQ $16, CX
	JMP  add16

addtail:
	TESTQ CX, CX
	JZ   adddone
	TAIL(CX, K1)
	VMOVUPS.Z (SI), K1, Z1
	VMOVUPS.Z (DX), K1, Z2
	VADDPS Z2, Z1, K1, Z1
	VMOVUPS Z1, K1, (DI)

adddone:
	VZEROUPPER
	RET

// func dotTile512(a, b *float32, k, nb int, c *float32, ldc int, bt *float32, ldbt int)
// c[r*ldc + j] += Σ_{p < k} a[r*k + p]*b[j*k + p] for the rows r < 2 of a
// and the 8·nb rows j of b (k at least 8), each sum as dots computes it:
// for each block of 8 rows of b, the 16 dot products dot8AVX computes for
// one row of a over the first k8 = k&^7 columns, in its lanes and order
// of adds (each product fused into its lane's sum, the 8 lanes added up
// as ((l0+l1)+(l2+l3))+((l4+l5)+(l6+l7))), then the products of the
// columns past k8, each rounded, added in order, then the sum added to c.
// The two rows of a share each load of b and the 16 sums stay in
// registers (Y16-Y25 hold the loads: AVX-512VL). bt holds the columns past
// k8 of b transposed: bt[(p-k8)*ldbt/4 + j] = b[j*k + p] (ldbt in bytes).
TEXT ·dotTile512(SB), NOSPLIT, $0-64
	MOVQ a+0(FP), SI
	MOVQ k+16(FP), CX
	LEAQ (SI)(CX*4), DI
	MOVQ b+8(FP), R8
	LEAQ (R8)(CX*4), R9
	LEAQ (R9)(CX*4), R10
	LEAQ (R10)(CX*4), R11
	LEAQ (R11)(CX*4), R12
	LEAQ (R12)(CX*4), R13
	LEAQ (R13)(CX*4), R14
	LEAQ (R14)(CX*4), R15
	ANDQ $-8, CX
	SHLQ $2, CX
	MOVQ nb+24(FP), BX
	MOVQ c+32(FP), AX

dtblock:
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11
	VXORPS Y12, Y12, Y12
	VXORPS Y13, Y13, Y13
	VXORPS Y14, Y14, Y14
	VXORPS Y15, Y15, Y15
	XORQ DX, DX

dtloop:
	VMOVUPS (SI)(DX*1), Y16
	VMOVUPS (DI)(DX*1), Y17
	VMOVUPS (R8)(DX*1), Y18
	VMOVUPS (R9)(DX*1), Y19
	VMOVUPS (R10)(DX*1), Y20
	VMOVUPS (R11)(DX*1), Y21
	VFMADD231PS Y18, Y16, Y0
	VFMADD231PS Y18, Y17, Y8
	VFMADD231PS Y19, Y16, Y1
	VFMADD231PS Y19, Y17, Y9
	VMOVUPS (R12)(DX*1), Y22
	VMOVUPS (R13)(DX*1), Y23
	VFMADD231PS Y20, Y16, Y2
	VFMADD231PS Y20, Y17, Y10
	VFMADD231PS Y21, Y16, Y3
	VFMADD231PS Y21, Y17, Y11
	VMOVUPS (R14)(DX*1), Y24
	VMOVUPS (R15)(DX*1), Y25
	VFMADD231PS Y22, Y16, Y4
	VFMADD231PS Y22, Y17, Y12
	VFMADD231PS Y23, Y16, Y5
	VFMADD231PS Y23, Y17, Y13
	VFMADD231PS Y24, Y16, Y6
	VFMADD231PS Y24, Y17, Y14
	VFMADD231PS Y25, Y16, Y7
	VFMADD231PS Y25, Y17, Y15
	ADDQ $32, DX
	CMPQ DX, CX
	JL   dtloop

	// dot8AVX's reduction, for row 0 (Y0-Y7, into Y1) and row 1 (Y8-Y15,
	// into Y9).
	VHADDPS Y1, Y0, Y0
	VHADDPS Y3, Y2, Y2
	VHADDPS Y5, Y4, Y4
	VHADDPS Y7, Y6, Y6
	VHADDPS Y2, Y0, Y0
	VHADDPS Y6, Y4, Y4
	VPERM2F128 $0x20, Y4, Y0, Y1
	VPERM2F128 $0x31, Y4, Y0, Y2
	VADDPS Y2, Y1, Y1
	VHADDPS Y9, Y8, Y8
	VHADDPS Y11, Y10, Y10
	VHADDPS Y13, Y12, Y12
	VHADDPS Y15, Y14, Y14
	VHADDPS Y10, Y8, Y8
	VHADDPS Y14, Y12, Y12
	VPERM2F128 $0x20, Y12, Y8, Y9
	VPERM2F128 $0x31, Y12, Y8, Y10
	VADDPS Y10, Y9, Y9

	// The columns past k8: rounded products added in order.
	SHRQ $2, CX
	CMPQ CX, k+16(FP)
	JGE  dtstore
	MOVQ bt+48(FP), DX

dttail:
	VBROADCASTSS (SI)(CX*4), Y2
	VMULPS (DX), Y2, Y2
	VADDPS Y2, Y1, Y1
	VBROADCASTSS (DI)(CX*4), Y10
	VMULPS (DX), Y10, Y10
	VADDPS Y10, Y9, Y9
	ADDQ ldbt+56(FP), DX
	INCQ CX
	CMPQ CX, k+16(FP)
	JL   dttail
	ADDQ $32, bt+48(FP)

dtstore:
	VADDPS (AX), Y1, Y1
	VMOVUPS Y1, (AX)
	MOVQ ldc+40(FP), DX
	VADDPS (AX)(DX*4), Y9, Y9
	VMOVUPS Y9, (AX)(DX*4)

	MOVQ k+16(FP), CX
	MOVQ CX, DX
	SHLQ $5, DX
	ADDQ DX, R8
	ADDQ DX, R9
	ADDQ DX, R10
	ADDQ DX, R11
	ADDQ DX, R12
	ADDQ DX, R13
	ADDQ DX, R14
	ADDQ DX, R15
	ANDQ $-8, CX
	SHLQ $2, CX
	ADDQ $32, AX
	DECQ BX
	JNZ  dtblock

	VZEROUPPER
	RET

// func corrStack3x512(w *float32, d, pitch int, s, t *float32, n int)
// t[i] = Σ_r Σ_c w[r*3+c]*s[i + r*d*pitch + c*d] for i < n: corrStacked's
// 3 passes of corr3x512 (the first tap a plain product, every other
// fused, row by row, tap by tap) in one pass, the sum kept in a register
// between rows instead of stored and reloaded: the same bits.
TEXT ·corrStack3x512(SB), NOSPLIT, $0-48
	MOVQ w+0(FP), AX
	VBROADCASTSS 0(AX), Z0
	VBROADCASTSS 4(AX), Z1
	VBROADCASTSS 8(AX), Z2
	VBROADCASTSS 12(AX), Z3
	VBROADCASTSS 16(AX), Z4
	VBROADCASTSS 20(AX), Z5
	VBROADCASTSS 24(AX), Z6
	VBROADCASTSS 28(AX), Z7
	VBROADCASTSS 32(AX), Z8
	MOVQ d+8(FP), DX
	SHLQ $2, DX
	LEAQ (DX)(DX*2), BX
	MOVQ pitch+16(FP), AX
	IMULQ DX, AX
	MOVQ s+24(FP), R8
	LEAQ (R8)(AX*1), R9
	LEAQ (R9)(AX*1), R10
	MOVQ t+32(FP), DI
	MOVQ n+40(FP), CX

c3sloop:
	CMPQ CX, $16
	JL   c3stail
	VMULPS (R8), Z0, Z31
	VFMADD231PS (R8)(DX*1), Z1, Z31
	VFMADD231PS (R8)(DX*2), Z2, Z31
	VFMADD231PS (R9), Z3, Z31
	VFMADD231PS (R9)(DX*1), Z4, Z31
	VFMADD231PS (R9)(DX*2), Z5, Z31
	VFMADD231PS (R10), Z6, Z31
	VFMADD231PS (R10)(DX*1), Z7, Z31
	VFMADD231PS (R10)(DX*2), Z8, Z31
	VMOVUPS Z31, (DI)
	ADDQ $64, R8
	ADDQ $64, R9
	ADDQ $64, R10
	ADDQ $64, DI
	SUBQ $16, CX
	JMP  c3sloop

c3stail:
	TESTQ CX, CX
	JZ   c3sdone
	TAIL(CX, K1)
	VMULPS.Z (R8), Z0, K1, Z31
	VFMADD231PS (R8)(DX*1), Z1, K1, Z31
	VFMADD231PS (R8)(DX*2), Z2, K1, Z31
	VFMADD231PS (R9), Z3, K1, Z31
	VFMADD231PS (R9)(DX*1), Z4, K1, Z31
	VFMADD231PS (R9)(DX*2), Z5, K1, Z31
	VFMADD231PS (R10), Z6, K1, Z31
	VFMADD231PS (R10)(DX*1), Z7, K1, Z31
	VFMADD231PS (R10)(DX*2), Z8, K1, Z31
	VMOVUPS Z31, K1, (DI)

c3sdone:
	VZEROUPPER
	RET

// corrRows3x512 and corrRows5x512 are written by tools/kerngen/corrrows.py.

// func corrRows3x512(w *float32, d, pitch int, s, x, y *float32, planes, rows, cols, splane, yplane int, relu, acc bool)
// For n < planes, i < rows, j < cols, q = n*yplane + i*cols + j:
//
//	v := Σ_r Σ_c w[r*3+c]*s[n*splane + i*pitch + j + r*d*pitch + c*d]
//	if relu && !(x[q] > 0) { v = 0 }
//	y[q] = v, or (acc) v + y[q] with relu, y[q] + v without
//
// The 3 row passes of corr3x512 in one, on a stack of planes (for each
// element the same operations in the same order: the first tap a plain
// product, every other fused, row by row), with rows512's store of each
// output row (mask512's zeros, its operand order of the add) in the same
// pass: the outputs go straight into the planes of y instead of through a
// stacked buffer.
TEXT ·corrRows3x512(SB), NOSPLIT, $0-90
	MOVQ w+0(FP), AX
	VBROADCASTSS 0(AX), Z0
	VBROADCASTSS 4(AX), Z1
	VBROADCASTSS 8(AX), Z2
	VBROADCASTSS 12(AX), Z3
	VBROADCASTSS 16(AX), Z4
	VBROADCASTSS 20(AX), Z5
	VBROADCASTSS 24(AX), Z6
	VBROADCASTSS 28(AX), Z7
	VBROADCASTSS 32(AX), Z8
	MOVQ d+8(FP), DX
	SHLQ $2, DX // d in bytes
	LEAQ (DX)(DX*2), BX
	MOVQ pitch+16(FP), AX
	SHLQ $2, AX
	MOVQ AX, d+8(FP) // the pitch in bytes from here on
	MOVQ pitch+16(FP), AX
	IMULQ DX, AX
	MOVQ AX, pitch+16(FP) // d*pitch in bytes from here on
	SHLQ $2, splane+72(FP)
	SHLQ $2, yplane+80(FP)
	VPXORD Z26, Z26, Z26
	MOVQ cols+64(FP), CX
	ANDQ $15, CX
	TAIL(CX, K1)
	MOVQ planes+48(FP), R14
	TESTQ R14, R14
	JZ   cr3done
	CMPQ rows+56(FP), $0
	JEQ  cr3done
	CMPQ cols+64(FP), $0
	JEQ  cr3done

cr3plane:
	MOVQ s+24(FP), SI
	MOVQ y+40(FP), DI
	MOVQ x+32(FP), R15
	MOVQ rows+56(FP), R13

cr3row:
	MOVQ SI, R8
	MOVQ pitch+16(FP), AX
	LEAQ (R8)(AX*1), R9
	LEAQ (R9)(AX*1), R10
	MOVQ cols+64(FP), CX

cr316:
	CMPQ CX, $16
	JL   cr3tail
	VMULPS (R8), Z0, Z31
	VFMADD231PS (R8)(DX*1), Z1, Z31
	VFMADD231PS (R8)(DX*2), Z2, Z31
	VFMADD231PS (R9), Z3, Z31
	VFMADD231PS (R9)(DX*1), Z4, Z31
	VFMADD231PS (R9)(DX*2), Z5, Z31
	VFMADD231PS (R10), Z6, Z31
	VFMADD231PS (R10)(DX*1), Z7, Z31
	VFMADD231PS (R10)(DX*2), Z8, Z31
	CMPB relu+88(FP), $0
	JEQ  cr316plain
	VMOVUPS (R15), Z30
	VCMPPS $0x1e, Z26, Z30, K2 // x > 0, ordered, quiet (GT_OQ)
	VMOVAPS.Z Z31, K2, Z31
	CMPB acc+89(FP), $0
	JEQ  cr316set
	VADDPS (DI), Z31, Z31
	JMP  cr316set

cr316plain:
	CMPB acc+89(FP), $0
	JEQ  cr316set
	VMOVUPS (DI), Z29
	VADDPS Z31, Z29, Z31

cr316set:
	VMOVUPS Z31, (DI)
	ADDQ $64, R8
	ADDQ $64, R9
	ADDQ $64, R10
	ADDQ $64, DI
	ADDQ $64, R15
	SUBQ $16, CX
	JMP  cr316

cr3tail:
	TESTQ CX, CX
	JZ   cr3next
	VMULPS.Z (R8), Z0, K1, Z31
	VFMADD231PS (R8)(DX*1), Z1, K1, Z31
	VFMADD231PS (R8)(DX*2), Z2, K1, Z31
	VFMADD231PS (R9), Z3, K1, Z31
	VFMADD231PS (R9)(DX*1), Z4, K1, Z31
	VFMADD231PS (R9)(DX*2), Z5, K1, Z31
	VFMADD231PS (R10), Z6, K1, Z31
	VFMADD231PS (R10)(DX*1), Z7, K1, Z31
	VFMADD231PS (R10)(DX*2), Z8, K1, Z31
	CMPB relu+88(FP), $0
	JEQ  cr3tplain
	VMOVUPS.Z (R15), K1, Z30
	VCMPPS $0x1e, Z26, Z30, K1, K2
	VMOVAPS.Z Z31, K2, Z31
	CMPB acc+89(FP), $0
	JEQ  cr3tset
	VADDPS.Z (DI), Z31, K1, Z31
	JMP  cr3tset

cr3tplain:
	CMPB acc+89(FP), $0
	JEQ  cr3tset
	VMOVUPS.Z (DI), K1, Z29
	VADDPS Z31, Z29, Z31

cr3tset:
	VMOVUPS Z31, K1, (DI)
	LEAQ (DI)(CX*4), DI
	LEAQ (R15)(CX*4), R15

cr3next:
	ADDQ d+8(FP), SI
	DECQ R13
	JNZ  cr3row
	MOVQ splane+72(FP), AX
	ADDQ AX, s+24(FP)
	MOVQ yplane+80(FP), AX
	ADDQ AX, y+40(FP)
	ADDQ AX, x+32(FP)
	DECQ R14
	JNZ  cr3plane

cr3done:
	VZEROUPPER
	RET

// func corrRows5x512(w *float32, d, pitch int, s, x, y *float32, planes, rows, cols, splane, yplane int, relu, acc bool)
// For n < planes, i < rows, j < cols, q = n*yplane + i*cols + j:
//
//	v := Σ_r Σ_c w[r*5+c]*s[n*splane + i*pitch + j + r*d*pitch + c*d]
//	if relu && !(x[q] > 0) { v = 0 }
//	y[q] = v, or (acc) v + y[q] with relu, y[q] + v without
//
// The 5 row passes of corr5x512 in one, on a stack of planes (for each
// element the same operations in the same order: the first tap a plain
// product, every other fused, row by row), with rows512's store of each
// output row (mask512's zeros, its operand order of the add) in the same
// pass: the outputs go straight into the planes of y instead of through a
// stacked buffer.
TEXT ·corrRows5x512(SB), NOSPLIT, $0-90
	MOVQ w+0(FP), AX
	VBROADCASTSS 0(AX), Z0
	VBROADCASTSS 4(AX), Z1
	VBROADCASTSS 8(AX), Z2
	VBROADCASTSS 12(AX), Z3
	VBROADCASTSS 16(AX), Z4
	VBROADCASTSS 20(AX), Z5
	VBROADCASTSS 24(AX), Z6
	VBROADCASTSS 28(AX), Z7
	VBROADCASTSS 32(AX), Z8
	VBROADCASTSS 36(AX), Z9
	VBROADCASTSS 40(AX), Z10
	VBROADCASTSS 44(AX), Z11
	VBROADCASTSS 48(AX), Z12
	VBROADCASTSS 52(AX), Z13
	VBROADCASTSS 56(AX), Z14
	VBROADCASTSS 60(AX), Z15
	VBROADCASTSS 64(AX), Z16
	VBROADCASTSS 68(AX), Z17
	VBROADCASTSS 72(AX), Z18
	VBROADCASTSS 76(AX), Z19
	VBROADCASTSS 80(AX), Z20
	VBROADCASTSS 84(AX), Z21
	VBROADCASTSS 88(AX), Z22
	VBROADCASTSS 92(AX), Z23
	VBROADCASTSS 96(AX), Z24
	MOVQ d+8(FP), DX
	SHLQ $2, DX // d in bytes
	LEAQ (DX)(DX*2), BX
	MOVQ pitch+16(FP), AX
	SHLQ $2, AX
	MOVQ AX, d+8(FP) // the pitch in bytes from here on
	MOVQ pitch+16(FP), AX
	IMULQ DX, AX
	MOVQ AX, pitch+16(FP) // d*pitch in bytes from here on
	SHLQ $2, splane+72(FP)
	SHLQ $2, yplane+80(FP)
	VPXORD Z26, Z26, Z26
	MOVQ cols+64(FP), CX
	ANDQ $15, CX
	TAIL(CX, K1)
	MOVQ planes+48(FP), R14
	TESTQ R14, R14
	JZ   cr5done
	CMPQ rows+56(FP), $0
	JEQ  cr5done
	CMPQ cols+64(FP), $0
	JEQ  cr5done

cr5plane:
	MOVQ s+24(FP), SI
	MOVQ y+40(FP), DI
	MOVQ x+32(FP), R15
	MOVQ rows+56(FP), R13

cr5row:
	MOVQ SI, R8
	MOVQ pitch+16(FP), AX
	LEAQ (R8)(AX*1), R9
	LEAQ (R9)(AX*1), R10
	LEAQ (R10)(AX*1), R11
	LEAQ (R11)(AX*1), R12
	MOVQ cols+64(FP), CX

cr516:
	CMPQ CX, $16
	JL   cr5tail
	VMULPS (R8), Z0, Z31
	VFMADD231PS (R8)(DX*1), Z1, Z31
	VFMADD231PS (R8)(DX*2), Z2, Z31
	VFMADD231PS (R8)(BX*1), Z3, Z31
	VFMADD231PS (R8)(DX*4), Z4, Z31
	VFMADD231PS (R9), Z5, Z31
	VFMADD231PS (R9)(DX*1), Z6, Z31
	VFMADD231PS (R9)(DX*2), Z7, Z31
	VFMADD231PS (R9)(BX*1), Z8, Z31
	VFMADD231PS (R9)(DX*4), Z9, Z31
	VFMADD231PS (R10), Z10, Z31
	VFMADD231PS (R10)(DX*1), Z11, Z31
	VFMADD231PS (R10)(DX*2), Z12, Z31
	VFMADD231PS (R10)(BX*1), Z13, Z31
	VFMADD231PS (R10)(DX*4), Z14, Z31
	VFMADD231PS (R11), Z15, Z31
	VFMADD231PS (R11)(DX*1), Z16, Z31
	VFMADD231PS (R11)(DX*2), Z17, Z31
	VFMADD231PS (R11)(BX*1), Z18, Z31
	VFMADD231PS (R11)(DX*4), Z19, Z31
	VFMADD231PS (R12), Z20, Z31
	VFMADD231PS (R12)(DX*1), Z21, Z31
	VFMADD231PS (R12)(DX*2), Z22, Z31
	VFMADD231PS (R12)(BX*1), Z23, Z31
	VFMADD231PS (R12)(DX*4), Z24, Z31
	CMPB relu+88(FP), $0
	JEQ  cr516plain
	VMOVUPS (R15), Z30
	VCMPPS $0x1e, Z26, Z30, K2 // x > 0, ordered, quiet (GT_OQ)
	VMOVAPS.Z Z31, K2, Z31
	CMPB acc+89(FP), $0
	JEQ  cr516set
	VADDPS (DI), Z31, Z31
	JMP  cr516set

cr516plain:
	CMPB acc+89(FP), $0
	JEQ  cr516set
	VMOVUPS (DI), Z29
	VADDPS Z31, Z29, Z31

cr516set:
	VMOVUPS Z31, (DI)
	ADDQ $64, R8
	ADDQ $64, R9
	ADDQ $64, R10
	ADDQ $64, R11
	ADDQ $64, R12
	ADDQ $64, DI
	ADDQ $64, R15
	SUBQ $16, CX
	JMP  cr516

cr5tail:
	TESTQ CX, CX
	JZ   cr5next
	VMULPS.Z (R8), Z0, K1, Z31
	VFMADD231PS (R8)(DX*1), Z1, K1, Z31
	VFMADD231PS (R8)(DX*2), Z2, K1, Z31
	VFMADD231PS (R8)(BX*1), Z3, K1, Z31
	VFMADD231PS (R8)(DX*4), Z4, K1, Z31
	VFMADD231PS (R9), Z5, K1, Z31
	VFMADD231PS (R9)(DX*1), Z6, K1, Z31
	VFMADD231PS (R9)(DX*2), Z7, K1, Z31
	VFMADD231PS (R9)(BX*1), Z8, K1, Z31
	VFMADD231PS (R9)(DX*4), Z9, K1, Z31
	VFMADD231PS (R10), Z10, K1, Z31
	VFMADD231PS (R10)(DX*1), Z11, K1, Z31
	VFMADD231PS (R10)(DX*2), Z12, K1, Z31
	VFMADD231PS (R10)(BX*1), Z13, K1, Z31
	VFMADD231PS (R10)(DX*4), Z14, K1, Z31
	VFMADD231PS (R11), Z15, K1, Z31
	VFMADD231PS (R11)(DX*1), Z16, K1, Z31
	VFMADD231PS (R11)(DX*2), Z17, K1, Z31
	VFMADD231PS (R11)(BX*1), Z18, K1, Z31
	VFMADD231PS (R11)(DX*4), Z19, K1, Z31
	VFMADD231PS (R12), Z20, K1, Z31
	VFMADD231PS (R12)(DX*1), Z21, K1, Z31
	VFMADD231PS (R12)(DX*2), Z22, K1, Z31
	VFMADD231PS (R12)(BX*1), Z23, K1, Z31
	VFMADD231PS (R12)(DX*4), Z24, K1, Z31
	CMPB relu+88(FP), $0
	JEQ  cr5tplain
	VMOVUPS.Z (R15), K1, Z30
	VCMPPS $0x1e, Z26, Z30, K1, K2
	VMOVAPS.Z Z31, K2, Z31
	CMPB acc+89(FP), $0
	JEQ  cr5tset
	VADDPS.Z (DI), Z31, K1, Z31
	JMP  cr5tset

cr5tplain:
	CMPB acc+89(FP), $0
	JEQ  cr5tset
	VMOVUPS.Z (DI), K1, Z29
	VADDPS Z31, Z29, Z31

cr5tset:
	VMOVUPS Z31, K1, (DI)
	LEAQ (DI)(CX*4), DI
	LEAQ (R15)(CX*4), R15

cr5next:
	ADDQ d+8(FP), SI
	DECQ R13
	JNZ  cr5row
	MOVQ splane+72(FP), AX
	ADDQ AX, s+24(FP)
	MOVQ yplane+80(FP), AX
	ADDQ AX, y+40(FP)
	ADDQ AX, x+32(FP)
	DECQ R14
	JNZ  cr5plane

cr5done:
	VZEROUPPER
	RET

// func rows512(x, src, dst *float32, rows, w, spitch, dpitch int, relu, acc bool)
// For each of rows rows of w elements (src at pitch spitch, x and dst at
// pitch dpitch): v := src[r*spitch+i]; if relu && !(x[r*dpitch+i] > 0) {
// v = 0 }; dst[r*dpitch+i] = v, or dst[r*dpitch+i] + v if acc: gradOut (or,
// without relu and acc, a copy) on every row of a stacked plane in one
// call, each element as mask512 computes it (relu) or as gradOut's Go loop
// does (acc alone: dst + v, dst the first operand).
TEXT ·rows512(SB), NOSPLIT, $0-58
	MOVQ x+0(FP), SI
	MOVQ src+8(FP), DX
	MOVQ dst+16(FP), DI
	MOVQ rows+24(FP), R8
	MOVQ w+32(FP), R9
	MOVQ spitch+40(FP), R10
	SHLQ $2, R10
	MOVQ dpitch+48(FP), AX
	SHLQ $2, AX
	MOVQ AX, dpitch+48(FP) // in bytes from here on
	MOVBLZX relu+56(FP), BX
	MOVBLZX acc+57(FP), R11
	MOVQ R9, R12
	ANDQ $15, R12
	TAIL(R12, K1)
	VPXORD Z0, Z0, Z0
	TESTQ R8, R8
	JZ   rwdone

rwrow:
	MOVQ R9, CX
	MOVQ SI, R13
	MOVQ DX, R14
	MOVQ DI, R15

rw16:
	CMPQ CX, $16
	JL   rwtail
	TESTQ BX, BX
	JZ   rw16plain
	VMOVUPS (R13), Z2
	VCMPPS $0x1e, Z0, Z2, K2 // x > 0, ordered, quiet (GT_OQ)
	VMOVUPS.Z (R14), K2, Z1
	TESTQ R11, R11
	JZ   rw16set
	VADDPS (R15), Z1, Z1
	JMP  rw16set

rw16plain:
	VMOVUPS (R14), Z1
	TESTQ R11, R11
	JZ   rw16set
	VMOVUPS (R15), Z2
	VADDPS Z1, Z2, Z1

rw16set:
	VMOVUPS Z1, (R15)
	ADDQ $64, R13
	ADDQ $64, R14
	ADDQ $64, R15
	SUBQ $16, CX
	JMP  rw16

rwtail:
	TESTQ CX, CX
	JZ   rwnext
	TESTQ BX, BX
	JZ   rwtplain
	VMOVUPS.Z (R13), K1, Z2
	VCMPPS $0x1e, Z0, Z2, K1, K2
	VMOVUPS.Z (R14), K2, Z1
	TESTQ R11, R11
	JZ   rwtset
	VADDPS.Z (R15), Z1, K1, Z1
	JMP  rwtset

rwtplain:
	VMOVUPS.Z (R14), K1, Z1
	TESTQ R11, R11
	JZ   rwtset
	VMOVUPS.Z (R15), K1, Z2
	VADDPS Z1, Z2, Z1

rwtset:
	VMOVUPS Z1, K1, (R15)

rwnext:
	ADDQ dpitch+48(FP), SI
	ADDQ dpitch+48(FP), DI
	ADDQ R10, DX
	DECQ R8
	JNZ  rwrow

rwdone:
	VZEROUPPER
	RET

// func spread2x512(src, dst *float32, rows, w, dpitch int)
// dst[r*dpitch + 2*j] = src[r*w + j] for r < rows, j < w, and the odd
// positions between them in each row set to 0 (spread with stride 2 into a
// zeroed stack, in vector expands: VEXPANDPS puts 8 elements into the even
// lanes of a ZMM register).
TEXT ·spread2x512(SB), NOSPLIT, $0-40
	MOVQ src+0(FP), SI
	MOVQ dst+8(FP), DI
	MOVQ rows+16(FP), R8
	MOVQ w+24(FP), R9
	MOVQ dpitch+32(FP), R10
	SHLQ $2, R10
	MOVL $0x5555, AX
	KMOVW AX, K3
	TESTQ R8, R8
	JZ   sp2done
	TESTQ R9, R9
	JZ   sp2done

sp2row:
	MOVQ R9, CX
	MOVQ DI, R13

sp2chunk:
	CMPQ CX, $8
	JLE  sp2last
	VEXPANDPS.Z (SI), K3, Z1
	VMOVUPS Z1, (R13)
	ADDQ $32, SI
	ADDQ $64, R13
	SUBQ $8, CX
	JMP  sp2chunk

sp2last:
	MOVQ CX, R12
	SHLQ $1, R12
	MOVL $0x5555, AX
	BZHIL R12, AX, AX
	KMOVW AX, K4
	VEXPANDPS.Z (SI), K4, Z1
	DECQ R12
	TAIL(R12, K1)
	VMOVUPS Z1, K1, (R13)
	LEAQ (SI)(CX*4), SI
	ADDQ R10, DI
	DECQ R8
	JNZ  sp2row

sp2done:
	VZEROUPPER
	RET

// func mulAdd512(a float32, x, y *float32, n int)
// y[i] = y[i] + a*x[i], the product rounded before the add (y the first
// operand of the add, as the Go loop y[i] += a*x[i] compiles).
TEXT ·mulAdd512(SB), NOSPLIT, $0-32
	VBROADCASTSS a+0(FP), Z0
	MOVQ x+8(FP), SI
	MOVQ y+16(FP), DI
	MOVQ n+24(FP), CX

ma32:
	CMPQ CX, $32
	JL   ma16
	VMULPS (SI), Z0, Z1
	VMULPS 64(SI), Z0, Z2
	VMOVUPS (DI), Z3
	VMOVUPS 64(DI), Z4
	VADDPS Z1, Z3, Z3
	VADDPS Z2, Z4, Z4
	VMOVUPS Z3, (DI)
	VMOVUPS Z4, 64(DI)
	ADDQ $128, SI
	ADDQ $128, DI
	SUBQ $32, CX
	JMP  ma32

ma16:
	CMPQ CX, $16
	JL   matail
	VMULPS (SI), Z0, Z1
	VMOVUPS (DI), Z3
	VADDPS Z1, Z3, Z3
	VMOVUPS Z3, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX
	JMP  ma16

matail:
	TESTQ CX, CX
	JZ   madone
	TAIL(CX, K1)
	VMULPS.Z (SI), Z0, K1, Z1
	VMOVUPS.Z (DI), K1, Z3
	VADDPS Z1, Z3, Z3
	VMOVUPS Z3, K1, (DI)

madone:
	VZEROUPPER
	RET
// dots64x4 is written by tools/kerngen/dots.py.

// func dots64x4(x *float32, ys *[4]*float32, n int, out *[4]float64)
// out[k] = Σ_i x[i]*ys[k][i] in float64 for k < 4, each exactly as
// sumDot64AVX computes its sxy (8 lanes, lane l the elements i ≡ l mod 8
// fused in order, the lanes added in the same tree, then the last n%8
// elements fused in order): four dot products with one x share each load
// of x and keep four independent chains in flight.
TEXT ·dots64x4(SB), NOSPLIT, $0-32
	MOVQ x+0(FP), SI
	MOVQ ys+8(FP), DI
	MOVQ 0(DI), R8
	MOVQ 8(DI), R9
	MOVQ 16(DI), R10
	MOVQ 24(DI), R11
	MOVQ n+16(FP), CX
	XORQ DX, DX // byte offset
	VXORPD Z2, Z2, Z2
	VXORPD Z3, Z3, Z3
	VXORPD Z4, Z4, Z4
	VXORPD Z5, Z5, Z5

d4loop:
	CMPQ CX, $8
	JL   d4reduce
	VCVTPS2PD (SI)(DX*1), Z0
	VCVTPS2PD (R8)(DX*1), Z1
	VFMADD231PD Z1, Z0, Z2
	VCVTPS2PD (R9)(DX*1), Z1
	VFMADD231PD Z1, Z0, Z3
	VCVTPS2PD (R10)(DX*1), Z1
	VFMADD231PD Z1, Z0, Z4
	VCVTPS2PD (R11)(DX*1), Z1
	VFMADD231PD Z1, Z0, Z5
	ADDQ $32, DX
	SUBQ $8, CX
	JMP  d4loop

d4reduce:
	VEXTRACTF64X4 $1, Z2, Y1
	VADDPD Y1, Y2, Y2
	VEXTRACTF128 $1, Y2, X1
	VADDPD X1, X2, X2
	VHADDPD X2, X2, X2
	VEXTRACTF64X4 $1, Z3, Y1
	VADDPD Y1, Y3, Y3
	VEXTRACTF128 $1, Y3, X1
	VADDPD X1, X3, X3
	VHADDPD X3, X3, X3
	VEXTRACTF64X4 $1, Z4, Y1
	VADDPD Y1, Y4, Y4
	VEXTRACTF128 $1, Y4, X1
	VADDPD X1, X4, X4
	VHADDPD X4, X4, X4
	VEXTRACTF64X4 $1, Z5, Y1
	VADDPD Y1, Y5, Y5
	VEXTRACTF128 $1, Y5, X1
	VADDPD X1, X5, X5
	VHADDPD X5, X5, X5

d4tail:
	CMPQ CX, $0
	JE   d4done
	VCVTSS2SD (SI)(DX*1), X0, X0
	VCVTSS2SD (R8)(DX*1), X1, X1
	VFMADD231SD X1, X0, X2
	VCVTSS2SD (R9)(DX*1), X1, X1
	VFMADD231SD X1, X0, X3
	VCVTSS2SD (R10)(DX*1), X1, X1
	VFMADD231SD X1, X0, X4
	VCVTSS2SD (R11)(DX*1), X1, X1
	VFMADD231SD X1, X0, X5
	ADDQ $4, DX
	DECQ CX
	JMP  d4tail

d4done:
	MOVQ out+24(FP), DI
	VMOVSD X2, 0(DI)
	VMOVSD X3, 8(DI)
	VMOVSD X4, 16(DI)
	VMOVSD X5, 24(DI)
	VZEROUPPER
	RET

