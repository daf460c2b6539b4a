package supernet_test

import (
	"testing"

	"github.com/darts-go/darts/internal/rng"
	"github.com/darts-go/darts/space"
	"github.com/darts-go/darts/supernet"
)

func methodBatch(n, size int) ([]float32, []int) {
	r := rng.New(9)
	x := make([]float32, n*size)
	for i := range x {
		x[i] = float32(r.NormFloat64())
	}
	y := make([]int, n)
	for i := range y {
		y[i] = i % 3
	}
	return x, y
}

func lossAt[T supernet.Float](t *testing.T, n *supernet.Network[T], epoch, epochs int) float64 {
	t.Helper()
	r, err := n.NewRunner(8, true)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	n.Pass.Epoch, n.Pass.Epochs = epoch, epochs
	x, y := methodBatch(8, 64)
	res, err := r.Run(x, y)
	if err != nil {
		t.Fatal(err)
	}
	return res.Loss
}

// TestAuxSkipNetwork: a DARTS- network whose auxiliary skip has β = 0 is the
// DARTS network with the same weights, bit for bit; with the linear decay
// its loss depends on the epoch of the pass (β = 1, then 0.5 of 2 epochs),
// read at every forward pass.
func TestAuxSkipNetwork(t *testing.T) {
	base := supernet.Config{InputC: 1, InputH: 8, InputW: 8, Classes: 3, C: 4, Layers: 3,
		Primitives: []string{"none", "max_pool_3x3", "skip_connect", "sep_conv_3x3"}}
	plain, err := supernet.NewNetwork[float64](base, 3)
	if err != nil {
		t.Fatal(err)
	}
	zero := base
	zero.AuxSkip = &supernet.AuxSkip{Beta: 0}
	aux, err := supernet.NewNetwork[float64](zero, 3)
	if err != nil {
		t.Fatal(err)
	}
	if aux.NumParams() <= plain.NumParams() {
		t.Errorf("%d weights with the auxiliary skip's FactorizedReduce, %d without", aux.NumParams(), plain.NumParams())
	}
	byName := map[string][]float64{}
	for _, p := range append(aux.Weights(), aux.ArchParams()...) {
		byName[p.Name] = p.Value
	}
	for _, p := range append(plain.Weights(), plain.ArchParams()...) {
		v, ok := byName[p.Name]
		if !ok {
			t.Fatalf("%s: not in the DARTS- network", p.Name)
		}
		copy(p.Value, v)
	}
	if a, b := lossAt(t, aux, 0, 2), lossAt(t, plain, 0, 2); a != b {
		t.Errorf("β = 0: loss %v, DARTS network %v", a, b)
	}
	lin := base
	lin.AuxSkip = &supernet.AuxSkip{Beta: 1, Decay: supernet.DecayLinear}
	dm, err := supernet.NewNetwork[float64](lin, 3)
	if err != nil {
		t.Fatal(err)
	}
	l0, l1, again := lossAt(t, dm, 0, 2), lossAt(t, dm, 1, 2), lossAt(t, dm, 0, 2)
	if l0 == l1 || l0 != again {
		t.Errorf("losses in epochs 0, 1, 0 again: %v, %v, %v; want the epoch to matter and nothing else", l0, l1, again)
	}
}

// TestPCDARTSNetwork: a PC-DARTS network has an edge tensor per cell type
// after the op tensors, 14×1, which a training run gives a gradient; its
// ops are built for a quarter of the channels, so it has far fewer weights
// than the DARTS network; and the settings are checked.
func TestPCDARTSNetwork(t *testing.T) {
	base := supernet.Config{InputC: 1, InputH: 8, InputW: 8, Classes: 3, C: 8, Layers: 3}
	pc := base
	pc.PartialChannels, pc.EdgeNormalization = 4, true
	n, err := supernet.NewNetwork[float64](pc, 3)
	if err != nil {
		t.Fatal(err)
	}
	d, err := supernet.NewNetwork[float64](base, 3)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, a := range n.Arch() {
		names = append(names, a.Tensor.Name)
	}
	if len(names) != 4 || names[2] != "beta_normal" || names[3] != "beta_reduce" {
		t.Fatalf("tensors %v", names)
	}
	b, _ := n.ArchTensor("beta_reduce")
	if b.Rows != 14 || b.Cols != 1 || b.Tensor.Kind != space.KindEdge {
		t.Errorf("beta_reduce is %dx%d of kind %q", b.Rows, b.Cols, b.Tensor.Kind)
	}
	lossAt(t, n, 0, 1)
	nonzero := 0
	for _, g := range b.Param.Grad {
		if g != 0 {
			nonzero++
		}
	}
	if nonzero < 14 {
		t.Errorf("%d of beta_reduce's 14 gradients are non-zero", nonzero)
	}
	if 2*n.NumParams() > d.NumParams() {
		t.Errorf("%d weights with K = 4, %d without", n.NumParams(), d.NumParams())
	}
	if n.EstimateMemory(64) >= d.EstimateMemory(64) {
		t.Errorf("memory estimate %d with K = 4, not below DARTS's %d", n.EstimateMemory(64), d.EstimateMemory(64))
	}
	for _, bad := range []supernet.Config{
		func() supernet.Config { c := pc; c.PartialChannels = 3; return c }(),
		func() supernet.Config { c := pc; c.PartialChannels = 1; return c }(),
		{Space: space.NB201Name, InputC: 1, InputH: 8, InputW: 8, Classes: 3, EdgeNormalization: true},
	} {
		if _, err := supernet.NewNetwork[float64](bad, 1); err == nil {
			t.Errorf("%+v: no error", bad)
		}
	}
}
