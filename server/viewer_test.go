package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io/fs"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/paraat-nl/paraat/engine"
	"github.com/paraat-nl/paraat/scenarios"
	"github.com/paraat-nl/paraat/server"
	"github.com/paraat-nl/paraat/server/live"
	"github.com/paraat-nl/paraat/server/sqlite"
)

// viewerEnv is a real server (SQLite, live manager) with a facilitator account.
type viewerEnv struct {
	t     *testing.T
	url   string
	store *sqlite.DB
	lib   *engine.Library
	anon  *http.Client
	fac   *http.Client
	csrf  string
}

func newViewerEnv(t *testing.T) *viewerEnv {
	t.Helper()
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "v.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	lib := builtinLib(t)
	mgr := live.New(store, lib, live.Options{})
	t.Cleanup(func() { mgr.Shutdown(ctx) })
	srv, err := server.New(server.Config{Store: store, Library: lib, Live: mgr, Web: fstest.MapFS{}, KDF: server.TestKDF})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	if err := store.PutUser(ctx, server.User{Name: "anna", Hash: server.TestKDF.Hash("correct horse battery")}); err != nil {
		t.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	e := &viewerEnv{t: t, url: hs.URL, store: store, lib: lib, anon: &http.Client{}, fac: &http.Client{Jar: jar}}
	var me struct{ CSRF string }
	if st := e.do(e.fac, "POST", "/api/login", "", "application/json", `{"name":"anna","password":"correct horse battery"}`, &me); st != http.StatusOK {
		t.Fatalf("login: %d", st)
	}
	e.csrf = me.CSRF
	return e
}

func (e *viewerEnv) do(c *http.Client, method, path, csrf, ctype, body string, out any) int {
	e.t.Helper()
	req, _ := http.NewRequest(method, e.url+path, strings.NewReader(body))
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if csrf != "" {
		req.Header.Set("X-CSRF-Token", csrf)
	}
	resp, err := c.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			e.t.Fatalf("%s %s: decoding: %v", method, path, err)
		}
	}
	return resp.StatusCode
}

type errBody struct {
	Error server.Error `json:"error"`
}

// TestScenarioSource: the full scenario, with what participants only see after a reveal,
// is for facilitators only, and quotes every statement it cites.
func TestScenarioSource(t *testing.T) {
	t.Parallel()
	e := newViewerEnv(t)
	var eb errBody
	if st := e.do(e.anon, "GET", "/api/scenarios/voorbeeld/source", "", "", "", &eb); st != http.StatusUnauthorized || eb.Error.Code != server.EUnauthorized {
		t.Errorf("anonymous: %d %+v, want 401 unauthorized", st, eb)
	}
	if st := e.do(e.fac, "GET", "/api/scenarios/nope/source", "", "", "", &eb); st != http.StatusNotFound || eb.Error.Code != server.ENotFound {
		t.Errorf("unknown scenario: %d %+v, want 404", st, eb)
	}
	var res server.CheckResult
	if st := e.do(e.fac, "GET", "/api/scenarios/voorbeeld/source", "", "", "", &res); st != http.StatusOK {
		t.Fatalf("source: %d", st)
	}
	if !res.OK || res.Errors != 0 || res.Scenario == nil {
		t.Fatalf("source of a library scenario: %+v", res)
	}
	sc := res.Scenario
	if sc.ID != "voorbeeld" || sc.Start != "melding" || len(sc.Injects) != 4 || len(sc.Rules) != 2 || len(sc.Endings) != 3 || len(sc.State) != 2 {
		t.Fatalf("source detail: id %s start %s, %d injects, %d rules, %d endings, %d variables",
			sc.ID, sc.Start, len(sc.Injects), len(sc.Rules), len(sc.Endings), len(sc.State))
	}
	q := sc.Injects[0].Questions[0]
	o := q.Options[1]
	if q.ID != "eerste-stap" || o.ID != "partners-informeren" || o.Feedback == nil || len(o.Effects) != 1 ||
		strings.Join(o.Supports, ",") != "ivs-2026/zelf-gekozen-moment,ivs-2026/coalitieverband-via-eu" {
		t.Errorf("option with its citations, effects and feedback: %+v", o)
	}
	want := e.lib.Corpus.Statement("ivs-2026/zelf-gekozen-moment")
	if got := sc.Statements[want.ID]; got.Quote != want.Quote || got.Section != want.Section || got.Document.Year == 0 {
		t.Errorf("quoted statement %+v, want the corpus's quote %q", got, want.Quote)
	}
	num := sc.Injects[3].Questions[2]
	if num.ID != "bbp-doel" || len(num.Accept) != 2 || num.Accept[0].Value != 2.8 {
		t.Errorf("accepted values: %+v", num.Accept)
	}
	if len(sc.Coverage) != len(e.lib.Corpus.Lenses()) {
		t.Errorf("coverage for %d lenses, want %d", len(sc.Coverage), len(e.lib.Corpus.Lenses()))
	}
	if sc.Rules[0].Inject != "navo-beraad" || sc.Rules[0].Message == nil || sc.Endings[0].When == "" {
		t.Errorf("rules and endings with conditions: %+v %+v", sc.Rules[0], sc.Endings[0])
	}
	// The participants' detail still gives nothing away.
	resp, err := http.Get(e.url + "/api/scenarios/voorbeeld")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	buf.ReadFrom(resp.Body)
	resp.Body.Close()
	if strings.Contains(buf.String(), "supports") || strings.Contains(buf.String(), want.Quote) {
		t.Error("GET /api/scenarios/{id} leaks citations")
	}
}

