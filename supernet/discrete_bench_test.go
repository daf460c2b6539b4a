package supernet

import "testing"

// BenchmarkDiscreteTrainStep is one forward+backward of DARTS_V2 retrained
// on MNIST-sized images (the darts train defaults but 5 layers, 8 channels,
// batch 64): the unit of an epoch of darts train on Fashion-MNIST.
func BenchmarkDiscreteTrainStep(b *testing.B) {
	for _, bc := range []struct {
		name     string
		c, layer int
	}{{"L5C8", 8, 5}, {"L8C16", 16, 8}} {
		b.Run(bc.name, func(b *testing.B) {
			cfg := DiscreteConfig{InputC: 1, InputH: 28, InputW: 28, Classes: 10, C: bc.c, Layers: bc.layer,
				Genotype: dartsV2}
			n, err := NewDiscrete[float32](cfg, 1)
			if err != nil {
				b.Fatal(err)
			}
			n.SetDropPath(DropPath{Prob: 0.1, Seed: 1})
			const batch = 64
			r, err := n.NewRunner(batch, true)
			if err != nil {
				b.Fatal(err)
			}
			defer r.Close()
			x, y := tinyBatch(batch, 28*28)
			for i := range y {
				y[i] = i % 10
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := r.Run(x, y); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
