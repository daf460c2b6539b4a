package tensorio_test

import (
	"bytes"
	"fmt"

	"github.com/darts-go/darts/internal/tensorio"
)

func Example() {
	var buf bytes.Buffer
	err := tensorio.Write(&buf, map[string]int{"epoch": 3}, []tensorio.Tensor{
		{Name: "stem.conv.w", Shape: []int{2, 1, 1, 1}, F32: []float32{0.5, -1}},
		{Name: "rng", U64: []uint64{42, 7}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	meta, tensors, err := tensorio.Read(&buf)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(string(meta))
	for _, t := range tensors {
		fmt.Println(t.Name, t.DType(), t.Shape, t.Len())
	}
	// Output:
	// {"epoch":3}
	// stem.conv.w float32 [2 1 1 1] 2
	// rng uint64 [2] 2
}
