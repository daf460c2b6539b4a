package derive

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// String returns g in its space's own text form: the original DARTS
// Genotype(...) text for a genotype of the DARTS format, the NAS-Bench-201
// string for one of that space, FairDARTS's text of triples for a DARTS
// cell pair whose nodes have any number of inputs (FormatFairDARTS), and
// the general JSON form otherwise.
func (g Genotype) String() string {
	if t, err := g.FormatDARTS(); err == nil {
		return t
	}
	if t, err := g.FormatNB201(); err == nil {
		return t
	}
	if t, err := g.FormatFairDARTS(); err == nil {
		return t
	}
	b, _ := g.MarshalJSON()
	return string(b)
}

// FormatDARTS returns g as Python prints the original DARTS namedtuple:
//
//	Genotype(normal=[('sep_conv_3x3', 0), ...], normal_concat=[2, 3, 4, 5], reduce=[...], reduce_concat=[2, 3, 4, 5])
//
// so that it can be pasted into the original genotypes.py. It is an error
// if g does not fit the DARTS format (see IsDARTS).
func (g Genotype) FormatDARTS() (string, error) {
	n, nc, r, rc, err := g.DARTSFields()
	if err != nil {
		return "", err
	}
	return formatFields(n, nc, r, rc, `Genotype(normal=`, `, normal_concat=`, `, reduce=`, `, reduce_concat=`, `)`, '(', ')', pyRepr), nil
}

// formatFields writes the four DARTS fields after the four labels, then
// end: pairs between open and close with the op quoted by quote, lists of
// ints as [2, 3, 4, 5] (the same in Python and JSON).
func formatFields(n []Pair, nc []int, r []Pair, rc []int, normal, normalConcat, reduce, reduceConcat, end string, open, close byte, quote func(string) string) string {
	var b strings.Builder
	pairs := func(label string, ps []Pair) {
		b.WriteString(label)
		writePairs(&b, ps, open, close, quote)
	}
	ints := func(label string, xs []int) {
		b.WriteString(label)
		writeInts(&b, xs)
	}
	pairs(normal, n)
	ints(normalConcat, nc)
	pairs(reduce, r)
	ints(reduceConcat, rc)
	b.WriteString(end)
	return b.String()
}

func writePairs(b *strings.Builder, ps []Pair, open, close byte, quote func(string) string) {
	b.WriteByte('[')
	for i, p := range ps {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte(open)
		b.WriteString(quote(p.Op))
		b.WriteString(", ")
		b.WriteString(strconv.Itoa(p.Input))
		b.WriteByte(close)
	}
	b.WriteByte(']')
}

func writeInts(b *strings.Builder, xs []int) {
	b.WriteByte('[')
	for i, x := range xs {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Itoa(x))
	}
	b.WriteByte(']')
}

// pyRepr quotes s as Python 3's repr does: single quotes unless s contains
// a single quote and no double quote, backslash escapes for the quote,
// backslash and control characters. Op names are plain identifiers in
// practice; the rest keeps arbitrary names readable back by ParseText.
func pyRepr(s string) string {
	q := byte('\'')
	if strings.IndexByte(s, '\'') >= 0 && strings.IndexByte(s, '"') < 0 {
		q = '"'
	}
	var b strings.Builder
	b.WriteByte(q)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			// Python strings hold no raw bytes; \x escapes keep the byte.
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == rune(q) || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case !strconv.IsPrint(r):
			if r <= 0xff {
				fmt.Fprintf(&b, `\x%02x`, r)
			} else if r <= 0xffff {
				fmt.Fprintf(&b, `\u%04x`, r)
			} else {
				fmt.Fprintf(&b, `\U%08x`, r)
			}
		default:
			b.WriteRune(r)
		}
		i += size
	}
	b.WriteByte(q)
	return b.String()
}

