// Package safetensors writes and reads the safetensors format of Hugging
// Face, which PyTorch users load with safetensors.torch.load_file (and then
// module.load_state_dict), for float32 tensors and int64 tensors such as
// BatchNorm's 0-dim num_batches_tracked.
//
// # File layout
//
// From the format description in the README of huggingface/safetensors and
// its reference implementation (safetensors/src/tensor.rs, functions
// prepare, serialize and SafeTensors::read_metadata / Metadata::validate):
//
//	offset  size  field
//	0       8     N, uint64 little-endian: the header length
//	8       N     header: a UTF-8 JSON object, starting with '{', padded at
//	              the end with spaces (0x20) so that 8+N is a multiple of 8
//	8+N     D     byte buffer: the tensors' elements, little-endian, C order,
//	              back to back with no holes; the file ends right after it
//
// The header maps each tensor name to
// {"dtype":"F32","shape":[1,2,3],"data_offsets":[BEGIN,END]} (offsets
// relative to the byte buffer, END exclusive, END-BEGIN equal to the element
// count times the element size), and the optional key "__metadata__" to a
// string-to-string object.
//
// The writer does what the reference serializer does, so that its files are
// byte-identical to safetensors' own for the same tensors: tensors are laid
// out sorted by descending dtype alignment (I64 before F32; the reference's
// Dtype enum order) and then by name (bytewise), the header is compact
// serde_json-style JSON with "__metadata__" first and the tensors in layout
// order, each with the keys dtype, shape, data_offsets in that order, and
// the header is padded with spaces to a multiple of 8. Metadata keys are
// written sorted (the reference keeps them in a hash map, in no set order).
// Strings are escaped as serde_json does: only '"', '\\' and control
// characters.
//
// The reader checks everything the reference's read_metadata checks (header
// size at most 100,000,000 bytes, a '{' first, valid UTF-8 JSON, no duplicate
// names, offsets contiguous from 0 in offset order, sizes matching shape and
// dtype, nothing after the last tensor) and returns errors, never panics. It
// supports the dtypes F32 and I64 only.
//
// This package touches only the io.Writer/io.Reader it is given, or, for
// WriteFile and ReadFile, the one named file.
package safetensors
