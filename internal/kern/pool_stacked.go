package kern

// The float32 vector path of average pooling with stride 1 (DARTS's
// avg_pool_3x3 on a normal cell): the window sums are the correlation with
// a filter of ones on stacked planes (see depthwise_stacked.go), then each
// output is multiplied by 1/count of its in-bounds positions.

// stackedAvg reports whether AvgPool of g takes the stacked path.
func stackedAvg[T Float](g Geom) bool {
	return is32[T]() && g.Stride == 1 && g.Dil == 1 && g.Pad <= g.K-1
}

// invCount writes the oh×ow plane of 1/count, count being the number of
// in-bounds positions of each window.
func invCount[T Float](g Geom, inv []T) {
	oh, ow := g.OutH(), g.OutW()
	for i := 0; i < oh; i++ {
		kh0, kh1 := tapRange(i, g.Stride, g.Pad, g.Dil, g.K, g.H)
		for j := 0; j < ow; j++ {
			kw0, kw1 := tapRange(j, g.Stride, g.Pad, g.Dil, g.K, g.W)
			inv[i*ow+j] = 1 / T((kh1-kh0)*(kw1-kw0))
		}
	}
}

func avgPoolStacked[T Float](g Geom, x, y []T) {
	oh, ow, kk := g.OutH(), g.OutW(), g.K*g.K
	ph, pw, nt := stackDims(g)
	ns := g.N * ph * pw
	parallelFor(g.C, grain(g.N*oh*ow*kk), func(lo, hi int) {
		sp, buf := getScratch[T](ns + nt + oh*ow + kk)
		defer putScratch(sp)
		s, t, inv, ones := buf[:ns], buf[ns:ns+nt], buf[ns+nt:ns+nt+oh*ow], buf[ns+nt+oh*ow:]
		fill(ones, 1)
		invCount(g, inv)
		for c := lo; c < hi; c++ {
			stack(g, false, x, c, s)
			corrStacked(g.K, 1, pw, s, ones, t)
			for n := 0; n < g.N; n++ {
				for i := 0; i < oh; i++ {
					yr := y[((n*g.C+c)*oh+i)*ow:][:ow]
					tr, ir := t[(n*ph+i)*pw:][:ow], inv[i*ow:][:ow]
					for j := range yr {
						yr[j] = tr[j] * ir[j]
					}
				}
			}
		}
	})
}

// avgPoolBackwardStacked spreads dy/count over each window: the
// correlation of dy·(1/count), padded by K-1-Pad, with the ones filter.
func avgPoolBackwardStacked[T Float](g Geom, dy, dx []T, acc bool) {
	oh, ow, kk, hw := g.OutH(), g.OutW(), g.K*g.K, g.H*g.W
	gt := Geom{N: g.N, C: g.C, H: oh, W: ow, K: g.K, Stride: 1, Pad: g.K - 1 - g.Pad, Dil: 1}
	pht, pwt, ntt := stackDims(gt)
	nst := g.N * pht * pwt
	parallelFor(g.C, grain(g.N*oh*ow*kk), func(lo, hi int) {
		sp, buf := getScratch[T](nst + ntt + 2*oh*ow + kk)
		defer putScratch(sp)
		st, tt := buf[:nst], buf[nst:nst+ntt]
		rest := buf[nst+ntt:]
		inv, e, ones := rest[:oh*ow], rest[oh*ow:2*oh*ow], rest[2*oh*ow:]
		fill(ones, 1)
		invCount(g, inv)
		pp := pht * pwt
		for c := lo; c < hi; c++ {
			for n := 0; n < g.N; n++ {
				d := dy[(n*g.C+c)*oh*ow:][:oh*ow]
				for k, v := range d {
					e[k] = v * inv[k]
				}
				pad(e, oh, ow, gt.Pad, st[n*pp:(n+1)*pp])
			}
			corrStacked(g.K, 1, pwt, st, ones, tt)
			for n := 0; n < g.N; n++ {
				gradRows(nil, tt[n*pht*pwt:], dx[(n*g.C+c)*hw:], g.H, g.W, pwt, false, acc)
			}
		}
	})
}
