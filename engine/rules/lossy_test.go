package rules

import (
	"strings"
	"testing"
)

// TestLossy: an int variable takes only values that are whole, or rounded on purpose.
func TestLossy(t *testing.T) {
	s := NewSchema([]Var{{"n", Int}, {"f", Float}})
	ok := []string{"n += 2", "n = max(n, 3)", "n = round(n * 1.5)", "n = floor(n / 2)", "n = ceil(f)", "n = int(f)", "n = score > 50 ? 3 : 1", "f += 2.5", "f = f / 3"}
	for _, src := range ok {
		if _, err := s.CompileEffect(src); err != nil {
			t.Errorf("%s: %v", src, err)
		}
	}
	bad := map[string]string{"n += 2.5": "1:6", "n = n * 1.5": "1:5", "n = n / 2": "1:5", "n -= f": "1:6"}
	for src, at := range bad {
		_, err := s.CompileEffect(src)
		if err == nil || !strings.HasPrefix(err.Error(), at+": n is an int, but `") || !strings.Contains(err.Error(), "would be rounded") {
			t.Errorf("%s: %v", src, err)
		}
	}
}
