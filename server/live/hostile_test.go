package live_test

// The hostile test suite: what an attacker on the same network tries against a running
// server (HTTP and websocket, real SQLite store), one test per finding of the outside probe
// and per weak spot. SECURITY.md lists what each tries and what holds.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/gorilla/websocket"
	"github.com/paraat-nl/paraat/server"
	"github.com/paraat-nl/paraat/server/live"
)

// getStatus sends a GET with extra headers and returns the status, headers and body.
func getStatus(t *testing.T, url string, hdr map[string]string) (int, http.Header, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header, string(b)
}

// TestHostileStudyReportLeak (finding 1): the token of a live-session participant does not
// open the session's report through the self-study endpoint; a self-study token still does.
func TestHostileStudyReportLeak(t *testing.T) {
	t.Parallel()
	e := newEnv(t, newStore(t), live.Options{})
	info, f := startShared(t, e)
	ann := e.join(info.Code, "Ann", "bz", "")
	f.command(map[string]any{"type": "start"})
	f.command(map[string]any{"type": "open", "question": "eerste-stap"})
	ann.expect("event", event("open"))
	if m := ann.answer(uuid.NewString(), "eerste-stap", map[string]any{"option": "afwachten"}); m.str("type") != "ack" {
		t.Fatal(m)
	}
	st, _, body := getStatus(t, e.srv.URL+"/api/study/report?token="+ann.token, nil)
	if st != http.StatusUnauthorized || strings.Contains(body, "afwachten") || strings.Contains(body, "Ann") {
		t.Fatalf("a live participant's token gave the session report: %d %.200s", st, body)
	}
	var ss server.StudyStart
	e.csrf = ""
	if code := e.do("POST", "/api/study", map[string]any{"scenario": "voorbeeld"}, &ss); code != 201 {
		t.Fatalf("study: %d", code)
	}
	if st, _, _ := getStatus(t, e.srv.URL+"/api/study/report?token="+ss.Token, nil); st != 200 {
		t.Fatalf("self-study report: %d", st)
	}
}

// TestHostileLoginFlood (finding 2): 50 concurrent wrong logins for one account from one
// address: at most LoginFailures of them reach the password check, the rest are refused at
// once with 429, Retry-After and a reference. The right password is then refused too.
func TestHostileLoginFlood(t *testing.T) {
	t.Parallel()
	e := newEnv(t, newStore(t), live.Options{})
	const n = 50
	var wg sync.WaitGroup
	var mu sync.Mutex
	status := map[int]int{}
	var limited []map[string]any
	for range n {
		wg.Go(func() {
			res, err := http.Post(e.srv.URL+"/api/login", "application/json", strings.NewReader(`{"name":"bob","password":"wrong password"}`))
			if err != nil {
				t.Error(err)
				return
			}
			defer res.Body.Close()
			var body struct{ Error map[string]any }
			json.NewDecoder(res.Body).Decode(&body)
			mu.Lock()
			defer mu.Unlock()
			status[res.StatusCode]++
			if res.StatusCode == 429 {
				if res.Header.Get("Retry-After") == "" {
					t.Errorf("429 without Retry-After")
				}
				limited = append(limited, body.Error)
			}
		})
	}
	wg.Wait()
	if status[401] > server.LoginFailures || status[401]+status[429] != n {
		t.Fatalf("statuses %v: want at most %d password checks and the rest 429", status, server.LoginFailures)
	}
	for _, b := range limited {
		if b["code"] != "rate_limited" || b["retry_after_ms"] == nil || !strings.HasPrefix(fmt.Sprint(b["reference"]), "rl-") {
			t.Fatalf("rate_limited without retry_after_ms or reference: %v", b)
		}
	}
	if st := e.do("POST", "/api/login", map[string]string{"name": "bob", "password": "another long password"}, nil); st != 429 {
		t.Fatalf("right password after the flood: %d, want 429", st)
	}
	t.Logf("%v", status)
}

// TestHostileHelloDeadline (finding 3): a socket that answers every ping but never sends
// join, resume or watch is closed at the hello deadline.
func TestHostileHelloDeadline(t *testing.T) {
	t.Parallel()
	e := newEnv(t, newStore(t), live.Options{HelloTimeout: 300 * time.Millisecond, PingPeriod: 20 * time.Millisecond, PongWait: time.Hour})
	c := e.dial("silent", false, "") // its reader answers pings with pongs
	if ce := c.waitClosed(); ce == nil || ce.Code != server.CloseNoHello {
		t.Fatalf("closed with %v, want %d", ce, server.CloseNoHello)
	}
}

