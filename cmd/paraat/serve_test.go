package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// lockedBuffer lets the test read what the server goroutine writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestUserAdd(t *testing.T) {
	db := filepath.Join(t.TempDir(), "p.db")
	tests := []struct {
		name, stdin string
		args        []string
		code        int
		stderr      string
	}{
		{"ok", "a long enough password\n", []string{"anna"}, 0, ""},
		{"twice", "a long enough password\na long enough password\n", []string{"--admin", "bob"}, 0, ""},
		{"differ", "a long enough password\nanother one entirely\n", []string{"cor"}, 2, "differ"},
		{"short", "short\n", []string{"dik"}, 2, "at least"},
		{"empty", "", []string{"eva"}, 2, "no password"},
		{"bad name", "a long enough password\n", []string{"<b>"}, 2, "a name is"},
		{"no name", "", nil, 2, "usage"},
		{"bad argon2", "a long enough password\n", []string{"--argon2", "m=1,t=1,p=1", "fee"}, 2, "argon2id memory"},
		{"own argon2", "a long enough password\n", []string{"--argon2", "m=128,t=1,p=1", "gus"}, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"user", "add", "--db", db}, tt.args...)
			code, _, stderr := paraat(t, tt.stdin, args...)
			if code != tt.code || !strings.Contains(stderr, tt.stderr) {
				t.Fatalf("exit %d (want %d), stderr %q (want %q)", code, tt.code, stderr, tt.stderr)
			}
		})
	}
}

// TestServe runs `paraat serve` as a user would: an account from `paraat user add`, a login,
// a session, a participant joining over a websocket, a clean stop, and `paraat report`.
func TestServe(t *testing.T) {
	db := filepath.Join(t.TempDir(), "p.db")
	if code, _, stderr := paraat(t, "a long enough password\n", "user", "add", "--db", db, "anna"); code != 0 {
		t.Fatal(stderr)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb lockedBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--db", db}, testEnv, strings.NewReader(""), &out, &errb)
	}()
	url := waitURL(t, &out, &errb, done)

	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	var me struct{ CSRF string }
	post(t, c, url+"/api/login", "", `{"name":"anna","password":"a long enough password"}`, http.StatusOK, &me)
	var info struct{ ID, Code string }
	post(t, c, url+"/api/sessions", me.CSRF, `{"scenario":"voorbeeld"}`, http.StatusCreated, &info)
	post(t, c, url+"/api/sessions", "", `{"scenario":"voorbeeld"}`, http.StatusForbidden, nil)

	ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(url, "http")+"/api/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	if err := ws.WriteJSON(map[string]any{"type": "join", "code": strings.ToLower(info.Code), "name": "Ann", "role": "bz"}); err != nil {
		t.Fatal(err)
	}
	var welcome map[string]any
	ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	if err := ws.ReadJSON(&welcome); err != nil || welcome["type"] != "welcome" || welcome["token"] == "" {
		t.Fatalf("join: %v %v", welcome, err)
	}

	cancel()
	select {
	case code := <-done:
		if code != 0 || !strings.Contains(out.String(), "paraat: stopped") {
			t.Fatalf("serve exit %d\n%s\n%s", code, out.String(), errb.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop")
	}

	code, list, stderr := paraat(t, "", "report", "--db", db)
	if code != 0 || !strings.Contains(list, info.ID) || !strings.Contains(list, "voorbeeld") || !strings.Contains(list, "anna") {
		t.Fatalf("report list: %d %s %s", code, list, stderr)
	}
	code, csv, stderr := paraat(t, "", "report", "--db", db, "--format", "csv", info.ID)
	// No one answered: the CSV is its header alone.
	if code != 0 || !strings.HasPrefix(csv, "session,participant,name,") || strings.Count(csv, "\n") != 1 {
		t.Fatalf("report csv: %d %q %s", code, csv, stderr)
	}
	if code, _, stderr := paraat(t, "", "report", "--db", db, "no-such-session"); code != 1 || stderr == "" {
		t.Fatalf("unknown session: %d %q", code, stderr)
	}
}

var servingRE = regexp.MustCompile(`serving .* on (http://\S+)`)

func waitURL(t *testing.T, out, errb *lockedBuffer, done chan int) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if m := servingRE.FindStringSubmatch(out.String()); m != nil {
			return m[1]
		}
		select {
		case code := <-done:
			t.Fatalf("serve exited %d: %s", code, errb.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("serve printed no URL: %s %s", out.String(), errb.String())
	return ""
}

func post(t *testing.T, c *http.Client, url, csrf, body string, want int, into any) {
	t.Helper()
	req, _ := http.NewRequest("POST", url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if csrf != "" {
		req.Header.Set("X-CSRF-Token", csrf)
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != want {
		t.Fatalf("POST %s: %d, want %d", url, res.StatusCode, want)
	}
	if into != nil {
		if err := json.NewDecoder(res.Body).Decode(into); err != nil {
			t.Fatal(err)
		}
	}
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"paraat.db":                             "paraat.db",
		"postgres://anna@db/paraat":             "postgres://anna@db/paraat",
		"postgres://anna:geheim@db:5432/paraat": "postgres://anna:xxxxx@db:5432/paraat",
		"postgresql://anna:geheim@db/p?x=1":     "postgresql://anna:xxxxx@db/p?x=1",
	} {
		if got := redact(in); got != want {
			t.Errorf("redact(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestServeLimitFlags: limits and trusted proxies are checked before anything starts.
func TestServeLimitFlags(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "p.db")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--trusted-proxies", "10.0.0.0/8,proxy.example"}, "trusted proxy"},
		{[]string{"--max-conns", "0"}, "at least 1"},
		{[]string{"--max-conns-per-address", "-5"}, "at least 1"},
		{[]string{"--login-memory", "0"}, "at least 1"},
	} {
		code, _, stderr := paraat(t, "", append([]string{"serve", "--addr", "127.0.0.1:0", "--db", db}, tc.args...)...)
		if code != 2 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, %q (want 2 and %q)", tc.args, code, stderr, tc.want)
		}
	}
}
