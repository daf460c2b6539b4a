package datasets

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
)

func TestSplitSizes(t *testing.T) {
	cases := []struct {
		limit            int
		portion          float64
		train, val, test int
	}{
		{0, 0, 3000, 3000, 1000},   // defaults: 6000 train, 1000 test
		{0, 0.8, 4800, 1200, 1000}, // floor(0.8*6000)
		{100, 0, 50, 50, 100},
		{101, 0.5, 50, 51, 101}, // floor, as DARTS
		{2000, 0.25, 500, 1500, 1000},
		{3, 0.5, 1, 2, 3},
	}
	for _, c := range cases {
		s, err := Load(Options{Name: "synthetic", Limit: c.limit, TrainPortion: c.portion, Shape: [3]int{1, 4, 4}})
		if err != nil {
			t.Fatal(err)
		}
		got := [3]int{s.Train.Len(), s.Val.Len(), s.Test.Len()}
		if got != [3]int{c.train, c.val, c.test} || s.Info.Train != c.train || s.Info.Val != c.val || s.Info.Test != c.test {
			t.Errorf("limit %d portion %v: sets %v, info %d/%d/%d; want %d/%d/%d",
				c.limit, c.portion, got, s.Info.Train, s.Info.Val, s.Info.Test, c.train, c.val, c.test)
		}
	}
}

// The limited set is a prefix of the full one, and the splits are its two
// consecutive parts.
func TestLimitIsPrefix(t *testing.T) {
	full, err := Load(Options{Name: "synthetic", Shape: [3]int{2, 5, 5}, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	small, err := Load(Options{Name: "synthetic", Shape: [3]int{2, 5, 5}, Seed: 3, Limit: 40})
	if err != nil {
		t.Fatal(err)
	}
	joined := append(slices.Clone(small.Train.im.Labels), small.Val.im.Labels...)
	if !slices.Equal(joined, full.Train.im.Labels[:40]) {
		t.Error("limited train+val labels are not the first 40 of the full set")
	}
	if !slices.Equal(small.Test.im.Pixels, full.Test.im.Pixels[:len(small.Test.im.Pixels)]) {
		t.Error("limited test set is not a prefix of the full one")
	}
}

// smallSet returns a set of n images 3×6×5 with distinct content and labels
// i%4, normalized with mean 0 and std 1 (so values are bytes/255).
func smallSet(n int) *Set {
	shape := [3]int{3, 6, 5}
	im := &Images{Shape: shape, Classes: 4, Pixels: make([]byte, n*90), Labels: make([]int, n)}
	for i := range im.Pixels {
		im.Pixels[i] = byte(1 + (i*31)%250)
	}
	for i := range im.Labels {
		im.Labels[i] = i % 4
	}
	return newSet(im, []float64{0, 0, 0}, []float64{1, 1, 1})
}

func collect(it *Iter) []Batch {
	var out []Batch
	for {
		var b Batch
		if !it.Next(&b) {
			return out
		}
		out = append(out, b)
	}
}

func sameBatches(a, b []Batch) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].N != b[i].N || !slices.Equal(a[i].X, b[i].X) || !slices.Equal(a[i].Y, b[i].Y) {
			return false
		}
	}
	return true
}

func TestBatchesDeterminism(t *testing.T) {
	s := smallSet(23)
	aug := Augment{Crop: true, Flip: true, Cutout: 3}
	base := collect(s.Batches(5, 2, 7, true, aug, false))
	cases := []struct {
		name  string
		batch []Batch
		same  bool
	}{
		{"same seed and epoch", collect(s.Batches(5, 2, 7, true, aug, false)), true},
		{"other seed", collect(s.Batches(5, 2, 8, true, aug, false)), false},
		{"other epoch", collect(s.Batches(5, 3, 7, true, aug, false)), false},
		{"no shuffle", collect(s.Batches(5, 2, 7, false, aug, false)), false},
		{"no augmentation", collect(s.Batches(5, 2, 7, true, Augment{}, false)), false},
	}
	for _, c := range cases {
		if sameBatches(base, c.batch) != c.same {
			t.Errorf("%s: same batches = %v, want %v", c.name, !c.same, c.same)
		}
	}
}