// TestHostileConnectionCaps (finding 3): connections per address and in all are capped; the
// refusal comes before the upgrade, with Retry-After, and a closed connection frees its place.
func TestHostileConnectionCaps(t *testing.T) {
	t.Parallel()
	e := newEnvTuned(t, newStore(t), live.Options{}, func(c *server.Config) {
		c.MaxConnsPerAddr, c.MaxConns = 3, 5
		c.TrustedProxies, _ = server.ParseProxies("127.0.0.1")
	})
	dial := func(forwarded string) (*websocket.Conn, int, http.Header) {
		h := http.Header{}
		if forwarded != "" {
			h.Set("X-Forwarded-For", forwarded)
		}
		d := websocket.Dialer{HandshakeTimeout: 5 * time.Second}
		c, res, err := d.Dial("ws"+strings.TrimPrefix(e.srv.URL, "http")+"/api/ws", h)
		if err != nil {
			if res == nil {
				t.Fatal(err)
			}
			return nil, res.StatusCode, res.Header
		}
		t.Cleanup(func() { c.Close() })
		return c, 101, nil
	}
	var first *websocket.Conn
	for i := range 3 {
		c, st, _ := dial("192.0.2.1")
		if st != 101 {
			t.Fatalf("connection %d from one address: %d", i, st)
		}
		if i == 0 {
			first = c
		}
	}
	if _, st, h := dial("192.0.2.1"); st != 429 || h.Get("Retry-After") == "" {
		t.Fatalf("fourth connection from one address: %d %v", st, h)
	}
	for i := range 2 {
		if _, st, _ := dial(fmt.Sprintf("192.0.2.%d", 10+i)); st != 101 {
			t.Fatalf("another address: %d", st)
		}
	}
	if _, st, h := dial("192.0.2.99"); st != 503 || h.Get("Retry-After") == "" {
		t.Fatalf("connection over the overall cap: %d", st)
	}
	first.Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, st, _ := dial("192.0.2.1"); st == 101 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("a closed connection did not free its place")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestHostileJoinCodeRace (finding 4): 120 concurrent wrong codes from one address, over
// HTTP and the websocket together: at most CodeFailures are looked up.
func TestHostileJoinCodeRace(t *testing.T) {
	t.Parallel()
	// Lookups wait at a gate until 35 are under way (or two seconds passed), so that the
	// guesses overlap as they would on a busy server: a guard that checks before it counts
	// lets all of them through.
	e := newEnv(t, &gatedStore{Store: newStore(t), gate: 35}, live.Options{})
	const n = 120
	var wg sync.WaitGroup
	var mu sync.Mutex
	codes := map[string]int{}
	for i := range n {
		wg.Go(func() {
			code := "?"
			if i%2 == 0 {
				st, _, _ := getStatus(t, e.srv.URL+"/api/join/"+wrongCode("ZZZZ", i), nil)
				code = map[int]string{404: "not_found", 429: "rate_limited"}[st]
			} else {
				c, err := e.dialErr(false, "")
				if err != nil {
					t.Error(err)
					return
				}
				defer c.Close()
				c.WriteJSON(map[string]any{"type": "join", "code": wrongCode("YYYY", i), "name": "x"})
				var m struct{ Code string }
				c.SetReadDeadline(time.Now().Add(10 * time.Second))
				if err := c.ReadJSON(&m); err != nil {
					t.Error(err)
					return
				}
				code = m.Code
			}
			mu.Lock()
			codes[code]++
			mu.Unlock()
		})
	}
	wg.Wait()
	if codes["not_found"] > server.CodeFailures || codes["not_found"]+codes["rate_limited"] != n {
		t.Fatalf("%v: want at most %d codes looked up, the rest rate_limited", codes, server.CodeFailures)
	}
}

// TestHostileAnswerShape (finding 5): an answer with a field of another question type is
// refused with invalid and stored nowhere; each type takes only its own fields.
func TestHostileAnswerShape(t *testing.T) {
	t.Parallel()
	e := newEnv(t, newStore(t), live.Options{})
	var st server.StudyStart
	e.csrf = ""
	if code := e.do("POST", "/api/study", map[string]any{"scenario": "voorbeeld", "name": "Lea"}, &st); code != 201 {
		t.Fatalf("study: %d", code)
	}
	c := e.dial("Lea", false, "")
	c.send(map[string]any{"type": "resume", "token": st.Token})
	c.expect("snapshot", nil)
	c.refused(map[string]any{"type": "answer", "id": uuid.NewString(), "question": "eerste-stap",
		"answer": map[string]any{"option": "partners-informeren", "number": 3}}, "invalid")
	c.refused(map[string]any{"type": "answer", "id": uuid.NewString(), "question": "eerste-stap",
		"answer": map[string]any{"option": "partners-informeren", "text": "x"}}, "invalid")
	c.refused(map[string]any{"type": "answer", "id": uuid.NewString(), "question": "eerste-stap",
		"answer": map[string]any{"option": "partners-informeren", "colour": "red"}}, "bad_json")
	if m := c.answer(uuid.NewString(), "eerste-stap", map[string]any{"option": "partners-informeren"}); m.str("type") != "ack" {
		t.Fatal(m)
	}
	c.send(map[string]any{"type": "next"})
	c.expect("world", func(m msg) bool { return m.obj("world").obj("inject").str("id") == "onderzoek" })
	c.refused(map[string]any{"type": "answer", "id": uuid.NewString(), "question": "bbp-doel",
		"answer": map[string]any{"number": 3.5, "option": "sancties"}}, "invalid")
	c.refused(map[string]any{"type": "answer", "id": uuid.NewString(), "question": "bbp-doel",
		"answer": map[string]any{"number": 1e300}}, "invalid")
	if m := c.answer(uuid.NewString(), "bbp-doel", map[string]any{"number": 3.5}); m.str("type") != "ack" {
		t.Fatal(m)
	}
	// The report shows the answer as given, without the refused ones.
	_, _, body := getStatus(t, e.srv.URL+"/api/study/report?token="+st.Token, nil)
	if strings.Contains(body, `"number":3.5,"option"`) || strings.Contains(body, "1e+300") {
		t.Fatalf("a refused answer is in the report: %.300s", body)
	}
}

// TestHostilePingFlood (finding 6): pings count against the rate limit; a peer that keeps
// pinging far above it gets no more pongs and is closed with 1008.
func TestHostilePingFlood(t *testing.T) {
	t.Parallel()
	e := newEnv(t, newStore(t), live.Options{})
	info, _ := startShared(t, e)
	ann := e.join(info.Code, "Ann", "bz", "")
	var pongs int
	var mu sync.Mutex
	ann.c.SetPongHandler(func(string) error { mu.Lock(); pongs++; mu.Unlock(); return nil })
	const n = 2000
	for i := range n {
		if err := ann.c.WriteControl(websocket.PingMessage, nil, time.Now().Add(time.Second)); err != nil {
			t.Logf("write failed after %d pings: %v", i, err)
			break
		}
	}
	// Closed with 1008; the close frame may be lost to the reset that closing a socket with
	// unread pings in its buffer causes, so a reset counts too.
	if ce := ann.waitClosed(); ce != nil && ce.Code != websocket.ClosePolicyViolation && ce.Code != websocket.CloseAbnormalClosure {
		t.Fatalf("closed with %v, want 1008", ce)
	}
	mu.Lock()
	defer mu.Unlock()
	if pongs >= n/2 {
		t.Fatalf("%d pongs for %d pings", pongs, n)
	}
	t.Logf("%d pongs for %d pings", pongs, n)
}

// TestHostileEndedSessionFrozen: after the end, the owner can reveal, remove or reopen
// nothing; the log is the record.
func TestHostileEndedSessionFrozen(t *testing.T) {
	t.Parallel()
	e := newEnv(t, newStore(t), live.Options{})
	info, f := startShared(t, e)
	ann := e.join(info.Code, "Ann", "bz", "")
	f.command(map[string]any{"type": "start"})
	f.command(map[string]any{"type": "open", "question": "eerste-stap"})
	ann.expect("event", event("open"))
	ann.answer(uuid.NewString(), "eerste-stap", map[string]any{"option": "afwachten"})
	f.command(map[string]any{"type": "close", "question": "eerste-stap"})
	f.command(map[string]any{"type": "end"})
	f.waitClosed()
	g := e.watch(info.ID)
	g.refused(map[string]any{"type": "reveal", "question": "eerste-stap"}, "closed")
	g.refused(map[string]any{"type": "remove", "participant": ann.pid}, "closed")
	g.refused(map[string]any{"type": "rubric", "participant": ann.pid, "question": "toelichting"}, "closed")
}

// TestHostileNumbers: numbers that would overflow where they become durations are refused.
func TestHostileNumbers(t *testing.T) {
	t.Parallel()
	e := newEnv(t, newStore(t), live.Options{})
	for _, ms := range []int64{-1, 7*24*3600*1000 + 1, 9223372036855, 1 << 62} {
		if st := e.do("POST", "/api/sessions", map[string]any{"scenario": "voorbeeld", "expires_in_ms": ms}, nil); st != 400 {
			t.Errorf("expires_in_ms %d: %d, want 400", ms, st)
		}
	}
	_, f := startShared(t, e)
	f.command(map[string]any{"type": "start"})
	f.refused(map[string]any{"type": "open", "question": "eerste-stap", "time_limit_ms": int64(1) << 62}, "invalid")
	f.refused(map[string]any{"type": "open", "question": "eerste-stap", "time_limit_ms": 86400001}, "invalid")
	f.command(map[string]any{"type": "open", "question": "eerste-stap", "time_limit_ms": 60000})
}

// TestHostileHeaders: every response, the UI, the API, errors and reports, carries the
// security headers; reports are not cached.
func TestHostileHeaders(t *testing.T) {
	t.Parallel()
	e := newEnv(t, newStore(t), live.Options{})
	info := e.create(server.CreateSession{Scenario: "voorbeeld"})
	for _, path := range []string{"/", "/api/scenarios", "/api/nope", "/join/ABCD-EFGH", "/api/sessions/" + info.ID + "/report.csv", "/sessions/" + info.ID + "/report"} {
		req, _ := http.NewRequest("GET", e.srv.URL+path, nil)
		res, err := e.http.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		h := res.Header
		if h.Get("X-Frame-Options") != "DENY" || !strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") ||
			h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") == "" || h.Get("Permissions-Policy") == "" {
			t.Errorf("%s: headers %v", path, h)
		}
		if strings.Contains(path, "report") && h.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: Cache-Control %q", path, h.Get("Cache-Control"))
		}
	}
}

