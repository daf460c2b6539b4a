// Package dist holds the random draws and probability distributions that the
// sampling-based NAS relaxations need (GDAS and SNAS: Gumbel noise; DrNAS:
// reparameterised Dirichlet draws and the KL regulariser), in float64, with
// the pathwise (reparameterisation) gradients they need.
//
// Every random number is a pure function of a key: Key folds the parts that
// identify a draw (a tag, the seed, the epoch, the step, the hash of a
// tensor's name, ...) into one word, and NewStream(key) gives the numbers of
// that draw. No generator state is carried between draws, so a search that
// is killed and resumed redraws exactly the same noise, and nothing random
// needs to be checkpointed.
//
// Continuous draws are functions of uniforms in (0, 1), so that a sample is
// a smooth function of its parameters at fixed uniforms: Gumbel noise is
// g = -log(-log u); a Gamma(a, 1) draw is the inverse CDF z = P⁻¹(a, u)
// (GammaRsample, LogGammaRsample), whose derivative dz/da at fixed u is the
// implicit reparameterisation gradient of Figurnov et al. (2018); a
// Dirichlet(c) draw normalises independent Gamma(c_i) draws (Dirichlet) and
// DirichletVJP carries dL/dx back to dL/dc.
//
// The package is pure computation: it reads no files, keeps no global state,
// and imports nothing of darts-go but internal/rng, whose key-mixing scheme
// Key uses. Functions of scalars return NaN outside
// their domain (as package math does); functions of slices return an error
// that names the offending entry. Nothing panics on bad input.
package dist
