package datasets

import "testing"

// The reference outputs of splitmix64 (Vigna's splitmix64.c) from seed
// 1234567, as listed in its published test vectors.
func TestSplitmix64Reference(t *testing.T) {
	want := []uint64{6457827717110365317, 3203168211198807973, 9817491932198370423, 4593380528125082431, 16408922859458223821}
	r := rng{1234567}
	for i, w := range want {
		if got := r.uint64(); got != w {
			t.Fatalf("output %d = %d, want %d", i, got, w)
		}
	}
}

func TestIntnRangeAndSpread(t *testing.T) {
	for _, n := range []int{1, 2, 3, 7, 10, 1000} {
		r := newRNG(42, uint64(n))
		counts := make([]int, n)
		const draws = 20000
		for range draws {
			v := r.intn(n)
			if v < 0 || v >= n {
				t.Fatalf("intn(%d) = %d", n, v)
			}
			counts[v]++
		}
		if n <= 10 {
			for v, c := range counts {
				if exp := draws / n; c < exp*8/10 || c > exp*12/10 {
					t.Errorf("intn(%d): value %d drawn %d times, want about %d", n, v, c, exp)
				}
			}
		}
	}
}

func TestNewRNGKeysMatter(t *testing.T) {
	seen := map[uint64][]uint64{}
	for _, keys := range [][]uint64{{1, 2}, {2, 1}, {1, 2, 0}, {1}, {0}, {}} {
		r := newRNG(keys...)
		v := r.uint64()
		if prev, dup := seen[v]; dup {
			t.Errorf("keys %v and %v give the same stream", keys, prev)
		}
		seen[v] = keys
	}
}
