package datasets

import (
	"path/filepath"
	"testing"
)

// BenchmarkBatchesCIFAR measures producing normalized, augmented 32-image
// CIFAR-shaped batches (the per-step data cost of a cifar search).
func BenchmarkBatchesCIFAR(b *testing.B) {
	s, err := Load(Options{Name: "synthetic", Shape: [3]int{3, 32, 32}, Limit: 2048})
	if err != nil {
		b.Fatal(err)
	}
	var bt Batch
	aug := Augment{Crop: true, Flip: true, Cutout: 16}
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		it := s.Train.Batches(32, i, 1, true, aug, true)
		for it.Next(&bt) {
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*s.Train.NumBatches(32, true)), "ns/batch")
}

// BenchmarkLoadMNIST measures reading and splitting the real MNIST files.
func BenchmarkLoadMNIST(b *testing.B) {
	dir := filepath.Join(modCache(), filepath.FromSlash(goMNISTCachePath), "data")
	if _, missing := findMNISTFiles(dir); missing != "" {
		b.Skipf("%s not in %s", missing, dir)
	}
	for b.Loop() {
		if _, err := Load(Options{Name: "mnist"}); err != nil {
			b.Fatal(err)
		}
	}
}
