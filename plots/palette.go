package plots

import (
	"hash/fnv"
	"image/color"
)

// opColors gives every known operation the same color in every figure, so a
// reader learns "orange is sep_conv_3x3" once. Colors are the Okabe–Ito and
// Tableau sets, distinguishable with the common forms of color blindness.
var opColors = map[string]color.RGBA{
	"none":         {0x99, 0x99, 0x99, 0xff}, // gray: "no edge"
	"max_pool_3x3": {0x00, 0x72, 0xb2, 0xff}, // blue
	"avg_pool_3x3": {0x56, 0xb4, 0xe9, 0xff}, // sky blue
	"skip_connect": {0xd5, 0x5e, 0x00, 0xff}, // vermillion: the op of DARTS collapse
	"sep_conv_3x3": {0x00, 0x9e, 0x73, 0xff}, // bluish green
	"sep_conv_5x5": {0x1b, 0x5e, 0x20, 0xff}, // dark green
	"dil_conv_3x3": {0xcc, 0x79, 0xa7, 0xff}, // reddish purple
	"dil_conv_5x5": {0x6a, 0x3d, 0x9a, 0xff}, // purple
	"nor_conv_1x1": {0xe6, 0x9f, 0x00, 0xff}, // orange (NAS-Bench-201)
	"nor_conv_3x3": {0x8c, 0x56, 0x4b, 0xff}, // brown (NAS-Bench-201)
	"sep_conv_7x7": {0x0b, 0x3d, 0x12, 0xff}, // darkest green
	"conv_7x1_1x7": {0xf0, 0xe4, 0x42, 0xff}, // yellow (AmoebaNet)
}

// extraColors serve unknown op names, picked by a hash of the name so that
// an op keeps its color across figures and runs.
var extraColors = []color.RGBA{
	{0x1f, 0x77, 0xb4, 0xff}, {0xff, 0x7f, 0x0e, 0xff}, {0x2c, 0xa0, 0x2c, 0xff},
	{0xd6, 0x27, 0x28, 0xff}, {0x94, 0x67, 0xbd, 0xff}, {0x8c, 0x56, 0x4b, 0xff},
	{0xe3, 0x77, 0xc2, 0xff}, {0x7f, 0x7f, 0x7f, 0xff}, {0xbc, 0xbd, 0x22, 0xff},
	{0x17, 0xbe, 0xcf, 0xff},
}

// OpColor returns the color of operation op in every figure.
func OpColor(op string) color.RGBA {
	if c, ok := opColors[op]; ok {
		return c
	}
	h := fnv.New32a()
	h.Write([]byte(op))
	return extraColors[h.Sum32()%uint32(len(extraColors))]
}

// faded returns c blended toward white, for de-emphasized elements.
func faded(c color.RGBA, keep float64) color.RGBA {
	mix := func(v uint8) uint8 { return uint8(float64(v)*keep + 255*(1-keep)) }
	return color.RGBA{mix(c.R), mix(c.G), mix(c.B), 0xff}
}
