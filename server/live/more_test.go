package live_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/gorilla/websocket"
	"github.com/paraat-nl/paraat/server"
	"github.com/paraat-nl/paraat/server/live"
)

func startShared(t *testing.T, e *env) (server.SessionInfo, *wsClient) {
	t.Helper()
	info := e.create(server.CreateSession{Scenario: "voorbeeld", Scope: "shared"})
	return info, e.watch(info.ID)
}

// TestReconnect: a participant drops, misses events, and resumes with its token and last
// sequence number: a snapshot plus the missed events, and its answer is still there.
func TestReconnect(t *testing.T) {
	t.Parallel()
	e := newEnv(t, newStore(t), live.Options{})
	info, f := startShared(t, e)
	ann := e.join(info.Code, "Ann", "bz", "")
	f.command(map[string]any{"type": "start"})
	f.command(map[string]any{"type": "open", "question": "eerste-stap"})
	ann.expect("event", event("open"))
	id := uuid.NewString()
	ack := ann.answer(id, "eerste-stap", map[string]any{"option": "afwachten"})
	last := ann.seq
	ann.c.Close()
	ann.waitClosed()

	f.command(map[string]any{"type": "close", "question": "eerste-stap"})
	f.command(map[string]any{"type": "reveal", "question": "eerste-stap"})

	again := e.dial("Ann again", false, "")
	again.send(map[string]any{"type": "resume", "token": ann.token, "last_seq": last})
	wel := again.expect("welcome", nil)
	if wel.str("participant") != ann.pid || wel.str("token") != "" {
		t.Fatalf("welcome: %v", wel)
	}
	snap := again.expect("snapshot", nil)
	as := snap.obj("me")["answers"].([]any)
	if len(as) != 1 || msg(as[0].(map[string]any)).str("id") != id || msg(as[0].(map[string]any)).num("seq") != ack.num("seq") {
		t.Fatalf("snapshot answers: %v", as)
	}
	q := msg(snap.obj("world")["questions"].([]any)[0].(map[string]any))
	if q.str("state") != "closed" || q["revealed"] != true {
		t.Fatalf("snapshot question: %v", q)
	}
	got := []string{}
	for len(got) < 3 {
		m := again.expect("event", nil)
		if int64(m.num("seq")) <= last {
			t.Fatalf("event %v at or before last_seq %d", m, last)
		}
		got = append(got, m.str("kind"))
	}
	// Closing decided the question: the decision follows the close, with the same seq.
	if got[0] != "close" || got[1] != "decided" || got[2] != "reveal" {
		t.Fatalf("missed events: %v", got)
	}
	// The resent answer after reconnecting is acknowledged as a duplicate.
	if m := again.answer(id, "eerste-stap", map[string]any{"option": "afwachten"}); m["duplicate"] != true {
		t.Fatalf("resent answer: %v", m)
	}
}

