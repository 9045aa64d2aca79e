package live_test

// Regression tests for the failure semantics of live sessions. Each names the finding it
// covers; the store fails on command (faultStore) and time moves only when the test says so
// (manualClock).

import (
	"context"
	"encoding/json"
	"net"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/gorilla/websocket"
	"github.com/paraat-nl/paraat/server"
	"github.com/paraat-nl/paraat/server/live"
)

func faultEnv(t *testing.T, opts live.Options) (*env, *faultStore, *manualClock) {
	t.Helper()
	fs := &faultStore{Store: newStore(t)}
	clk := newManualClock()
	opts.Clock = clk
	if opts.IdleTimeout == 0 {
		opts.IdleTimeout = time.Hour
	}
	return newEnv(t, fs, opts), fs, clk
}

// logged returns the records of a session's log of a type.
func logged(t *testing.T, s server.Store, session, typ string) []server.Record {
	t.Helper()
	recs, err := s.Events(context.Background(), session, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []server.Record
	for _, r := range recs {
		if r.Type == typ {
			out = append(out, r)
		}
	}
	return out
}

// snapshotJSON watches a session on a new connection and returns its worlds as JSON: what
// the live state shows, to compare with the state after a replay.
func (e *env) snapshotJSON(session string) string {
	e.t.Helper()
	f := e.dial("observer", true, "")
	defer f.c.Close()
	f.send(map[string]any{"type": "watch", "session": session})
	f.expect("welcome", nil)
	b, _ := json.Marshal(f.expect("snapshot", nil)["worlds"])
	return string(b)
}

// Finding 1 and 2: an append whose commit is reported failed but went through. The answer is
// acknowledged once, from the log after the reload, not logged twice on a resend; the
// participant's own view shows it; and a replay of the log equals the live state.
func TestAnswerCommittedButReportedFailed(t *testing.T) {
	e, fs, clk := faultEnv(t, live.Options{})
	info, f := startShared(t, e)
	ann := e.join(info.Code, "Ann", "bz", "")
	f.command(map[string]any{"type": "start"})
	f.command(map[string]any{"type": "open", "question": "eerste-stap"})
	ann.expect("event", event("open"))

	fs.failNext(failAfter, 1)
	id, ref := uuid.NewString(), uuid.NewString()
	ann.send(map[string]any{"type": "answer", "ref": ref, "id": id, "question": "eerste-stap", "answer": map[string]any{"option": "afwachten"}})
	clk.waitArmed(t, 100*time.Millisecond) // the hub backs off before it reloads
	clk.Advance(100 * time.Millisecond)
	ack := ann.reply(ref)
	if ack.str("type") != "ack" || ack["duplicate"] == true || ack.num("seq") == 0 {
		t.Fatalf("answer committed with an unknown outcome: got %v, want an ack from the log", ack)
	}
	if mine := ack.obj("mine"); mine.str("id") != id || mine.num("seq") != ack.num("seq") {
		t.Fatalf("Ann's own view after the reload: the ack carries %v", mine)
	}
	again := ann.answer(id, "eerste-stap", map[string]any{"option": "afwachten"})
	if again.str("type") != "ack" || again["duplicate"] != true || again.num("seq") != ack.num("seq") {
		t.Fatalf("resent answer: %v, want a duplicate ack with seq %v", again, ack.num("seq"))
	}
	if n := len(logged(t, fs, info.ID, "answer")); n != 1 {
		t.Fatalf("the log has %d answers, want 1", n)
	}
	if fs.failed.Load() != 1 {
		t.Fatalf("%d appends failed, want 1", fs.failed.Load())
	}
	live := e.snapshotJSON(info.ID)
	e.restart()
	if replayed := e.snapshotJSON(info.ID); replayed != live {
		t.Fatalf("replay differs from the live state:\n live %s\n replay %s", live, replayed)
	}
}

// Finding 1: the same for a facilitator's next, and for an append that failed before
// committing: the first is acknowledged from the log and moves the world on once; the second
// is refused as unavailable, changes nothing, and goes through when sent again.
func TestAdvanceAfterFailedAppends(t *testing.T) {
	e, fs, clk := faultEnv(t, live.Options{})
	info, f := startShared(t, e)
	f.command(map[string]any{"type": "start"})

	fs.failNext(failAfter, 1)
	ref := uuid.NewString()
	f.send(map[string]any{"type": "next", "ref": ref})
	clk.waitArmed(t, 100*time.Millisecond)
	clk.Advance(100 * time.Millisecond)
	if m := f.reply(ref); m.str("type") != "ack" {
		t.Fatalf("next committed with an unknown outcome: %v", m)
	}
	if n := len(logged(t, fs, info.ID, "advance")); n != 1 {
		t.Fatalf("%d advances logged, want 1", n)
	}

	fs.failNext(failBefore, 1)
	ref = uuid.NewString()
	f.send(map[string]any{"type": "next", "ref": ref})
	clk.waitArmed(t, 100*time.Millisecond)
	clk.Advance(100 * time.Millisecond)
	if m := f.reply(ref); m.str("type") != "error" || m.str("code") != "unavailable" {
		t.Fatalf("next not committed: %v, want unavailable", m)
	}
	if n := len(logged(t, fs, info.ID, "advance")); n != 1 {
		t.Fatalf("%d advances logged after a refused append, want 1", n)
	}
	f.command(map[string]any{"type": "next"})
	advances := logged(t, fs, info.ID, "advance")
	if len(advances) != 2 {
		t.Fatalf("%d advances logged, want 2", len(advances))
	}
	if advances[0].Key == advances[1].Key || advances[0].Key == "" {
		t.Fatalf("advance keys %q and %q", advances[0].Key, advances[1].Key)
	}
	live := e.snapshotJSON(info.ID)
	e.restart()
	if replayed := e.snapshotJSON(info.ID); replayed != live {
		t.Fatalf("replay differs from the live state:\n live %s\n replay %s", live, replayed)
	}
}

// Finding 3: with the store down, a question whose deadline passed is retried at the pace of
// the back-off, doubling each time, and not at all while the log cannot even be read: no hot
// loop. Once the store is back, the question is closed exactly once.
func TestStoreDownNoHotLoop(t *testing.T) {
	e, fs, clk := faultEnv(t, live.Options{})
	info, f := startShared(t, e)
	f.command(map[string]any{"type": "start"})
	f.command(map[string]any{"type": "open", "question": "eerste-stap", "time_limit_ms": 60000})
	clk.waitArmed(t, time.Minute)
	fs.failNext(failBefore, -1)
	before := fs.appends.Load()
	clk.Advance(time.Minute)
	clk.waitArmed(t, 100*time.Millisecond)
	if n := fs.appends.Load() - before; n != 1 {
		t.Fatalf("%d appends before the first back-off, want 1", n)
	}
	// The log cannot be read either: the reload fails, and backs off without appending.
	fs.failReads.Store(true)
	clk.Advance(100 * time.Millisecond)
	clk.waitArmed(t, 200*time.Millisecond)
	if n := fs.appends.Load() - before; n != 1 {
		t.Fatalf("%d appends while the log could not be read, want 1", n)
	}
	fs.failReads.Store(false)
	clk.Advance(200 * time.Millisecond)
	clk.waitArmed(t, 400*time.Millisecond)
	if n := fs.appends.Load() - before; n != 2 {
		t.Fatalf("%d appends after two back-offs, want 2", n)
	}
	clk.Advance(400 * time.Millisecond)
	clk.waitArmed(t, 800*time.Millisecond)
	if n := fs.appends.Load() - before; n != 3 {
		t.Fatalf("%d appends after three back-offs, want 3", n)
	}
	fs.heal()
	clk.Advance(800 * time.Millisecond)
	f.expect("event", event("close"))
	if n := len(logged(t, fs, info.ID, "close")); n != 1 {
		t.Fatalf("%d closes logged, want 1", n)
	}
}

// waitUnloaded advances the clock until no session is in memory.
func waitUnloaded(t *testing.T, e *env, clk *manualClock, step time.Duration) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for e.mgr.Stats().Sessions > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d sessions still in memory", e.mgr.Stats().Sessions)
		}
		clk.Advance(step)
		time.Sleep(5 * time.Millisecond)
	}
}

