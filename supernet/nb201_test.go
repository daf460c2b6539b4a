package supernet

import (
	"testing"

	"github.com/darts-go/darts/derive"
	"github.com/darts-go/darts/internal/golden"
	"github.com/darts-go/darts/mixedop"
	"github.com/darts-go/darts/relax"
	"github.com/darts-go/darts/space"
	G "gorgonia.org/gorgonia"
)

// TestNB201SearchNetworkSize: the NAS-Bench-201 search supernet (AutoDL's
// TinyNetworkDarts) at C = 16, N = 5, 10 classes has 1,692,826 weights
// (counted by hand from its definitions: cells 1,619,520 = 15 cells of
// 60C²+12C at C, 2C, 4C, residual blocks 14,464 + 57,600, stem 464,
// lastact 128, classifier 650) and one 6×5 architecture tensor.
func TestNB201SearchNetworkSize(t *testing.T) {
	n, err := NewNetwork[float32](Config{Space: space.NB201Name, InputC: 3, InputH: 32, InputW: 32, Classes: 10}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got := n.NumParams(); got != 1692826 {
		t.Errorf("NumParams = %d, want 1,692,826", got)
	}
	arch := n.Arch()
	if len(arch) != 1 || arch[0].Tensor.Name != "cell" || arch[0].Rows != 6 || arch[0].Cols != 5 {
		t.Errorf("architecture tensors %+v, want one 6x5 'cell'", arch)
	}
	if len(n.Cells()) != 15 {
		t.Errorf("%d cells, want 15", len(n.Cells()))
	}
	r, err := n.NewRunner(2, true)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	x := make([]float32, 2*3*32*32)
	for i := range x {
		x[i] = float32(i%7) / 7
	}
	if _, err := r.Run(x, []int{1, 2}); err != nil {
		t.Fatal(err)
	}
	var moved float64
	for _, g := range arch[0].Param.Grad {
		moved += float64(g * g)
	}
	if moved == 0 {
		t.Error("the architecture tensor got no gradient")
	}
}

// countTinyNetwork counts the parameters of AutoDL's TinyNetwork (the
// network NAS-Bench-201 trained) for one cell from its definitions:
// ReLUConvBN ops with affine BatchNorm and no conv bias, 'none', skip and
// the pool having none; stem conv 3×3 + BN; residual blocks conv_a, conv_b
// (3×3, BN) and the 1×1 shortcut; lastact BN; the classifier.
func countTinyNetwork(cell derive.Cell, inC, c, n, classes int) int {
	op := func(name string, ch int) int {
		switch name {
		case "nor_conv_1x1":
			return ch*ch + 2*ch
		case "nor_conv_3x3":
			return 9*ch*ch + 2*ch
		}
		return 0
	}
	total := 9*inC*c + 2*c // stem
	for s, ch := range []int{c, 2 * c, 4 * c} {
		if s > 0 {
			total += 9*(ch/2)*ch + 2*ch + 9*ch*ch + 2*ch + (ch/2)*ch
		}
		for range n {
			for _, p := range cell.Pairs() {
				total += op(p.Op, ch)
			}
		}
	}
	return total + 2*4*c + 4*c*classes + classes
}

// TestNB201DiscreteSizes: the network of several NAS-Bench-201 cells has the
// parameter count of TinyNetwork's definitions, and runs.
func TestNB201DiscreteSizes(t *testing.T) {
	for _, s := range []string{
		"|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|", // best on CIFAR-10
		"|skip_connect~0|+|skip_connect~0|skip_connect~1|+|skip_connect~0|skip_connect~1|skip_connect~2|",
		"|nor_conv_1x1~0|+|none~0|avg_pool_3x3~1|+|none~0|none~1|none~2|",
		"|none~0|+|none~0|none~1|+|none~0|none~1|none~2|",
	} {
		g, err := derive.ParseNB201(s)
		if err != nil {
			t.Fatal(err)
		}
		cfg := DiscreteConfig{InputC: 3, InputH: 32, InputW: 32, Classes: 10, Genotype: g}
		n, err := NewDiscrete[float32](cfg, 1)
		if err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		if got, want := n.NumParams(), countTinyNetwork(g.Cells[0], 3, 16, 5, 10); got != want {
			t.Errorf("%s: NumParams = %d, TinyNetwork's definitions give %d", s, got, want)
		}
		r, err := n.NewRunner(2, true)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.Run(make([]float32, 2*3*32*32), []int{0, 1}); err != nil {
			t.Errorf("%s: %v", s, err)
		}
		r.Close()
	}
	// The best CIFAR-10 cell of the benchmark (five 3×3 convolutions) at
	// C=16, N=5, by hand: cells 5·5·(9C²+2C) at C = 16, 32, 64 = 58,400 +
	// 232,000 + 924,800; stem 464; blocks 14,464 + 57,600; lastact 128;
	// classifier 650: 1,288,506.
	g, _ := derive.ParseNB201("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|")
	n, _ := NewDiscrete[float32](DiscreteConfig{InputC: 3, InputH: 32, InputW: 32, Classes: 10, Genotype: g}, 1)
	if got := n.NumParams(); got != 1288506 {
		t.Errorf("best cell: %d parameters, want 1,288,506", got)
	}
}

// TestGoldenNB201Cell holds the NAS-Bench-201 search cell (one input, six
// mixed edges, output = node 3) to AutoDL's NAS201SearchCell.
func TestGoldenNB201Cell(t *testing.T) {
	t.Run("float64", func(t *testing.T) { goldenNB201Cell[float64](t) })
	t.Run("float32", func(t *testing.T) { goldenNB201Cell[float32](t) })
}

func goldenNB201Cell[T Float](t *testing.T) {
	f, err := golden.LoadWave2()
	if err != nil {
		t.Fatal(err)
	}
	cases := f.CasesOf("nb201_cell")
	if len(cases) == 0 {
		t.Fatal("no nb201_cell case")
	}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			golden.Check(t, c, func(g *mixedop.Graph[T], in []*G.Node) (*G.Node, error) {
				cell, err := NewSearchCell[T](&mixedop.Ctx{Training: true}, "", "cell", space.NB201CellOf(c.MaxNodes), []mixedop.Module[T]{nil},
					CellOptions{C: c.Channels, Ops: c.Primitives, ConvBias: true})
				if err != nil {
					return nil, err
				}
				w, err := g.Apply(&relax.SoftmaxBlock[T]{Label: "softmax"}, nil, in[1])
				if err != nil {
					return nil, err
				}
				return cell.Apply(g, []*G.Node{in[0]}, w)
			})
		})
	}
}

