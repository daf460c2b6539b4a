package datasets

import (
	"math/bits"

	xrng "github.com/darts-go/darts/internal/rng"
)

// rng is splitmix64 (Steele, Lea, Flood 2014): a 64-bit counter passed
// through a bijective mixer. It uses only integer operations, so a given
// state yields the same numbers on every machine and Go version, which
// math/rand does not promise. Its whole state is one word, so streams can be
// derived from (seed, epoch, example) on the spot instead of being carried
// along and checkpointed.
type rng struct{ s uint64 }

// newRNG returns a generator whose stream is a pure function of the keys
// (rng.Key with the data tag), so that nearby keys (epoch 1 vs 2, example
// 7 vs 8) give unrelated streams.
func newRNG(keys ...uint64) rng { return rng{xrng.Key(xrng.TagData, keys...)} }

func (r *rng) uint64() uint64 {
	r.s += 0x9e3779b97f4a7c15
	return xrng.Mix(r.s)
}

// intn returns a uniform integer in [0, n) without modulo bias (Lemire's
// multiply-and-reject). n must be positive.
func (r *rng) intn(n int) int {
	un := uint64(n)
	hi, lo := bits.Mul64(r.uint64(), un)
	if lo < un {
		thresh := -un % un
		for lo < thresh {
			hi, lo = bits.Mul64(r.uint64(), un)
		}
	}
	return int(hi)
}

// Stream tags keep the generators used for different purposes apart even when
// the other keys coincide.
const (
	tagShuffle uint64 = iota + 1
	tagAugment
	tagSynthProto
	tagSynthTrain
	tagSynthTest
	tagSample
)
