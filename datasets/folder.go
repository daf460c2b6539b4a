package datasets

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// Random-stream tags of the folder dataset (apart from rng.go's).
const (
	tagFolderOrder uint64 = 0x666f6c6465720001 // "folder" 1
)

// Defaults and limits of the folder dataset's options.
const (
	// DefaultTestPortion is the test fraction used when Options.TestPortion
	// is 0 and the folder has no train/ and test/ sub-directories.
	DefaultTestPortion = 0.2
	// MaxImageSide bounds each side of Options.ImageSize.
	MaxImageSide = 4096
	// maxSkippedListed is how many skipped files Info.SkippedFiles names.
	maxSkippedListed = 10
	// maxImageFileBytes bounds the size of one image file.
	maxImageFileBytes = 1 << 30
)

// FolderSample is one image found by ScanImageFolder: its path (the root
// joined with the path inside it) and its class index.
type FolderSample struct {
	Path  string
	Label int
}

// ScanImageFolder finds the classes and images under root as torchvision's
// ImageFolder(root) does (torchvision/datasets/folder.py, find_classes and
// make_dataset):
//
//   - classes = sorted(entry.name for entry in os.scandir(root) if
//     entry.is_dir()): every directory directly under root, including hidden
//     ones and symbolic links to directories, sorted by name (Go's byte order
//     of UTF-8 names is Python's code-point order); the label of a class is
//     its index in that list;
//   - for each class in that order, for root2, _, fnames in
//     sorted(os.walk(root/class, followlinks=True)), for fname in
//     sorted(fnames), if fname.lower().endswith(extensions): the directories
//     of the class, at any depth and through symbolic links, in the order of
//     their full path strings (so "a b" and "a.b" come before "a/x", and
//     "a0" after it), and in each the non-directory entries (regular files,
//     symbolic links to files, broken links) with an image extension, sorted
//     by name; hidden files are not skipped;
//   - a class without any image is an error ("Found no valid file for the
//     classes …" in torchvision), and so is a root without class directories.
//
// Where darts-go differs: the extensions are FolderExtensions, torchvision's
// plus ".gif"; a directory that cannot be read is an error, where os.walk
// skips it silently; a symbolic link leading back to a directory being
// walked is an error, where os.walk follows the cycle until the path
// becomes too long; names that are not valid UTF-8 sort by their bytes,
// where Python sorts their surrogate escapes.
func ScanImageFolder(root string) (classes []string, samples []FolderSample, err error) {
	classes, err = findClasses(root)
	if err != nil {
		return nil, nil, err
	}
	var empty []string
	for label, class := range classes {
		files, err := walkClass(filepath.Join(root, class))
		if err != nil {
			return nil, nil, err
		}
		if len(files) == 0 {
			empty = append(empty, class)
		}
		for _, f := range files {
			samples = append(samples, FolderSample{Path: f, Label: label})
		}
	}
	if len(empty) > 0 {
		hint := ""
		for _, c := range empty {
			if strings.HasPrefix(c, ".") {
				hint = " (a hidden directory such as " + c + " counts as a class, as in torchvision: remove it)"
				break
			}
		}
		return nil, nil, fmt.Errorf("%s: no image in the class folder(s) %s%s; image files end with %s (any case)",
			root, strings.Join(empty, ", "), hint, strings.Join(FolderExtensions, " "))
	}
	return classes, samples, nil
}

// isDirFollow reports whether the entry, following a symbolic link, is a
// directory, as Python's DirEntry.is_dir() (false for a broken link).
func isDirFollow(dir string, e fs.DirEntry) bool {
	if e.IsDir() {
		return true
	}
	if e.Type()&fs.ModeSymlink == 0 {
		return false
	}
	st, err := os.Stat(filepath.Join(dir, e.Name()))
	return err == nil && st.IsDir()
}

