package supernet

import (
	"math"
	"strings"
	"testing"

	"github.com/darts-go/darts/derive"
)

// fairDARTSGenotypes are FairDARTS_a..g of xiaomi-automl/FairDARTS
// fairdarts/genotypes.py with the parameter counts its README (and, for g,
// genotypes.py's comment) publishes, in millions, for the 20-cell network
// of 36 initial channels on CIFAR-10: train.py reports thop's count, which
// includes the auxiliary head when the model has one; FairDARTS_c's 2.59M
// is the count without it (3.07M with it), as if that model had been
// built without --auxiliary.
var fairDARTSGenotypes = []struct {
	name   string
	text   string
	params float64
	head   bool // the published count includes the auxiliary head
}{
	{"FairDARTS_a", `Genotype(normal=[('sep_conv_3x3', 2, 0), ('sep_conv_5x5', 2, 1), ('max_pool_3x3', 4, 0), ('sep_conv_3x3', 5, 0)], normal_concat=range(2, 6),
reduce=[('max_pool_3x3', 2, 0), ('avg_pool_3x3', 2, 1), ('avg_pool_3x3', 3, 0), ('dil_conv_5x5', 3, 1), ('avg_pool_3x3', 4, 0), ('sep_conv_5x5', 4, 1), ('skip_connect', 5, 0), ('skip_connect', 5, 1)], reduce_concat=range(2, 6))`, 2.83, true},
	{"FairDARTS_b", `Genotype(normal=[('sep_conv_3x3', 2, 0), ('sep_conv_3x3', 2, 1), ('sep_conv_3x3', 3, 1), ('dil_conv_3x3', 4, 0), ('sep_conv_5x5', 4, 1), ('dil_conv_5x5', 5, 1)], normal_concat=range(2, 6),
reduce=[('skip_connect', 2, 0), ('dil_conv_3x3', 2, 1), ('skip_connect', 3, 0), ('dil_conv_3x3', 3, 1), ('max_pool_3x3', 4, 0), ('sep_conv_3x3', 4, 1), ('skip_connect', 5, 2), ('max_pool_3x3', 5, 0)], reduce_concat=range(2, 6))`, 3.88, true},
	{"FairDARTS_c", `Genotype(normal=[('max_pool_3x3', 2, 0), ('sep_conv_5x5', 2, 1), ('dil_conv_3x3', 4, 0), ('dil_conv_5x5', 4, 2), ('skip_connect', 5, 3), ('sep_conv_3x3', 5, 0)], normal_concat=range(2, 6),
reduce=[('dil_conv_3x3', 2, 1), ('dil_conv_5x5', 2, 0), ('dil_conv_3x3', 3, 0), ('sep_conv_3x3', 3, 1), ('sep_conv_5x5', 4, 0), ('sep_conv_5x5', 4, 3), ('sep_conv_5x5', 5, 0), ('skip_connect', 5, 1)], reduce_concat=range(2, 6))`, 2.59, false},
	{"FairDARTS_d", `Genotype(normal=[('sep_conv_3x3', 2, 0), ('sep_conv_5x5', 2, 1), ('dil_conv_3x3', 3, 1), ('max_pool_3x3', 3, 0), ('dil_conv_3x3', 4, 0), ('dil_conv_3x3', 4, 1), ('sep_conv_3x3', 5, 0), ('dil_conv_5x5', 5, 1)], normal_concat=range(2, 6),
reduce=[('max_pool_3x3', 2, 0), ('sep_conv_5x5', 2, 1), ('avg_pool_3x3', 3, 0), ('dil_conv_5x5', 3, 2), ('dil_conv_3x3', 4, 3), ('avg_pool_3x3', 4, 0), ('avg_pool_3x3', 5, 0), ('skip_connect', 5, 3)], reduce_concat=range(2, 6))`, 3.84, true},
	{"FairDARTS_e", `Genotype(normal=[('sep_conv_3x3', 2, 0), ('sep_conv_3x3', 2, 1), ('dil_conv_3x3', 4, 1), ('dil_conv_3x3', 4, 2), ('dil_conv_3x3', 5, 0), ('dil_conv_5x5', 5, 1)], normal_concat=range(2, 6),
reduce=[('max_pool_3x3', 2, 1), ('max_pool_3x3', 2, 0), ('max_pool_3x3', 3, 1), ('max_pool_3x3', 3, 0), ('sep_conv_5x5', 4, 1), ('max_pool_3x3', 4, 0), ('avg_pool_3x3', 5, 0), ('dil_conv_5x5', 5, 1)], reduce_concat=range(2, 6))`, 3.12, true},
	{"FairDARTS_f", `Genotype(normal=[('max_pool_3x3', 2, 0), ('sep_conv_3x3', 2, 1), ('dil_conv_3x3', 3, 1), ('sep_conv_5x5', 4, 1), ('sep_conv_3x3', 5, 0), ('sep_conv_3x3', 5, 1)], normal_concat=range(2, 6),
reduce=[('max_pool_3x3', 2, 0), ('max_pool_3x3', 2, 1), ('max_pool_3x3', 3, 0), ('dil_conv_3x3', 3, 1), ('dil_conv_3x3', 4, 2), ('max_pool_3x3', 4, 0), ('max_pool_3x3', 5, 0), ('sep_conv_3x3', 5, 1)], reduce_concat=range(2, 6))`, 3.62, true},
	{"FairDARTS_g", `Genotype(normal=[('sep_conv_3x3', 2, 0), ('sep_conv_3x3', 2, 1), ('skip_connect', 4, 3), ('sep_conv_5x5', 4, 1), ('dil_conv_3x3', 5, 0), ('sep_conv_3x3', 5, 1)], normal_concat=range(2, 6),
reduce=[('avg_pool_3x3', 2, 1), ('skip_connect', 2, 0), ('skip_connect', 3, 2), ('max_pool_3x3', 3, 1), ('sep_conv_5x5', 4, 3), ('max_pool_3x3', 4, 0), ('dil_conv_3x3', 5, 1), ('dil_conv_3x3', 5, 4)], reduce_concat=range(2, 6))`, 3.375, true},
}

