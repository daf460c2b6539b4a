package main

import (
	"errors"
	"strings"
	"testing"
)

func TestParseShape(t *testing.T) {
	cases := []struct {
		in   string
		want [3]int
		ok   bool
	}{
		{"3x32x32", [3]int{3, 32, 32}, true},
		{"1X28X28", [3]int{1, 28, 28}, true},
		{"3x32", [3]int{}, false},
		{"0x8x8", [3]int{}, false},
		{"ax8x8", [3]int{}, false},
		{"1x2x3x4", [3]int{}, false},
	}
	for _, c := range cases {
		got, err := parseShape(c.in)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("parseShape(%q) = %v, %v; want %v, ok=%v", c.in, got, err, c.want, c.ok)
		}
	}
}

// Bad flag values are usage errors (exit code 2) naming the flag and value;
// missing data is a runtime error (exit code 1).
func TestDataErrors(t *testing.T) {
	cases := []struct {
		args  []string
		usage bool
		want  string
	}{
		{[]string{"--dataset", "foo"}, true, `--dataset "foo"`},
		{[]string{"--limit", "x"}, true, `"x" for "--limit"`},
		{[]string{"--limit", "-3"}, true, "--limit -3"},
		{[]string{"--train-portion", "0"}, true, "--train-portion 0"},
		{[]string{"--dataset", "synthetic", "--input-shape", "3x3"}, true, `--input-shape "3x3"`},
		{[]string{"--dataset", "mnist", "--classes", "4"}, true, "--classes applies to --dataset synthetic"},
		{[]string{"--nope"}, true, "--nope"},
		{[]string{"stray"}, true, `"stray"`},
		{[]string{"--dataset", "cifar10"}, false, "--data-dir"},
		{[]string{"--dataset", "mnist", "--data-dir", t.TempDir()}, false, "train-images-idx3-ubyte"},
	}
	for _, c := range cases {
		err := runData(c.args)
		var ue *usageError
		if err == nil || errors.As(err, &ue) != c.usage || !strings.Contains(err.Error(), c.want) {
			t.Errorf("data %v: error %v; want usage=%v containing %q", c.args, err, c.usage, c.want)
		}
	}
}

func TestDataSynthetic(t *testing.T) {
	for _, args := range [][]string{
		{"--dataset", "synthetic", "--limit", "20", "--json"},
		{"--dataset", "synthetic", "--limit", "20", "--input-shape", "3x8x8", "--classes", "5", "--seed", "9"},
	} {
		if err := runData(args); err != nil {
			t.Errorf("data %v: %v", args, err)
		}
	}
}
