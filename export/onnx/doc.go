// Package onnx writes ONNX models (ModelProto files) of the convolutional
// networks darts-go trains, for inference in onnxruntime, PyTorch and other
// ONNX consumers, and reads them back for tests and tools.
//
// It has three layers:
//
//   - Model, Node, Attr, Tensor and ValueInfo mirror the subset of onnx.proto
//     an inference CNN needs; Model.Marshal encodes them with protowire, and
//     Unmarshal decodes them (a reader written for this package's tests and
//     tools; it rejects what it does not model), and UnmarshalTensor decodes
//     a TensorProto such as the input and output files of ONNX's node tests.
//   - Builder makes a Model with ir_version 7, opset_import {"" 13}, one
//     float input whose first dimension is the symbolic "N", float32
//     initializers (raw_data, little-endian) and the nodes of a DARTS
//     evaluation network or a NAS-Bench-201 network in inference form: Conv,
//     BatchNormalization (5 inputs), Relu, MaxPool, AveragePool
//     (count_include_pad 0), Add, Sum, Concat, GlobalAveragePool, Flatten,
//     Gemm, Sub, Div, Mul, Slice, Pad and Identity.
//   - Model.InferShapes propagates shapes through those ops and reports
//     inconsistencies (wrong channel counts, mismatched Add operands, a
//     declared output that disagrees) before a file is written.
//
// The reference evaluator in the subpackage onnxref runs such a model with
// plain loops, for tests.
//
// # Encoding
//
// Field numbers are those of onnx.proto (proto2) as shipped by Debian's
// python3-onnx 1.12.0 (/usr/lib/python3/dist-packages/onnx/onnx.proto); the
// constants in proto.go cite them. Messages are written the way the ONNX
// Python helpers (onnx.helper.make_model, make_graph, make_node,
// make_tensor(raw=True), make_tensor_value_info) and the protobuf runtime
// write them: fields in field-number order, repeated int64 unpacked (proto2),
// node attributes sorted by name, every explicitly set optional field
// present. The tests compare the bytes with files that those helpers wrote.
//
// # Opset 13 semantics worth knowing
//
// AveragePool's count_include_pad=0 (also the default, written explicitly)
// divides each window's sum by the number of window elements inside the
// unpadded input, as PyTorch's AvgPool2d(count_include_pad=False) does with
// ceil_mode=False; tools/onnxcheck compares the two on padded borders.
// MaxPool ignores padding (padded cells never win). Slice takes starts,
// ends and axes as int64 inputs (initializers here); ends beyond the
// dimension are clamped, so math.MaxInt64 means "to the end".
//
// This package touches no files except in Model.WriteFile and ReadFile.
package onnx
