package engine

import (
	"io/fs"
	"strings"
)

// VerifyQuotes checks that every statement's quote occurs in its source document, found by
// file name in sources. Differences in white space, quotes and dashes are ignored.
func VerifyQuotes(c *Corpus, sources fs.FS, diags *Diagnostics) {
	texts := map[string]string{}
	for _, doc := range c.Documents {
		name := doc.Source.Value
		text, ok := texts[name]
		if !ok {
			data, err := fs.ReadFile(sources, name)
			if err != nil {
				diags.addf(Error, doc.File, doc.Source.Pos, "source document %s: %v", name, err)
				texts[name] = ""
				continue
			}
			text = NormalizeQuote(string(data))
			texts[name] = text
		}
		if text == "" {
			continue
		}
		for _, s := range doc.Statements {
			if !strings.Contains(text, NormalizeQuote(s.Quote)) {
				diags.addf(Error, doc.File, s.LocalID.Pos, "the quote of %s does not occur in %s", s.ID, name)
			}
		}
	}
}

// Cited returns, for every statement id, how many options, accepted values and rubric items
// of the library cite it.
func (l *Library) Cited() map[string]int {
	n := map[string]int{}
	add := func(c Citations) {
		for _, r := range c.Supports {
			n[r.Value]++
		}
		for _, r := range c.Conflicts {
			n[r.Value]++
		}
		for _, r := range c.Context {
			n[r.Value]++
		}
	}
	for _, s := range l.Scenarios {
		for _, q := range s.Questions() {
			for _, o := range q.Options {
				add(o.Citations)
			}
			for _, a := range q.Accept {
				add(a.Citations)
			}
			for _, it := range q.Rubric {
				add(it.Citations)
			}
		}
	}
	return n
}

// Coverage is how many of a scenario's questions a lens addresses.
type Coverage struct {
	Lens      string
	Addressed int
	Questions int
}

// Coverage returns, per lens of the corpus, how many questions of s it addresses.
func (l *Library) Coverage(s *Scenario) []Coverage {
	qs := s.Questions()
	var out []Coverage
	for _, lens := range l.Corpus.Lenses() {
		c := Coverage{Lens: lens, Questions: len(qs)}
		for _, q := range qs {
			if q.Addressed(lens) {
				c.Addressed++
			}
		}
		out = append(out, c)
	}
	return out
}

// Warn adds the library-wide warnings: statements no scenario cites, questions the
// scenario's own lens does not address, and state variables and injects without a name.
func (l *Library) Warn(diags *Diagnostics) {
	cited := l.Cited()
	for _, st := range l.Corpus.Statements() {
		if cited[st.ID] == 0 {
			diags.addf(Warning, st.Doc.File, st.LocalID.Pos, "statement %s is not cited by any scenario or quiz", st.ID)
		}
	}
	for _, s := range l.Scenarios {
		for _, q := range s.Questions() {
			if !q.Addressed(s.Lens.Value) {
				diags.addf(Warning, s.File, q.ID.Pos, "question %s cites no statement of the scenario's lens %s: it is not scored under it", q.ID.Value, s.Lens.Value)
			}
		}
		unnamed(s, diags)
	}
	diags.Sort()
}

// unnamed warns about the state variables without a label and the injects without a title
// of a scenario: screens and reports name things, never ids. Warnings, not errors, so that
// files written before names were asked for still load.
func unnamed(s *Scenario, diags *Diagnostics) {
	if s.Kind != KindScenario {
		return
	}
	for _, sv := range s.State {
		if sv.Label.Empty() {
			diags.addf(Warning, s.File, sv.Pos, "state variable %s has no label (nl and en): screens and reports cannot name it", sv.Name)
		}
	}
	for _, in := range s.Injects {
		if in.Title.Empty() {
			diags.addf(Warning, s.File, in.ID.Pos, "inject %s has no title (nl and en): the projector, console and report cannot name it", in.ID.Value)
		}
	}
}
