package server

import "github.com/paraat-nl/paraat/engine"

// AddDebrief completes a report with what the engine computes from the scenario: the policy
// answer behind every reveal, the documents' disagreements on the questions the session
// decided, and a what-if for every choice a world decided. It quotes every statement it
// names in r.Statements.
func AddDebrief(lib *engine.Library, r *Report) {
	r.Reveals = map[string]engine.Reveal{}
	r.Disagreements = []engine.Disagreement{}
	for i := range r.Worlds {
		r.Worlds[i].WhatIfs = []engine.WhatIf{}
	}
	s := lib.Scenario(r.Session.Scenario)
	if s == nil {
		return
	}
	if r.Statements == nil {
		r.Statements = map[string]StatementView{}
	}
	quote := func(ids []string) {
		for _, id := range ids {
			if _, ok := r.Statements[id]; ok {
				continue
			}
			if st := lib.Corpus.Statement(id); st != nil {
				r.Statements[id] = StatementView{ID: st.ID, Quote: st.Quote, Section: st.Section,
					Summary: T(st.Summary), Document: DocView{Lens: st.Lens(), Title: T(st.Doc.Title), Year: st.Doc.Year}}
			}
		}
	}
	for _, q := range s.Questions() {
		rv := engine.RevealOf(q, r.Lens, s.Lens.Value)
		r.Reveals[q.ID.Value] = rv
		quote(rv.Statements)
	}
	var decided []string
	seen := map[string]bool{}
	for i := range r.Worlds {
		w := &r.Worlds[i]
		var ds []engine.Decision
		for _, d := range w.Decisions {
			ds = append(ds, engine.Decision{Question: d.Question, Answer: d.Answer})
			if !seen[d.Question] {
				seen[d.Question] = true
				decided = append(decided, d.Question)
			}
		}
		w.WhatIfs = engine.WhatIfs(s, engine.Config{Lens: r.Lens, Seed: r.Session.ID}, ds)
	}
	r.Disagreements = engine.Disagreements(s, lib.Corpus.Lenses(), decided)
	for _, d := range r.Disagreements {
		for _, l := range d.Lenses {
			quote(l.Statements)
		}
	}
}
