package derive

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func addSeeds(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*"))
	// The shipped genotypes: quark0/darts genotypes.py's text as it is
	// (NASNet's and AmoebaNet's multi-line form with trailing commas).
	shipped, _ := filepath.Glob(filepath.Join("..", "genotypes", "*"))
	files = append(files, shipped...)
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(dartsV2Text))
	f.Add([]byte("Genotype(normal=[('sep_conv_3x3', 1), ('skip_connect', 0)], normal_concat=range(2, 3), reduce=[[('max_pool_3x3', 0), ('nor_conv_1x1', 1)]], reduce_concat=(2,))"))
	f.Add([]byte(`X = Genotype([("none", 0), (u'skip_connect', -0)], list(range(0,3)), [('a\x41', 1)], [])`))
	f.Add([]byte(`{"normal": [["none", 1], ["skip_connect", 0]], "normal_concat": [0, 2], "reduce": [["none", 0], ["none", 0]], "reduce_concat": [1]}`))
	f.Add([]byte(`{"space": "darts", "cells": [{"name": "normal", "inputs": 2, "nodes": [[["none", 1]], []], "concat": [2]}]}`))
	f.Add([]byte(fairDARTSa))
	f.Add([]byte("Genotype(normal=[('sep_conv_3x3', 2, 0), ('sep_conv_3x3', 4, 3)], normal_concat=[2], reduce=[('sep_conv_3x3', 2, 0)], reduce_concat=[2])"))
	f.Add([]byte("|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|none~1|skip_connect~2|\n"))
}

// checkRoundTrip asserts that a parsed genotype is valid and survives both
// output formats unchanged.
func checkRoundTrip(t *testing.T, g Genotype) {
	t.Helper()
	if err := g.Validate(nil); err != nil {
		t.Fatalf("parser accepted an invalid genotype %v: %v", g, err)
	}
	text := g.String()
	g2, err := Parse(strings.NewReader(text))
	if err != nil {
		t.Fatalf("re-parse of %s: %v", text, err)
	}
	if !g2.Equal(g) {
		t.Fatalf("text round trip: %v became %v", g, g2)
	}
	j, err := g.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	g3, err := Parse(strings.NewReader(string(j)))
	if err != nil {
		t.Fatalf("re-parse of %s: %v", j, err)
	}
	if !g3.Equal(g) {
		t.Fatalf("JSON round trip: %v became %v", g, g3)
	}
	_ = g.DOT()
}

func FuzzParseText(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		g, err := ParseText(strings.NewReader(string(data)))
		if err != nil {
			return
		}
		checkRoundTrip(t, g)
	})
}

func FuzzParse(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		g, err := Parse(strings.NewReader(string(data)))
		if err != nil {
			return
		}
		checkRoundTrip(t, g)
	})
}
