package datasets

// Sizes of the synthetic set when Options.Limit does not ask for fewer.
const (
	syntheticTrain = 6000
	syntheticTest  = 1000
)

// synthetic generates n learnable images: each class has a prototype, a
// coarse random grid of intensities per channel (so neighbouring pixels
// agree and convolutions help), and each example is its class's prototype
// shifted by up to ±2 pixels, with a random brightness offset and per-pixel
// noise (standard deviation ≈ 32 of 255). Only integer arithmetic is used, so
// the bytes are identical on every machine. Example i depends only on
// (seed, stream, i), hence a smaller n yields a prefix of a larger one.
func synthetic(shape [3]int, classes, n int, seed, stream uint64) *Images {
	c, h, w := shape[0], shape[1], shape[2]
	gh, gw := min(4, h), min(4, w)
	protos := make([][]int, classes) // class → c*gh*gw intensities
	for k := range protos {
		r := newRNG(seed, tagSynthProto, uint64(k))
		p := make([]int, c*gh*gw)
		for i := range p {
			p[i] = 48 + r.intn(160)
		}
		protos[k] = p
	}
	// Row and column of the coarse grid for each pixel coordinate.
	rowCell, colCell := make([]int, h), make([]int, w)
	for y := range rowCell {
		rowCell[y] = y * gh / h
	}
	for x := range colCell {
		colCell[x] = x * gw / w
	}
	maxShift := min(2, h/4, w/4)
	size := c * h * w
	im := &Images{Shape: shape, Classes: classes, Pixels: make([]byte, n*size), Labels: make([]int, n)}
	for i := 0; i < n; i++ {
		r := newRNG(seed, stream, uint64(i))
		k := r.intn(classes)
		im.Labels[i] = k
		dy, dx := r.intn(2*maxShift+1)-maxShift, r.intn(2*maxShift+1)-maxShift
		offset := r.intn(41) - 20
		p := protos[k]
		img := im.Pixels[i*size : (i+1)*size]
		for ch := 0; ch < c; ch++ {
			for y := 0; y < h; y++ {
				sy := min(max(y+dy, 0), h-1)
				row := p[(ch*gh+rowCell[sy])*gw:]
				for x := 0; x < w; x++ {
					sx := min(max(x+dx, 0), w-1)
					u := r.uint64()
					noise := int(u&63) + int(u>>6&63) + int(u>>12&63) - 94
					v := row[colCell[sx]] + offset + noise
					img[(ch*h+y)*w+x] = byte(min(max(v, 0), 255))
				}
			}
		}
	}
	return im
}
