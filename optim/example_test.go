package optim_test

import (
	"fmt"

	"github.com/darts-go/darts/optim"
)

// One DARTS weight step: clip the gradient, then SGD with the epoch's
// learning rate.
func ExampleSGD() {
	w := []float32{1, -2}
	g := []float32{3, 4}
	params := []*optim.Param[float32]{{Name: "w", Value: w, Grad: g}}
	if err := optim.CheckParams(params); err != nil {
		fmt.Println(err)
		return
	}
	opt := optim.NewSGD(params, 0.025, 0.9, 3e-4)
	opt.LR = optim.DARTSEpochLR(0.025, 0.001, 0, 50)
	norm := optim.ClipGradNorm(params, 5)
	opt.Step()
	fmt.Printf("grad norm %.1f, w = [%.4f %.4f]\n", norm, w[0], w[1])
	// Output: grad norm 5.0, w = [0.9250 -2.1000]
}
