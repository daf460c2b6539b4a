package plots

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/darts-go/darts/derive"
	"github.com/darts-go/darts/relax"
	"github.com/darts-go/darts/rundir"
	"github.com/darts-go/darts/space"
)

// pcAlphas is synthAlphas with PC-DARTS's edge tensors: on node 3 of the
// normal cell, β turns to edge 10 (from c_{k-1}), which α alone ranks
// last of the node's five.
func pcAlphas(epochs int) []rundir.Alphas {
	as := synthAlphas(epochs)
	sp := space.DARTS(4, 4, dartsOps).WithEdgeTensors()
	for i := range as {
		as[i].Space = sp
		for _, cell := range []string{Normal, Reduce} {
			x, _ := sp.EdgeTensorOf(cell)
			ct, _ := sp.CellType(cell)
			beta := make([][]float64, 14)
			for e := range beta {
				beta[e] = []float64{0}
			}
			if cell == Normal {
				beta[10][0] = 3 * float64(i)
			}
			as[i].Tensors = append(as[i].Tensors, rundir.TensorAlphas{Name: x.Name, Param: x.Param, Cell: cell,
				Rows: rundir.EdgeRows(ct.Cell), Cols: x.Cols, Alpha: beta, Weights: relax.EdgeSoftmax(ct.Cell, beta)})
		}
	}
	return as
}

// TestEdgeWeightEvolution draws the β figures of a PC-DARTS run whose
// genotype the edge weights change (node 3 of the normal cell keeps its
// edge from c_{k-1}, which α alone drops), and All writes one per edge
// tensor after the op tensors' figures.
func TestEdgeWeightEvolution(t *testing.T) {
	as := pcAlphas(6)
	readsInput1 := func(a rundir.Alphas) bool {
		g, err := deriveLine(a)
		if err != nil {
			t.Fatal(err)
		}
		return slices.ContainsFunc(g.Cells[0].Nodes[3], func(p derive.Pair) bool { return p.Input == 1 })
	}
	if !readsInput1(as[5]) || readsInput1(synthAlphas(6)[5]) {
		t.Errorf("node 3 keeps c_{k-1}: %v with β, %v without; want true, false", readsInput1(as[5]), readsInput1(synthAlphas(6)[5]))
	}
	dir := t.TempDir()
	for _, name := range []string{"beta_normal", "beta_reduce"} {
		f, err := EdgeWeightEvolution(as, name)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, name+".png")
		if err := f.Save(path); err != nil {
			t.Fatal(err)
		}
		checkPNG(t, path, f)
	}
	if _, err := EdgeWeightEvolution(as, Normal); err == nil {
		t.Error("an op tensor drawn as an edge tensor: no error")
	}

	run := t.TempDir()
	for _, a := range as {
		if err := rundir.AppendJSONLine(rundir.AlphasPath(run), a); err != nil {
			t.Fatal(err)
		}
	}
	written, _, err := All(run, "", "png")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, w := range written {
		names = append(names, filepath.Base(w))
	}
	want := []string{"alphas_normal.png", "alphas_reduce.png", "weights_normal.png", "weights_reduce.png",
		"alphas_beta_normal.png", "alphas_beta_reduce.png", "skip_count.png", "cell_normal.png", "cell_reduce.png"}
	if !slices.Equal(names, want) {
		t.Errorf("All wrote %q, want %q", names, want)
	}
}
