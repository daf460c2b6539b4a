package dist

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"testing"
)

// klRef is testdata/kl_ref.json from testdata/gen_kl_ref.py (mpmath).
type klRef struct {
	Golden []struct {
		Case     string    `json:"case"`
		Cols     int       `json:"cols"`
		RegScale float64   `json:"reg_scale"`
		Alpha    []float64 `json:"alpha"`
		Value    float64   `json:"value"`
		Grad     []float64 `json:"grad"`
	} `json:"golden"`
	KL []struct {
		C     []float64 `json:"c"`
		Value float64   `json:"value"`
		Grad  []float64 `json:"grad"`
	} `json:"kl"`
}

func loadKLRef(t *testing.T) *klRef {
	t.Helper()
	b, err := os.ReadFile("testdata/kl_ref.json")
	if err != nil {
		t.Fatal(err)
	}
	var r klRef
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	if len(r.Golden) != 3 || len(r.KL) == 0 {
		t.Fatalf("kl_ref.json: %d golden tensors, %d KL cases", len(r.Golden), len(r.KL))
	}
	return &r
}

// TestKLAgainstExact holds KLDirichletUniform and DrNASKL (value and
// gradient) to 40-digit mpmath values, for the golden drnas_kl tensors and
// for concentrations from 1e-3 to 1e4. Errors are measured against
// max(1, |value|) and max(1, largest |gradient entry|), and the value's
// that of KLDirichletUniform in units of the closed form's own cancellation: its log Γ terms
// grow like c·log c (3.6e5 at c = 1e4) while the KL stays small, so a
// float64 evaluation is good to ε·(|log Γ(c₀)| + Σ|log Γ(cᵢ)|) absolutely.
func TestKLAgainstExact(t *testing.T) {
	ref := loadKLRef(t)
	var wv, wc, wg worst
	for _, c := range ref.Golden {
		grad := make([]float64, len(c.Alpha))
		v, err := DrNASKL(c.Alpha, c.Cols, c.RegScale, grad)
		if err != nil {
			t.Fatal(err)
		}
		wv.add(relErr(v, c.Value), c.Case)
		wg.add(maxScaledErr(grad, c.Grad), c.Case)
	}
	for _, c := range ref.KL {
		grad := make([]float64, len(c.C))
		v, err := KLDirichletUniform(c.C, grad)
		if err != nil {
			t.Fatal(err)
		}
		at := fmt.Sprint(c.C)
		var c0, terms float64
		for _, ci := range c.C {
			c0 += ci
			terms += math.Abs(lgamma(ci))
		}
		terms += math.Abs(lgamma(c0))
		// In units of the tolerance 1e-13·max(1, |KL|) + 4ε·Σ|log Γ|.
		d := math.Abs(v - c.Value)
		wc.add(d/(1e-13*math.Max(1, math.Abs(c.Value))+4*0x1p-52*terms), at)
		wg.add(maxScaledErr(grad, c.Grad), at)
	}
	wv.check(t, "DrNAS KL value (relative)", 1e-13)
	wc.check(t, "KL value (in units of 1e-13·max(1, |KL|) + 4ε·Σ|log Γ|)", 1)
	wg.check(t, "KL gradient (relative to max(1, its largest entry))", 1e-13)
}

// maxScaledErr is max |got − want| / max(1, max |want|).
func maxScaledErr(got, want []float64) float64 {
	d, m := 0.0, 1.0
	for i := range want {
		d = math.Max(d, math.Abs(got[i]-want[i]))
		m = math.Max(m, math.Abs(want[i]))
	}
	if math.IsNaN(d) || len(got) != len(want) {
		return math.Inf(1)
	}
	return d / m
}

// TestKLFiniteDifference holds the KL gradient in c, and DrNASKL's in α, to
// central differences (h = 1e-6 relative).
func TestKLFiniteDifference(t *testing.T) {
	var wc, wa worst
	for _, c := range [][]float64{{1, 1, 1}, {0.3, 2, 5}, {0.01, 0.2, 1, 7, 40}, {1e-3, 1e-3}} {
		g := make([]float64, len(c))
		if _, err := KLDirichletUniform(c, g); err != nil {
			t.Fatal(err)
		}
		for j := range c {
			h := 1e-6 * c[j]
			cp, cm := append([]float64(nil), c...), append([]float64(nil), c...)
			cp[j] += h
			cm[j] -= h
			kp, _ := KLDirichletUniform(cp, nil)
			km, _ := KLDirichletUniform(cm, nil)
			fd := (kp - km) / (2 * h)
			wc.add(math.Abs(g[j]-fd)/math.Max(1, math.Abs(fd)), fmt.Sprintf("c=%v j=%d", c, j))
		}
	}
	alpha := []float64{-0.8, 0.3, 1.7, -2.5, 0.05, 0.9, -0.2, 2.2}
	g := make([]float64, len(alpha))
	if _, err := DrNASKL(alpha, 4, 0.7, g); err != nil {
		t.Fatal(err)
	}
	for j := range alpha {
		h := 1e-6
		ap, am := append([]float64(nil), alpha...), append([]float64(nil), alpha...)
		ap[j] += h
		am[j] -= h
		rp, _ := DrNASKL(ap, 4, 0.7, nil)
		rm, _ := DrNASKL(am, 4, 0.7, nil)
		fd := (rp - rm) / (2 * h)
		wa.add(math.Abs(g[j]-fd)/math.Max(1, math.Abs(fd)), fmt.Sprintf("alpha[%d]=%g", j, alpha[j]))
	}
	wc.check(t, "dKL/dc vs finite differences", 1e-7)
	wa.check(t, "dR/dα vs finite differences", 1e-7)
}

