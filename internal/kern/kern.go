package kern

import (
	"math"
	"math/bits"
	"runtime"
	"sync"
	"sync/atomic"
	"unsafe"
)

// Float is the element type of every kernel.
type Float interface{ ~float32 | ~float64 }

// Geom describes a 2-D window (convolution or pooling) over an NCHW input.
type Geom struct {
	N, C, H, W          int // input
	K, Stride, Pad, Dil int // square window, symmetric zero padding
}

// OutH is the output height: (H+2*Pad-Dil*(K-1)-1)/Stride + 1.
func (g Geom) OutH() int { return (g.H+2*g.Pad-g.Dil*(g.K-1)-1)/g.Stride + 1 }

// OutW is the output width: (W+2*Pad-Dil*(K-1)-1)/Stride + 1.
func (g Geom) OutW() int { return (g.W+2*g.Pad-g.Dil*(g.K-1)-1)/g.Stride + 1 }

// minWork is the number of multiply-adds below which handing work to another
// goroutine costs more than it saves.
const minWork = 1 << 15

// grain is the minimum number of items per parallel chunk when each item costs
// about work multiply-adds.
func grain(work int) int {
	if work <= 0 {
		return minWork
	}
	return max(1, minWork/work)
}

type job struct {
	f      func(lo, hi int)
	lo, hi int
	wg     *sync.WaitGroup
}

// workers is a pool of long-lived goroutines, so that a parallel kernel call
// costs a channel send per chunk rather than a goroutine start. Work goes
// only to workers that are idle: idle counts the workers committed to
// receive one job from ch, and whoever sends a job first takes one from
// idle (claim). So idle + len(ch) is the number of committed receivers, a
// sent job always has a receiver, and a kernel called while the workers are
// busy (from a task of Tasks, or from several goroutines at once) runs
// inline instead of queueing behind them.
var workers struct {
	mu   sync.Mutex
	n    int
	ch   chan job
	idle atomic.Int64
}

var wgPool = sync.Pool{New: func() any { return new(sync.WaitGroup) }}

func ensureWorkers(k int) {
	workers.mu.Lock()
	defer workers.mu.Unlock()
	if workers.ch == nil {
		workers.ch = make(chan job, 256)
	}
	for ; workers.n < k; workers.n++ {
		go func() {
			// A worker commits to its next job before it reports the last
			// one done, so that the kernel right after finds it idle.
			workers.idle.Add(1)
			for j := range workers.ch {
				j.f(j.lo, j.hi)
				workers.idle.Add(1)
				if j.wg != nil {
					j.wg.Done()
				}
			}
		}()
	}
}

// claim takes up to k idle workers and returns how many it took; the caller
// must send each of them one job.
func claim(k int) int {
	for {
		v := workers.idle.Load()
		if v <= 0 || k <= 0 {
			return 0
		}
		c := min(v, int64(k))
		if workers.idle.CompareAndSwap(v, v-c) {
			return int(c)
		}
	}
}

// parallelFor calls f on disjoint ranges [lo, hi) covering [0, n), on up to
// runtime.GOMAXPROCS(0) goroutines (the caller's and idle pool workers),
// with at least minChunk items per range. The caller's goroutine runs the
// first range. f must not call parallelFor. Which ranges f is called with
// depends on GOMAXPROCS and on what else runs, so f must produce the same
// bits whatever the split: reductions across items go through fixed chunks
// (see reduceBatch).
func parallelFor(n, minChunk int, f func(lo, hi int)) {
	if n <= 0 {
		return
	}
	k := runtime.GOMAXPROCS(0)
	if m := n / max(1, minChunk); m < k {
		k = m
	}
	if k <= 1 {
		f(0, n)
		return
	}
	ensureWorkers(runtime.GOMAXPROCS(0) - 1)
	k = 1 + claim(k-1)
	if k == 1 {
		f(0, n)
		return
	}
	wg := wgPool.Get().(*sync.WaitGroup)
	wg.Add(k - 1)
	for i := 1; i < k; i++ {
		workers.ch <- job{f, i * n / k, (i + 1) * n / k, wg}
	}
	f(0, n/k)
	wg.Wait()
	wgPool.Put(wg)
}

