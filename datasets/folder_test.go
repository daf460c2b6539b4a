package datasets

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/image/bmp"
)

// grayPNG returns a w×h gray PNG whose pixels are all v.
func grayPNG(t testing.TB, w, h int, v byte) []byte {
	m := image.NewGray(image.Rect(0, 0, w, h))
	for i := range m.Pix {
		m.Pix[i] = v
	}
	return pngBytes(t, m)
}

// solidRGB returns a w×h RGB PNG whose pixels are all c.
func solidRGB(t testing.TB, w, h int, c color.NRGBA) []byte {
	return pngBytes(t, rgbImage(w, h, func(int, int) color.NRGBA { return c }))
}

// put writes data at root/rel, creating directories.
func put(t testing.TB, root, rel string, data []byte) {
	t.Helper()
	p := filepath.Join(root, filepath.FromSlash(rel))
	mkdir(t, filepath.Dir(p))
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func symlink(t testing.TB, target, link string) {
	t.Helper()
	mkdir(t, filepath.Dir(link))
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

// TestScanImageFolderOrder builds a tree with every case that changes the
// order and checks ScanImageFolder against the list torchvision's
// find_classes and make_dataset give for it. That list was printed by
// running their code (sorted os.scandir directories; sorted(os.walk(...,
// followlinks=True)); sorted file names; name.lower().endswith(...)) with
// Python 3.11 on this tree; the one addition is x0/m.gif, since darts-go
// also reads GIFs.
func TestScanImageFolderOrder(t *testing.T) {
	base := t.TempDir()
	root := filepath.Join(base, "root")
	for _, f := range []string{
		"b_dog/z.png", "b_dog/A.PNG", "b_dog/.hidden.png", "b_dog/notes.txt", "b_dog/x/z.png", "b_dog/x/a.jpeg",
		"b_dog/x y/m.png", "b_dog/x.y/m.png", "b_dog/x/z/deep.bmp", "b_dog/x0/m.gif",
		"a_cat/one.png", "a_cat/Two.Jpg", "readme.txt",
	} {
		put(t, root, f, nil)
	}
	put(t, base, "elsewhere/e.png", nil)
	put(t, base, "other/q.png", nil)
	put(t, base, "other/r.WEBP", nil)
	symlink(t, "../a_cat/one.png", filepath.Join(root, "b_dog/link.png"))
	symlink(t, "../../elsewhere", filepath.Join(root, "b_dog/dirlink"))
	symlink(t, "nonexistent", filepath.Join(root, "b_dog/broken.png"))
	symlink(t, "../other", filepath.Join(root, "c_link"))

	classes, samples, err := ScanImageFolder(root)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"a_cat", "b_dog", "c_link"}; !slices.Equal(classes, want) {
		t.Errorf("classes %v, want %v", classes, want)
	}
	want := []string{
		"a_cat/Two.Jpg 0",
		"a_cat/one.png 0",
		"b_dog/.hidden.png 1",
		"b_dog/A.PNG 1",
		"b_dog/broken.png 1",
		"b_dog/link.png 1",
		"b_dog/z.png 1",
		"b_dog/dirlink/e.png 1",
		"b_dog/x/a.jpeg 1",
		"b_dog/x/z.png 1",
		"b_dog/x y/m.png 1",
		"b_dog/x.y/m.png 1",
		"b_dog/x/z/deep.bmp 1",
		"b_dog/x0/m.gif 1", // not in torchvision's list: it ignores .gif
		"c_link/q.png 2",
		"c_link/r.WEBP 2",
	}
	var got []string
	for _, s := range samples {
		rel, err := filepath.Rel(root, s.Path)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%s %d", filepath.ToSlash(rel), s.Label))
	}
	if !slices.Equal(got, want) {
		t.Errorf("samples:\n got %q\nwant %q", got, want)
	}
}

func TestScanImageFolderErrors(t *testing.T) {
	t.Run("no classes", func(t *testing.T) {
		root := t.TempDir()
		put(t, root, "a.png", nil)
		_, _, err := ScanImageFolder(root)
		wantErr(t, err, root+": no class folders")
	})
	t.Run("empty class", func(t *testing.T) {
		root := t.TempDir()
		put(t, root, "a/1.png", nil)
		put(t, root, "b/notes.txt", nil)
		mkdir(t, filepath.Join(root, "c/sub"))
		_, _, err := ScanImageFolder(root)
		wantErr(t, err, root+": no image in the class folder(s) b, c; image files end with .jpg .jpeg")
	})
	t.Run("hidden class", func(t *testing.T) {
		root := t.TempDir()
		put(t, root, "a/1.png", nil)
		put(t, root, ".ipynb_checkpoints/x.ipynb", nil)
		_, _, err := ScanImageFolder(root)
		wantErr(t, err, "class folder(s) .ipynb_checkpoints (a hidden directory such as .ipynb_checkpoints counts as a class")
	})
	t.Run("symlink cycle", func(t *testing.T) {
		root := t.TempDir()
		put(t, root, "a/1.png", nil)
		symlink(t, "..", filepath.Join(root, "a/sub/up"))
		_, _, err := ScanImageFolder(root)
		wantErr(t, err, filepath.Join(root, "a/sub/up")+": symbolic link cycle")
	})
}

func wantErr(t *testing.T, err error, want string) {
	t.Helper()
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("error %v, want one containing %q", err, want)
	}
}

