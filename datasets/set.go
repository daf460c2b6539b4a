package datasets

// Set is one split of a dataset (search-train, search-val or test): images
// kept as bytes and turned into normalized float32 batches on demand.
// A Set is read-only after Load; several iterators may run on it at once.
type Set struct {
	im  *Images
	lut [][256]float32 // per channel: byte value → normalized float32
}

// newSet wraps im with the normalization (v/255 - mean[c]) / std[c]. A
// channel with std 0 (constant) is only centred, to avoid dividing by zero.
func newSet(im *Images, mean, std []float64) *Set {
	lut := make([][256]float32, len(mean))
	for c := range lut {
		s := std[c]
		if s == 0 {
			s = 1
		}
		for v := range 256 {
			lut[c][v] = float32(float64(float64(v)/255-mean[c]) / s)
		}
	}
	return &Set{im: im, lut: lut}
}

// Len returns the number of examples.
func (s *Set) Len() int { return s.im.Len() }

// Shape returns the image shape (C, H, W).
func (s *Set) Shape() [3]int { return s.im.Shape }

// Classes returns the number of classes.
func (s *Set) Classes() int { return s.im.Classes }

// NumBatches returns how many batches an epoch of Batches yields. A
// batchSize below 1 means the whole set in one batch.
func (s *Set) NumBatches(batchSize int, dropLast bool) int {
	n := s.Len()
	if n == 0 {
		return 0
	}
	if batchSize < 1 || batchSize >= n {
		if dropLast && batchSize > n {
			return 0
		}
		return 1
	}
	if dropLast {
		return n / batchSize
	}
	return (n + batchSize - 1) / batchSize
}

// Augment selects the random transformations applied to training batches,
// as in DARTS's CIFAR pipeline: Crop takes a random H×W window of the image
// zero-padded by 4 pixels on each side (zero is black, before normalization),
// Flip mirrors it left-right with probability 1/2, and Cutout > 0 sets a
// Cutout×Cutout square (clipped at the border) centred on a random pixel to 0
// after normalization. The zero value applies none (MNIST-like data).
type Augment struct {
	Crop, Flip bool
	Cutout     int
}

// cropPad is the zero padding of Augment.Crop.
const cropPad = 4

// Batch is one mini-batch: X holds N images, NCHW, normalized float32;
// Y holds their N labels. Iter.Next reuses the slices' memory.
type Batch struct {
	X []float32
	Y []int
	N int
}

// Iter yields the batches of one epoch. Everything it yields is a pure
// function of (seed, epoch, batch index, batch size, shuffle, aug): the
// order is a permutation drawn from (seed, epoch) and each example's
// augmentation from (seed, epoch, its index in the Set). Nothing else needs
// saving to resume an epoch mid-way: create the iterator again and Skip.
type Iter struct {
	s        *Set
	order    []int32 // nil: in order
	bs       int
	pos, end int
	seed     uint64
	epoch    uint64
	aug      Augment
}

// Batches returns an iterator over one epoch of s in batches of batchSize
// (below 1: the whole set at once). With shuffle the order is a seeded
// random permutation that differs between epochs; with dropLast a final
// batch smaller than batchSize is left out.
func (s *Set) Batches(batchSize int, epoch int, seed uint64, shuffle bool, aug Augment, dropLast bool) *Iter {
	n := s.Len()
	if batchSize < 1 {
		batchSize = max(n, 1)
	}
	it := &Iter{s: s, bs: batchSize, end: n, seed: seed, epoch: uint64(epoch), aug: aug}
	if dropLast {
		it.end = n - n%batchSize
	}
	if shuffle {
		it.order = make([]int32, n)
		for i := range it.order {
			it.order[i] = int32(i)
		}
		r := newRNG(seed, tagShuffle, uint64(epoch))
		for i := n - 1; i > 0; i-- {
			j := r.intn(i + 1)
			it.order[i], it.order[j] = it.order[j], it.order[i]
		}
	}
	return it
}

// Skip moves past the next k batches without producing them.
func (it *Iter) Skip(k int) {
	if k > 0 {
		it.pos = min(it.end, it.pos+k*it.bs)
	}
}

// Next fills b with the next batch and reports whether there was one. It
// grows b.X and b.Y only when they are too small, so reusing one Batch for a
// whole run allocates nothing after the first call.
func (it *Iter) Next(b *Batch) bool {
	m := min(it.bs, it.end-it.pos)
	if m <= 0 {
		return false
	}
	size := it.s.im.imageSize()
	if cap(b.X) < m*size {
		b.X = make([]float32, it.bs*size)
	}
	if cap(b.Y) < m {
		b.Y = make([]int, it.bs)
	}
	b.X, b.Y, b.N = b.X[:m*size], b.Y[:m], m
	for j := 0; j < m; j++ {
		idx := it.pos + j
		if it.order != nil {
			idx = int(it.order[idx])
		}
		b.Y[j] = it.s.im.Labels[idx]
		it.s.write(b.X[j*size:(j+1)*size], idx, it.aug, newRNG(it.seed, tagAugment, it.epoch, uint64(idx)))
	}
	it.pos += m
	return true
}

