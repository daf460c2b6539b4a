// Package bilevel trains a supernet by alternating architecture steps on the
// search-validation split with weight steps on the search-train split, as in
// DARTS: optimizers (SGD with momentum and weight decay, Adam), the cosine
// schedule, gradient clipping, first- and second-order architecture gradients,
// and checkpoint/resume of the whole search state.
package bilevel

import "github.com/darts-go/darts/mixedop"

// Float is the element type of a search: float32 in normal use, float64 for
// exact tests.
type Float = mixedop.Float
