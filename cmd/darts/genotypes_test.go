package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
)

// TestShippedGenotypes: the genotype files of genotypes/ that README's
// commands use parse, and build networks of the sizes README states for
// them on Fashion-MNIST's shape (--layers 5 --init-channels 16), and the
// published count for DARTS_V2 on CIFAR's.
func TestShippedGenotypes(t *testing.T) {
	for _, tc := range []struct {
		file, shape, flags, want string
	}{
		{"mnist-search-1.json", "1x28x28", "--layers 5 --init-channels 16", "params: 207,082 "},
		{"mnist-search-2.json", "1x28x28", "--layers 5 --init-channels 16", "params: 228,874 "},
		{"darts-v2.json", "3x32x32", "--layers 20 --init-channels 36 --auxiliary", "params: 3,349,342 "},
	} {
		var stdout bytes.Buffer
		args := append([]string{"--genotype", filepath.Join("..", "..", "genotypes", tc.file), "--dataset", "synthetic",
			"--input-shape", tc.shape, "--classes", "10", "--limit", "10", "--dry-run"}, strings.Fields(tc.flags)...)
		if err := train(args, &stdout, &bytes.Buffer{}); err != nil {
			t.Errorf("%s: %v", tc.file, err)
			continue
		}
		if !strings.Contains(stdout.String(), tc.want) {
			t.Errorf("%s: summary lacks %q:\n%s", tc.file, tc.want, stdout.String())
		}
	}
}
