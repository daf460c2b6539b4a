package retrain

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/darts-go/darts/derive"
	"github.com/darts-go/darts/supernet"
)

// FuzzReadWeights feeds arbitrary bytes to ReadWeights: it must return an
// error or load weights, never panic, and leave the network unchanged on
// error. Its seed is a whole weights file (kilobytes), and the fuzzer's
// minimization of each new input that size stalls fuzzing for its whole
// default minute, so run it with minimization off:
//
//	go test -run '^$' -fuzz FuzzReadWeights -fuzzminimizetime 0 ./retrain
//
// (measured: about 5,500 inputs/s on one worker, against a handful in 15 s
// with minimization on).
func FuzzReadWeights(f *testing.F) {
	g, err := derive.ReadFile("testdata/darts_v2.json")
	if err != nil {
		f.Fatal(err)
	}
	cfg := NetworkConfig(g, [3]int{1, 4, 4}, 2, 2, 3, false)
	net, err := supernet.NewDiscrete[float32](cfg, 1)
	if err != nil {
		f.Fatal(err)
	}
	path := filepath.Join(f.TempDir(), WeightsFile)
	if err := SaveWeights(path, net, 3); err != nil {
		f.Fatal(err)
	}
	valid, err := readBytes(path)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(valid)
	f.Add(valid[:len(valid)/2])
	f.Add([]byte("DARTSGO1"))
	// One network for all inputs (building one per input made the fuzzer
	// run at about one input a second), put back to its initial values
	// before each.
	n, err := supernet.NewDiscrete[float32](cfg, 2)
	if err != nil {
		f.Fatal(err)
	}
	initial := snapshotNet(n)
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, p := range append(n.Weights(), n.State()...) {
			copy(p.Value, initial[p.Name])
		}
		if _, err := ReadWeights(bytes.NewReader(data), n); err != nil {
			after := snapshotNet(n)
			for k, v := range initial {
				if !slices.Equal(v, after[k]) {
					t.Fatalf("failed read changed %s: %v", k, err)
				}
			}
		}
	})
}

func readBytes(path string) ([]byte, error) { return os.ReadFile(path) }
