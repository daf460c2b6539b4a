#!/usr/bin/env python3
"""Writes corrRows3x512 and corrRows5x512 of internal/kern/simd512_amd64.s.

The two kernels are one loop at K = 3 and K = 5 (Go assembly has no generics).
Usage: python3 tools/kerngen/corrrows.py > /tmp/corrrows.s, then replace the
block from "// func corrRows3x512(" to corrRows5x512's RET with it; the tests
(TestAVX512KernelsSameBits) hold the result to the AVX2 path bit for bit.
"""

K_ROWS = ["R8", "R9", "R10", "R11", "R12"]
COLS = ["", "(DX*1)", "(DX*2)", "(BX*1)", "(DX*4)"]

def taps(K, masked):
    out = []
    t = 0
    m = ".Z" if masked else ""
    k = ", K1" if masked else ""
    for r in range(K):
        for c in range(K):
            addr = "(%s)%s" % (K_ROWS[r], COLS[c])
            if t == 0:
                out.append("\tVMULPS%s %s, Z0, K1, Z31" % (m, addr) if masked else "\tVMULPS %s, Z0, Z31" % addr)
            else:
                out.append("\tVFMADD231PS %s, Z%d%s, Z31" % (addr, t, k))
            t += 1
    return out

def store(L, p, masked):
    """The ReLU mask, the accumulating add and the store of Z31 (rows512's
    operations), for a full chunk (p = "16") or the masked tail (p = "t")."""
    k1, z = (", K1", ".Z") if masked else ("", "")
    o = []
    o.append("\tCMPB relu+88(FP), $0")
    o.append("\tJEQ  %s%splain" % (L, p))
    o.append("\tVMOVUPS%s (R15)%s, Z30" % (z, k1))
    if masked:
        o.append("\tVCMPPS $0x1e, Z26, Z30, K1, K2")
    else:
        o.append("\tVCMPPS $0x1e, Z26, Z30, K2 // x > 0, ordered, quiet (GT_OQ)")
    o.append("\tVMOVAPS.Z Z31, K2, Z31")
    o.append("\tCMPB acc+89(FP), $0")
    o.append("\tJEQ  %s%sset" % (L, p))
    o.append("\tVADDPS%s (DI), Z31%s, Z31" % (z, k1))
    o.append("\tJMP  %s%sset" % (L, p))
    o.append("")
    o.append("%s%splain:" % (L, p))
    o.append("\tCMPB acc+89(FP), $0")
    o.append("\tJEQ  %s%sset" % (L, p))
    o.append("\tVMOVUPS%s (DI)%s, Z29" % (z, k1))
    o.append("\tVADDPS Z31, Z29, Z31")
    o.append("")
    o.append("%s%sset:" % (L, p))
    o.append("\tVMOVUPS Z31%s, (DI)" % k1)
    return o


def chunk(K, L, masked):
    """The loop over a row's full chunks of 16 outputs, or its masked tail."""
    o = []
    if not masked:
        o.append("%s16:" % L)
        o.append("\tCMPQ CX, $16")
        o.append("\tJL   %stail" % L)
        o += taps(K, False)
        o += store(L, "16", False)
        for r in K_ROWS[:K] + ["DI", "R15"]:
            o.append("\tADDQ $64, %s" % r)
        o.append("\tSUBQ $16, CX")
        o.append("\tJMP  %s16" % L)
    else:
        o.append("%stail:" % L)
        o.append("\tTESTQ CX, CX")
        o.append("\tJZ   %snext" % L)
        o += taps(K, True)
        o += store(L, "t", True)
        o.append("\tLEAQ (DI)(CX*4), DI")
        o.append("\tLEAQ (R15)(CX*4), R15")
    o.append("")
    return o


