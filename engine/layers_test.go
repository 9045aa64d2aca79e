package engine_test

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/paraat-nl/paraat/engine"
)

const baseDoc = `lens: ivs-2026
source: ivs.txt
kind: cabinet
year: 2026
title: {nl: Strategie, en: Strategy}
statements:
  - id: eerste
    section: "1"
    quote: "De eerste zin."
  - id: tweede
    section: "2"
    quote: "De tweede zin."
`

func layer(files map[string]string, dir string) engine.Layer {
	fsys := fstest.MapFS{}
	var names []string
	for name, text := range files {
		fsys[name] = &fstest.MapFile{Data: []byte(text)}
		names = append(names, name)
	}
	return engine.Layer{FS: fsys, Files: names, Dir: dir}
}

func diagStrings(d *engine.Diagnostics) []string {
	d.Sort()
	var out []string
	for _, x := range d.List {
		out = append(out, x.String())
	}
	return out
}

func TestLayersAdd(t *testing.T) {
	diags := &engine.Diagnostics{}
	c := engine.LoadLayers([]engine.Layer{
		layer(map[string]string{"policy/ivs.yaml": baseDoc}, "base"),
		layer(map[string]string{"policy/eigen.yaml": `lens: ivs-2026
source: eigen.txt
kind: cabinet
title: {nl: Aanvulling, en: Addition}
statements:
  - id: derde
    section: "3"
    quote: "De derde zin."
`, "policy/gemeente.yaml": `lens: gemeente-2025
source: gemeente.txt
kind: cabinet
title: {nl: Gemeente, en: Municipality}
statements:
  - id: eerste
    section: "1"
    quote: "Een zin van de gemeente."
`}, "mijn"),
	}, diags)
	if len(diags.List) != 0 {
		t.Fatalf("diagnostics: %v", diagStrings(diags))
	}
	for _, id := range []string{"ivs-2026/eerste", "ivs-2026/tweede", "ivs-2026/derde", "gemeente-2025/eerste"} {
		if c.Statement(id) == nil {
			t.Errorf("statement %s missing", id)
		}
	}
	if n := len(c.Statements()); n != 4 {
		t.Errorf("%d statements, want 4", n)
	}
	if got := c.Statement("ivs-2026/derde").Doc.File; got != "mijn/policy/eigen.yaml" {
		t.Errorf("file %q", got)
	}
}

func TestLayersConflictAndOverride(t *testing.T) {
	upper := `lens: ivs-2026
source: eigen.txt
kind: cabinet
title: {nl: Aanvulling, en: Addition}
statements:
  - id: eerste
    section: "1a"
    quote: "Een andere eerste zin."
  - id: tweede
    section: "2a"
    quote: "Een nieuwe tweede zin."
    overrides: the 2026 revision rewords this passage
  - id: vierde
    section: "4"
    quote: "Vierde."
    overrides: there is nothing to replace
  - id: vijfde
    section: "5"
    quote: "Vijfde."
    overrides: ""
`
	diags := &engine.Diagnostics{}
	c := engine.LoadLayers([]engine.Layer{
		layer(map[string]string{"policy/ivs.yaml": baseDoc}, "base"),
		layer(map[string]string{"policy/eigen.yaml": upper}, "mijn"),
	}, diags)
	want := []string{
		"mijn/policy/eigen.yaml:6:9: statement ivs-2026/eerste already exists in base/policy/ivs.yaml:7:9: give yours a new id, or add `overrides: <reason>` to replace it [statement-exists]",
		"mijn/policy/eigen.yaml:16:16: statement ivs-2026/vierde overrides nothing: no lower layer defines it (remove `overrides:` to add it as a new statement) [override-nothing]",
		"mijn/policy/eigen.yaml:20:16: overrides needs a reason: say why this statement replaces ivs-2026/vijfde [override-nothing]",
	}
	if got := diagStrings(diags); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if q := c.Statement("ivs-2026/eerste").Quote; q != "De eerste zin." {
		t.Errorf("a conflicting statement replaced the built-in one: %q", q)
	}
	if q := c.Statement("ivs-2026/tweede").Quote; q != "Een nieuwe tweede zin." {
		t.Errorf("override not applied: %q", q)
	}
	n := 0
	for _, s := range c.Statements() {
		if s.ID == "ivs-2026/tweede" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("ivs-2026/tweede listed %d times", n)
	}
}

// TestLayersDuplicate: a duplicate id within a layer names both places, and the statements
// after it still load, so that citing them gives no follow-on errors.
func TestLayersDuplicate(t *testing.T) {
	doc := baseDoc + `  - id: eerste
    section: "3"
    quote: "Nog eens."
  - id: laatste
    section: "4"
    quote: "De laatste."
`
	diags := &engine.Diagnostics{}
	c := engine.LoadLayers([]engine.Layer{layer(map[string]string{"policy/ivs.yaml": doc}, "")}, diags)
	want := "policy/ivs.yaml:13:9: statement ivs-2026/eerste is defined twice: at policy/ivs.yaml:7:9 and here, at policy/ivs.yaml:13:9 [duplicate-id]"
	if got := diagStrings(diags); len(got) != 1 || got[0] != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
	if c.Statement("ivs-2026/laatste") == nil {
		t.Error("the statement after the duplicate was dropped")
	}
}

// TestLayersSameFileName: a file with the name of a lower layer's file is a new version of
// that document and replaces it whole.
func TestLayersSameFileName(t *testing.T) {
	diags := &engine.Diagnostics{}
	c := engine.LoadLayers([]engine.Layer{
		layer(map[string]string{"policy/ivs.yaml": baseDoc}, "base"),
		layer(map[string]string{"ivs.yaml": strings.Replace(baseDoc, "De tweede zin.", "De herziene tweede zin.", 1)}, "werk"),
	}, diags)
	if len(diags.List) != 0 {
		t.Fatalf("diagnostics: %v", diagStrings(diags))
	}
	if q := c.Statement("ivs-2026/tweede").Quote; q != "De herziene tweede zin." {
		t.Errorf("quote %q", q)
	}
}
