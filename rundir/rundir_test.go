package rundir

import (
	"bytes"
	"encoding/json"
	"errors"
	"github.com/darts-go/darts/space"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func ptr(v float64) *float64 { return &v }

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config.json")
	for _, tc := range []struct {
		data string
		perm os.FileMode
	}{
		{"first", 0o644},
		{"second, longer than the first", 0o600}, // overwrite
		{"", 0o640},                              // empty file
	} {
		if err := WriteFileAtomic(path, []byte(tc.data), tc.perm); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != tc.data {
			t.Errorf("content = %q, want %q", got, tc.data)
		}
		st, _ := os.Stat(path)
		if st.Mode().Perm() != tc.perm {
			t.Errorf("perm = %v, want %v", st.Mode().Perm(), tc.perm)
		}
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("directory holds %d entries, want only config.json (temp file left behind?)", len(ents))
	}
	bad := filepath.Join(dir, "no-such-dir", "x.json")
	err := WriteFileAtomic(bad, []byte("x"), 0o644)
	if err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("write into missing directory: err = %v, want one naming %s", err, bad)
	}
}

func TestWriteJSON(t *testing.T) {
	path := filepath.Join(t.TempDir(), "genotype.json")
	v := map[string]any{"normal_concat": []int{2, 3, 4, 5}}
	if err := WriteJSON(path, v); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	if !bytes.HasSuffix(b, []byte("}\n")) || !bytes.Contains(b, []byte("\n  \"normal_concat\"")) {
		t.Errorf("not indented JSON ending in a newline: %q", b)
	}
	var back map[string][]int
	if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back["normal_concat"], []int{2, 3, 4, 5}) {
		t.Errorf("round trip: %v, %v", back, err)
	}
	if err := WriteJSON(path, func() {}); err == nil {
		t.Error("WriteJSON of a func: no error")
	}
}

func TestPaths(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{ConfigPath("r"), filepath.Join("r", "config.json")},
		{MetricsPath("r"), filepath.Join("r", "metrics.jsonl")},
		{AlphasPath("r"), filepath.Join("r", "alphas.jsonl")},
		{GenotypeJSONPath("r"), filepath.Join("r", "genotype.json")},
		{GenotypeTextPath("r"), filepath.Join("r", "genotype.txt")},
		{PlotsPath("r"), filepath.Join("r", "plots")},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

// TestAppendCrashRecovery simulates a crash in the middle of an append: the
// reader keeps the complete lines and warns, and the next append repairs the
// file instead of fusing its line with the fragment.
func TestAppendCrashRecovery(t *testing.T) {
	path := filepath.Join(t.TempDir(), MetricsFile)
	want := []Metrics{
		{Epoch: 1, TrainLoss: 2.3, TrainAcc: 0.1, ValLoss: 2.2, ValAcc: 0.12, LR: 0.025, Seconds: 3.5},
		{Epoch: 2, TrainLoss: 1.9, TrainAcc: 0.3, ValLoss: 2.0, ValAcc: 0.25, LR: 0.02, Seconds: 3.4},
		{Epoch: 3, TrainLoss: 1.1, TrainAcc: 0.6, TestLoss: ptr(1.2), TestAcc: ptr(0), LR: 0.01, Seconds: 3.3},
	}
	for _, m := range want {
		if err := AppendJSONLine(path, m); err != nil {
			t.Fatal(err)
		}
	}
	got, err := ReadMetrics(path)
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("ReadMetrics = %+v, %v; want %+v", got, err, want)
	}
	full, _ := json.Marshal(Metrics{Epoch: 4, TrainLoss: 0.9})
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.Write(full[:len(full)/2]) // the crash
	f.Close()

	got, err = ReadMetrics(path)
	var te *TruncatedError
	if !errors.As(err, &te) || te.Line != 4 || te.File != path {
		t.Fatalf("after crash: err = %v, want *TruncatedError at %s line 4", err, path)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("after crash: lines = %+v, want the 3 complete ones", got)
	}

	next := Metrics{Epoch: 4, TrainLoss: 0.8, LR: 0.005}
	if err := AppendJSONLine(path, next); err != nil {
		t.Fatal(err)
	}
	got, err = ReadMetrics(path)
	if err != nil || !reflect.DeepEqual(got, append(want, next)) {
		t.Errorf("after repair: %+v, %v", got, err)
	}
}

