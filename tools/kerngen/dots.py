#!/usr/bin/env python3
"""Writes dots64x4 of internal/kern/simd512_amd64.s (four accumulators, one
loop per register: written out rather than by hand).

Usage: python3 tools/kerngen/dots.py > /tmp/dots.s, then replace the block from
"// func dots64x4(" to its RET with it; TestDotsToSameBits holds the result to
Dot bit for bit.
"""

acc = ["Z2", "Z3", "Z4", "Z5"]
ys = ["R8", "R9", "R10", "R11"]
o = []
o.append("""// func dots64x4(x *float32, ys *[4]*float32, n int, out *[4]float64)
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
	XORQ DX, DX // byte offset""")
for a in acc:
    o.append("\tVXORPD %s, %s, %s" % (a, a, a))
o.append("""
d4loop:
	CMPQ CX, $8
	JL   d4reduce
	VCVTPS2PD (SI)(DX*1), Z0""")
for a, y in zip(acc, ys):
    o.append("\tVCVTPS2PD (%s)(DX*1), Z1" % y)
    o.append("\tVFMADD231PD Z1, Z0, %s" % a)
o.append("""	ADDQ $32, DX
	SUBQ $8, CX
	JMP  d4loop

d4reduce:""")
for a in acc:
    y = "Y" + a[1:]
    x = "X" + a[1:]
    o.append("\tVEXTRACTF64X4 $1, %s, Y1" % a)
    o.append("\tVADDPD Y1, %s, %s" % (y, y))
    o.append("\tVEXTRACTF128 $1, %s, X1" % y)
    o.append("\tVADDPD X1, %s, %s" % (x, x))
    o.append("\tVHADDPD %s, %s, %s" % (x, x, x))
o.append("""
d4tail:
	CMPQ CX, $0
	JE   d4done
	VCVTSS2SD (SI)(DX*1), X0, X0""")
for a, y in zip(acc, ys):
    x = "X" + a[1:]
    o.append("\tVCVTSS2SD (%s)(DX*1), X1, X1" % y)
    o.append("\tVFMADD231SD X1, X0, %s" % x)
o.append("""	ADDQ $4, DX
	DECQ CX
	JMP  d4tail

d4done:
	MOVQ out+24(FP), DI""")
for k, a in enumerate(acc):
    o.append("\tVMOVSD X%s, %d(DI)" % (a[1:], 8 * k))
o.append("\tVZEROUPPER\n\tRET\n")
print("\n".join(o))