// TestHostileOrigin: the Origin check includes the scheme and, without a base URL, accepts
// the request's own host only as an IP address or localhost (no DNS rebinding).
func TestHostileOrigin(t *testing.T) {
	t.Parallel()
	e := newEnv(t, newStore(t), live.Options{})
	host := strings.TrimPrefix(e.srv.URL, "http://")
	for origin, want := range map[string]bool{
		"http://" + host:                 true,
		"https://trusted.example":        true,
		"http://trusted.example":         false, // scheme differs
		"https://" + host:                false,
		"http://evil.example:1234":       false,
		"http://trusted.example.evil.nl": false,
	} {
		c, err := e.dialErr(false, origin)
		if got := err == nil; got != want {
			t.Errorf("Origin %s: accepted %v, want %v (%v)", origin, got, want, err)
		}
		if c != nil {
			c.Close()
		}
	}
	// A rebound name: the Host header and the Origin agree, but the name is not the server's.
	port := strings.Split(host, ":")[1]
	req, _ := http.NewRequest("GET", e.srv.URL+"/api/ws", nil)
	req.Host = "rebind.example:" + port
	req.Header.Set("Origin", "http://rebind.example:"+port)
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", "websocket")
	req.Header.Set("Sec-WebSocket-Version", "13")
	req.Header.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusForbidden {
		t.Fatalf("rebound origin: %d, want 403", res.StatusCode)
	}
}

