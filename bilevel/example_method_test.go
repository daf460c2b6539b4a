package bilevel_test

import (
	"context"
	"fmt"
	"log"
	"math"

	"github.com/darts-go/darts/bilevel"
	"github.com/darts-go/darts/datasets"
	"github.com/darts-go/darts/mixedop"
	"github.com/darts-go/darts/relax"
	"github.com/darts-go/darts/space"
	"github.com/darts-go/darts/supernet"
	"gorgonia.org/tensor"
)

// tempSoftmax is a relaxation defined outside package relax: the edge
// weights are softmax(α/τ), sharper than DARTS's for τ < 1.
type tempSoftmax[T mixedop.Float] struct{ Tau float64 }

func (r tempSoftmax[T]) Name() string { return "softmax-temperature" }

func (r tempSoftmax[T]) Block(t space.Tensor, _ *relax.Pass) mixedop.Block[T] {
	return &tempBlock[T]{tau: r.Tau, cols: len(t.Cols)}
}

func (r tempSoftmax[T]) Weights(_ space.Tensor, alpha [][]float64) [][]float64 {
	out := make([][]float64, len(alpha))
	for i, row := range alpha {
		out[i] = softmaxOver(row, r.Tau)
	}
	return out
}

func softmaxOver(row []float64, tau float64) []float64 {
	m := math.Inf(-1)
	for _, v := range row {
		m = math.Max(m, v/tau)
	}
	out := make([]float64, len(row))
	var sum float64
	for i, v := range row {
		out[i] = math.Exp(v/tau - m)
		sum += out[i]
	}
	for i := range out {
		out[i] /= sum
	}
	return out
}

// tempBlock is softmax(x/τ) row by row as a graph block; its backward is
// dx = y ⊙ (dy − Σ dy ⊙ y) / τ.
type tempBlock[T mixedop.Float] struct {
	tau  float64
	cols int
	y    []T
}

func (b *tempBlock[T]) Name() string                { return "softmax(alpha/tau)" }
func (b *tempBlock[T]) Params() []*mixedop.Param[T] { return nil }
func (b *tempBlock[T]) OutShape(in []tensor.Shape) (tensor.Shape, error) {
	return in[0].Clone(), nil
}
func (b *tempBlock[T]) Forward(in [][]T, _ []tensor.Shape) ([]T, error) {
	b.y = make([]T, len(in[0]))
	for r := 0; r < len(in[0]); r += b.cols {
		row := make([]float64, b.cols)
		for j := range row {
			row[j] = float64(in[0][r+j])
		}
		for j, w := range softmaxOver(row, b.tau) {
			b.y[r+j] = T(w)
		}
	}
	return b.y, nil
}
func (b *tempBlock[T]) Backward(dy []T, din [][]T) error {
	for r := 0; r < len(dy); r += b.cols {
		var dot T
		for j := 0; j < b.cols; j++ {
			dot += dy[r+j] * b.y[r+j]
		}
		for j := 0; j < b.cols; j++ {
			din[0][r+j] += b.y[r+j] * (dy[r+j] - dot) / T(b.tau)
		}
	}
	return nil
}

// singleLevel is an architecture step defined outside package bilevel: the
// gradient of the training loss (not the validation loss) at the current
// weights, as single-level methods take it.
type singleLevel[T mixedop.Float] struct{}

func (singleLevel[T]) Name() string { return "single-level" }
func (singleLevel[T]) ArchGrad(c *bilevel.StepContext[T]) error {
	c.SetWeightGrads(false)
	_, err := c.Run(c.Train, 0, "single-level architecture step")
	return err
}

// Example_method runs a search with a relaxation and an architecture step
// of its own, and checks that the weights the search records are the
// relaxation's: softmax(α/τ) of the recorded α.
func Example_method() {
	data, err := datasets.Load(datasets.Options{Name: "synthetic", Shape: [3]int{1, 8, 8}, Classes: 3, Limit: 96})
	if err != nil {
		log.Fatal(err)
	}
	cfg := supernet.Config{InputC: 1, InputH: 8, InputW: 8, Classes: 3, C: 4, Layers: 3,
		Primitives: []string{"none", "max_pool_3x3", "skip_connect", "sep_conv_3x3"}}
	net, err := supernet.NewNetwork[float32](cfg, 1)
	if err != nil {
		log.Fatal(err)
	}
	settings := bilevel.DefaultSettings()
	settings.Epochs, settings.BatchSize, settings.ArchLR = 1, 16, 0.05
	method := bilevel.Method[float32]{Name: "temperature", Relax: tempSoftmax[float32]{Tau: 0.5}, Arch: singleLevel[float32]{}}
	search, err := bilevel.NewSearch(net, data, settings, method)
	if err != nil {
		log.Fatal(err)
	}
	defer search.Close()
	if _, err := search.RunEpoch(context.Background(), nil); err != nil {
		log.Fatal(err)
	}
	a := search.Alphas(1)
	worst, moved := 0.0, 0.0
	for _, t := range a.Tensors {
		for e, row := range t.Alpha {
			for k, w := range softmaxOver(row, 0.5) {
				worst = math.Max(worst, math.Abs(w-t.Weights[e][k]))
				moved = math.Max(moved, math.Abs(row[k]))
			}
		}
	}
	fmt.Println("recorded weights are softmax(alpha/0.5):", worst < 1e-12)
	fmt.Println("alphas moved from 1e-3·N(0,1):", moved > 0.01)
	fmt.Println("method in the checkpoint:", search.Method.Record().Relaxation, search.Method.Record().ArchStep)
	// Output:
	// recorded weights are softmax(alpha/0.5): true
	// alphas moved from 1e-3·N(0,1): true
	// method in the checkpoint: softmax-temperature single-level
}
