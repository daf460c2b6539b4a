package kern

import (
	"runtime"
	"unsafe"
)

// gemmNN computes c = a·b (or c += a·b if acc) for row-major a (m×k),
// b (k×n) and c (m×n). It is:
//
//	for i, j := range m×n {
//		s := 0
//		for p := range k { s += a[i*k+p] * b[p*n+j] }
//		c[i*n+j] = s // or += s
//	}
//
// Tiles of 4 rows by 2 columns keep 8 sums in registers, so each element
// loaded from b serves 4 multiply-adds; column blocks of gemmNB keep the
// touched part of b in L1 across row tiles.
func gemmNN[T Float](m, n, k int, a, b, c []T, acc bool) {
	if is32[T]() {
		gemmNNVec(m, n, k, a, b, c, acc)
		return
	}
	const gemmNB = 64
	a, b, c = a[:m*k], b[:k*n], c[:m*n]
	for j0 := 0; j0 < n; j0 += gemmNB {
		j1 := min(j0+gemmNB, n)
		i := 0
		for ; i+4 <= m; i += 4 {
			a0, a1, a2, a3 := a[i*k:i*k+k], a[(i+1)*k:(i+1)*k+k], a[(i+2)*k:(i+2)*k+k], a[(i+3)*k:(i+3)*k+k]
			c0, c1, c2, c3 := c[i*n:i*n+n], c[(i+1)*n:(i+1)*n+n], c[(i+2)*n:(i+2)*n+n], c[(i+3)*n:(i+3)*n+n]
			j := j0
			for ; j+2 <= j1; j += 2 {
				var s00, s01, s10, s11, s20, s21, s30, s31 T
				bj := b[j:]
				for p, av := range a0 {
					bp := bj[p*n : p*n+2]
					b0, b1 := bp[0], bp[1]
					s00 += av * b0
					s01 += av * b1
					v := a1[p]
					s10 += v * b0
					s11 += v * b1
					v = a2[p]
					s20 += v * b0
					s21 += v * b1
					v = a3[p]
					s30 += v * b0
					s31 += v * b1
				}
				if acc {
					c0[j] += s00
					c0[j+1] += s01
					c1[j] += s10
					c1[j+1] += s11
					c2[j] += s20
					c2[j+1] += s21
					c3[j] += s30
					c3[j+1] += s31
				} else {
					c0[j], c0[j+1] = s00, s01
					c1[j], c1[j+1] = s10, s11
					c2[j], c2[j+1] = s20, s21
					c3[j], c3[j+1] = s30, s31
				}
			}
			for ; j < j1; j++ {
				var s0, s1, s2, s3 T
				for p, av := range a0 {
					bv := b[p*n+j]
					s0 += av * bv
					s1 += a1[p] * bv
					s2 += a2[p] * bv
					s3 += a3[p] * bv
				}
				if acc {
					c0[j] += s0
					c1[j] += s1
					c2[j] += s2
					c3[j] += s3
				} else {
					c0[j], c1[j], c2[j], c3[j] = s0, s1, s2, s3
				}
			}
		}
		for ; i < m; i++ {
			ai := a[i*k : i*k+k]
			ci := c[i*n : i*n+n]
			for j := j0; j < j1; j++ {
				var s T
				for p, av := range ai {
					s += av * b[p*n+j]
				}
				if acc {
					ci[j] += s
				} else {
					ci[j] = s
				}
			}
		}
	}
}

// gemmNTTiles is gemmNT's dot products for the rows [0, m&^1) of a and the
// rows [0, n&^7) of b (k at least 8): dotTile512 on each pair of rows of a,
// whose sums are those dots computes.
func gemmNTTiles(m, n, k int, a, b, c []float32) {
	k8, n8 := k&^7, n&^7
	var bt []float32
	var sp *scratch
	if t := k - k8; t > 0 {
		// The columns past k8 of b, transposed: the tails of 8 sums at once.
		sp, bt = getScratch[float32](t * n8)
		defer putScratch(sp)
		for j := range n8 {
			for p := range t {
				bt[p*n8+j] = b[j*k+k8+p]
			}
		}
	} else {
		bt = c // not read
	}
	for i := 0; i+2 <= m; i += 2 {
		dotTile512(&a[i*k], &b[0], k, n8/8, &c[i*n], n, &bt[0], 4*n8)
	}
}

