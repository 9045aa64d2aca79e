package analyze_test

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/paraat-nl/paraat/engine"
	"github.com/paraat-nl/paraat/engine/analyze"
)

func load(t *testing.T) *engine.Library {
	t.Helper()
	lib, diags := engine.Load(os.DirFS("testdata/lib"))
	if diags.Errors() > 0 {
		t.Fatalf("testdata/lib does not load: %v", diags.List)
	}
	return lib
}

func report(t *testing.T, id string, opt analyze.Options) *analyze.Report {
	t.Helper()
	lib := load(t)
	s := lib.Scenario(id)
	if s == nil {
		t.Fatalf("no scenario %s", id)
	}
	if opt.RandomRuns == 0 {
		opt.RandomRuns = 200
	}
	return analyze.Analyze(s, lib.Corpus, opt)
}

func gate(t *testing.T, r *analyze.Report, id string) analyze.Gate {
	t.Helper()
	for _, g := range r.Gates {
		if g.ID == id {
			return g
		}
	}
	t.Fatalf("%s: no gate %s", r.ID, id)
	return analyze.Gate{}
}

func val(t *testing.T, what string, f *float64) float64 {
	t.Helper()
	if f == nil {
		t.Fatalf("%s: not measured", what)
	}
	return *f
}

func strategy(t *testing.T, r *analyze.Report, name string) analyze.Strategy {
	t.Helper()
	for _, s := range r.Strategies {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no strategy %s", name)
	return analyze.Strategy{}
}

func refIDs(rs []analyze.Ref) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.ID)
	}
	return out
}

// TestFormCues: in the quiz the key is always the longest option and listed first, and the
// absolute words are all in distractors; in the sound scenario the key is never the longest.
func TestFormCues(t *testing.T) {
	q := report(t, "quiz", analyze.Options{})
	c := q.Cues
	if c.ChoiceQuestions != 8 || val(t, "longest", c.KeyLongestShare) != 100 || val(t, "shortest", c.KeyShortestShare) != 0 {
		t.Errorf("quiz cues: %+v", c)
	}
	if val(t, "first in file", c.KeyFirstInFileShare) != 100 || !slices.Equal(c.KeyFilePositions, []int{8}) {
		t.Errorf("key positions in the file: %v", c.KeyFilePositions)
	}
	if sum(c.KeyShownPositions) != 8 || len(c.KeyShownPositions) < 2 {
		t.Errorf("shown positions should spread over the shuffled order: %v", c.KeyShownPositions)
	}
	if val(t, "chance", c.KeyLongestChance) < 33 || *c.KeyLongestChance > 34 {
		t.Errorf("chance of the longest with three options: %v", *c.KeyLongestChance)
	}
	if c.KeysWithAbsolute != 0 || c.DistractorsWithAbsolute != 16 || c.Keys != 8 || c.Distractors != 16 {
		t.Errorf("absolute words: keys %d/%d, distractors %d/%d", c.KeysWithAbsolute, c.Keys, c.DistractorsWithAbsolute, c.Distractors)
	}
	if qc := q.Questions[0]; qc.KeyCharsRank != 1 || qc.KeyWordsRank != 1 || !qc.KeyLongest || qc.KeyFilePosition != 1 ||
		!slices.Equal(qc.AbsoluteInDistractors, []string{"nooit", "never", "alle", "all"}) || qc.KeyCitations != 1 || qc.DistractorCitations != 1 {
		t.Errorf("question cue: %+v", qc)
	}

	s := report(t, "sound", analyze.Options{})
	if val(t, "sound longest", s.Cues.KeyLongestShare) != 0 || val(t, "sound shortest", s.Cues.KeyShortestShare) != 0 {
		t.Errorf("sound: the key is neither longest nor shortest: %+v", s.Cues)
	}
	if s.Cues.PartialCreditDistractors != 0 {
		t.Errorf("sound: every distractor conflicts, none earns credit: %d", s.Cues.PartialCreditDistractors)
	}
}

