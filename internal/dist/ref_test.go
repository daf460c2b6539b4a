package dist

import (
	"encoding/json"
	"math"
	"os"
	"testing"
)

type invRef struct {
	A, U, Logz, Z, Dlogzda, Dzda float64
}

// gammaRef is testdata/gamma_ref.json, made by testdata/gen_gamma_ref.py
// with mpmath at 50 digits (every input a float64 used exactly).
type gammaRef struct {
	P []struct {
		A, X, P, Q, Dpda float64
	} `json:"p"`
	Inv    []invRef `json:"inv"`
	InvExt []invRef `json:"inv_ext"`
	Psi    []struct {
		X, Digamma, Trigamma float64
	} `json:"psi"`
}

func loadGammaRef(t testing.TB) *gammaRef {
	t.Helper()
	b, err := os.ReadFile("testdata/gamma_ref.json")
	if err != nil {
		t.Fatal(err)
	}
	var r gammaRef
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	if len(r.P) == 0 || len(r.Inv) == 0 || len(r.InvExt) == 0 || len(r.Psi) == 0 {
		t.Fatal("gamma_ref.json: empty table")
	}
	return &r
}

// relErr is |got − want|/|want| (|got − want| where want is 0), NaN-safe:
// a NaN got gives +Inf.
func relErr(got, want float64) float64 {
	d := math.Abs(got - want)
	if want != 0 {
		d /= math.Abs(want)
	}
	if math.IsNaN(d) {
		return math.Inf(1)
	}
	return d
}

// worst tracks the largest error of a family of checks and where it was.
type worst struct {
	err float64
	at  string
}

func (w *worst) add(err float64, at string) {
	if err > w.err || math.IsInf(err, 1) {
		w.err, w.at = err, at
	}
}

func (w *worst) check(t *testing.T, what string, tol float64) {
	t.Helper()
	t.Logf("%s: worst relative error %.3g at %s", what, w.err, w.at)
	if !(w.err <= tol) {
		t.Errorf("%s: worst relative error %.3g at %s, tolerance %.3g", what, w.err, w.at, tol)
	}
}
