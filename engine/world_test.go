package engine_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/paraat-nl/paraat/engine"
)

func num(f float64) *float64 { return &f }

func answer(p, role, q string, a engine.Answer) engine.Event {
	return engine.Event{Kind: engine.EventAnswer, Participant: p, Role: role, Question: q, Answer: &a}
}

// sharedWorld plays voorbeeld as one world shared by a room.
func sharedWorld(t *testing.T) *engine.World {
	t.Helper()
	return engine.NewWorld(loadTestLib(t).Scenario("voorbeeld"), engine.Config{})
}

func mustApply(t *testing.T, w *engine.World, evs ...engine.Event) {
	t.Helper()
	for _, ev := range evs {
		if err := w.Apply(ev); err != nil {
			t.Fatalf("Apply(%+v): %v", ev, err)
		}
	}
}

func TestMajorityDecision(t *testing.T) {
	tests := []struct {
		name    string
		answers []string
		want    string
	}{
		{"clear majority", []string{"afwachten", "partners-informeren", "afwachten"}, "afwachten"},
		{"tie goes to the earliest answer", []string{"afwachten", "direct-toeschrijven"}, "afwachten"},
		{"tie goes to the earliest answer, whatever the file order", []string{"direct-toeschrijven", "afwachten"}, "direct-toeschrijven"},
		{"single answer", []string{"partners-informeren"}, "partners-informeren"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := sharedWorld(t)
			for i, a := range tt.answers {
				mustApply(t, w, answer(string(rune('a'+i)), "bz", "eerste-stap", engine.Answer{Option: a}))
			}
			if w.Decision("eerste-stap") != nil {
				t.Fatal("a shared world decided before the question closed")
			}
			mustApply(t, w, engine.Event{Kind: engine.EventClose, Question: "eerste-stap"})
			d := w.Decision("eerste-stap")
			if d == nil || d.Answer.Option != tt.want || d.By != "majority" {
				t.Fatalf("decision = %+v, want %s by majority", d, tt.want)
			}
		})
	}
}

func TestRoleAndFacilitatorDecisions(t *testing.T) {
	w := sharedWorld(t)
	mustApply(t, w,
		answer("a", "bz", "eerste-stap", engine.Answer{Option: "partners-informeren"}),
		engine.Event{Kind: engine.EventAdvance},
	)
	if got := w.Current().ID.Value; got != "onderzoek" {
		t.Fatalf("current = %s, want onderzoek", got)
	}
	// maatregelen is decided by role:bz even when others outnumber it; only bz is asked.
	mustApply(t, w,
		answer("a", "bz", "maatregelen", engine.Answer{Options: []string{"cmx"}}),
		answer("b", "bz", "maatregelen", engine.Answer{Options: []string{"sancties"}}),
		engine.Event{Kind: engine.EventClose, Question: "maatregelen"},
	)
	if d := w.Decision("maatregelen"); d == nil || d.By != "role:bz" || !reflect.DeepEqual(d.Answer.Options, []string{"sancties"}) {
		t.Fatalf("decision = %+v, want the last bz answer", d)
	}
	// toelichting waits for the facilitator, even after closing.
	mustApply(t, w,
		answer("a", "bz", "toelichting", engine.Answer{Text: "Op eigen moment."}),
		engine.Event{Kind: engine.EventClose, Question: "toelichting"},
	)
	if w.Decision("toelichting") != nil {
		t.Fatal("facilitator question decided without the facilitator")
	}
	mustApply(t, w, engine.Event{Kind: engine.EventDecide, Question: "toelichting", Answer: &engine.Answer{Text: "Samen.", Items: []string{"zelf-kiezen"}}})
	if d := w.Decision("toelichting"); d == nil || d.By != "facilitator" {
		t.Fatalf("decision = %+v", d)
	}
}

