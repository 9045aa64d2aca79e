package main

import "github.com/paraat-nl/paraat/engine"

// context prints the statements the chosen options (accepted values, rubric items met) give
// as context: background to the feedback that neither supports nor opposes the answer, and
// is not scored.
func (p *player) context(q *engine.Question, a engine.Answer) {
	var refs []engine.Ref
	for _, o := range q.Options {
		if a.Chose(q, o.ID.Value) {
			refs = append(refs, o.Context...)
		}
	}
	for _, it := range q.Rubric {
		for _, id := range a.Items {
			if id == it.ID.Value {
				refs = append(refs, it.Context...)
			}
		}
	}
	for _, acc := range q.Accept {
		refs = append(refs, acc.Context...)
	}
	seen := map[string]bool{}
	for _, r := range refs {
		st := p.lib.Corpus.Statement(r.Value)
		if st == nil || seen[r.Value] {
			continue
		}
		if len(seen) == 0 {
			p.printf("  %s:\n", contextTitle[p.lang == "en"])
		}
		seen[r.Value] = true
		p.printf("  > “%s”\n    — %s, §%s\n", wrapIndent(st.Quote, 72, "    "), p.t(st.Doc.Title), st.Section)
	}
}

var contextTitle = map[bool]string{false: "Achtergrond (telt niet mee in de score)", true: "Background (not scored)"}
