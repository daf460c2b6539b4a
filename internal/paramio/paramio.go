// Package paramio stores groups of network parameters in tensorio archives
// and restores them: the plumbing that the search checkpoint (bilevel), the
// training checkpoint and the model weights file (derive) share. It checks a
// whole file against the network before changing anything, so a file that
// does not fit leaves the network as it was, and its errors name the file
// and the tensor.
package paramio

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unsafe"

	"github.com/darts-go/darts/internal/tensorio"
	"github.com/darts-go/darts/mixedop"
)

// Float is the element type of a network.
type Float = mixedop.Float

// DType is "float32" or "float64", the tensorio type of T.
func DType[T Float]() string {
	var z T
	if unsafe.Sizeof(z) == 4 {
		return "float32"
	}
	return "float64"
}

// Tensor copies xs into a tensor of T's precision named name, bit for bit
// (NaN payloads included). A nil shape stores a vector.
func Tensor[T Float](name string, shape []int, xs []T) tensorio.Tensor {
	t := tensorio.Tensor{Name: name, Shape: slices.Clone(shape)}
	if DType[T]() == "float32" {
		t.F32 = slices.Clone(F32View(xs))
	} else {
		t.F64 = slices.Clone(F64View(xs))
	}
	return t
}

// F32View reinterprets xs as []float32; T must be 4 bytes wide.
func F32View[T Float](xs []T) []float32 {
	return unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(xs))), len(xs))
}

// F64View reinterprets xs as []float64; T must be 8 bytes wide.
func F64View[T Float](xs []T) []float64 {
	return unsafe.Slice((*float64)(unsafe.Pointer(unsafe.SliceData(xs))), len(xs))
}

// Group is a list of parameters stored under a common name prefix: the
// parameter "stem.conv" of the group "weight/" is the tensor
// "weight/stem.conv".
type Group[T Float] struct {
	Prefix string
	Params []*mixedop.Param[T]
}

// Tensors returns the tensors of the groups, in order, each with its
// parameter's shape and T's precision.
func Tensors[T Float](groups ...Group[T]) []tensorio.Tensor {
	var ts []tensorio.Tensor
	for _, g := range groups {
		for _, p := range g.Params {
			ts = append(ts, Tensor(g.Prefix+p.Name, p.Shape, p.Value))
		}
	}
	return ts
}

// Match says how strictly a file's tensors must fit the parameters.
type Match struct {
	// Exact requires T's own precision and restores bits unchanged (for
	// checkpoints, which resume bit for bit); otherwise float32 and float64
	// tensors are converted.
	Exact bool
	// Only requires the file to hold no tensor besides the parameters'.
	Only bool
	// What names the file's kind in errors ("checkpoint", "weights file").
	What string
}

// Check verifies that ts hold, for every parameter of the groups, a tensor
// named prefix+name of the parameter's shape and length (see Match for
// precision, extra tensors and vectors). It changes nothing; the returned
// apply copies the tensors into the parameters and cannot fail.
func Check[T Float](path string, ts []tensorio.Tensor, m Match, groups ...Group[T]) (apply func(), err error) {
	what := m.What
	if what == "" {
		what = "file"
	}
	byName := make(map[string]*tensorio.Tensor, len(ts))
	for i := range ts {
		byName[ts[i].Name] = &ts[i]
	}
	type pair struct {
		t *tensorio.Tensor
		p *mixedop.Param[T]
	}
	var plan []pair
	want := map[string]bool{}
	dt := DType[T]()
	for _, g := range groups {
		for _, p := range g.Params {
			name := g.Prefix + p.Name
			want[name] = true
			t, ok := byName[name]
			if !ok {
				return nil, fmt.Errorf("%s: %s has no tensor %q (it is of another network or version)", path, what, name)
			}
			switch {
			case t.F32 == nil && t.F64 == nil:
				return nil, fmt.Errorf("%s: tensor %q is %s, want float32 or float64", path, name, t.DType())
			case m.Exact && t.DType() != dt:
				return nil, fmt.Errorf("%s: tensor %q is %s, the network is %s", path, name, t.DType(), dt)
			}
			shape := t.Shape
			if shape == nil { // tensorio's convention: a vector
				shape = []int{t.Len()}
			}
			if !slices.Equal(shape, p.Shape) {
				return nil, fmt.Errorf("%s: tensor %q has shape %v, the network needs %v", path, name, shape, p.Shape)
			}
			if t.Len() != len(p.Value) {
				return nil, fmt.Errorf("%s: tensor %q has %d values, the network needs %d", path, name, t.Len(), len(p.Value))
			}
			plan = append(plan, pair{t, p})
		}
	}
	if m.Only {
		for _, t := range ts {
			if !want[t.Name] {
				return nil, fmt.Errorf("%s: tensor %q is not part of this network", path, t.Name)
			}
		}
	}
	return func() {
		for _, x := range plan {
			switch {
			case x.t.DType() == dt && dt == "float32":
				copy(F32View(x.p.Value), x.t.F32)
			case x.t.DType() == dt:
				copy(F64View(x.p.Value), x.t.F64)
			case x.t.F32 != nil:
				for i, v := range x.t.F32 {
					x.p.Value[i] = T(v)
				}
			default:
				for i, v := range x.t.F64 {
					x.p.Value[i] = T(v)
				}
			}
		}
	}, nil
}

