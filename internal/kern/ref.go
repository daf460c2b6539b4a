package kern

import "math"

// This file holds the plain reference implementations the fast kernels are
// tested against. They follow the definitions as literally as possible and
// are not meant to be fast.

// at returns x[n][c][i][j] of an N×C×H×W tensor, or 0 in the padding, and
// whether (i, j) is inside the input.
func (g Geom) at(x []float64, n, c, i, j int) (float64, bool) {
	if i < 0 || i >= g.H || j < 0 || j >= g.W {
		return 0, false
	}
	return x[((n*g.C+c)*g.H+i)*g.W+j], true
}

func (g Geom) idx(n, c, i, j int) int { return ((n*g.C+c)*g.H+i)*g.W + j }

func depthwiseConvRef(g Geom, x, w, y []float64) {
	oh, ow := g.OutH(), g.OutW()
	for n := 0; n < g.N; n++ {
		for c := 0; c < g.C; c++ {
			for i := 0; i < oh; i++ {
				for j := 0; j < ow; j++ {
					s := 0.0
					for kh := 0; kh < g.K; kh++ {
						for kw := 0; kw < g.K; kw++ {
							v, _ := g.at(x, n, c, i*g.Stride-g.Pad+kh*g.Dil, j*g.Stride-g.Pad+kw*g.Dil)
							s += v * w[(c*g.K+kh)*g.K+kw]
						}
					}
					y[((n*g.C+c)*oh+i)*ow+j] = s
				}
			}
		}
	}
}

func depthwiseConvBackwardRef(g Geom, x, w, dy, dx, dw []float64) {
	oh, ow := g.OutH(), g.OutW()
	for n := 0; n < g.N; n++ {
		for c := 0; c < g.C; c++ {
			for i := 0; i < oh; i++ {
				for j := 0; j < ow; j++ {
					d := dy[((n*g.C+c)*oh+i)*ow+j]
					for kh := 0; kh < g.K; kh++ {
						for kw := 0; kw < g.K; kw++ {
							ii, jj := i*g.Stride-g.Pad+kh*g.Dil, j*g.Stride-g.Pad+kw*g.Dil
							v, ok := g.at(x, n, c, ii, jj)
							if !ok {
								continue
							}
							if dx != nil {
								dx[g.idx(n, c, ii, jj)] += d * w[(c*g.K+kh)*g.K+kw]
							}
							if dw != nil {
								dw[(c*g.K+kh)*g.K+kw] += d * v
							}
						}
					}
				}
			}
		}
	}
}

func reluIf(relu bool, v float64) float64 {
	if relu && v < 0 {
		return 0
	}
	return v
}

func pointwiseRef(n, cin, cout, p int, reluIn bool, x, w, y []float64) {
	for b := 0; b < n; b++ {
		for o := 0; o < cout; o++ {
			for q := 0; q < p; q++ {
				s := 0.0
				for i := 0; i < cin; i++ {
					s += w[o*cin+i] * reluIf(reluIn, x[(b*cin+i)*p+q])
				}
				y[(b*cout+o)*p+q] = s
			}
		}
	}
}

func pointwiseBackwardRef(n, cin, cout, p int, reluIn bool, x, w, dy, dx, dw []float64) {
	for b := 0; b < n; b++ {
		for o := 0; o < cout; o++ {
			for q := 0; q < p; q++ {
				d := dy[(b*cout+o)*p+q]
				for i := 0; i < cin; i++ {
					xv := x[(b*cin+i)*p+q]
					if dx != nil && (!reluIn || xv > 0) {
						dx[(b*cin+i)*p+q] += d * w[o*cin+i]
					}
					if dw != nil {
						dw[o*cin+i] += d * reluIf(reluIn, xv)
					}
				}
			}
		}
	}
}

