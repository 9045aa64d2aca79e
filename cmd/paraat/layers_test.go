package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// authorDir writes a scenario of one's own (a copy of the built-in example) with a policy/
// folder holding the given document, as an author keeps them.
func authorDir(t *testing.T, policy string) string {
	t.Helper()
	dir := t.TempDir()
	data, err := os.ReadFile("../../scenarios/voorbeeld.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "mijn.yaml"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "policy"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "policy", "gemeente.yaml"), []byte(policy), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

const ownPolicy = `lens: ivs-2026
source: gemeente.txt
kind: cabinet
year: 2025
title: {nl: Gemeentelijk crisisplan, en: Municipal crisis plan}
statements:
  - id: gemeente-informeert-burgers
    section: "2.1"
    quote: "De gemeente informeert de inwoners binnen een uur."
    summary: {nl: Binnen een uur informeren, en: Inform within the hour}
`

// TestCheckOwnLayer: an author's policy/ folder adds to the built-in corpus; warnings are
// about the files asked about only, and --strict makes them errors.
func TestCheckOwnLayer(t *testing.T) {
	dir := authorDir(t, ownPolicy)
	code, out, _ := paraat(t, "", "check", "--gates=off", filepath.Join(dir, "mijn.yaml"))
	if code != 0 || !strings.Contains(out, "0 errors, 0 warnings") {
		t.Fatalf("check FILE: exit %d:\n%s", code, out)
	}
	code, out, _ = paraat(t, "", "check", "--gates=off", dir)
	wantWarn := filepath.Join(dir, "policy", "gemeente.yaml") + ":7:9: warning: statement ivs-2026/gemeente-informeert-burgers is not cited by any scenario or quiz [not-cited]"
	if code != 0 || !strings.Contains(out, wantWarn) || !strings.Contains(out, "0 errors, 1 warnings") {
		t.Fatalf("check DIR: exit %d:\n%s", code, out)
	}
	if strings.Contains(out, "scenarios/policy") {
		t.Errorf("warnings about the built-in corpus:\n%s", out)
	}
	code, out, _ = paraat(t, "", "check", "--gates=off", "--strict", dir)
	if code != 1 || !strings.Contains(out, "1 errors, 0 warnings") {
		t.Fatalf("check --strict: exit %d:\n%s", code, out)
	}
	code, out, _ = paraat(t, "", "test", dir)
	if code != 0 {
		t.Fatalf("test DIR: exit %d:\n%s", code, out)
	}
}

// TestCheckLayerConflict: a statement id of the built-in corpus in one's own layer is one
// error, naming both places, and nothing follows from it.
func TestCheckLayerConflict(t *testing.T) {
	dir := authorDir(t, strings.Replace(ownPolicy, "gemeente-informeert-burgers", "zelf-gekozen-moment", 1))
	code, out, _ := paraat(t, "", "check", "--gates=off", "-q", dir)
	want := filepath.Join(dir, "policy", "gemeente.yaml") + ":7:9: statement ivs-2026/zelf-gekozen-moment already exists in scenarios/policy/ivs-2026.yaml:"
	if code != 1 || strings.Count(out, "\n") != 1 || !strings.HasPrefix(out, want) || !strings.HasSuffix(out, "[statement-exists]\n") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	// With a reason it replaces the built-in statement.
	dir = authorDir(t, strings.Replace(strings.Replace(ownPolicy, "gemeente-informeert-burgers", "zelf-gekozen-moment", 1),
		"    summary:", "    overrides: our municipality reads the strategy this way\n    summary:", 1))
	code, out, _ = paraat(t, "", "check", "--gates=off", "-q", dir)
	if code != 0 || out != "" {
		t.Fatalf("overrides: exit %d:\n%s", code, out)
	}
}

// TestCheckSourcesLayers: each layer's quotes are verified against the --sources folders,
// searched in turn.
func TestCheckSourcesLayers(t *testing.T) {
	dir := authorDir(t, ownPolicy)
	src := t.TempDir()
	os.WriteFile(filepath.Join(src, "gemeente.txt"), []byte("2.1 Informeren\nDe gemeente informeert de inwoners\nbinnen een uur.\n"), 0o644)
	args := []string{"check", "-q", "--no-builtin", "--policy", testLib, "--sources", "../../engine/testdata/sources"}
	_, out, _ := paraat(t, "", append(args, dir)...)
	if !strings.Contains(out, "gemeente.yaml:2:9: source document gemeente.txt: open gemeente.txt: no such file or directory [source-missing]") {
		t.Errorf("one folder:\n%s", out)
	}
	_, out, _ = paraat(t, "", append(args, "--sources", src, dir)...)
	if strings.Contains(out, "gemeente") || !strings.Contains(out, "navo-twee-procent does not occur in rp.txt") {
		t.Errorf("two folders:\n%s", out)
	}
}

// TestCheckBrokenLayer: a policy file that does not parse is the one error; the citations of
// the statements it would have defined are not reported again.
func TestCheckBrokenLayer(t *testing.T) {
	dir := authorDir(t, strings.Replace(ownPolicy, "title: {nl: Gemeentelijk crisisplan, en: Municipal crisis plan}", "title: {nl: Gemeentelijk crisisplan, en: Municipal crisis plan", 1))
	path := filepath.Join(dir, "mijn.yaml")
	data, _ := os.ReadFile(path)
	cite := "            supports: [ivs-2026/zelf-gekozen-moment, ivs-2026/coalitieverband-via-eu]"
	os.WriteFile(path, []byte(strings.Replace(string(data), cite, cite[:len(cite)-1]+", ivs-2026/gemeente-informeert-burgers]", 1)), 0o644)
	code, out, _ := paraat(t, "", "check", "--gates=off", "-q", dir)
	want := filepath.Join(dir, "policy", "gemeente.yaml") + ":5:"
	if code != 1 || strings.Count(out, "\n") != 1 || !strings.HasPrefix(out, want) || !strings.Contains(out, "[yaml-syntax]") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
}