// as32 is x as a []float32 (T must be float32).
func as32[T Float](x []T) []float32 {
	if len(x) == 0 {
		return nil
	}
	return unsafe.Slice((*float32)(unsafe.Pointer(&x[0])), len(x))
}

// gemmNT accumulates c += a·bᵀ for row-major a (m×k), b (n×k), c (m×n):
//
//	for i, j := range m×n {
//		s := 0
//		for p := range k { s += a[i*k+p] * b[j*k+p] }
//		c[i*n+j] += s
//	}
//
// Every sum runs along contiguous rows; tiles of 2×4 dot products share loads.
func gemmNT[T Float](m, n, k int, a, b, c []T) {
	a, b, c = a[:m*k], b[:n*k], c[:m*n]
	if is32[T]() {
		// With AVX-512, pairs of rows of a and blocks of 8 rows of b in
		// tiles (the same sums); what they leave, and everything with
		// AVX2: 8 rows of b at a time share each read of a row of a.
		i0, jt := 0, 0
		if useAVX512 && k >= 8 && n >= 8 && m >= 2 {
			i0, jt = m&^1, n&^7
			gemmNTTiles(m, n, k, as32(a), as32(b), as32(c))
		}
		var rows [8][]T
		for i := 0; i < m; i++ {
			ai, ci := a[i*k:(i+1)*k], c[i*n:(i+1)*n]
			j0 := 0
			if i < i0 {
				j0 = jt
			}
			for ; j0 < n; j0 += 8 {
				j1 := min(n, j0+8)
				for j := j0; j < j1; j++ {
					rows[j-j0] = b[j*k : (j+1)*k]
				}
				dots(ai, rows[:j1-j0], ci[j0:j1])
			}
		}
		return
	}
	i := 0
	for ; i+2 <= m; i += 2 {
		a0, a1 := a[i*k:i*k+k], a[(i+1)*k:(i+1)*k+k]
		c0, c1 := c[i*n:i*n+n], c[(i+1)*n:(i+1)*n+n]
		j := 0
		for ; j+4 <= n; j += 4 {
			b0, b1, b2, b3 := b[j*k:j*k+k], b[(j+1)*k:(j+1)*k+k], b[(j+2)*k:(j+2)*k+k], b[(j+3)*k:(j+3)*k+k]
			b1, b2, b3 = b1[:len(b0)], b2[:len(b0)], b3[:len(b0)]
			a0, a1 := a0[:len(b0)], a1[:len(b0)]
			var s00, s01, s02, s03, s10, s11, s12, s13 T
			for p, v0 := range b0 {
				x0, x1 := a0[p], a1[p]
				v1, v2, v3 := b1[p], b2[p], b3[p]
				s00 += x0 * v0
				s01 += x0 * v1
				s02 += x0 * v2
				s03 += x0 * v3
				s10 += x1 * v0
				s11 += x1 * v1
				s12 += x1 * v2
				s13 += x1 * v3
			}
			c0[j] += s00
			c0[j+1] += s01
			c0[j+2] += s02
			c0[j+3] += s03
			c1[j] += s10
			c1[j+1] += s11
			c1[j+2] += s12
			c1[j+3] += s13
		}
		for ; j < n; j++ {
			bj := b[j*k : j*k+k]
			a0, a1 := a0[:len(bj)], a1[:len(bj)]
			var s0, s1 T
			for p, v := range bj {
				s0 += a0[p] * v
				s1 += a1[p] * v
			}
			c0[j] += s0
			c1[j] += s1
		}
	}
	for ; i < m; i++ {
		ai := a[i*k : i*k+k]
		for j := 0; j < n; j++ {
			bj := b[j*k : j*k+k]
			bj = bj[:len(ai)]
			var s T
			for p, v := range ai {
				s += v * bj[p]
			}
			c[i*n+j] += s
		}
	}
}