func TestDecodeMetrics(t *testing.T) {
	for _, tc := range []struct {
		name      string
		in        string
		epochs    []int // epochs of the returned lines
		truncated bool
		errLine   int // line a *LineError must name; 0 for none
	}{
		{"empty", "", nil, false, 0},
		{"good", "{\"epoch\":0,\"lr\":0.1}\n{\"epoch\":1,\"lr\":0.1}\n", []int{0, 1}, false, 0},
		{"no final newline", `{"epoch":0}`, []int{0}, false, 0},
		{"blank lines", "\n{\"epoch\":0}\n\n{\"epoch\":5}\n\n", []int{0, 5}, false, 0},
		{"truncated last", "{\"epoch\":0}\n{\"epoch\":1}\n{\"epoch\":2,\"tra", []int{0, 1}, true, 0},
		{"truncated last then blank", "{\"epoch\":0}\n{\"ep\n\n", []int{0}, true, 0},
		{"bad middle", "{\"epoch\":0}\n{\"epo\n{\"epoch\":2}\n", []int{0}, false, 2},
		{"missing epoch", "{\"epoch\":0}\n{\"lr\":0.1}\n", []int{0}, false, 2},
		{"not an object", "[1,2]\n{\"epoch\":1}\n", nil, false, 1},
		{"wrong type", "{\"epoch\":\"one\"}\n{\"epoch\":1}\n", nil, false, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ms, err := DecodeMetrics(strings.NewReader(tc.in), "m.jsonl")
			var epochs []int
			for _, m := range ms {
				epochs = append(epochs, m.Epoch)
			}
			if !reflect.DeepEqual(epochs, tc.epochs) {
				t.Errorf("epochs = %v, want %v", epochs, tc.epochs)
			}
			var te *TruncatedError
			var le *LineError
			switch {
			case tc.truncated:
				if !errors.As(err, &te) {
					t.Errorf("err = %v, want *TruncatedError", err)
				}
			case tc.errLine > 0:
				if !errors.As(err, &le) || le.Line != tc.errLine || le.File != "m.jsonl" {
					t.Errorf("err = %v, want *LineError at line %d", err, tc.errLine)
				} else if !strings.Contains(err.Error(), "m.jsonl line") {
					t.Errorf("message %q does not name file and line", err)
				}
			case err != nil:
				t.Errorf("err = %v, want nil", err)
			}
		})
	}
}

// alphasLine builds a valid alphas.jsonl line with nEdges edges.
func alphasLine(epoch int, prims []string, nEdges int) string {
	row := make([]float64, len(prims))
	for i := range row {
		row[i] = 1 / float64(len(prims))
	}
	m := make([][]float64, nEdges)
	for i := range m {
		m[i] = row
	}
	cell := map[string]any{"alpha": m, "weights": m}
	b, _ := json.Marshal(map[string]any{"epoch": epoch, "primitives": prims, "normal": cell, "reduce": cell})
	return string(b) + "\n"
}

// newAlphasLine is alphasLine in the current format (space and tensors).
func newAlphasLine(epoch int, prims []string, nEdges int) string {
	as, err := DecodeAlphas(strings.NewReader(alphasLine(epoch, prims, nEdges)), "legacy")
	if err != nil {
		panic(err)
	}
	b, _ := json.Marshal(as[0])
	return string(b) + "\n"
}

