package derive

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxGenotypeBytes bounds what Parse and ParseText read: a genotype is a
// few hundred bytes, so anything this large is the wrong file.
const maxGenotypeBytes = 1 << 20

// ReadFile reads a genotype file in any form Parse accepts, or, as
// FILE:NAME, the genotype NAME of a Python module of genotypes such as the
// original DARTS code's cnn/genotypes.py (NAME = Genotype(...) among other
// Python; see Assignments). Errors name the file.
func ReadFile(path string) (Genotype, error) {
	if file, name, ok := splitNamed(path); ok {
		data, err := os.ReadFile(file)
		if err != nil {
			return Genotype{}, err
		}
		if len(data) > maxGenotypeBytes {
			return Genotype{}, fmt.Errorf("%s: larger than %d bytes", file, maxGenotypeBytes)
		}
		g, err := ParseAssignment(string(data), name)
		if err != nil {
			return Genotype{}, fmt.Errorf("%s: %w", file, err)
		}
		return g, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return Genotype{}, err // already names the file
	}
	defer f.Close()
	g, err := Parse(f)
	if err != nil {
		return Genotype{}, fmt.Errorf("%s: %w", path, err)
	}
	return g, nil
}

// Parse reads a genotype in any form darts-go writes or reads: JSON (if the
// first non-blank character is '{', either form of MarshalJSON), the
// NAS-Bench-201 string (if it is '|', see ParseNB201) or the DARTS text (see
// ParseText), and validates it (every op registered in package space).
func Parse(r io.Reader) (Genotype, error) {
	data, err := readAll(r)
	if err != nil {
		return Genotype{}, err
	}
	trimmed := bytes.TrimLeft(bytes.TrimPrefix(data, []byte("\ufeff")), " \t\r\n")
	if len(trimmed) > 0 && trimmed[0] == '{' {
		var g Genotype
		if err := json.Unmarshal(trimmed, &g); err != nil {
			if !strings.HasPrefix(err.Error(), "genotype JSON") {
				err = fmt.Errorf("genotype JSON: %w", err)
			}
			return Genotype{}, err
		}
		if err := g.Validate(nil); err != nil {
			return Genotype{}, err
		}
		return g, nil
	}
	if len(trimmed) > 0 && trimmed[0] == '|' {
		return ParseNB201(string(trimmed))
	}
	return parseText(data)
}

// ParseText reads the original DARTS text form,
//
//	Genotype(normal=[('sep_conv_3x3', 0), ...], normal_concat=[2, 3, 4, 5], reduce=[...], reduce_concat=[2, 3, 4, 5])
//
// and the variants other tools write: an optional "NAME = " before it
// (or a dotted callee such as genotypes.Genotype), single or double quotes
// (u” too), lists or tuples, range(2, 6) or list(range(2, 6)) for concat,
// positional arguments, trailing commas, # comments, any spacing, and
// pairs grouped per node ([[('sep_conv_3x3', 0), ('sep_conv_3x3', 1)],
// ...]), which are flattened. It also reads FairDARTS's genotypes, whose
// lists hold ('op', to, from) triples (see FromFairDARTS). The result is
// validated (every op registered in package space).
func ParseText(r io.Reader) (Genotype, error) {
	data, err := readAll(r)
	if err != nil {
		return Genotype{}, err
	}
	return parseText(data)
}

func readAll(r io.Reader) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxGenotypeBytes+1))
	if err != nil {
		return nil, fmt.Errorf("genotype: reading: %w", err)
	}
	if len(data) > maxGenotypeBytes {
		return nil, fmt.Errorf("genotype: input larger than %d bytes", maxGenotypeBytes)
	}
	return data, nil
}

func parseText(data []byte) (Genotype, error) {
	g, err := parseOne(data)
	if err == nil {
		return g, nil
	}
	// A module of genotypes, such as genotypes.py, is not one Genotype(...).
	as, aerr := Assignments(string(data))
	switch {
	case aerr != nil || len(as) == 0 || len(as) == 1 && strings.TrimSpace(as[0].Text) == strings.TrimSpace(string(bytes.TrimPrefix(data, []byte("\ufeff")))):
		return Genotype{}, err
	case len(as) == 1:
		g, err := parseOne([]byte(as[0].Text))
		if err != nil {
			return Genotype{}, fmt.Errorf("%s (line %d): %w", as[0].Name, as[0].Line, err)
		}
		return g, nil
	}
	return Genotype{}, fmt.Errorf("genotype text: the module holds %d genotypes (%s); name one as FILE:NAME", len(as), names(as))
}