// Tasks calls f(0), …, f(n-1), each once, on the calling goroutine and the
// pool workers that are idle, each taking the next index when it is done
// with one: put the costliest tasks first. f may call kernels (they split
// their work only onto workers still idle), but not Tasks. Since which
// goroutine runs a task varies, each f(i) must write only its own outputs.
// Once out of tasks, the caller serves kernel chunks of the tasks still
// running until they are done.
func Tasks(n int, f func(i int)) {
	procs := runtime.GOMAXPROCS(0)
	if n <= 1 || procs == 1 {
		for i := 0; i < n; i++ {
			f(i)
		}
		return
	}
	ensureWorkers(procs - 1)
	g := groupPool.Get().(*taskGroup)
	g.n, g.f = int64(n), f
	g.next.Store(0)
	c := claim(min(n, procs) - 1)
	g.rem.Store(int64(c))
	for i := 0; i < c; i++ {
		workers.ch <- job{f: g.work}
	}
	g.loop()
	if c > 0 {
		for {
			workers.idle.Add(1)
			select {
			case j := <-workers.ch:
				runJob(j)
				continue
			case <-g.done:
			}
			// Withdraw the receiver the caller promised; if a kernel
			// already took it, a job is on its way: run it.
			if claim(1) == 0 {
				runJob(<-workers.ch)
			}
			break
		}
	}
	g.f = nil
	groupPool.Put(g)
}

func runJob(j job) {
	j.f(j.lo, j.hi)
	if j.wg != nil {
		j.wg.Done()
	}
}

// taskGroup is the state of one Tasks call, pooled so that a call does not
// allocate.
type taskGroup struct {
	next, rem atomic.Int64
	n         int64
	f         func(int)
	done      chan struct{}
	work      func(lo, hi int) // loop, then signal done if last
}

var groupPool = sync.Pool{New: func() any {
	g := &taskGroup{done: make(chan struct{}, 1)}
	g.work = func(int, int) {
		g.loop()
		if g.rem.Add(-1) == 0 {
			g.done <- struct{}{}
		}
	}
	return g
}}

func (g *taskGroup) loop() {
	for {
		i := g.next.Add(1) - 1
		if i >= g.n {
			return
		}
		g.f(int(i))
	}
}

// scratch is reusable memory; a kernel views it as []T.
type scratch struct {
	b     []float64
	class int
}

// Scratch buffers are pooled by size class, four classes an octave (a
// buffer is at most 25% larger than asked for), so that a request finds a
// buffer that fits instead of replacing a smaller one: a training step
// then allocates next to nothing, and the heap stays near its live size.
//
// Each class is one free list shared by all threads. A sync.Pool keeps a
// private buffer per P that the other Ps cannot take, so with two threads
// a class could hold a second copy of every buffer (and it drops them all
// at every second collection, to be allocated again); here a class holds
// at most as many buffers as were ever in use at once, and a class no
// request has used for two collections is dropped (scratchTrim), so that a
// process that moves on to a smaller network gives the memory back.
var scratchPools [4*64 + 1]scratchList

// scratchList is one size class's free buffers.
type scratchList struct {
	mu   sync.Mutex
	free []*scratch
	used bool // a request since the last trim
}

// scratchTrim drops the free buffers of the classes that no request used
// since the last collection but one; it runs after every collection.
func scratchTrim() {
	scratchTrims.Add(1)
	for i := range scratchPools {
		l := &scratchPools[i]
		l.mu.Lock()
		if !l.used {
			clear(l.free)
			l.free = l.free[:0]
		}
		l.used = false
		l.mu.Unlock()
	}
}

// scratchTrims counts scratchTrim's runs (for the tests).
var scratchTrims atomic.Int64

// gcSentinel re-arms itself after each collection, running scratchTrim.
type gcSentinel struct{ _ [16]byte }

func armScratchTrim() {
	runtime.SetFinalizer(&gcSentinel{}, func(*gcSentinel) {
		scratchTrim()
		armScratchTrim()
	})
}

func init() { armScratchTrim() }

// scratchClass returns the size class of a buffer of words float64s and
// the capacity of its buffers.
func scratchClass(words int) (class, capacity int) {
	if words <= 64 {
		return 0, 64
	}
	e := bits.Len(uint(words-1)) - 3 // (words-1)>>e is in [4, 8)
	m := (words-1)>>e + 1            // in [5, 8]
	return 1 + 4*e + m - 5, m << e
}

