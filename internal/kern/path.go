package kern

// Path names the path the float32 kernels take: "plain" (pure Go loops) or
// "avx2" (AVX2 and FMA assembly, chosen at start when the CPU and OS
// support it; never with the noasm build tag or off amd64). float64 always
// takes the plain loops. Fused multiply-adds round differently from the
// plain loops, so the path decides the last bits of float32 results: run
// files record it.
func Path() string {
	if useAVX {
		return "avx2"
	}
	return "plain"
}
