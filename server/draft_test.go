package server_test

import (
	"encoding/json"
	"io/fs"
	"net/http"
	"strings"
	"testing"

	"github.com/paraat-nl/paraat/engine"
	"github.com/paraat-nl/paraat/scenarios"
	"github.com/paraat-nl/paraat/server"
)

func draftJSON(t *testing.T, req server.DraftRequest) string {
	t.Helper()
	b, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func voorbeeld(t *testing.T) string {
	t.Helper()
	b, err := fs.ReadFile(scenarios.FS(), "voorbeeld.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// ownPolicy is an author's policy layer: one new statement, and one that takes the id of a
// built-in statement without saying it overrides it.
const ownPolicy = `lens: ivs-2026
source: eigen.txt
kind: cabinet
title: {nl: Eigen aanvulling, en: Own addition}
statements:
  - id: eigen-zin
    section: "1"
    quote: "Een zin uit het eigen beleid."
  - id: zelf-gekozen-moment
    section: "2"
    quote: "Een andere lezing."
`

// TestDraftPolicyLayer: a draft's policy layer adds statements the draft may cite, and an
// existing id without overrides: is an error at its line in the layer; nothing is kept.
func TestDraftPolicyLayer(t *testing.T) {
	t.Parallel()
	e := newViewerEnv(t)
	src := voorbeeld(t)
	sc := strings.Replace(src, "supports: [ivs-2026/navo-cmx]", "supports: [ivs-2026/navo-cmx, ivs-2026/eigen-zin]", 1)
	if sc == src {
		t.Fatal("the example no longer cites ivs-2026/navo-cmx: pick another citation to extend")
	}
	var res server.CheckResult
	if st := e.do(e.fac, "POST", "/api/check", e.csrf, "application/json", draftJSON(t, server.DraftRequest{Scenario: sc, Policy: ownPolicy}), &res); st != http.StatusOK {
		t.Fatalf("check: %d", st)
	}
	var found bool
	for _, d := range res.Diagnostics {
		if d.File == "draft-policy.yaml" && d.Line == 9 && d.Code == "statement-exists" && d.Explain != "" {
			found = true
		} else if d.Severity == "error" {
			t.Errorf("unexpected error %s", d.Text)
		}
	}
	if !found || res.Errors != 1 {
		t.Errorf("want one statement-exists error at draft-policy.yaml:9, got %+v", res.Diagnostics)
	}
	// Without the layer the citation is unknown, with a suggestion.
	if st := e.do(e.fac, "POST", "/api/check", e.csrf, "application/json", draftJSON(t, server.DraftRequest{Scenario: sc}), &res); st != http.StatusOK || res.OK {
		t.Fatalf("check without the layer: %d ok=%v", st, res.OK)
	}
	if e.lib.Corpus.Statement("ivs-2026/eigen-zin") != nil {
		t.Errorf("the draft's policy layer changed the library's corpus")
	}
}

// TestDraftTests runs a draft's playthrough tests and reports a failing one with its path.
func TestDraftTests(t *testing.T) {
	t.Parallel()
	e := newViewerEnv(t)
	good := voorbeeld(t)
	var res server.DraftTests
	if st := e.do(e.fac, "POST", "/api/check/tests", e.csrf, "application/json", draftJSON(t, server.DraftRequest{Scenario: good}), &res); st != http.StatusOK {
		t.Fatalf("tests: %d", st)
	}
	if len(res.Tests) != 4 {
		t.Fatalf("%d tests, want 4", len(res.Tests))
	}
	for _, tv := range res.Tests {
		if !tv.Passed || tv.Ending == nil || len(tv.Path) == 0 || tv.Path[0].Title.EN == "" {
			t.Errorf("test %q: %+v", tv.Name, tv)
		}
	}
	bad := strings.Replace(good, "      ending: rommelig", "      ending: gecoordineerd", 1)
	if st := e.do(e.fac, "POST", "/api/check/tests", e.csrf, "application/json", draftJSON(t, server.DraftRequest{Scenario: bad}), &res); st != http.StatusOK {
		t.Fatalf("tests: %d", st)
	}
	failed := 0
	for _, tv := range res.Tests {
		if !tv.Passed {
			failed++
			if tv.Name != "waiting gives a muddled ending" || len(tv.Failures) == 0 || tv.Ending == nil || tv.Ending.Title.EN != "Muddled" {
				t.Errorf("failing test: %+v", tv)
			}
		}
	}
	if failed != 1 {
		t.Errorf("%d tests failed, want 1", failed)
	}
}

// TestDraftPlay plays a draft from the start to an ending, one request per answer, each
// replaying the answers so far.
func TestDraftPlay(t *testing.T) {
	t.Parallel()
	e := newViewerEnv(t)
	req := server.DraftRequest{Scenario: voorbeeld(t)}
	var play server.DraftPlay
	for step := 0; ; step++ {
		if step > 20 {
			t.Fatal("no ending after 20 answers")
		}
		if st := e.do(e.fac, "POST", "/api/check/play", e.csrf, "application/json", draftJSON(t, req), &play); st != http.StatusOK {
			t.Fatalf("play after %d answers: %d", len(req.Answers), st)
		}
		if step == 0 && (play.World.Inject == nil || play.World.Inject.Clock != "T+0:00" || play.World.Inject.Title.NL == "") {
			t.Fatalf("first inject: %+v", play.World.Inject)
		}
		if play.World.Ended {
			break
		}
		var open *server.LiveQuestion
		for i := range play.World.Questions {
			if play.World.Questions[i].State == "open" {
				open = &play.World.Questions[i]
				break
			}
		}
		if open == nil {
			t.Fatalf("neither ended nor a question open: %+v", play.World)
		}
		var a engine.Answer
		switch open.Type {
		case "choice":
			a.Option = open.Options[0].ID
			if open.ID == "eerste-stap" {
				a.Option = "partners-informeren"
			}
		case "multi":
			a.Options = []string{open.Options[0].ID}
		case "rank":
			for _, o := range open.Options {
				a.Options = append(a.Options, o.ID)
			}
		case "number":
			n := 2.8
			a.Number = &n
		case "text":
			a.Text = "Eerst de partners, dan samen toeschrijven."
		}
		req.Answers = append(req.Answers, server.DraftAnswer{Question: open.ID, Answer: a})
	}
	if play.World.Ending == nil || play.World.Ending.Title.EN == "" {
		t.Errorf("ended without an ending: %+v", play.World)
	}
	if len(play.Me.Answers) != len(req.Answers) || play.Me.Total == nil {
		t.Errorf("%d scored answers for %d given, total %v", len(play.Me.Answers), len(req.Answers), play.Me.Total)
	}
	if first := play.Me.Answers[0]; first.Score == nil || len(first.Statements) == 0 {
		t.Errorf("the first answer has no score or quotes: %+v", first)
	}
}

// TestDraftHostile: oversize, malformed and hostile drafts get a clear error with a stable
// code, and the server keeps answering.
func TestDraftHostile(t *testing.T) {
	t.Parallel()
	e := newViewerEnv(t)
	good := voorbeeld(t)
	big := strings.Repeat("#", server.MaxCheckBody+1)
	many := make([]server.DraftAnswer, server.MaxDraftAnswers+1)
	first := func(q, o string) []server.DraftAnswer {
		return []server.DraftAnswer{{Question: q, Answer: engine.Answer{Option: o}}}
	}
	cases := []struct {
		name, path, ctype, body string
		status                  int
		code                    server.ErrorCode
	}{
		{"anonymous", "/api/check/play", "application/json", "{}", http.StatusUnauthorized, server.EUnauthorized},
		{"bad json", "/api/check/play", "application/json", `{"scenario": `, http.StatusBadRequest, server.EBadJSON},
		{"empty", "/api/check/tests", "application/json", `{}`, http.StatusBadRequest, server.EInvalid},
		{"oversize scenario", "/api/check/tests", "application/json", draftJSON(t, server.DraftRequest{Scenario: big}), http.StatusRequestEntityTooLarge, server.ETooLarge},
		{"oversize policy", "/api/check", "application/json", draftJSON(t, server.DraftRequest{Scenario: good, Policy: big}), http.StatusRequestEntityTooLarge, server.ETooLarge},
		{"oversize body", "/api/check/play", "application/json", strings.Repeat(" ", 3<<20), http.StatusRequestEntityTooLarge, server.ETooLarge},
		{"too many answers", "/api/check/play", "application/json", draftJSON(t, server.DraftRequest{Scenario: good, Answers: many}), http.StatusRequestEntityTooLarge, server.ETooLarge},
		{"draft with errors", "/api/check/play", "application/json", draftJSON(t, server.DraftRequest{Scenario: "id: [unclosed\n"}), http.StatusBadRequest, server.EInvalid},
		{"wrong question", "/api/check/play", "application/json", draftJSON(t, server.DraftRequest{Scenario: good, Answers: first("maatregelen", "cmx")}), http.StatusBadRequest, server.EInvalid},
		{"unknown option", "/api/check/play", "application/json", draftJSON(t, server.DraftRequest{Scenario: good, Answers: first("eerste-stap", "<script>")}), http.StatusBadRequest, server.EInvalid},
		{"unknown lens", "/api/check/play", "application/json", draftJSON(t, server.DraftRequest{Scenario: good, Lens: "nope"}), http.StatusBadRequest, server.EInvalid},
	}
	for _, c := range cases {
		client, csrf := e.fac, e.csrf
		if c.name == "anonymous" {
			client, csrf = e.anon, ""
		}
		var eb errBody
		if st := e.do(client, "POST", c.path, csrf, c.ctype, c.body, &eb); st != c.status || eb.Error.Code != c.code || eb.Error.Message == "" {
			t.Errorf("%s: %d %+v, want %d %s", c.name, st, eb, c.status, c.code)
		}
	}
	// An alias bomb is a diagnostic, not a crash.
	bomb := "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
	var res server.CheckResult
	if st := e.do(e.fac, "POST", "/api/check/tests", e.csrf, "application/json", draftJSON(t, server.DraftRequest{Scenario: bomb, Policy: bomb}), &res); st != http.StatusOK || res.OK {
		t.Errorf("alias bomb: %d ok=%v", st, res.OK)
	}
	codes := map[string]bool{}
	for _, d := range res.Diagnostics {
		codes[d.Code] = true
	}
	if !codes["yaml-alias"] {
		t.Errorf("alias bomb: no yaml-alias diagnostic in %+v", res.Diagnostics)
	}
	// Still up.
	if st := e.do(e.fac, "POST", "/api/check/tests", e.csrf, "application/json", draftJSON(t, server.DraftRequest{Scenario: good}), &res); st != http.StatusOK || !res.OK {
		t.Errorf("after the hostile drafts: %d ok=%v", st, res.OK)
	}
}
