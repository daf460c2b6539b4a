// Package onnxref evaluates the ONNX models that package onnx builds, with
// plain nested loops in float64 accumulators: slow, obvious code that serves
// as the expected result when the same model is run by onnxruntime
// (tools/onnxcheck) and when a darts-go network's export is compared with its
// own forward pass. It supports exactly the ops of onnx.Builder, 2-d
// spatial convolutions and pools in NCHW, and the attributes Builder writes;
// anything else is an error, never a guess.
//
// It touches nothing but its arguments.
package onnxref
