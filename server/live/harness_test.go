package live_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/uuid"
	"github.com/gorilla/websocket"
	"github.com/paraat-nl/paraat/engine"
	"github.com/paraat-nl/paraat/internal/builtin"
	"github.com/paraat-nl/paraat/server"
	"github.com/paraat-nl/paraat/server/live"
)

// library is the built-in library, loaded once for all tests, which may run in parallel.
func library(t testing.TB) *engine.Library {
	t.Helper()
	lib, diags := builtin.Library()
	if diags.Errors() > 0 {
		t.Fatalf("library: %v", diags.Err())
	}
	return lib
}

// env is a running server (store, live manager, HTTP) and a logged-in facilitator.
type env struct {
	t     *testing.T
	store server.Store
	opts  live.Options
	mgr   *live.Manager
	srv   *httptest.Server
	http  *http.Client
	csrf  string

	tune    func(*server.Config)
	handler *server.Server
}

func newEnv(t *testing.T, store server.Store, opts live.Options) *env {
	t.Helper()
	return newEnvTuned(t, store, opts, nil)
}

// newEnvTuned is newEnv with tune applied to the HTTP server's configuration.
func newEnvTuned(t *testing.T, store server.Store, opts live.Options, tune func(*server.Config)) *env {
	t.Helper()
	if opts.Codes == nil {
		opts.Codes = server.NewCodeGuard(nil) // shared by HTTP and websocket, as paraat serve does
	}
	e := &env{t: t, store: store, opts: opts, tune: tune}
	if err := store.PutUser(context.Background(), server.User{Name: "anna", Hash: server.TestKDF.Hash("correct horse battery")}); err != nil {
		t.Fatal(err)
	}
	if err := store.PutUser(context.Background(), server.User{Name: "bob", Hash: server.TestKDF.Hash("another long password")}); err != nil {
		t.Fatal(err)
	}
	e.start()
	jar, _ := cookiejar.New(nil)
	e.http = &http.Client{Jar: jar, Timeout: 10 * time.Second}
	e.login("anna", "correct horse battery")
	t.Cleanup(e.stop)
	return e
}

func (e *env) start() {
	e.t.Helper()
	e.mgr = live.New(e.store, library(e.t), e.opts)
	if err := e.mgr.Start(context.Background()); err != nil {
		e.t.Fatal(err)
	}
	cfg := server.Config{Store: e.store, Library: library(e.t), Live: e.mgr,
		Web: fstest.MapFS{"index.html": {Data: []byte("<p>ui</p>")}}, Origins: []string{"https://trusted.example"}, KDF: server.TestKDF,
		Codes: e.opts.Codes}
	if e.tune != nil {
		e.tune(&cfg)
	}
	srv, err := server.New(cfg)
	e.handler = srv
	if err != nil {
		e.t.Fatal(err)
	}
	if e.srv == nil {
		e.srv = httptest.NewServer(srv)
	} else {
		// Same address after a restart, so that cookies and URLs stay valid.
		e.srv.Config.Handler = srv
	}
}

func (e *env) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := e.mgr.Shutdown(ctx); err != nil {
		e.t.Errorf("shutdown: %v", err)
	}
	if err := e.mgr.Shutdown(ctx); err != nil { // twice is fine
		e.t.Errorf("second shutdown: %v", err)
	}
	e.srv.Close()
}

// restart stops the live layer as a crash would leave it (the store keeps what was
// acknowledged) and starts a new one on the same store.
func (e *env) restart() {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := e.mgr.Shutdown(ctx); err != nil {
		e.t.Fatalf("shutdown: %v", err)
	}
	e.start()
	// Logins are kept in memory: log in again.
	e.login("anna", "correct horse battery")
}

func (e *env) login(name, pw string) {
	e.t.Helper()
	var me struct{ CSRF string }
	if st := e.do("POST", "/api/login", map[string]string{"name": name, "password": pw}, &me); st != 200 {
		e.t.Fatalf("login: status %d", st)
	}
	e.csrf = me.CSRF
}

// do sends a JSON request with the CSRF token and decodes the answer into out.
func (e *env) do(method, path string, body, out any) int {
	e.t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, e.srv.URL+path, r)
	req.Header.Set("Content-Type", "application/json")
	if e.csrf != "" {
		req.Header.Set("X-CSRF-Token", e.csrf)
	}
	res, err := e.http.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			e.t.Fatalf("%s %s: %v in %s", method, path, err, data)
		}
	}
	return res.StatusCode
}

func (e *env) create(req server.CreateSession) server.SessionInfo {
	e.t.Helper()
	var info server.SessionInfo
	if st := e.do("POST", "/api/sessions", req, &info); st != 201 {
		e.t.Fatalf("create session: status %d", st)
	}
	return info
}

// ---- websocket clients ----

type msg map[string]any

func (m msg) str(k string) string  { s, _ := m[k].(string); return s }
func (m msg) num(k string) float64 { f, _ := m[k].(float64); return f }
func (m msg) obj(k string) msg {
	o, _ := m[k].(map[string]any)
	return msg(o)
}

type wsClient struct {
	t       *testing.T
	name    string
	c       *websocket.Conn
	in      chan msg
	closed  chan struct{}
	closeEv *websocket.CloseError
	seq     int64
	token   string
	pid     string
}

func (e *env) dial(name string, withCookies bool, origin string) *wsClient {
	e.t.Helper()
	c, err := e.dialErr(withCookies, origin)
	if err != nil {
		e.t.Fatalf("dial: %v", err)
	}
	return e.wrap(name, c)
}

