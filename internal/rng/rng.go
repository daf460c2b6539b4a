// Package rng is darts-go's seeded random source: a small PCG-style
// generator (splitmix64 seeding, xoshiro256** core) whose stream is the same
// on every machine and whose whole state can be saved in a checkpoint.
package rng

import "math"

// Rand is a xoshiro256** generator. The zero value is not usable; use New.
type Rand struct {
	s [4]uint64
	// spare holds a second normal deviate from the last Box-Muller draw.
	spare    float64
	hasSpare bool
}

func splitmix(x *uint64) uint64 {
	*x += 0x9e3779b97f4a7c15
	z := *x
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// New returns a generator seeded from seed.
func New(seed uint64) *Rand {
	r := &Rand{}
	x := seed
	for i := range r.s {
		r.s[i] = splitmix(&x)
	}
	return r
}

func rotl(x uint64, k uint) uint64 { return (x << k) | (x >> (64 - k)) }

// Uint64 returns the next 64 random bits.
func (r *Rand) Uint64() uint64 {
	s := &r.s
	res := rotl(s[1]*5, 7) * 9
	t := s[1] << 17
	s[2] ^= s[0]
	s[3] ^= s[1]
	s[1] ^= s[2]
	s[0] ^= s[3]
	s[2] ^= t
	s[3] = rotl(s[3], 45)
	return res
}

// Float64 returns a uniform deviate in [0, 1).
func (r *Rand) Float64() float64 { return float64(r.Uint64()>>11) / (1 << 53) }

// Intn returns a uniform integer in [0, n); n must be positive.
func (r *Rand) Intn(n int) int {
	// Lemire's multiply-shift with rejection keeps it unbiased.
	bound := uint64(n)
	for {
		x := r.Uint64()
		hi, lo := mul64(x, bound)
		if lo >= bound || lo >= (-bound)%bound {
			return int(hi)
		}
	}
}

func mul64(a, b uint64) (hi, lo uint64) {
	const mask32 = 1<<32 - 1
	a0, a1 := a&mask32, a>>32
	b0, b1 := b&mask32, b>>32
	w0 := a0 * b0
	t := a1*b0 + w0>>32
	w1 := t & mask32
	w2 := t >> 32
	w1 += a0 * b1
	hi = a1*b1 + w2 + w1>>32
	lo = a * b
	return
}

// NormFloat64 returns a standard normal deviate (Box-Muller).
func (r *Rand) NormFloat64() float64 {
	if r.hasSpare {
		r.hasSpare = false
		return r.spare
	}
	var u float64
	for u == 0 {
		u = r.Float64()
	}
	v := r.Float64()
	m := math.Sqrt(-2 * math.Log(u))
	r.spare = m * math.Sin(2*math.Pi*v)
	r.hasSpare = true
	return m * math.Cos(2*math.Pi*v)
}

// Perm returns a random permutation of 0..n-1 (Fisher-Yates).
func (r *Rand) Perm(n int) []int {
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	for i := n - 1; i > 0; i-- {
		j := r.Intn(i + 1)
		p[i], p[j] = p[j], p[i]
	}
	return p
}

// State returns the generator's full state, for checkpoints.
func (r *Rand) State() [6]uint64 {
	var spare uint64
	if r.hasSpare {
		spare = 1
	}
	return [6]uint64{r.s[0], r.s[1], r.s[2], r.s[3], math.Float64bits(r.spare), spare}
}

// SetState restores a state returned by State.
func (r *Rand) SetState(st [6]uint64) {
	copy(r.s[:], st[:4])
	r.spare = math.Float64frombits(st[4])
	r.hasSpare = st[5] != 0
}
