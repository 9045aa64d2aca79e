package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"testing/fstest"

	"github.com/paraat-nl/paraat/server"
	"github.com/paraat-nl/paraat/server/live"
	"github.com/paraat-nl/paraat/server/sqlite"
)

// bodyFuzz is a real server (SQLite store, live layer) driven in-process, with a logged-in
// facilitator, for fuzzing the JSON bodies of the HTTP API.
type bodyFuzz struct {
	h      http.Handler
	cookie *http.Cookie
	csrf   string
	addr   atomic.Int64
}

func newBodyFuzz(f *testing.F) *bodyFuzz {
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(f.TempDir(), "fuzz.db"))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { store.Close() })
	lib := builtinLib(f)
	mgr := live.New(store, lib, live.Options{})
	f.Cleanup(func() { mgr.Shutdown(ctx) })
	// Limits per address stay on; each request comes from an address of its own so that the
	// fuzzer reaches the handlers behind them.
	srv, err := server.New(server.Config{Store: store, Library: lib, Live: mgr, Web: fstest.MapFS{}, KDF: server.TestKDF})
	if err != nil {
		f.Fatal(err)
	}
	if err := store.PutUser(ctx, server.User{Name: "anna", Hash: server.TestKDF.Hash("correct horse battery")}); err != nil {
		f.Fatal(err)
	}
	b := &bodyFuzz{h: srv}
	res := b.post("/api/login", `{"name":"anna","password":"correct horse battery"}`, false)
	var me struct{ CSRF string }
	if res.Code != 200 || json.Unmarshal(res.Body.Bytes(), &me) != nil || len(res.Result().Cookies()) == 0 {
		f.Fatalf("login: %d %s", res.Code, res.Body)
	}
	b.cookie, b.csrf = res.Result().Cookies()[0], me.CSRF
	return b
}

func (b *bodyFuzz) post(path, body string, asFacilitator bool) *httptest.ResponseRecorder {
	req := httptest.NewRequest("POST", path, strings.NewReader(body))
	n := b.addr.Add(1)
	req.RemoteAddr = fmt.Sprintf("10.%d.%d.%d:4000", n>>16&255, n>>8&255, n&255)
	req.Header.Set("Content-Type", "application/json")
	if asFacilitator {
		req.AddCookie(b.cookie)
		req.Header.Set("X-CSRF-Token", b.csrf)
	}
	res := httptest.NewRecorder()
	b.h.ServeHTTP(res, req)
	return res
}

// check holds for every answer to a fuzzed body: an allowed status, never a 500, and a
// refusal as JSON with a documented code and a message.
func (b *bodyFuzz) check(t *testing.T, res *httptest.ResponseRecorder, allowed ...int) {
	t.Helper()
	ok := false
	for _, s := range allowed {
		ok = ok || res.Code == s
	}
	if !ok {
		t.Fatalf("status %d: %s", res.Code, res.Body)
	}
	if res.Header().Get("X-Frame-Options") != "DENY" || res.Header().Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("security headers missing: %v", res.Header())
	}
	if res.Code < 300 {
		return
	}
	var e struct{ Error server.Error }
	if err := json.Unmarshal(res.Body.Bytes(), &e); err != nil || e.Error.Code == "" || e.Error.Message == "" {
		t.Fatalf("refusal without a coded error: %d %s", res.Code, res.Body)
	}
	if e.Error.Code.Status() != res.Code {
		t.Fatalf("code %s with status %d", e.Error.Code, res.Code)
	}
}

var bodySeeds = []string{"", "{}", "null", "[]", `{"x":1}`, "{", `"text"`, "1e999", `{"name":"\u0000"}`, strings.Repeat("[", 10000)}

// FuzzLoginBody: POST /api/login never fails with a 500 and logs in only with the right
// password.
func FuzzLoginBody(f *testing.F) {
	b := newBodyFuzz(f)
	for _, s := range append(bodySeeds, `{"name":"anna","password":"wrong"}`, `{"name":"anna","password":"correct horse battery"}`,
		`{"name":"anna","password":"correct horse battery","admin":true}`, `{"name":1,"password":[]}`, `{"name":"`+strings.Repeat("a", 70000)+`"}`) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		res := b.post("/api/login", body, false)
		b.check(t, res, 200, 400, 401, 413, 429, 503)
		if res.Code == 200 && !strings.Contains(body, "correct horse battery") {
			t.Fatalf("logged in with %q", body)
		}
	})
}

// FuzzCreateSessionBody: POST /api/sessions refuses every malformed or out-of-range body
// with a coded error, and a created session has a join code.
func FuzzCreateSessionBody(f *testing.F) {
	b := newBodyFuzz(f)
	for _, s := range append(bodySeeds, `{"scenario":"voorbeeld"}`, `{"scenario":"voorbeeld","scope":"team","teams":[{"id":"rood","name":{"nl":"Rood","en":"Red"}}]}`,
		`{"scenario":"voorbeeld","expires_in_ms":9223372036855}`, `{"scenario":"voorbeeld","expires_in_ms":-1}`, `{"scenario":"voorbeeld","roles":["bz","bz"]}`,
		`{"scenario":"voorbeeld","lens":"nope"}`, `{"scenario":"voorbeeld","scope":"participant","teams":[{"id":"-x"}]}`) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		res := b.post("/api/sessions", body, true)
		b.check(t, res, 201, 400, 404, 413)
		if res.Code == 201 {
			var info server.SessionInfo
			if err := json.Unmarshal(res.Body.Bytes(), &info); err != nil || info.Code == "" || info.ID == "" {
				t.Fatalf("created without a code: %s", res.Body)
			}
		}
	})
}

// FuzzStudyBody: POST /api/study starts a run only for a scenario of the library and a clean
// name, and refuses everything else with a coded error.
func FuzzStudyBody(f *testing.F) {
	b := newBodyFuzz(f)
	for _, s := range append(bodySeeds, `{"scenario":"voorbeeld"}`, `{"scenario":"voorbeeld","name":"Lea","lens":"glpvda-2023"}`,
		`{"scenario":"voorbeeld","name":"\u202eevil"}`, `{"scenario":"../etc/passwd"}`, `{"scenario":"voorbeeld","name":"`+strings.Repeat("x", 500)+`"}`) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		res := b.post("/api/study", body, false)
		b.check(t, res, 201, 400, 404, 413, 429)
		if res.Code == 201 {
			var st server.StudyStart
			if err := json.Unmarshal(res.Body.Bytes(), &st); err != nil || st.Token == "" || !strings.HasPrefix(st.Token, st.Session+".") {
				t.Fatalf("study without a token: %s", res.Body)
			}
		}
	})
}
