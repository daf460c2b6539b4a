package optim

import "math"

// CosineLR is the closed form of PyTorch's CosineAnnealingLR with
// T_max = total and eta_min = min: the learning rate after epoch
// scheduler steps,
//
//	min + (base-min)*(1+cos(pi*epoch/total))/2
//
// so CosineLR(base, min, 0, total) = base and CosineLR(base, min, total,
// total) = min. The operations are in PyTorch's order so that the result
// matches its Python floats (up to the last bit of cos).
func CosineLR(base, min float64, epoch, total int) float64 {
	return min + (base-min)*(1+math.Cos(math.Pi*float64(epoch)/float64(total)))/2
}

// DARTSEpochLR is the learning rate the original DARTS search
// (quark0/darts, cnn/train_search.py, run with PyTorch 0.3.1, the version
// its README requires) trains epoch (0-based) of total with.
//
// The script calls scheduler.step() at the start of every epoch and reads
// scheduler.get_lr()[0]. In PyTorch 0.3 (and up to 1.0),
// _LRScheduler.__init__ calls self.step(last_epoch+1) and then resets
// self.last_epoch = last_epoch, so a fresh scheduler has last_epoch = -1;
// the step() at the start of epoch e makes last_epoch = e. Epoch e therefore
// trains with CosineLR(base, min, e, total): the first epoch with base, the
// last with CosineLR(base, min, total-1, total) > min, which is never
// reached.
//
// (From PyTorch 1.1 on, the constructor's step is no longer undone, so the
// same script run with a newer PyTorch trains epoch e with
// CosineLR(base, min, e+1, total) and warns about the call order; that is
// not what the paper's numbers were produced with.)
func DARTSEpochLR(base, min float64, epoch, total int) float64 {
	return CosineLR(base, min, epoch, total)
}
