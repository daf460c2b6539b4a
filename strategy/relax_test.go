package strategy

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/darts-go/darts/relax"
	"github.com/darts-go/darts/space"
)

// TestUniformTrainsOnlyTheSampledOps: a training run of a supernet under
// RSPS's sampler gives a gradient to exactly the parameters of the ops
// the pass's architecture chose (every other op's gradient is exactly 0;
// most chosen ones get one), runs only those ops (the BatchNorm running
// statistics of the others stay as they were, as in the reference, which
// computes only the sampled ops; the chosen ones' move),
// the architecture is a function of the pass, and the architecture
// tensors get no gradient.
func TestUniformTrainsOnlyTheSampledOps(t *testing.T) {
	net, data := tinyDARTS(t)
	enc, err := NewEncoding(net.Space)
	if err != nil {
		t.Fatal(err)
	}
	u := Uniform[float32]{Enc: enc}
	net.Relax = u
	tr, err := net.NewRunner(16, true)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	b := take(data.Train.Batches(16, 0, 1, false, dataAug(), false), 1)[0]
	for step := range 3 {
		p := relax.Pass{Seed: 4, Epoch: 1, Step: step, Phase: relax.PhaseWeight}
		*net.Pass = p
		before := map[string][]float32{}
		for _, st := range net.State() {
			before[st.Name] = slices.Clone(st.Value)
		}
		if _, err := tr.Run(b.X, b.Y); err != nil {
			t.Fatal(err)
		}
		x := u.Sample(p)
		if !slices.Equal(x, u.Sample(p)) {
			t.Fatal("the sample of a pass changes")
		}
		w := enc.Weights(x)
		chosenOp := func(name string) (chosen, ok bool) {
			var cell, edge int
			var op, role string
			if n, _ := fmt.Sscanf(strings.ReplaceAll(name, ".", " "), "cells %d edge%d %s %s", &cell, &edge, &op, &role); n != 4 {
				return false, false
			}
			typ := "normal"
			if cell == 1 || cell == 2 { // 3 cells: reductions at 1 and 2
				typ = "reduce"
			}
			return w[typ][edge][slices.Index(net.Space.Ops, op)] == 1, true
		}
		moved := 0
		for _, st := range net.State() {
			chosen, ok := chosenOp(st.Name)
			if !ok {
				continue
			}
			same := slices.Equal(st.Value, before[st.Name])
			switch {
			case !chosen && !same:
				t.Fatalf("step %d: %s moved, its op was not sampled (it ran)", step, st.Name)
			case chosen && !same:
				moved++
			}
		}
		if moved == 0 {
			t.Fatalf("step %d: no sampled op's running statistics moved", step)
		}
		trained, idle := 0, 0
		for _, prm := range net.Weights() {
			chosen, ok := chosenOp(prm.Name)
			if !ok {
				continue
			}
			var norm float64
			for _, g := range prm.Grad {
				norm += math.Abs(float64(g))
			}
			switch {
			case !chosen && norm != 0:
				t.Fatalf("step %d: %s gets a gradient, its op was not sampled", step, prm.Name)
			case chosen && norm != 0:
				trained++
			case chosen:
				// A sampled op whose output reaches the loss only through
				// 'none' ops downstream gets no gradient either.
				idle++
			}
		}
		if trained == 0 || idle > trained {
			t.Fatalf("step %d: %d sampled op parameters trained, %d not", step, trained, idle)
		}
		for _, a := range net.ArchParams() {
			for _, g := range a.Grad {
				if g != 0 {
					t.Fatalf("%s gets a gradient", a.Name)
				}
			}
		}
	}
}

// TestUniformMarginals: the weights alphas.jsonl records for RSPS are
// the probabilities that an (edge, op) is trained: 2/(n·K) for an edge
// into a node of n incoming edges (DARTS), 1/K on NAS-Bench-201; each
// node's rows sum to 2 (two inputs) or, NAS-Bench-201, each row to 1.
func TestUniformMarginals(t *testing.T) {
	e := dartsEnc(t, 4, space.DARTSOps)
	u := Uniform[float32]{Enc: e}
	ct, _ := e.Space.CellType("normal")
	alpha := make([][]float64, len(ct.Cell.Edges))
	for i := range alpha {
		alpha[i] = make([]float64, 8)
	}
	w := u.Weights(e.Space.Tensors()[0], alpha)
	for k := 0; k < 4; k++ {
		s := 0.0
		for _, r := range ct.Cell.InEdges(k) {
			for _, v := range w[r] {
				if math.Abs(v-2/float64((k+2)*8)) > 1e-15 {
					t.Fatalf("node %d: weight %v, want 2/(%d·8)", k, v, k+2)
				}
				s += v
			}
		}
		if math.Abs(s-2) > 1e-12 {
			t.Errorf("node %d: weights sum to %v", k, s)
		}
	}
	nb := nb201Enc(t, space.NB201Ops)
	a6 := make([][]float64, 6)
	for i := range a6 {
		a6[i] = make([]float64, 5)
	}
	for _, row := range (Uniform[float32]{Enc: nb}).Weights(nb.Space.Tensors()[0], a6) {
		for _, v := range row {
			if v != 0.2 {
				t.Fatalf("NAS-Bench-201 weight %v", v)
			}
		}
	}
}