func (e *env) dialErr(withCookies bool, origin string) (*websocket.Conn, error) {
	h := http.Header{}
	if origin != "" {
		h.Set("Origin", origin)
	}
	d := websocket.Dialer{HandshakeTimeout: 5 * time.Second}
	if withCookies {
		d.Jar = e.http.Jar
	}
	url := "ws" + strings.TrimPrefix(e.srv.URL, "http") + "/api/ws"
	c, res, err := d.Dial(url, h)
	if res != nil && res.Body != nil {
		res.Body.Close()
	}
	return c, err
}

func (e *env) wrap(name string, c *websocket.Conn) *wsClient {
	w := &wsClient{t: e.t, name: name, c: c, in: make(chan msg, 1024), closed: make(chan struct{})}
	go func() {
		defer close(w.closed)
		for {
			_, data, err := c.ReadMessage()
			if err != nil {
				if ce, ok := err.(*websocket.CloseError); ok {
					w.closeEv = ce
				}
				return
			}
			var m msg
			if err := json.Unmarshal(data, &m); err != nil {
				e.t.Errorf("%s: bad server JSON %s", name, data)
				return
			}
			if _, ok := m["seq"]; !ok {
				e.t.Errorf("%s: server message without seq: %s", name, data)
			}
			w.in <- m
		}
	}()
	e.t.Cleanup(func() { c.Close() })
	return w
}

func (w *wsClient) send(v any) {
	w.t.Helper()
	if err := w.c.WriteJSON(v); err != nil {
		w.t.Fatalf("%s: send: %v", w.name, err)
	}
}

func (w *wsClient) sendRaw(data []byte) {
	w.t.Helper()
	if err := w.c.WriteMessage(websocket.TextMessage, data); err != nil {
		w.t.Fatalf("%s: send: %v", w.name, err)
	}
}

// expect reads until a message of type typ for which ok holds (nil: any) arrives.
func (w *wsClient) expect(typ string, ok func(msg) bool) msg {
	w.t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case m := <-w.in:
			if s := int64(m.num("seq")); s > w.seq {
				w.seq = s
			}
			if m.str("type") == typ && (ok == nil || ok(m)) {
				return m
			}
			if m.str("type") == "error" && typ != "error" {
				w.t.Logf("%s: (unexpected error %v)", w.name, m)
			}
		case <-w.closed:
			if len(w.in) > 0 {
				continue // messages that arrived before the close frame come first
			}
			w.t.Fatalf("%s: connection closed (%v) while waiting for %s", w.name, w.closeEv, typ)
		case <-timeout:
			w.t.Fatalf("%s: no %s message within 5s", w.name, typ)
		}
	}
}

func (w *wsClient) expectError(code string) msg {
	w.t.Helper()
	return w.expect("error", func(m msg) bool {
		if m.str("code") != code {
			w.t.Errorf("%s: got error %s (%s), want %s", w.name, m.str("code"), m.str("message"), code)
		}
		if m.str("message") == "" {
			w.t.Errorf("%s: error %s without a message", w.name, code)
		}
		return true
	})
}

func (w *wsClient) waitClosed() *websocket.CloseError {
	w.t.Helper()
	select {
	case <-w.closed:
		return w.closeEv
	case <-time.After(5 * time.Second):
		w.t.Fatalf("%s: not closed", w.name)
	}
	return nil
}

func event(kind string) func(msg) bool {
	return func(m msg) bool { return m.str("kind") == kind }
}

func (e *env) join(code, name, role, team string) *wsClient {
	e.t.Helper()
	w := e.dial(name, false, "")
	w.send(map[string]any{"type": "join", "code": code, "name": name, "role": role, "team": team})
	wel := w.expect("welcome", nil)
	w.token, w.pid = wel.str("token"), wel.str("participant")
	if w.token == "" || w.pid == "" {
		e.t.Fatalf("%s: welcome without token: %v", name, wel)
	}
	w.expect("snapshot", nil)
	return w
}

func (e *env) watch(session string) *wsClient {
	e.t.Helper()
	f := e.dial("facilitator", true, "")
	f.send(map[string]any{"type": "watch", "session": session})
	f.expect("welcome", func(m msg) bool { return m["facilitator"] == true })
	f.expect("snapshot", nil)
	return f
}

// command sends a facilitator command and waits for its ack.
func (w *wsClient) command(v map[string]any) msg {
	w.t.Helper()
	ref := uuid.NewString()
	v["ref"] = ref
	w.send(v)
	m := w.reply(ref)
	if m.str("type") != "ack" {
		w.t.Fatalf("%s: %v: %v", w.name, v, m)
	}
	return m
}

// answer sends an answer and returns its ack or error.
func (w *wsClient) answer(id, question string, a map[string]any) msg {
	w.t.Helper()
	ref := uuid.NewString()
	w.send(map[string]any{"type": "answer", "ref": ref, "id": id, "question": question, "answer": a})
	return w.reply(ref)
}

// reply waits for the ack or error with the given ref.
func (w *wsClient) reply(ref string) msg {
	w.t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case m := <-w.in:
			if s := int64(m.num("seq")); s > w.seq {
				w.seq = s
			}
			if m.str("ref") == ref {
				return m
			}
		case <-w.closed:
			if len(w.in) > 0 {
				continue
			}
			w.t.Fatalf("%s: closed (%v) waiting for a reply", w.name, w.closeEv)
		case <-timeout:
			w.t.Fatalf("%s: no reply", w.name)
		}
	}
}

// refused sends a command and expects an error with code.
func (w *wsClient) refused(v map[string]any, code string) msg {
	w.t.Helper()
	ref := uuid.NewString()
	v["ref"] = ref
	w.send(v)
	m := w.reply(ref)
	if m.str("type") != "error" || m.str("code") != code || m.str("message") == "" {
		w.t.Fatalf("%s: %v: got %v, want error %s", w.name, v, m, code)
	}
	return m
}
