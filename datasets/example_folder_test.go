package datasets_test

import (
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"

	"github.com/darts-go/darts/datasets"
)

// Loading a folder of one's own images: DIR/CLASS/IMAGE, here 10 gray 6×6
// PNGs in each of two classes, resized to 4×4, a fifth of each class held out
// as the test set.
func Example_folder() {
	dir, err := os.MkdirTemp("", "folder-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	for _, class := range []string{"cats", "dogs"} {
		os.Mkdir(filepath.Join(dir, class), 0o755)
		for i := range 10 {
			f, err := os.Create(filepath.Join(dir, class, fmt.Sprintf("%d.png", i)))
			if err != nil {
				fmt.Println(err)
				return
			}
			png.Encode(f, image.NewGray(image.Rect(0, 0, 6, 6)))
			f.Close()
		}
	}
	s, err := datasets.Load(datasets.Options{Name: "folder", DataDir: dir, ImageSize: [2]int{4, 4}})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(s.Info.ClassNames, s.Info.Shape, s.Info.Train, s.Info.Val, s.Info.Test)
	// Output:
	// [cats dogs] [1 4 4] 8 8 4
}
