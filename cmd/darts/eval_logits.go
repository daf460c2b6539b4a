package main

import (
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"

	"github.com/darts-go/darts/datasets"
	"github.com/darts-go/darts/export/npy"
	"github.com/darts-go/darts/internal/atomicfile"
	"github.com/darts-go/darts/job"
	"github.com/darts-go/darts/supernet"
	"github.com/spf13/pflag"
)

// evalOutputs are darts eval's flags that write what it computed.
type evalOutputs struct {
	logits, images string
	limit          int
}

func addEvalOutputFlags(fs *pflag.FlagSet) *evalOutputs {
	o := &evalOutputs{}
	fs.StringVar(&o.logits, "logits", "", "write the logits of the images evaluated to `FILE.npy` (float32, N×classes, before softmax)")
	fs.StringVar(&o.images, "images", "", "write the images evaluated to `FILE.npy` (float32, N×C×H×W, pixels in [0, 1], not normalized: the input of the ONNX export)")
	fs.IntVar(&o.limit, "limit", 0, "evaluate only the first `N` test images (0: all)")
	return o
}

// used reports whether any of the flags was given.
func (o *evalOutputs) used() bool { return o.logits != "" || o.images != "" || o.limit > 0 }

// evalAndWrite is darts eval with --logits, --images or --limit.
func evalAndWrite(stdout io.Writer, tr *job.Trained, data *datasets.Splits, batch int, o *evalOutputs) error {
	ev, err := evalFirst(tr.Net, data.Test, data.Info, batch, o.limit, o.images != "")
	if err != nil {
		return err
	}
	what := fmt.Sprintf("%d images", ev.n)
	if ev.n < data.Test.Len() {
		what = fmt.Sprintf("the first %d of %d images", ev.n, data.Test.Len())
	}
	fmt.Fprintf(stdout, "%s (trained %d epochs, %s params) on %s test (%s): loss %.4f, accuracy %.2f%%\n",
		tr.Weights, tr.Epochs, thousands(tr.Net.NumParams()), data.Info.Name, what, ev.loss, 100*ev.acc)
	if o.logits != "" {
		if err := writeNpy(o.logits, []int{ev.n, tr.Net.Cfg.Classes}, ev.logits); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "logits: %s (float32 %dx%d)\n", o.logits, ev.n, tr.Net.Cfg.Classes)
	}
	if o.images != "" {
		s := data.Info.Shape
		if err := writeNpy(o.images, []int{ev.n, s[0], s[1], s[2]}, ev.images); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "images: %s (float32 %dx%dx%dx%d, pixels in [0, 1])\n", o.images, ev.n, s[0], s[1], s[2])
	}
	return nil
}

func (o *evalOutputs) check() error {
	if o.limit < 0 {
		return usageErrorf("--limit %d: want 0 (all) or a positive count", o.limit)
	}
	if err := checkOutFile("--logits", o.logits); err != nil {
		return err
	}
	return checkOutFile("--images", o.images)
}

// checkOutFile checks, before any work, that the file a flag names can be
// created: its directory exists and it is not itself a directory. An empty
// path passes.
func checkOutFile(flag, path string) error {
	if path == "" {
		return nil
	}
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return fmt.Errorf("%s %s: is a directory, want a file name", flag, path)
	}
	dir := filepath.Dir(path)
	st, err := os.Stat(dir)
	switch {
	case os.IsNotExist(err):
		return fmt.Errorf("%s %s: directory %s does not exist", flag, path, dir)
	case err != nil:
		return fmt.Errorf("%s %s: %w", flag, path, err)
	case !st.IsDir():
		return fmt.Errorf("%s %s: %s is not a directory", flag, path, dir)
	}
	return nil
}

// evaluated is what evalFirst computed.
type evaluated struct {
	n         int
	loss, acc float64
	logits    []float32 // n×classes
	images    []float32 // n×C×H×W in [0, 1], if asked for
}