// getScratch returns a buffer of n elements with unspecified contents, and the
// handle to give back with putScratch once the buffer is no longer used.
func getScratch[T Float](n int) (*scratch, []T) {
	words := (n*int(unsafe.Sizeof(T(0))) + 7) / 8
	class, capacity := scratchClass(words)
	l := &scratchPools[class]
	l.mu.Lock()
	l.used = true
	var s *scratch
	if k := len(l.free); k > 0 {
		s, l.free[k-1] = l.free[k-1], nil
		l.free = l.free[:k-1]
	}
	l.mu.Unlock()
	if s == nil {
		s = &scratch{b: make([]float64, capacity), class: class}
	}
	s.b = s.b[:words]
	if n == 0 {
		return s, nil
	}
	return s, unsafe.Slice((*T)(unsafe.Pointer(&s.b[0])), n)
}

func putScratch(s *scratch) {
	l := &scratchPools[s.class]
	l.mu.Lock()
	l.free = append(l.free, s)
	l.mu.Unlock()
}

// Scratch is a pooled buffer for callers of the kernels (a mixed op's
// per-candidate gradients), so that they need not each own one.
type Scratch struct{ s *scratch }

// GetScratch returns n elements of unspecified contents and the handle to
// Release once they are no longer used.
func GetScratch[T Float](n int) (Scratch, []T) {
	s, b := getScratch[T](n)
	return Scratch{s}, b
}

// Release gives the buffer back to the pool.
func (s Scratch) Release() {
	if s.s != nil {
		putScratch(s.s)
	}
}

func zero[T Float](x []T) {
	for i := range x {
		x[i] = 0
	}
}

// pad copies the h×w plane x into the middle of the (h+2p)×(w+2p) plane dst
// and zeroes the border.
func pad[T Float](x []T, h, w, p int, dst []T) { padFill(x, h, w, p, dst, 0) }

// padReLU is pad of max(x, 0): the ReLU fused into a convolution's read.
func padReLU[T Float](x []T, h, w, p int, dst []T) {
	pw := w + 2*p
	if is32[T]() && h > 0 && w > 0 {
		dst = dst[:(h+2*p)*pw]
		padVec(f32p(x[:h*w]), h, w, f32p(dst), p, 0, true)
		return
	}
	zero(dst[:p*pw])
	for i := 0; i < h; i++ {
		row := dst[(i+p)*pw : (i+p+1)*pw]
		zero(row[:p])
		reluInto(x[i*w:(i+1)*w], row[p:p+w])
		zero(row[p+w:])
	}
	zero(dst[(h+p)*pw : (h+2*p)*pw])
}

// padFill is pad with the border set to v.
func padFill[T Float](x []T, h, w, p int, dst []T, v T) {
	pw := w + 2*p
	if is32[T]() && h > 0 && w > 0 {
		// One vector pass; per-row calls cost more than the copying on
		// the short rows of small planes.
		dst = dst[:(h+2*p)*pw]
		padVec(f32p(x[:h*w]), h, w, f32p(dst), p, float32(v), false)
		return
	}
	fill(dst[:p*pw], v)
	for i := 0; i < h; i++ {
		row := dst[(i+p)*pw : (i+p+1)*pw]
		fill(row[:p], v)
		copy(row[p:p+w], x[i*w:(i+1)*w])
		fill(row[p+w:], v)
	}
	fill(dst[(h+p)*pw:(h+2*p)*pw], v)
}

// padVec is padAVX or pad512.
func padVec(x *float32, h, w int, dst *float32, p int, v float32, relu bool) {
	if useAVX512 {
		pad512(x, h, w, dst, p, v, relu)
		return
	}
	padAVX(x, h, w, dst, p, v, relu)
}

func fill[T Float](x []T, v T) {
	if v == 0 && !math.Signbit(float64(v)) {
		clear(x)
		return
	}
	// A short run by hand, then doubling copies (memmove's vector stores).
	n := min(len(x), 64)
	for i := range n {
		x[i] = v
	}
	for n < len(x) {
		n += copy(x[n:], x[:n])
	}
}

// gradOut stores a backward kernel's input gradient src into dst. It is:
//
//	for i, v := range src {
//		if relu && !(x[i] > 0) { v = 0 }
//		if acc { dst[i] += v } else { dst[i] = v }
//	}
//
// relu is the mask of a ReLU fused into the forward read of x.
func gradOut[T Float](x, src, dst []T, relu, acc bool) {
	dst = dst[:len(src)]
	switch {
	case relu:
		maskOut(x[:len(src)], src, dst, acc)
	case acc:
		for i, v := range src {
			dst[i] += v
		}
	default:
		copy(dst, src)
	}
}

