package server

import (
	"cmp"
	"errors"
	"io"
	"net/http"

	"github.com/paraat-nl/paraat/engine"
	"github.com/paraat-nl/paraat/engine/analyze"
)

// MaxCheckBody is the largest scenario draft POST /api/check accepts. The built-in scenarios
// are a few hundred KiB at most; the limit keeps a paste from costing the server much.
const MaxCheckBody = 1 << 20

// checkFile is the name a draft's diagnostics carry: it has no file of its own.
const checkFile = "draft.yaml"

// SourceVar is a state variable as the author declared it.
type SourceVar struct {
	Name    string   `json:"name"`
	Type    string   `json:"type"`
	Initial any      `json:"initial"`
	Min     *float64 `json:"min,omitempty"`
	Max     *float64 `json:"max,omitempty"`
	Label   Text     `json:"label"`
}

// SourceOption is an option with everything participants only see after a reveal.
type SourceOption struct {
	ID        string   `json:"id"`
	Text      Text     `json:"text"`
	Feedback  *Text    `json:"feedback,omitempty"`
	Effects   []string `json:"effects"`
	Supports  []string `json:"supports"`
	Conflicts []string `json:"conflicts"`
	When      string   `json:"when,omitempty"`
	Score     string   `json:"score,omitempty"`
	Fixed     bool     `json:"fixed,omitempty"` // keeps its place when the options are shuffled
}

// SourceAccept is an accepted value of a number question.
type SourceAccept struct {
	Value     float64  `json:"value"`
	Tolerance float64  `json:"tolerance"`
	Supports  []string `json:"supports"`
	Conflicts []string `json:"conflicts"`
}

// SourceItem is a rubric item with its citations.
type SourceItem struct {
	ID        string   `json:"id"`
	Text      Text     `json:"text"`
	Points    float64  `json:"points"`
	Supports  []string `json:"supports"`
	Conflicts []string `json:"conflicts"`
}

// SourceQuestion is a question with its feedback, citations and accepted values. Its options
// and rubric replace those of the embedded QuestionView.
type SourceQuestion struct {
	QuestionView
	Feedback *Text          `json:"feedback,omitempty"`
	Fixed    bool           `json:"fixed,omitempty"`  // options shown in the file's order
	Assess   string         `json:"assess,omitempty"` // judgement or fact
	Options  []SourceOption `json:"options,omitempty"`
	Accept   []SourceAccept `json:"accept,omitempty"`
	Rubric   []SourceItem   `json:"rubric,omitempty"`
}

// SourceInject is an inject with its effects and its questions in full.
type SourceInject struct {
	ID        string           `json:"id"`
	Clock     string           `json:"clock,omitempty"`
	Title     Text             `json:"title"`
	Text      Text             `json:"text"`
	Effects   []string         `json:"effects"`
	Questions []SourceQuestion `json:"questions"`
	Next      []BranchView     `json:"next"`
}

// SourceRule is a rule with its effects and message.
type SourceRule struct {
	ID      string   `json:"id"`
	When    string   `json:"when"`
	Effects []string `json:"effects"`
	Inject  string   `json:"inject,omitempty"`
	Message *Text    `json:"message,omitempty"`
}

// SourceEnding is an ending with its condition.
type SourceEnding struct {
	ID    string `json:"id"`
	When  string `json:"when,omitempty"`
	Title Text   `json:"title"`
	Text  Text   `json:"text"`
}

// LensCoverage is how many of a scenario's questions a lens addresses.
type LensCoverage struct {
	Lens      string `json:"lens"`
	Addressed int    `json:"addressed"`
	Questions int    `json:"questions"`
}

// SourceDetail is a scenario for its author: everything of ScenarioDetail plus feedback,
// citations with their quotes, effects, rules and ending conditions.
type SourceDetail struct {
	ScenarioSummary
	Start      string                   `json:"start"`
	State      []SourceVar              `json:"state"`
	Injects    []SourceInject           `json:"injects"`
	Rules      []SourceRule             `json:"rules"`
	Endings    []SourceEnding           `json:"endings"`
	Statements map[string]StatementView `json:"statements"`
	Coverage   []LensCoverage           `json:"coverage"`
}

