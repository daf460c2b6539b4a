// Package tensorio reads and writes darts-go tensor archives: a list of named,
// typed, shaped tensors plus a free-form JSON metadata object, in one file.
// Checkpoints (weights, alphas, optimizer state) and exported model weights
// use it.
//
// # File layout (version 1)
//
// All integers are little-endian. Offsets are in bytes.
//
//	offset        size  field
//	0             8     magic, the ASCII bytes "DARTSGO1"
//	8             4     version, uint32, currently 1
//	12            4     H, the header length in bytes, uint32
//	16            H     header: a UTF-8 JSON object (see below), possibly
//	                    followed by ASCII spaces (the writer pads it so that the
//	                    data section starts at a multiple of 8; readers must not
//	                    rely on that)
//	16+H          D     data section: the tensors' raw element bytes
//	16+H+D        4     CRC-32 (IEEE polynomial, as hash/crc32.ChecksumIEEE) of
//	                    bytes [0, 16+H+D), uint32
//
// The file ends right after the checksum; trailing bytes are an error.
//
// The header object is
//
//	{
//	  "meta": { ...any JSON object... },
//	  "tensors": [
//	    {"name": "w0", "dtype": "float32", "shape": [16, 3, 3, 3], "offset": 0, "length": 1728},
//	    ...
//	  ]
//	}
//
// where, for each tensor,
//   - name is non-empty and unique within the file;
//   - dtype is one of "float32", "float64" (IEEE 754 binary32/binary64 bit
//     patterns, NaN payloads and signed zeros preserved), "int64", "uint64";
//   - shape lists the dimensions, each >= 0; [] is a scalar (one element);
//     the element count is the product of the dimensions;
//   - offset is the tensor's start relative to the start of the data section
//     and length its size in bytes, which must equal the element count times
//     the element size (4 or 8);
//   - tensors are stored in header order, back to back with no gaps: the
//     first offset is 0 and each next offset is the previous offset plus the
//     previous length. D is the sum of the lengths.
//
// Elements are stored in row-major (C) order, each in little-endian byte
// order.
//
// # Reading untrusted input
//
// Read checks every length and offset against the size of the input before it
// allocates anything for a tensor, reports truncation (expected versus actual
// size), corruption (checksum mismatch), malformed headers, shape/length
// mismatches and duplicate names as errors (see the Err* values for
// errors.Is), and never panics.
package tensorio