func parseOne(data []byte) (Genotype, error) {
	p := &textParser{src: string(bytes.TrimPrefix(data, []byte("\ufeff"))), line: 1, col: 1}
	if err := p.tokenize(); err != nil {
		return Genotype{}, err
	}
	g, err := p.genotype()
	if err != nil {
		return Genotype{}, err
	}
	if err := g.Validate(nil); err != nil {
		return Genotype{}, err
	}
	return g, nil
}

type tokKind int

const (
	tokEOF tokKind = iota
	tokIdent
	tokInt
	tokString
	tokPunct
	tokSeq // a value only: list, tuple or expanded range
)

type token struct {
	kind      tokKind
	text      string // identifier, punctuation, or decoded string
	n         int
	line, col int
}

func (t token) String() string {
	switch t.kind {
	case tokEOF:
		return "end of input"
	case tokString:
		return strconv.Quote(t.text)
	case tokInt:
		return strconv.Itoa(t.n)
	}
	return "'" + t.text + "'"
}

// value is a Python literal: a string, an int or a sequence (tokSeq: list,
// tuple or expanded range).
type value struct {
	tok   token // first token, for error positions
	kind  tokKind
	s     string
	n     int
	items []value
}

const maxDepth = 32   // nesting of lists/tuples; real files use 3
const maxRange = 1000 // elements of range(...); real concats have < 10

// textParser scans the whole input into toks first (it is small), so the
// grammar can look two tokens ahead to tell "name =" from a value.
type textParser struct {
	src       string
	pos       int
	line, col int
	toks      []token
	i         int
	depth     int
}

func (p *textParser) errorf(t token, format string, args ...any) error {
	return fmt.Errorf("genotype text: line %d, col %d: %s", t.line, t.col, fmt.Sprintf(format, args...))
}

func (p *textParser) advance(n int) {
	for _, r := range p.src[p.pos : p.pos+n] {
		if r == '\n' {
			p.line++
			p.col = 1
		} else {
			p.col++
		}
	}
	p.pos += n
}

func (p *textParser) tokenize() error {
	for {
		t, err := p.scan()
		if err != nil {
			return err
		}
		p.toks = append(p.toks, t)
		if t.kind == tokEOF {
			return nil
		}
	}
}

// peekAt returns the token k places ahead without consuming anything; past
// the end it returns the final EOF token.
func (p *textParser) peekAt(k int) token {
	if p.i+k >= len(p.toks) {
		return p.toks[len(p.toks)-1]
	}
	return p.toks[p.i+k]
}

func (p *textParser) peek() token { return p.peekAt(0) }

func (p *textParser) next() token {
	t := p.peekAt(0)
	if p.i < len(p.toks) {
		p.i++
	}
	return t
}

func isPunct(t token, s string) bool { return t.kind == tokPunct && t.text == s }

func (p *textParser) expect(punct string) (token, error) {
	t := p.next()
	if !isPunct(t, punct) {
		return t, p.errorf(t, "want '%s', got %s", punct, t)
	}
	return t, nil
}

func isIdentByte(c byte, first bool) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || !first && (c >= '0' && c <= '9' || c == '.')
}

