package bilevel

import (
	"github.com/darts-go/darts/optim"
	"github.com/darts-go/darts/supernet"
)

// What a procedure that continues a search with other settings needs (the
// tuning between DARTS-PT's decisions: a fresh weight optimizer, the
// search's architecture optimizer): the architecture optimizer's state,
// and the runners of the search's network.

// ArchOptimizerState returns the state of the architecture optimizer
// (Adam's moments and step count, or plain SGD's: Settings.ArchOptimizer).
func (s *Search[T]) ArchOptimizerState() optim.OptimState { return s.archOpt().State() }

// SetArchOptimizerState restores a state ArchOptimizerState returned, of
// a search of the same architecture tensors; it checks fully before
// changing anything.
func (s *Search[T]) SetArchOptimizerState(st optim.OptimState) error { return s.archOpt().SetState(st) }

// Runner returns the search's runner of batches of n in training (train)
// or eval mode, building it on first use; it stays the search's (Close
// closes it). A training runner computes every gradient unless
// SetWeightGrads(false) is in force; set it back after use.
func (s *Search[T]) Runner(n int, train bool) (*supernet.Runner[T], error) { return s.runner(n, train) }
