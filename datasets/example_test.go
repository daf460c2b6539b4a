package datasets_test

import (
	"fmt"

	"github.com/darts-go/darts/datasets"
)

// Loading a dataset and running one shuffled, augmented epoch of
// search-train, as the search loop does.
func Example() {
	s, err := datasets.Load(datasets.Options{Name: "synthetic", Shape: [3]int{3, 16, 16}, Classes: 4, Limit: 200})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(s.Info.Train, s.Info.Val, s.Info.Test, s.Info.Shape, s.Info.Classes)

	var b datasets.Batch // reused by every Next
	it := s.Train.Batches(32, 0, 1, true, datasets.Augment{Crop: true, Flip: true}, true)
	n := 0
	for it.Next(&b) {
		n++
	}
	fmt.Println(n, "batches of", b.N, "images,", len(b.X), "floats each")
	// Output:
	// 100 100 200 [3 16 16] 4
	// 3 batches of 32 images, 24576 floats each
}
