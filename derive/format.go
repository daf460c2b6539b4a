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
	return g.format(`Genotype(normal=`, `, normal_concat=`, `, reduce=`, `, reduce_concat=`, `)`, '(', ')', pyRepr)
}

// format writes g's four fields after the four labels, then end: pairs
// between open and close with the op quoted by quote, lists of ints as
// [2, 3, 4, 5] (the same in Python and JSON).
func (g Genotype) format(normal, normalConcat, reduce, reduceConcat, end string, open, close byte, quote func(string) string) string {
	var b strings.Builder
	pairs := func(label string, ps []Pair) {
		b.WriteString(label)
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
	ints := func(label string, xs []int) {
		b.WriteString(label)
		b.WriteByte('[')
		for i, x := range xs {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(strconv.Itoa(x))
		}
		b.WriteByte(']')
	}
	pairs(normal, g.Normal)
	ints(normalConcat, g.NormalConcat)
	pairs(reduce, g.Reduce)
	ints(reduceConcat, g.ReduceConcat)
	b.WriteString(end)
	return b.String()
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
	return []byte(g.format(`{"normal": `, `, "normal_concat": `, `, "reduce": `, `, "reduce_concat": `, `}`, '[', ']', jsonString)), nil
}

// jsonString quotes s as a JSON string.
func jsonString(s string) string {
	q, _ := json.Marshal(s) // a string always marshals
	return string(q)
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