func TestDecodeAlphas(t *testing.T) {
	p := []string{"none", "skip_connect", "sep_conv_3x3"}
	q := []string{"none", "skip_connect", "max_pool_3x3"}
	for _, tc := range []struct {
		name      string
		in        string
		n         int // number of returned lines
		truncated bool
		errLine   int
		errHas    string
	}{
		{"good", alphasLine(0, p, 14) + alphasLine(1, p, 14), 2, false, 0, ""},
		{"good, current format", newAlphasLine(0, p, 14) + newAlphasLine(1, p, 14), 2, false, 0, ""},
		{"formats mixed", alphasLine(0, p, 14) + newAlphasLine(1, p, 14), 2, false, 0, ""},
		{"truncated", alphasLine(0, p, 14) + alphasLine(1, p, 14)[:40], 1, true, 0, ""},
		{"primitives differ", alphasLine(0, p, 14) + alphasLine(1, p, 14) + alphasLine(2, q, 14), 2, false, 3, "differ, unlike line 1"},
		{"primitive count differs", alphasLine(0, p, 14) + alphasLine(1, p[:2], 14), 1, false, 2, "differ"},
		{"edge count differs", alphasLine(0, p, 14) + alphasLine(1, p, 9), 1, false, 2, "differs, unlike line 1"},
		{"no primitives", alphasLine(0, nil, 14), 0, false, 1, "primitives"},
		{"not a cell's edge count", alphasLine(0, p, 13), 0, false, 1, "13 edges is not"},
		{"short row", alphasLine(0, p, 2) + `{"epoch":1,"primitives":["none","skip_connect","sep_conv_3x3"],"normal":{"weights":[[1,0,0],[1,0]]},"reduce":{"weights":[[1,0,0],[1,0,0]]}}` + "\n", 1, false, 2, "normal weights row 1: 2 values, want 3"},
		{"alpha rows differ", `{"epoch":0,"primitives":["none"],"normal":{"alpha":[[1]],"weights":[[1],[1]]},"reduce":{"weights":[[1],[1]]}}` + "\n", 0, false, 1, "alpha rows"},
		{"no reduce", `{"epoch":0,"primitives":["none"],"normal":{"weights":[[1]]}}` + "\n", 0, false, 1, "reduce: no weights"},
		{"unknown op", alphasLine(0, []string{"conv_9x9"}, 2), 0, false, 1, `unknown op "conv_9x9"`},
		{"tensor rows", strings.Replace(newAlphasLine(0, p, 2), `"rows":[[0,0],[0,1]]`, `"rows":[[0,1],[0,0]]`, 1), 0, false, 1, "want one per edge"},
		{"no rule", strings.Replace(newAlphasLine(0, p, 2), `"rule":"darts"`, `"rule":""`, 1), 0, false, 1, `no "rule"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			as, err := DecodeAlphas(strings.NewReader(tc.in), "a.jsonl")
			if len(as) != tc.n {
				t.Errorf("returned %d lines, want %d", len(as), tc.n)
			}
			var te *TruncatedError
			var le *LineError
			switch {
			case tc.truncated:
				if !errors.As(err, &te) {
					t.Errorf("err = %v, want *TruncatedError", err)
				}
			case tc.errLine > 0:
				if !errors.As(err, &le) || le.Line != tc.errLine || !strings.Contains(err.Error(), tc.errHas) {
					t.Errorf("err = %v, want *LineError at line %d containing %q", err, tc.errLine, tc.errHas)
				}
			case err != nil:
				t.Errorf("err = %v, want nil", err)
			}
		})
	}
}

func TestReadMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), AlphasFile)
	if _, err := ReadAlphas(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("ReadAlphas of missing file: %v, want ErrNotExist", err)
	}
	if _, err := ReadMetrics(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("ReadMetrics of missing file: %v, want ErrNotExist", err)
	}
}

func TestTruncateJSONL(t *testing.T) {
	lines := "{\"epoch\":0}\n{\"epoch\":1}\n{\"epoch\":2}\n{\"epoch\":3}\n"
	for _, tc := range []struct {
		name     string
		in       string
		maxEpoch int
		want     string // file content afterwards
		wantErr  bool
	}{
		{"keep prefix", lines, 1, "{\"epoch\":0}\n{\"epoch\":1}\n", false},
		{"keep all", lines, 3, lines, false},
		{"keep none", lines, -1, "", false},
		{"drops partial last", lines + "{\"epo", 3, lines, false},
		{"unordered", "{\"epoch\":0}\n{\"epoch\":5}\n{\"epoch\":1}\n", 1, "{\"epoch\":0}\n{\"epoch\":1}\n", false},
		{"bad middle line", "{\"epoch\":0}\n{\"ep\n{\"epoch\":2}\n", 1, "{\"epoch\":0}\n{\"ep\n{\"epoch\":2}\n", true},
		{"no epoch", "{\"epoch\":0}\n{\"lr\":1}\n", 1, "{\"epoch\":0}\n{\"lr\":1}\n", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "m.jsonl")
			os.WriteFile(path, []byte(tc.in), 0o600)
			err := TruncateJSONL(path, tc.maxEpoch)
			if (err != nil) != tc.wantErr {
				t.Errorf("err = %v, want error: %v", err, tc.wantErr)
			}
			if err != nil && !strings.Contains(err.Error(), path) {
				t.Errorf("error %q does not name the file", err)
			}
			got, _ := os.ReadFile(path)
			if string(got) != tc.want {
				t.Errorf("file = %q, want %q", got, tc.want)
			}
			if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
				t.Errorf("perm = %v, want 0600 kept", st.Mode().Perm())
			}
		})
	}
	if err := TruncateJSONL(filepath.Join(t.TempDir(), "none.jsonl"), 3); err != nil {
		t.Errorf("missing file: %v, want nil", err)
	}
}

func FuzzDecodeMetrics(f *testing.F) {
	f.Add([]byte("{\"epoch\":0,\"lr\":0.1}\n{\"epoch\":1,\"test_acc\":0.5}\n"))
	f.Add([]byte("{\"epoch\":0}\n{\"ep"))
	f.Add([]byte("\n\n[]\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		ms, err := DecodeMetrics(bytes.NewReader(in), "fuzz")
		var te *TruncatedError
		if err != nil && !errors.As(err, &te) {
			return
		}
		// Whatever was accepted must survive a write and a read unchanged.
		var buf bytes.Buffer
		for _, m := range ms {
			b, _ := json.Marshal(m)
			buf.Write(append(b, '\n'))
		}
		back, err := DecodeMetrics(&buf, "again")
		if err != nil || len(back) != len(ms) {
			t.Fatalf("re-decode: %d lines, %v; want %d", len(back), err, len(ms))
		}
	})
}

func FuzzDecodeAlphas(f *testing.F) {
	f.Add([]byte(alphasLine(0, []string{"none", "skip_connect"}, 2) + alphasLine(1, []string{"none", "skip_connect"}, 2)))
	f.Add([]byte(alphasLine(0, []string{"none"}, 2) + "{\"epoch\":1,\"pri"))
	f.Add([]byte(newAlphasLine(0, []string{"none", "skip_connect", "sep_conv_3x3"}, 5)))
	f.Add([]byte(edgeAlphasLine(0, []float64{0.7, 0.3, 0.2, 0.5, 0.3})))
	f.Fuzz(func(t *testing.T, in []byte) {
		as, err := DecodeAlphas(bytes.NewReader(in), "fuzz")
		for i, a := range as {
			if len(a.Space.Ops) == 0 || len(a.Tensors) == 0 {
				t.Fatalf("line %d accepted without ops or tensors: %+v (err %v)", i, a, err)
			}
			for _, ten := range a.Tensors {
				ct, ok := a.Space.CellType(ten.Cell)
				if !ok || len(ten.Weights) != len(ct.Cell.Edges) {
					t.Fatalf("line %d: tensor %s accepted with %d rows", i, ten.Name, len(ten.Weights))
				}
				for _, row := range ten.Weights {
					if len(row) != len(ten.Cols) {
						t.Fatalf("accepted a row of %d values for %d columns", len(row), len(ten.Cols))
					}
				}
			}
			// What was read writes back and reads again the same.
			b, _ := json.Marshal(a)
			back, err := DecodeAlphas(bytes.NewReader(append(b, '\n')), "again")
			if err != nil || len(back) != 1 {
				t.Fatalf("re-decode of %s: %v", b, err)
			}
		}
	})
}

// edgeAlphasLine is a line of a 2-node DARTS space over none, skip_connect
// and sep_conv_3x3 with edge tensors (PC-DARTS), every op row [0.2, 0.5,
// 0.3] and both edge tensors' weights beta.
func edgeAlphasLine(epoch int, beta []float64) string {
	sp := space.DARTS(2, 2, []string{"none", "skip_connect", "sep_conv_3x3"}).WithEdgeTensors()
	a := Alphas{Epoch: epoch, Space: sp, Rule: "darts", Primitives: sp.Ops}
	for _, x := range sp.Tensors() {
		ct, _ := sp.CellType(x.Cell)
		var w [][]float64
		for e := range ct.Cell.Edges {
			if x.Kind == space.KindEdge {
				w = append(w, []float64{beta[e]})
			} else {
				w = append(w, []float64{0.2, 0.5, 0.3})
			}
		}
		a.Tensors = append(a.Tensors, TensorAlphas{Name: x.Name, Param: x.Param, Cell: x.Cell, Rows: EdgeRows(ct.Cell), Cols: x.Cols, Weights: w})
	}
	b, _ := json.Marshal(a)
	return string(b) + "\n"
}

// TestEdgeTensorWeights: a line with PC-DARTS's edge tensors reads back
// with them, and CellWeights multiplies every op row by its edge's weight;
// a line whose space declares an edge tensor it lacks is rejected.
func TestEdgeTensorWeights(t *testing.T) {
	beta := []float64{0.7, 0.3, 0.2, 0.5, 0.3}
	as, err := DecodeAlphas(strings.NewReader(edgeAlphasLine(0, beta)), "pc")
	if err != nil {
		t.Fatal(err)
	}
	if len(as[0].Tensors) != 4 {
		t.Fatalf("%d tensors, want 4", len(as[0].Tensors))
	}
	for cell, w := range as[0].CellWeights() {
		for e, row := range w {
			for k, v := range row {
				if want := []float64{0.2, 0.5, 0.3}[k] * beta[e]; v != want {
					t.Errorf("%s edge %d op %d: %v, want %v", cell, e, k, v, want)
				}
			}
		}
	}
	var a Alphas
	if err := json.Unmarshal([]byte(edgeAlphasLine(0, beta)), &a); err != nil {
		t.Fatal(err)
	}
	a.Tensors = a.Tensors[:3]
	b, _ := json.Marshal(a)
	if _, err := DecodeAlphas(bytes.NewReader(append(b, '\n')), "pc"); err == nil || !strings.Contains(err.Error(), "no tensor beta_reduce") {
		t.Errorf("line without beta_reduce: %v", err)
	}
}
