//go:build !amd64 || noasm

package kern

func detectPath() int { return pathPlain }

func axpyAVX(a float32, x, y *float32, n int)       { panic("kern: no AVX") }
func scalAVX(a float32, x, y *float32, n int)       { panic("kern: no AVX") }
func mulAddAVX(a float32, x, y *float32, n int)     { panic("kern: no AVX") }
func addAVX(x, y, z *float32, n int)                { panic("kern: no AVX") }
func dotAVX(x, y *float32, n int) float32           { panic("kern: no AVX") }
func reluAVX(x, y *float32, n int)                  { panic("kern: no AVX") }
func maskAVX(x, src, dst *float32, n int, acc bool) { panic("kern: no AVX") }
func sumDot64AVX(x, y *float32, n int) (sx, sxy float64) {
	panic("kern: no AVX")
}
func corr3AVX(w *float32, d int, s, t *float32, n int, acc bool)   { panic("kern: no AVX") }
func corr5AVX(w *float32, d int, s, t *float32, n int, acc bool)   { panic("kern: no AVX") }
func bnNormAVX(x, y *float32, n int, mu, is float32)               { panic("kern: no AVX") }
func bnAffineAVX(x, xh, y *float32, n int, mu, is, gm, bt float32) { panic("kern: no AVX") }
func bnDxAVX(dy, xh, dx *float32, n int, scale, mdy, mdyx float32, acc bool) {
	panic("kern: no AVX")
}
func sqDev64AVX(x *float32, n int, mu float64) float64 { panic("kern: no AVX") }
func gemm4AVX(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, n int, acc bool) {
	panic("kern: no AVX")
}
func hasNaNAVX(x *float32, n int) bool                       { panic("kern: no AVX") }
func max9AVX(s *float32, pw int, y *float32, n int)          { panic("kern: no AVX") }
func maxCodeAVX(s *float32, pw int, m, code *float32, n int) { panic("kern: no AVX") }
func maxScatterAVX(code, d *float32, pw int, dx *float32, n int) {
	panic("kern: no AVX")
}
func dot8AVX(x *float32, ys *[8]*float32, n int, out *[8]float32) { panic("kern: no AVX") }
func padAVX(x *float32, h, w int, dst *float32, p int, v float32, relu bool) {
	panic("kern: no AVX")
}

func axpy512(a float32, x, y *float32, n int) { panic("kern: no AVX-512") }
func dotTile512(a, b *float32, k, nb int, c *float32, ldc int, bt *float32, ldbt int) {
	panic("kern: no AVX-512")
}
func corrStack3x512(w *float32, d, pitch int, s, t *float32, n int) { panic("kern: no AVX-512") }
func corrRows3x512(w *float32, d, pitch int, s, x, y *float32, planes, rows, cols, splane, yplane int, relu, acc bool) {
	panic("kern: no AVX-512")
}
func corrRows5x512(w *float32, d, pitch int, s, x, y *float32, planes, rows, cols, splane, yplane int, relu, acc bool) {
	panic("kern: no AVX-512")
}
func spread2x512(src, dst *float32, rows, w, dpitch int) { panic("kern: no AVX-512") }
func rows512(x, src, dst *float32, rows, w, spitch, dpitch int, relu, acc bool) {
	panic("kern: no AVX-512")
}
func mulAdd512(a float32, x, y *float32, n int)                    { panic("kern: no AVX-512") }
func add512(x, y, z *float32, n int)                               { panic("kern: no AVX-512") }
func scal512(a float32, x, y *float32, n int)                      { panic("kern: no AVX-512") }
func relu512(x, y *float32, n int)                                 { panic("kern: no AVX-512") }
func mask512(x, src, dst *float32, n int, acc bool)                { panic("kern: no AVX-512") }
func bnNorm512(x, y *float32, n int, mu, is float32)               { panic("kern: no AVX-512") }
func bnAffine512(x, xh, y *float32, n int, mu, is, gm, bt float32) { panic("kern: no AVX-512") }
func bnScale512(xh, y *float32, n int, gm, bt float32)             { panic("kern: no AVX-512") }
func corr3x512(w *float32, d int, s, t *float32, n int, acc bool)  { panic("kern: no AVX-512") }
func corr5x512(w *float32, d int, s, t *float32, n int, acc bool)  { panic("kern: no AVX-512") }
func bnDx512(dy, xh, dx *float32, n int, scale, mdy, mdyx float32, acc bool) {
	panic("kern: no AVX-512")
}
func pad512(x *float32, h, w int, dst *float32, p int, v float32, relu bool) {
	panic("kern: no AVX-512")
}
func hasNaN512(x *float32, n int) bool                       { panic("kern: no AVX-512") }
func max9x512(s *float32, pw int, y *float32, n int)         { panic("kern: no AVX-512") }
func maxCode512(s *float32, pw int, m, code *float32, n int) { panic("kern: no AVX-512") }
func maxScatter512(code, d *float32, pw int, dx *float32, n int) {
	panic("kern: no AVX-512")
}
func gemm4x512(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, n, n8 int, acc bool) {
	panic("kern: no AVX-512")
}
func sumDot64x4(x, y *float32, stride, n int, out *[8]float64) { panic("kern: no AVX-512") }
func sqDev64x4(x *float32, stride, n int, mu float64, out *[4]float64) {
	panic("kern: no AVX-512")
}
func dw2x512(src *float32, rs int, offs *int, w *float32, k int, y *float32, oh, ow int, first bool) {
	panic("kern: no AVX-512")
}

func dots64x4(x *float32, ys *[4]*float32, n int, out *[4]float64) { panic("kern: no AVX-512") }
