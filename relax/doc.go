// Package relax holds the relaxations of darts-go: how the architecture
// tensors of a supernet become the edge weights of one forward pass.
// Softmax (DARTS) is the first; Sigmoid (FairDARTS, with its zero-one
// loss), BetaDecay (β-DARTS: softmax with the Beta-Decay regularizer),
// Gumbel-softmax (SNAS), hard Gumbel with a straight-through gradient
// (GDAS) and Dirichlet samples (DrNAS) are others. A relaxation is a value of the Relaxation interface:
// a gorgonia block per tensor for the forward pass, the deterministic
// weights that alphas.jsonl records and derivation reads, and optionally a
// regularizer of the architecture objective (Regularizer) and a sparse
// forward (Sparse). Edge tensors (space.KindEdge) are not a relaxation's:
// EdgeSoftmax, PC-DARTS's edge normalization, turns them into edge weights
// whatever the relaxation.
//
// Random draws are a pure function of the Pass (seed, epoch, step, phase)
// and the tensor's name, never of generator state, so a resumed search
// draws exactly what an uninterrupted one would.
//
// It knows the tensors only by their space.Tensor descriptions; it touches
// no network, optimizer or file.
package relax
