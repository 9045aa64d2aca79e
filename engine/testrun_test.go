package engine_test

import (
	"os"
	"strings"
	"testing"

	"github.com/paraat-nl/paraat/engine"
)

// TestTestSemantics: a score range without max reaches to 100; a test that leaves questions
// to an undeclared default says which; coverage counts what the tests exercise.
func TestTestSemantics(t *testing.T) {
	lib := loadTestLib(t)
	s := lib.Scenario("voorbeeld")
	if r := s.Tests[0].Expect.Score; r == nil || r.Min != 99 || r.Max != 100 {
		t.Fatalf("score range %+v", r)
	}
	src := strings.Replace(string(mustRead(t, "testdata/lib/voorbeeld.yaml")), "score: {min: 99, max: 100}", "score: {min: 99}", 1)
	src = strings.Replace(src, "    default: none                 # the questions not listed stay unanswered\n", "", 1)
	diags := &engine.Diagnostics{}
	s, ok := engine.ParseScenario("v.yaml", []byte(src), lib.Corpus, diags)
	if !ok {
		t.Fatal(diags.Err())
	}
	if r := s.Tests[0].Expect.Score; r.Min != 99 || r.Max != 100 {
		t.Errorf("{min: 99} = %+v, want 99 to 100", r)
	}
	res := engine.RunTests(s)
	for i, r := range res {
		if !r.Passed() {
			t.Errorf("test %d: %v", i, r.Failures)
		}
	}
	if got := strings.Join(res[1].Unlisted, " "); got != "prioriteiten bbp-doel toelichting" {
		t.Errorf("unlisted = %q", got)
	}
	if len(res[0].Unlisted)+len(res[2].Unlisted)+len(res[3].Unlisted) != 0 {
		t.Errorf("unlisted in tests that list or declare: %v %v %v", res[0].Unlisted, res[2].Unlisted, res[3].Unlisted)
	}
	c := engine.TestCover(s, res)
	if c.Injects.Covered != 4 || c.Injects.Total != 4 || c.Rules.Covered != 2 || c.Endings.Covered != 3 ||
		c.Options.Total != 9 || strings.Join(c.Options.Missing, " ") != "prioriteiten/oefenen prioriteiten/niets" {
		t.Errorf("cover = %+v", c)
	}
	trace := strings.Join(engine.Trace(res[1].World), "\n")
	for _, want := range []string{"inject  tegenreactie             escalatie=4 cohesie=40", "rule    navo-alarm", "decide  eerste-stap              direct-toeschrijven (0/10 points)", "ending  geescaleerd, score 0.00%"} {
		if !strings.Contains(trace, want) {
			t.Errorf("trace lacks %q:\n%s", want, trace)
		}
	}
	for _, bad := range []struct{ from, to, want string }{
		{"score: {min: 99, max: 100}", "score: {min: 80, max: 20}", "score is a range of percentages"},
		{"default: none ", "default: eerste ", `default must be first or none, not "eerste"`},
	} {
		diags := &engine.Diagnostics{}
		engine.ParseScenario("v.yaml", []byte(strings.Replace(string(mustRead(t, "testdata/lib/voorbeeld.yaml")), bad.from, bad.to, 1)), lib.Corpus, diags)
		if len(diags.List) != 1 || !strings.Contains(diags.List[0].Message, bad.want) {
			t.Errorf("%s: %v", bad.to, diags.List)
		}
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestContextCitations: statements given as context must exist, count as cited, and leave
// the score as it is.
func TestContextCitations(t *testing.T) {
	lib := loadTestLib(t)
	base := string(mustRead(t, "testdata/lib/voorbeeld.yaml"))
	find := "            supports: [ivs-2026/zelf-gekozen-moment, ivs-2026/coalitieverband-via-eu]\n"
	with := strings.Replace(base, find, find+"            context: [regeerprogramma-2024/navo-twee-procent]\n", 1)
	diags := &engine.Diagnostics{}
	s, ok := engine.ParseScenario("v.yaml", []byte(with), lib.Corpus, diags)
	if !ok || len(diags.List) > 0 {
		t.Fatalf("%v", diags.List)
	}
	plain := lib.Scenario("voorbeeld")
	for i, r := range engine.RunTests(s) {
		want := engine.RunTests(plain)[i].World.WorldTotal()
		if got := r.World.WorldTotal(); got != want {
			t.Errorf("test %d: total %+v with context, %+v without", i, got, want)
		}
	}
	l := &engine.Library{Corpus: lib.Corpus, Scenarios: []*engine.Scenario{s}}
	if l.Cited()["regeerprogramma-2024/navo-twee-procent"] != 2 {
		t.Errorf("a context citation does not count as cited: %v", l.Cited())
	}
	diags = &engine.Diagnostics{}
	engine.ParseScenario("v.yaml", []byte(strings.Replace(with, "context: [regeerprogramma-2024/navo-twee-procent]", "context: [regeerprogramma-2024/navo-twee-procnt]", 1)), lib.Corpus, diags)
	if len(diags.List) != 1 || diags.List[0].Code != "unknown-statement" || !strings.Contains(diags.List[0].Message, `did you mean "regeerprogramma-2024/navo-twee-procent"`) {
		t.Errorf("unknown context statement: %v", diags.List)
	}
}

// TestClockAndRoleText: a clock label may be translated; an inject may give some roles their
// own text.
func TestClockAndRoleText(t *testing.T) {
	lib := loadTestLib(t)
	base := string(mustRead(t, "testdata/lib/voorbeeld.yaml"))
	src := strings.Replace(base, `    clock: "Dag 2 09:00"`, `    clock: {nl: "Dag 2 09:00", en: "Day 2 09:00"}
    role_text:
      - roles: [def]
        text: {nl: De marine meldt opzet., en: The navy reports intent.}`, 1)
	diags := &engine.Diagnostics{}
	s, ok := engine.ParseScenario("v.yaml", []byte(src), lib.Corpus, diags)
	if !ok || len(diags.List) > 0 {
		t.Fatalf("%v", diags.List)
	}
	in := s.Inject("onderzoek")
	if in.ClockIn("en") != "Day 2 09:00" || in.ClockIn("nl") != "Dag 2 09:00" || in.Clock != "Dag 2 09:00" {
		t.Errorf("clock %q %q %q", in.ClockIn("en"), in.ClockIn("nl"), in.Clock)
	}
	if s.Inject("melding").ClockIn("en") != "T+0:00" {
		t.Errorf("plain clock %q", s.Inject("melding").ClockIn("en"))
	}
	if in.TextFor("def").EN != "The navy reports intent." || in.TextFor("bz").EN != in.Text.EN || in.TextFor("").EN != in.Text.EN {
		t.Errorf("role text: %+v", in.TextFor("def"))
	}
	for _, bad := range []struct{ from, to, code string }{
		{"roles: [def]", "roles: [deff]", "unknown-role"},
		{`en: "Day 2 09:00"}`, `}`, "missing-translation"},
		{`clock: {nl: "Dag 2 09:00", en: "Day 2 09:00"}`, `clock: [9]`, "wrong-type"},
	} {
		diags := &engine.Diagnostics{}
		engine.ParseScenario("v.yaml", []byte(strings.Replace(src, bad.from, bad.to, 1)), lib.Corpus, diags)
		if len(diags.List) != 1 || diags.List[0].Code != bad.code {
			t.Errorf("%s: %v", bad.to, diags.List)
		}
	}
}
