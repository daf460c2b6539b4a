// Package rng is darts-go's seeded random source: a xoshiro256** generator
// seeded by splitmix64, whose stream is the same on every machine, and the
// one scheme (Key) that turns the parts of a key — seed, epoch, step,
// example, tensor — into a seed, so that every random draw of a run is a
// pure function of where it happens, never of generator state carried
// along.
package rng

import (
	"math"
	"math/bits"
)

// Rand is a xoshiro256** generator. The zero value is not usable; use New.
type Rand struct {
	s [4]uint64
	// spare holds a second normal deviate from the last Box-Muller draw.
	spare    float64
	hasSpare bool
}

// Mix is splitmix64's finalizer: a bijection of 64-bit words that scatters
// nearby inputs.
func Mix(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// Key folds parts into a seed, starting from tag: h = tag, then for each
// part h = Mix(h ^ Mix(part + φ)) with φ the golden-ratio constant. Nearby
// keys (epoch 1 and 2, example 7 and 8) give unrelated seeds, and distinct
// tags keep the streams of different uses apart.
func Key(tag uint64, parts ...uint64) uint64 {
	h := tag
	for _, p := range parts {
		h = Mix(h ^ Mix(p+0x9e3779b97f4a7c15))
	}
	return h
}

// The tags of Key's uses across darts-go.
const (
	TagData       uint64 = 0x6a09e667f3bcc909 // datasets: shuffles, augmentation, samples
	TagDropPath   uint64 = 0x64726f7070617468 // "droppath": the retraining's drop-path masks
	TagTrainOrder uint64 = 0x7472616e6f726472 // "tranordr": the retraining's example order per epoch
	TagGDAS       uint64 = 0x67646173         // "gdas": GDAS's Gumbel noise (package relax)
	TagSNAS       uint64 = 0x736e6173         // "snas": SNAS's Gumbel noise
	TagDrNAS      uint64 = 0x64726e6173       // "drnas": DrNAS's Dirichlet uniforms
)

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
		hi, lo := bits.Mul64(x, bound)
		if lo >= bound || lo >= (-bound)%bound {
			return int(hi)
		}
	}
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