func (p *textParser) scan() (token, error) {
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		if c == '#' {
			end := strings.IndexByte(p.src[p.pos:], '\n')
			if end < 0 {
				end = len(p.src) - p.pos
			}
			p.advance(end)
			continue
		}
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\\' && strings.HasPrefix(p.src[p.pos:], "\\\n") {
			p.advance(1)
			continue
		}
		break
	}
	t := token{line: p.line, col: p.col}
	if p.pos >= len(p.src) {
		t.kind = tokEOF
		return t, nil
	}
	rest := p.src[p.pos:]
	c := rest[0]
	switch {
	case strings.ContainsRune("()[],=;", rune(c)):
		t.kind, t.text = tokPunct, rest[:1]
		p.advance(1)
		return t, nil
	case c == '\'' || c == '"':
		return p.scanString(t, 0)
	case (c == 'u' || c == 'U') && len(rest) > 1 && (rest[1] == '\'' || rest[1] == '"'):
		return p.scanString(t, 1)
	case isIdentByte(c, true):
		n := 1
		for n < len(rest) && isIdentByte(rest[n], false) {
			n++
		}
		t.kind, t.text = tokIdent, rest[:n]
		p.advance(n)
		return t, nil
	case c >= '0' && c <= '9' || (c == '-' || c == '+') && len(rest) > 1 && rest[1] >= '0' && rest[1] <= '9':
		n := 1
		for n < len(rest) && (rest[n] >= '0' && rest[n] <= '9' || rest[n] == '_') {
			n++
		}
		v, err := strconv.ParseInt(strings.ReplaceAll(rest[:n], "_", ""), 10, 32)
		if err != nil || strings.Contains(rest[:n], "__") || strings.HasSuffix(rest[:n], "_") {
			return t, p.errorf(t, "bad integer %q", rest[:n])
		}
		t.kind, t.n = tokInt, int(v)
		p.advance(n)
		return t, nil
	}
	r, _ := utf8.DecodeRuneInString(rest)
	return t, p.errorf(t, "unexpected character %q", r)
}

// scanString decodes a Python string literal starting skip bytes into the
// rest of the input (after a u prefix).
func (p *textParser) scanString(t token, skip int) (token, error) {
	rest := p.src[p.pos:]
	q := rest[skip]
	var b strings.Builder
	i := skip + 1
	for {
		if i >= len(rest) || rest[i] == '\n' {
			return t, p.errorf(t, "unterminated string")
		}
		c := rest[i]
		if c == q {
			i++
			break
		}
		if c != '\\' {
			b.WriteByte(c)
			i++
			continue
		}
		if i+1 >= len(rest) {
			return t, p.errorf(t, "unterminated string")
		}
		e := rest[i+1]
		i += 2
		switch e {
		case '\\', '\'', '"':
			b.WriteByte(e)
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'a':
			b.WriteByte('\a')
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'v':
			b.WriteByte('\v')
		case '\n':
			// line continuation inside a string: nothing
		case 'x', 'u', 'U':
			width := map[byte]int{'x': 2, 'u': 4, 'U': 8}[e]
			if i+width > len(rest) {
				return t, p.errorf(t, "truncated \\%c escape in string", e)
			}
			v, err := strconv.ParseUint(rest[i:i+width], 16, 32)
			if err != nil || v > utf8.MaxRune {
				return t, p.errorf(t, "bad \\%c escape %q in string", e, rest[i:i+width])
			}
			b.WriteRune(rune(v))
			i += width
		default:
			// Python keeps unknown escapes as written.
			b.WriteByte('\\')
			b.WriteByte(e)
		}
	}
	t.kind, t.text = tokString, b.String()
	p.advance(i)
	return t, nil
}