func sum(xs []int) int {
	n := 0
	for _, x := range xs {
		n += x
	}
	return n
}

// TestMultiCues: selecting every option of the gamed multi question loses nothing, since no
// option conflicts with policy; selecting none scores nothing.
func TestMultiCues(t *testing.T) {
	r := report(t, "gamed", analyze.Options{})
	if r.Cues.MultiQuestions != 1 || val(t, "select all", r.Cues.MeanSelectAllPercent) != 100 || val(t, "select none", r.Cues.MeanSelectNonePercent) != 0 {
		t.Errorf("multi cues: %+v", r.Cues)
	}
	if !strategy(t, r, "select-all").Applies || strategy(t, report(t, "sound", analyze.Options{}), "select-all").Applies {
		t.Error("select-all applies to files with multi questions only")
	}
}

// TestStrategies: always-longest scores the full policy score in the quiz; in the sound
// scenario no form strategy comes near the policy path or reaches its best ending.
func TestStrategies(t *testing.T) {
	q := report(t, "quiz", analyze.Options{})
	if l := strategy(t, q, "longest"); val(t, "longest", l.OfPolicy) != 100 || l.Runs != analyze.StrategySeeds {
		t.Errorf("quiz longest: %+v", l)
	}
	if sh := strategy(t, q, "shortest"); val(t, "shortest", sh.OfPolicy) != 0 {
		t.Errorf("quiz shortest: %+v", sh)
	}
	s := report(t, "sound", analyze.Options{})
	if s.Policy.Percent != 100 || s.Policy.Ending == nil || s.Policy.Ending.ID != "goed" {
		t.Fatalf("sound policy path: %+v", s.Policy)
	}
	for _, st := range s.Strategies {
		if st.Applies && (val(t, st.Name, st.OfPolicy) > analyze.NaiveLimit || st.BestEnding) {
			t.Errorf("sound: %s scores %v%% and best ending %v", st.Name, *st.OfPolicy, st.BestEnding)
		}
	}
	if m := val(t, "random", s.Random.MeanOfPolicy); m < 15 || m > 35 {
		t.Errorf("sound: random play with one right option of four, the rest conflicting, should average about 25%%: %v", m)
	}
	if s.Random.Runs != 200 || val(t, "sd", s.Random.SDOfPolicy) <= 0 || len(s.Random.Endings) < 2 {
		t.Errorf("sound random: %+v", s.Random)
	}
}

// TestSensitivity: every decision of the sound scenario changes the ending when taken worst;
// in the gamed scenario none does, and its first question changes nothing at all.
func TestSensitivity(t *testing.T) {
	s := report(t, "sound", analyze.Options{}).Sensitivity
	if s.Decisions != 4 || s.WorstChangeEnding != 4 || s.Swaps != 12 || val(t, "worst share", s.WorstChangeShare) != 100 {
		t.Errorf("sound sensitivity: %+v", s)
	}
	sw := s.Items[0].Swaps[0]
	if !sw.EndingChanged || len(sw.Moves) != 1 || sw.Moves[0].Var != "koers" || sw.Moves[0].Delta != -2 {
		t.Errorf("swap of the first decision: %+v", sw)
	}
	g := report(t, "gamed", analyze.Options{}).Sensitivity
	if g.WorstChangeEnding != 0 || !slices.Equal(refIDs(g.ChangeNothing), []string{"eerste"}) || !slices.Equal(refIDs(g.SameEffectsBestBad), []string{"eerste"}) {
		t.Errorf("gamed sensitivity: %+v", g)
	}
}

