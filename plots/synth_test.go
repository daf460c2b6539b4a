package plots

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/darts-go/darts/rundir"
	"github.com/darts-go/darts/space"
)

var dartsOps = []string{"none", "max_pool_3x3", "avg_pool_3x3", "skip_connect",
	"sep_conv_3x3", "sep_conv_5x5", "dil_conv_3x3", "dil_conv_5x5"}

// risingOp is the op whose alpha grows on edge e of a synthetic search:
// skip_connect takes over more normal-cell edges as epochs pass (a collapse),
// convolutions win the rest.
func risingOp(cell string, e, epoch int) int {
	if cell == Normal && e%3 == 0 && epoch >= e/3 {
		return 3 // skip_connect
	}
	return 4 + (e+map[string]int{Normal: 0, Reduce: 1}[cell])%4
}

// synthAlphas returns alphas lines for epochs 0..epochs-1 (14 edges): all
// alphas start at 0; on each edge one op rises with time and edges with a
// larger index rise faster, so the derived genotype is unambiguous.
func synthAlphas(epochs int) []rundir.Alphas {
	sp := space.DARTS(4, 4, dartsOps)
	var out []rundir.Alphas
	for t := 0; t < epochs; t++ {
		a := rundir.Alphas{Epoch: t, Space: sp, Rule: "darts", Primitives: dartsOps}
		for _, cell := range []string{Normal, Reduce} {
			var alpha, weights [][]float64
			for e := 0; e < 14; e++ {
				row := make([]float64, len(dartsOps))
				for k := range row {
					row[k] = 0.02 * float64(t) * math.Sin(float64(k+e))
				}
				row[risingOp(cell, e, t)] += 0.15 * float64(t) * (1 + float64(e%5)/5)
				alpha = append(alpha, row)
				weights = append(weights, softmax(row))
			}
			ct, _ := sp.CellType(cell)
			a.Tensors = append(a.Tensors, rundir.TensorAlphas{Name: cell, Param: "alphas_" + cell, Cell: cell,
				Rows: rundir.EdgeRows(ct.Cell), Cols: dartsOps, Alpha: alpha, Weights: weights})
		}
		out = append(out, a)
	}
	return out
}

func softmax(x []float64) []float64 {
	m := math.Inf(-1)
	for _, v := range x {
		m = math.Max(m, v)
	}
	s := 0.0
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = math.Exp(v - m)
		s += out[i]
	}
	for i := range out {
		out[i] /= s
	}
	return out
}

func synthMetrics(epochs int, train bool) []rundir.Metrics {
	var out []rundir.Metrics
	for t := 1; t <= epochs; t++ {
		f := float64(t)
		m := rundir.Metrics{Epoch: t, TrainLoss: 2.3 / (1 + 0.4*f), TrainAcc: 1 - 0.9/(1+0.5*f),
			LR: 0.025 * (1 + math.Cos(math.Pi*f/float64(epochs+1))) / 2, Seconds: 10}
		if train {
			tl, ta := 2.3/(1+0.3*f), 1-0.9/(1+0.4*f)
			m.TestLoss, m.TestAcc = &tl, &ta
		} else {
			m.ValLoss, m.ValAcc = 2.3/(1+0.3*f), 1-0.9/(1+0.4*f)
		}
		out = append(out, m)
	}
	return out
}

// writeRun writes a synthetic search run directory and returns its path.
func writeRun(t *testing.T, epochs int) string {
	t.Helper()
	dir := t.TempDir()
	as := synthAlphas(epochs)
	for _, a := range as {
		if err := rundir.AppendJSONLine(rundir.AlphasPath(dir), a); err != nil {
			t.Fatal(err)
		}
	}
	for _, m := range synthMetrics(epochs-1, false) {
		if err := rundir.AppendJSONLine(rundir.MetricsPath(dir), m); err != nil {
			t.Fatal(err)
		}
	}
	g, err := deriveLine(as[len(as)-1])
	if err != nil {
		t.Fatal(err)
	}
	if err := rundir.WriteJSON(filepath.Join(dir, rundir.GenotypeJSONFile), g); err != nil {
		t.Fatal(err)
	}
	return dir
}

// nb201Alphas returns alphas lines of a NAS-Bench-201 search (one 6x5
// tensor, argmax rule): skip_connect rises on every edge, as DARTS
// collapses there, faster on later edges.
func nb201Alphas(epochs int) []rundir.Alphas {
	sp := space.NB201(space.NB201Ops)
	ct := sp.Cells[0]
	var out []rundir.Alphas
	for t := 0; t < epochs; t++ {
		a := rundir.Alphas{Epoch: t, Space: sp, Rule: "argmax", Primitives: sp.Ops}
		var alpha, weights [][]float64
		for e := range ct.Cell.Edges {
			row := make([]float64, len(sp.Ops))
			for k := range row {
				row[k] = 0.01 * float64(t) * math.Cos(float64(k*e))
			}
			row[1] += 0.2 * float64(t) * (1 + float64(e)/6)
			alpha = append(alpha, row)
			weights = append(weights, softmax(row))
		}
		a.Tensors = []rundir.TensorAlphas{{Name: "cell", Param: "alphas_cell", Cell: "cell", Rows: rundir.EdgeRows(ct.Cell),
			Cols: sp.Ops, Alpha: alpha, Weights: weights}}
		out = append(out, a)
	}
	return out
}