// Finding 4: self-study runs started and left are unloaded once idle, come back from the log
// when their learner returns, and are not loaded at boot; a node refuses sessions beyond its
// maximum with overloaded.
func TestIdleSessionsUnloaded(t *testing.T) {
	e, _, clk := faultEnv(t, live.Options{IdleTimeout: time.Minute})
	e.csrf = ""
	var runs []server.StudyStart
	for range 20 {
		var st server.StudyStart
		if code := e.do("POST", "/api/study", map[string]any{"scenario": "voorbeeld", "name": "Lea"}, &st); code != 201 {
			t.Fatalf("study: %d", code)
		}
		c := e.dial("Lea", false, "")
		c.send(map[string]any{"type": "resume", "token": st.Token})
		c.expect("snapshot", nil)
		if m := c.answer(uuid.NewString(), "eerste-stap", map[string]any{"option": "afwachten"}); m.str("type") != "ack" {
			t.Fatalf("answer: %v", m)
		}
		c.c.Close()
		runs = append(runs, st)
	}
	if n := e.mgr.Stats().Sessions; n == 0 {
		t.Fatal("no session in memory while learners were connected")
	}
	waitUnloaded(t, e, clk, time.Minute)
	if n := e.mgr.Stats().Unloaded; n < 20 {
		t.Fatalf("%d sessions unloaded, want 20", n)
	}
	// The learner comes back: the run is loaded from its log, with the answer.
	c := e.dial("Lea again", false, "")
	c.send(map[string]any{"type": "resume", "token": runs[3].Token})
	snap := c.expect("snapshot", nil)
	if as, _ := snap.obj("me")["answers"].([]any); len(as) != 1 {
		t.Fatalf("snapshot after reloading: %v", snap.obj("me"))
	}
	c.c.Close()
	c.waitClosed()
	e.restart()
	if n := e.mgr.Stats().Sessions; n != 0 {
		t.Fatalf("%d self-study runs loaded at boot, want 0", n)
	}
}

