package engine

// What a debrief needs beyond the session's own log: the answer policy recommends for a
// question with the passages behind it (the reveal), where the documents disagree, and what
// would have happened had a world decided otherwise (the what-if). All of it is computed
// from the scenario alone, deterministically: the same inputs give the same outcome.

import (
	"math"
	"slices"
)

// Reveal is the answer policy recommends for a question under a lens, with the statements
// of that lens that support it.
type Reveal struct {
	PolicyStep
	Statements []string `json:"statements"`
}

// RevealOf returns the policy answer to q under lens (fallback: the scenario's default lens)
// and the statements of lens that support it. Every option counts as offered.
func RevealOf(q *Question, lens, fallback string) Reveal {
	r := Reveal{PolicyStep: PolicyAnswer(q, lens, fallback, nil), Statements: []string{}}
	add := func(c Citations) {
		for _, ref := range c.Supports {
			if inLens(ref.Value, lens) && !slices.Contains(r.Statements, ref.Value) {
				r.Statements = append(r.Statements, ref.Value)
			}
		}
	}
	a := r.Answer
	switch {
	case a.Option != "":
		if o := q.opts[a.Option]; o != nil {
			add(o.Citations)
		}
	case len(a.Options) > 0:
		for _, id := range a.Options {
			if o := q.opts[id]; o != nil {
				add(o.Citations)
			}
		}
	case a.Number != nil:
		for _, ac := range q.Accept {
			if math.Abs(ac.Value-*a.Number) <= ac.Tolerance {
				add(ac.Citations)
			}
		}
	}
	return r
}

// LensAnswer is what one lens recommends for a question.
type LensAnswer struct {
	Lens string `json:"lens"`
	Reveal
}

// Disagreement is a question on which the lenses that address it recommend different
// answers.
type Disagreement struct {
	Question string       `json:"question"`
	Lenses   []LensAnswer `json:"lenses"`
}

// Disagreements returns, for each question (in the order given), the lenses' recommendations
// where at least two lenses that address the question recommend different answers. A lens
// that is silent on a question takes no part: silence is no recommendation.
func Disagreements(s *Scenario, lenses []string, questions []string) []Disagreement {
	out := []Disagreement{}
	for _, id := range questions {
		q := s.Question(id)
		if q == nil || q.Type == Free {
			continue
		}
		var d Disagreement
		d.Question = id
		for _, l := range lenses {
			r := RevealOf(q, l, "")
			if r.DecidedBy != DecidedByLens {
				continue
			}
			d.Lenses = append(d.Lenses, LensAnswer{Lens: l, Reveal: r})
		}
		for i := 1; i < len(d.Lenses); i++ {
			if !sameAnswer(d.Lenses[0].Answer, d.Lenses[i].Answer) {
				out = append(out, d)
				break
			}
		}
	}
	return out
}

func sameAnswer(a, b Answer) bool {
	if a.Option != b.Option || a.Text != b.Text {
		return false
	}
	if (a.Number == nil) != (b.Number == nil) || (a.Number != nil && *a.Number != *b.Number) {
		return false
	}
	return slices.Equal(a.Options, b.Options)
}

// WhatIf is one alternative to a decision a world took and the ending it leads to.
type WhatIf struct {
	Question    string   `json:"question"`
	Taken       Answer   `json:"taken"`
	Alternative Answer   `json:"alternative"`
	Path        []string `json:"path"`
	Ending      string   `json:"ending,omitempty"`
	Total       Total    `json:"total"`
	Error       string   `json:"error,omitempty"`
}

// WhatIfs replays the scenario once for every other option of every choice question a
// world decided, in the order of decisions. Up to that question and after it the replay
// answers as the world decided; a question the world never decided (a branch only the
// alternative reaches) is answered as policy recommends under the lens. Multi, rank, number
// and text questions have too many alternatives to list and are left out.
func WhatIfs(s *Scenario, cfg Config, decisions []Decision) []WhatIf {
	taken := map[string]Answer{}
	for _, d := range decisions {
		taken[d.Question] = d.Answer
	}
	out := []WhatIf{}
	for _, d := range decisions {
		q := s.Question(d.Question)
		if q == nil || q.Type != Choice {
			continue
		}
		for _, o := range q.Options {
			if o.ID.Value == d.Answer.Option {
				continue
			}
			alt := Answer{Option: o.ID.Value}
			w, err := replay(s, cfg, taken, q.ID.Value, alt)
			if w == nil {
				continue
			}
			if err != nil && !w.Done() {
				// The alternative was not on offer at that point (a `when` of the option).
				continue
			}
			wi := WhatIf{Question: q.ID.Value, Taken: d.Answer, Alternative: alt, Path: []string{}, Total: w.WorldTotal()}
			for _, st := range w.Path() {
				wi.Path = append(wi.Path, st.Inject)
			}
			if e := w.Ending(); e != nil {
				wi.Ending = e.ID.Value
			}
			if err != nil {
				wi.Error = err.Error()
			}
			out = append(out, wi)
		}
	}
	return out
}

// replay plays a solo world answering question with alt, every other question as taken
// says, and what taken does not know as policy recommends.
func replay(s *Scenario, cfg Config, taken map[string]Answer, question string, alt Answer) (*World, error) {
	var bad error
	w, err := PlayWith(s, cfg, func(w *World, q *Question) (Answer, bool) {
		if q.ID.Value == question {
			if e := w.Validate(q, &alt); e != nil {
				bad = e
			}
			return alt, true
		}
		if a, ok := taken[q.ID.Value]; ok {
			if w.Validate(q, &a) == nil {
				return a, true
			}
		}
		return PolicyAnswer(q, w.Lens(), s.Lens.Value, w.Offered).Answer, true
	})
	if bad != nil {
		return w, bad
	}
	return w, err
}
