package kern

import "math"

// BatchNormTrain is training-mode batch normalization of x (N,C,P) over
// (N, P) for each channel. It overwrites y, xhat (N,C,P) and mean, uvar,
// invstd (C) and is, for each channel c, with M = N*P:
//
//	mean[c] = Σ x[n,c,q] / M
//	v := Σ (x[n,c,q]-mean[c])² / M           // biased, for the normalization
//	uvar[c] = v * M/(M-1)                    // unbiased, for running statistics (v if M = 1)
//	invstd[c] = 1/sqrt(v+eps)
//	xhat[n,c,q] = (x[n,c,q]-mean[c]) * invstd[c]
//	y[n,c,q] = xhat[n,c,q]*gamma[c] + beta[c] // gamma, beta nil: 1 and 0 (affine=False)
//
// Sums are accumulated in float64. y and xhat may be x itself (each element is
// read before it is written) but not otherwise overlap it; without gamma and
// beta, y may be xhat itself, which saves a store per element.
func BatchNormTrain[T Float](n, c, p int, eps T, x, gamma, beta, y, xhat, mean, uvar, invstd []T) {
	m := float64(n * p)
	parallelFor(c, grain(3*n*p), func(lo, hi int) {
		for ch := lo; ch < hi; ch++ {
			s, _ := sumDot64Planes(x[ch*p:], nil, n, p, c*p)
			mu := s / m
			v := sqDev64Planes(x[ch*p:], n, p, c*p, mu) / m
			is := 1 / math.Sqrt(v+float64(eps))
			mean[ch], invstd[ch] = T(mu), T(is)
			uvar[ch] = T(v)
			if n*p > 1 {
				uvar[ch] = T(v * m / (m - 1))
			}
			muT, isT := T(mu), T(is)
			gm, bt := param(gamma, ch, 1), param(beta, ch, 0)
			if gamma == nil && beta == nil && len(y) > 0 && &y[0] == &xhat[0] {
				// Without affine, y is xhat: store it once.
				for b := 0; b < n; b++ {
					k := (b*c + ch) * p
					normInto(x[k:k+p], xhat[k:k+p], muT, isT)
				}
				continue
			}
			for b := 0; b < n; b++ {
				k := (b*c + ch) * p
				affineInto(x[k:k+p], xhat[k:k+p], y[k:k+p], muT, isT, gm, bt)
			}
		}
	})
}

// param returns v[i], or def if v is nil (affine=False).
func param[T Float](v []T, i int, def T) T {
	if v == nil {
		return def
	}
	return v[i]
}

// sum64 returns Σ x in float64, with four partial sums to break the
// dependency chain.
func sum64[T Float](x []T) float64 {
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(x); i += 4 {
		s0 += float64(x[i])
		s1 += float64(x[i+1])
		s2 += float64(x[i+2])
		s3 += float64(x[i+3])
	}
	for ; i < len(x); i++ {
		s0 += float64(x[i])
	}
	return (s0 + s1) + (s2 + s3)
}

// sumDot64 returns Σ x and Σ x*y (y nil: 0) in float64.
func sumDot64[T Float](x, y []T) (sx, sxy float64) {
	if len(x) > 0 && is32[T]() {
		var py *float32
		if y != nil {
			py = f32p(y[:len(x)])
		}
		return sumDot64AVX(f32p(x), py, len(x))
	}
	sx = sum64(x)
	if y != nil {
		sxy = dot64(x, y)
	}
	return sx, sxy
}

// sumDot64Planes returns Σ_k sx_k and Σ_k sxy_k, added in k order, where
// (sx_k, sxy_k) = sumDot64 of the plane x[k*stride:][:p] (and of y's), for
// the n planes k. With AVX-512, 4 planes at a time run their sums
// interleaved (sumDot64x4), each with sumDot64AVX's bits.
func sumDot64Planes[T Float](x, y []T, n, p, stride int) (sx, sxy float64) {
	k := 0
	if is32[T]() && useAVX512 && p >= 8 {
		p8 := p &^ 7
		var out [8]float64
		for ; k+4 <= n; k += 4 {
			xs := x[k*stride : (k+3)*stride+p]
			var ys []T
			var py *float32
			if y != nil {
				ys = y[k*stride : (k+3)*stride+p]
				py = f32p(ys)
			}
			sumDot64x4(f32p(xs), py, stride, p8, &out)
			for j := 0; j < 4; j++ {
				// The elements past p8 as sumDot64AVX adds them.
				s0, s1 := out[j], out[4+j]
				for i := j*stride + p8; i < j*stride+p; i++ {
					s0 += float64(xs[i])
					if y != nil {
						s1 = math.FMA(float64(xs[i]), float64(ys[i]), s1)
					}
				}
				sx += s0
				sxy += s1
			}
		}
	}
	for ; k < n; k++ {
		var yk []T
		if y != nil {
			yk = y[k*stride : k*stride+p]
		}
		s0, s1 := sumDot64(x[k*stride:k*stride+p], yk)
		sx += s0
		sxy += s1
	}
	return sx, sxy
}

