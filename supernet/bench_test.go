package supernet_test

import (
	"math"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/darts-go/darts/supernet"
)

// Measured numbers and the commands that produce them are in
// internal/kern/doc.go.

var (
	mnistSmall = supernet.Config{InputC: 1, InputH: 28, InputW: 28, Classes: 10, C: 8, Layers: 5}
	cifarSmall = supernet.Config{InputC: 3, InputH: 32, InputW: 32, Classes: 10, C: 16, Layers: 8}
)

// batchOf returns a deterministic input batch and labels for cfg.
func batchOf(cfg supernet.Config, batch int) ([]float32, []int) {
	x := make([]float32, batch*cfg.InputC*cfg.InputH*cfg.InputW)
	for i := range x {
		x[i] = float32(i%13)*0.1 - 0.6
	}
	y := make([]int, batch)
	for i := range y {
		y[i] = i % cfg.Classes
	}
	return x, y
}

// cpuTime is the user+system CPU time of the process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchRun times one forward+backward of the search network at a preset's
// shape (the architecture and the weight step each cost one of these). Next
// to ns/op it reports cpu-ms/op, the CPU time of all threads, which other
// jobs on a shared machine disturb less than wall time.
func benchRun(b *testing.B, cfg supernet.Config, batch int) { benchRunGrads(b, cfg, batch, true) }

// benchRunGrads is benchRun with the weights' gradients on or off (off: the
// alphas-only backward of a first-order architecture step).
func benchRunGrads(b *testing.B, cfg supernet.Config, batch int, weightGrads bool) {
	n, err := supernet.NewNetwork[float32](cfg, 1)
	if err != nil {
		b.Fatal(err)
	}
	r, err := n.NewRunner(batch, true)
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	r.SetWeightGrads(weightGrads)
	x, y := batchOf(cfg, batch)
	if _, err := r.Run(x, y); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	c0 := cpuTime()
	for i := 0; i < b.N; i++ {
		if _, err := r.Run(x, y); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64((cpuTime()-c0).Milliseconds())/float64(b.N), "cpu-ms/op")
}

// BenchmarkRunMNISTSmall is one forward+backward of the mnist-small preset
// (1×28×28, 10 classes, 5 layers, 8 channels, batch 32).
func BenchmarkRunMNISTSmall(b *testing.B) { benchRun(b, mnistSmall, 32) }

// BenchmarkRunMNISTSmallArch is BenchmarkRunMNISTSmall with only the
// alphas' gradients (a first-order architecture step's pass).
func BenchmarkRunMNISTSmallArch(b *testing.B) { benchRunGrads(b, mnistSmall, 32, false) }

// BenchmarkRunCIFARSmall is one forward+backward of the cifar-small preset
// (3×32×32, 10 classes, 8 layers, 16 channels, batch 32).
func BenchmarkRunCIFARSmall(b *testing.B) { benchRun(b, cifarSmall, 32) }

// TestRunDeterministic checks that a forward+backward gives the same bits on
// every run and whatever GOMAXPROCS is, which resuming a search relies on:
// loss, every weight and alpha gradient, and the BatchNorm running
// statistics.
func TestRunDeterministic(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	cfg := supernet.Config{InputC: 2, InputH: 16, InputW: 16, Classes: 3, C: 8, Layers: 3}
	const batch = 9
	x, y := batchOf(cfg, batch)
	for i := range x {
		x[i] = float32(math.Sin(float64(i)))
	}
	run := func(procs int) [][]float32 {
		runtime.GOMAXPROCS(procs)
		n, err := supernet.NewNetwork[float32](cfg, 7)
		if err != nil {
			t.Fatal(err)
		}
		r, err := n.NewRunner(batch, true)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		var out [][]float32
		var first [][]float32
		for step := 0; step < 2; step++ {
			res, err := r.Run(x, y)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, []float32{float32(res.Loss)})
			// Without an optimizer step, a second run of the same batch
			// must give the same gradients: nothing may carry over.
			var grads [][]float32
			for _, p := range append(n.Weights(), n.ArchParams()...) {
				grads = append(grads, append([]float32(nil), p.Grad...))
			}
			if step == 0 {
				first = grads
				continue
			}
			for i := range grads {
				for j := range grads[i] {
					if grads[i][j] != first[i][j] {
						t.Fatalf("GOMAXPROCS=%d: gradient %d[%d] = %g on the second run of a batch, %g on the first", procs, i, j, grads[i][j], first[i][j])
					}
				}
			}
		}
		for _, p := range append(append(n.Weights(), n.ArchParams()...), n.State()...) {
			out = append(out, append([]float32(nil), p.Value...))
			if p.Grad != nil {
				out = append(out, append([]float32(nil), p.Grad...))
			}
		}
		return out
	}
	want := run(1)
	for _, procs := range []int{1, 2, 4} {
		got := run(procs)
		if len(got) != len(want) {
			t.Fatalf("GOMAXPROCS=%d: %d tensors, want %d", procs, len(got), len(want))
		}
		for i := range want {
			for j := range want[i] {
				if math.Float32bits(got[i][j]) != math.Float32bits(want[i][j]) {
					t.Fatalf("GOMAXPROCS=%d: tensor %d element %d = %g, want %g (GOMAXPROCS=1)", procs, i, j, got[i][j], want[i][j])
				}
			}
		}
	}
}
