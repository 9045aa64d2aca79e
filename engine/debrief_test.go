package engine_test

import (
	"reflect"
	"testing"

	"github.com/paraat-nl/paraat/engine"
)

// TestWhatIfs replays voorbeeld with the other answers to its first decision: waiting leads
// to the muddled ending that the scenario's own playthrough test names, and the replay is
// the same every time.
func TestWhatIfs(t *testing.T) {
	s := loadTestLib(t).Scenario("voorbeeld")
	w, err := engine.PolicyPath(s, s.Lens.Value)
	if err != nil {
		t.Fatal(err)
	}
	var decisions []engine.Decision
	for _, d := range w.Decisions() {
		decisions = append(decisions, *d)
	}
	got := engine.WhatIfs(s, engine.Config{Lens: s.Lens.Value, Seed: "s1"}, decisions)
	again := engine.WhatIfs(s, engine.Config{Lens: s.Lens.Value, Seed: "s1"}, decisions)
	if !reflect.DeepEqual(got, again) {
		t.Fatal("two replays of the same decisions differ")
	}
	first := decisions[0]
	if first.Question != "eerste-stap" || first.Answer.Option != "partners-informeren" {
		t.Fatalf("policy path starts with %+v", first)
	}
	byAlt := map[string]engine.WhatIf{}
	for _, wi := range got {
		if wi.Question == "eerste-stap" {
			byAlt[wi.Alternative.Option] = wi
		}
		if wi.Alternative.Option == wi.Taken.Option {
			t.Errorf("%s: the alternative is the answer taken", wi.Question)
		}
	}
	if len(byAlt) != 2 {
		t.Fatalf("alternatives to eerste-stap: %+v", byAlt)
	}
	if e := byAlt["afwachten"].Ending; e != "rommelig" {
		t.Errorf("waiting instead: ending %q, want rommelig", e)
	}
	if p := byAlt["direct-toeschrijven"].Path; len(p) < 2 || p[1] != "tegenreactie" {
		t.Errorf("attributing at once instead: path %v, want it through tegenreactie", p)
	}
	if w.Ending() == nil || byAlt["afwachten"].Ending == w.Ending().ID.Value {
		t.Errorf("the alternative reaches the policy path's own ending")
	}
}

// TestRevealAndDisagreements: the reveal of a question names the policy answer and the
// statements of the lens behind it; lenses that are silent take no part in a disagreement.
func TestRevealAndDisagreements(t *testing.T) {
	lib := loadTestLib(t)
	s := lib.Scenario("voorbeeld")
	r := engine.RevealOf(s.Question("eerste-stap"), "ivs-2026", s.Lens.Value)
	if r.Answer.Option != "partners-informeren" || r.DecidedBy != engine.DecidedByLens {
		t.Fatalf("reveal %+v", r)
	}
	if len(r.Statements) == 0 {
		t.Fatal("the reveal quotes nothing")
	}
	for _, id := range r.Statements {
		if lib.Corpus.Statement(id) == nil {
			t.Errorf("unknown statement %s", id)
		}
	}
	var ids []string
	for _, q := range s.Questions() {
		ids = append(ids, q.ID.Value)
	}
	for _, d := range engine.Disagreements(s, lib.Corpus.Lenses(), ids) {
		if len(d.Lenses) < 2 {
			t.Errorf("%s: a disagreement of one lens", d.Question)
		}
		for _, l := range d.Lenses {
			if l.DecidedBy != engine.DecidedByLens {
				t.Errorf("%s: silent lens %s counted", d.Question, l.Lens)
			}
		}
	}
}