// sqDev64Planes returns Σ_k sqDev64(x[k*stride:][:p], mu), added in k
// order, for the n planes k; with AVX-512, 4 planes at a time
// (sqDev64x4), each with sqDev64AVX's bits.
func sqDev64Planes[T Float](x []T, n, p, stride int, mu float64) float64 {
	var ss float64
	k := 0
	if is32[T]() && useAVX512 && p >= 8 {
		p8 := p &^ 7
		var out [4]float64
		for ; k+4 <= n; k += 4 {
			xs := x[k*stride : (k+3)*stride+p]
			sqDev64x4(f32p(xs), stride, p8, mu, &out)
			for j, s := range out {
				for i := j*stride + p8; i < j*stride+p; i++ {
					d := float64(xs[i]) - mu
					s = math.FMA(d, d, s)
				}
				ss += s
			}
		}
	}
	for ; k < n; k++ {
		ss += sqDev64(x[k*stride:k*stride+p], mu)
	}
	return ss
}

// normInto is: for i, v := range x { y[i] = (v - mu) * is }.
func normInto[T Float](x, y []T, mu, is T) {
	y = y[:len(x)]
	if is32[T]() && len(x) > 0 {
		if useAVX512 {
			bnNorm512(f32p(x), f32p(y), len(x), float32(mu), float32(is))
		} else {
			bnNormAVX(f32p(x), f32p(y), len(x), float32(mu), float32(is))
		}
		return
	}
	for i, v := range x {
		y[i] = (v - mu) * is
	}
}

// affineInto is: for i, v := range x { h := (v - mu) * is; xh[i] = h;
// y[i] = h*g + b }, on the vector paths in one pass with the same
// roundings (the multiply and the add separately, as the Go loop compiles
// without FMA), so every path gives the plain loop's bits.
func affineInto[T Float](x, xh, y []T, mu, is, g, b T) {
	xh, y = xh[:len(x)], y[:len(x)]
	if is32[T]() && len(x) > 0 {
		if useAVX512 {
			bnAffine512(f32p(x), f32p(xh), f32p(y), len(x), float32(mu), float32(is), float32(g), float32(b))
		} else {
			bnAffineAVX(f32p(x), f32p(xh), f32p(y), len(x), float32(mu), float32(is), float32(g), float32(b))
		}
		return
	}
	for i, v := range x {
		h := (v - mu) * is
		xh[i] = h
		y[i] = T(h*g) + b
	}
}

// BatchNormAffine writes y = xhat·γ + β per channel of the (n, c, p)
// activation: the output BatchNormTrain wrote next to xhat, again, with the
// same roundings (the product, then the sum), so the same bits, for a
// caller that recomputes the output instead of keeping it.
func BatchNormAffine[T Float](n, c, p int, xhat, gamma, beta, y []T) {
	parallelFor(c, grain(n*p), func(lo, hi int) {
		for ch := lo; ch < hi; ch++ {
			g, b := gamma[ch], beta[ch]
			for s := 0; s < n; s++ {
				k := (s*c + ch) * p
				affineOf(xhat[k:k+p], y[k:k+p], g, b)
			}
		}
	})
}

// affineOf is: for i, h := range xh { y[i] = h*g + b }, the product
// rounded before the sum as in affineInto.
func affineOf[T Float](xh, y []T, g, b T) {
	y = y[:len(xh)]
	if is32[T]() && useAVX512 && len(xh) > 0 {
		bnScale512(f32p(xh), f32p(y), len(xh), float32(g), float32(b))
		return
	}
	for i, h := range xh {
		y[i] = T(h*g) + b
	}
}

// sqDev64 returns Σ (x-mu)² in float64.
func sqDev64[T Float](x []T, mu float64) float64 {
	if is32[T]() && len(x) > 0 {
		return sqDev64AVX(f32p(x), len(x), mu)
	}
	var s0, s1 float64
	i := 0
	for ; i+2 <= len(x); i += 2 {
		d0, d1 := float64(x[i])-mu, float64(x[i+1])-mu
		s0 += d0 * d0
		s1 += d1 * d1
	}
	for ; i < len(x); i++ {
		d := float64(x[i]) - mu
		s0 += d * d
	}
	return s0 + s1
}

// dot64 returns Σ x*y in float64.
func dot64[T Float](x, y []T) float64 {
	y = y[:len(x)]
	var s0, s1 float64
	i := 0
	for ; i+2 <= len(x); i += 2 {
		s0 += float64(x[i]) * float64(y[i])
		s1 += float64(x[i+1]) * float64(y[i+1])
	}
	for ; i < len(x); i++ {
		s0 += float64(x[i]) * float64(y[i])
	}
	return s0 + s1
}