func convRef(g Geom, cout int, x, w, y []float64) {
	oh, ow := g.OutH(), g.OutW()
	for n := 0; n < g.N; n++ {
		for o := 0; o < cout; o++ {
			for i := 0; i < oh; i++ {
				for j := 0; j < ow; j++ {
					s := 0.0
					for c := 0; c < g.C; c++ {
						for kh := 0; kh < g.K; kh++ {
							for kw := 0; kw < g.K; kw++ {
								v, _ := g.at(x, n, c, i*g.Stride-g.Pad+kh*g.Dil, j*g.Stride-g.Pad+kw*g.Dil)
								s += v * w[((o*g.C+c)*g.K+kh)*g.K+kw]
							}
						}
					}
					y[((n*cout+o)*oh+i)*ow+j] = s
				}
			}
		}
	}
}

func convBackwardRef(g Geom, cout int, x, w, dy, dx, dw []float64) {
	oh, ow := g.OutH(), g.OutW()
	for n := 0; n < g.N; n++ {
		for o := 0; o < cout; o++ {
			for i := 0; i < oh; i++ {
				for j := 0; j < ow; j++ {
					d := dy[((n*cout+o)*oh+i)*ow+j]
					for c := 0; c < g.C; c++ {
						for kh := 0; kh < g.K; kh++ {
							for kw := 0; kw < g.K; kw++ {
								ii, jj := i*g.Stride-g.Pad+kh*g.Dil, j*g.Stride-g.Pad+kw*g.Dil
								v, ok := g.at(x, n, c, ii, jj)
								if !ok {
									continue
								}
								wi := ((o*g.C+c)*g.K+kh)*g.K + kw
								if dx != nil {
									dx[g.idx(n, c, ii, jj)] += d * w[wi]
								}
								if dw != nil {
									dw[wi] += d * v
								}
							}
						}
					}
				}
			}
		}
	}
}

// maxPoolArgRef returns the input index of the maximum of the window of
// output (n, c, i, j): the first in-bounds position, replaced by each later
// one that is greater or NaN, as PyTorch's CPU kernel scans (so the last NaN
// wins).
func maxPoolArgRef(g Geom, x []float64, n, c, i, j int) int {
	best, bv := -1, math.Inf(-1)
	for kh := 0; kh < g.K; kh++ {
		for kw := 0; kw < g.K; kw++ {
			ii, jj := i*g.Stride-g.Pad+kh*g.Dil, j*g.Stride-g.Pad+kw*g.Dil
			v, ok := g.at(x, n, c, ii, jj)
			if !ok {
				continue
			}
			if best < 0 || v > bv || math.IsNaN(v) {
				best, bv = g.idx(n, c, ii, jj), v
			}
		}
	}
	return best
}

func maxPoolRef(g Geom, x, y []float64) {
	oh, ow := g.OutH(), g.OutW()
	for n := 0; n < g.N; n++ {
		for c := 0; c < g.C; c++ {
			for i := 0; i < oh; i++ {
				for j := 0; j < ow; j++ {
					y[((n*g.C+c)*oh+i)*ow+j] = x[maxPoolArgRef(g, x, n, c, i, j)]
				}
			}
		}
	}
}

func maxPoolBackwardRef(g Geom, x, dy, dx []float64) {
	oh, ow := g.OutH(), g.OutW()
	for n := 0; n < g.N; n++ {
		for c := 0; c < g.C; c++ {
			for i := 0; i < oh; i++ {
				for j := 0; j < ow; j++ {
					dx[maxPoolArgRef(g, x, n, c, i, j)] += dy[((n*g.C+c)*oh+i)*ow+j]
				}
			}
		}
	}
}

// avgPoolWindow calls f with the input index of each in-bounds position of
// the window of output (n, c, i, j) and returns how many there are.
func avgPoolWindow(g Geom, n, c, i, j int, f func(int)) int {
	cnt := 0
	for kh := 0; kh < g.K; kh++ {
		for kw := 0; kw < g.K; kw++ {
			ii, jj := i*g.Stride-g.Pad+kh*g.Dil, j*g.Stride-g.Pad+kw*g.Dil
			if ii < 0 || ii >= g.H || jj < 0 || jj >= g.W {
				continue
			}
			cnt++
			if f != nil {
				f(g.idx(n, c, ii, jj))
			}
		}
	}
	return cnt
}