// gemmNNVec is gemmNN for float32 with AVX2: tiles of 4 rows by 8 columns
// of c keep their sums in registers across p (gemm4AVX), so each vector
// of b loaded serves 4 fused multiply-adds; leftover rows are vector axpys
// and leftover columns plain loops, whose products are rounded before the
// add. Every sum runs over p in order. With AVX-512, gemm4x512 computes
// the same bits for whole 4-row tiles, the leftover columns included.
func gemmNNVec[T Float](m, n, k int, a, b, c []T, acc bool) {
	a, b, c = a[:m*k], b[:k*n], c[:m*n]
	if k == 0 {
		if !acc {
			zero(c)
		}
		return
	}
	n8 := n &^ 7
	i := 0
	if useAVX512 {
		for ; i+4 <= m; i += 4 {
			gemm4x512(k, f32p(a[i*k:]), k, f32p(b), n, f32p(c[i*n:]), n, n, n8, acc)
		}
	}
	for ; i+4 <= m; i += 4 {
		if n8 > 0 {
			gemm4AVX(k, f32p(a[i*k:]), k, f32p(b), n, f32p(c[i*n:]), n, n8, acc)
		}
		for r := i; r < i+4; r++ {
			ar, cr := a[r*k:(r+1)*k], c[r*n:(r+1)*n]
			for j := n8; j < n; j++ {
				var s T
				if acc {
					s = cr[j]
				}
				for p, av := range ar {
					s += T(av * b[p*n+j]) // rounded: never fused, as gemm4x512 assumes
				}
				cr[j] = s
			}
		}
	}
	for ; i < m; i++ {
		ci, ai := c[i*n:(i+1)*n], a[i*k:(i+1)*k]
		p := 0
		if !acc {
			scal(ai[0], b[:n], ci)
			p = 1
		}
		for ; p < k; p++ {
			axpy(ai[p], b[p*n:(p+1)*n], ci)
		}
	}
}

// transpose writes the m×n matrix a into dst as n×m.
func transpose[T Float](m, n int, a, dst []T) {
	for i := 0; i < m; i++ {
		for j, v := range a[i*n : (i+1)*n] {
			dst[j*m+i] = v
		}
	}
}

// batchChunk is the number of samples per chunk in reductions over the batch.
// It is fixed, not derived from GOMAXPROCS, so that per-chunk partial sums,
// added in chunk order, give the same bits on any machine.
const batchChunk = 4

// reduceWave is the most partial-sum elements reduceBatch holds at once
// (unless its threads need more for one chunk each): a large partial (the
// auxiliary head's 2×2 convolution has 393,216 weights) times every chunk
// of the batch would be scratch memory that stays pooled. A variable for
// the tests.
var reduceWave = 1 << 20

// reduceBatch runs f over the batch [0, n) in fixed chunks of batchChunk
// samples, in parallel. f gets a zeroed partial of length l for its chunk;
// afterwards the partials are added into dst in chunk order. If dst is nil,
// f gets a nil partial. The chunks run in waves of at most reduceWave
// partial elements (but a chunk for every thread), each wave's
// partials added before the next starts: the same additions in the same
// order, whatever the wave size, so the bits do not depend on it.
func reduceBatch[T Float](n, l, minChunk int, dst []T, f func(b0, b1 int, part []T)) {
	nch := (n + batchChunk - 1) / batchChunk
	if dst == nil {
		parallelFor(nch, minChunk, func(lo, hi int) {
			for ch := lo; ch < hi; ch++ {
				f(ch*batchChunk, min((ch+1)*batchChunk, n), nil)
			}
		})
		return
	}
	wave := min(nch, max(reduceWave/max(1, l), runtime.GOMAXPROCS(0)))
	sp, parts := getScratch[T](wave * l)
	defer putScratch(sp)
	dst = dst[:l]
	for w0 := 0; w0 < nch; w0 += wave {
		w1 := min(nch, w0+wave)
		parallelFor(w1-w0, minChunk, func(lo, hi int) {
			for ch := w0 + lo; ch < w0+hi; ch++ {
				part := parts[(ch-w0)*l : (ch-w0+1)*l]
				zero(part)
				f(ch*batchChunk, min((ch+1)*batchChunk, n), part)
			}
		})
		for ch := w0; ch < w1; ch++ {
			for i, v := range parts[(ch-w0)*l : (ch-w0+1)*l] {
				dst[i] += v
			}
		}
	}
}
