package rundir

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/darts-go/darts/space"
)

// TensorAlphas is one architecture tensor on a line of alphas.jsonl: its
// name, its parameter's name, the cell type whose edges are its rows, each
// row's edge as [node, input] (see space.Edge), the column labels (the ops,
// or one label for per-edge tensors), the raw values (alpha) and the
// deterministic weights of the search's relaxation (softmax(alpha) for
// DARTS), which derivation and the plots read.
type TensorAlphas struct {
	Name    string      `json:"name"`
	Param   string      `json:"param,omitempty"`
	Cell    string      `json:"cell"`
	Rows    [][2]int    `json:"rows"`
	Cols    []string    `json:"cols"`
	Alpha   [][]float64 `json:"alpha,omitempty"`
	Weights [][]float64 `json:"weights"`
}

// Alphas is one line of alphas.jsonl: the architecture tensors after an
// epoch (epoch 0 is the initialization), with the search space they belong
// to (topology of every cell type, candidate ops) and the derivation rule
// of the search, so that a line alone can be derived and drawn:
//
//	{"epoch": 3, "space": {"name": "darts", "ops": [...], "cells": [{"name": "normal", "cell": {"inputs": 2, ...}}, ...]},
//	 "rule": "darts", "primitives": [...],
//	 "tensors": [{"name": "normal", "param": "alphas_normal", "cell": "normal", "rows": [[0, 0], [0, 1], ...],
//	              "cols": ["none", ...], "alpha": [[...], ...], "weights": [[...], ...]}, ...]}
//
// Lines of darts-go 0.1 ({"epoch", "primitives", "normal": {"alpha",
// "weights"}, "reduce": {...}}) are read as the DARTS space with tensors
// "normal" and "reduce" and the DARTS rule.
type Alphas struct {
	Epoch      int            `json:"epoch"`
	Space      space.Space    `json:"space"`
	Rule       string         `json:"rule"`
	Primitives []string       `json:"primitives"` // the space's ops (kept for older readers)
	Tensors    []TensorAlphas `json:"tensors"`
}

// Tensor returns the tensor called name.
func (a Alphas) Tensor(name string) (TensorAlphas, bool) {
	i := slices.IndexFunc(a.Tensors, func(t TensorAlphas) bool { return t.Name == name })
	if i < 0 {
		return TensorAlphas{}, false
	}
	return a.Tensors[i], true
}

// CellWeights maps every cell type of the space to the weights of its op
// tensor (the tensor of the cell's own name, whose columns are the ops),
// each row multiplied by its edge's weight when the space has an edge
// tensor for the cell (PC-DARTS's genotype(): softmax(α) times the
// normalized β): what a derivation rule reads.
func (a Alphas) CellWeights() map[string][][]float64 {
	m := map[string][][]float64{}
	for _, c := range a.Space.Cells {
		t, ok := a.Tensor(c.Name)
		if !ok {
			continue
		}
		w := t.Weights
		if et, ok := a.Space.EdgeTensorOf(c.Name); ok {
			if e, ok := a.Tensor(et.Name); ok && len(e.Weights) == len(w) {
				w = make([][]float64, len(t.Weights))
				for i, row := range t.Weights {
					w[i] = make([]float64, len(row))
					for k, v := range row {
						w[i][k] = v * e.Weights[i][0]
					}
				}
			}
		}
		m[c.Name] = w
	}
	return m
}

// legacyAlphas is a line of darts-go 0.1's alphas.jsonl.
type legacyAlphas struct {
	Normal *legacyCell `json:"normal"`
	Reduce *legacyCell `json:"reduce"`
}

type legacyCell struct {
	Alpha   [][]float64 `json:"alpha"`
	Weights [][]float64 `json:"weights"`
}

// fromLegacy converts a darts-go 0.1 line into the DARTS space's form.
func (a *Alphas) fromLegacy(l legacyAlphas) error {
	if l.Normal == nil || len(l.Normal.Weights) == 0 {
		return errors.New("normal: no weights")
	}
	if l.Reduce == nil || len(l.Reduce.Weights) == 0 {
		return errors.New("reduce: no weights")
	}
	if len(l.Normal.Weights) != len(l.Reduce.Weights) {
		return fmt.Errorf("normal has %d edges but reduce has %d", len(l.Normal.Weights), len(l.Reduce.Weights))
	}
	steps, err := space.DARTSSteps(len(l.Normal.Weights))
	if err != nil {
		return fmt.Errorf("normal: %w", err)
	}
	a.Space = space.DARTS(steps, steps, a.Primitives)
	a.Rule = "darts"
	for _, ct := range a.Space.Cells {
		c := l.Normal
		if ct.Name == "reduce" {
			c = l.Reduce
		}
		a.Tensors = append(a.Tensors, TensorAlphas{Name: ct.Name, Param: "alphas_" + ct.Name, Cell: ct.Name,
			Rows: EdgeRows(ct.Cell), Cols: slices.Clone(a.Primitives), Alpha: c.Alpha, Weights: c.Weights})
	}
	return nil
}

// EdgeRows lists the edges of c as [node, input] rows.
func EdgeRows(c space.Cell) [][2]int {
	rows := make([][2]int, len(c.Edges))
	for i, e := range c.Edges {
		rows[i] = [2]int{e.Node, e.Input}
	}
	return rows
}

// ReadAlphas reads alphas.jsonl at path; see DecodeAlphas.
func ReadAlphas(path string) ([]Alphas, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("rundir: %w", err)
	}
	defer f.Close()
	return DecodeAlphas(f, path)
}