// An example's augmentation depends on (seed, epoch, example), not on the
// batch it lands in: the same epoch with another batch size holds the same
// images in the same order.
func TestAugmentationIndependentOfBatching(t *testing.T) {
	s := smallSet(23)
	aug := Augment{Crop: true, Flip: true, Cutout: 2}
	var a, b []float32
	for _, bt := range collect(s.Batches(4, 1, 9, true, aug, false)) {
		a = append(a, bt.X...)
	}
	for _, bt := range collect(s.Batches(7, 1, 9, true, aug, false)) {
		b = append(b, bt.X...)
	}
	if !slices.Equal(a, b) {
		t.Error("batch size changed the epoch's content")
	}
}

func TestEpochCoversEachExampleOnce(t *testing.T) {
	s := smallSet(23)
	for _, shuffle := range []bool{false, true} {
		var order []int
		for _, b := range collect(s.Batches(5, 0, 1, shuffle, Augment{}, false)) {
			for j := 0; j < b.N; j++ {
				// With mean 0 and std 1 the first value is pixel 0 / 255,
				// which identifies the example.
				order = append(order, exampleOf(s, b.X[j*90]))
			}
		}
		sorted := slices.Sorted(slices.Values(order))
		for i, v := range sorted {
			if v != i {
				t.Fatalf("shuffle=%v: examples seen %v, want each of 0..22 once", shuffle, order)
			}
		}
		if isIdentity := slices.Equal(order, sorted); isIdentity == shuffle {
			t.Errorf("shuffle=%v: order %v", shuffle, order)
		}
	}
}

func exampleOf(s *Set, x float32) int {
	for i := 0; i < s.Len(); i++ {
		if float32(float64(s.im.Pixels[i*90])/255) == x {
			return i
		}
	}
	return -1
}

func TestNumBatchesAndDropLast(t *testing.T) {
	s := smallSet(23)
	cases := []struct {
		bs         int
		dropLast   bool
		want, last int
	}{
		{5, false, 5, 3}, {5, true, 4, 5}, {23, true, 1, 23}, {30, false, 1, 23}, {30, true, 0, 0}, {0, false, 1, 23}, {1, true, 23, 1},
	}
	for _, c := range cases {
		if got := s.NumBatches(c.bs, c.dropLast); got != c.want {
			t.Errorf("NumBatches(%d, %v) = %d, want %d", c.bs, c.dropLast, got, c.want)
		}
		bs := collect(s.Batches(c.bs, 0, 0, true, Augment{}, c.dropLast))
		if len(bs) != c.want {
			t.Errorf("Batches(%d, dropLast %v) yielded %d batches, want %d", c.bs, c.dropLast, len(bs), c.want)
			continue
		}
		if c.want > 0 {
			b := bs[len(bs)-1]
			if b.N != c.last || len(b.Y) != c.last || len(b.X) != c.last*90 {
				t.Errorf("Batches(%d, %v): last batch N=%d len(Y)=%d len(X)=%d, want %d images", c.bs, c.dropLast, b.N, len(b.Y), len(b.X), c.last)
			}
		}
	}
}

func TestSkipMatchesNext(t *testing.T) {
	s := smallSet(23)
	aug := Augment{Crop: true, Flip: true}
	all := collect(s.Batches(4, 5, 11, true, aug, false))
	for k := 0; k <= len(all)+1; k++ {
		it := s.Batches(4, 5, 11, true, aug, false)
		it.Skip(k)
		rest := collect(it)
		if !sameBatches(rest, all[min(k, len(all)):]) {
			t.Errorf("Skip(%d) then Next differs from the tail of the epoch", k)
		}
	}
}

func TestNextReusesBuffers(t *testing.T) {
	s := smallSet(64)
	var b Batch
	allocs := testing.AllocsPerRun(20, func() {
		it := s.Batches(8, 0, 1, false, Augment{Crop: true, Flip: true, Cutout: 2}, true)
		for it.Next(&b) {
		}
	})
	// One allocation for the Iter itself; none per batch.
	if allocs > 1 {
		t.Errorf("%v allocations per epoch of 8 batches, want at most 1 (the iterator)", allocs)
	}
}