// TestHostileLogoutEverywhere: logging out, a new password and losing the admin right end
// the user's other logins and close their websockets with 4010.
func TestHostileLogoutEverywhere(t *testing.T) {
	t.Parallel()
	e := newEnv(t, newStore(t), live.Options{})
	info := e.create(server.CreateSession{Scenario: "voorbeeld"})
	second := func() (*http.Client, *wsClient) {
		jar, _ := cookiejar.New(nil)
		other := &env{t: t, srv: e.srv, http: &http.Client{Jar: jar, Timeout: 10 * time.Second}}
		other.login("anna", "correct horse battery")
		f := other.watch(info.ID)
		return other.http, f
	}
	me := func(c *http.Client) int {
		res, err := c.Get(e.srv.URL + "/api/me")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	c2, f2 := second()
	if st := e.do("POST", "/api/logout", nil, nil); st != 204 {
		t.Fatalf("logout: %d", st)
	}
	if st := me(c2); st != 401 {
		t.Fatalf("the other login after logout: %d", st)
	}
	if ce := f2.waitClosed(); ce == nil || ce.Code != server.CloseLoggedOut {
		t.Fatalf("the other socket after logout: %v", ce)
	}

	// A new password set while the server runs (paraat user add on the same database).
	c3, f3 := second()
	if err := e.store.PutUser(context.Background(), server.User{Name: "anna", Hash: server.TestKDF.Hash("a brand new password")}); err != nil {
		t.Fatal(err)
	}
	e.handler.Revalidate(context.Background())
	if ce := f3.waitClosed(); ce == nil || ce.Code != server.CloseLoggedOut {
		t.Fatalf("socket after a new password: %v", ce)
	}
	if st := me(c3); st != 401 {
		t.Fatalf("login after a new password: %d", st)
	}
}

// TestHostileStudyFlood: self-study runs are limited per address; the refusal says when to
// retry.
func TestHostileStudyFlood(t *testing.T) {
	t.Parallel()
	e := newEnvTuned(t, newStore(t), live.Options{}, func(c *server.Config) { c.StudyPerMinute = 3 })
	e.csrf = ""
	for i := range 3 {
		if st := e.do("POST", "/api/study", map[string]any{"scenario": "voorbeeld"}, nil); st != 201 {
			t.Fatalf("run %d: %d", i, st)
		}
	}
	var out struct{ Error server.Error }
	if st := e.do("POST", "/api/study", map[string]any{"scenario": "voorbeeld"}, &out); st != 429 || out.Error.RetryAfterMS <= 0 {
		t.Fatalf("run over the limit: %d %+v", st, out)
	}
}

// TestHostileForwardedFor: X-Forwarded-For counts only from a trusted proxy; from anyone
// else it is ignored, so a guesser cannot claim a fresh address per request.
func TestHostileForwardedFor(t *testing.T) {
	t.Parallel()
	e := newEnv(t, newStore(t), live.Options{}) // no trusted proxies
	for i := range server.CodeFailures {
		st, _, _ := getStatus(t, fmt.Sprintf("%s/api/join/ZZZZ%04d", e.srv.URL, i), map[string]string{"X-Forwarded-For": fmt.Sprintf("198.51.100.%d", i)})
		if st != 404 {
			t.Fatalf("wrong code %d: %d", i, st)
		}
	}
	if st, _, _ := getStatus(t, e.srv.URL+"/api/join/ZZZZ9999", map[string]string{"X-Forwarded-For": "203.0.113.1"}); st != 429 {
		t.Fatalf("a forged X-Forwarded-For escaped the limit: %d", st)
	}

	p := newEnvTuned(t, newStore(t), live.Options{}, func(c *server.Config) { c.TrustedProxies, _ = server.ParseProxies("127.0.0.0/8") })
	for i := range server.CodeFailures {
		getStatus(t, fmt.Sprintf("%s/api/join/ZZZZ%04d", p.srv.URL, i), map[string]string{"X-Forwarded-For": "198.51.100.7"})
	}
	// Behind the proxy, another client is another address; a client cannot hide behind a
	// forged entry left of the proxy's.
	if st, _, _ := getStatus(t, p.srv.URL+"/api/join/ZZZZ9999", map[string]string{"X-Forwarded-For": "198.51.100.8"}); st != 404 {
		t.Fatalf("another client behind the proxy: %d, want 404", st)
	}
	if st, _, _ := getStatus(t, p.srv.URL+"/api/join/ZZZZ9999", map[string]string{"X-Forwarded-For": "203.0.113.9, 198.51.100.7"}); st != 429 {
		t.Fatalf("a forged entry escaped the limit: %d, want 429", st)
	}
}

// wrongCode is a well-formed join code that no session has (codes are random, and a test
// session's code starting with ZZZZ or YYYY and matching is a one in a million chance).
func wrongCode(prefix string, i int) string {
	const alphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
	return prefix + string([]byte{alphabet[i/29791%31], alphabet[i/961%31], alphabet[i/31%31], alphabet[i%31]})
}

// gatedStore is the SQLite store with code lookups held at a gate until gate of them are
// under way at once, or two seconds passed.
type gatedStore struct {
	server.Store
	gate int

	mu      sync.Mutex
	waiting int
	open    chan struct{}
}

func (g *gatedStore) SessionByCode(ctx context.Context, code string) (server.SessionRow, error) {
	g.mu.Lock()
	if g.open == nil {
		g.open = make(chan struct{})
	}
	open := g.open
	if g.waiting++; g.waiting == g.gate {
		close(open)
	}
	g.mu.Unlock()
	select {
	case <-open:
	case <-time.After(2 * time.Second):
	}
	return g.Store.SessionByCode(ctx, code)
}
