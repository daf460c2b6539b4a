// Package network turns the trained network of a genotype — DARTS's
// NetworkCIFAR or NAS-Bench-201's TinyNetwork, as supernet.Discrete builds
// them — into files other tools read:
//
//   - ONNX builds an inference model (package export/onnx: opset 13, IR 7):
//     the input normalization, then eval-mode BatchNormalization nodes, no
//     drop path and no auxiliary head, the logits as output, the batch
//     dimension symbolic;
//   - PyTorch lists the tensors under the state_dict keys of the original
//     code (quark0/darts cnn/model.py NetworkCIFAR, auxiliary head included
//     when present; AutoDL-Projects' xautodl TinyNetwork), BatchNorm's
//     num_batches_tracked included, for package export/safetensors.
//
// Both work from the network's config (supernet.DiscreteConfig) and its
// tensors by darts-go name, as weights.dgo stores them (see Weights and the
// doc of supernet.Discrete), and rebuild the architecture from the config
// the way model.py and TinyNetwork define it, independently of supernet's
// code: the tests hold the exported model to darts-go's own forward pass
// and to PyTorch's (testdata of package internal/golden), and
// tools/iocheck runs the files in onnxruntime and in a PyTorch module.
//
// # The ONNX graph
//
// Input "input", float32 [N, C, H, W] with pixels in [0, 1] (an 8-bit
// image divided by 255, channels in the dataset's order: RGB, or gray);
// output "logits", float32 [N, classes], before any softmax. The first
// nodes are Sub(input, mean) and Div(·, std) with the per-channel mean and
// standard deviation of the training images (a std of 0 divides by 1, as
// package datasets does). Initializers carry the darts-go tensor names.
// Ops map as model.py's and AutoDL's modules compute them: ReLUConvBN is
// Relu, Conv, BatchNormalization (epsilon 1e-5); SepConv and DilConv are
// depthwise (group = C) and 1×1 Convs; max_pool_3x3 and avg_pool_3x3 are
// MaxPool and AveragePool (count_include_pad 0) with pads 1;
// FactorizedReduce is two stride-2 1×1 Convs, one on x[:, :, 1:, 1:]
// (Slice), and Concat; a node sums its ops with Add or Sum; a DARTS cell
// ends in Concat; 'none' terms are left out of a sum (a node of 'none'
// only is Mul by 0); the head is GlobalAveragePool, Flatten and Gemm.
// NAS-Bench-201's residual blocks are ReLUConvBN twice plus AveragePool
// (2×2, stride 2) and a 1×1 Conv on the shortcut, joined by Add.
//
// This package touches no files.
package network