// DecodeAlphas parses alphas.jsonl from r; name identifies r in errors.
// Besides valid JSON, every line must have an "epoch", a valid space (or
// be a darts-go 0.1 line), the same space and tensors as the first line,
// and every tensor one row per edge of its cell type and one value per
// column in each row of weights (and alpha, when present). Errors and the
// returned lines are as for DecodeMetrics: the lines before the first bad
// one are always returned.
func DecodeAlphas(r io.Reader, name string) ([]Alphas, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("rundir: read %s: %w", name, err)
	}
	var out []Alphas
	firstLine := 0
	err = eachLine(data, name, func(n int, line []byte) error {
		var a struct {
			Alphas
			Epoch *int `json:"epoch"`
			legacyAlphas
		}
		if err := json.Unmarshal(line, &a); err != nil {
			return err
		}
		if a.Epoch == nil {
			return errors.New(`no "epoch" field`)
		}
		a.Alphas.Epoch = *a.Epoch
		if len(a.Primitives) == 0 && a.Space.Name == "" {
			return errors.New(`no "primitives"`)
		}
		if a.Space.Name == "" {
			if err := a.Alphas.fromLegacy(a.legacyAlphas); err != nil {
				return err
			}
		}
		if err := a.Alphas.check(); err != nil {
			return err
		}
		if len(out) == 0 {
			firstLine = n
		} else if err := sameShape(out[0], a.Alphas); err != nil {
			return fmt.Errorf("%w, unlike line %d", err, firstLine)
		}
		out = append(out, a.Alphas)
		return nil
	})
	return out, wrapLineErr(err)
}

// check validates one line on its own.
func (a Alphas) check() error {
	if err := a.Space.Validate(); err != nil {
		return err
	}
	if a.Rule == "" {
		return errors.New(`no "rule"`)
	}
	if len(a.Tensors) == 0 {
		return errors.New("no tensors")
	}
	for i, t := range a.Tensors {
		if t.Name == "" || slices.ContainsFunc(a.Tensors[:i], func(u TensorAlphas) bool { return u.Name == t.Name }) {
			return fmt.Errorf("tensor %d: missing or repeated name %q", i, t.Name)
		}
		ct, ok := a.Space.CellType(t.Cell)
		if !ok {
			return fmt.Errorf("%s: cell %q is not a cell type of space %s", t.Name, t.Cell, a.Space.Name)
		}
		if len(t.Weights) == 0 {
			return fmt.Errorf("%s: no weights", t.Name)
		}
		if len(t.Weights) != len(ct.Cell.Edges) || !slices.Equal(t.Rows, EdgeRows(ct.Cell)) {
			return fmt.Errorf("%s: %d rows (%v), want one per edge of the %s cell (%d edges)", t.Name, len(t.Weights), abbrevRows(t.Rows), ct.Name, len(ct.Cell.Edges))
		}
		if len(t.Alpha) != 0 && len(t.Alpha) != len(t.Weights) {
			return fmt.Errorf("%s: %d alpha rows but %d weight rows", t.Name, len(t.Alpha), len(t.Weights))
		}
		if len(t.Cols) == 0 {
			return fmt.Errorf("%s: no columns", t.Name)
		}
		for i := range t.Weights {
			if n := len(t.Weights[i]); n != len(t.Cols) {
				return fmt.Errorf("%s weights row %d: %d values, want %d (one per column)", t.Name, i, n, len(t.Cols))
			}
			if len(t.Alpha) > 0 && len(t.Alpha[i]) != len(t.Cols) {
				return fmt.Errorf("%s alpha row %d: %d values, want %d (one per column)", t.Name, i, len(t.Alpha[i]), len(t.Cols))
			}
		}
	}
	for _, c := range a.Space.Cells {
		t, ok := a.Tensor(c.Name)
		if !ok {
			return fmt.Errorf("no tensor for the %s cell", c.Name)
		}
		if !slices.Equal(t.Cols, a.Space.Ops) {
			return fmt.Errorf("%s: columns %q differ from the space's ops %q", t.Name, t.Cols, a.Space.Ops)
		}
	}
	for _, x := range a.Space.Extra {
		t, ok := a.Tensor(x.Name)
		if !ok {
			return fmt.Errorf("no tensor %s, which the space declares", x.Name)
		}
		if t.Cell != x.Cell || !slices.Equal(t.Cols, x.Cols) {
			return fmt.Errorf("%s: cell %q, columns %q; the space declares cell %q, columns %q", t.Name, t.Cell, t.Cols, x.Cell, x.Cols)
		}
	}
	return nil
}

// sameShape reports how b's space or tensors differ from a's.
func sameShape(a, b Alphas) error {
	if !slices.Equal(a.Space.Ops, b.Space.Ops) {
		return fmt.Errorf("primitives %q differ", b.Space.Ops)
	}
	ja, _ := json.Marshal(a.Space)
	jb, _ := json.Marshal(b.Space)
	if string(ja) != string(jb) {
		return fmt.Errorf("space %s differs", jb)
	}
	if len(a.Tensors) != len(b.Tensors) {
		return fmt.Errorf("%d tensors", len(b.Tensors))
	}
	for i := range a.Tensors {
		if a.Tensors[i].Name != b.Tensors[i].Name || !slices.Equal(a.Tensors[i].Cols, b.Tensors[i].Cols) {
			return fmt.Errorf("tensor %d is %s %q", i, b.Tensors[i].Name, b.Tensors[i].Cols)
		}
	}
	return nil
}

func abbrevRows(rows [][2]int) string {
	if len(rows) > 4 {
		return fmt.Sprintf("%v ... (%d)", rows[:4], len(rows))
	}
	return fmt.Sprint(rows)
}