func avgPoolRef(g Geom, x, y []float64) {
	oh, ow := g.OutH(), g.OutW()
	for n := 0; n < g.N; n++ {
		for c := 0; c < g.C; c++ {
			for i := 0; i < oh; i++ {
				for j := 0; j < ow; j++ {
					s := 0.0
					cnt := avgPoolWindow(g, n, c, i, j, func(k int) { s += x[k] })
					y[((n*g.C+c)*oh+i)*ow+j] = s / float64(cnt)
				}
			}
		}
	}
}

func avgPoolBackwardRef(g Geom, dy, dx []float64) {
	oh, ow := g.OutH(), g.OutW()
	for n := 0; n < g.N; n++ {
		for c := 0; c < g.C; c++ {
			for i := 0; i < oh; i++ {
				for j := 0; j < ow; j++ {
					cnt := avgPoolWindow(g, n, c, i, j, nil)
					d := dy[((n*g.C+c)*oh+i)*ow+j] / float64(cnt)
					avgPoolWindow(g, n, c, i, j, func(k int) { dx[k] += d })
				}
			}
		}
	}
}

func batchNormTrainRef(n, c, p int, eps float64, x, gamma, beta, y, xhat, mean, uvar, invstd []float64) {
	m := float64(n * p)
	for ch := 0; ch < c; ch++ {
		s := 0.0
		for b := 0; b < n; b++ {
			for q := 0; q < p; q++ {
				s += x[(b*c+ch)*p+q]
			}
		}
		mu := s / m
		v := 0.0
		for b := 0; b < n; b++ {
			for q := 0; q < p; q++ {
				d := x[(b*c+ch)*p+q] - mu
				v += d * d
			}
		}
		v /= m
		is := 1 / math.Sqrt(v+eps)
		mean[ch], invstd[ch] = mu, is
		uvar[ch] = v
		if n*p > 1 {
			uvar[ch] = v * m / (m - 1)
		}
		for b := 0; b < n; b++ {
			for q := 0; q < p; q++ {
				k := (b*c+ch)*p + q
				xhat[k] = (x[k] - mu) * is
				y[k] = xhat[k]*affine(gamma, ch, 1) + affine(beta, ch, 0)
			}
		}
	}
}

func batchNormBackwardRef(n, c, p int, xhat, invstd, gamma, dy, dx, dgamma, dbeta []float64) {
	m := float64(n * p)
	for ch := 0; ch < c; ch++ {
		sdy, sdyx := 0.0, 0.0
		for b := 0; b < n; b++ {
			for q := 0; q < p; q++ {
				k := (b*c+ch)*p + q
				sdy += dy[k]
				sdyx += dy[k] * xhat[k]
			}
		}
		if dbeta != nil {
			dbeta[ch] += sdy
		}
		if dgamma != nil {
			dgamma[ch] += sdyx
		}
		if dx == nil {
			continue
		}
		gm := affine(gamma, ch, 1)
		for b := 0; b < n; b++ {
			for q := 0; q < p; q++ {
				k := (b*c+ch)*p + q
				dx[k] += gm * invstd[ch] / m * (m*dy[k] - sdy - xhat[k]*sdyx)
			}
		}
	}
}

func batchNormEvalRef(n, c, p int, eps float64, x, rmean, rvar, gamma, beta, y []float64) {
	for b := 0; b < n; b++ {
		for ch := 0; ch < c; ch++ {
			for q := 0; q < p; q++ {
				k := (b*c+ch)*p + q
				y[k] = (x[k]-rmean[ch])/math.Sqrt(rvar[ch]+eps)*affine(gamma, ch, 1) + affine(beta, ch, 0)
			}
		}
	}
}

// affine returns v[i], or def when v is nil (affine=False).
func affine(v []float64, i int, def float64) float64 {
	if v == nil {
		return def
	}
	return v[i]
}
