package derive

import (
	"errors"
	"fmt"
	"os"
	"strings"
)

// A Python module of genotypes, such as the original DARTS code's
// cnn/genotypes.py, holds several assignments NAME = Genotype(...) among
// other Python (imports, PRIMITIVES, aliases). ReadFile reads one of them
// as FILE:NAME, and Parse reads a module that holds exactly one.

// Assignment is one NAME = Genotype(...) of a Python module: its name and
// its text, from the name to the closing parenthesis.
type Assignment struct {
	Name string
	Text string
	Line int
}

// Assignments lists the NAME = Genotype(...) statements of a Python
// module's text (a callee with a module prefix, genotypes.Genotype, counts
// too), in order. Parentheses inside strings and comments are skipped; an
// assignment whose parentheses do not close is an error naming its line.
func Assignments(src string) ([]Assignment, error) {
	var out []Assignment
	line := 1
	for i := 0; i < len(src); {
		// At the start of a line: NAME<space>=<space>[mod.]Genotype<space>(
		start, startLine := i, line
		j := i
		for j < len(src) && isIdentByte(src[j], j == i) && src[j] != '.' {
			j++
		}
		name := src[i:j]
		k := skipSpaces(src, j)
		if name != "" && k < len(src) && src[k] == '=' && (k+1 >= len(src) || src[k+1] != '=') {
			k = skipSpaces(src, k+1)
			c := k
			for c < len(src) && isIdentByte(src[c], c == k) {
				c++
			}
			callee := src[k:c]
			p := skipSpaces(src, c)
			if (callee == "Genotype" || strings.HasSuffix(callee, ".Genotype")) && p < len(src) && src[p] == '(' {
				end, lines, err := closeParen(src, p)
				if err != nil {
					return nil, fmt.Errorf("genotype module: line %d: %s = %s(: %w", startLine, name, callee, err)
				}
				out = append(out, Assignment{Name: name, Text: src[start : end+1], Line: startLine})
				line += lines
				i = end + 1
			}
		}
		// On to the next line.
		nl := strings.IndexByte(src[i:], '\n')
		if nl < 0 {
			break
		}
		i += nl + 1
		line++
	}
	return out, nil
}

func skipSpaces(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	return i
}

// closeParen returns the index of the parenthesis closing the one at open
// and the newlines crossed, skipping strings and comments.
func closeParen(s string, open int) (int, int, error) {
	depth, lines := 0, 0
	for i := open; i < len(s); i++ {
		switch c := s[i]; c {
		case '\n':
			lines++
		case '#':
			nl := strings.IndexByte(s[i:], '\n')
			if nl < 0 {
				return 0, 0, errors.New("no closing parenthesis")
			}
			i += nl - 1
		case '\'', '"':
			for i++; i < len(s) && s[i] != c; i++ {
				if s[i] == '\\' {
					i++
				} else if s[i] == '\n' {
					return 0, 0, errors.New("unterminated string")
				}
			}
			if i >= len(s) {
				return 0, 0, errors.New("unterminated string")
			}
		case '(', '[', '{':
			depth++
		case ')', ']', '}':
			depth--
			if depth == 0 {
				if c != ')' {
					return 0, 0, errors.New("unbalanced brackets")
				}
				return i, lines, nil
			}
		}
	}
	return 0, 0, errors.New("no closing parenthesis")
}

// names lists the assignments' names.
func names(as []Assignment) string {
	var ns []string
	for _, a := range as {
		ns = append(ns, a.Name)
	}
	return strings.Join(ns, ", ")
}

// ParseAssignment parses the genotype called name in a Python module's
// text (see Assignments), following an alias NAME = OTHER (genotypes.py's
// DARTS = DARTS_V2) to a genotype the module assigns.
func ParseAssignment(src, name string) (Genotype, error) {
	as, err := Assignments(src)
	if err != nil {
		return Genotype{}, err
	}
	for range 8 { // aliases of aliases, but no loops
		target := ""
		for _, line := range strings.Split(src, "\n") {
			l, r, ok := strings.Cut(line, "=")
			if ok && strings.TrimSpace(l) == name && !strings.HasPrefix(r, "=") {
				target = strings.TrimSpace(strings.SplitN(r, "#", 2)[0])
			}
		}
		if target == "" || !isName(target) || target == name {
			break
		}
		name = target
	}
	for _, a := range as {
		if a.Name == name {
			g, err := parseText([]byte(a.Text))
			if err != nil {
				return Genotype{}, fmt.Errorf("%s (line %d): %w", name, a.Line, err)
			}
			return g, nil
		}
	}
	if len(as) == 0 {
		return Genotype{}, fmt.Errorf("no NAME = Genotype(...) assignment, so no %s", name)
	}
	return Genotype{}, fmt.Errorf("no genotype %s (the module has %s)", name, names(as))
}

func isName(s string) bool {
	for j := 0; j < len(s); j++ {
		if !isIdentByte(s[j], j == 0) || s[j] == '.' {
			return false
		}
	}
	return s != ""
}

// splitNamed splits "FILE:NAME" when FILE exists and NAME is a Python
// identifier, for ReadFile.
func splitNamed(path string) (file, name string, ok bool) {
	i := strings.LastIndexByte(path, ':')
	if i <= 0 || i == len(path)-1 {
		return "", "", false
	}
	file, name = path[:i], path[i+1:]
	if !isName(name) {
		return "", "", false
	}
	if _, err := os.Stat(path); err == nil {
		return "", "", false // a file whose name has a colon
	}
	if _, err := os.Stat(file); err != nil {
		return "", "", false
	}
	return file, name, true
}
