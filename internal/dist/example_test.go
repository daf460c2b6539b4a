package dist_test

import (
	"fmt"

	"github.com/darts-go/darts/internal/dist"
)

// A DrNAS-style draw for one edge: the uniforms come from a stream keyed by
// what identifies the draw, so a resumed run redraws the same θ.
func ExampleDirichlet() {
	alpha := []float64{0.1, -0.3, 0.7, 0}
	c := make([]float64, len(alpha))
	for i, a := range alpha {
		c[i] = dist.Concentration(a) // elu(α) + 1
	}
	const seed, epoch, step, edge = 1, 3, 250, 5
	s := dist.NewStream(dist.Key(dist.TagDrNAS, seed, epoch, step, dist.NameHash("alpha_normal"), edge))
	u := make([]float64, len(c))
	for i := range u {
		u[i] = s.Uniform()
	}
	theta, dlogz := make([]float64, len(c)), make([]float64, len(c))
	if err := dist.Dirichlet(c, u, theta, dlogz); err != nil {
		fmt.Println(err)
		return
	}
	var sum float64
	for _, v := range theta {
		sum += v
	}
	fmt.Printf("sum %.12f\n", sum)

	// Backward: given dL/dθ, dL/dc, then dL/dα = dL/dc · dc/dα.
	gTheta := []float64{1, 0, 0, 0}
	gc := make([]float64, len(c))
	if err := dist.DirichletVJP(theta, dlogz, gTheta, gc); err != nil {
		fmt.Println(err)
		return
	}
	gAlpha := make([]float64, len(c))
	for i, a := range alpha {
		gAlpha[i] = gc[i] * dist.ConcentrationDeriv(a)
	}
	fmt.Println(gAlpha[0] > 0, gAlpha[1] < 0) // more mass on op 0 raises L
	// Output:
	// sum 1.000000000000
	// true true
}

// GDAS's and SNAS's Gumbel noise are the same numbers.
func ExampleGumbelFromExp() {
	s := dist.NewStream(dist.Key(dist.TagGDAS, 1, 0, 0))
	u := s.Uniform()
	fmt.Println(dist.GumbelFromExp(dist.ExpFromUniform(u)) == dist.GumbelFromUniform(u))
	// Output: true
}