// countDCO counts the parameters of FairDARTS's NetworkCIFAR with DCOCell
// cells (model.py) from its structure, independently of the modules: the
// stem, each cell's preprocessing, one op per triple of the genotype (DCOCell
// builds one for every triple), a cell output of as many nodes as some
// triple feeds (DCOCell's multiplier = len(self._ops)), the classifier, and
// apart the auxiliary head after cell 2L/3 (ReLU, pooling, 1×1 conv to
// 128, BN, 2×2 conv to 768, BN, linear). BatchNorm is affine (2 per
// channel).
func countDCO(g derive.Genotype, inC, c, layers, classes int) (params, aux int) {
	bn := func(c int) int { return 2 * c }
	op := func(name string, c, stride int) int {
		switch name {
		case "sep_conv_3x3", "sep_conv_5x5":
			k := int(name[9] - '0')
			return 2 * (c*k*k + c*c + bn(c))
		case "dil_conv_3x3", "dil_conv_5x5":
			k := int(name[9] - '0')
			return c*k*k + c*c + bn(c)
		case "skip_connect":
			if stride == 2 {
				return 2*(c*(c/2)) + bn(c)
			}
		}
		return 0
	}
	stem := 3 * c
	params = inC*stem*9 + bn(stem)
	cpp, cp, cur := stem, stem, c
	redPrev := false
	for i := 0; i < layers; i++ {
		red := i == layers/3 || i == 2*layers/3
		cell := g.Cells[0]
		if red {
			cell = g.Cells[1]
			cur *= 2
		}
		if redPrev {
			params += 2*(cpp*(cur/2)) + bn(cur)
		} else {
			params += cpp*cur + bn(cur)
		}
		params += cp*cur + bn(cur)
		fed := 0
		for _, node := range cell.Nodes {
			for _, p := range node {
				stride := 1
				if red && p.Input < 2 {
					stride = 2
				}
				params += op(p.Op, cur, stride)
			}
			if len(node) > 0 {
				fed++
			}
		}
		redPrev = red
		cpp, cp = cp, fed*cur
		if i == 2*layers/3 {
			aux = cp*128 + bn(128) + 128*768*4 + bn(768) + 768*classes + classes
		}
	}
	return params + cp*classes + classes, aux
}

