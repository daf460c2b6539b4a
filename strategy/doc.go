// Package strategy holds the search strategies that work on a trained
// one-shot supernet instead of through its gradients: random search, grid
// search, regularized evolution and REINFORCE, each scoring candidate
// architectures with the supernet's shared weights on a few search-val
// batches (Scorer), as ENAS, RSPS and SPOS estimate them, and the
// sampling RSPS trains the supernet with (Uniform, one architecture per
// step).
//
// An architecture is a vector of decisions (Encoding: two inputs and their
// ops per node on the DARTS space, one op per edge on NAS-Bench-201). A
// strategy proposes candidate i as a function of the seed, i and the
// scores of the candidates before it, so that a selection resumes from its
// select.jsonl alone (Run replays it).
//
// It touches the supernet's weights only to read them: scoring leaves the
// weights, the architecture tensors and the BatchNorm running statistics
// as it found them. Files are written through package rundir.
package strategy

import "github.com/darts-go/darts/mixedop"

// Float is the element type of a network.
type Float = mixedop.Float
