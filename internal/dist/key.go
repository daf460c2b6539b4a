package dist

import (
	"math"

	"github.com/darts-go/darts/internal/rng"
)

// golden is 2⁶⁴/φ, splitmix64's increment.
const golden = 0x9e3779b97f4a7c15

// keyInit is the starting value of Key's fold: the second word of SHA-512's
// initial hash value. datasets' newRNG starts from the first word
// (0x6a09e667f3bcc909), so a key built here never equals one built there
// from the same parts: the two packages' streams stay apart.
const keyInit = 0xbb67ae8584caa73b

// Tags name the purpose of a draw; pass one as the first part of Key so that
// the draws of different relaxations are unrelated even when seed, epoch
// and step coincide. They are internal/rng's (each its name in ASCII,
// packed big-endian); the values are part of the definition of every
// stream made with them: never change one.
const (
	TagGDAS  = rng.TagGDAS  // "gdas": GDAS's Gumbel noise
	TagSNAS  = rng.TagSNAS  // "snas": SNAS's Gumbel noise
	TagDrNAS = rng.TagDrNAS // "drnas": DrNAS's Dirichlet uniforms
)

// mix64 is splitmix64's output function (a bijection of uint64).
func mix64(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// Key folds parts into one 64-bit key with internal/rng's scheme from its
// own starting value, Key(parts...) = rng.Key(0xbb67ae8584caa73b, parts...):
//
//	h := 0xbb67ae8584caa73b
//	for _, k := range parts { h = mix64(h ^ mix64(k + 0x9e3779b97f4a7c15)) }
//
// with mix64 splitmix64's finalizer. Nearby parts (step 7 and 8) give
// unrelated keys, and the order of the parts matters. The suggested layout
// is Key(tag, seed, epoch, step, NameHash(tensor)); the search's
// relaxations (package relax) use rng.Key(tag, ...) directly.
func Key(parts ...uint64) uint64 { return rng.Key(keyInit, parts...) }

// NameHash is the 64-bit FNV-1a hash of name's bytes passed through mix64:
//
//	h := 0xcbf29ce484222325
//	for each byte b { h = (h ^ b) * 0x100000001b3 }
//	return mix64(h)
//
// so that a tensor's name ("alpha_normal") can be a part of a Key. It is
// the same on every machine and Go version.
func NameHash(name string) uint64 {
	h := uint64(0xcbf29ce484222325)
	for i := 0; i < len(name); i++ {
		h ^= uint64(name[i])
		h *= 0x100000001b3
	}
	return mix64(h)
}

// Stream is the splitmix64 sequence of one key: its n-th word (n = 1, 2,
// ...) is mix64(key + n·0x9e3779b97f4a7c15), so a draw depends only on the
// key and on how many words were taken before it. Uniform, Exp and Gumbel
// take one word each, StandardNormal two, so the position of every draw is
// known in advance. Two keys' streams overlap within N words only if the
// keys differ by a multiple j·0x9e3779b97f4a7c15 with |j| < N, which for
// keys from Key has probability about 2N/2⁶⁴.
//
// The zero value is the stream of key 0. A Stream is a value of one word:
// copy it to replay a draw.
type Stream struct{ s uint64 }

// NewStream returns the stream of key.
func NewStream(key uint64) Stream { return Stream{key} }

// Uint64 returns the stream's next word: s += 0x9e3779b97f4a7c15;
// return mix64(s).
func (r *Stream) Uint64() uint64 {
	r.s += golden
	return mix64(r.s)
}

// uniformFromBits maps a word to (⌊w/2¹²⌋ + ½)/2⁵², one of the 2⁵² midpoints
// of an even grid on [0, 1]. Both the addition and the division are exact,
// so the result lies in [2⁻⁵³, 1 − 2⁻⁵³]: never 0 or 1, and 1 − u is exact
// and has the same distribution as u.
func uniformFromBits(w uint64) float64 {
	return (float64(w>>12) + 0.5) * (1.0 / (1 << 52))
}

// Uniform returns a uniform deviate in the open interval (0, 1):
// u = (⌊w/2¹²⌋ + ½)/2⁵² for the next word w. It is never 0 or 1 (its range
// is [2⁻⁵³, 1 − 2⁻⁵³]), so log u, log(1 − u) and log(−log u) are finite.
func (r *Stream) Uniform() float64 { return uniformFromBits(r.Uint64()) }

// Exp returns an Exp(1) deviate, E = −log u with u = r.Uniform(). It lies in
// [1.1e-16, 36.8], never 0, so −log E is finite.
func (r *Stream) Exp() float64 { return ExpFromUniform(r.Uniform()) }

// Gumbel returns a Gumbel(0, 1) deviate, g = −log(−log u) with
// u = r.Uniform(); g lies in [−3.61, 36.7].
func (r *Stream) Gumbel() float64 { return GumbelFromUniform(r.Uniform()) }

// StandardNormal returns an N(0, 1) deviate by Box–Muller from two
// uniforms, n = √(−2 log u₁)·cos(2π u₂). The sine half is not kept, so the
// draw takes exactly two words.
func (r *Stream) StandardNormal() float64 {
	u1 := r.Uniform()
	u2 := r.Uniform()
	return math.Sqrt(-2*math.Log(u1)) * math.Cos(2*math.Pi*u2)
}
