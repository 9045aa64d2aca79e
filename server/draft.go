package server

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"testing/fstest"
	"time"

	"github.com/paraat-nl/paraat/engine"
)

// A draft is a scenario an author pastes into the workbench, with an optional policy layer of
// their own: it lives only in its request. Nothing of it is stored.
const (
	// MaxCheckBody is the largest draft scenario or policy layer accepted. The built-in
	// scenarios are a few hundred KiB at most; the limit keeps a paste from costing much.
	MaxCheckBody = 1 << 20
	// maxDraftRequest bounds a whole draft request: a scenario, a policy layer and answers.
	maxDraftRequest = 2*MaxCheckBody + 256<<10
	// MaxDraftTests is the most playthrough tests a draft may ask to run.
	MaxDraftTests = 200
	// MaxDraftAnswers is the most answers a draft playthrough may replay.
	MaxDraftAnswers = 1000
	// MaxDraftsAtOnce is how many drafts the server checks, tests or plays at the same time;
	// more wait their turn, up to draftWait.
	MaxDraftsAtOnce = 2
	draftWait       = 5 * time.Second
)

// Names a draft's diagnostics carry: it has no files of its own.
const (
	checkFile  = "draft.yaml"
	policyFile = "draft-policy.yaml"
)

// DraftRequest is a draft sent as JSON: the scenario's YAML, optionally a policy document
// layered on the library's corpus (new statement ids add, an existing id needs `overrides:`),
// and for POST /api/check/play the answers given so far, in order.
type DraftRequest struct {
	Scenario string        `json:"scenario"`
	Policy   string        `json:"policy,omitempty"`
	Lens     string        `json:"lens,omitempty"`
	Answers  []DraftAnswer `json:"answers,omitempty"`
}

// DraftAnswer is one answer of a draft playthrough.
type DraftAnswer struct {
	Question string        `json:"question"`
	Answer   engine.Answer `json:"answer"`
}

// draft is a parsed draft request.
type draft struct {
	req    DraftRequest
	corpus *engine.Corpus
	sc     *engine.Scenario // nil when the draft does not load
	diags  *engine.Diagnostics
}

func (d *draft) result() CheckResult {
	d.diags.Sort()
	return checkResult(d.diags, checkFile, policyFile)
}

// openDraft reads, bounds and parses the draft of a request, taking one of the server's draft
// slots; the caller calls closeDraft when ok. On failure the error is written.
func (s *Server) openDraft(w http.ResponseWriter, r *http.Request) (*draft, bool) {
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxDraftRequest))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeErr(w, Errorf(ETooLarge, "the draft is larger than %d bytes", MaxCheckBody))
			return nil, false
		}
		writeErr(w, Errorf(EInvalid, "reading the draft: %v", err))
		return nil, false
	}
	d := &draft{diags: &engine.Diagnostics{}}
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct == "application/json" {
		if err := json.Unmarshal(data, &d.req); err != nil {
			writeErr(w, Errorf(EBadJSON, "the draft request is not valid JSON: %v", err))
			return nil, false
		}
	} else {
		d.req.Scenario = string(data)
	}
	switch {
	case len(d.req.Scenario) == 0:
		writeErr(w, Errorf(EInvalid, "the draft is empty"))
		return nil, false
	case len(d.req.Scenario) > MaxCheckBody, len(d.req.Policy) > MaxCheckBody:
		writeErr(w, Errorf(ETooLarge, "the draft is larger than %d bytes", MaxCheckBody))
		return nil, false
	case len(d.req.Answers) > MaxDraftAnswers:
		writeErr(w, Errorf(ETooLarge, "more than %d answers", MaxDraftAnswers))
		return nil, false
	}
	select {
	case s.drafts <- struct{}{}:
	case <-time.After(draftWait):
		writeErr(w, Errorf(EOverloaded, "the server is checking other drafts; try again in a moment"))
		return nil, false
	case <-r.Context().Done():
		return nil, false
	}
	d.corpus = s.lib().Corpus
	if d.req.Policy != "" {
		d.corpus = d.corpus.Extend(engine.Layer{FS: fstest.MapFS{policyFile: {Data: []byte(d.req.Policy)}},
			Files: []string{policyFile}}, d.diags)
	}
	sc, ok := engine.ParseScenario(checkFile, []byte(d.req.Scenario), d.corpus, d.diags)
	if ok && d.diags.Errors() == 0 {
		// A one-scenario library, so that the library-wide warnings (questions the lens does
		// not address) apply to the draft too; those about the corpus are filtered out.
		(&engine.Library{Corpus: d.corpus, Scenarios: []*engine.Scenario{sc}}).Warn(d.diags)
		d.sc = sc
	}
	return d, true
}

func (s *Server) closeDraft() { <-s.drafts }

// TestView is the result of one playthrough test of a draft.
type TestView struct {
	Name     string   `json:"name"`
	Passed   bool     `json:"passed"`
	Failures []string `json:"failures"`
	Unlisted []string `json:"unlisted"`
	// Path is the titles of the injects the playthrough went through; Ending where it ended.
	Path   []InjectView `json:"path"`
	Ending *EndingView  `json:"ending"`
}

// DraftTests answers POST /api/check/tests.
type DraftTests struct {
	CheckResult
	Tests []TestView `json:"tests"`
}

