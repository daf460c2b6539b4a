package main

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/darts-go/darts/datasets"
	"github.com/darts-go/darts/job"
	"github.com/spf13/pflag"
)

// folderHelp describes --dataset folder for the commands' help texts.
const folderHelp = `Your own images: --dataset folder --data-dir DIR reads DIR/CLASS/.../IMAGE
(PNG, JPEG, GIF, BMP, WebP, TIFF, PPM/PGM; one directory per class, ordered
as torchvision's ImageFolder orders them), or DIR/train/CLASS/... and
DIR/test/CLASS/... as the split; without those, --test-portion of each
class is held out as the test set. --image-size HxW resizes (bilinear, as
torchvision's Resize), --channels 1 or 3 converts (default: gray if every
image is), --skip-bad leaves out files that cannot be decoded.
`

// folderFlags are the options of --dataset folder.
type folderFlags struct {
	imageSize   string
	channels    int
	testPortion float64
	splitSeed   uint64
	skipBad     bool
}

var folderFlagNames = []string{"image-size", "channels", "test-portion", "split-seed", "skip-bad"}

// addFolderFlags adds the options of --dataset folder to fs.
func addFolderFlags(fs *pflag.FlagSet) *folderFlags {
	f := &folderFlags{}
	fs.StringVar(&f.imageSize, "image-size", "", "--dataset folder: resize every image to `HxW` (bilinear, antialiased, as torchvision's Resize((H, W))); default: all images must share one size")
	fs.IntVar(&f.channels, "channels", 0, "--dataset folder: convert to `N` channels, 1 (gray, ITU-R 601-2 luma) or 3 (RGB); 0: 1 if every image is gray, else 3")
	fs.Float64Var(&f.testPortion, "test-portion", 0, fmt.Sprintf("--dataset folder without train/ and test/: hold out this `fraction` of each class as the test set (0: %v)", datasets.DefaultTestPortion))
	fs.Uint64Var(&f.splitSeed, "split-seed", 0, "--dataset folder: seed of the test split and of the order of the images (not --seed, so that runs of any seed share one test set)")
	fs.BoolVar(&f.skipBad, "skip-bad", false, "--dataset folder: leave out (and count) image files that cannot be read or decoded, instead of stopping")
	return f
}

// apply checks the folder flags given on fs and sets them in o (whose
// Name is the dataset chosen): they are errors for any other dataset.
func (f *folderFlags) apply(fs *pflag.FlagSet, o *datasets.Options) error {
	if o.Name != "folder" {
		for _, name := range folderFlagNames {
			if fs.Changed(name) {
				return usageErrorf("--%s applies to --dataset folder only, not %s", name, o.Name)
			}
		}
		return nil
	}
	if fs.Changed("image-size") {
		hw, err := parseImageSize(f.imageSize)
		if err != nil {
			return usageErrorf("--image-size %q: %v", f.imageSize, err)
		}
		o.ImageSize = hw
	}
	if fs.Changed("channels") {
		if f.channels != 0 && f.channels != 1 && f.channels != 3 {
			return usageErrorf("--channels %d: want 1 (gray), 3 (RGB) or 0 (decided by the images)", f.channels)
		}
		o.Channels = f.channels
	}
	if fs.Changed("test-portion") {
		if !(f.testPortion > 0 && f.testPortion < 1) {
			return usageErrorf("--test-portion %v: want a fraction strictly between 0 and 1", f.testPortion)
		}
		o.TestPortion = f.testPortion
	}
	if fs.Changed("split-seed") {
		o.SplitSeed = f.splitSeed
	}
	if fs.Changed("skip-bad") {
		o.SkipBad = f.skipBad
	}
	if o.DataDir == "" {
		return usageErrorf("--dataset folder needs --data-dir DIR (a directory of class directories, or of train/ and test/)")
	}
	return nil
}

// parseImageSize parses "HxW" (or one number for a square).
func parseImageSize(s string) ([2]int, error) {
	parts := strings.Split(strings.ToLower(strings.TrimSpace(s)), "x")
	if len(parts) == 1 {
		parts = append(parts, parts[0])
	}
	if len(parts) != 2 {
		return [2]int{}, fmt.Errorf("want HxW, e.g. 32x32")
	}
	var hw [2]int
	for i, p := range parts {
		v, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || v < 1 || v > datasets.MaxImageSide {
			return [2]int{}, fmt.Errorf("%q is not a size in 1..%d (want HxW, e.g. 32x32)", p, datasets.MaxImageSide)
		}
		hw[i] = v
	}
	return hw, nil
}

// noteSkipped reports the images --skip-bad left out.
func noteSkipped(w io.Writer, info datasets.Info) {
	if info.Skipped == 0 {
		return
	}
	fmt.Fprintf(w, "warning: %d image file(s) could not be decoded and were skipped (--skip-bad):\n", info.Skipped)
	for _, f := range info.SkippedFiles {
		fmt.Fprintf(w, "  %s\n", f)
	}
	if more := info.Skipped - len(info.SkippedFiles); more > 0 {
		fmt.Fprintf(w, "  ... and %d more\n", more)
	}
}

// checkEvalData checks that the data darts eval loaded fits the network of
// the run, and warns when it is normalized otherwise than the training
// data was (other images, or the run's images read otherwise).
func checkEvalData(w io.Writer, tr *job.Trained, info datasets.Info) error {
	c := tr.Conf.Network
	if info.Shape != [3]int{c.InputC, c.InputH, c.InputW} || info.Classes != c.Classes {
		return fmt.Errorf("the data is %dx%dx%d with %d classes, the network of %s takes %dx%dx%d and %d classes",
			info.Shape[0], info.Shape[1], info.Shape[2], info.Classes, tr.Weights, c.InputC, c.InputH, c.InputW, c.Classes)
	}
	run := tr.Conf.DataInfo
	same := len(run.Mean) == len(info.Mean) && len(run.Std) == len(info.Std)
	for i := 0; same && i < len(run.Mean); i++ {
		same = math.Abs(run.Mean[i]-info.Mean[i]) <= 1e-12 && math.Abs(run.Std[i]-info.Std[i]) <= 1e-12
	}
	if !same {
		fmt.Fprintf(w, "warning: these images are normalized with their own training part's mean %s and std %s; the network was trained with mean %s and std %s\n",
			formatFloats(info.Mean), formatFloats(info.Std), formatFloats(run.Mean), formatFloats(run.Std))
	}
	noteSkipped(w, info)
	return nil
}

// withFolderHelp inserts folderHelp before the flags of a help text.
func withFolderHelp(text string) string {
	return strings.Replace(text, "\nFlags:\n", "\n"+folderHelp+"\nFlags:\n", 1)
}

// printFolderInfo adds the folder dataset's class names and skipped files
// to darts data's report.
func printFolderInfo(w io.Writer, in datasets.Info) {
	if len(in.ClassNames) > 0 {
		fmt.Fprintf(w, "class names   %s\n", strings.Join(in.ClassNames, " "))
	}
	if in.Skipped > 0 {
		fmt.Fprintf(w, "skipped       %d undecodable file(s) (--skip-bad)\n", in.Skipped)
		for _, f := range in.SkippedFiles {
			fmt.Fprintf(w, "              %s\n", f)
		}
	}
}
