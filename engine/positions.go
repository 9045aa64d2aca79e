package engine

import (
	"bytes"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

// field returns the value node of key in a mapping node, or nil.
func field(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// mappingWithID returns the mapping node whose `id` value is at p.
func mappingWithID(n *yaml.Node, p Pos) *yaml.Node {
	if n == nil {
		return nil
	}
	if id := field(n, "id"); id != nil && posOf(id) == p {
		return n
	}
	for _, c := range n.Content {
		if m := mappingWithID(c, p); m != nil {
			return m
		}
	}
	return nil
}

// keyPos returns the position of the value of a top-level field, or 1:1 when it is absent:
// so that an error about the field points at it.
func (v *validator) keyPos(key string) Pos {
	if n := field(v.root, key); n != nil {
		return posOf(n)
	}
	return Pos{1, 1}
}

// fieldPos returns the position of the value of key in the entry whose id is at idPos (a
// question's points, an item's points), or idPos when the entry has no such field.
func (v *validator) fieldPos(idPos Pos, key string) Pos {
	if n := field(mappingWithID(v.root, idPos), key); n != nil {
		return posOf(n)
	}
	return idPos
}

// acceptPos returns the position of key in the i-th accepted value of the question whose id
// is at idPos.
func (v *validator) acceptPos(idPos Pos, i int, key string) Pos {
	acc := field(mappingWithID(v.root, idPos), "accept")
	if acc != nil && acc.Kind == yaml.SequenceNode && i < len(acc.Content) {
		if n := field(acc.Content[i], key); n != nil {
			return posOf(n)
		}
	}
	return idPos
}

// unresolved reports whether a `goto` or a rule's `inject` names no inject, or two injects
// share an id: then whatever seems unreachable may only seem so, and the unknown or doubled
// name is the one error to report.
func (s *Scenario) unresolved() bool {
	if len(s.injects) != len(s.Injects) {
		return true
	}
	for _, in := range s.Injects {
		for _, b := range in.Next {
			if b.target == nil {
				return true
			}
		}
	}
	for _, r := range s.Rules {
		if r.Inject.Value != "" && r.target == nil {
			return true
		}
	}
	return false
}

var anchorRE = regexp.MustCompile(`^unknown anchor '([^']*)' referenced`)

// syntaxPos finds where a YAML syntax error is. The parser reports the start of the construct
// it was reading (a list that began 60 lines up), not the line that broke it. The line that
// broke it is the first from which on every prefix of the file fails to parse: found by
// bisection between the reported line and the end (a valid prefix of a block-style file
// parses, except inside a flow collection or quoted scalar that continues on the next line).
func syntaxPos(data []byte, line, col int, msg string) Pos {
	if m := anchorRE.FindStringSubmatch(msg); m != nil {
		if i := bytes.Index(data, []byte("*"+m[1])); i >= 0 {
			return offsetPos(data, i)
		}
	}
	lines := bytes.SplitAfter(data, []byte("\n"))
	fails := func(n int) (bool, int, int) {
		var doc yaml.Node
		err := yaml.Unmarshal(bytes.Join(lines[:n], nil), &doc)
		if err == nil {
			return false, 0, 0
		}
		l, c, _ := yamlErrorPos(err.Error())
		return true, l, c
	}
	lo, hi := max(line, 1), len(lines)
	if ok, _, _ := fails(hi); !ok || lo > hi {
		return Pos{line, col}
	}
	for lo < hi {
		mid := (lo + hi) / 2
		if bad, _, _ := fails(mid); bad {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	_, l, c := fails(lo)
	text := string(lines[lo-1])
	if l == lo && c > 1 {
		return Pos{lo, c}
	}
	return Pos{lo, len(text) - len(strings.TrimLeft(text, " ")) + 1}
}

func offsetPos(data []byte, i int) Pos {
	line := bytes.Count(data[:i], []byte("\n")) + 1
	start := bytes.LastIndexByte(data[:i], '\n') + 1
	return Pos{line, len([]rune(string(data[start:i]))) + 1}
}

// testScorePos returns the position of a test's `expect: score:`.
func (v *validator) testScorePos(t *Test) Pos {
	tests := field(v.root, "tests")
	if tests == nil {
		return t.Pos
	}
	for _, tn := range tests.Content {
		if field(tn, "answers") != nil && posOf(field(tn, "answers")) == t.Pos {
			if n := field(field(tn, "expect"), "score"); n != nil {
				return posOf(n)
			}
		}
	}
	return t.Pos
}

// yamlHints say, for the YAML parser's terse messages, what usually causes them.
var yamlHints = map[string]string{
	"mapping values are not allowed in this context":  "a value that contains \": \" must be quoted, or the line is indented deeper than the field before it",
	"did not find expected key":                       "check this line's indentation, and for a quote or bracket left open above it",
	"did not find expected '-' indicator":             "this line is indented differently from the list entries above it",
	"found a tab character that violates indentation": "indent with spaces, not tabs",
	"could not find expected ':'":                     "a field name without ':', or a text continued on a line of its own: quote it or use > or |",
	"did not find expected ',' or '}'":                "a { ... } left open",
	"did not find expected ',' or ']'":                "a [ ... ] left open",
	"found unexpected end of stream":                  "a quote or bracket left open",
}

// yamlHint adds the usual cause to a YAML parser message.
func yamlHint(msg string) string {
	for m, h := range yamlHints {
		if strings.HasPrefix(msg, m) {
			return msg + " (" + h + ")"
		}
	}
	return msg
}
