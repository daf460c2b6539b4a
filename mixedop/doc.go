// Package mixedop is darts-go's neural-network layer and its candidate
// operations:
//
//   - the Module layer: one module per file, each a differentiable
//     function of one NCHW activation with a hand-written backward held
//     to finite differences by the test beside it (relu.go, dwconv.go,
//     pwconv.go, conv.go, conv_rect.go, batchnorm.go, pool.go, identity.go, zero.go,
//     seq.go, factorized_reduce.go, linear.go), initialized as PyTorch
//     0.3.1 does;
//   - the candidate operations of the search spaces (candidates.go: the
//     DARTS and NAS-Bench-201 ops) and their registry, which takes the
//     constructors of operations defined elsewhere (Register) and gives
//     their names to package space, so that genotypes and --ops know them;
//   - the mixed operation Σ_k w_k·op_k(x) of a supernet edge (mixed.go),
//     which takes its weights from any relaxation, and the edges built
//     around it: PC-DARTS's partial-channel edge (partial.go) and DARTS-'s
//     auxiliary skip (auxskip.go);
//   - the bridge to gorgonia (graphop.go, block.go): a Block becomes one
//     graph node whose buffers live across steps.
//
// It knows nothing about cells, networks or training loops.
package mixedop
