package dist

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"reflect"
	"testing"
)

// mixingCases is testdata/mixing_cases.json: five 'mixing' cases copied
// unchanged from the shared golden file wave2.json by
// testdata/extract_mixing.py (PyTorch 1.13 float64, checked there against
// the reference repositories). L = Σ output·upstream, grad_inputs = dL/dα.
type tensorJSON struct {
	Name  string    `json:"name"`
	Shape []int     `json:"shape"`
	Data  []float64 `json:"data"`
}

type mixingCase struct {
	Name       string       `json:"name"`
	Method     string       `json:"method"`
	Inputs     []tensorJSON `json:"inputs"`
	Constants  []tensorJSON `json:"constants"`
	Upstream   tensorJSON   `json:"upstream"`
	Output     tensorJSON   `json:"output"`
	GradInputs []tensorJSON `json:"grad_inputs"`
	RegScale   float64      `json:"reg_scale"`
	Tau        float64      `json:"tau"`
	Index      []int        `json:"index"`
}

func loadMixing(t *testing.T) map[string]mixingCase {
	t.Helper()
	b, err := os.ReadFile("testdata/mixing_cases.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Cases []mixingCase `json:"cases"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	m := map[string]mixingCase{}
	for _, c := range f.Cases {
		m[c.Name] = c
	}
	return m
}

// goldenTol is the golden file's storage rounding (12 decimals, ≤ 5e-13)
// plus float64 evaluation noise.
const goldenTol = 2e-12

func compareTo(t *testing.T, what string, got, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	var worst float64
	at := -1
	for i := range want {
		d := math.Abs(got[i] - want[i])
		if math.IsNaN(d) || d > worst {
			worst, at = d, i
			if math.IsNaN(d) {
				break
			}
		}
	}
	t.Logf("%s: max abs error %.3g", what, worst)
	if at >= 0 && !(worst <= tol) {
		t.Errorf("%s: max abs error %.3g at %d (got %.15g, want %.15g), tolerance %.3g", what, worst, at, got[at], want[at], tol)
	}
}

func TestGoldenDrNASConcentration(t *testing.T) {
	c := loadMixing(t)["mixing/drnas_concentration"]
	alpha, up := c.Inputs[0].Data, c.Upstream.Data
	out, grad := make([]float64, len(alpha)), make([]float64, len(alpha))
	for i, a := range alpha {
		out[i] = Concentration(a)
		grad[i] = up[i] * ConcentrationDeriv(a)
	}
	compareTo(t, "elu(α)+1", out, c.Output.Data, goldenTol)
	compareTo(t, "dL/dα", grad, c.GradInputs[0].Data, goldenTol)
}

// TestGoldenDrNASKL checks DrNASKL against the drnas_kl cases. The values
// agree to the storage rounding; the gradients only to ~3e-10: PyTorch
// 1.13's trigamma (calc_trigamma) shifts x to ≥ 6 and stops its asymptotic
// series after the 1/(42x⁷) term, a relative error of about 3e-10 at these
// concentrations (the omitted 1/(30x⁹) term). TestKLAgainstExact holds the
// same gradients to 1e-14 against mpmath, so the slack here is PyTorch's.
func TestGoldenDrNASKL(t *testing.T) {
	m := loadMixing(t)
	for _, name := range []string{"mixing/drnas_kl/nb201", "mixing/drnas_kl/darts"} {
		c := m[name]
		if c.RegScale == 0 || len(c.Inputs) == 0 {
			t.Fatalf("%s: missing from mixing_cases.json", name)
		}
		up := c.Upstream.Data[0]
		var total float64
		for k, in := range c.Inputs {
			grad := make([]float64, len(in.Data))
			r, err := DrNASKL(in.Data, in.Shape[1], c.RegScale, grad)
			if err != nil {
				t.Fatal(err)
			}
			total += r
			for i := range grad {
				grad[i] *= up
			}
			compareTo(t, fmt.Sprintf("%s dL/d(input %d)", name, k), grad, c.GradInputs[k].Data, 1e-9)
		}
		compareTo(t, name+" value", []float64{total}, c.Output.Data, goldenTol*math.Max(1, math.Abs(total)))
	}
}

// TestGoldenGumbelConventions uses the SNAS and GDAS cases' noise: the golden
// file stores g and its checker feeds SNAS u = exp(−exp(−g)) and GDAS
// E = exp(−g); both of this package's conventions must give g back, and with
// it SNAS's soft weights softmax((α + g)/τ) and GDAS's argmax.
func TestGoldenGumbelConventions(t *testing.T) {
	m := loadMixing(t)
	snas := m["mixing/snas"]
	alpha, g := snas.Inputs[0].Data, snas.Constants[0].Data
	cols := snas.Inputs[0].Shape[1]
	var worstU, worstE float64
	w := make([]float64, len(alpha))
	for i := range g {
		fromU := GumbelFromUniform(math.Exp(-math.Exp(-g[i])))
		fromE := GumbelFromExp(math.Exp(-g[i]))
		worstU = math.Max(worstU, math.Abs(fromU-g[i]))
		worstE = math.Max(worstE, math.Abs(fromE-g[i]))
		w[i] = (alpha[i] + fromU) / snas.Tau
	}
	// u = exp(−exp(−g)) rounds u, and the round trip amplifies it by
	// |dg/du| = 1/(u·log(1/u)), at most ~1e2 for these g.
	if worstU > 1e-12 || worstE > 1e-15 {
		t.Errorf("Gumbel round trip: from u off by %.3g, from E off by %.3g", worstU, worstE)
	}
	for r := 0; r < len(w)/cols; r++ {
		row := w[r*cols : (r+1)*cols]
		top := math.Inf(-1)
		for _, v := range row {
			top = math.Max(top, v)
		}
		var s float64
		for i, v := range row {
			row[i] = math.Exp(v - top)
			s += row[i]
		}
		for i := range row {
			row[i] /= s
		}
	}
	compareTo(t, "SNAS softmax((α+g)/τ)", w, snas.Output.Data, goldenTol)

	gdas := m["mixing/gdas"]
	alpha, g = gdas.Inputs[0].Data, gdas.Constants[0].Data
	cols = gdas.Inputs[0].Shape[1]
	for r := 0; r < len(alpha)/cols; r++ {
		best, at := math.Inf(-1), -1
		for k := 0; k < cols; k++ {
			// AutoDL: g = −log E; argmax of log_softmax(α) + g = argmax α + g.
			if v := alpha[r*cols+k] + GumbelFromExp(math.Exp(-g[r*cols+k])); v > best {
				best, at = v, k
			}
		}
		if at != gdas.Index[r] {
			t.Errorf("GDAS row %d: argmax %d, golden index %d", r, at, gdas.Index[r])
		}
	}
}

// TestMixingCasesMatchShared checks that testdata/mixing_cases.json is still
// what testdata/extract_mixing.py takes from the shared golden file, when
// that file is found beside the repository (../../../shared/golden, as on
// the developers' machines and in CI); otherwise it skips.
func TestMixingCasesMatchShared(t *testing.T) {
	const shared = "../../../shared/golden/wave2.json"
	b, err := os.ReadFile(shared)
	if err != nil {
		t.Skipf("shared golden file not found (%v): nothing to compare", err)
	}
	var src struct {
		Cases []json.RawMessage `json:"cases"`
	}
	if err := json.Unmarshal(b, &src); err != nil {
		t.Fatal(err)
	}
	byName := map[string]any{}
	for _, raw := range src.Cases {
		var c map[string]any
		if err := json.Unmarshal(raw, &c); err != nil {
			t.Fatal(err)
		}
		if name, _ := c["name"].(string); name != "" {
			byName[name] = c
		}
	}
	mine, err := os.ReadFile("testdata/mixing_cases.json")
	if err != nil {
		t.Fatal(err)
	}
	var local struct {
		Cases []map[string]any `json:"cases"`
	}
	if err := json.Unmarshal(mine, &local); err != nil {
		t.Fatal(err)
	}
	for _, c := range local.Cases {
		name, _ := c["name"].(string)
		want, ok := byName[name]
		if !ok {
			t.Errorf("%s: not in %s", name, shared)
			continue
		}
		if !reflect.DeepEqual(c, want) {
			t.Errorf("%s differs from %s: re-run testdata/extract_mixing.py", name, shared)
		}
	}
}