// DiagnosticView is one diagnostic of `paraat check`.
type DiagnosticView struct {
	Severity string `json:"severity"` // error or warning
	File     string `json:"file"`
	Line     int    `json:"line,omitempty"`
	Column   int    `json:"column,omitempty"`
	Message  string `json:"message"`
	Code     string `json:"code"` // stable; `paraat explain CODE` documents it
	// Text is the whole diagnostic as `paraat check` prints it: file:line:column: message.
	Text string `json:"text"`
}

// CheckResult answers POST /api/check and carries the diagnostics of GET
// /api/scenarios/{id}/source.
type CheckResult struct {
	OK          bool             `json:"ok"`
	Errors      int              `json:"errors"`
	Warnings    int              `json:"warnings"`
	Diagnostics []DiagnosticView `json:"diagnostics"`
	Scenario    *SourceDetail    `json:"scenario"`
	// Analysis is what `paraat analyze` reports on the scenario (docs/ANALYZE.md), when it
	// loads.
	Analysis *analyze.Report `json:"analysis,omitempty"`
}

// draftBound is the replay bound when exploring a pasted draft's playthroughs: a paste may
// cost the server about a second, not more.
const draftBound = 1500

// analysisOf returns the analysis of a library scenario, computed once per scenario.
func (s *Server) analysisOf(sc *engine.Scenario) *analyze.Report {
	s.analysesMu.Lock()
	defer s.analysesMu.Unlock()
	if r, ok := s.analyses[sc]; ok {
		return r
	}
	if s.analyses == nil {
		s.analyses = map[*engine.Scenario]*analyze.Report{}
	}
	r := analyze.Analyze(sc, s.lib().Corpus, analyze.Options{})
	s.analyses[sc] = r
	return r
}

func refs(rs []engine.Ref) []string {
	out := make([]string, 0, len(rs))
	for _, r := range rs {
		out = append(out, r.Value)
	}
	return out
}

func sources(ss []engine.Source) []string {
	out := make([]string, 0, len(ss))
	for _, s := range ss {
		out = append(out, s.Text)
	}
	return out
}

// SourceOf describes a loaded scenario in full, quoting every statement it cites.
func SourceOf(lib *engine.Library, sc *engine.Scenario) SourceDetail {
	d := SourceDetail{ScenarioSummary: summaryOf(sc), Start: sc.Start.Value, State: []SourceVar{},
		Injects: []SourceInject{}, Rules: []SourceRule{}, Endings: []SourceEnding{},
		Statements: map[string]StatementView{}, Coverage: []LensCoverage{}}
	cite := func(c engine.Citations) {
		for _, list := range [][]engine.Ref{c.Supports, c.Conflicts} {
			for _, r := range list {
				if st := lib.Corpus.Statement(r.Value); st != nil {
					d.Statements[st.ID] = StatementView{ID: st.ID, Quote: st.Quote, Section: st.Section,
						Summary: T(st.Summary), Document: DocView{Lens: st.Lens(), Title: T(st.Doc.Title), Year: st.Doc.Year}}
				}
			}
		}
	}
	for _, v := range sc.State {
		sv := SourceVar{Name: v.Name, Type: v.Type, Initial: v.Initial, Label: T(v.Label)}
		if v.HasMin {
			sv.Min = &v.Min
		}
		if v.HasMax {
			sv.Max = &v.Max
		}
		d.State = append(d.State, sv)
	}
	for _, in := range sc.Injects {
		si := SourceInject{ID: in.ID.Value, Clock: in.Clock, Title: T(in.Title), Text: T(in.Text),
			Effects: sources(in.EffectSrc), Questions: []SourceQuestion{}, Next: []BranchView{}}
		for _, q := range in.Questions {
			sq := SourceQuestion{QuestionView: QuestionViewOf(q, q.Options), Feedback: TP(q.Feedback), Fixed: q.Fixed,
				Assess: cmp.Or(q.Assess.Value, engine.AssessJudgement)}
			for _, o := range q.Options {
				sq.Options = append(sq.Options, SourceOption{ID: o.ID.Value, Text: T(o.Text), Feedback: TP(o.Feedback),
					Effects: sources(o.EffectSrc), Supports: refs(o.Supports), Conflicts: refs(o.Conflicts),
					When: o.When.Text, Score: o.Score.Text, Fixed: o.Fixed})
				cite(o.Citations)
			}
			for _, a := range q.Accept {
				sq.Accept = append(sq.Accept, SourceAccept{Value: a.Value, Tolerance: a.Tolerance,
					Supports: refs(a.Supports), Conflicts: refs(a.Conflicts)})
				cite(a.Citations)
			}
			for _, it := range q.Rubric {
				sq.Rubric = append(sq.Rubric, SourceItem{ID: it.ID.Value, Text: T(it.Text), Points: it.Points,
					Supports: refs(it.Supports), Conflicts: refs(it.Conflicts)})
				cite(it.Citations)
			}
			si.Questions = append(si.Questions, sq)
		}
		for _, b := range in.Next {
			si.Next = append(si.Next, BranchView{When: b.When.Text, Goto: b.Goto.Value})
		}
		d.Injects = append(d.Injects, si)
	}
	for _, ru := range sc.Rules {
		d.Rules = append(d.Rules, SourceRule{ID: ru.ID.Value, When: ru.When.Text, Effects: sources(ru.EffectSrc),
			Inject: ru.Inject.Value, Message: TP(ru.Message)})
	}
	for _, e := range sc.Endings {
		d.Endings = append(d.Endings, SourceEnding{ID: e.ID.Value, When: e.When.Text, Title: T(e.Title), Text: T(e.Text)})
	}
	for _, c := range lib.Coverage(sc) {
		d.Coverage = append(d.Coverage, LensCoverage{Lens: c.Lens, Addressed: c.Addressed, Questions: c.Questions})
	}
	return d
}