// TestRefusals: every refusal gets a coded error with a message and changes nothing.
func TestRefusals(t *testing.T) {
	t.Parallel()
	e := newEnv(t, newStore(t), live.Options{})
	info, f := startShared(t, e)
	ann := e.join(info.Code, "Ann", "def", "")
	f.command(map[string]any{"type": "start"})

	before := f.seq
	ann.sendRaw([]byte(`{"type": "answer", `))
	ann.expectError("bad_json")
	ann.sendRaw([]byte(`{"type": "dance"}`))
	ann.expectError("bad_json")
	ann.sendRaw([]byte(`{"type": "answer", "id": "not-a-uuid", "question": "eerste-stap", "answer": {"option": "x"}}`))
	ann.expectError("invalid")
	ann.sendRaw(append(append([]byte(`{"type":"answer","id":"`), bytes.Repeat([]byte("x"), 20<<10)...), []byte(`"}`)...))
	ann.expectError("too_large")
	ann.refused(map[string]any{"type": "answer", "id": uuid.NewString(), "question": "eerste-stap", "answer": map[string]any{"option": "afwachten"}}, "closed")
	f.command(map[string]any{"type": "open", "question": "eerste-stap", "time_limit_ms": 400})
	ann.refused(map[string]any{"type": "answer", "id": uuid.NewString(), "question": "eerste-stap", "answer": map[string]any{"option": "nope"}}, "invalid")
	ann.refused(map[string]any{"type": "answer", "id": uuid.NewString(), "question": "geen-vraag", "answer": map[string]any{"option": "a"}}, "not_found")
	ann.refused(map[string]any{"type": "answer", "id": uuid.NewString(), "question": "maatregelen", "answer": map[string]any{"options": []string{"cmx"}}}, "closed")
	ann.refused(map[string]any{"type": "start"}, "forbidden")
	ann.refused(map[string]any{"type": "join", "code": info.Code, "name": "x"}, "conflict")
	f.refused(map[string]any{"type": "answer", "id": uuid.NewString(), "question": "eerste-stap", "answer": map[string]any{"option": "afwachten"}}, "forbidden")
	f.refused(map[string]any{"type": "start"}, "conflict")
	f.refused(map[string]any{"type": "reveal", "question": "eerste-stap"}, "conflict")
	f.refused(map[string]any{"type": "remove", "participant": "p-nobody"}, "not_found")
	// The timer closes the question on time; a late answer is refused.
	f.expect("event", event("close"))
	ann.refused(map[string]any{"type": "answer", "id": uuid.NewString(), "question": "eerste-stap", "answer": map[string]any{"option": "afwachten"}}, "closed")

	// Wrong role: prioriteiten is asked of def only; maatregelen of bz only.
	f.command(map[string]any{"type": "next", "open": true})
	ann.expect("event", event("open"))
	ann.refused(map[string]any{"type": "answer", "id": uuid.NewString(), "question": "maatregelen", "answer": map[string]any{"options": []string{"cmx"}}}, "forbidden")

	// Nothing refused was logged: only the open, the timer's close, the inject and the opens.
	var rep server.Report
	e.do("GET", "/api/sessions/"+info.ID+"/report", nil, &rep)
	if len(rep.Answers) != 0 {
		t.Fatalf("refused answers were logged: %v", rep.Answers)
	}
	_ = before

	// Bad tokens, bad codes, a watch without login, a bad Origin.
	bad := e.dial("bad", false, "")
	bad.send(map[string]any{"type": "resume", "token": info.ID + ".wrong"})
	bad.expectError("unauthorized")
	bad.send(map[string]any{"type": "resume", "token": "garbage"})
	bad.expectError("unauthorized")
	bad.send(map[string]any{"type": "join", "code": "ZZZZ-ZZZZ", "name": "x"})
	bad.expectError("not_found")
	bad.send(map[string]any{"type": "join", "code": info.Code, "name": "\u0007bell"})
	bad.expectError("invalid")
	bad.send(map[string]any{"type": "join", "code": info.Code, "name": strings.Repeat("n", 41)})
	bad.expectError("invalid")
	bad.send(map[string]any{"type": "join", "code": info.Code, "name": "x", "role": "king"})
	bad.expectError("invalid")
	bad.send(map[string]any{"type": "watch", "session": info.ID})
	bad.expectError("unauthorized")
	bad.send(map[string]any{"type": "answer", "id": uuid.NewString(), "question": "eerste-stap", "answer": map[string]any{"option": "afwachten"}})
	bad.expectError("unauthorized")
	if _, err := e.dialErr(false, "https://evil.example"); err == nil {
		t.Fatal("a foreign Origin was accepted")
	}
	ok := e.dial("trusted", false, "https://trusted.example")
	ok.c.Close()

	// A removed participant's connection is closed and its token revoked.
	f.command(map[string]any{"type": "remove", "participant": ann.pid})
	if ce := ann.waitClosed(); ce == nil || ce.Code != server.CloseRemoved {
		t.Fatalf("removed: %v", ce)
	}
	bad.send(map[string]any{"type": "resume", "token": ann.token})
	bad.expectError("unauthorized")
}

// TestRestart: the server stops in the middle of a session; a new one replays the log,
// loses nothing acknowledged, resumes the timers (closing what expired meanwhile), and the
// participants resume.
func TestRestart(t *testing.T) {
	t.Parallel()
	e := newEnv(t, newStore(t), live.Options{})
	info, f := startShared(t, e)
	ann := e.join(info.Code, "Ann", "bz", "")
	bas := e.join(info.Code, "Bas", "def", "")
	f.command(map[string]any{"type": "start"})
	f.command(map[string]any{"type": "open", "question": "eerste-stap", "time_limit_ms": 1500})
	a1 := ann.answer(uuid.NewString(), "eerste-stap", map[string]any{"option": "partners-informeren"})
	if a1.str("type") != "ack" {
		t.Fatal(a1)
	}
	e.restart()
	for _, c := range []*wsClient{ann, bas, f} {
		if ce := c.waitClosed(); ce == nil || ce.Code != websocket.CloseGoingAway {
			t.Errorf("%s: close %v, want 1001", c.name, ce)
		}
	}
	time.Sleep(1600 * time.Millisecond) // the deadline passes while the participants are away

	ann2 := e.dial("Ann", false, "")
	ann2.send(map[string]any{"type": "resume", "token": ann.token, "last_seq": ann.seq})
	ann2.expect("welcome", nil)
	snap := ann2.expect("snapshot", nil)
	if as := snap.obj("me")["answers"].([]any); len(as) != 1 {
		t.Fatalf("acknowledged answer lost: %v", as)
	}
	q := msg(snap.obj("world")["questions"].([]any)[0].(map[string]any))
	if q.str("state") != "closed" || q.obj("decision").str("option") != "partners-informeren" {
		t.Fatalf("expired question after restart: %v", q)
	}
	f2 := e.watch(info.ID)
	f2.command(map[string]any{"type": "next"})
	ann2.expect("world", func(m msg) bool { return m.obj("world").obj("inject").str("id") == "onderzoek" })
}

