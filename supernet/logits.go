package supernet

// Logits returns the logits of the last Run: Batch rows of one value per
// class, row-major. The slice is the graph's own buffer: it is valid until
// the next Run, and a caller that keeps it must copy it.
func (r *graphRun[T]) Logits() []T {
	if r.logits == nil || r.logits.Value() == nil {
		return nil
	}
	return r.logits.Value().Data().([]T)
}