// checkResult turns diagnostics into the answer, keeping those of file only ("" for all).
func checkResult(diags *engine.Diagnostics, file string) CheckResult {
	r := CheckResult{Diagnostics: []DiagnosticView{}}
	for _, dg := range diags.List {
		if file != "" && dg.File != file {
			continue
		}
		v := DiagnosticView{Severity: dg.Severity.String(), File: dg.File, Line: dg.Pos.Line, Column: dg.Pos.Column,
			Message: dg.Message, Code: dg.Code, Text: dg.String()}
		if dg.Severity == engine.Error {
			r.Errors++
		} else {
			r.Warnings++
		}
		r.Diagnostics = append(r.Diagnostics, v)
	}
	r.OK = r.Errors == 0
	return r
}

// handleScenarioSource answers GET /api/scenarios/{id}/source: the full scenario for the
// viewer, with the library's warnings about it. Facilitators only: it gives every answer away.
func (s *Server) handleScenarioSource(w http.ResponseWriter, r *http.Request, l *login) {
	sc := s.lib().Scenario(r.PathValue("id"))
	if sc == nil {
		writeErr(w, Errorf(ENotFound, "no scenario %q", r.PathValue("id")))
		return
	}
	diags := &engine.Diagnostics{}
	s.lib().Warn(diags)
	res := checkResult(diags, sc.File)
	d := SourceOf(s.lib(), sc)
	res.Scenario = &d
	res.Analysis = s.analysisOf(sc)
	writeJSON(w, http.StatusOK, res)
}

// handleCheck answers POST /api/check: a scenario draft (YAML, the request body) checked
// against the library's policy corpus as `paraat check` would, and the scenario if it loads.
// A draft with errors is still a 200: the errors are the answer.
func (s *Server) handleCheck(w http.ResponseWriter, r *http.Request, l *login) {
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxCheckBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeErr(w, Errorf(ETooLarge, "the draft is larger than %d bytes", MaxCheckBody))
			return
		}
		writeErr(w, Errorf(EInvalid, "reading the draft: %v", err))
		return
	}
	if len(data) == 0 {
		writeErr(w, Errorf(EInvalid, "the draft is empty"))
		return
	}
	diags := &engine.Diagnostics{}
	sc, ok := engine.ParseScenario(checkFile, data, s.lib().Corpus, diags)
	var d *SourceDetail
	if ok {
		// A one-scenario library, so that the library-wide warnings (questions the lens does
		// not address) apply to the draft too; those about the corpus are filtered out below.
		lib := &engine.Library{Corpus: s.lib().Corpus, Scenarios: []*engine.Scenario{sc}}
		lib.Warn(diags)
		sd := SourceOf(lib, sc)
		d = &sd
	}
	diags.Sort()
	res := checkResult(diags, checkFile)
	res.Scenario = d
	if sc != nil && ok {
		res.Analysis = analyze.Analyze(sc, s.lib().Corpus, analyze.Options{Bound: draftBound})
	}
	writeJSON(w, http.StatusOK, res)
}
