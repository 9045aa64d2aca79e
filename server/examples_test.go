package server

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"
)

var exampleType = regexp.MustCompile(`^\{"type":\s*"(\w+)"`)

// protocolExamples returns every client message PROTOCOL.md shows between "Client → server"
// and "Server → client", with the placeholder `Answer` replaced by a real answer.
func protocolExamples(t testing.TB) []string {
	t.Helper()
	doc, err := os.ReadFile("../PROTOCOL.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(doc)
	from, to := strings.Index(text, "### Client → server"), strings.Index(text, "### Server → client")
	if from < 0 || to < from {
		t.Fatal("PROTOCOL.md: no client → server section")
	}
	text = text[from:to]
	var out []string
	for i := strings.Index(text, `{"type"`); i >= 0; {
		obj := balanced(text[i:])
		if m := exampleType.FindStringSubmatch(obj); m != nil && knownTypes[m[1]] {
			out = append(out, strings.ReplaceAll(obj, ": Answer", `: {"option": "a"}`))
		}
		j := strings.Index(text[i+1:], `{"type"`)
		if j < 0 {
			break
		}
		i += 1 + j
	}
	return out
}

// balanced returns the JSON-looking object s starts with, up to its matching brace.
func balanced(s string) string {
	depth, inString := 0, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case inString && c == '\\':
			i++
		case c == '"':
			inString = !inString
		case inString:
		case c == '{':
			depth++
		case c == '}':
			if depth--; depth == 0 {
				return s[:i+1]
			}
		}
	}
	return s
}

// TestProtocolExamples: every client message PROTOCOL.md shows is one the server accepts,
// so the document and the decoder cannot drift apart unnoticed.
func TestProtocolExamples(t *testing.T) {
	t.Parallel()
	examples := protocolExamples(t)
	seen := map[string]bool{}
	for _, ex := range examples {
		if !json.Valid([]byte(ex)) {
			t.Errorf("PROTOCOL.md example is not JSON: %s", ex)
			continue
		}
		m, err := Decode([]byte(ex))
		if err != nil {
			t.Errorf("PROTOCOL.md example refused: %s: %v", ex, err)
			continue
		}
		seen[m.Type] = true
	}
	for typ := range knownTypes {
		if !seen[typ] {
			t.Errorf("PROTOCOL.md shows no %q message", typ)
		}
	}
}
