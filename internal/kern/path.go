package kern

import "os"

// The kernel paths, in increasing order of what they need from the CPU:
// plain Go loops, AVX2 with FMA, AVX-512. A path uses the one below it for
// whatever it has no kernel of its own.
const (
	pathPlain = iota
	pathAVX2
	pathAVX512
)

var pathNames = [...]string{pathPlain: "plain", pathAVX2: "avx2", pathAVX512: "avx512"}

// useAVX turns on the AVX2 and FMA kernels for float32, useAVX512 the
// AVX-512 ones on top of them. Only setPath writes them.
var useAVX, useAVX512 bool

// bestPath is the widest path this CPU and OS support (and this build: plain
// with the noasm tag or off amd64).
var bestPath = detectPath()

func init() { setPath(choosePath(os.Getenv("DARTS_KERNELS"), bestPath)) }

// choosePath returns the path DARTS_KERNELS asks for, capped at best; empty
// or unknown asks for best.
func choosePath(env string, best int) int {
	for p, name := range pathNames {
		if env == name {
			return min(p, best)
		}
	}
	return best
}

// setPath switches the float32 kernels to path p (at most bestPath). Kernels
// read the switch when called: it must not change while one runs.
func setPath(p int) {
	useAVX, useAVX512 = p >= pathAVX2, p >= pathAVX512
}

// curPath is the path the float32 kernels take.
func curPath() int {
	switch {
	case useAVX512:
		return pathAVX512
	case useAVX:
		return pathAVX2
	}
	return pathPlain
}

// Path names the path the float32 kernels take: "plain" (pure Go loops),
// "avx2" (AVX2 and FMA assembly) or "avx512" (AVX-512 assembly where it has
// a kernel, AVX2 elsewhere). float64 always takes the plain loops.
//
// It is the widest path the CPU supports unless the environment variable
// DARTS_KERNELS, read once at start, asks for a narrower one: plain, avx2 or
// avx512. Asking for a path the CPU (or a noasm build) lacks gives the
// widest one it has; an empty or unknown value gives the widest. The doc of
// this package says which kernels round differently on which path.
func Path() string { return pathNames[curPath()] }