// evalFirst evaluates the first limit images of set (all if limit is 0)
// in batches of batch, in the test set's order, keeping the logits and,
// if wantImages, the images in [0, 1].
func evalFirst(net *supernet.Discrete[float32], set *datasets.Set, info datasets.Info, batch, limit int, wantImages bool) (*evaluated, error) {
	total := set.Len()
	if limit > 0 && limit < total {
		total = limit
	}
	if total == 0 {
		return nil, fmt.Errorf("evaluation: the test set is empty")
	}
	var un *unnormalizer
	if wantImages {
		var err error
		if un, err = newUnnormalizer(info); err != nil {
			return nil, err
		}
	}
	classes := net.Cfg.Classes
	ev := &evaluated{n: total, logits: make([]float32, 0, total*classes)}
	runners := map[int]*supernet.DiscreteRunner[float32]{}
	defer func() {
		for _, r := range runners {
			r.Close()
		}
	}()
	it := set.Batches(batch, 0, 0, false, datasets.Augment{}, false)
	var b datasets.Batch
	var lossSum float64
	correct, seen := 0, 0
	for seen < total && it.Next(&b) {
		per := len(b.X) / b.N
		k := min(b.N, total-seen)
		x, y := b.X[:k*per], b.Y[:k]
		r := runners[k]
		if r == nil {
			var err error
			if r, err = net.NewRunner(k, false); err != nil {
				return nil, fmt.Errorf("evaluation: %w", err)
			}
			runners[k] = r
		}
		res, err := r.Run(x, y)
		if err != nil {
			return nil, fmt.Errorf("evaluation: %w", err)
		}
		lossSum += res.Loss * float64(k)
		correct += res.Correct
		seen += k
		ev.logits = append(ev.logits, r.Logits()...)
		if un != nil {
			img, err := un.images(x)
			if err != nil {
				return nil, err
			}
			ev.images = append(ev.images, img...)
		}
	}
	ev.loss, ev.acc = lossSum/float64(seen), float64(correct)/float64(seen)
	return ev, nil
}

// unnormalizer recovers an image's pixels from its normalized values:
// package datasets maps pixel v of channel c to float32((v/255 - mean[c])
// / s) with s = std[c], or 1 where std[c] is 0, a strictly increasing map
// of v, so the v whose value that is can be told back exactly.
type unnormalizer struct {
	lut   [][256]float32
	plane int
}

func newUnnormalizer(info datasets.Info) (*unnormalizer, error) {
	c := info.Shape[0]
	if len(info.Mean) != c || len(info.Std) != c {
		return nil, fmt.Errorf("config.json: %d means and %d standard deviations for %d channels", len(info.Mean), len(info.Std), c)
	}
	u := &unnormalizer{lut: make([][256]float32, c), plane: info.Shape[1] * info.Shape[2]}
	for ch := range u.lut {
		s := info.Std[ch]
		if s == 0 {
			s = 1
		}
		for v := range 256 {
			u.lut[ch][v] = float32((float64(v)/255 - info.Mean[ch]) / s)
		}
	}
	return u, nil
}

// images turns normalized values (whole images, NCHW) back into v/255.
func (u *unnormalizer) images(x []float32) ([]float32, error) {
	out := make([]float32, len(x))
	c := len(u.lut)
	for i, val := range x {
		lut := &u.lut[i/u.plane%c]
		// The nearest table entry, then an exact check.
		v := 0
		lo, hi := 0, 255
		for lo <= hi {
			m := (lo + hi) / 2
			if lut[m] < val {
				lo = m + 1
			} else {
				hi = m - 1
			}
		}
		v = lo
		if v > 0 && (v > 255 || math.Abs(float64(lut[v-1]-val)) < math.Abs(float64(lut[v]-val))) {
			v--
		}
		if lut[v] != val {
			return nil, fmt.Errorf("internal error: value %v of channel %d is no pixel's under the run's normalization", val, i/u.plane%c)
		}
		out[i] = float32(v) / 255
	}
	return out, nil
}

// writeNpy writes a float32 array to path atomically.
func writeNpy(path string, shape []int, data []float32) error {
	return atomicfile.Write(path, 0o644, func(w io.Writer) error { return npy.Write(w, shape, data) })
}
