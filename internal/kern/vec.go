package kern

import "unsafe"

// The vector primitives the float32 fast paths are built from. With AVX2
// and FMA (simd_amd64.s) they run 8 lanes at a time and fuse each multiply
// with its add, with AVX-512 (simd512_amd64.s) 16 lanes with the same bits
// (dotT and dots keep the AVX2 kernels: see doc.go); otherwise, and always
// for float64, they are the plain loops in their doc comments. Either way a
// given path gives the same bits on every run.

// is32 reports whether T is float32 and the vector paths (AVX2, AVX-512) are on.
func is32[T Float]() bool {
	var z T
	return useAVX && unsafe.Sizeof(z) == 4
}

func f32p[T Float](x []T) *float32 { return (*float32)(unsafe.Pointer(&x[0])) }

// axpy is: for i, v := range x { y[i] += a * v }.
func axpy[T Float](a T, x, y []T) {
	if len(x) == 0 {
		return
	}
	y = y[:len(x)]
	if is32[T]() {
		if useAVX512 {
			axpy512(float32(a), f32p(x), f32p(y), len(x))
		} else {
			axpyAVX(float32(a), f32p(x), f32p(y), len(x))
		}
		return
	}
	for i, v := range x {
		y[i] += a * v
	}
}

// scal is: for i, v := range x { y[i] = a * v }.
func scal[T Float](a T, x, y []T) {
	if len(x) == 0 {
		return
	}
	y = y[:len(x)]
	if is32[T]() {
		if useAVX512 {
			scal512(float32(a), f32p(x), f32p(y), len(x))
		} else {
			scalAVX(float32(a), f32p(x), f32p(y), len(x))
		}
		return
	}
	for i, v := range x {
		y[i] = a * v
	}
}

// add is: for i, v := range x { z[i] = v + y[i] }.
func add[T Float](x, y, z []T) {
	if len(x) == 0 {
		return
	}
	y, z = y[:len(x)], z[:len(x)]
	if is32[T]() {
		if useAVX512 {
			add512(f32p(x), f32p(y), f32p(z), len(x))
		} else {
			addAVX(f32p(x), f32p(y), f32p(z), len(x))
		}
		return
	}
	for i, v := range x {
		z[i] = v + y[i]
	}
}

// mulAdd is: for i, v := range x { y[i] += T(a * v) }: the product rounded
// before the add, unlike axpy.
func mulAdd[T Float](a T, x, y []T) {
	if len(x) == 0 {
		return
	}
	y = y[:len(x)]
	if is32[T]() {
		if useAVX512 {
			mulAdd512(float32(a), f32p(x), f32p(y), len(x))
		} else {
			mulAddAVX(float32(a), f32p(x), f32p(y), len(x))
		}
		return
	}
	for i, v := range x {
		y[i] += T(a * v)
	}
}

// dotT is Σ x[i]*y[i] in T (in 32 lanes with AVX2, then added up in a fixed
// order).
func dotT[T Float](x, y []T) T {
	if len(x) == 0 {
		return 0
	}
	y = y[:len(x)]
	if is32[T]() {
		return T(dotAVX(f32p(x), f32p(y), len(x)))
	}
	var s0, s1 T
	i := 0
	for ; i+2 <= len(x); i += 2 {
		s0 += x[i] * y[i]
		s1 += x[i+1] * y[i+1]
	}
	if i < len(x) {
		s0 += x[i] * y[i]
	}
	return s0 + s1
}

// dots is: for j, y := range ys { out[j] += Σ x[i]*y[i] } with each y as
// long as x, up to 8 rows sharing each load of x (AVX2), the tail past a
// multiple of 8 added in order. Rows past len(ys) read x instead and their
// sums are dropped. With one or two rows it is dotT.
func dots[T Float](x []T, ys [][]T, out []T) {
	n := len(x)
	if !is32[T]() || len(ys) <= 2 || n < 8 {
		for j, y := range ys {
			out[j] += dotT(x, y[:n])
		}
		return
	}
	var ptr [8]*float32
	var sum [8]float32
	for j := range ptr {
		if j < len(ys) {
			ptr[j] = f32p(ys[j][:n])
		} else {
			ptr[j] = f32p(x)
		}
	}
	n8 := n &^ 7
	dot8AVX(f32p(x), &ptr, n8, &sum)
	for j, y := range ys {
		s := T(sum[j])
		for i := n8; i < n; i++ {
			s += T(x[i] * y[i]) // rounded, as gemmNTTiles does, at any GOAMD64
		}
		out[j] += s
	}
}