// write stores example idx, normalized and augmented, into dst.
func (s *Set) write(dst []float32, idx int, aug Augment, r rng) {
	c, h, w := s.im.Shape[0], s.im.Shape[1], s.im.Shape[2]
	hw := h * w
	src := s.im.Pixels[idx*c*hw : (idx+1)*c*hw]
	if !aug.Crop && !aug.Flip {
		for ch := 0; ch < c; ch++ {
			lut := &s.lut[ch]
			for i, v := range src[ch*hw : (ch+1)*hw] {
				dst[ch*hw+i] = lut[v]
			}
		}
	} else {
		var oy, ox int
		if aug.Crop {
			oy, ox = r.intn(2*cropPad+1)-cropPad, r.intn(2*cropPad+1)-cropPad
		}
		flip := aug.Flip && r.uint64()&1 == 1
		// Output column x reads source column x+ox, or w-1-x+ox when
		// flipped; [x0, x1) is where that column exists, the rest is
		// padding.
		x0, x1 := max(0, -ox), min(w, w-ox)
		if flip {
			x0, x1 = max(0, ox), min(w, w+ox)
		}
		for ch := 0; ch < c; ch++ {
			lut := &s.lut[ch]
			pad := lut[0]
			plane := src[ch*hw : (ch+1)*hw]
			for y := 0; y < h; y++ {
				out := dst[ch*hw+y*w : ch*hw+(y+1)*w]
				sy := y + oy
				if sy < 0 || sy >= h || x0 >= x1 {
					for x := range out {
						out[x] = pad
					}
					continue
				}
				row := plane[sy*w : (sy+1)*w]
				for x := 0; x < x0; x++ {
					out[x] = pad
				}
				if flip {
					for x := x0; x < x1; x++ {
						out[x] = lut[row[w-1-x+ox]]
					}
				} else {
					for x := x0; x < x1; x++ {
						out[x] = lut[row[x+ox]]
					}
				}
				for x := x1; x < w; x++ {
					out[x] = pad
				}
			}
		}
	}
	if aug.Cutout > 0 {
		cy, cx := r.intn(h), r.intn(w)
		y1, y2 := max(cy-aug.Cutout/2, 0), min(cy+aug.Cutout/2, h)
		x1, x2 := max(cx-aug.Cutout/2, 0), min(cx+aug.Cutout/2, w)
		for ch := 0; ch < c; ch++ {
			for y := y1; y < y2; y++ {
				clear(dst[ch*hw+y*w+x1 : ch*hw+y*w+x2])
			}
		}
	}
}

// Sample fills b with n examples of s drawn uniformly at random without
// replacement, as the first batch of a freshly shuffled DataLoader over s
// (DARTS draws each architecture step's search-val batch so, with
// next(iter(valid_queue))). The draw, and each example's augmentation, are
// pure functions of (seed, keys): the same keys give the same batch, and
// keys that differ (the step of the search) give independent batches, so
// examples repeat across draws as they do in DARTS. n is capped at s.Len().
func (s *Set) Sample(b *Batch, n int, seed uint64, aug Augment, keys ...uint64) {
	n = min(n, s.Len())
	size := s.im.imageSize()
	if cap(b.X) < n*size {
		b.X = make([]float32, n*size)
	}
	if cap(b.Y) < n {
		b.Y = make([]int, n)
	}
	b.X, b.Y, b.N = b.X[:n*size], b.Y[:n], n
	k := append([]uint64{seed, tagSample}, keys...)
	r := newRNG(k...)
	// A partial Fisher-Yates shuffle: the first n positions of a uniform
	// permutation, with the displaced entries in a map (O(n), not O(Len)).
	moved := make(map[int]int, 2*n)
	at := func(i int) int {
		if v, ok := moved[i]; ok {
			return v
		}
		return i
	}
	augKey := append(append([]uint64(nil), k...), tagAugment, 0)
	for i := 0; i < n; i++ {
		j := i + r.intn(s.Len()-i)
		vi, vj := at(i), at(j)
		moved[i], moved[j] = vj, vi
		idx := vj
		b.Y[i] = s.im.Labels[idx]
		augKey[len(augKey)-1] = uint64(idx)
		s.write(b.X[i*size:(i+1)*size], idx, aug, newRNG(augKey...))
	}
}
