package engine

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/paraat-nl/paraat/engine/rules"
)

// closest returns the candidate nearest to name by edit distance, or "" when none is near
// enough to be a likely misspelling. A candidate that is name with a prefix (a statement id
// cited without its lens) counts as nearest.
func closest(name string, candidates []string) string {
	if name == "" {
		return ""
	}
	limit := min(max(len(name)/3, 1), 4)
	best, bestD := "", limit+1
	for _, c := range candidates {
		if c == name {
			continue
		}
		d := editDistance(name, c)
		switch {
		case strings.HasSuffix(c, "/"+name):
			d = 0 // a statement cited without its lens
		case len(c) >= 3 && len(name) >= 3 && (strings.HasPrefix(name, c) || strings.HasPrefix(c, name)):
			d = min(d, 1) // integer for int, ranking for rank
		}
		if d < bestD || d == bestD && c < best {
			best, bestD = c, d
		}
	}
	return best
}

// didYouMean returns ` (did you mean "x"?)` for the candidate nearest to name, or "".
func didYouMean(name string, candidates []string) string {
	if c := closest(name, candidates); c != "" {
		return fmt.Sprintf(" (did you mean %q?)", c)
	}
	return ""
}

// keys returns the keys of a map from ids.
func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func (s *Scenario) roleIDs() []string {
	var out []string
	for _, r := range s.Roles {
		out = append(out, r.ID.Value)
	}
	return out
}

func (s *Scenario) endingIDs() []string {
	var out []string
	for _, e := range s.Endings {
		out = append(out, e.ID.Value)
	}
	return out
}

func (q *Question) optionIDs() []string {
	var out []string
	for _, o := range q.Options {
		out = append(out, o.ID.Value)
	}
	return out
}

var unknownNameRE = regexp.MustCompile(`^unknown name ([A-Za-z_][A-Za-z0-9_]*)`)

// exprMessage improves an expression compile error for an author and gives its code: a
// misspelt name gets the closest known one, a `? :` of an int and a float gets a hint.
func exprMessage(msg string, schema *rules.Schema) (string, string) {
	if m := unknownNameRE.FindStringSubmatch(msg); m != nil {
		return msg + didYouMean(m[1], schema.Names()), "unknown-name"
	}
	if strings.HasPrefix(msg, "unknown state variable") {
		name := strings.Trim(strings.TrimPrefix(msg, "unknown state variable "), `"`)
		return msg + didYouMean(name, schema.Names()), "unknown-name"
	}
	if strings.HasSuffix(msg, "but got unknown") {
		return msg + " (the two branches of `? :` must have the same type: write 1.0 rather than 1 next to 0.5)", "expression"
	}
	if strings.Contains(msg, "would be rounded") {
		return msg, "lossy-assignment"
	}
	// expr names Go's types; an author writes float.
	return strings.ReplaceAll(msg, "float64", "float"), "expression"
}
