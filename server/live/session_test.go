package live_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/paraat-nl/paraat/server"
	"github.com/paraat-nl/paraat/server/live"
)

// TestFullSession runs a shared-world exercise from join to report with a facilitator and
// three participants over real websockets.
func TestFullSession(t *testing.T) {
	t.Parallel()
	e := newEnv(t, newStore(t), live.Options{})
	info := e.create(server.CreateSession{Scenario: "voorbeeld", Scope: "shared"})
	if len(info.Code) != 9 || !strings.Contains(info.JoinURL, "/join/") {
		t.Fatalf("session info: %+v", info)
	}
	var lookup map[string]any
	if st := e.do("GET", "/api/join/"+strings.ToLower(strings.ReplaceAll(info.Code, "-", "")), nil, &lookup); st != 200 || lookup["session"] != info.ID {
		t.Fatalf("join lookup: %d %v", st, lookup)
	}
	f := e.watch(info.ID)
	ann := e.join(info.Code, "Ann", "bz", "")
	bas := e.join(info.Code, "Bas", "def", "")
	cor := e.join(info.Code, " Ann ", "bz", "") // a duplicate name
	cwel := cor
	_ = cwel
	ag := f.expect("aggregates", func(m msg) bool {
		ps, _ := m.obj("aggregates")["participants"].([]any)
		return len(ps) == 3
	})
	names := map[string]bool{}
	for _, p := range ag.obj("aggregates")["participants"].([]any) {
		names[p.(map[string]any)["name"].(string)] = true
	}
	if !names["Ann"] || !names["Ann (2)"] || !names["Bas"] {
		t.Fatalf("names: %v", names)
	}

	// Answers before the start are refused.
	if m := ann.answer(uuid.NewString(), "eerste-stap", map[string]any{"option": "afwachten"}); m.str("code") != "closed" {
		t.Fatalf("answer before start: %v", m)
	}
	f.command(map[string]any{"type": "start"})
	ann.expect("world", func(m msg) bool { return m.obj("world").obj("inject").str("id") == "melding" })
	// Shown but not opened: pending.
	if m := ann.answer(uuid.NewString(), "eerste-stap", map[string]any{"option": "afwachten"}); m.str("code") != "closed" {
		t.Fatalf("answer before open: %v", m)
	}
	f.command(map[string]any{"type": "open", "question": "eerste-stap"})
	w := ann.expect("world", func(m msg) bool {
		qs, _ := m.obj("world")["questions"].([]any)
		return len(qs) == 1 && qs[0].(map[string]any)["state"] == "open"
	})
	q := msg(w.obj("world")["questions"].([]any)[0].(map[string]any))
	if q.str("deadline") == "" || q.num("remaining_ms") <= 0 || q.num("remaining_ms") > 90000 {
		t.Fatalf("deadline from time_limit: %v", q)
	}

	id1 := uuid.NewString()
	a1 := ann.answer(id1, "eerste-stap", map[string]any{"option": "partners-informeren"})
	if a1.str("type") != "ack" || a1["duplicate"] != false || a1.str("id") != id1 {
		t.Fatalf("ack: %v", a1)
	}
	// Re-sending the same answer is acknowledged again, with the same seq, and changes nothing.
	a1b := ann.answer(id1, "eerste-stap", map[string]any{"option": "partners-informeren"})
	if a1b.str("type") != "ack" || a1b["duplicate"] != true || a1b.num("seq") != a1.num("seq") {
		t.Fatalf("duplicate ack: %v (first %v)", a1b, a1)
	}
	// Another answer to the same question is refused.
	ann.refused(map[string]any{"type": "answer", "id": uuid.NewString(), "question": "eerste-stap", "answer": map[string]any{"option": "afwachten"}}, "duplicate")
	if m := bas.answer(uuid.NewString(), "eerste-stap", map[string]any{"option": "direct-toeschrijven"}); m.str("type") != "ack" {
		t.Fatal(m)
	}
	if m := cor.answer(uuid.NewString(), "eerste-stap", map[string]any{"option": "partners-informeren"}); m.str("type") != "ack" {
		t.Fatal(m)
	}
	ag = f.expect("aggregates", func(m msg) bool {
		qs, _ := m.obj("aggregates")["questions"].([]any)
		return len(qs) == 1 && qs[0].(map[string]any)["answered"] == 3.0
	})
	dist := msg(ag.obj("aggregates")["questions"].([]any)[0].(map[string]any)).obj("distribution")
	if dist.num("partners-informeren") != 2 || dist.num("direct-toeschrijven") != 1 {
		t.Fatalf("distribution: %v", dist)
	}

	f.command(map[string]any{"type": "close", "question": "eerste-stap"})
	w = bas.expect("world", func(m msg) bool {
		q := msg(m.obj("world")["questions"].([]any)[0].(map[string]any))
		return q.str("state") == "closed"
	})
	q = msg(w.obj("world")["questions"].([]any)[0].(map[string]any))
	if q.obj("decision").str("option") != "partners-informeren" || q.str("decided_by") != "majority" || q["revealed"] != false {
		t.Fatalf("decision: %v", q)
	}
	// Late answers are refused.
	if m := bas.answer(uuid.NewString(), "eerste-stap", map[string]any{"option": "afwachten"}); m.str("code") != "closed" {
		t.Fatalf("late answer: %v", m)
	}
	f.command(map[string]any{"type": "reveal", "question": "eerste-stap"})
	me := ann.expect("me", func(m msg) bool {
		as, _ := m.obj("me")["answers"].([]any)
		return len(as) == 1 && as[0].(map[string]any)["score"] != nil
	})
	my := msg(me.obj("me")["answers"].([]any)[0].(map[string]any))
	sts, _ := my["statements"].([]any)
	if my.obj("score").num("points") <= 0 || len(sts) == 0 || msg(sts[0].(map[string]any)).str("quote") == "" {
		t.Fatalf("revealed score without quoted statements: %v", my)
	}
	me = bas.expect("me", nil)
	if s := msg(me.obj("me")["answers"].([]any)[0].(map[string]any)).obj("score"); s.num("points") != 0 {
		t.Fatalf("the conflicting answer scored %v", s)
	}

	f.command(map[string]any{"type": "next", "open": true})
	ann.expect("world", func(m msg) bool {
		w := m.obj("world")
		qs, _ := w["questions"].([]any)
		return w.obj("inject").str("id") == "onderzoek" && len(qs) > 0 && qs[0].(map[string]any)["state"] == "open"
	})
	// maatregelen is asked of bz only and decided by bz.
	bas.refused(map[string]any{"type": "answer", "id": uuid.NewString(), "question": "maatregelen", "answer": map[string]any{"options": []string{"sancties"}}}, "forbidden")
	ann.refused(map[string]any{"type": "answer", "id": uuid.NewString(), "question": "maatregelen", "answer": map[string]any{"options": []string{"nope"}}}, "invalid")
	if m := ann.answer(uuid.NewString(), "maatregelen", map[string]any{"options": []string{"cmx", "ambassadeur"}}); m.str("type") != "ack" {
		t.Fatal(m)
	}
	if m := ann.answer(uuid.NewString(), "toelichting", map[string]any{"text": "We kiezen zelf het moment <script>"}); m.str("type") != "ack" {
		t.Fatal(m)
	}
	f.command(map[string]any{"type": "rubric", "participant": ann.pid, "question": "toelichting", "items": []string{"zelf-kiezen"}})
	f.refused(map[string]any{"type": "rubric", "participant": bas.pid, "question": "toelichting", "items": []string{"zelf-kiezen"}}, "not_found")
	f.command(map[string]any{"type": "close", "question": "toelichting"})
	f.command(map[string]any{"type": "decide", "question": "toelichting", "answer": map[string]any{"text": "besluit", "items": []string{"zelf-kiezen"}}})
	f.refused(map[string]any{"type": "decide", "question": "toelichting", "answer": map[string]any{"text": "x"}}, "duplicate")
	f.command(map[string]any{"type": "next"})
	f.command(map[string]any{"type": "end"})
	for _, c := range []*wsClient{ann, bas, cor, f} {
		if ce := c.waitClosed(); ce == nil || ce.Code != server.CloseEnded {
			t.Errorf("%s: close %v, want %d", c.name, ce, server.CloseEnded)
		}
	}

	var rep server.Report
	if st := e.do("GET", "/api/sessions/"+info.ID+"/report", nil, &rep); st != 200 {
		t.Fatalf("report: %d", st)
	}
	if len(rep.Participants) != 3 || len(rep.Worlds) != 1 || len(rep.Answers) != 5 {
		t.Fatalf("report: %d participants, %d worlds, %d answers", len(rep.Participants), len(rep.Worlds), len(rep.Answers))
	}
	wr := rep.Worlds[0]
	if wr.Path[0].Inject != "melding" || wr.Path[1].Inject != "onderzoek" || len(wr.Decisions) < 3 || wr.Ending == "" {
		t.Fatalf("world: %+v", wr)
	}
	if d := wr.Divergence[0]; d.Question != "eerste-stap" || d.Answers != 3 || d.Agreed != 2 || d.Diverged != 1 {
		t.Fatalf("divergence: %+v", d)
	}
	if len(wr.Lenses) == 0 || rep.PolicyPath == nil || len(rep.PolicyPath.Path) == 0 || len(rep.Statements) == 0 {
		t.Fatalf("lenses %v, policy path %v, statements %d", wr.Lenses, rep.PolicyPath, len(rep.Statements))
	}
	if !rep.Session.Ended {
		t.Error("report: session not ended")
	}
	csv := e.get("/api/sessions/" + info.ID + "/report.csv")
	if strings.Count(csv, "\n") != 6 || !strings.Contains(csv, "partners-informeren") {
		t.Fatalf("csv:\n%s", csv)
	}
	html := e.get("/sessions/" + info.ID + "/report")
	if !strings.Contains(html, "&lt;script&gt;") || strings.Contains(html, "<script>") || !strings.Contains(html, "<blockquote>") {
		t.Fatalf("html report does not escape or quote:\n%s", html)
	}
	// Another facilitator may not see it.
	e.login("bob", "another long password")
	if st := e.do("GET", "/api/sessions/"+info.ID+"/report", nil, nil); st != 403 {
		t.Fatalf("bob's report: %d", st)
	}
}

func (e *env) get(path string) string {
	e.t.Helper()
	res, err := e.http.Get(e.srv.URL + path)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		e.t.Fatalf("GET %s: %d %s", path, res.StatusCode, b)
	}
	return string(b)
}
