package main

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

const analyzeLib = "../../engine/analyze/testdata/lib"

// TestAnalyzeJSON: the full JSON of a fixture scenario, kept as a golden file.
func TestAnalyzeJSON(t *testing.T) {
	code, out, errs := paraat(t, "", "analyze", "--json", "--no-builtin", "--runs", "100", analyzeLib+"/sound.yaml")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var v struct {
		Version int
		Files   []struct{ ID string }
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil || v.Version != 1 || len(v.Files) != 1 || v.Files[0].ID != "sound" {
		t.Fatalf("not the documented JSON (%v): %+v", err, v)
	}
	golden(t, "analyze-sound.json", out)
}

// TestAnalyzeText: the readable report names gates, strategies and flow, and a folder gets a
// summary line per file.
func TestAnalyzeText(t *testing.T) {
	code, out, errs := paraat(t, "", "analyze", analyzeLib, "--runs", "50")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{
		"FAIL     clocks",
		"the clock runs back from T+2:00 (‘Start’) to T+1:00 (‘Later’)",
		"warning: inject shown twice on one path: Start",
		"always the longest option",
		"relaxed because: Three options per question; this is a test file.",
		"relax: unknown gate \"no-such-gate\"",
		"gamed                          ",
		"sound                           ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	code, _, errs = paraat(t, "", "analyze", "--lens", "nope", analyzeLib)
	if code != 2 || !strings.Contains(errs, `unknown lens "nope"`) {
		t.Errorf("unknown lens: exit %d, %s", code, errs)
	}
}

// TestCheckGates: check reports failed gates as errors, or as warnings with --gates=warn,
// and prints relaxations with their reason.
func TestCheckGates(t *testing.T) {
	code, out, _ := paraat(t, "", "check", analyzeLib)
	if code != 1 || !strings.Contains(out, "gamed.yaml:5:5: gate clocks: the clock runs back") ||
		!strings.Contains(out, "quiz.yaml:68:11: warning: gate random-play is relaxed (it passes anyway): Three options") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	if !strings.Contains(out, "gamed.yaml:17:9: warning: inject begin can be shown twice on one playthrough") {
		t.Errorf("no warning about the repeated inject:\n%s", out)
	}
	code, out, _ = paraat(t, "", "check", "--gates=warn", analyzeLib)
	if code != 1 || !strings.Contains(out, "gamed.yaml:5:5: warning: gate clocks:") || !strings.Contains(out, "1 errors") {
		t.Fatalf("--gates=warn keeps only the unknown gate as an error; exit %d:\n%s", code, out)
	}
	code, out, _ = paraat(t, "", "check", "--gates=off", analyzeLib+"/sound.yaml")
	if code != 0 || strings.Contains(out, "gate ") {
		t.Fatalf("--gates=off: exit %d:\n%s", code, out)
	}
	if code, _, errs := paraat(t, "", "check", "--gates=maybe"); code != 2 || !strings.Contains(errs, "error, warn or off") {
		t.Fatalf("bad --gates: exit %d %s", code, errs)
	}
}

// TestContentDoc fails when docs/CONTENT.md no longer matches the built-in library: run
// go generate ./cmd/paraat after changing a scenario, a quiz or the scoring.
func TestContentDoc(t *testing.T) {
	code, out, errs := paraat(t, "", "analyze", "--markdown")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	want, err := os.ReadFile("../../docs/CONTENT.md")
	if err != nil {
		t.Fatal(err)
	}
	if out != string(want) {
		t.Error("docs/CONTENT.md is stale: run go generate ./cmd/paraat")
	}
}
