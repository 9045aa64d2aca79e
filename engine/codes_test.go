package engine_test

import (
	"os"
	"testing"

	"github.com/paraat-nl/paraat/engine"
)

// TestCodesDoc keeps docs/DIAGNOSTICS.md equal to the table of codes it is generated from.
func TestCodesDoc(t *testing.T) {
	const path = "../docs/DIAGNOSTICS.md"
	got := engine.CodesDoc()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil || string(want) != got {
		t.Fatalf("%s is not current (go test ./engine -run CodesDoc -update): %v", path, err)
	}
	seen := map[string]bool{}
	for _, c := range engine.Codes {
		if seen[c.Code] || c.Title == "" || c.Explain == "" {
			t.Errorf("code %q: duplicate or undocumented", c.Code)
		}
		seen[c.Code] = true
	}
}
