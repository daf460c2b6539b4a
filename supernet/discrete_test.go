package supernet

import (
	"math"
	"strings"
	"testing"

	"github.com/darts-go/darts/derive"
	"gorgonia.org/tensor"
)

func edges(ops string) []derive.Pair {
	var out []derive.Pair
	for _, f := range strings.Fields(ops) {
		i := strings.LastIndexByte(f, ':')
		out = append(out, derive.Pair{Op: f[:i], Input: int(f[i+1] - '0')})
	}
	return out
}

// dartsV2 is DARTS_V2 from quark0/darts cnn/genotypes.py.
var dartsV2 = derive.MustDARTS(
	edges("sep_conv_3x3:0 sep_conv_3x3:1 sep_conv_3x3:0 sep_conv_3x3:1 sep_conv_3x3:1 skip_connect:0 skip_connect:0 dil_conv_3x3:2"), []int{2, 3, 4, 5},
	edges("max_pool_3x3:0 max_pool_3x3:1 skip_connect:2 max_pool_3x3:1 max_pool_3x3:0 skip_connect:2 skip_connect:2 max_pool_3x3:1"), []int{2, 3, 4, 5},
)

func v2Config(c, layers int, aux bool) DiscreteConfig {
	return DiscreteConfig{InputC: 3, InputH: 32, InputW: 32, Classes: 10, C: c, Layers: layers, Auxiliary: aux,
		Genotype: dartsV2}
}

func TestDiscreteParamCountDARTSV2(t *testing.T) {
	for _, tc := range []struct {
		name      string
		c, layers int
		aux       bool
		want      int
	}{
		// count_parameters_in_MB of model.py's NetworkCIFAR (aux excluded),
		// the published 3.3M.
		{"L20C36aux", 36, 20, true, 3349342},
		{"L8C16", 16, 8, false, 246106},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n, err := NewDiscrete[float32](v2Config(tc.c, tc.layers, tc.aux), 1)
			if err != nil {
				t.Fatal(err)
			}
			if got := n.NumParams(); got != tc.want {
				t.Errorf("NumParams = %d, want %d", got, tc.want)
			}
			if tc.aux && n.NumAuxParams() == 0 {
				t.Error("auxiliary head has no parameters")
			}
		})
	}
}

// countModelPy counts the parameters of model.py's NetworkCIFAR from its
// structure, independently of the modules: every conv weight, the affine
// BatchNorm scale and shift, the classifier.
func countModelPy(cfg DiscreteConfig) int {
	bn := func(c int) int { return 2 * c }
	op := func(name string, c, stride int) int {
		switch name {
		case "sep_conv_3x3", "sep_conv_5x5", "sep_conv_7x7":
			k := int(name[9] - '0')
			return 2 * (c*k*k + c*c + bn(c))
		case "dil_conv_3x3", "dil_conv_5x5":
			k := int(name[9] - '0')
			return c*k*k + c*c + bn(c)
		case "skip_connect":
			if stride == 2 {
				return 2*(c*c/2) + bn(c)
			}
		}
		return 0
	}
	sm := 3
	cCurr := sm * cfg.C
	total := cfg.InputC*cCurr*9 + bn(cCurr)
	cpp, cp, cCurr := cCurr, cCurr, cfg.C
	redPrev := false
	for i := 0; i < cfg.Layers; i++ {
		red := i == cfg.Layers/3 || i == 2*cfg.Layers/3
		arch := cfg.cell(red)
		if red {
			cCurr *= 2
		}
		if redPrev {
			total += 2*cpp*(cCurr/2) + bn(cCurr)
		} else {
			total += cpp*cCurr + bn(cCurr)
		}
		total += cp*cCurr + bn(cCurr)
		for _, e := range arch.Pairs() {
			stride := 1
			if red && e.Input < 2 {
				stride = 2
			}
			total += op(e.Op, cCurr, stride)
		}
		redPrev = red
		cpp, cp = cp, len(arch.Concat)*cCurr
	}
	return total + cp*cfg.Classes + cfg.Classes
}

// dartsV1 is DARTS_V1 from genotypes.py.
var dartsV1 = derive.MustDARTS(
	edges("sep_conv_3x3:1 sep_conv_3x3:0 skip_connect:0 sep_conv_3x3:1 skip_connect:0 sep_conv_3x3:1 sep_conv_3x3:0 skip_connect:2"), []int{2, 3, 4, 5},
	edges("max_pool_3x3:0 max_pool_3x3:1 skip_connect:2 max_pool_3x3:0 max_pool_3x3:0 skip_connect:2 skip_connect:2 avg_pool_3x3:0"), []int{2, 3, 4, 5},
)

// odd uses every DARTS op, two nodes only and a partial concat.
var odd = derive.MustDARTS(
	edges("dil_conv_5x5:1 sep_conv_5x5:0 avg_pool_3x3:2 none:1"), []int{3, 2},
	edges("skip_connect:1 dil_conv_3x3:0 sep_conv_3x3:2 max_pool_3x3:0"), []int{3},
)

func TestDiscreteShapesAndCounts(t *testing.T) {
	for _, tc := range []struct {
		name       string
		arch       derive.Genotype
		c, h, w    int
		classes    int
		ch, layers int
	}{
		{"v2 cifar L8", dartsV2, 3, 32, 32, 10, 16, 8},
		{"v1 mnist L5", dartsV1, 1, 28, 28, 10, 8, 5},
		{"v1 rect L3", dartsV1, 2, 8, 12, 3, 4, 3},
		{"odd L4", odd, 3, 16, 16, 7, 6, 4},
		{"v2 one cell", dartsV2, 1, 6, 6, 2, 2, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := DiscreteConfig{InputC: tc.c, InputH: tc.h, InputW: tc.w, Classes: tc.classes, C: tc.ch, Layers: tc.layers,
				Genotype: tc.arch}
			n, err := NewDiscrete[float64](cfg, 3)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := n.NumParams(), countModelPy(n.Cfg); got != want {
				t.Errorf("NumParams = %d, model.py structure gives %d", got, want)
			}
			cells := n.CellShapes()
			if len(cells) != tc.layers {
				t.Fatalf("%d cell shapes for %d layers", len(cells), tc.layers)
			}
			h, w := tc.h, tc.w
			for i, cs := range cells {
				if cs.Reduction != n.Cfg.IsReduction(i) {
					t.Errorf("cell %d: reduction %v", i, cs.Reduction)
				}
				if cs.Reduction {
					h, w = h/2, w/2
				}
				if cs.Out.H != h || cs.Out.W != w {
					t.Errorf("cell %d: output %v, want %dx%d", i, cs.Out, h, w)
				}
			}
			const batch = 3
			r, err := n.NewRunner(batch, false)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			x := make([]float32, batch*tc.c*tc.h*tc.w)
			for i := range x {
				x[i] = float32(math.Sin(float64(i)))
			}
			res, err := r.Run(x, []int{0, 1, 1})
			if err != nil {
				t.Fatal(err)
			}
			if lg := r.logits.Shape(); !lg.Eq(tensorShape(batch, tc.classes)) {
				t.Errorf("logits shape %v, want (%d,%d)", lg, batch, tc.classes)
			}
			if math.IsNaN(res.Loss) || res.Loss <= 0 {
				t.Errorf("loss %v", res.Loss)
			}
		})
	}
}

func tensorShape(d ...int) tensor.Shape { return tensor.Shape(d) }
