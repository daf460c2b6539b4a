package dist

import (
	"math"
	"testing"
)

func TestKeyIsPureAndSensitive(t *testing.T) {
	base := Key(TagGDAS, 1, 2, 3, NameHash("alpha_normal"))
	if again := Key(TagGDAS, 1, 2, 3, NameHash("alpha_normal")); again != base {
		t.Fatalf("same parts gave %#x then %#x", base, again)
	}
	others := map[string]uint64{
		"tag":      Key(TagSNAS, 1, 2, 3, NameHash("alpha_normal")),
		"seed":     Key(TagGDAS, 2, 2, 3, NameHash("alpha_normal")),
		"epoch":    Key(TagGDAS, 1, 3, 3, NameHash("alpha_normal")),
		"step":     Key(TagGDAS, 1, 2, 4, NameHash("alpha_normal")),
		"name":     Key(TagGDAS, 1, 2, 3, NameHash("alpha_reduce")),
		"order":    Key(TagGDAS, 2, 1, 3, NameHash("alpha_normal")),
		"length":   Key(TagGDAS, 1, 2, 3),
		"trailing": Key(TagGDAS, 1, 2, 3, NameHash("alpha_normal"), 0),
	}
	seen := map[uint64]string{base: "base"}
	for what, k := range others {
		if prev, dup := seen[k]; dup {
			t.Errorf("changing the %s gave the same key as %s: %#x", what, prev, k)
		}
		seen[k] = what
	}
}

// TestKeyPinned pins Key, NameHash and the stream to fixed values: a change
// here changes every draw of every saved run, so it must be deliberate.
// The values come from a Python transcription of the documented formulas,
// not from this code.
func TestKeyPinned(t *testing.T) {
	if got := Key(); got != keyInit {
		t.Errorf("Key() = %#x, want the start value %#x", got, uint64(keyInit))
	}
	for _, c := range []struct {
		got, want uint64
		what      string
	}{
		{Key(1), pinKey1, "Key(1)"},
		{Key(TagDrNAS, 7, 0, 11), pinKeyDrNAS, "Key(TagDrNAS, 7, 0, 11)"},
		{NameHash(""), pinHashEmpty, `NameHash("")`},
		{NameHash("alpha_normal"), pinHashAlpha, `NameHash("alpha_normal")`},
	} {
		if c.got != c.want {
			t.Errorf("%s = %#x, want %#x", c.what, c.got, c.want)
		}
	}
	s := NewStream(42)
	for i, want := range pinStream42 {
		if got := s.Uint64(); got != want {
			t.Errorf("NewStream(42) word %d = %#x, want %#x", i+1, got, want)
		}
	}
	// The published splitmix64 test vector (state 1234567), as in Vigna's
	// splitmix64.c and its many ports.
	s = NewStream(1234567)
	for i, want := range []uint64{6457827717110365317, 3203168211198807973, 9817491932198370423, 4593380528125082431, 16408922859458223821} {
		if got := s.Uint64(); got != want {
			t.Errorf("splitmix64(1234567) word %d = %d, want %d", i+1, got, want)
		}
	}
}

const (
	pinKey1      = 0xcbeec94e1d6c447
	pinKeyDrNAS  = 0x77e8812c42beceb0
	pinHashEmpty = 0xf52a15e9a9b5e89b
	pinHashAlpha = 0xc7960dfd9b480ba5
)

var pinStream42 = [...]uint64{0xbdd732262feb6e95, 0x28efe333b266f103, 0x47526757130f9f52, 0x581ce1ff0e4ae394}

func TestStreamReplay(t *testing.T) {
	k := Key(TagSNAS, 5, 1, 99, NameHash("alpha_reduce"))
	a, b := NewStream(k), NewStream(k)
	c := NewStream(Key(TagSNAS, 5, 1, 100, NameHash("alpha_reduce")))
	differ := 0
	for i := 0; i < 1000; i++ {
		x, y, z := a.Gumbel(), b.Gumbel(), c.Gumbel()
		if x != y {
			t.Fatalf("draw %d: same key gave %v and %v", i, x, y)
		}
		if x != z {
			differ++
		}
	}
	if differ < 999 {
		t.Errorf("keys for step 99 and 100: only %d of 1000 draws differ", differ)
	}
	// A copied Stream replays from where it was copied.
	s := NewStream(k)
	s.Uniform()
	saved := s
	want := []float64{s.Uniform(), s.StandardNormal(), s.Exp()}
	got := []float64{saved.Uniform(), saved.StandardNormal(), saved.Exp()}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("replay %d: %v, want %v", i, got[i], want[i])
		}
	}
	// Word counts: Uniform, Exp and Gumbel take one word, StandardNormal two.
	p, q := NewStream(k), NewStream(k)
	p.Uniform()
	p.Exp()
	p.Gumbel()
	p.StandardNormal()
	for i := 0; i < 5; i++ {
		q.Uint64()
	}
	if p != q {
		t.Errorf("after Uniform, Exp, Gumbel, StandardNormal the stream is at %#x, want 5 words in (%#x)", p.s, q.s)
	}
}

// TestUniformOpen checks that Uniform never returns 0 or 1, including at the
// extreme words, and that 1 − u is exact.
func TestUniformOpen(t *testing.T) {
	lo, hi := uniformFromBits(0), uniformFromBits(math.MaxUint64)
	if lo != 0x1p-53 || hi != 1-0x1p-53 {
		t.Errorf("extremes %g, 1-%g; want 2⁻⁵³ and 1−2⁻⁵³", lo, 1-hi)
	}
	if !(lo > 0 && hi < 1) {
		t.Fatalf("extremes %g and %g are not in (0, 1)", lo, hi)
	}
	if g := GumbelFromUniform(lo); math.IsInf(g, 0) || math.IsNaN(g) {
		t.Errorf("Gumbel at the lowest uniform = %v", g)
	}
	if g := GumbelFromUniform(hi); math.IsInf(g, 0) || math.IsNaN(g) {
		t.Errorf("Gumbel at the highest uniform = %v", g)
	}
	if e := ExpFromUniform(hi); !(e > 0) {
		t.Errorf("Exp at the highest uniform = %v, want > 0", e)
	}
	s := NewStream(Key(TagDrNAS, 3))
	for i := 0; i < 200000; i++ {
		u := s.Uniform()
		if !(u > 0 && u < 1) {
			t.Fatalf("draw %d: u = %v", i, u)
		}
		if v := 1 - u; 1-v != u {
			t.Fatalf("draw %d: 1 − (1 − u) != u for u = %v", i, u)
		}
	}
}