func TestNormalization(t *testing.T) {
	s, err := Load(Options{Name: "synthetic", Shape: [3]int{3, 8, 8}, Limit: 400})
	if err != nil {
		t.Fatal(err)
	}
	// Over search-train and search-val together each channel has mean 0
	// and std 1, since they were computed there.
	sum, sq := make([]float64, 3), make([]float64, 3)
	n := 0.0
	for _, set := range []*Set{s.Train, s.Val} {
		for _, b := range collect(set.Batches(64, 0, 0, false, Augment{}, false)) {
			for i, v := range b.X {
				c := i / 64 % 3
				sum[c] += float64(v)
				sq[c] += float64(v) * float64(v)
			}
			n += float64(b.N) * 64
		}
	}
	for c := range 3 {
		m := sum[c] / n
		sd := math.Sqrt(sq[c]/n - m*m)
		if math.Abs(m) > 1e-4 || math.Abs(sd-1) > 1e-4 {
			t.Errorf("channel %d: normalized mean %.6f std %.6f, want 0 and 1", c, m, sd)
		}
	}
}

// With only Flip every image is either unchanged or mirrored, and both
// happen; with only Crop, the output is the image shifted by at most 4 with
// black (zero before normalization) borders.
func TestAugmentFlipAndCrop(t *testing.T) {
	s := smallSet(40)
	c, h, w := 3, 6, 5
	plain := collect(s.Batches(40, 0, 0, false, Augment{}, false))[0].X
	flipped := collect(s.Batches(40, 0, 0, false, Augment{Flip: true}, false))[0].X
	var nSame, nMirror int
	for i := 0; i < 40; i++ {
		img, out := plain[i*90:(i+1)*90], flipped[i*90:(i+1)*90]
		same, mirror := true, true
		for p := 0; p < 90; p++ {
			ch, y, x := p/(h*w), p/w%h, p%w
			same = same && out[p] == img[p]
			mirror = mirror && out[p] == img[ch*h*w+y*w+(w-1-x)]
		}
		switch {
		case same:
			nSame++
		case mirror:
			nMirror++
		default:
			t.Fatalf("image %d is neither unchanged nor mirrored", i)
		}
	}
	if nSame == 0 || nMirror == 0 {
		t.Errorf("%d unchanged and %d mirrored of 40, want both", nSame, nMirror)
	}
	// With Crop (and Flip) each output is the image (or its mirror image)
	// shifted by at most cropPad, black where the shift uncovers padding.
	for _, aug := range []Augment{{Crop: true}, {Crop: true, Flip: true}} {
		out := collect(s.Batches(40, 0, 0, false, aug, false))[0].X
		mirrored := 0
		for i := 0; i < 40; i++ {
			img, got := plain[i*90:(i+1)*90], out[i*90:(i+1)*90]
			found := false
			for _, mirror := range []bool{false, true} {
				for oy := -cropPad; oy <= cropPad && !found; oy++ {
					for ox := -cropPad; ox <= cropPad && !found; ox++ {
						ok := true
						for p := 0; p < c*h*w && ok; p++ {
							ch, y, x := p/(h*w), p/w%h, p%w
							if mirror {
								x = w - 1 - x
							}
							want := float32(0)
							if sy, sx := y+oy, x+ox; sy >= 0 && sy < h && sx >= 0 && sx < w {
								want = img[ch*h*w+sy*w+sx]
							}
							ok = got[p] == want
						}
						found = ok
						if found && mirror {
							mirrored++
						}
					}
				}
			}
			if !found {
				t.Fatalf("%+v, image %d: output is no shift within ±%d of the image or its mirror", aug, i, cropPad)
			}
		}
		if aug.Flip && mirrored == 0 {
			t.Errorf("%+v: no image needed mirroring", aug)
		}
	}
}