// handleDraftTests runs the playthrough tests of a draft, as `paraat test` does.
func (s *Server) handleDraftTests(w http.ResponseWriter, r *http.Request, l *login) {
	d, ok := s.openDraft(w, r)
	if !ok {
		return
	}
	defer s.closeDraft()
	res := DraftTests{CheckResult: d.result(), Tests: []TestView{}}
	if d.sc != nil {
		if len(d.sc.Tests) > MaxDraftTests {
			writeErr(w, Errorf(ETooLarge, "the draft has %d tests; at most %d run here", len(d.sc.Tests), MaxDraftTests))
			return
		}
		for _, tr := range engine.RunTests(d.sc) {
			tv := TestView{Name: tr.Name, Passed: tr.Passed(), Failures: tr.Failures, Unlisted: tr.Unlisted, Path: []InjectView{}}
			if tv.Failures == nil {
				tv.Failures = []string{}
			}
			if tv.Unlisted == nil {
				tv.Unlisted = []string{}
			}
			if tr.World != nil {
				for _, st := range tr.World.Path() {
					if in := d.sc.Inject(st.Inject); in != nil {
						tv.Path = append(tv.Path, InjectViewOf(in))
					}
				}
				tv.Ending = endingView(tr.World.Ending())
			}
			res.Tests = append(res.Tests, tv)
		}
	}
	writeJSON(w, http.StatusOK, res)
}

// DraftPlay answers POST /api/check/play: where a solo playthrough of the draft stands after
// the answers given so far.
type DraftPlay struct {
	World WorldView `json:"world"`
	Me    MeView    `json:"me"`
}

// handleDraftPlay replays a solo playthrough of a draft from its answers and returns the
// world: the current inject with its questions (the answered ones revealed, with their
// scores and quotes), or the ending. Every request replays from the start; nothing is kept.
func (s *Server) handleDraftPlay(w http.ResponseWriter, r *http.Request, l *login) {
	d, ok := s.openDraft(w, r)
	if !ok {
		return
	}
	defer s.closeDraft()
	if d.sc == nil {
		writeErr(w, Errorf(EInvalid, "the draft does not load: fix its errors before playing it"))
		return
	}
	if d.req.Lens != "" && d.corpus.Lens(d.req.Lens) == nil {
		writeErr(w, Errorf(EInvalid, "unknown lens %q", d.req.Lens))
		return
	}
	wd := engine.NewWorld(d.sc, engine.Config{Lens: d.req.Lens, Solo: true, Seed: "draft"})
	const player = "author"
	at, next := time.Duration(0), 0
	answered := map[string]bool{}
	for steps := 0; !wd.Done() && wd.Err() == nil; steps++ {
		if steps > MaxDraftAnswers {
			writeErr(w, Errorf(EInvalid, "the playthrough finds no ending: the draft loops"))
			return
		}
		waiting := false
		for _, q := range wd.Open("") {
			if next == len(d.req.Answers) {
				waiting = true
				break
			}
			a := d.req.Answers[next]
			if a.Question != q.ID.Value {
				writeErr(w, Errorf(EInvalid, "answer %d is for question %q, but question %q is open", next+1, a.Question, q.ID.Value))
				return
			}
			at += 10 * time.Second
			if err := wd.Apply(engine.Event{Kind: engine.EventAnswer, At: at, Participant: player, Question: q.ID.Value, Answer: &a.Answer}); err != nil {
				writeErr(w, Errorf(EInvalid, "answer %d: %v", next+1, err))
				return
			}
			answered[q.ID.Value] = true
			next++
		}
		if waiting {
			break
		}
		at += time.Minute
		if err := wd.Apply(engine.Event{Kind: engine.EventAdvance, At: at}); err != nil {
			writeErr(w, Errorf(EInvalid, "%v", err))
			return
		}
	}
	if err := wd.Err(); err != nil {
		writeErr(w, Errorf(EInvalid, "the playthrough stopped: %v", err))
		return
	}
	if next < len(d.req.Answers) {
		writeErr(w, Errorf(EInvalid, "answer %d is for question %q, which the playthrough does not reach", next+1, d.req.Answers[next].Question))
		return
	}
	res := DraftPlay{World: WorldView{Questions: []LiveQuestion{}, State: []ValueView{}, Path: []string{}, Ended: wd.Done(),
		Ending: endingView(wd.Ending())}, Me: MeView{Answers: []MyAnswer{}}}
	for _, st := range wd.Path() {
		res.World.Path = append(res.World.Path, st.Inject)
	}
	for _, sv := range d.sc.State {
		res.World.State = append(res.World.State, ValueView{Name: sv.Name, Label: T(sv.Label), Value: wd.Var(sv.Name)})
	}
	if in := wd.Current(); in != nil && !wd.Done() {
		iv := InjectViewOf(in)
		res.World.Inject = &iv
		for _, q := range in.Questions {
			shown := wd.Shown(q)
			lq := LiveQuestion{QuestionView: QuestionViewOf(q, shown), State: "open"}
			if answered[q.ID.Value] {
				lq.State, lq.Revealed, lq.Feedback = "closed", true, TP(q.Feedback)
				for i, o := range shown {
					lq.Options[i].Feedback = TP(o.Feedback)
				}
			}
			res.World.Questions = append(res.World.Questions, lq)
		}
	}
	var total *engine.Total
	for i, resp := range wd.Responses() {
		sc := resp.Score
		res.Me.Answers = append(res.Me.Answers, MyAnswer{Question: resp.Question, ID: resp.Question, Answer: resp.Answer,
			Seq: int64(i + 1), Score: &sc, Statements: StatementsOf(d.corpus, &sc)})
		if total == nil {
			total = &engine.Total{}
		}
		total.Add(sc)
	}
	res.Me.Total = total
	writeJSON(w, http.StatusOK, res)
}

// endingView describes an ending, nil for none.
func endingView(e *engine.Ending) *EndingView {
	if e == nil {
		return nil
	}
	return &EndingView{ID: e.ID.Value, Title: T(e.Title), Text: T(e.Text)}
}
