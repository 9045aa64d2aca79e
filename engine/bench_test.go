package engine_test

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/paraat-nl/paraat/engine"
)

// BenchmarkAnswer measures one answer in a solo world: validation, scoring, effects, rules.
func BenchmarkAnswer(b *testing.B) {
	s := loadTestLib(b).Scenario("voorbeeld")
	a := engine.Answer{Option: "partners-informeren"}
	ev := engine.Event{Kind: engine.EventAnswer, Question: "eerste-stap", Answer: &a}
	names := make([]string, 1024)
	for i := range names {
		names[i] = fmt.Sprint("p", i)
	}
	w := engine.NewWorld(s, engine.Config{})
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if i%len(names) == 0 && i > 0 {
			b.StopTimer()
			w = engine.NewWorld(s, engine.Config{})
			b.StartTimer()
		}
		ev.Participant = names[i%len(names)]
		if err := w.Apply(ev); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecide measures a decision in a solo world: score, effects, rules and the
// branch to the next inject.
func BenchmarkDecide(b *testing.B) {
	s := loadTestLib(b).Scenario("voorbeeld")
	a := engine.Answer{Option: "partners-informeren"}
	answer := engine.Event{Kind: engine.EventAnswer, Participant: "me", Question: "eerste-stap", Answer: &a}
	advance := engine.Event{Kind: engine.EventAdvance}
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		w := engine.NewWorld(s, engine.Config{Solo: true})
		b.StartTimer()
		if err := w.Apply(answer); err != nil {
			b.Fatal(err)
		}
		if err := w.Apply(advance); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReplay10k folds 10,000 events (a room of 2,000 answering five questions) into a
// fresh world: what a restart costs per session.
func BenchmarkReplay10k(b *testing.B) {
	s := loadTestLib(b).Scenario("voorbeeld")
	var evs []engine.Event
	const n = 2000
	add := func(q string, role string, a engine.Answer) {
		for i := 0; i < n; i++ {
			a := a
			evs = append(evs, engine.Event{Kind: engine.EventAnswer, At: time.Duration(len(evs)) * time.Millisecond,
				Participant: fmt.Sprint("p", i), Role: role, Question: q, Answer: &a})
		}
	}
	add("eerste-stap", "bz", engine.Answer{Option: "partners-informeren"})
	evs = append(evs, engine.Event{Kind: engine.EventAdvance, At: time.Hour})
	add("maatregelen", "bz", engine.Answer{Options: []string{"sancties"}})
	add("bbp-doel", "bz", engine.Answer{Number: num(2.8)})
	add("toelichting", "bz", engine.Answer{Text: "Op ons eigen moment."})
	add("prioriteiten", "def", engine.Answer{Options: []string{"patrouille", "oefenen", "niets"}})
	if len(evs) < 10000 {
		b.Fatalf("only %d events", len(evs))
	}
	evs = evs[:10000]
	b.ReportAllocs()
	for b.Loop() {
		w := engine.NewWorld(s, engine.Config{})
		for _, ev := range evs {
			if err := w.Apply(ev); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkLoadLibrary loads the built-in library from the repository.
func BenchmarkLoadLibrary(b *testing.B) {
	fsys := os.DirFS("../scenarios")
	b.ReportAllocs()
	for b.Loop() {
		if _, diags := engine.Load(fsys); diags.Errors() > 0 {
			b.Fatal(diags.Err())
		}
	}
}
