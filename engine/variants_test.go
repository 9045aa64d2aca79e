package engine_test

import (
	"os"
	"strings"
	"testing"

	"github.com/paraat-nl/paraat/engine"
)

// variants are single mistakes an author makes, each applied to testdata/variants/base.yaml
// by replacing the first occurrence of find. Each must give exactly one diagnostic, on the
// line where find starts plus dl, with a documented code; the diagnostics themselves are kept
// in testdata/variants/variants.golden.
var variants = []struct {
	name, find, replace string
	dl                  int
}{
	// Misspelt ids and names.
	{"goto-typo", "goto: tegenreactie", "goto: tegenreactei", 0},
	{"start-typo", "start: melding", "start: meldign", 0},
	{"rule-inject-typo", "inject: navo-beraad", "inject: navo-berad", 0},
	{"chose-question-typo", "chose('eerste-stap', 'direct", "chose('eerste-stp', 'direct", 0},
	{"chose-option-typo", "'direct-toeschrijven')\"", "'direct-toeschrijvn')\"", 0},
	{"role-typo", "roles: [bz]", "roles: [bzz]", 0},
	{"decides-role-typo", "decides: role:bz", "decides: role:buza", 0},
	{"statement-typo", "[ivs-2026/sanctievoorstellen-hybride]", "[ivs-2026/sanctievoorstelen-hybride]", 0},
	{"statement-without-lens", "conflicts: [ivs-2026/noordzee-2027]", "conflicts: [noordzee-2027]", 0},
	{"lens-typo", "lens: ivs-2026\nduration", "lens: ivs-2062\nduration", 0},
	{"test-ending-typo", "ending: rommelig", "ending: romelig", 0},
	{"test-visited-typo", "visited: [onderzoek]", "visited: [onderzook]", 0},
	{"test-option-typo", "eerste-stap: afwachten", "eerste-stap: afwahcten", 0},
	{"test-multi-option-typo", "maatregelen: [ambassadeur]", "maatregelen: [ambasadeur]", 0},
	{"fired-typo", "when: \"cohesie >= 75\"", "when: \"cohesie >= 75 && !fired('navo-alrm')\"", 0},
	{"variable-typo-condition", "when: \"escalatie >= 4\"\n    effects", "when: \"escalatei >= 4\"\n    effects", 0},
	{"variable-typo-effect", "effects: [\"escalatie += 1\"]\n    next", "effects: [\"escalatei += 1\"]\n    next", 0},
	{"function-typo", "when: \"cohesie >= 75\"", "when: \"flor(cohesie) >= 75\"", 0},
	{"test-state-typo", "state: [\"escalatie == 5\"]", "state: [\"escalatei == 5\"]", 0},
	{"field-typo-prompt", "        prompt:\n          nl: Welke", "        promt:\n          nl: Welke", 0},
	{"field-typo-top", "duration: 20m", "duraton: 20m", 0},
	{"field-typo-option", "            feedback:\n              nl: >-", "            feedbak:\n              nl: >-", 0},
	{"field-typo-goto", "      - goto: onderzoek\n  - id: navo-beraad", "      - got: onderzoek\n  - id: navo-beraad", 0},

	// Wrong types and values.
	{"version-word", "version: 1", "version: een", 0},
	{"version-zero", "version: 1", "version: 0", 0},
	{"kind-typo", "kind: scenario", "kind: scenaro", 0},
	{"points-word", "points: 5\n", "points: vijf\n", 0},
	{"points-negative", "points: 2\n", "points: -2\n", 0},
	{"time-limit-number", "time_limit: 90s", "time_limit: 90", 0},
	{"title-plain-string", "title: {nl: Rommelig, en: Muddled}", "title: Rommelig", 0},
	{"roles-not-list", "roles: [def]", "roles: def", 0},
	{"initial-bool-for-int", "initial: 1\n", "initial: true\n", 0},
	{"initial-fraction-for-int", "initial: 60\n", "initial: 60.5\n", 0},
	{"state-type-unknown", "type: int\n    initial: 1", "type: integer\n    initial: 1", 0},
	{"initial-out-of-bounds", "initial: 1\n", "initial: 9\n", 0},
	{"tolerance-negative", "tolerance: 0.05\n            supports: [ivs-2026/bbp", "tolerance: -0.05\n            supports: [ivs-2026/bbp", 0},
	{"question-type-unknown", "type: rank", "type: ranking", 0},
	{"decides-unknown", "decides: facilitator", "decides: voorzitter", 0},
	{"lossy-assignment", "effects: [\"cohesie += 10\"]", "effects: [\"cohesie += 2.5\"]", 0},
	{"condition-not-bool", "when: \"escalatie >= 4\"\n    title", "when: \"escalatie + 4\"\n    title", 0},
	{"expression-syntax", "cohesie >= 70 && escalatie <= 2", "cohesie >= 70 &&& escalatie <= 2", 0},
	{"expression-unclosed", "'direct-toeschrijven')\"", "'direct-toeschrijven'\"", 0},
	{"question-without-type", "        type: number\n", "", -1},

	// YAML layout.
	{"indent-deeper", "    clock: \"T+6:00\"", "      clock: \"T+6:00\"", 0},
	{"indent-shallower", "    effects: [\"escalatie += 1\"]\n    next", "   effects: [\"escalatie += 1\"]\n    next", 0},
	{"tab-indent", "    clock: \"T+12:00\"", "\tclock: \"T+12:00\"", 0},
	{"unclosed-flow-mapping", "title: {nl: Beraad in de NAVO, en: Consultation in NATO}", "title: {nl: Beraad in de NAVO, en: Consultation in NATO", 0},
	{"unclosed-quote", "clock: \"T+12:00\"", "clock: \"T+12:00", 0},
	{"colon-in-plain-text", "en: Allies ask for consultations", "en: Allies ask: consultations", 0},
	{"unclosed-list", "roles: [def]", "roles: [def", 0},
	{"duplicate-key", "    clock: \"T+6:00\"\n", "    clock: \"T+6:00\"\n    clock: \"T+7:00\"\n", 1},
	{"alias", "title: {nl: Geëscaleerd, en: Escalated}", "title: *titel", 0},

	// Translations.
	{"inject-title-without-en", "title: {nl: Een scherpe tegenreactie, en: A sharp response}", "title: {nl: Een scherpe tegenreactie}", 0},
	{"prompt-without-nl", "          nl: Rangschik wat Defensie nu het eerst moet doen.\n          en:", "          en:", 0},
	{"option-text-without-en", "text: {nl: Geen extra inzet, en: No extra effort}", "text: {nl: Geen extra inzet}", 0},
	{"ending-text-without-en", "      en: The crisis fades out, but without a clear lesson.\n", "", -1},
	{"unknown-language", "{nl: Rommelig, en: Muddled}", "{nl: Rommelig, de: Muddled}", 0},

	// Ids and structure.
	{"duplicate-option", "            conflicts: [ivs-2026/noordzee-2027]\n", "            conflicts: [ivs-2026/noordzee-2027]\n          - id: oefenen\n            text: {nl: Nog eens oefenen, en: Exercise again}\n", 1},
	{"duplicate-rule", "  - id: sterke-coalitie", "  - id: navo-alarm", 0},
	{"id-syntax", "  - id: sterke-coalitie", "  - id: Sterke_Coalitie", 0},
	{"rule-without-when", "    when: \"cohesie >= 75\"\n", "", -1},
	{"ending-shadows", "    when: \"cohesie >= 70 && escalatie <= 2\"\n", "", -1},
	{"next-all-conditional", "      - goto: onderzoek\n  - id: tegenreactie", "      - when: \"escalatie < 3\"\n        goto: onderzoek\n  - id: tegenreactie", 0},
	{"duplicate-inject", "  - id: navo-beraad\n", "  - id: navo-beraad\n    clock: \"T+12:00\"\n    text: {nl: Nog eens, en: Again}\n  - id: navo-beraad\n", 3},
	{"duplicate-question", "      - id: toelichting\n", "      - id: bbp-doel\n        type: number\n        prompt: {nl: Nog eens, en: Again}\n        accept: [{value: 1, supports: [ivs-2026/navo-cmx]}]\n      - id: toelichting\n", 0},
	{"test-lens-typo", "  - name: the policy path under the 2026 strategy\n", "  - name: the policy path under the 2026 strategy\n    lens: ivs-2062\n", 1},
	{"goto-prefix", "goto: tegenreactie", "goto: tegenreac", 0},
	{"inject-unreachable", "    inject: navo-beraad\n", "", -83}, // reported at the inject no longer reached
}

