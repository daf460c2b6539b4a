// Package npy writes and reads NumPy .npy files (format version 1.0) holding
// float32 arrays in C (row-major) order, so that arrays computed by darts-go
// (weights, alphas, inputs and expected outputs of exported models) can be
// opened with numpy.load and numpy-written arrays can be read back.
//
// # File layout (NumPy format version 1.0)
//
// As specified in numpy/lib/format.py (NEP 1):
//
//	offset  size  field
//	0       6     magic "\x93NUMPY"
//	6       1     major version, 1
//	7       1     minor version, 0
//	8       2     HEADER_LEN, uint16 little-endian
//	10      HL    header: the ASCII repr of a Python dict, e.g.
//	              {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
//	              padded with spaces and ended by '\n' so that 10+HL is a
//	              multiple of 64
//	10+HL   4*n   the elements, float32 little-endian, C order
//
// The writer reproduces numpy 1.24's header byte for byte: keys in sorted
// order, numpy's extra 21-len(repr(shape[0])) spaces of room for a growing
// first axis, and numpy's padding rule (pad = 64 - (11+len(dict)) % 64, so a
// header that would already end on a 64-byte boundary gets 64 more spaces).
//
// The reader accepts format versions 1.0, 2.0 (uint32 HEADER_LEN) and 3.0
// (UTF-8 header) with descr '<f4' (little-endian float32), fortran_order
// False and any shape. Any other file (float64, big-endian, Fortran order,
// a malformed dict, short or trailing data) is an error,
// never a panic; the reader allocates memory only as the data arrives, so a
// header announcing a huge shape over a short input fails with ErrTruncated
// instead of exhausting memory.
//
// This package touches only the io.Writer/io.Reader it is given, or, for
// WriteFile and ReadFile, the one named file.
package npy