func findClasses(root string) ([]string, error) {
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", root, errors.Unwrap(err))
	}
	var classes []string
	for _, e := range entries {
		if isDirFollow(root, e) {
			classes = append(classes, e.Name())
		}
	}
	if len(classes) == 0 {
		return nil, fmt.Errorf("%s: no class folders: want one sub-directory per class holding its images (DIR/CLASS/IMAGE), or train/ and test/ each holding them", root)
	}
	slices.Sort(classes) // os.ReadDir returns them sorted already; make it explicit
	return classes, nil
}

// walkClass lists the image files under dir in os.walk order (see
// ScanImageFolder).
func walkClass(dir string) ([]string, error) {
	type found struct {
		rel   string // path below dir, "" for dir itself, '/'-separated
		files []string
	}
	var all []found
	var walk func(rel string, ancestors []os.FileInfo) error
	walk = func(rel string, ancestors []os.FileInfo) error {
		abs := dir
		if rel != "" {
			abs = filepath.Join(dir, filepath.FromSlash(rel))
		}
		st, err := os.Stat(abs)
		if err != nil {
			return fmt.Errorf("%s: %w", abs, errors.Unwrap(err))
		}
		for _, a := range ancestors {
			if os.SameFile(a, st) {
				return fmt.Errorf("%s: symbolic link cycle: this directory is also one of its parents", abs)
			}
		}
		entries, err := os.ReadDir(abs)
		if err != nil {
			return fmt.Errorf("%s: %w", abs, errors.Unwrap(err))
		}
		f := found{rel: rel}
		var subdirs []string
		for _, e := range entries {
			if isDirFollow(abs, e) {
				subdirs = append(subdirs, e.Name())
			} else if hasImageExtension(e.Name()) {
				f.files = append(f.files, e.Name())
			}
		}
		all = append(all, f)
		ancestors = append(ancestors, st)
		for _, s := range subdirs {
			sub := s
			if rel != "" {
				sub = rel + "/" + s
			}
			if err := walk(sub, ancestors[:len(ancestors):len(ancestors)]); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk("", nil); err != nil {
		return nil, err
	}
	// sorted(os.walk(...)) orders the tuples by their root, dir + "/" +
	// rel; dir itself is a prefix of every other root and comes first.
	slices.SortFunc(all, func(a, b found) int { return strings.Compare(a.rel, b.rel) })
	var out []string
	for _, f := range all {
		slices.Sort(f.files)
		for _, name := range f.files {
			out = append(out, filepath.Join(dir, filepath.FromSlash(f.rel), name))
		}
	}
	return out, nil
}

// folderExtra is what loadFolder reports beyond the images.
type folderExtra struct {
	classNames   []string
	skipped      int
	skippedFiles []string
}

// folderItem is one image to load: its file, label, and position in
// torchvision's sample order (train then test), used to name the first
// differing file when sizes disagree.
type folderItem struct {
	path  string
	label int
	order int
}

func loadFolder(o Options) (train, test *Images, source string, extra folderExtra, err error) {
	const name = "folder"
	dir := o.DataDir
	if dir == "" {
		return nil, nil, "", extra, errors.New("folder: no data directory: pass --data-dir DIR holding one sub-directory per class with its images (DIR/CLASS/IMAGE), or train/ and test/ each laid out so")
	}
	if st, err := os.Stat(dir); err != nil {
		return nil, nil, "", extra, fmt.Errorf("folder: --data-dir %s: %w", dir, errors.Unwrap(err))
	} else if !st.IsDir() {
		return nil, nil, "", extra, fmt.Errorf("folder: --data-dir %s is not a directory", dir)
	}
	if o.ImageSize != [2]int{} && (o.ImageSize[0] < 1 || o.ImageSize[1] < 1 || o.ImageSize[0] > MaxImageSide || o.ImageSize[1] > MaxImageSide) {
		return nil, nil, "", extra, fmt.Errorf("folder: image size %dx%d (HxW): each side must be in 1..%d", o.ImageSize[0], o.ImageSize[1], MaxImageSide)
	}
	if o.Channels != 0 && o.Channels != 1 && o.Channels != 3 {
		return nil, nil, "", extra, fmt.Errorf("folder: %d channels: want 1 (gray), 3 (RGB) or 0 (decided by the images)", o.Channels)
	}

	trainDir, testDir := filepath.Join(dir, "train"), filepath.Join(dir, "test")
	hasTrain, hasTest := isDirPath(trainDir), isDirPath(testDir)
	var trainItems, testItems [][]folderItem // per class, in load order
	var classes []string
	switch {
	case hasTrain && hasTest:
		if o.TestPortion != 0 {
			return nil, nil, "", extra, fmt.Errorf("folder: %s has train/ and test/ sub-directories, which are the split: a test portion (%v) applies only to a folder of class directories", dir, o.TestPortion)
		}
		trc, trs, err := ScanImageFolder(trainDir)
		if err != nil {
			return nil, nil, "", extra, fmt.Errorf("folder: %w", err)
		}
		tec, tes, err := ScanImageFolder(testDir)
		if err != nil {
			return nil, nil, "", extra, fmt.Errorf("folder: %w", err)
		}
		if !slices.Equal(trc, tec) {
			return nil, nil, "", extra, fmt.Errorf("folder: the class folders of %s and %s differ: %s", trainDir, testDir, classDiff(trc, tec))
		}
		classes = trc
		trainItems = byClass(trs, len(classes), 0)
		testItems = byClass(tes, len(classes), len(trs))
		for c := range trainItems {
			shuffleItems(trainItems[c], o.SplitSeed, 0, c)
			shuffleItems(testItems[c], o.SplitSeed, 1, c)
		}
	case hasTrain || hasTest:
		have, miss := "train", "test"
		if hasTest {
			have, miss = miss, have
		}
		return nil, nil, "", extra, fmt.Errorf("folder: %s has a %s/ sub-directory but no %s/: give both (each holding the class folders), or neither (the class folders directly in %s); for a train/val layout rename or link val to test",
			dir, have, miss, dir)
	default:
		p := o.TestPortion
		if p == 0 {
			p = DefaultTestPortion
		}
		if !(p > 0 && p < 1) {
			return nil, nil, "", extra, fmt.Errorf("folder: test portion %v not in (0, 1)", p)
		}
		cls, samples, err := ScanImageFolder(dir)
		if err != nil {
			return nil, nil, "", extra, fmt.Errorf("folder: %w", err)
		}
		classes = cls
		all := byClass(samples, len(classes), 0)
		trainItems, testItems = make([][]folderItem, len(classes)), make([][]folderItem, len(classes))
		nTest := 0
		for c, items := range all {
			shuffleItems(items, o.SplitSeed, 2, c)
			k := testCount(p, len(items))
			testItems[c], trainItems[c] = items[:k], items[k:]
			nTest += k
		}
		if len(classes) >= 2 && nTest == 0 {
			return nil, nil, "", extra, fmt.Errorf("folder: test portion %v of %d images in %d classes leaves the test set empty (each class gives round(portion × its images), keeping at least one for training)",
				p, len(samples), len(classes))
		}
	}
	if len(classes) < 2 {
		return nil, nil, "", extra, fmt.Errorf("folder: %s has only one class folder (%s): a classifier needs at least 2", dir, classes[0])
	}
	extra.classNames = classes

	trainOrder, testOrder := interleave(trainItems), interleave(testItems)
	needTrain, needTest := len(trainOrder), len(testOrder)
	if o.Limit > 0 {
		needTrain, needTest = min(o.Limit, needTrain), min(o.Limit, needTest)
	}
	trainImgs, err := decodeItems(trainOrder, needTrain, o, &extra)
	if err != nil {
		return nil, nil, "", extra, fmt.Errorf("%s: %w", name, err)
	}
	testImgs, err := decodeItems(testOrder, needTest, o, &extra)
	if err != nil {
		return nil, nil, "", extra, fmt.Errorf("%s: %w", name, err)
	}
	if len(trainImgs) == 0 || len(testImgs) == 0 {
		return nil, nil, "", extra, fmt.Errorf("folder: %s: every image of the training or the test set was skipped as unreadable (%d skipped)", dir, extra.skipped)
	}
	if o.Limit == 0 && extra.skipped > 0 {
		have := make([]bool, len(classes))
		for _, l := range trainImgs {
			have[l.item.label] = true
		}
		for c, ok := range have {
			if !ok {
				return nil, nil, "", extra, fmt.Errorf("folder: %s: every training image of class %s was skipped as unreadable", dir, classes[c])
			}
		}
	}
	train, test, err = assemble(trainImgs, testImgs, len(classes), o)
	if err != nil {
		return nil, nil, "", extra, fmt.Errorf("%s: %w", name, err)
	}
	return train, test, dir, extra, nil
}

func isDirPath(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

// classDiff describes how two class lists differ.
func classDiff(a, b []string) string {
	var onlyA, onlyB []string
	for _, c := range a {
		if !slices.Contains(b, c) {
			onlyA = append(onlyA, c)
		}
	}
	for _, c := range b {
		if !slices.Contains(a, c) {
			onlyB = append(onlyB, c)
		}
	}
	var parts []string
	if len(onlyA) > 0 {
		parts = append(parts, "only in train: "+strings.Join(onlyA, ", "))
	}
	if len(onlyB) > 0 {
		parts = append(parts, "only in test: "+strings.Join(onlyB, ", "))
	}
	return strings.Join(parts, "; ")
}

// byClass groups samples by label, keeping their order; order numbers start
// at base.
func byClass(samples []FolderSample, classes, base int) [][]folderItem {
	out := make([][]folderItem, classes)
	for i, s := range samples {
		out[s.Label] = append(out[s.Label], folderItem{path: s.Path, label: s.Label, order: base + i})
	}
	return out
}

// shuffleItems permutes one class's items with a stream drawn from (seed,
// part, class): Fisher-Yates as in Set.Batches.
func shuffleItems(items []folderItem, seed uint64, part, class int) {
	r := newRNG(seed, tagFolderOrder, uint64(part), uint64(class))
	for i := len(items) - 1; i > 0; i-- {
		j := r.intn(i + 1)
		items[i], items[j] = items[j], items[i]
	}
}

// testCount is how many of a class's n images go to the test set: p*n
// rounded half up, but at most n-1 so that every class keeps a training
// image.
func testCount(p float64, n int) int {
	k := int(math.Floor(float64(p*float64(n)) + 0.5))
	return max(0, min(k, n-1))
}

// interleave merges the classes' lists so that every prefix is as close to
// stratified as can be: item j of a class of m items is placed at (j+½)/m,
// ties going to the lower class index. Taking the first n examples (Limit,
// or the search-train part of TrainPortion) then takes about n·m/total of
// each class.
func interleave(perClass [][]folderItem) []folderItem {
	type pos struct{ c, j int }
	var all []pos
	for c, items := range perClass {
		for j := range items {
			all = append(all, pos{c, j})
		}
	}
	slices.SortFunc(all, func(a, b pos) int {
		// (2a.j+1)/(2 m_a) vs (2b.j+1)/(2 m_b), compared exactly.
		ma, mb := int64(len(perClass[a.c])), int64(len(perClass[b.c]))
		l, r := int64(2*a.j+1)*mb, int64(2*b.j+1)*ma
		switch {
		case l < r:
			return -1
		case l > r:
			return 1
		}
		return a.c - b.c
	})
	out := make([]folderItem, len(all))
	for i, p := range all {
		out[i] = perClass[p.c][p.j]
	}
	return out
}

// loaded is one decoded, resized image.
type loaded struct {
	item folderItem
	im   *rawImage
}

// decodeItems decodes items in order, in parallel, until need images have
// been decoded or items run out. A file that fails is an error naming it,
// the first in order; with o.SkipBad it is skipped and counted in extra.
func decodeItems(items []folderItem, need int, o Options, extra *folderExtra) ([]loaded, error) {
	out := make([]loaded, 0, need)
	pos := 0
	for len(out) < need && pos < len(items) {
		chunk := items[pos : pos+min(need-len(out), len(items)-pos)]
		pos += len(chunk)
		ims := make([]*rawImage, len(chunk))
		errs := make([]error, len(chunk))
		var next atomic.Int64
		var wg sync.WaitGroup
		for range min(runtime.GOMAXPROCS(0), len(chunk)) {
			wg.Go(func() {
				for {
					i := int(next.Add(1) - 1)
					if i >= len(chunk) {
						return
					}
					ims[i], errs[i] = loadImageFile(chunk[i].path, o.ImageSize)
				}
			})
		}
		wg.Wait()
		for i, e := range errs {
			if e != nil {
				if !o.SkipBad {
					return nil, fmt.Errorf("%s: %w (--skip-bad, Options.SkipBad, leaves such files out)", chunk[i].path, e)
				}
				extra.skipped++
				if len(extra.skippedFiles) < maxSkippedListed {
					extra.skippedFiles = append(extra.skippedFiles, chunk[i].path+": "+e.Error())
				}
				continue
			}
			out = append(out, loaded{item: chunk[i], im: ims[i]})
		}
	}
	return out, nil
}

// loadImageFile reads, decodes and, if size is set, resizes one image file;
// errors do not repeat the path.
func loadImageFile(path string, size [2]int) (*rawImage, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, errors.Unwrap(err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("not a regular file (%s)", st.Mode().Type())
	}
	if st.Size() > maxImageFileBytes {
		return nil, fmt.Errorf("%d bytes: larger than %d", st.Size(), maxImageFileBytes)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, errors.Unwrap(err)
	}
	im, err := decodeImage(data, maxImagePixels)
	if err != nil {
		return nil, err
	}
	if size != [2]int{} {
		im = &rawImage{h: size[0], w: size[1], pix: resizePlanes(im.pix, im.channels(), im.h, im.w, size[0], size[1])}
	}
	return im, nil
}

// assemble checks that the images share one size and packs them into
// Images with the chosen number of channels.
func assemble(trainImgs, testImgs []loaded, classes int, o Options) (train, test *Images, err error) {
	all := append(slices.Clip(trainImgs), testImgs...)
	// The size check goes in torchvision's sample order, so that the
	// reference is the first file of the first class and the one named
	// is the first that differs.
	byOrder := slices.Clone(all)
	slices.SortFunc(byOrder, func(a, b loaded) int { return a.item.order - b.item.order })
	ref := byOrder[0]
	for _, l := range byOrder[1:] {
		if l.im.h != ref.im.h || l.im.w != ref.im.w {
			return nil, nil, fmt.Errorf("%s is %dx%d (HxW) but %s is %dx%d: all images must share one size unless an image size (Options.ImageSize) is given to resize them",
				l.item.path, l.im.h, l.im.w, ref.item.path, ref.im.h, ref.im.w)
		}
	}
	h, w := ref.im.h, ref.im.w
	c := o.Channels
	if c == 0 {
		c = 1
		for _, l := range all {
			if l.im.channels() == 3 {
				c = 3
				break
			}
		}
	}
	pack := func(imgs []loaded) *Images {
		im := &Images{Shape: [3]int{c, h, w}, Classes: classes, Pixels: make([]byte, 0, len(imgs)*c*h*w), Labels: make([]int, len(imgs))}
		for i, l := range imgs {
			im.Labels[i] = l.item.label
			switch {
			case l.im.channels() == c:
				im.Pixels = append(im.Pixels, l.im.pix...)
			case c == 3: // gray to RGB: replicate
				for range 3 {
					im.Pixels = append(im.Pixels, l.im.pix...)
				}
			default: // RGB to gray
				im.Pixels = append(im.Pixels, lumaPlane(l.im.pix, h*w)...)
			}
		}
		return im
	}
	return pack(trainImgs), pack(testImgs), nil
}