// gradRows is gradOut on rows rows of w elements: src's at pitch spitch,
// x's and dst's contiguous (a stacked plane's rows into an NCHW plane). If
// !relu, x is not read (and may be nil).
func gradRows[T Float](x, src, dst []T, rows, w, spitch int, relu, acc bool) {
	pitchRows(x, src, dst, rows, w, spitch, w, relu, acc)
}

// pitchRows is gradRows with x's and dst's rows at pitch dpitch.
func pitchRows[T Float](x, src, dst []T, rows, w, spitch, dpitch int, relu, acc bool) {
	if rows == 0 || w == 0 {
		return
	}
	_ = src[(rows-1)*spitch+w-1]
	_ = dst[(rows-1)*dpitch+w-1]
	if relu {
		_ = x[(rows-1)*dpitch+w-1]
	}
	if is32[T]() && useAVX512 {
		xp := f32p(dst) // not read without relu
		if relu {
			xp = f32p(x)
		}
		rows512(xp, f32p(src), f32p(dst), rows, w, spitch, dpitch, relu, acc)
		return
	}
	for r := range rows {
		var xr []T
		if relu {
			xr = x[r*dpitch : r*dpitch+w]
		}
		gradOut(xr, src[r*spitch:r*spitch+w], dst[r*dpitch:r*dpitch+w], relu, acc)
	}
}

// maskAdd is: for i, v := range x { if v > 0 { dst[i] += src[i] } }.
func maskAdd[T Float](x, src, dst []T) { maskOut(x, src, dst, true) }

// maskOut is: for i, v := range x { m := v > 0; if acc { dst[i] += m·src[i] }
// else { dst[i] = m·src[i] } }, without branches on the sign: the signs of
// activations are random, and mispredicted branches made this loop cost
// several times the arithmetic around it.
func maskOut[T Float](x, src, dst []T, acc bool) {
	if len(x) == 0 {
		return
	}
	n := len(x)
	src, dst = src[:n], dst[:n]
	if is32[T]() {
		if useAVX512 {
			mask512(f32p(x), f32p(src), f32p(dst), n, acc)
		} else {
			maskAVX(f32p(x), f32p(src), f32p(dst), n, acc)
		}
		return
	}
	if unsafe.Sizeof(x[0]) == 4 {
		maskOut32(unsafe.Slice((*float32)(unsafe.Pointer(&x[0])), n),
			unsafe.Slice((*float32)(unsafe.Pointer(&src[0])), n),
			unsafe.Slice((*float32)(unsafe.Pointer(&dst[0])), n), acc)
		return
	}
	maskOut64(unsafe.Slice((*float64)(unsafe.Pointer(&x[0])), n),
		unsafe.Slice((*float64)(unsafe.Pointer(&src[0])), n),
		unsafe.Slice((*float64)(unsafe.Pointer(&dst[0])), n), acc)
}

// maskOut32 tests v > 0 on the bits: v is positive, non-zero and not NaN
// exactly when bits-1 < bits(+Inf) as unsigned integers.
func maskOut32(x, src, dst []float32, acc bool) {
	src, dst = src[:len(x)], dst[:len(x)]
	if !acc {
		for i, v := range x {
			var m uint32
			if math.Float32bits(v)-1 < 0x7f800000 {
				m = ^uint32(0)
			}
			dst[i] = math.Float32frombits(math.Float32bits(src[i]) & m)
		}
		return
	}
	for i, v := range x {
		var m uint32
		if math.Float32bits(v)-1 < 0x7f800000 {
			m = ^uint32(0)
		}
		dst[i] += math.Float32frombits(math.Float32bits(src[i]) & m)
	}
}

func maskOut64(x, src, dst []float64, acc bool) {
	src, dst = src[:len(x)], dst[:len(x)]
	if !acc {
		for i, v := range x {
			var m uint64
			if math.Float64bits(v)-1 < 0x7ff0000000000000 {
				m = ^uint64(0)
			}
			dst[i] = math.Float64frombits(math.Float64bits(src[i]) & m)
		}
		return
	}
	for i, v := range x {
		var m uint64
		if math.Float64bits(v)-1 < 0x7ff0000000000000 {
			m = ^uint64(0)
		}
		dst[i] += math.Float64frombits(math.Float64bits(src[i]) & m)
	}
}