func TestRefusals(t *testing.T) {
	tests := []struct {
		name string
		ev   engine.Event
		code engine.Code
	}{
		{"unknown question", answer("a", "bz", "bestaat-niet", engine.Answer{Option: "x"}), engine.CodeNotFound},
		{"unknown option", answer("a", "bz", "eerste-stap", engine.Answer{Option: "x"}), engine.CodeInvalid},
		{"question of a later inject", answer("a", "bz", "maatregelen", engine.Answer{Options: []string{"cmx"}}), engine.CodeClosed},
		{"duplicate answer", answer("p", "bz", "eerste-stap", engine.Answer{Option: "afwachten"}), engine.CodeDuplicate},
		{"no participant", answer("", "bz", "eerste-stap", engine.Answer{Option: "afwachten"}), engine.CodeInvalid},
		{"no answer", engine.Event{Kind: engine.EventAnswer, Participant: "b", Question: "eerste-stap"}, engine.CodeInvalid},
		{"unknown event", engine.Event{Kind: "explode"}, engine.CodeInvalid},
		{"rubric for a choice", engine.Event{Kind: engine.EventRubric, Participant: "p", Question: "eerste-stap", Answer: &engine.Answer{}}, engine.CodeInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := sharedWorld(t)
			mustApply(t, w, answer("p", "bz", "eerste-stap", engine.Answer{Option: "partners-informeren"}))
			before := len(w.Responses())
			err := w.Apply(tt.ev)
			if got := engine.CodeOf(err); got != tt.code {
				t.Fatalf("code = %q (%v), want %q", got, err, tt.code)
			}
			if len(w.Responses()) != before {
				t.Fatal("a refused event changed the world")
			}
		})
	}
}

func TestWrongRoleAndClosed(t *testing.T) {
	w := sharedWorld(t)
	mustApply(t, w, answer("a", "bz", "eerste-stap", engine.Answer{Option: "afwachten"}), engine.Event{Kind: engine.EventAdvance})
	if err := w.Apply(answer("d", "def", "maatregelen", engine.Answer{Options: []string{"cmx"}})); engine.CodeOf(err) != engine.CodeForbidden {
		t.Fatalf("def answering a bz question: %v", err)
	}
	mustApply(t, w, engine.Event{Kind: engine.EventClose, Question: "prioriteiten"})
	if err := w.Apply(answer("d", "def", "prioriteiten", engine.Answer{Options: []string{"patrouille", "oefenen", "niets"}})); engine.CodeOf(err) != engine.CodeClosed {
		t.Fatalf("late answer: %v", err)
	}
	if err := w.Apply(answer("d", "def", "prioriteiten", engine.Answer{Options: []string{"patrouille"}})); err == nil {
		t.Fatal("late incomplete ranking accepted")
	}
}

func TestValidateShapes(t *testing.T) {
	w := sharedWorld(t)
	mustApply(t, w, answer("a", "bz", "eerste-stap", engine.Answer{Option: "afwachten"}), engine.Event{Kind: engine.EventAdvance})
	s := w.Scenario()
	tests := []struct {
		q  string
		a  engine.Answer
		ok bool
	}{
		{"maatregelen", engine.Answer{Options: []string{"cmx", "sancties"}}, true},
		{"maatregelen", engine.Answer{Options: []string{}}, true},
		{"maatregelen", engine.Answer{Options: []string{"cmx", "cmx"}}, false},
		{"prioriteiten", engine.Answer{Options: []string{"niets", "oefenen", "patrouille"}}, true},
		{"prioriteiten", engine.Answer{Options: []string{"niets", "oefenen"}}, false},
		{"bbp-doel", engine.Answer{Number: num(2.8)}, true},
		{"bbp-doel", engine.Answer{}, false},
		{"toelichting", engine.Answer{Text: "  "}, false},
		{"toelichting", engine.Answer{Text: string(make([]byte, engine.MaxTextAnswer+1))}, false},
		{"toelichting", engine.Answer{Text: "ok", Items: []string{"onbekend"}}, false},
	}
	for _, tt := range tests {
		err := w.Validate(s.Question(tt.q), &tt.a)
		if (err == nil) != tt.ok {
			t.Errorf("Validate(%s, %+v) = %v, want ok=%v", tt.q, tt.a, err, tt.ok)
		}
	}
}