// genotype parses [NAME =] Genotype( args ) [;] and nothing after it.
func (p *textParser) genotype() (Genotype, error) {
	t := p.next()
	if t.kind == tokEOF {
		return Genotype{}, p.errorf(t, "empty input, want Genotype(...)")
	}
	if t.kind == tokIdent && isPunct(p.peekAt(0), "=") {
		p.next()
		t = p.next()
	}
	if t.kind != tokIdent || (t.text != "Genotype" && !strings.HasSuffix(t.text, ".Genotype")) {
		return Genotype{}, p.errorf(t, "want Genotype(...), got %s", t)
	}
	if _, err := p.expect("("); err != nil {
		return Genotype{}, err
	}

	names := []string{"normal", "normal_concat", "reduce", "reduce_concat"}
	args := map[string]value{}
	positional := 0
	for {
		t := p.peek()
		if isPunct(t, ")") {
			p.next()
			break
		}
		name := ""
		if t.kind == tokIdent && isPunct(p.peekAt(1), "=") {
			p.next()
			p.next()
			name = t.text
			if !slices.Contains(names, name) {
				return Genotype{}, p.errorf(t, "unknown field %q (want normal, normal_concat, reduce, reduce_concat)", name)
			}
			if _, dup := args[name]; dup {
				return Genotype{}, p.errorf(t, "field %q given twice", name)
			}
		}
		if name == "" {
			if len(args) > positional {
				return Genotype{}, p.errorf(t, "positional argument after keyword argument")
			}
			if positional == len(names) {
				return Genotype{}, p.errorf(t, "more than %d arguments to Genotype", len(names))
			}
			name = names[positional]
			positional++
		}
		v, err := p.value()
		if err != nil {
			return Genotype{}, err
		}
		args[name] = v
		t = p.next()
		if isPunct(t, ")") {
			break
		}
		if !isPunct(t, ",") {
			return Genotype{}, p.errorf(t, "want ',' or ')' after %s, got %s", name, t)
		}
	}
	end := p.next()
	if isPunct(end, ";") {
		end = p.next()
	}
	if end.kind != tokEOF {
		return Genotype{}, p.errorf(end, "unexpected %s after Genotype(...)", end)
	}

	for _, n := range names {
		if _, ok := args[n]; !ok {
			return Genotype{}, p.errorf(end, "Genotype(...) has no %s", n)
		}
	}
	normalConcat, err := p.ints("normal_concat", args["normal_concat"])
	if err != nil {
		return Genotype{}, err
	}
	reduceConcat, err := p.ints("reduce_concat", args["reduce_concat"])
	if err != nil {
		return Genotype{}, err
	}
	if isTripleList(args["normal"]) || isTripleList(args["reduce"]) {
		normal, err := p.triples("normal", args["normal"])
		if err != nil {
			return Genotype{}, err
		}
		reduce, err := p.triples("reduce", args["reduce"])
		if err != nil {
			return Genotype{}, err
		}
		return FromFairDARTS(normal, normalConcat, reduce, reduceConcat)
	}
	normal, err := p.pairs("normal", args["normal"])
	if err != nil {
		return Genotype{}, err
	}
	reduce, err := p.pairs("reduce", args["reduce"])
	if err != nil {
		return Genotype{}, err
	}
	return FromDARTS(normal, normalConcat, reduce, reduceConcat)
}

// value parses a string, an int, a list or tuple, range(...) or list(...).
func (p *textParser) value() (value, error) {
	t := p.next()
	switch t.kind {
	case tokString:
		return value{tok: t, kind: tokString, s: t.text}, nil
	case tokInt:
		return value{tok: t, kind: tokInt, n: t.n}, nil
	case tokIdent:
		switch t.text {
		case "range":
			return p.rangeCall(t)
		case "list", "tuple":
			if _, err := p.expect("("); err != nil {
				return value{}, err
			}
			v, err := p.nested(t, p.value)
			if err != nil {
				return value{}, err
			}
			if v.kind != tokSeq {
				return value{}, p.errorf(v.tok, "%s(...) of a non-sequence", t.text)
			}
			_, err = p.expect(")")
			return v, err
		}
		return value{}, p.errorf(t, "unexpected name %q, want a string, number, list, tuple or range(...)", t.text)
	case tokPunct:
		switch t.text {
		case "[":
			return p.nested(t, func() (value, error) { return p.sequence(t, "]") })
		case "(":
			return p.nested(t, func() (value, error) { return p.sequence(t, ")") })
		}
	}
	return value{}, p.errorf(t, "want a value, got %s", t)
}

func (p *textParser) nested(at token, f func() (value, error)) (value, error) {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxDepth {
		return value{}, p.errorf(at, "lists nested deeper than %d", maxDepth)
	}
	return f()
}

// sequence parses the items of a list or tuple after its opening bracket.
// A parenthesized single item without
// a trailing comma is that item, as in Python.
func (p *textParser) sequence(open token, closer string) (value, error) {
	seq := value{tok: open, kind: tokSeq}
	comma := false
	for {
		t := p.peek()
		if isPunct(t, closer) {
			p.next()
			break
		}
		v, err := p.value()
		if err != nil {
			return value{}, err
		}
		seq.items = append(seq.items, v)
		t = p.next()
		if isPunct(t, closer) {
			break
		}
		if !isPunct(t, ",") {
			return value{}, p.errorf(t, "want ',' or '%s', got %s", closer, t)
		}
		comma = true
	}
	if closer == ")" && len(seq.items) == 1 && !comma {
		return seq.items[0], nil
	}
	return seq, nil
}

