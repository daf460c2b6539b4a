// Package mixedop holds the candidate operations of the DARTS search space
// (ReLU-Conv-BN, separable and dilated convolutions, FactorizedReduce,
// pooling, identity, zero), the named op sets (darts, nas-bench-201, user
// subsets), the mixed operation Σ_k w_k·op_k(x), and the custom gorgonia Ops
// that run them on darts-go's own kernels with buffers that live across steps.
//
// It knows nothing about cells or training loops.
package mixedop
