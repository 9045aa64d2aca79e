package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTestFlags: --cover lists what the tests miss, --trace shows each path, and a test that
// leaves questions to an undeclared default is a warning, or with --strict a failure.
func TestTestFlags(t *testing.T) {
	code, out, _ := paraat(t, "", "test", "--no-builtin", "--cover", "--trace", testLib)
	for _, want := range []string{
		"cover\tvoorbeeld                   \tinjects 4/4  options 7/9  rules 2/2  endings 3/3",
		"    not covered: options prioriteiten/oefenen, prioriteiten/niets",
		"=== RUN   voorbeeld/attributing at once escalates",
		"rule    navo-alarm",
		"ending  geescaleerd, score 0.00%",
	} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("exit %d, output lacks %q:\n%s", code, want, out)
		}
	}
	dir := t.TempDir()
	data, err := os.ReadFile(testLib + "/voorbeeld.yaml")
	if err != nil {
		t.Fatal(err)
	}
	data = []byte(strings.Replace(string(data), "    default: none                 # the questions not listed stay unanswered\n", "", 1))
	if err := os.WriteFile(filepath.Join(dir, "voorbeeld.yaml"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "voorbeeld.yaml")
	code, out, _ = paraat(t, "", "test", "--no-builtin", "--policy", testLib, file)
	want := `warning: ` + file + `: test "attributing at once escalates" does not answer prioriteiten, bbp-doel, toelichting and declares no default`
	if code != 0 || !strings.Contains(out, want) || !strings.Contains(out, "4 passed, 0 failed, 1 warnings") {
		t.Errorf("exit %d:\n%s", code, out)
	}
	code, out, _ = paraat(t, "", "test", "--strict", "--no-builtin", "--policy", testLib, file)
	if code != 1 || !strings.Contains(out, "--- FAIL: voorbeeld/attributing at once escalates") || !strings.Contains(out, "[implicit-answer]") {
		t.Errorf("--strict: exit %d:\n%s", code, out)
	}
}