// TestKLMonteCarlo checks the closed form against its definition,
// KL = E_x~Dir(c)[log Dir(x; c) − log Dir(x; 1)], estimated from this
// package's own Dirichlet draws (so it also ties the sampler to the
// density), within 5 standard errors; and that the estimate rejects the KL
// of c + ½.
func TestKLMonteCarlo(t *testing.T) {
	const n = 20000
	for i, c := range [][]float64{{0.5, 2, 3.5, 1}, {4, 4}, {0.3, 0.3, 0.3}} {
		k := len(c)
		var c0, lnorm float64
		for _, ci := range c {
			c0 += ci
			lnorm -= lgamma(ci)
		}
		// log Dir(x; c) − log Dir(x; 1) = log Γ(c₀) − Σ log Γ(cᵢ) −
		// log Γ(K) + Σ (cᵢ − 1) log xᵢ.
		lnorm += lgamma(c0) - lgamma(float64(k))
		xs := dirichletDraws(t, c, n, Key(TagDrNAS, 31, uint64(i)), dirichletDraw)
		vals := make([]float64, n)
		for r := 0; r < n; r++ {
			v := lnorm
			for j, cj := range c {
				v += (cj - 1) * math.Log(xs[r*k+j])
			}
			vals[r] = v
		}
		m, _, se, _ := meanVar(vals)
		want, err := KLDirichletUniform(c, nil)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(m-want) > zTol*se {
			t.Errorf("c=%v: Monte Carlo KL %.5g ± %.2g, closed form %.5g", c, m, se, want)
		}
		shifted := make([]float64, k)
		for j := range c {
			shifted[j] = c[j] + 0.5
		}
		if wrong, _ := KLDirichletUniform(shifted, nil); math.Abs(m-wrong) <= zTol*se {
			t.Errorf("negative control, c=%v: the KL of c+½ (%.5g) was not rejected (estimate %.5g ± %.2g)", c, wrong, m, se)
		}
	}
}

func TestKLProperties(t *testing.T) {
	for k := 1; k <= 9; k++ {
		ones := make([]float64, k)
		for i := range ones {
			ones[i] = 1
		}
		g := make([]float64, k)
		v, err := KLDirichletUniform(ones, g)
		if err != nil || math.Abs(v) > 1e-14 {
			t.Errorf("K=%d: KL(Dir(1)‖Dir(1)) = %v, %v; want 0", k, v, err)
		}
		for _, gi := range g {
			if math.Abs(gi) > 1e-14 {
				t.Errorf("K=%d: gradient at c = 1 is %v, want 0", k, g)
				break
			}
		}
	}
	if v, _ := KLDirichletUniform([]float64{0.2, 3, 9}, nil); !(v > 0) {
		t.Errorf("KL = %v, want > 0", v)
	}
	for _, bad := range [][]float64{nil, {1, 0}, {1, math.NaN()}, {math.Inf(1), 1}} {
		if _, err := KLDirichletUniform(bad, nil); err == nil {
			t.Errorf("KLDirichletUniform(%v): no error", bad)
		}
	}
	if _, err := KLDirichletUniform([]float64{1, 2}, make([]float64, 3)); err == nil {
		t.Error("KLDirichletUniform with a short gradient: no error")
	}
	if _, err := DrNASKL([]float64{1, 2, 3}, 2, 1, nil); err == nil {
		t.Error("DrNASKL with 3 values in rows of 2: no error")
	}
	if _, err := DrNASKL([]float64{1, -800}, 2, 1, nil); err == nil {
		t.Error("DrNASKL with a concentration underflowing to 0: no error")
	}
	if ConcentrationDeriv(0) != 1 || Concentration(0) != 1 || Concentration(2) != 3 || ConcentrationDeriv(-1) != math.Exp(-1) {
		t.Error("Concentration / ConcentrationDeriv at 0, 2, −1")
	}
}