func TestVariants(t *testing.T) {
	lib := loadTestLib(t)
	base, err := os.ReadFile("testdata/variants/base.yaml")
	if err != nil {
		t.Fatal(err)
	}
	diags := &engine.Diagnostics{}
	if _, ok := engine.ParseScenario("base.yaml", base, lib.Corpus, diags); !ok || len(diags.List) > 0 {
		t.Fatalf("the base has diagnostics: %v", diags.List)
	}
	var golden strings.Builder
	names := map[string]bool{}
	for _, v := range variants {
		if names[v.name] {
			t.Fatalf("variant %s twice", v.name)
		}
		names[v.name] = true
		i := strings.Index(string(base), v.find)
		if i < 0 {
			t.Fatalf("%s: %q not in the base", v.name, v.find)
		}
		line := strings.Count(string(base[:i]), "\n") + 1 + v.dl
		text := string(base[:i]) + v.replace + string(base[i+len(v.find):])
		diags := &engine.Diagnostics{}
		engine.ParseScenario("base.yaml", []byte(text), lib.Corpus, diags)
		diags.Sort()
		for _, d := range diags.List {
			golden.WriteString(v.name + ": " + d.String() + "\n")
		}
		switch {
		case len(diags.List) != 1:
			t.Errorf("%s: %d diagnostics, want 1: %v", v.name, len(diags.List), diags.List)
		case diags.List[0].Pos.Line != line:
			t.Errorf("%s: at line %d, want %d: %s", v.name, diags.List[0].Pos.Line, line, diags.List[0])
		}
		for _, d := range diags.List {
			if _, ok := engine.Explain(d.Code); !ok {
				t.Errorf("%s: undocumented code %q: %s", v.name, d.Code, d)
			}
		}
	}
	if len(variants) < 50 {
		t.Errorf("%d variants; keep at least 50", len(variants))
	}
	path := "testdata/variants/variants.golden"
	if *update {
		if err := os.WriteFile(path, []byte(golden.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test ./engine -run Variants -update)", err)
	}
	if golden.String() != string(want) {
		t.Errorf("diagnostics differ from %s:\n%s", path, golden.String())
	}
}

// TestBlockScalarPositions: an error inside an expression written as a block scalar is
// reported at its line and column in the file.
func TestBlockScalarPositions(t *testing.T) {
	lib := loadTestLib(t)
	base, err := os.ReadFile("testdata/variants/base.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, style := range []string{"|", ">", "|-", ">-"} {
		find := `    when: "cohesie >= 70 && escalatie <= 2"` + "\n"
		text := strings.Replace(string(base), find, "    when: "+style+"\n      cohesie >= 70 &&\n        escalatei <= 2\n", 1)
		line := strings.Count(string(base[:strings.Index(string(base), find)]), "\n") + 1
		diags := &engine.Diagnostics{}
		engine.ParseScenario("base.yaml", []byte(text), lib.Corpus, diags)
		want := engine.Pos{Line: line + 2, Column: 9}
		if len(diags.List) != 1 || diags.List[0].Pos != want || diags.List[0].Code != "unknown-name" {
			t.Errorf("%s: %v, want one unknown-name at %v", style, diags.List, want)
		}
	}
}
