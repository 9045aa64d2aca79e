package engine_test

import (
	"testing"

	"github.com/paraat-nl/paraat/engine"
)

func TestScoreAnswer(t *testing.T) {
	s := loadTestLib(t).Scenario("voorbeeld")
	tests := []struct {
		name      string
		q         string
		a         engine.Answer
		lens      string
		points    float64
		addressed bool
	}{
		{"best choice", "eerste-stap", engine.Answer{Option: "partners-informeren"}, "ivs-2026", 10, true},
		{"worst choice", "eerste-stap", engine.Answer{Option: "direct-toeschrijven"}, "ivs-2026", 0, true},
		{"middle choice", "eerste-stap", engine.Answer{Option: "afwachten"}, "ivs-2026", 3.33, true},
		{"choice not addressed", "eerste-stap", engine.Answer{Option: "afwachten"}, "regeerprogramma-2024", 0, false},
		{"multi: all good", "maatregelen", engine.Answer{Options: []string{"sancties", "cmx"}}, "ivs-2026", 10, true},
		{"multi: partial", "maatregelen", engine.Answer{Options: []string{"cmx", "ambassadeur"}}, "ivs-2026", 5, true},
		{"multi: none", "maatregelen", engine.Answer{Options: []string{}}, "ivs-2026", 0, true},
		{"rank: policy order", "prioriteiten", engine.Answer{Options: []string{"patrouille", "oefenen", "niets"}}, "ivs-2026", 10, true},
		{"rank: reversed", "prioriteiten", engine.Answer{Options: []string{"niets", "oefenen", "patrouille"}}, "ivs-2026", 0, true},
		{"rank: one swap", "prioriteiten", engine.Answer{Options: []string{"oefenen", "patrouille", "niets"}}, "ivs-2026", 6.67, true},
		{"number: within tolerance", "bbp-doel", engine.Answer{Number: num(2.84)}, "ivs-2026", 5, true},
		{"number: other lens's value", "bbp-doel", engine.Answer{Number: num(2)}, "ivs-2026", 0, true},
		{"number: under the other lens", "bbp-doel", engine.Answer{Number: num(2)}, "regeerprogramma-2024", 5, true},
		{"text: all items", "toelichting", engine.Answer{Text: "x", Items: []string{"zelf-kiezen", "communicatie"}}, "ivs-2026", 10, true},
		{"text: one item", "toelichting", engine.Answer{Text: "x", Items: []string{"communicatie"}}, "ivs-2026", 3.33, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := engine.ScoreAnswer(s.Question(tt.q), tt.a, tt.lens, nil)
			if got.Points != tt.points || got.Addressed != tt.addressed {
				t.Errorf("score = %v (addressed %v), want %v (addressed %v)", got.Points, got.Addressed, tt.points, tt.addressed)
			}
			if tt.addressed && len(got.Citations) == 0 {
				t.Error("an addressed score has no citations")
			}
		})
	}
}

func TestTextScorePendingUntilRubric(t *testing.T) {
	s := loadTestLib(t).Scenario("voorbeeld")
	got := engine.ScoreAnswer(s.Question("toelichting"), engine.Answer{Text: "x"}, "ivs-2026", nil)
	if !got.Pending || got.Points != 0 {
		t.Errorf("score = %+v, want pending", got)
	}
}

func TestBestAnswer(t *testing.T) {
	s := loadTestLib(t).Scenario("voorbeeld")
	for _, q := range s.Questions() {
		best := engine.BestAnswer(q, "ivs-2026", nil)
		if got := engine.ScoreAnswer(q, best, "ivs-2026", nil); got.Points != q.Points {
			t.Errorf("%s: best answer %+v scores %v of %v", q.ID.Value, best, got.Points, q.Points)
		}
	}
}