func TestRulesFireOnceAndClamp(t *testing.T) {
	w := engine.NewWorld(loadTestLib(t).Scenario("voorbeeld"), engine.Config{Solo: true})
	mustApply(t, w,
		answer("me", "", "eerste-stap", engine.Answer{Option: "direct-toeschrijven"}),
		engine.Event{Kind: engine.EventAdvance, At: time.Minute}, // tegenreactie: escalatie 4, navo-alarm fires
		engine.Event{Kind: engine.EventAdvance, At: 2 * time.Minute},
	)
	if got := w.Current().ID.Value; got != "navo-beraad" {
		t.Fatalf("current = %s, want the rule's inject navo-beraad", got)
	}
	mustApply(t, w, engine.Event{Kind: engine.EventAdvance, At: 3 * time.Minute},
		answer("me", "", "maatregelen", engine.Answer{Options: []string{"ambassadeur"}}))
	if got := w.Var("escalatie"); got != 5 {
		t.Fatalf("escalatie = %v, want 5 (clamped)", got)
	}
	n := 0
	for _, f := range w.Fired() {
		if f.Rule == "navo-alarm" {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("navo-alarm fired %d times", n)
	}
	if got := w.Var("cohesie"); got != 40 {
		t.Fatalf("cohesie = %v, want 40", got)
	}
}

// TestReplayIsDeterministic folds the same events into two worlds and compares everything.
func TestReplayIsDeterministic(t *testing.T) {
	s := loadTestLib(t).Scenario("voorbeeld")
	evs := []engine.Event{
		answer("a", "bz", "eerste-stap", engine.Answer{Option: "partners-informeren"}),
		answer("b", "def", "eerste-stap", engine.Answer{Option: "afwachten"}),
		answer("c", "bz", "eerste-stap", engine.Answer{Option: "partners-informeren"}),
		{Kind: engine.EventAdvance, At: time.Minute},
		answer("a", "bz", "maatregelen", engine.Answer{Options: []string{"sancties", "cmx"}}),
		answer("b", "def", "prioriteiten", engine.Answer{Options: []string{"oefenen", "patrouille", "niets"}}),
		answer("c", "bz", "bbp-doel", engine.Answer{Number: num(2)}),
		answer("c", "bz", "toelichting", engine.Answer{Text: "Eigen moment kiezen."}),
		{Kind: engine.EventRubric, Participant: "c", Question: "toelichting", Answer: &engine.Answer{Items: []string{"zelf-kiezen"}}},
		{Kind: engine.EventDecide, Question: "toelichting", Answer: &engine.Answer{Text: "x", Items: []string{"zelf-kiezen"}}},
		{Kind: engine.EventAdvance, At: 2 * time.Minute},
	}
	a, b := engine.NewWorld(s, engine.Config{}), engine.NewWorld(s, engine.Config{})
	mustApply(t, a, evs...)
	mustApply(t, b, evs...)
	if !a.Done() || a.Ending() == nil || a.Ending().ID.Value != "gecoordineerd" {
		t.Fatalf("ending = %v", a.Ending())
	}
	for _, p := range []string{"a", "b", "c"} {
		if a.ParticipantTotal(p) != b.ParticipantTotal(p) {
			t.Errorf("totals of %s differ", p)
		}
	}
	if !reflect.DeepEqual(a.Path(), b.Path()) || !reflect.DeepEqual(a.Decisions(), b.Decisions()) || !reflect.DeepEqual(a.Responses(), b.Responses()) {
		t.Error("replays differ")
	}
	// c answered 2 for 2030: wrong under the 2026 strategy, right under the 2024 programme.
	if got := a.Response("c", "bbp-doel").Score.Points; got != 0 {
		t.Errorf("bbp-doel under ivs-2026 = %v, want 0", got)
	}
	rp := engine.NewWorld(s, engine.Config{Lens: "regeerprogramma-2024"})
	mustApply(t, rp, evs...)
	if got := rp.Response("c", "bbp-doel").Score; got.Points != 5 || !got.Addressed {
		t.Errorf("bbp-doel under regeerprogramma-2024 = %+v, want 5 points", got)
	}
	if got := rp.Response("a", "maatregelen").Score; got.Addressed {
		t.Errorf("maatregelen under regeerprogramma-2024 = %+v, want not addressed", got)
	}
}

func TestPolicyPath(t *testing.T) {
	w, err := engine.PolicyPath(loadTestLib(t).Scenario("voorbeeld"), "ivs-2026")
	if err != nil {
		t.Fatal(err)
	}
	if w.Ending().ID.Value != "gecoordineerd" || w.WorldTotal().Percent != 100 {
		t.Fatalf("policy path: ending %s, %v%%", w.Ending().ID.Value, w.WorldTotal().Percent)
	}
}

func TestPlaythroughTests(t *testing.T) {
	for _, r := range engine.RunTests(loadTestLib(t).Scenario("voorbeeld")) {
		if !r.Passed() {
			t.Errorf("%s: %v", r.Name, r.Failures)
		}
	}
}