// TestLenses: lens u addresses only the first question of the sound scenario.
func TestLenses(t *testing.T) {
	r := report(t, "sound", analyze.Options{})
	var u analyze.LensReport
	for _, l := range r.Lenses {
		if l.Lens == "u" {
			u = l
		}
	}
	if u.Addressed != 1 || len(u.Silent) != 3 || u.Default || len(u.Steps) != 4 || u.DefaultLensSteps != 3 {
		t.Errorf("lens u: %+v", u)
	}
	if u.Steps[0].How != engine.DecidedByLens || u.Steps[1].How != engine.DecidedByDefaultLens || u.Steps[1].Label.EN == "" {
		t.Errorf("lens u steps: %+v", u.Steps)
	}
	if u.Path.Ending == nil || u.Path.Ending.ID != "goed" {
		t.Errorf("lens u falls back to the default lens and reaches the same ending: %+v", u.Path)
	}
	// Analysed under u, the silent questions are left out of the score.
	ru := report(t, "sound", analyze.Options{Lens: "u"})
	if ru.Lens != "u" || ru.Cues.LensUnaddressedQuestions != 3 {
		t.Errorf("under u: lens %s, unaddressed %d", ru.Lens, ru.Cues.LensUnaddressedQuestions)
	}
}

// TestFlow: the gamed scenario's clock runs back, an inject is shown twice, a clock cannot be
// read, and a rule shows an inject that leads to the close.
func TestFlow(t *testing.T) {
	r := report(t, "gamed", analyze.Options{})
	f := r.Flow
	if len(f.Backwards) != 1 || f.Backwards[0].From.ID != "begin" || f.Backwards[0].To.ID != "later" {
		t.Errorf("backwards: %+v", f.Backwards)
	}
	if !slices.Equal(refIDs(f.Repeats), []string{"begin"}) {
		t.Errorf("repeats: %+v", f.Repeats)
	}
	if len(f.RuleInjects) != 1 || !f.RuleInjects[0].Fires || !slices.Equal(refIDs(f.RuleInjects[0].Then), []string{"slot"}) {
		t.Errorf("rule injects: %+v", f.RuleInjects)
	}
	if f.BoundHit || f.Complete == 0 || !slices.Equal(refIDs(f.Reachable), []string{"anders"}) {
		t.Errorf("flow: %+v", f)
	}
	if len(r.Problems) != 1 || r.Problems[0].Gate != analyze.GateClocks || r.Problems[0].Line == 0 {
		t.Errorf("unreadable clock: %+v", r.Problems)
	}
	b := report(t, "sound", analyze.Options{Bound: 2})
	if !b.Flow.BoundHit || b.Flow.Runs != 2 {
		t.Errorf("bound: %+v", b.Flow)
	}
	if len(report(t, "sound", analyze.Options{}).Flow.Reachable) != 3 {
		t.Error("sound: three endings are reachable")
	}
}

func TestClocks(t *testing.T) {
	tests := []struct {
		clock  string
		lo, hi int
		ok     bool
	}{
		{"T+0:00", 0, 0, true},
		{"T+2:30", 150, 150, true},
		{"t + 45m", 45, 45, true},
		{"T+3u", 180, 180, true},
		{"Dag 2 09:00", 1440 + 540, 1440 + 540, true},
		{"Day 3", 2880, 4319, true},
		{"Week 2", 7 * 1440, 14*1440 - 1, true},
		{"Maand 1", 0, 30*1440 - 1, true},
		{"Morgenochtend", 0, 0, false},
		{"T+1:75", 0, 0, false},
		{"Dag 0 10:00", 0, 0, false},
		{"", 0, 0, false},
	}
	for _, tt := range tests {
		lo, hi, ok := analyze.ParseClock(tt.clock)
		if ok != tt.ok || ok && (lo != tt.lo || hi != tt.hi) {
			t.Errorf("%q: got %d-%d %v, want %d-%d %v", tt.clock, lo, hi, ok, tt.lo, tt.hi, tt.ok)
		}
	}
	order := []struct {
		a, b string
		back bool
	}{
		{"T+2:00", "T+1:00", true},
		{"T+1:00", "T+2:00", false},
		{"T+14:00", "Dag 2 07:30", false}, // the start may be late on day 1
		{"Dag 2 07:30", "T+1:00", true},
		{"Week 5", "Week 4", true},
		{"Dag 7 12:00", "Week 1", false},
	}
	for _, o := range order {
		if got := analyze.Backwards(o.a, o.b); got != o.back {
			t.Errorf("%s then %s: backwards %v, want %v", o.a, o.b, got, o.back)
		}
	}
}

