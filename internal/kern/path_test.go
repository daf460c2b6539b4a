package kern

import "testing"

// TestPath: Path names the switch the float32 kernels read, whichever way
// it is set (setting it here runs no kernel).
func TestPath(t *testing.T) {
	defer func(v bool) { useAVX = v }(useAVX)
	for _, c := range []struct {
		avx  bool
		want string
	}{{false, "plain"}, {true, "avx2"}} {
		useAVX = c.avx
		if p := Path(); p != c.want {
			t.Errorf("useAVX %v: Path() = %q, want %q", c.avx, p, c.want)
		}
	}
}