func TestCutout(t *testing.T) {
	s := smallSet(40)
	for _, length := range []int{1, 2, 4, 16} {
		out := collect(s.Batches(40, 0, 3, false, Augment{Cutout: length}, false))[0].X
		for i := 0; i < 40; i++ {
			zeros := 0
			for _, v := range out[i*90 : (i+1)*90] {
				if v == 0 { // smallSet has no zero pixels
					zeros++
				}
			}
			// The square is clipped at the border: between 1 and
			// (length/2*2)² pixels per channel, same in all 3 channels.
			side := length / 2 * 2
			if zeros%3 != 0 || zeros > 3*min(side, 6)*min(side, 5) || (side > 0 && zeros == 0) {
				t.Errorf("cutout %d, image %d: %d zeros", length, i, zeros)
			}
		}
	}
}

// TestSample: a sample is n distinct examples, the same for the same keys
// and independent across keys, so that across many draws every example
// comes up about equally often and draws overlap (sampling with
// replacement across draws, as DARTS's next(iter(valid_queue))).
func TestSample(t *testing.T) {
	d, err := Load(Options{Name: "synthetic", Shape: [3]int{1, 4, 4}, Classes: 3, Limit: 200, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	set := d.Val // 100 examples
	var a, b Batch
	set.Sample(&a, 16, 7, Augment{}, 3, 5)
	set.Sample(&b, 16, 7, Augment{}, 3, 5)
	if a.N != 16 || !slices.Equal(a.X, b.X) || !slices.Equal(a.Y, b.Y) {
		t.Fatal("same keys, different samples")
	}
	// Identify examples by their pixels.
	key := func(x []float32) string { return fmt.Sprint(x) }
	index := map[string]int{}
	var all Batch
	set.Batches(0, 0, 0, false, Augment{}, false).Next(&all)
	size := 16
	for i := 0; i < all.N; i++ {
		index[key(all.X[i*size:(i+1)*size])] = i
	}
	counts := make([]int, set.Len())
	overlaps := 0
	prev := map[int]bool{}
	const draws, n = 400, 16
	for step := 0; step < draws; step++ {
		set.Sample(&b, n, 7, Augment{}, 0, uint64(step))
		seen := map[int]bool{}
		for i := 0; i < b.N; i++ {
			j, ok := index[key(b.X[i*size:(i+1)*size])]
			if !ok {
				t.Fatal("sampled an example that is not in the set")
			}
			if seen[j] {
				t.Fatalf("draw %d holds example %d twice", step, j)
			}
			if b.Y[i] != all.Y[j] {
				t.Fatalf("label of example %d is %d, the set says %d", j, b.Y[i], all.Y[j])
			}
			seen[j] = true
			counts[j]++
			if prev[j] {
				overlaps++
			}
		}
		prev = seen
	}
	// Each example is drawn with probability 16/100 per draw: 64 ± 7.3 of
	// 400 draws; 4.5 standard deviations either way.
	for j, c := range counts {
		if c < 31 || c > 97 {
			t.Errorf("example %d drawn %d times of %d, want about 64", j, c, draws)
		}
	}
	// Consecutive draws share 16·16/100 = 2.56 examples on average.
	if m := float64(overlaps) / (draws - 1); m < 1.8 || m > 3.3 {
		t.Errorf("consecutive draws share %.2f examples on average, want about 2.56", m)
	}
	set.Sample(&b, 500, 7, Augment{}, 1)
	if b.N != set.Len() {
		t.Errorf("a sample larger than the set has %d examples, want all %d", b.N, set.Len())
	}
}

// TestOptionsJSON: Options are written with snake_case keys and read back;
// the Go field names of darts-go 0.1's config.json still read.
func TestOptionsJSON(t *testing.T) {
	o := Options{Name: "mnist", DataDir: "/d", TrainPortion: 0.8, Limit: 4000, Seed: 2}
	b, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"train_portion":0.8`) || !strings.Contains(string(b), `"data_dir":"/d"`) {
		t.Errorf("JSON %s", b)
	}
	var back Options
	if err := json.Unmarshal(b, &back); err != nil || back != o {
		t.Errorf("round trip: %+v, %v", back, err)
	}
	var old Options
	legacy := `{"Name":"mnist","DataDir":"/d","TrainPortion":0.8,"Limit":4000,"Seed":2,"Shape":[0,0,0],"Classes":0}`
	if err := json.Unmarshal([]byte(legacy), &old); err != nil || old != o {
		t.Errorf("darts-go 0.1 form: %+v, %v", old, err)
	}
}