// TestGoldenNB201CellGDAS holds the NAS-Bench-201 search cell under GDAS
// to AutoDL's NAS201SearchCell.forward_gdas (the wave-2 golden file's
// nb201_cell_gdas): the hard Gumbel sample at the file's noise, each edge
// running only its selected op and adding the other weights as bare
// scalars (mixedop.SkipZeroScalar), so every α of the cell gets a
// gradient and the unselected ops' parameters a zero one.
func TestGoldenNB201CellGDAS(t *testing.T) {
	t.Run("float64", func(t *testing.T) { goldenNB201CellGDAS[float64](t) })
	t.Run("float32", func(t *testing.T) { goldenNB201CellGDAS[float32](t) })
}

func goldenNB201CellGDAS[T Float](t *testing.T) {
	f, err := golden.LoadWave2()
	if err != nil {
		t.Fatal(err)
	}
	cases := f.CasesOf("nb201_cell_gdas")
	if len(cases) == 0 {
		t.Fatal("no nb201_cell_gdas case")
	}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			var noise []float64
			for _, k := range c.Constants {
				if k.Name == "gumbel" {
					noise = k.Data
				}
			}
			blk := &relax.GumbelBlock[T]{Label: "gdas", Tau: relax.Constant(c.Tau), Hard: true, Noise: noise}
			golden.Check(t, c, func(g *mixedop.Graph[T], in []*G.Node) (*G.Node, error) {
				cell, err := NewSearchCell[T](&mixedop.Ctx{Training: true}, "", "cell", space.NB201CellOf(c.MaxNodes), []mixedop.Module[T]{nil},
					CellOptions{C: c.Channels, Ops: c.Primitives, ConvBias: true})
				if err != nil {
					return nil, err
				}
				for _, e := range cell.Edges {
					e.Skip = mixedop.SkipZeroScalar
				}
				w, err := g.Apply(blk, nil, in[1])
				if err != nil {
					return nil, err
				}
				return cell.Apply(g, []*G.Node{in[0]}, w)
			})
			for e, want := range c.Index {
				if blk.Index[e] != want {
					t.Errorf("edge %d: selected op %d, the reference %d", e, blk.Index[e], want)
				}
			}
		})
	}
}
