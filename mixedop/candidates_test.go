package mixedop

import (
	"slices"
	"strings"
	"testing"

	"github.com/darts-go/darts/space"
)

// TestRegistryMatchesSpace: every op name package space knows has a
// constructor here and every constructor's name is known there, so a
// genotype that parses can be built and every buildable op parses.
func TestRegistryMatchesSpace(t *testing.T) {
	if got, want := Known(), space.Ops(); !slices.Equal(got, want) {
		t.Errorf("mixedop constructors %v\nspace op names       %v", got, want)
	}
	for _, name := range Known() {
		for _, stride := range []int{1, 2} {
			m, err := Build[float32](&Ctx{Training: true}, name, "op", Args{C: 4, Stride: stride, PoolBN: true})
			if err != nil || m == nil {
				t.Errorf("Build(%s, stride %d): %v", name, stride, err)
				continue
			}
			if out, err := m.OutShape(Shape{N: 2, C: 4, H: 8, W: 8}); err != nil || out.H != 8/stride || out.C != 4 {
				t.Errorf("%s stride %d: output %v, %v", name, stride, out, err)
			}
		}
	}
}

// halve is an op defined outside the builtins: y = x/2.
type halve[T Float] struct{}

func (halve[T]) OutShape(in Shape) (Shape, error) { return in, nil }
func (halve[T]) Params() []*Param[T]              { return nil }
func (halve[T]) State() []*Param[T]               { return nil }
func (halve[T]) Forward(x []T, in Shape) []T {
	y := make([]T, len(x))
	for i, v := range x {
		y[i] = v / 2
	}
	return y
}
func (halve[T]) Backward(dy, dx []T) {
	for i, v := range dy {
		dx[i] += v / 2
	}
}

func newHalve[T Float](_ *Ctx, _ string, _ Args) (Module[T], error) { return halve[T]{}, nil }

func TestRegisterCustomOp(t *testing.T) {
	if err := Register(Spec{Name: "mixedop_test_halve", New32: newHalve[float32], New64: newHalve[float64]}); err != nil {
		t.Fatal(err)
	}
	if !space.IsOp("mixedop_test_halve") {
		t.Error("a registered op is unknown to package space (genotypes could not name it)")
	}
	m, err := Build[float64](nil, "mixedop_test_halve", "h", Args{C: 1, Stride: 1})
	if err != nil {
		t.Fatal(err)
	}
	if y := m.Forward([]float64{4}, Shape{N: 1, C: 1, H: 1, W: 1}); y[0] != 2 {
		t.Errorf("halve(4) = %v", y[0])
	}
	for _, bad := range []Spec{
		{Name: "mixedop_test_halve", New32: newHalve[float32], New64: newHalve[float64]},
		{Name: "no_constructors"},
		{Name: "bad name", New32: newHalve[float32], New64: newHalve[float64]},
	} {
		if err := Register(bad); err == nil {
			t.Errorf("Register(%q): no error", bad.Name)
		}
	}
	if _, err := Build[float32](nil, "nope", "x", Args{C: 1, Stride: 1}); err == nil || !strings.Contains(err.Error(), "known:") {
		t.Errorf("unknown op: %v", err)
	}
}