func TestSessionCeiling(t *testing.T) {
	e, _, clk := faultEnv(t, live.Options{MaxSessions: 2, IdleTimeout: time.Minute})
	a := e.create(server.CreateSession{Scenario: "voorbeeld", Scope: "shared"})
	b := e.create(server.CreateSession{Scenario: "voorbeeld", Scope: "shared"})
	c := e.create(server.CreateSession{Scenario: "voorbeeld", Scope: "shared"})
	fa := e.watch(a.ID)
	e.watch(b.ID)
	third := e.dial("third", true, "")
	third.send(map[string]any{"type": "watch", "session": c.ID})
	third.expectError("overloaded")
	fa.c.Close()
	fa.waitClosed()
	deadline := time.Now().Add(5 * time.Second)
	for e.mgr.Stats().Sessions > 1 {
		if time.Now().After(deadline) {
			t.Fatal("the idle session was not unloaded")
		}
		clk.Advance(time.Minute)
		time.Sleep(5 * time.Millisecond)
	}
	e.watch(c.ID)
}

// Finding 6: a join sent again with the same id, on another connection or after an append
// whose outcome was unknown, gives the same participant and logs one join.
func TestJoinIdempotent(t *testing.T) {
	e, fs, clk := faultEnv(t, live.Options{})
	info, _ := startShared(t, e)
	joinAs := func(id string) msg {
		c := e.dial("Ann", false, "")
		c.send(map[string]any{"type": "join", "code": info.Code, "name": "Ann", "role": "bz", "id": id})
		return c.expect("welcome", nil)
	}
	id := uuid.NewString()
	first, second := joinAs(id), joinAs(id)
	if first.str("participant") == "" || first.str("participant") != second.str("participant") || first.str("token") != second.str("token") {
		t.Fatalf("two joins with one id: %v and %v", first, second)
	}
	fs.failNext(failAfter, 1)
	other := uuid.NewString()
	c := e.dial("Bas", false, "")
	c.send(map[string]any{"type": "join", "code": info.Code, "name": "Bas", "role": "def", "id": other})
	clk.waitArmed(t, 100*time.Millisecond)
	clk.Advance(100 * time.Millisecond)
	wel := c.expect("welcome", nil)
	if again := joinAs(other); again.str("participant") != wel.str("participant") {
		t.Fatalf("join after an unknown outcome: %v, then %v", wel, again)
	}
	if n := len(logged(t, fs, info.ID, "joined")); n != 2 {
		t.Fatalf("%d joins logged, want 2", n)
	}
	// The token works for a resume, and a malformed id is refused.
	r := e.dial("Ann resumed", false, "")
	r.send(map[string]any{"type": "resume", "token": first.str("token")})
	if w := r.expect("welcome", nil); w.str("participant") != first.str("participant") {
		t.Fatalf("resume with the join's token: %v", w)
	}
	bad := e.dial("Cor", false, "")
	bad.send(map[string]any{"type": "join", "code": info.Code, "name": "Cor", "id": "not-a-uuid"})
	bad.expectError("invalid")
}

