package engine_test

import (
	"strings"
	"testing"

	"github.com/paraat-nl/paraat/engine"
)

const detourScenario = `id: omweg
version: 1
title: {nl: Omweg, en: Detour}
lens: ivs-2026
roles: [{id: bz, name: {nl: BZ, en: FA}}]
state:
  alarm: {type: bool}
start: a
injects:
  - id: a
    text: {nl: A, en: A}
    effects: ["alarm = true"]
    next: [{goto: b}]
  - id: b
    text: {nl: B, en: B}
  - id: omweg
    text: {nl: Omweg, en: Detour}
    next: [{goto: omweg-2}]
  - id: omweg-2
    text: {nl: Omweg 2, en: Detour 2}
rules:
  - id: alarm
    when: "alarm"
    inject: omweg
RETURN
endings:
  - id: einde
    title: {nl: Einde, en: End}
`

// TestRuleInjectReturn: a rule's inject is a detour that returns to the interrupted flow with
// `return: true`, and a new direction without it.
func TestRuleInjectReturn(t *testing.T) {
	lib := loadTestLib(t)
	for _, tt := range []struct {
		ret, path string
	}{
		{"", "a omweg omweg-2"},
		{"    return: false", "a omweg omweg-2"},
		{"    return: true", "a omweg omweg-2 b"},
	} {
		diags := &engine.Diagnostics{}
		s, ok := engine.ParseScenario("omweg.yaml", []byte(strings.Replace(detourScenario, "RETURN", tt.ret, 1)), lib.Corpus, diags)
		if !ok {
			t.Fatal(diags.Err())
		}
		w, err := engine.Play(s, "", func(*engine.World, *engine.Question) (engine.Answer, bool) { return engine.Answer{}, false })
		if err != nil {
			t.Fatal(err)
		}
		var path []string
		for _, st := range w.Path() {
			path = append(path, st.Inject)
		}
		if got := strings.Join(path, " "); got != tt.path || w.Ending() == nil {
			t.Errorf("%q: path %s, want %s (ending %v)", tt.ret, got, tt.path, w.Ending())
		}
	}
	diags := &engine.Diagnostics{}
	bad := strings.Replace(strings.Replace(detourScenario, "RETURN", "    return: true", 1), "    inject: omweg\n", "", 1)
	engine.ParseScenario("omweg.yaml", []byte(bad), lib.Corpus, diags)
	if len(diags.List) == 0 || !strings.Contains(diags.List[0].String(), "omweg.yaml:24:13: rule alarm: return needs an inject") {
		t.Errorf("return without inject: %v", diags.List)
	}
}
