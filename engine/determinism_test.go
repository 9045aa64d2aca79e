package engine

import (
	"math"
	"testing"
	"time"

	"github.com/paraat-nl/paraat/scenarios"
)

// playLog plays a solo world as Play does and returns the events it applied: the log a
// self-study run of that playthrough would leave.
func playLog(t *testing.T, s *Scenario, lens string, answer func(w *World, q *Question) (Answer, bool)) []Event {
	t.Helper()
	w := NewWorld(s, Config{Lens: lens, Solo: true})
	var log []Event
	apply := func(ev Event) {
		if err := w.Apply(ev); err != nil {
			t.Fatalf("%s: %v", s.ID.Value, err)
		}
		log = append(log, ev)
	}
	at := time.Duration(0)
	for steps := 0; !w.Done() && steps <= maxSteps; steps++ {
		for _, q := range w.Open("") {
			if a, ok := answer(w, q); ok {
				at += 10 * time.Second
				apply(Event{Kind: EventAnswer, At: at, Participant: "player", Question: q.ID.Value, Answer: &a})
			}
		}
		at += time.Minute
		apply(Event{Kind: EventAdvance, At: at})
	}
	return log
}

// TestReplayTotalsExact replays the log of every playthrough of every built-in scenario, under
// every lens, many times, and wants the same totals and the same score variable to the last
// bit every time, equal to the sum taken in decision order. Summing over a Go map gave the
// score variable in a random order, so the same log could end with different floats.
func TestReplayTotalsExact(t *testing.T) {
	lib, diags := Load(scenarios.FS())
	if diags.Errors() > 0 {
		t.Fatal(diags.Err())
	}
	runs := 0
	for _, s := range lib.Scenarios {
		for _, lens := range lib.Corpus.Lenses() {
			logs := map[string][]Event{"policy path": playLog(t, s, lens, func(w *World, q *Question) (Answer, bool) {
				return BestAnswer(q, w.Lens(), w.Offered), true
			})}
			for _, tc := range s.Tests {
				if tc.policy || tc.Lens.Value != "" && tc.Lens.Value != lens {
					continue
				}
				logs[tc.Name] = playLog(t, s, lens, func(w *World, q *Question) (Answer, bool) {
					a, ok := tc.answers[q.ID.Value]
					return a, ok
				})
			}
			for name, log := range logs {
				runs++
				var want *World
				for range 20 {
					w := NewWorld(s, Config{Lens: lens, Solo: true})
					for _, ev := range log {
						if err := w.Apply(ev); err != nil {
							t.Fatalf("%s/%s/%s: replay: %v", s.ID.Value, lens, name, err)
						}
					}
					got, max := 0.0, 0.0
					for _, d := range w.Decisions() {
						if d.Score.Addressed {
							got += d.Score.Points
							max += d.Score.Max
						}
					}
					ordered := 0.0
					if max > 0 {
						ordered = 100 * got / max
					}
					score, _ := w.Var("score").(float64)
					if math.Float64bits(score) != math.Float64bits(ordered) {
						t.Fatalf("%s/%s/%s: score = %v, want %v (the sum in decision order)", s.ID.Value, lens, name, score, ordered)
					}
					if want == nil {
						want = w
						continue
					}
					if w.WorldTotal() != want.WorldTotal() || w.ParticipantTotal("player") != want.ParticipantTotal("player") ||
						stateString(w) != stateString(want) {
						t.Fatalf("%s/%s/%s: replays differ: %+v / %+v, %s / %s", s.ID.Value, lens, name,
							w.WorldTotal(), want.WorldTotal(), stateString(w), stateString(want))
					}
				}
			}
		}
	}
	if runs == 0 {
		t.Fatal("no playthrough replayed")
	}
}