// writeSplitFolder writes DIR/{train,test}/{cat,dog}/… with 2×3 images of
// known values: cat images are gray, dog images RGB; image i of class c in
// split s has the value 10*i + 100*c + 50*s (gray) or (that, 1, 2) (RGB).
func writeSplitFolder(t *testing.T, n map[string]int) string {
	dir := t.TempDir()
	for s, split := range []string{"train", "test"} {
		for c, class := range []string{"cat", "dog"} {
			for i := range n[split] {
				v := byte(10*i + 100*c + 50*s)
				var data []byte
				if class == "cat" {
					data = grayPNG(t, 3, 2, v)
				} else {
					data = solidRGB(t, 3, 2, color.NRGBA{v, 1, 2, 255})
				}
				put(t, dir, fmt.Sprintf("%s/%s/%02d.png", split, class, i), data)
			}
		}
	}
	return dir
}

func TestFolderTrainTestDirs(t *testing.T) {
	dir := writeSplitFolder(t, map[string]int{"train": 6, "test": 2})
	put(t, dir, "README.md", []byte("ignored"))
	s, err := Load(Options{Name: "folder", DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	in := s.Info
	if in.Shape != [3]int{3, 2, 3} || in.Classes != 2 || in.Train != 6 || in.Val != 6 || in.Test != 4 ||
		in.Source != dir || !slices.Equal(in.ClassNames, []string{"cat", "dog"}) || in.Skipped != 0 {
		t.Fatalf("info %+v", in)
	}
	// Every image is where its label says, with its exact pixels: gray cat
	// images replicated to three channels.
	seen := map[string]int{}
	for name, set := range map[string]*Set{"train": s.Train, "val": s.Val, "test": s.Test} {
		split := 0
		if name == "test" {
			split = 1
		}
		for i := range set.Len() {
			px := set.im.Pixels[i*18 : (i+1)*18]
			c := set.im.Labels[i]
			v := int(px[0]) - 100*c - 50*split
			if v < 0 || v%10 != 0 || v/10 >= 6 {
				t.Fatalf("%s %d: label %d, first pixel %d", name, i, c, px[0])
			}
			want := bytes.Repeat([]byte{px[0]}, 18)
			if c == 1 {
				want = slices.Concat(bytes.Repeat([]byte{px[0]}, 6), bytes.Repeat([]byte{1}, 6), bytes.Repeat([]byte{2}, 6))
			}
			if !bytes.Equal(px, want) {
				t.Fatalf("%s %d: pixels %v, want %v", name, i, px, want)
			}
			seen[fmt.Sprintf("%d/%d/%d", split, c, v/10)]++
		}
	}
	if len(seen) != 16 {
		t.Errorf("%d distinct images, want 16: %v", len(seen), seen)
	}
	// search-train and search-val are stratified: 3 of each class.
	for _, set := range []*Set{s.Train, s.Val} {
		if n := count(set.im.Labels, 0); n != 3 {
			t.Errorf("%d cat images of %d, want 3", n, set.Len())
		}
	}
	// Normalization comes from the training images: channel 0 over the 12
	// training images (values 0..50 and 100..150).
	var sum float64
	for i := range 6 {
		sum += float64(10*i) + float64(10*i+100)
	}
	if m := sum / 12 / 255; abs(in.Mean[0]-m) > 1e-12 {
		t.Errorf("mean[0] = %v, want %v", in.Mean[0], m)
	}
}

func count(labels []int, c int) int {
	n := 0
	for _, l := range labels {
		if l == c {
			n++
		}
	}
	return n
}

func abs(x float64) float64 { return max(x, -x) }

// writeClassFolder writes DIR/CLASS/NNN.png for the given class sizes, 4×4
// gray images whose value is the image's index within its class.
func writeClassFolder(t *testing.T, sizes map[string]int) string {
	dir := t.TempDir()
	for class, n := range sizes {
		for i := range n {
			put(t, dir, fmt.Sprintf("%s/%03d.png", class, i), grayPNG(t, 4, 4, byte(i)))
		}
	}
	return dir
}

func TestFolderTestPortion(t *testing.T) {
	sizes := map[string]int{"a": 50, "b": 20, "c": 7}
	dir := writeClassFolder(t, sizes)
	load := func(o Options) *Splits {
		t.Helper()
		o.Name, o.DataDir = "folder", dir
		s, err := Load(o)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	s := load(Options{})
	// Default 0.2, per class: round(10) + round(4) + round(1.4) = 15.
	if s.Info.Test != 15 || s.Info.Train+s.Info.Val != 62 || s.Info.Shape != [3]int{1, 4, 4} {
		t.Fatalf("info %+v", s.Info)
	}
	for c, want := range []int{10, 4, 1} {
		if got := count(s.Test.im.Labels, c); got != want {
			t.Errorf("class %d: %d test images, want %d", c, got, want)
		}
	}
	// Train and test partition the images.
	key := func(im *Images) []string {
		var k []string
		for i, l := range im.Labels {
			k = append(k, fmt.Sprintf("%d/%d", l, im.Pixels[i*16]))
		}
		return k
	}
	all := slices.Concat(key(s.Train.im), key(s.Val.im), key(s.Test.im))
	slices.Sort(all)
	if len(slices.Compact(slices.Clone(all))) != 77 || len(all) != 77 {
		t.Errorf("the splits do not partition the 77 images")
	}
	// The same seed gives the same split, another seed another.
	if again := load(Options{}); !slices.Equal(key(again.Test.im), key(s.Test.im)) || !slices.Equal(key(again.Train.im), key(s.Train.im)) {
		t.Error("same seed, different split")
	}
	if other := load(Options{SplitSeed: 9}); slices.Equal(key(other.Test.im), key(s.Test.im)) {
		t.Error("split seeds 0 and 9 give the same test set")
	}
	// The run's seed does not move images between the splits.
	if other := load(Options{Seed: 9}); !slices.Equal(key(other.Test.im), key(s.Test.im)) || !slices.Equal(key(other.Train.im), key(s.Train.im)) {
		t.Error("Seed changed the split")
	}
	// Another portion; every class keeps a training image.
	s = load(Options{TestPortion: 0.9})
	for c, want := range []int{45, 18, 6} {
		if got := count(s.Test.im.Labels, c); got != want {
			t.Errorf("portion 0.9, class %d: %d test images, want %d", c, got, want)
		}
	}
	// Limit keeps a stratified prefix: of the first 11 training images 7,
	// 3 and 1 (class sizes 40, 16, 6 after the test split).
	s = load(Options{Limit: 11, TrainPortion: 0.5})
	tr := slices.Concat(s.Train.im.Labels, s.Val.im.Labels)
	if len(tr) != 11 || count(tr, 0) != 7 || count(tr, 1) != 3 || count(tr, 2) != 1 {
		t.Errorf("limit 11: labels %v", tr)
	}
	if s.Info.Test != 11 {
		t.Errorf("limit 11: %d test images", s.Info.Test)
	}
}

func TestInterleaveIsStratified(t *testing.T) {
	per := [][]folderItem{make([]folderItem, 30), make([]folderItem, 10), make([]folderItem, 3)}
	for c := range per {
		for j := range per[c] {
			per[c][j] = folderItem{label: c, order: j}
		}
	}
	out := interleave(per)
	for n := 1; n <= len(out); n++ {
		for c := range per {
			got := count(labelsOf(out[:n]), c)
			exact := float64(n) * float64(len(per[c])) / float64(len(out))
			if abs(float64(got)-exact) > 1 {
				t.Fatalf("prefix %d: %d of class %d, want %.1f ± 1", n, got, c, exact)
			}
		}
	}
	// Within a class the order is kept.
	last := map[int]int{0: -1, 1: -1, 2: -1}
	for _, it := range out {
		if it.order <= last[it.label] {
			t.Fatal("order within a class changed")
		}
		last[it.label] = it.order
	}
}

func labelsOf(items []folderItem) []int {
	var l []int
	for _, it := range items {
		l = append(l, it.label)
	}
	return l
}

func TestFolderChannelsAndResize(t *testing.T) {
	dir := t.TempDir()
	put(t, dir, "gray/a.png", grayPNG(t, 2, 2, 90))
	put(t, dir, "gray/b.bmp", encode(t, func(b *bytes.Buffer) error {
		return bmp.Encode(b, rgbImage(2, 2, func(int, int) color.NRGBA { return color.NRGBA{7, 7, 7, 255} }))
	}))
	put(t, dir, "red/a.png", solidRGB(t, 2, 2, color.NRGBA{255, 0, 0, 255}))
	put(t, dir, "red/b.gif", encode(t, func(b *bytes.Buffer) error {
		m := image.NewPaletted(image.Rect(0, 0, 2, 2), color.Palette{color.RGBA{10, 200, 30, 255}})
		return gif.Encode(b, m, nil)
	}))
	load := func(o Options) *Splits {
		t.Helper()
		o.Name, o.DataDir, o.TestPortion = "folder", dir, 0.5
		s, err := Load(o)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	// pixels returns each image's first pixel, all channels, by label and
	// value, over all splits.
	pixels := func(s *Splits) [][]byte {
		var out [][]byte
		for _, set := range []*Set{s.Train, s.Val, s.Test} {
			c, hw := set.im.Shape[0], set.im.Shape[1]*set.im.Shape[2]
			for i := range set.Len() {
				var px []byte
				for ch := range c {
					px = append(px, set.im.Pixels[i*c*hw+ch*hw])
				}
				out = append(out, px)
			}
		}
		slices.SortFunc(out, bytes.Compare)
		return out
	}
	// Mixed: 3 channels, gray replicated.
	s := load(Options{})
	if s.Info.Shape != [3]int{3, 2, 2} {
		t.Fatalf("shape %v", s.Info.Shape)
	}
	if got, want := pixels(s), [][]byte{{7, 7, 7}, {10, 200, 30}, {90, 90, 90}, {255, 0, 0}}; !slices.EqualFunc(got, want, bytes.Equal) {
		t.Errorf("3 channels: %v, want %v", got, want)
	}
	// Forced gray: PIL's luma (76 for red, 124 for (10, 200, 30)).
	s = load(Options{Channels: 1})
	if got, want := pixels(s), [][]byte{{7}, {76}, {90}, {124}}; s.Info.Shape[0] != 1 || !slices.EqualFunc(got, want, bytes.Equal) {
		t.Errorf("1 channel: %v, want %v", got, want)
	}
	// Gray only: 1 channel by itself, and the BMP whose R = G = B too.
	os.RemoveAll(filepath.Join(dir, "red"))
	put(t, dir, "dark/a.png", grayPNG(t, 2, 2, 0))
	if s := load(Options{}); s.Info.Shape != [3]int{1, 2, 2} {
		t.Errorf("gray images: shape %v, want 1x2x2", s.Info.Shape)
	}
	if s := load(Options{Channels: 3}); s.Info.Shape != [3]int{3, 2, 2} {
		t.Errorf("forced RGB: shape %v", s.Info.Shape)
	}
	// Resized: a constant image stays constant; the shape follows.
	s = load(Options{ImageSize: [2]int{5, 3}})
	if s.Info.Shape != [3]int{1, 5, 3} {
		t.Fatalf("resized shape %v", s.Info.Shape)
	}
	for _, set := range []*Set{s.Train, s.Val, s.Test} {
		for i := range set.Len() {
			px := set.im.Pixels[i*15 : (i+1)*15]
			if !bytes.Equal(px, bytes.Repeat(px[:1], 15)) {
				t.Errorf("resized constant image: %v", px)
			}
		}
	}
}

// TestFolderResizeValues loads a folder of one known image per class and
// checks the resized pixels against the hand-worked 2×2 → 4×4 case.
func TestFolderResizeValues(t *testing.T) {
	dir := t.TempDir()
	m := image.NewGray(image.Rect(0, 0, 2, 2))
	copy(m.Pix, []byte{0, 100, 200, 40})
	for _, split := range []string{"train", "test"} {
		put(t, dir, split+"/a/x.png", pngBytes(t, m))
		put(t, dir, split+"/a/y.png", pngBytes(t, m))
		put(t, dir, split+"/b/x.png", grayPNG(t, 3, 1, 5))
	}
	s, err := Load(Options{Name: "folder", DataDir: dir, ImageSize: [2]int{4, 4}})
	if err != nil {
		t.Fatal(err)
	}
	want := []byte{0, 25, 75, 100, 50, 59, 76, 85, 150, 126, 79, 55, 200, 160, 80, 40}
	for i, l := range s.Test.im.Labels {
		if l == 0 && !bytes.Equal(s.Test.im.Pixels[i*16:(i+1)*16], want) {
			t.Errorf("resized: %v, want %v", s.Test.im.Pixels[i*16:(i+1)*16], want)
		}
	}
}

func TestFolderErrors(t *testing.T) {
	split := writeSplitFolder(t, map[string]int{"train": 2, "test": 1})
	mismatch := writeSplitFolder(t, map[string]int{"train": 2, "test": 1})
	put(t, mismatch, "train/emu/a.png", grayPNG(t, 3, 2, 0))
	put(t, mismatch, "test/yak/a.png", grayPNG(t, 3, 2, 0))
	trainOnly := writeClassFolder(t, map[string]int{"x": 2})
	mkdir(t, filepath.Join(trainOnly, "train"))
	one := writeClassFolder(t, map[string]int{"only": 2})
	sizes := writeClassFolder(t, map[string]int{"a": 3, "b": 3})
	put(t, sizes, "b/001.png", grayPNG(t, 5, 6, 1))
	corrupt := writeClassFolder(t, map[string]int{"a": 3, "b": 3})
	put(t, corrupt, "b/002.png", grayPNG(t, 4, 4, 1)[:40])
	notImage := writeClassFolder(t, map[string]int{"a": 3, "b": 3})
	put(t, notImage, "a/fake.jpg", []byte("this is text"))
	broken := writeClassFolder(t, map[string]int{"a": 3, "b": 3})
	symlink(t, "gone.png", filepath.Join(broken, "a/link.png"))
	tiny := writeClassFolder(t, map[string]int{"a": 2, "b": 2})
	file := filepath.Join(t.TempDir(), "f")
	put(t, filepath.Dir(file), "f", nil)

	cases := []struct {
		name string
		o    Options
		want string
	}{
		{"no dir", Options{}, "folder: no data directory: pass --data-dir DIR"},
		{"missing dir", Options{DataDir: "/nonexistent/x"}, "folder: --data-dir /nonexistent/x: no such file or directory"},
		{"not a dir", Options{DataDir: file}, "is not a directory"},
		{"one class", Options{DataDir: one}, one + " has only one class folder (only): a classifier needs at least 2"},
		{"train without test", Options{DataDir: trainOnly}, trainOnly + " has a train/ sub-directory but no test/"},
		{"class mismatch", Options{DataDir: mismatch}, "the class folders of " + filepath.Join(mismatch, "train") + " and " +
			filepath.Join(mismatch, "test") + " differ: only in train: emu; only in test: yak"},
		{"portion with split dirs", Options{DataDir: split, TestPortion: 0.3}, "has train/ and test/ sub-directories, which are the split"},
		{"bad portion", Options{DataDir: one, TestPortion: 1.5}, "test portion 1.5 not in (0, 1)"},
		{"sizes differ", Options{DataDir: sizes}, filepath.Join(sizes, "b/001.png") + " is 6x5 (HxW) but " + filepath.Join(sizes, "a/000.png") + " is 4x4"},
		{"corrupt", Options{DataDir: corrupt}, filepath.Join(corrupt, "b/002.png") + ": decoding PNG"},
		{"not an image", Options{DataDir: notImage}, filepath.Join(notImage, "a/fake.jpg") + ": not a PNG, JPEG"},
		{"broken link", Options{DataDir: broken}, filepath.Join(broken, "a/link.png") + ": no such file or directory"},
		{"empty test", Options{DataDir: tiny, TestPortion: 0.1}, "test portion 0.1 of 4 images in 2 classes leaves the test set empty"},
		{"channels", Options{DataDir: one, Channels: 2}, "folder: 2 channels: want 1 (gray), 3 (RGB) or 0"},
		{"size", Options{DataDir: one, ImageSize: [2]int{0, 5}}, "image size 0x5 (HxW): each side must be in 1..4096"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.o.Name = "folder"
			_, err := Load(c.o)
			wantErr(t, err, c.want)
		})
	}
	// The folder options are refused for the other datasets.
	for _, o := range []Options{{TestPortion: 0.1}, {SplitSeed: 1}, {ImageSize: [2]int{8, 8}}, {Channels: 3}, {SkipBad: true}} {
		o.Name = "synthetic"
		_, err := Load(o)
		wantErr(t, err, "synthetic: TestPortion, SplitSeed, ImageSize, Channels and SkipBad are options of the folder dataset only")
	}
}

func TestFolderFIFO(t *testing.T) {
	dir := writeClassFolder(t, map[string]int{"a": 3, "b": 3})
	p := filepath.Join(dir, "a/pipe.png")
	if err := syscall.Mkfifo(p, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	_, err := Load(Options{Name: "folder", DataDir: dir})
	wantErr(t, err, p+": not a regular file")
}

func TestFolderSkipBad(t *testing.T) {
	dir := writeClassFolder(t, map[string]int{"a": 10, "b": 10})
	put(t, dir, "a/bad1.png", []byte("\x89PNG\r\n\x1a\nnonsense"))
	put(t, dir, "b/bad2.jpg", []byte{0xff, 0xd8, 0xff, 0xe0, 0, 0})
	put(t, dir, "b/sub/empty.bmp", nil)
	s, err := Load(Options{Name: "folder", DataDir: dir, SkipBad: true, TestPortion: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	in := s.Info
	if in.Skipped != 3 || len(in.SkippedFiles) != 3 || in.Train+in.Val+in.Test != 20 {
		t.Fatalf("info %+v", in)
	}
	slices.Sort(in.SkippedFiles)
	for i, want := range []string{
		filepath.Join(dir, "a/bad1.png") + ": decoding PNG header",
		filepath.Join(dir, "b/bad2.jpg") + ": decoding JPEG",
		filepath.Join(dir, "b/sub/empty.bmp") + ": empty file",
	} {
		if !strings.HasPrefix(in.SkippedFiles[i], want) {
			t.Errorf("skipped %q, want %q…", in.SkippedFiles[i], want)
		}
	}
	// Without SkipBad the first bad file in load order is the error.
	_, err = Load(Options{Name: "folder", DataDir: dir, TestPortion: 0.5})
	wantErr(t, err, "(--skip-bad, Options.SkipBad, leaves such files out)")

	// A class whose every image is bad is an error even with SkipBad.
	dir = writeClassFolder(t, map[string]int{"a": 4})
	put(t, dir, "b/x.png", nil)
	put(t, dir, "b/y.png", nil)
	_, err = Load(Options{Name: "folder", DataDir: dir, SkipBad: true, TestPortion: 0.25})
	wantErr(t, err, "every training image of class b was skipped as unreadable")
}

// With Limit only the images kept are decoded: a corrupt file past the
// limit is never read.
func TestFolderLimitDecodesOnlyWhatIsKept(t *testing.T) {
	dir := writeSplitFolder(t, map[string]int{"train": 4, "test": 4})
	// The first training image in load order is the first of class cat
	// (ties go to the lower class); make some other file corrupt.
	var corrupt string
	o := Options{Name: "folder", DataDir: dir, Limit: 2}
	for _, f := range []string{"train/dog/03.png", "train/cat/03.png", "train/dog/00.png"} {
		put(t, dir, f, []byte("corrupt"))
		if _, err := Load(o); err == nil {
			corrupt = f
			break
		}
		put(t, dir, f, grayPNG(t, 3, 2, 0))
	}
	if corrupt == "" {
		t.Fatal("every corrupt training file was decoded with Limit 2 of 8")
	}
	o.Limit = 0
	_, err := Load(o)
	wantErr(t, err, filepath.Join(dir, corrupt))
}

func TestFolderJPEG(t *testing.T) {
	dir := t.TempDir()
	for c, v := range []uint8{40, 200} {
		for i := range 3 {
			m := rgbImage(8, 8, func(int, int) color.NRGBA { return color.NRGBA{v, 255 - v, 128, 255} })
			put(t, dir, fmt.Sprintf("c%d/%d.JPG", c, i), encode(t, func(b *bytes.Buffer) error { return jpeg.Encode(b, m, &jpeg.Options{Quality: 95}) }))
		}
	}
	s, err := Load(Options{Name: "folder", DataDir: dir, TestPortion: 0.34})
	if err != nil {
		t.Fatal(err)
	}
	// A flat colour survives JPEG within a couple of levels.
	for i, l := range s.Train.im.Labels {
		v := []int{40, 200}[l]
		px := s.Train.im.Pixels[i*192:]
		for ch, want := range []int{v, 255 - v, 128} {
			if d := int(px[ch*64]) - want; d < -3 || d > 3 {
				t.Errorf("image %d channel %d: %d, want %d ± 3", i, ch, px[ch*64], want)
			}
		}
	}
}