func TestAbsoluteWords(t *testing.T) {
	got := analyze.Absolutes("Nooit, in geen geval; always-on. Alleen alles!")
	if !slices.Equal(got, []string{"nooit", "alles", "in geen geval", "always"}) {
		t.Errorf("got %v", got)
	}
}

// TestGates: the sound scenario passes every gate; the gamed files fail the gates they were
// built to trip; relaxations apply and an unknown gate is a problem.
func TestGates(t *testing.T) {
	s := report(t, "sound", analyze.Options{})
	for _, g := range s.Gates {
		if g.Failed() || !g.Passed {
			t.Errorf("sound fails %s: %v", g.ID, g.Findings)
		}
	}
	if g := gate(t, s, analyze.GateKeyLongest); g.Applies {
		t.Error("key-longest applies from eight choice questions on")
	}
	if s.Brief == nil || len(s.Brief.Goals) != 1 || s.Brief.Disagreements[0].EN == "" {
		t.Errorf("brief: %+v", s.Brief)
	}
	g := report(t, "gamed", analyze.Options{})
	want := []string{analyze.GateNaive, analyze.GateEndings, analyze.GateBestEnding, analyze.GateDecisions, analyze.GateClocks}
	for _, id := range want {
		if !slices.Contains(g.Summary.GatesFailed, id) {
			t.Errorf("gamed fails %v, want at least %v", g.Summary.GatesFailed, want)
		}
	}
	q := report(t, "quiz", analyze.Options{})
	if !slices.Equal(q.Summary.GatesFailed, []string{analyze.GateNaive, analyze.GateKeyLongest}) {
		t.Errorf("quiz fails %v", q.Summary.GatesFailed)
	}
	rp := gate(t, q, analyze.GateRandom)
	if !rp.Relaxed || rp.Reason == nil || rp.Reason.NL == "" || !slices.Equal(q.Summary.GatesRelaxed, []string{analyze.GateRandom}) {
		t.Errorf("relaxed gate: %+v", rp)
	}
	if len(q.Problems) != 1 || q.Problems[0].Gate != "no-such-gate" || q.Problems[0].Line == 0 {
		t.Errorf("unknown gate: %+v", q.Problems)
	}
	for _, g := range q.Gates {
		if g.Label.NL == "" || g.Label.EN == "" {
			t.Errorf("gate %s has no label in both languages", g.ID)
		}
		for _, f := range g.Findings {
			if f.NL == "" || f.EN == "" || f.NL == f.EN {
				t.Errorf("gate %s finding not in both languages: %+v", g.ID, f)
			}
		}
	}
}

// TestDeterministic: the same file, options and seed give the same report.
func TestDeterministic(t *testing.T) {
	a, _ := json.Marshal(report(t, "gamed", analyze.Options{}))
	b, _ := json.Marshal(report(t, "gamed", analyze.Options{}))
	if string(a) != string(b) {
		t.Error("two analyses of the same file differ")
	}
	c, _ := json.Marshal(report(t, "gamed", analyze.Options{Seed: 2}))
	if string(a) == string(c) {
		t.Error("another seed should give other random runs")
	}
}

// TestMarkdown: the library overview lists each file with its brief, its numbers and the
// gates it fails, with their findings.
func TestMarkdown(t *testing.T) {
	md := analyze.FormatMarkdown([]*analyze.Report{report(t, "sound", analyze.Options{}), report(t, "gamed", analyze.Options{})})
	for _, want := range []string{
		"| [sound](#sound) | 25% |",
		"- Practise four decisions.  \n  _Oefenen met vier beslissingen._",
		"## Guessable — Te raden",
		"**Brief:** none yet",
		"- **clocks** (fails) The clock never runs backwards on any path\n  - the clock runs back from T+2:00 (‘Start’) to T+1:00 (‘Later’)",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
}
