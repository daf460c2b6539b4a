package datasets

import (
	"slices"
	"testing"
)

// A nearest-class-mean classifier fitted on search-train must beat chance
// by far on test, for several shapes and class counts.
func TestSyntheticLearnable(t *testing.T) {
	cases := []struct {
		shape   [3]int
		classes int
		minAcc  float64
	}{
		{[3]int{1, 28, 28}, 10, 0.8},
		{[3]int{3, 32, 32}, 10, 0.8},
		{[3]int{3, 8, 8}, 4, 0.8},
		{[3]int{1, 5, 7}, 20, 0.5},
	}
	for _, c := range cases {
		s, err := Load(Options{Name: "synthetic", Shape: c.shape, Classes: c.classes, Limit: 1000, Seed: 5})
		if err != nil {
			t.Fatal(err)
		}
		size := c.shape[0] * c.shape[1] * c.shape[2]
		means := make([][]float64, c.classes)
		counts := make([]int, c.classes)
		for k := range means {
			means[k] = make([]float64, size)
		}
		for _, b := range collect(s.Train.Batches(100, 0, 0, false, Augment{}, false)) {
			for j := 0; j < b.N; j++ {
				counts[b.Y[j]]++
				for p, v := range b.X[j*size : (j+1)*size] {
					means[b.Y[j]][p] += float64(v)
				}
			}
		}
		for k := range means {
			for p := range means[k] {
				means[k][p] /= float64(max(counts[k], 1))
			}
		}
		right, total := 0, 0
		for _, b := range collect(s.Test.Batches(100, 0, 0, false, Augment{}, false)) {
			for j := 0; j < b.N; j++ {
				best, bestD := -1, 0.0
				for k := range means {
					d := 0.0
					for p, v := range b.X[j*size : (j+1)*size] {
						e := float64(v) - means[k][p]
						d += e * e
					}
					if best < 0 || d < bestD {
						best, bestD = k, d
					}
				}
				if best == b.Y[j] {
					right++
				}
				total++
			}
		}
		acc := float64(right) / float64(total)
		if acc < c.minAcc {
			t.Errorf("shape %v, %d classes: nearest-class-mean accuracy %.3f, want ≥ %.2f (chance %.3f)",
				c.shape, c.classes, acc, c.minAcc, 1/float64(c.classes))
		}
	}
}

func TestSyntheticSeeded(t *testing.T) {
	load := func(seed uint64) *Splits {
		s, err := Load(Options{Name: "synthetic", Shape: [3]int{2, 6, 6}, Classes: 3, Limit: 50, Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	a, b, c := load(1), load(1), load(2)
	if !slices.Equal(a.Train.im.Pixels, b.Train.im.Pixels) || !slices.Equal(a.Test.im.Labels, b.Test.im.Labels) {
		t.Error("same seed gave different data")
	}
	if slices.Equal(a.Train.im.Pixels, c.Train.im.Pixels) {
		t.Error("different seeds gave the same data")
	}
	if slices.Equal(a.Train.im.Pixels, a.Test.im.Pixels[:len(a.Train.im.Pixels)]) {
		t.Error("test set repeats the training set")
	}
	seen := map[int]bool{}
	for _, l := range a.Train.im.Labels {
		if l < 0 || l >= 3 {
			t.Fatalf("label %d out of range", l)
		}
		seen[l] = true
	}
	if len(seen) != 3 {
		t.Errorf("labels seen %v, want all 3 classes", seen)
	}
}