// MarshalJSON writes g in the run directory's genotype.json form. A
// genotype of the DARTS format keeps the form of the original code's
// namedtuple:
//
//	{"normal": [["sep_conv_3x3", 0], ...], "normal_concat": [2, 3, 4, 5], "reduce": [...], "reduce_concat": [2, 3, 4, 5]}
//
// any other is written in the general form, one entry per cell, each node
// with its list of [op, input] pairs:
//
//	{"space": "nas-bench-201", "cells": [{"name": "cell", "inputs": 1, "nodes": [[["nor_conv_3x3", 0]], ...], "concat": [3]}]}
func (g Genotype) MarshalJSON() ([]byte, error) {
	if n, nc, r, rc, err := g.DARTSFields(); err == nil {
		return []byte(formatFields(n, nc, r, rc, `{"normal": `, `, "normal_concat": `, `, "reduce": `, `, "reduce_concat": `, `}`, '[', ']', jsonString)), nil
	}
	var b strings.Builder
	b.WriteString(`{"space": `)
	b.WriteString(jsonString(g.Space))
	b.WriteString(`, "cells": [`)
	for i, c := range g.Cells {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, `{"name": %s, "inputs": %d, "nodes": [`, jsonString(c.Name), c.Inputs)
		for k, n := range c.Nodes {
			if k > 0 {
				b.WriteString(", ")
			}
			writePairs(&b, n, '[', ']', jsonString)
		}
		b.WriteString(`], "concat": `)
		writeInts(&b, c.Concat)
		b.WriteByte('}')
	}
	b.WriteString("]}")
	return []byte(b.String()), nil
}

// jsonString quotes s as a JSON string.
func jsonString(s string) string {
	q, _ := json.Marshal(s) // a string always marshals
	return string(q)
}

// UnmarshalJSON reads either form MarshalJSON writes. Every field is
// required and unknown fields are rejected, so a misspelt key is an error
// rather than a silently empty cell. It checks the DARTS form's shape
// rules (FromDARTS) and the general form's structure; Parse and ReadFile
// also call Validate.
func (g *Genotype) UnmarshalJSON(data []byte) error {
	if string(bytes.TrimSpace(data)) == "null" {
		return nil // encoding/json's convention: null leaves the value alone
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return fmt.Errorf("genotype JSON: %w", err)
	}
	var out Genotype
	var err error
	if _, general := raw["cells"]; general {
		out, err = unmarshalGeneral(raw)
	} else {
		out, err = unmarshalDARTS(raw)
	}
	if err != nil {
		return err
	}
	*g = out
	return nil
}

func unmarshalDARTS(raw map[string]json.RawMessage) (Genotype, error) {
	var n, r []Pair
	var nc, rc []int
	fields := []struct {
		key    string
		pairs  *[]Pair
		concat *[]int
	}{
		{"normal", &n, nil},
		{"normal_concat", nil, &nc},
		{"reduce", &r, nil},
		{"reduce_concat", nil, &rc},
	}
	for k := range raw {
		known := false
		for _, f := range fields {
			known = known || f.key == k
		}
		if !known {
			return Genotype{}, fmt.Errorf("genotype JSON: unknown field %q (want normal, normal_concat, reduce, reduce_concat; or space and cells)", k)
		}
	}
	for _, f := range fields {
		msg, ok := raw[f.key]
		if !ok {
			return Genotype{}, fmt.Errorf("genotype JSON: missing field %q", f.key)
		}
		if f.concat != nil {
			if err := json.Unmarshal(msg, f.concat); err != nil || *f.concat == nil {
				return Genotype{}, fmt.Errorf("genotype JSON: %s: want a list of integers, got %s", f.key, abbrev(msg))
			}
			continue
		}
		ps, err := unmarshalPairs(f.key, msg)
		if err != nil {
			return Genotype{}, err
		}
		*f.pairs = ps
	}
	return FromDARTS(n, nc, r, rc)
}