// TestFairDARTSRetrain: the discrete network of each published FairDARTS
// genotype has the parameters its structure gives (countDCO), and the
// count FairDARTS publishes for it, to its truncation.
// Nodes without inputs are dropped (FairDARTS_a's node 3) and the cells
// concatenate the surviving nodes.
func TestFairDARTSRetrain(t *testing.T) {
	for _, fg := range fairDARTSGenotypes {
		t.Run(fg.name, func(t *testing.T) {
			g, err := derive.Parse(strings.NewReader(fg.text))
			if err != nil {
				t.Fatal(err)
			}
			n, err := NewDiscrete[float32](DiscreteConfig{InputC: 3, InputH: 32, InputW: 32, Classes: 10, C: 36, Layers: 20, Auxiliary: true, Genotype: g}, 1)
			if err != nil {
				t.Fatal(err)
			}
			want, wantAux := countDCO(g, 3, 36, 20, 10)
			if n.NumParams() != want || n.NumAuxParams() != wantAux {
				t.Errorf("%d parameters and %d in the head, the structure gives %d and %d", n.NumParams(), n.NumAuxParams(), want, wantAux)
			}
			total := n.NumParams()
			if fg.head {
				total += n.NumAuxParams()
			}
			// The published counts are truncated, to 2 decimals (g: 3).
			scale := 100.0
			if fg.params*100 != math.Trunc(fg.params*100) {
				scale = 1000
			}
			if got := math.Trunc(float64(total)/1e6*scale) / scale; got != fg.params {
				t.Errorf("%.4fM parameters (head included: %v), FairDARTS publishes %gM", float64(total)/1e6, fg.head, fg.params)
			}
			for i, c := range g.Cells {
				if cs := n.CellShapes(); cs[map[int]int{0: 0, 1: 6}[i]].Out.C != len(c.Concat)*36*(1+i) {
					t.Errorf("%s cell: output channels %d, want %d nodes of %d", c.Name, cs[0].Out.C, len(c.Concat), 36*(1+i))
				}
			}
		})
	}
}

// TestFairDARTSSmallNetworkRuns: a small network of FairDARTS_c (whose
// node 3 has no input, and whose node 5 reads it through a skip that is
// then left out) runs forward and backward in float64 with a finite loss
// and gradients for every weight it holds.
func TestFairDARTSSmallNetworkRuns(t *testing.T) {
	g, err := derive.Parse(strings.NewReader(fairDARTSGenotypes[2].text))
	if err != nil {
		t.Fatal(err)
	}
	cfg := DiscreteConfig{InputC: 1, InputH: 8, InputW: 8, Classes: 3, C: 4, Layers: 3, Genotype: g}
	n, err := NewDiscrete[float64](cfg, 2)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := countDCO(n.Cfg.Genotype, 1, 4, 3, 3)
	if n.NumParams() != want {
		t.Errorf("%d parameters, the structure gives %d", n.NumParams(), want)
	}
	r, err := n.NewRunner(4, true)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	x := make([]float32, 4*64)
	for i := range x {
		x[i] = float32(math.Cos(float64(i) * 0.37))
	}
	res, err := r.Run(x, []int{0, 1, 2, 1})
	if err != nil {
		t.Fatal(err)
	}
	if math.IsNaN(res.Loss) || res.Loss <= 0 {
		t.Fatalf("loss %g", res.Loss)
	}
	for _, p := range n.Weights() {
		nonzero := false
		for _, v := range p.Grad {
			if math.IsNaN(v) {
				t.Fatalf("%s: NaN gradient", p.Name)
			}
			nonzero = nonzero || v != 0
		}
		if !nonzero && !strings.Contains(p.Name, "bias") {
			t.Errorf("%s: zero gradient", p.Name)
		}
	}
}