// BatchNormBackward computes the gradients of BatchNormTrain given s·dy,
// from its saved xhat and invstd. It is, for each channel c, with M = N*P and
// sums over (n, q):
//
//	dbeta[c] += s * Σ dy
//	dgamma[c] += s * Σ dy*xhat
//	dx[n,c,q] += s*gamma[c]*invstd[c]/M * (M*dy[n,c,q] - Σ dy - xhat[n,c,q]*Σ dy*xhat)
//
// with gamma[c] = 1 if gamma is nil, and dx zeroed first unless acc (dgamma
// and dbeta always accumulate). The scale s is how a mixed op's weight
// reaches its candidate without a pass that stores s·dy. dx, dgamma or dbeta
// may be nil to skip it. dx must not overlap the other arguments. Each
// channel is reduced by one goroutine in a fixed order, so results do not
// depend on GOMAXPROCS.
func BatchNormBackward[T Float](n, c, p int, xhat, invstd, gamma, dy []T, s T, dx, dgamma, dbeta []T, acc bool) {
	m := float64(n * p)
	parallelFor(c, grain(3*n*p), func(lo, hi int) {
		for ch := lo; ch < hi; ch++ {
			sdy, sdyx := sumDot64Planes(dy[ch*p:], xhat[ch*p:], n, p, c*p)
			if dbeta != nil {
				dbeta[ch] += T(float64(s) * sdy)
			}
			if dgamma != nil {
				dgamma[ch] += T(float64(s) * sdyx)
			}
			if dx == nil {
				continue
			}
			scale := T(float64(s) * float64(param(gamma, ch, 1)) * float64(invstd[ch]))
			mdy, mdyx := T(sdy/m), T(sdyx/m)
			for b := 0; b < n; b++ {
				k := (b*c + ch) * p
				bnDxInto(dy[k:k+p], xhat[k:k+p], dx[k:k+p], scale, mdy, mdyx, acc)
			}
		}
	})
}

// bnDxInto is: for q, d := range dy { v := scale * (d - mdy - xh[q]*mdyx);
// dx[q] = v (+ dx[q] if acc) }.
func bnDxInto[T Float](dy, xh, dx []T, scale, mdy, mdyx T, acc bool) {
	if len(dy) == 0 {
		return
	}
	xh, dx = xh[:len(dy)], dx[:len(dy)]
	if is32[T]() {
		if useAVX512 {
			bnDx512(f32p(dy), f32p(xh), f32p(dx), len(dy), float32(scale), float32(mdy), float32(mdyx), acc)
		} else {
			bnDxAVX(f32p(dy), f32p(xh), f32p(dx), len(dy), float32(scale), float32(mdy), float32(mdyx), acc)
		}
		return
	}
	if acc {
		for q, d := range dy {
			dx[q] += scale * (d - mdy - xh[q]*mdyx)
		}
		return
	}
	for q, d := range dy {
		dx[q] = scale * (d - mdy - xh[q]*mdyx)
	}
}

// BatchNormEval is evaluation-mode batch normalization with running
// statistics. It overwrites y and is, for each n, c, q:
//
//	y[n,c,q] = (x[n,c,q]-rmean[c]) / sqrt(rvar[c]+eps) * gamma[c] + beta[c]
//
// with gamma, beta nil meaning 1 and 0. y may be x itself.
func BatchNormEval[T Float](n, c, p int, eps T, x, rmean, rvar, gamma, beta, y []T) {
	parallelFor(n*c, grain(2*p), func(lo, hi int) {
		for pl := lo; pl < hi; pl++ {
			ch := pl % c
			a := T(float64(param(gamma, ch, 1)) / math.Sqrt(float64(rvar[ch])+float64(eps)))
			mu, bt := rmean[ch], param(beta, ch, 0)
			xr := x[pl*p : (pl+1)*p]
			yr := y[pl*p : pl*p+len(xr)]
			for q, v := range xr {
				yr[q] = (v-mu)*a + bt
			}
		}
	})
}

// UpdateRunning updates running statistics as PyTorch does, for each c:
//
//	rmean[c] = (1-m)*rmean[c] + m*mean[c]
//	rvar[c] = (1-m)*rvar[c] + m*uvar[c]
//
// with m the momentum (0.1 in PyTorch) and uvar the unbiased batch variance
// from BatchNormTrain.
func UpdateRunning[T Float](m T, mean, uvar, rmean, rvar []T) {
	for i, v := range mean {
		rmean[i] = (1-m)*rmean[i] + m*v
	}
	for i, v := range uvar {
		rvar[i] = (1-m)*rvar[i] + m*v
	}
}