// TestPauseResume: paused time does not count against a deadline, and answers are refused
// while paused.
func TestPauseResume(t *testing.T) {
	t.Parallel()
	e := newEnv(t, newStore(t), live.Options{})
	info, f := startShared(t, e)
	ann := e.join(info.Code, "Ann", "bz", "")
	f.command(map[string]any{"type": "start"})
	f.command(map[string]any{"type": "open", "question": "eerste-stap", "time_limit_ms": 800})
	f.command(map[string]any{"type": "pause"})
	ann.refused(map[string]any{"type": "answer", "id": uuid.NewString(), "question": "eerste-stap", "answer": map[string]any{"option": "afwachten"}}, "closed")
	time.Sleep(1 * time.Second)
	f.command(map[string]any{"type": "resume_session"})
	w := ann.expect("world", func(m msg) bool { return m.obj("world")["questions"] != nil })
	q := msg(w.obj("world")["questions"].([]any)[0].(map[string]any))
	if q.str("state") != "open" || q.num("remaining_ms") < 300 {
		t.Fatalf("after resume: %v", q)
	}
	if m := ann.answer(uuid.NewString(), "eerste-stap", map[string]any{"option": "afwachten"}); m.str("type") != "ack" {
		t.Fatalf("answer after resume: %v", m)
	}
	f.expect("event", event("close"))
}

// TestStudy: a self-study run without an account, resumed with its token, to its report.
func TestStudy(t *testing.T) {
	t.Parallel()
	e := newEnv(t, newStore(t), live.Options{})
	var st server.StudyStart
	e.csrf = ""
	if code := e.do("POST", "/api/study", map[string]any{"scenario": "voorbeeld", "name": "Lea"}, &st); code != 201 {
		t.Fatalf("study: %d", code)
	}
	c := e.dial("Lea", false, "")
	c.send(map[string]any{"type": "resume", "token": st.Token})
	c.expect("welcome", nil)
	snap := c.expect("snapshot", nil)
	if snap.obj("world").obj("inject").str("id") != "melding" {
		t.Fatalf("study snapshot: %v", snap)
	}
	c.send(map[string]any{"type": "answer", "id": uuid.NewString(), "question": "eerste-stap", "answer": map[string]any{"option": "partners-informeren"}})
	me := c.expect("me", nil)
	c.expect("ack", nil)
	if a := msg(me.obj("me")["answers"].([]any)[0].(map[string]any)); a["score"] == nil {
		t.Fatalf("self-study feedback is immediate: %v", a)
	}
	c.send(map[string]any{"type": "next"})
	c.expect("world", func(m msg) bool { return m.obj("world").obj("inject").str("id") == "onderzoek" })
	res, err := http.Get(e.srv.URL + "/api/study/report?token=" + st.Token)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("study report: %v %v", err, res.Status)
	}
	res.Body.Close()
}

// TestAuth: CSRF, wrong passwords, login rate limit, logout.
func TestAuth(t *testing.T) {
	t.Parallel()
	e := newEnv(t, newStore(t), live.Options{})
	csrf := e.csrf
	e.csrf = ""
	if st := e.do("POST", "/api/sessions", server.CreateSession{Scenario: "voorbeeld"}, nil); st != 403 {
		t.Fatalf("create without CSRF: %d", st)
	}
	e.csrf = csrf
	if st := e.do("POST", "/api/sessions", server.CreateSession{Scenario: "nope"}, nil); st != 404 {
		t.Fatalf("unknown scenario: %d", st)
	}
	if st := e.do("POST", "/api/sessions", server.CreateSession{Scenario: "voorbeeld", Scope: "galaxy"}, nil); st != 400 {
		t.Fatalf("bad scope: %d", st)
	}
	for i := range 5 {
		if st := e.do("POST", "/api/login", map[string]string{"name": "bob", "password": "wrong"}, nil); st != 401 {
			t.Fatalf("attempt %d: %d", i, st)
		}
	}
	if st := e.do("POST", "/api/login", map[string]string{"name": "bob", "password": "another long password"}, nil); st != 429 {
		t.Fatalf("after 5 failures: %d", st)
	}
	if st := e.do("POST", "/api/logout", nil, nil); st != 204 {
		t.Fatalf("logout: %d", st)
	}
	if st := e.do("GET", "/api/me", nil, nil); st != 401 {
		t.Fatalf("after logout: %d", st)
	}
}
