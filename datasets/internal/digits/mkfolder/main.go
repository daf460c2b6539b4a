// Command mkfolder writes scikit-learn's 8×8 digits as a folder of PNG
// images, one directory per digit, for --dataset folder (CI's end-to-end
// check, tools/iocheck):
//
//	go run ./datasets/internal/digits/mkfolder [-test-every K] digits.csv.gz DIR
//
// digits.csv.gz is what tools/digits/fetch.sh prints. With -test-every K
// (K > 0) every K-th image goes to DIR/test/D/ and the others to
// DIR/train/D/; by default all go to DIR/D/. It touches only DIR.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/darts-go/darts/datasets/internal/digits"
)

func main() {
	testEvery := flag.Int("test-every", 0, "put every `K`-th image in DIR/test, the others in DIR/train (0: no split)")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: mkfolder [-test-every K] digits.csv.gz DIR")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 2 {
		flag.Usage()
		os.Exit(2)
	}
	rows, err := digits.Read(flag.Arg(0))
	if err == nil {
		err = digits.WriteFolder(rows, flag.Arg(1), *testEvery)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "mkfolder:", err)
		os.Exit(1)
	}
	fmt.Printf("%s: %d images of %d classes\n", flag.Arg(1), len(rows), digits.Classes)
}
