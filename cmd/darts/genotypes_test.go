package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
)

// TestShippedGenotypes: the genotype files of genotypes/ that README's
// commands use parse, and build networks of the sizes README states for
// them on Fashion-MNIST's shape (--layers 5 --init-channels 16), and, on
// CIFAR's, the published count for DARTS_V2 and the counts PyTorch gives
// model.py's NetworkCIFAR for the baselines (testdata/nasnet_amoebanet.json,
// tools/golden/gen_nasnet.py).
func TestShippedGenotypes(t *testing.T) {
	for _, tc := range []struct {
		file, shape, flags, want string
	}{
		{"mnist-search-1.json", "1x28x28", "--layers 5 --init-channels 16", "params: 207,082 "},
		{"mnist-search-2.json", "1x28x28", "--layers 5 --init-channels 16", "params: 228,874 "},
		{"darts-v2.json", "3x32x32", "--layers 20 --init-channels 36 --auxiliary", "params: 3,349,342 "},
		{"darts-v2.txt", "3x32x32", "--layers 20 --init-channels 36 --auxiliary", "params: 3,349,342 (3.35M) (+476,426 "},
		{"darts-v1.txt", "3x32x32", "--layers 20 --init-channels 36 --auxiliary", "params: 3,169,414 (3.17M) (+476,426 "},
		{"nasnet.txt", "3x32x32", "--layers 20 --init-channels 36 --auxiliary", "params: 3,830,950 (3.83M) (+457,994 "},
		{"amoebanet.txt", "3x32x32", "--layers 20 --init-channels 36 --auxiliary", "params: 3,145,078 (3.15M) (+457,994 "},
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