// rangeCall expands range(stop), range(start, stop) or range(start, stop,
// step) into a sequence of ints.
func (p *textParser) rangeCall(name token) (value, error) {
	if _, err := p.expect("("); err != nil {
		return value{}, err
	}
	var args []int
	for {
		t := p.next()
		if isPunct(t, ")") && len(args) > 0 {
			break
		}
		if t.kind != tokInt {
			return value{}, p.errorf(t, "range: want an integer, got %s", t)
		}
		args = append(args, t.n)
		t = p.next()
		if isPunct(t, ")") {
			break
		}
		if !isPunct(t, ",") {
			return value{}, p.errorf(t, "range: want ',' or ')', got %s", t)
		}
	}
	start, stop, step := 0, 0, 1
	switch len(args) {
	case 1:
		stop = args[0]
	case 2:
		start, stop = args[0], args[1]
	case 3:
		start, stop, step = args[0], args[1], args[2]
	default:
		return value{}, p.errorf(name, "range takes 1 to 3 arguments, got %d", len(args))
	}
	if step == 0 {
		return value{}, p.errorf(name, "range step must not be zero")
	}
	seq := value{tok: name, kind: tokSeq}
	for x := start; step > 0 && x < stop || step < 0 && x > stop; x += step {
		if len(seq.items) == maxRange {
			return value{}, p.errorf(name, "range longer than %d", maxRange)
		}
		seq.items = append(seq.items, value{tok: name, kind: tokInt, n: x})
	}
	return seq, nil
}

func isPair(v value) bool {
	return v.kind == tokSeq && len(v.items) == 2 && v.items[0].kind == tokString && v.items[1].kind == tokInt
}

// pairs converts a list of (op, input) pairs, or of per-node lists of them,
// into Pairs.
func (p *textParser) pairs(field string, v value) ([]Pair, error) {
	if v.kind != tokSeq {
		return nil, p.errorf(v.tok, "%s: want a list of ('op', input) pairs", field)
	}
	out := []Pair{}
	for i, it := range v.items {
		if isPair(it) {
			out = append(out, Pair{Op: it.items[0].s, Input: it.items[1].n})
			continue
		}
		if it.kind == tokSeq && len(it.items) > 0 {
			group := true
			for _, sub := range it.items {
				group = group && isPair(sub)
			}
			if group {
				for _, sub := range it.items {
					out = append(out, Pair{Op: sub.items[0].s, Input: sub.items[1].n})
				}
				continue
			}
		}
		return nil, p.errorf(it.tok, "%s[%d]: want ('op', input) or a list of such pairs", field, i)
	}
	return out, nil
}

func isTriple(v value) bool {
	return v.kind == tokSeq && len(v.items) == 3 && v.items[0].kind == tokString && v.items[1].kind == tokInt && v.items[2].kind == tokInt
}

// isTripleList reports whether v is a non-empty list of FairDARTS's
// ('op', to, from) triples.
func isTripleList(v value) bool {
	return v.kind == tokSeq && len(v.items) > 0 && isTriple(v.items[0])
}

// triples converts a list of ('op', to, from) triples into Triples.
func (p *textParser) triples(field string, v value) ([]Triple, error) {
	if v.kind != tokSeq {
		return nil, p.errorf(v.tok, "%s: want a list of ('op', to, from) triples", field)
	}
	out := []Triple{}
	for i, it := range v.items {
		if !isTriple(it) {
			return nil, p.errorf(it.tok, "%s[%d]: want ('op', to, from) as the rest of the FairDARTS genotype", field, i)
		}
		out = append(out, Triple{Op: it.items[0].s, To: it.items[1].n, From: it.items[2].n})
	}
	return out, nil
}

// ints converts a list of integers (or an expanded range) into []int.
func (p *textParser) ints(field string, v value) ([]int, error) {
	if v.kind != tokSeq {
		return nil, p.errorf(v.tok, "%s: want a list of integers or range(...)", field)
	}
	out := make([]int, len(v.items))
	for i, it := range v.items {
		if it.kind != tokInt {
			return nil, p.errorf(it.tok, "%s[%d]: want an integer", field, i)
		}
		out[i] = it.n
	}
	return out, nil
}