// TestCheck: a pasted draft gets the diagnostics of `paraat check`, and its detail when it
// loads; only a logged-in facilitator with the CSRF token may send one.
func TestCheck(t *testing.T) {
	t.Parallel()
	e := newViewerEnv(t)
	good, err := fs.ReadFile(scenarios.FS(), "voorbeeld.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var eb errBody
	if st := e.do(e.anon, "POST", "/api/check", "", "application/yaml", string(good), &eb); st != http.StatusUnauthorized {
		t.Errorf("anonymous: %d, want 401", st)
	}
	if st := e.do(e.fac, "POST", "/api/check", "", "application/yaml", string(good), &eb); st != http.StatusForbidden || eb.Error.Code != server.EForbidden {
		t.Errorf("without the CSRF token: %d %+v, want 403 forbidden", st, eb)
	}
	if st := e.do(e.fac, "POST", "/api/check", e.csrf, "application/yaml", "", &eb); st != http.StatusBadRequest || eb.Error.Code != server.EInvalid {
		t.Errorf("empty draft: %d %+v, want 400 invalid", st, eb)
	}
	big := strings.Repeat("#", server.MaxCheckBody+1)
	if st := e.do(e.fac, "POST", "/api/check", e.csrf, "application/yaml", big, &eb); st != http.StatusRequestEntityTooLarge || eb.Error.Code != server.ETooLarge {
		t.Errorf("too large: %d %+v, want 413 too_large", st, eb)
	}

	var res server.CheckResult
	if st := e.do(e.fac, "POST", "/api/check", e.csrf, "application/yaml", string(good), &res); st != http.StatusOK {
		t.Fatalf("good draft: %d", st)
	}
	if !res.OK || res.Errors != 0 || res.Scenario == nil || res.Scenario.ID != "voorbeeld" || len(res.Scenario.Injects) != 4 {
		t.Fatalf("good draft: ok %v, %d errors, %+v", res.OK, res.Errors, res.Diagnostics)
	}
	if res.Scenario.Statements["ivs-2026/zelf-gekozen-moment"].Quote == "" {
		t.Error("the draft's detail does not quote its statements")
	}

	// Three mistakes at once: an unknown state variable in an effect, an unknown statement,
	// and a branch to an inject that does not exist. All are reported, each with its place.
	bad := strings.Replace(string(good), `effects: ["escalatie += 2", "cohesie -= 15"]`, `effects: ["escalatie += 2", "cohesi -= 15"]`, 1)
	bad = strings.Replace(bad, "conflicts: [ivs-2026/coalitieverband-via-eu]", "conflicts: [ivs-2026/bestaat-niet]", 1)
	bad = strings.Replace(bad, "goto: tegenreactie", "goto: tegenreaktie", 1)
	if bad == string(good) {
		t.Fatal("the example changed: the test's edits no longer apply")
	}
	res = server.CheckResult{}
	if st := e.do(e.fac, "POST", "/api/check", e.csrf, "application/yaml", bad, &res); st != http.StatusOK {
		t.Fatalf("bad draft: %d", st)
	}
	if res.OK || res.Errors < 3 || res.Scenario != nil {
		t.Fatalf("bad draft: ok %v, %d errors, scenario %v: %+v", res.OK, res.Errors, res.Scenario != nil, res.Diagnostics)
	}
	pos := regexp.MustCompile(`^draft\.yaml:\d+:\d+: `)
	var texts []string
	for _, d := range res.Diagnostics {
		texts = append(texts, d.Text)
		if d.Severity == "error" && (!pos.MatchString(d.Text) || d.Line == 0 || d.Column == 0 || d.Message == "") {
			t.Errorf("diagnostic without a position: %+v", d)
		}
	}
	all := strings.Join(texts, "\n")
	for _, want := range []string{"cohesi", "ivs-2026/bestaat-niet", "tegenreaktie"} {
		if !strings.Contains(all, want) {
			t.Errorf("no diagnostic names %q:\n%s", want, all)
		}
	}

	// YAML that is not even YAML is a diagnostic too, not a failure of the request.
	res = server.CheckResult{}
	if st := e.do(e.fac, "POST", "/api/check", e.csrf, "application/yaml", "id: [unclosed\n", &res); st != http.StatusOK || res.OK || res.Errors == 0 {
		t.Errorf("broken YAML: %d %+v", st, res)
	}
}

// TestAnalysis: the viewer's source of a library scenario and a checked draft carry the
// analysis of paraat analyze, with gates labelled in both languages.
func TestAnalysis(t *testing.T) {
	e := newViewerEnv(t)
	var res server.CheckResult
	if st := e.do(e.fac, "GET", "/api/scenarios/voorbeeld/source", "", "", "", &res); st != http.StatusOK {
		t.Fatalf("status %d", st)
	}
	a := res.Analysis
	if a == nil || a.ID != "voorbeeld" || len(a.Gates) == 0 || a.Random.Runs != 1000 || a.Flow == nil {
		t.Fatalf("no analysis of voorbeeld: %+v", a)
	}
	for _, g := range a.Gates {
		if g.Label.NL == "" || g.Label.EN == "" {
			t.Errorf("gate %s unlabelled", g.ID)
		}
	}
	good, err := fs.ReadFile(scenarios.FS(), "voorbeeld.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var draft server.CheckResult
	if st := e.do(e.fac, "POST", "/api/check", e.csrf, "application/yaml", string(good), &draft); st != http.StatusOK {
		t.Fatalf("status %d", st)
	}
	if draft.Analysis == nil || draft.Analysis.ID != "voorbeeld" || draft.Analysis.Flow.Bound != 1500 {
		t.Fatalf("no analysis of the draft: %+v", draft.Analysis)
	}
	bad := strings.Replace(string(good), "goto: tegenreactie", "goto: tegenreaktie", 1)
	var broken server.CheckResult
	if st := e.do(e.fac, "POST", "/api/check", e.csrf, "application/yaml", bad, &broken); st != http.StatusOK || broken.Analysis != nil {
		t.Fatalf("a draft that does not load has no analysis: %d %+v", st, broken.Analysis)
	}
}
