package tensorboard

import (
	"fmt"
	"math"
	"sort"
	"sync"
)

var defaultLimits = sync.OnceValue(func() []float64 {
	var pos []float64
	for v := 1e-12; v < 1e20; v *= 1.1 {
		pos = append(pos, v)
	}
	pos = append(pos, math.MaxFloat64)
	out := make([]float64, 0, 2*len(pos)+1)
	for i := len(pos) - 1; i >= 0; i-- {
		out = append(out, -pos[i])
	}
	out = append(out, 0)
	return append(out, pos...)
})

// DefaultBucketLimits returns a copy of TensorFlow's default histogram
// bucket limits (histogram.cc InitDefaultBucketsInner): 1551 increasing
// limits from -DBL_MAX to DBL_MAX, growing by a factor 1.1 from ±1e-12.
func DefaultBucketLimits() []float64 {
	return append([]float64(nil), defaultLimits()...)
}

// NewHisto builds the HistogramProto that TensorFlow's histogram.cc builds
// for values with the default bucket limits (Histogram::Add for each value,
// then EncodeToProto(preserve_zero_buckets=false)). It fails on a NaN or
// infinite value. No values give TensorFlow's empty histogram: min DBL_MAX,
// max -DBL_MAX, and one empty bucket up to DBL_MAX.
func NewHisto(values []float64) (*Histo, error) {
	limits := defaultLimits()
	counts := make([]float64, len(limits))
	h := &Histo{Min: limits[len(limits)-1], Max: -math.MaxFloat64}
	for i, v := range values {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("tensorboard: histogram value %d is %v", i, v)
		}
		// std::upper_bound: the first limit > v.
		b := sort.Search(len(limits), func(j int) bool { return limits[j] > v })
		counts[b]++
		h.Min = min(h.Min, v)
		h.Max = max(h.Max, v)
		h.Num++
		h.Sum += v
		h.SumSquares += v * v
	}
	for i := 0; i < len(counts); {
		end, count := limits[i], counts[i]
		i++
		if count <= 0 {
			for i < len(counts) && counts[i] <= 0 {
				end, count = limits[i], counts[i]
				i++
			}
		}
		h.BucketLimit = append(h.BucketLimit, end)
		h.Bucket = append(h.Bucket, count)
	}
	return h, nil
}