// unmarshalPairs reads a list of [op, input] pairs.
func unmarshalPairs(what string, msg json.RawMessage) ([]Pair, error) {
	var items []json.RawMessage
	if err := json.Unmarshal(msg, &items); err != nil || items == nil {
		return nil, fmt.Errorf("genotype JSON: %s: want a list of [op, input] pairs, got %s", what, abbrev(msg))
	}
	ps := make([]Pair, len(items))
	for i, it := range items {
		var pair []json.RawMessage
		var p Pair
		if json.Unmarshal(it, &pair) != nil || len(pair) != 2 ||
			json.Unmarshal(pair[0], &p.Op) != nil || json.Unmarshal(pair[1], &p.Input) != nil ||
			bytes.Equal(bytes.TrimSpace(pair[0]), []byte("null")) || bytes.Equal(bytes.TrimSpace(pair[1]), []byte("null")) {
			return nil, fmt.Errorf("genotype JSON: %s[%d]: want [\"op\", input], got %s", what, i, abbrev(it))
		}
		ps[i] = p
	}
	return ps, nil
}

func unmarshalGeneral(raw map[string]json.RawMessage) (Genotype, error) {
	for k := range raw {
		if k != "space" && k != "cells" {
			return Genotype{}, fmt.Errorf("genotype JSON: unknown field %q (want space and cells)", k)
		}
	}
	var g Genotype
	if msg, ok := raw["space"]; ok {
		if err := json.Unmarshal(msg, &g.Space); err != nil {
			return Genotype{}, fmt.Errorf("genotype JSON: space: want a string, got %s", abbrev(msg))
		}
	}
	var cells []map[string]json.RawMessage
	if err := json.Unmarshal(raw["cells"], &cells); err != nil || len(cells) == 0 {
		return Genotype{}, fmt.Errorf("genotype JSON: cells: want a non-empty list of cell objects, got %s", abbrev(raw["cells"]))
	}
	for i, cm := range cells {
		var c Cell
		for k := range cm {
			switch k {
			case "name", "inputs", "nodes", "concat":
			default:
				return Genotype{}, fmt.Errorf("genotype JSON: cells[%d]: unknown field %q (want name, inputs, nodes, concat)", i, k)
			}
		}
		for _, k := range []string{"name", "inputs", "nodes", "concat"} {
			if _, ok := cm[k]; !ok {
				return Genotype{}, fmt.Errorf("genotype JSON: cells[%d]: missing field %q", i, k)
			}
		}
		if err := json.Unmarshal(cm["name"], &c.Name); err != nil {
			return Genotype{}, fmt.Errorf("genotype JSON: cells[%d].name: want a string, got %s", i, abbrev(cm["name"]))
		}
		if err := json.Unmarshal(cm["inputs"], &c.Inputs); err != nil {
			return Genotype{}, fmt.Errorf("genotype JSON: cells[%d].inputs: want an integer, got %s", i, abbrev(cm["inputs"]))
		}
		if err := json.Unmarshal(cm["concat"], &c.Concat); err != nil || c.Concat == nil {
			return Genotype{}, fmt.Errorf("genotype JSON: cells[%d].concat: want a list of integers, got %s", i, abbrev(cm["concat"]))
		}
		var nodes []json.RawMessage
		if err := json.Unmarshal(cm["nodes"], &nodes); err != nil || nodes == nil {
			return Genotype{}, fmt.Errorf("genotype JSON: cells[%d].nodes: want a list of nodes, each a list of [op, input] pairs, got %s", i, abbrev(cm["nodes"]))
		}
		for k, n := range nodes {
			ps, err := unmarshalPairs(fmt.Sprintf("cells[%d].nodes[%d]", i, k), n)
			if err != nil {
				return Genotype{}, err
			}
			c.Nodes = append(c.Nodes, ps)
		}
		g.Cells = append(g.Cells, c)
	}
	return g, nil
}

// abbrev shortens a raw JSON value for an error message.
func abbrev(b []byte) string {
	s := string(bytes.TrimSpace(b))
	if len(s) > 40 {
		return s[:37] + "..."
	}
	return s
}
