package bilevel_test

import (
	"context"
	"fmt"
	"log"

	"github.com/darts-go/darts/bilevel"
	"github.com/darts-go/darts/datasets"
	"github.com/darts-go/darts/supernet"
)

// Example runs a small first-order DARTS search from Go code, the way
// `darts search` does, and derives the genotype of its alphas.
func Example() {
	data, err := datasets.Load(datasets.Options{Name: "synthetic", Shape: [3]int{1, 8, 8}, Classes: 3, Limit: 128})
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
	settings.Epochs, settings.BatchSize = 2, 16
	search, err := bilevel.NewSearch(net, data, settings, bilevel.Method[float32]{})
	if err != nil {
		log.Fatal(err)
	}
	defer search.Close()
	for !search.Done() {
		m, err := search.RunEpoch(context.Background(), nil)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("epoch %d: %d steps, val accuracy in [0,1]: %v\n", m.Epoch, search.StepsPerEpoch(), m.ValAcc >= 0 && m.ValAcc <= 1)
	}
	g, err := search.Genotype()
	if err != nil {
		log.Fatal(err)
	}
	for _, c := range g.Cells {
		fmt.Printf("%s cell: %d nodes of %d inputs each\n", c.Name, len(c.Nodes), len(c.Nodes[0]))
	}
	// Output:
	// epoch 1: 4 steps, val accuracy in [0,1]: true
	// epoch 2: 4 steps, val accuracy in [0,1]: true
	// normal cell: 4 nodes of 2 inputs each
	// reduce cell: 4 nodes of 2 inputs each
}