// Finding 8: Shutdown closes every connection with a close frame and returns before its
// deadline, also for a connection that never said hello and would otherwise be waited for.
func TestShutdownClosesEveryConnection(t *testing.T) {
	e, _, _ := faultEnv(t, live.Options{HelloTimeout: time.Hour})
	info, f := startShared(t, e)
	ann := e.join(info.Code, "Ann", "bz", "")
	silent, err := e.dialErr(false, "")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	closed := make(chan error, 1)
	go func() {
		_, _, err := silent.ReadMessage()
		closed <- err
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := e.mgr.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	for _, c := range []*wsClient{ann, f} {
		if ce := c.waitClosed(); ce == nil || ce.Code != websocket.CloseGoingAway {
			t.Errorf("%s closed with %v, want 1001", c.name, ce)
		}
	}
	select {
	case err := <-closed:
		if !websocket.IsCloseError(err, websocket.CloseGoingAway) {
			t.Errorf("silent connection: %v, want close 1001", err)
		}
	case <-time.After(5 * time.Second):
		t.Error("the silent connection got no close frame")
	}
}

// Finding 9: the decision a close takes is in the stream, for the facilitator and the room,
// so no client has to fetch the report to learn it.
func TestDecidedEvent(t *testing.T) {
	e, _, _ := faultEnv(t, live.Options{})
	info, f := startShared(t, e)
	ann := e.join(info.Code, "Ann", "bz", "")
	f.command(map[string]any{"type": "start"})
	f.command(map[string]any{"type": "open", "question": "eerste-stap"})
	ann.answer(uuid.NewString(), "eerste-stap", map[string]any{"option": "partners-informeren"})
	ref := uuid.NewString()
	f.send(map[string]any{"type": "close", "question": "eerste-stap", "ref": ref})
	for _, c := range []*wsClient{f, ann} {
		d := c.expect("event", event("decided"))
		if d.str("question") != "eerste-stap" || d.obj("answer").str("option") != "partners-informeren" ||
			d.str("by") != "majority" || d.str("world") != "main" {
			t.Fatalf("%s: decided event %v", c.name, d)
		}
	}
	if ack := f.reply(ref); ack.str("type") != "ack" {
		t.Fatalf("close: %v", ack)
	}
}

// Finding 8, the other half: a peer that stopped reading while the server still had data for
// it. Its writer is blocked in a write that would only time out after WriteWait (an hour here);
// Shutdown closes the connection under it instead of waiting.
func TestShutdownBlockedWriter(t *testing.T) {
	e, _, _ := faultEnv(t, live.Options{WriteWait: time.Hour, QueueLen: 100000})
	info := e.create(server.CreateSession{Scenario: "quiz-welk-document", Scope: "shared"})
	f := e.watch(info.ID)
	// Small socket buffers on both ends, so that the server's writes to a peer that does not
	// read block after a few kilobytes.
	ts := httptest.NewUnstartedServer(e.srv.Config.Handler)
	ts.Listener = smallBuffers{ts.Listener}
	ts.Start()
	defer ts.Close()
	d := websocket.Dialer{HandshakeTimeout: 5 * time.Second, NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if tc, ok := c.(*net.TCPConn); ok {
			tc.SetReadBuffer(1024)
		}
		return c, err
	}}
	ws, _, err := d.Dial("ws"+strings.TrimPrefix(ts.URL, "http")+"/api/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	if err := ws.WriteJSON(map[string]any{"type": "join", "code": info.Code, "name": "Stil"}); err != nil {
		t.Fatal(err)
	}
	// From here on nothing reads ws. Every inject sends it an event and a world view.
	f.command(map[string]any{"type": "start"})
	// Move on until the playthrough ends (however many injects the quiz has).
	for range 50 {
		ref := uuid.NewString()
		f.send(map[string]any{"type": "next", "open": true, "ref": ref})
		m := f.reply(ref)
		if m.str("type") == "ack" {
			continue
		}
		if m.str("code") != string(server.EClosed) {
			t.Fatalf("next: %v", m)
		}
		break
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := e.mgr.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown with a peer that stopped reading: %v", err)
	}
}

// smallBuffers gives every accepted connection a small send buffer.
type smallBuffers struct{ net.Listener }

func (l smallBuffers) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetWriteBuffer(2048)
	}
	return c, err
}
