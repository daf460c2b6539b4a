package datasets

import "math"

// Resizing is PIL's Image.resize with Image.BILINEAR on 8-bit planes, which
// is what torchvision's transforms.Resize((H, W)) does to the PIL images
// ImageFolder loads (antialias has no effect on PIL images: PIL always
// antialiases). It is reproduced operation by operation from PIL's
// Resample.c so that the output is bit-identical:
//
//   - separable: a horizontal pass (when the width changes) into 8-bit
//     rows, then a vertical pass (when the height changes);
//   - output pixel i samples the input around its centre (i + 0.5) * scale,
//     scale = in/out, with the triangle filter 1 - |t|, t the distance in
//     input pixels divided by max(scale, 1); so when shrinking the filter
//     widens to cover all the input pixels that fall into an output pixel
//     (antialiasing), and when enlarging it is plain bilinear interpolation
//     with pixel centres aligned (align_corners=False) and edge pixels
//     repeated;
//   - the weights of each output pixel are normalised to sum to 1, turned
//     into 22-bit fixed point (rounded half away from zero), and the sum of
//     weight × value, plus 1/2, is shifted right by 22 bits and clamped to
//     0..255 after each pass.
//
// For example a row [a, b] enlarged to 4 pixels is [a, (3a+b)/4, (a+3b)/4, b]
// rounded, and a row of 4 shrunk to 2 gets weights 3/7, 3/7, 1/7 and 1/7,
// 3/7, 3/7.

// resizePrecision is PIL's PRECISION_BITS for 8-bit images.
const resizePrecision = 32 - 8 - 2

// resizeCoeffs holds, for each output pixel, the first input pixel it reads
// and the fixed-point weights of the inputs from there on.
type resizeCoeffs struct {
	first []int
	taps  [][]int32
}

// bilinearCoeffs computes PIL's precompute_coeffs and
// normalize_coeffs_8bpc for the bilinear filter (support 1), resizing
// inSize pixels to outSize. Every floating-point result is rounded to
// float64 explicitly, so no fused multiply-add changes it (arm64).
func bilinearCoeffs(inSize, outSize int) resizeCoeffs {
	scale := float64(inSize) / float64(outSize)
	filterscale := max(scale, 1)
	support := 1 * filterscale
	ss := 1 / filterscale
	c := resizeCoeffs{first: make([]int, outSize), taps: make([][]int32, outSize)}
	w := make([]float64, 0, int(math.Ceil(support))*2+1)
	for xx := range outSize {
		center := float64(float64(float64(xx)+0.5) * scale)
		xmin := int(center - support + 0.5) // C's (int) truncates toward zero
		if xmin < 0 {
			xmin = 0
		}
		xmax := int(center + support + 0.5)
		if xmax > inSize {
			xmax = inSize
		}
		xmax -= xmin
		w = w[:0]
		ww := 0.0
		for x := 0; x < xmax; x++ {
			t := float64(float64(float64(x+xmin)-center+0.5) * ss)
			k := 0.0
			if t < 0 {
				t = -t
			}
			if t < 1 {
				k = 1 - t
			}
			w = append(w, k)
			ww += k
		}
		taps := make([]int32, xmax)
		for x := range w {
			k := w[x]
			if ww != 0 {
				k /= ww
			}
			f := float64(k * (1 << resizePrecision))
			if f < 0 {
				taps[x] = int32(-0.5 + f)
			} else {
				taps[x] = int32(0.5 + f)
			}
		}
		c.first[xx], c.taps[xx] = xmin, taps
	}
	return c
}

// clip8 is PIL's clip8: the fixed-point sum shifted down and clamped.
func clip8(ss int64) byte {
	v := ss >> resizePrecision
	if v < 0 {
		return 0
	}
	if v > 255 {
		return 255
	}
	return byte(v)
}

// resizePlanes resizes planes (each h×w, row-major, concatenated) to oh×ow
// with PIL's bilinear filter, returning new planes.
func resizePlanes(pix []byte, nplanes, h, w, oh, ow int) []byte {
	if h == oh && w == ow {
		return pix
	}
	out := make([]byte, nplanes*oh*ow)
	var hc, vc resizeCoeffs
	if w != ow {
		hc = bilinearCoeffs(w, ow)
	}
	if h != oh {
		vc = bilinearCoeffs(h, oh)
	}
	tmp := make([]byte, h*ow)
	for p := range nplanes {
		src := pix[p*h*w : (p+1)*h*w]
		mid := src
		if w != ow {
			for y := range h {
				row := src[y*w : (y+1)*w]
				dst := tmp[y*ow : (y+1)*ow]
				for xx := range ow {
					ss := int64(1) << (resizePrecision - 1)
					first := hc.first[xx]
					for x, k := range hc.taps[xx] {
						ss += int64(row[first+x]) * int64(k)
					}
					dst[xx] = clip8(ss)
				}
			}
			mid = tmp
		}
		dst := out[p*oh*ow : (p+1)*oh*ow]
		if h == oh {
			copy(dst, mid)
			continue
		}
		for yy := range oh {
			first := vc.first[yy]
			for x := range ow {
				ss := int64(1) << (resizePrecision - 1)
				for y, k := range vc.taps[yy] {
					ss += int64(mid[(first+y)*ow+x]) * int64(k)
				}
				dst[yy*ow+x] = clip8(ss)
			}
		}
	}
	return out
}

// lumaPlane converts three planes (R, G, B) of n pixels to one with PIL's
// convert("L"): ITU-R 601-2 luma, L = R*299/1000 + G*587/1000 + B*114/1000,
// computed as PIL computes it, (R*19595 + G*38470 + B*7471 + 0x8000) >> 16.
// A pixel with R = G = B keeps its value.
func lumaPlane(rgb []byte, n int) []byte {
	out := make([]byte, n)
	r, g, b := rgb[:n], rgb[n:2*n], rgb[2*n:3*n]
	for i := range out {
		out[i] = byte((uint32(r[i])*19595 + uint32(g[i])*38470 + uint32(b[i])*7471 + 0x8000) >> 16)
	}
	return out
}
