package derive

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// String returns g in the original DARTS text form; see FormatDARTS.
func (g Genotype) String() string { return g.FormatDARTS() }

// FormatDARTS returns g as Python prints the original DARTS namedtuple:
//
//	Genotype(normal=[('sep_conv_3x3', 0), ...], normal_concat=[2, 3, 4, 5], reduce=[...], reduce_concat=[2, 3, 4, 5])
//
// so that it can be pasted into the original genotypes.py.
func (g Genotype) FormatDARTS() string {
	var b strings.Builder
	b.WriteString("Genotype(normal=")
	writePyPairs(&b, g.Normal)
	b.WriteString(", normal_concat=")
	writePyInts(&b, g.NormalConcat)
	b.WriteString(", reduce=")
	writePyPairs(&b, g.Reduce)
	b.WriteString(", reduce_concat=")
	writePyInts(&b, g.ReduceConcat)
	b.WriteString(")")
	return b.String()
}

func writePyPairs(b *strings.Builder, pairs []Pair) {
	b.WriteByte('[')
	for i, p := range pairs {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		b.WriteString(pyRepr(p.Op))
		b.WriteString(", ")
		b.WriteString(strconv.Itoa(p.Input))
		b.WriteByte(')')
	}
	b.WriteByte(']')
}

func writePyInts(b *strings.Builder, xs []int) {
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

// MarshalJSON writes g in the run directory's genotype.json form:
//
//	{"normal": [["sep_conv_3x3", 0], ...], "normal_concat": [2, 3, 4, 5], "reduce": [...], "reduce_concat": [2, 3, 4, 5]}
//
// Nil slices are written as [].
func (g Genotype) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(`{"normal": `)
	writeJSONPairs(&b, g.Normal)
	b.WriteString(`, "normal_concat": `)
	writeJSONInts(&b, g.NormalConcat)
	b.WriteString(`, "reduce": `)
	writeJSONPairs(&b, g.Reduce)
	b.WriteString(`, "reduce_concat": `)
	writeJSONInts(&b, g.ReduceConcat)
	b.WriteString(`}`)
	return b.Bytes(), nil
}

func writeJSONPairs(b *bytes.Buffer, pairs []Pair) {
	b.WriteByte('[')
	for i, p := range pairs {
		if i > 0 {
			b.WriteString(", ")
		}
		op, _ := json.Marshal(p.Op) // a string always marshals
		b.WriteByte('[')
		b.Write(op)
		b.WriteString(", ")
		b.WriteString(strconv.Itoa(p.Input))
		b.WriteByte(']')
	}
	b.WriteByte(']')
}

func writeJSONInts(b *bytes.Buffer, xs []int) {
	b.WriteByte('[')
	for i, x := range xs {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Itoa(x))
	}
	b.WriteByte(']')
}

// UnmarshalJSON reads the form MarshalJSON writes. All four fields are
// required and unknown fields are rejected, so a misspelt key is an error
// rather than a silently empty cell. It checks shapes only; Parse and
// ReadFile also call Validate.
func (g *Genotype) UnmarshalJSON(data []byte) error {
	if string(bytes.TrimSpace(data)) == "null" {
		return nil // encoding/json's convention: null leaves the value alone
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return fmt.Errorf("genotype JSON: %w", err)
	}
	var out Genotype
	fields := []struct {
		key    string
		pairs  *[]Pair
		concat *[]int
	}{
		{"normal", &out.Normal, nil},
		{"normal_concat", nil, &out.NormalConcat},
		{"reduce", &out.Reduce, nil},
		{"reduce_concat", nil, &out.ReduceConcat},
	}
	for k := range raw {
		known := false
		for _, f := range fields {
			known = known || f.key == k
		}
		if !known {
			return fmt.Errorf("genotype JSON: unknown field %q (want normal, normal_concat, reduce, reduce_concat)", k)
		}
	}
	for _, f := range fields {
		msg, ok := raw[f.key]
		if !ok {
			return fmt.Errorf("genotype JSON: missing field %q", f.key)
		}
		if f.concat != nil {
			if err := json.Unmarshal(msg, f.concat); err != nil || *f.concat == nil {
				return fmt.Errorf("genotype JSON: %s: want a list of integers, got %s", f.key, abbrev(msg))
			}
			continue
		}
		var items []json.RawMessage
		if err := json.Unmarshal(msg, &items); err != nil || items == nil {
			return fmt.Errorf("genotype JSON: %s: want a list of [op, input] pairs, got %s", f.key, abbrev(msg))
		}
		*f.pairs = make([]Pair, len(items))
		for i, it := range items {
			var pair []json.RawMessage
			var p Pair
			if json.Unmarshal(it, &pair) != nil || len(pair) != 2 ||
				json.Unmarshal(pair[0], &p.Op) != nil || json.Unmarshal(pair[1], &p.Input) != nil ||
				bytes.Equal(bytes.TrimSpace(pair[0]), []byte("null")) || bytes.Equal(bytes.TrimSpace(pair[1]), []byte("null")) {
				return fmt.Errorf("genotype JSON: %s[%d]: want [\"op\", input], got %s", f.key, i, abbrev(it))
			}
			(*f.pairs)[i] = p
		}
	}
	*g = out
	return nil
}

// abbrev shortens a raw JSON value for an error message.
func abbrev(b []byte) string {
	s := string(bytes.TrimSpace(b))
	if len(s) > 40 {
		return s[:37] + "..."
	}
	return s
}