// Split returns the tensors whose names start with prefix, the prefix cut
// off, and the others unchanged.
func Split(ts []tensorio.Tensor, prefix string) (in, rest []tensorio.Tensor) {
	for _, t := range ts {
		if name, ok := strings.CutPrefix(t.Name, prefix); ok {
			t.Name = name
			in = append(in, t)
		} else {
			rest = append(rest, t)
		}
	}
	return in, rest
}

// Prefixed returns tensors named prefix+name, sharing the values of ts.
func Prefixed(prefix string, ts []tensorio.Tensor) []tensorio.Tensor {
	out := make([]tensorio.Tensor, len(ts))
	for i, t := range ts {
		t.Name = prefix + t.Name
		out[i] = t
	}
	return out
}

// DecodeMeta decodes an archive's JSON metadata into meta, which must be a
// pointer to a struct with a "format" field, and checks that the format is
// format. what names the expected kind ("search checkpoint") in the error.
func DecodeMeta(path string, raw json.RawMessage, meta any, format, what string) error {
	var head struct {
		Format string `json:"format"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		return fmt.Errorf("%s: %s metadata: %w", path, what, err)
	}
	if head.Format != format {
		return fmt.Errorf("%s: not a darts-go %s (format %q, want %q)", path, what, head.Format, format)
	}
	if err := json.Unmarshal(raw, meta); err != nil {
		return fmt.Errorf("%s: %s metadata: %w", path, what, err)
	}
	return nil
}

// Snapshot is a copy of a whole saved state, taken at one instant and
// written later, possibly by another goroutine while training goes on:
// the tensors own their data, and the metadata shares nothing but
// configuration that does not change during a run.
type Snapshot struct {
	Meta    any
	Tensors []tensorio.Tensor
}

// WriteFile writes the snapshot to path atomically (tensorio.WriteFileAtomic).
func (s Snapshot) WriteFile(path string) error {
	return tensorio.WriteFileAtomic(path, s.Meta, s.Tensors)
}

// DiffJSON describes how two configurations differ, key by key of their
// JSON forms ("layers 5 in the file, 8 here; learning_rate ..."), or returns
// "" if their JSON forms are equal. Nested objects are compared key by key
// with dotted names; other values as wholes.
func DiffJSON(file, here any) string {
	a, errA := toTree(file)
	b, errB := toTree(here)
	if errA != nil || errB != nil {
		return fmt.Sprintf("(cannot compare: %v %v)", errA, errB)
	}
	var d []string
	diffTree("", a, b, &d)
	return strings.Join(d, "; ")
}

func toTree(v any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var t any
	err = json.Unmarshal(b, &t)
	return t, err
}

func diffTree(path string, a, b any, d *[]string) {
	ma, okA := a.(map[string]any)
	mb, okB := b.(map[string]any)
	if okA && okB {
		keys := map[string]bool{}
		for k := range ma {
			keys[k] = true
		}
		for k := range mb {
			keys[k] = true
		}
		sorted := make([]string, 0, len(keys))
		for k := range keys {
			sorted = append(sorted, k)
		}
		slices.Sort(sorted)
		for _, k := range sorted {
			p := k
			if path != "" {
				p = path + "." + k
			}
			diffTree(p, ma[k], mb[k], d)
		}
		return
	}
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if string(ja) != string(jb) {
		*d = append(*d, fmt.Sprintf("%s %s in the file, %s here", path, abbrevJSON(ja), abbrevJSON(jb)))
	}
}

func abbrevJSON(b []byte) string {
	if len(b) > 60 {
		return string(b[:57]) + "..."
	}
	return string(b)
}
