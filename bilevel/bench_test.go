package bilevel

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/darts-go/darts/datasets"
	"github.com/darts-go/darts/supernet"
)

// BenchmarkSearchStep times whole search steps (architecture step, then
// weight step) of the mnist-small preset of darts bench (1×28×28, 10 classes,
// 5 layers, 8 init channels, batch 32) in both orders, through RunEpoch as
// darts search and darts bench run them. Compare runs with benchstat:
//
//	go test -run '^$' -bench SearchStep -count 6 ./bilevel/ > new.txt
func BenchmarkSearchStep(b *testing.B) {
	for _, order := range []int{1, 2} {
		b.Run(fmt.Sprintf("mnist-small/order=%d", order), func(b *testing.B) {
			benchSearchSteps(b, supernet.Config{InputC: 1, InputH: 28, InputW: 28, Classes: 10, C: 8, Layers: 5}, 32, order)
		})
	}
}

// benchSearchSteps runs one untimed step, then b.N timed ones, stopping
// RunEpoch by cancellation so that its end-of-epoch evaluation is not timed
// (the data hold one batch more than that, so the epoch never ends).
func benchSearchSteps(b *testing.B, cfg supernet.Config, batch, order int) {
	d, err := datasets.Load(datasets.Options{Name: "synthetic", Shape: [3]int{cfg.InputC, cfg.InputH, cfg.InputW},
		Classes: cfg.Classes, Limit: 2 * (b.N + 2) * batch, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	net, err := supernet.NewNetwork[float32](cfg, 2)
	if err != nil {
		b.Fatal(err)
	}
	st := DefaultSettings()
	st.Epochs, st.BatchSize, st.Order = 1, batch, order
	s, err := NewSearch(net, d, st, Method[float32]{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	steps := func(n int) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		done := 0
		_, err := s.RunEpoch(ctx, func(StepInfo) {
			if done++; done == n {
				cancel()
			}
		})
		if !errors.Is(err, context.Canceled) {
			b.Fatalf("RunEpoch: %v after %d of %d steps", err, done, n)
		}
	}
	steps(1)
	b.ReportAllocs()
	b.ResetTimer()
	steps(b.N)
	b.StopTimer()
	b.ReportMetric(float64(batch*b.N)/b.Elapsed().Seconds(), "images/s")
}

// BenchmarkSave times taking a snapshot of a whole search state and
// writing it as a checkpoint (atomic, synced), on the mnist-small preset,
// to weigh checkpointing after every step against the step's own time
// (BenchmarkSearchStep).
func BenchmarkSave(b *testing.B) {
	net, err := supernet.NewNetwork[float32](supernet.Config{InputC: 1, InputH: 28, InputW: 28, Classes: 10, C: 8, Layers: 5}, 2)
	if err != nil {
		b.Fatal(err)
	}
	d, err := datasets.Load(datasets.Options{Name: "synthetic", Shape: [3]int{1, 28, 28}, Classes: 10, Limit: 128, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	st := DefaultSettings()
	st.Epochs, st.BatchSize = 1, 32
	s, err := NewSearch(net, d, st, Method[float32]{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	path := b.TempDir() + "/checkpoint.dgo"
	b.Run("snapshot", func(b *testing.B) { // the copy darts search takes after every step
		b.ReportAllocs()
		for b.Loop() {
			s.Snapshot()
		}
	})
	b.Run("write", func(b *testing.B) { // the copy and the synced write
		b.ReportAllocs()
		for b.Loop() {
			if err := s.Save(path); err != nil {
				b.Fatal(err)
			}
		}
	})
}