def gen(K):
    L = "cr%d" % K
    o = []
    o.append("// func corrRows%dx512(w *float32, d, pitch int, s, x, y *float32, planes, rows, cols, splane, yplane int, relu, acc bool)" % K)
    o.append("// For n < planes, i < rows, j < cols, q = n*yplane + i*cols + j:")
    o.append("//")
    o.append("//\tv := Σ_r Σ_c w[r*%d+c]*s[n*splane + i*pitch + j + r*d*pitch + c*d]" % K)
    o.append("//\tif relu && !(x[q] > 0) { v = 0 }")
    o.append("//\ty[q] = v, or (acc) v + y[q] with relu, y[q] + v without")
    o.append("//")
    o.append("// The %d row passes of corr%dx512 in one, on a stack of planes (for each" % (K, K))
    o.append("// element the same operations in the same order: the first tap a plain")
    o.append("// product, every other fused, row by row), with rows512's store of each")
    o.append("// output row (mask512's zeros, its operand order of the add) in the same")
    o.append("// pass: the outputs go straight into the planes of y instead of through a")
    o.append("// stacked buffer.")
    o.append("TEXT ·corrRows%dx512(SB), NOSPLIT, $0-90" % K)
    o.append("\tMOVQ w+0(FP), AX")
    for t in range(K * K):
        o.append("\tVBROADCASTSS %d(AX), Z%d" % (4 * t, t))
    o.append("\tMOVQ d+8(FP), DX")
    o.append("\tSHLQ $2, DX // d in bytes")
    o.append("\tLEAQ (DX)(DX*2), BX")
    o.append("\tMOVQ pitch+16(FP), AX")
    o.append("\tSHLQ $2, AX")
    o.append("\tMOVQ AX, d+8(FP) // the pitch in bytes from here on")
    o.append("\tMOVQ pitch+16(FP), AX")
    o.append("\tIMULQ DX, AX")
    o.append("\tMOVQ AX, pitch+16(FP) // d*pitch in bytes from here on")
    o.append("\tSHLQ $2, splane+72(FP)")
    o.append("\tSHLQ $2, yplane+80(FP)")
    o.append("\tVPXORD Z26, Z26, Z26")
    o.append("\tMOVQ cols+64(FP), CX")
    o.append("\tANDQ $15, CX")
    o.append("\tTAIL(CX, K1)")
    o.append("\tMOVQ planes+48(FP), R14")
    o.append("\tTESTQ R14, R14")
    o.append("\tJZ   %sdone" % L)
    o.append("\tCMPQ rows+56(FP), $0")
    o.append("\tJEQ  %sdone" % L)
    o.append("\tCMPQ cols+64(FP), $0")
    o.append("\tJEQ  %sdone" % L)
    o.append("")
    o.append("%splane:" % L)
    o.append("\tMOVQ s+24(FP), SI")
    o.append("\tMOVQ y+40(FP), DI")
    o.append("\tMOVQ x+32(FP), R15")
    o.append("\tMOVQ rows+56(FP), R13")
    o.append("")
    o.append("%srow:" % L)
    o.append("\tMOVQ SI, R8")
    o.append("\tMOVQ pitch+16(FP), AX")
    for r in range(1, K):
        o.append("\tLEAQ (%s)(AX*1), %s" % (K_ROWS[r - 1], K_ROWS[r]))
    o.append("\tMOVQ cols+64(FP), CX")
    o.append("")
    o += chunk(K, L, False)
    o += chunk(K, L, True)
    o.append("%snext:" % L)
    o.append("\tADDQ d+8(FP), SI")
    o.append("\tDECQ R13")
    o.append("\tJNZ  %srow" % L)
    o.append("\tMOVQ splane+72(FP), AX")
    o.append("\tADDQ AX, s+24(FP)")
    o.append("\tMOVQ yplane+80(FP), AX")
    o.append("\tADDQ AX, y+40(FP)")
    o.append("\tADDQ AX, x+32(FP)")
    o.append("\tDECQ R14")
    o.append("\tJNZ  %splane" % L)
    o.append("")
    o.append("%sdone:" % L)
    o.append("\tVZEROUPPER")
    o.append("\tRET")
    o.append("")
    return "\n".join(o)

print(gen(3))
print(gen(5))
