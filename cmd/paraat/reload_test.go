package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

func copyLibrary(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{"voorbeeld.yaml", "policy/ivs.yaml", "policy/rp.yaml"} {
		data, err := os.ReadFile(filepath.Join(testLib, f))
		if err != nil {
			t.Fatal(err)
		}
		os.MkdirAll(filepath.Dir(filepath.Join(dir, f)), 0o755)
		if err := os.WriteFile(filepath.Join(dir, f), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// scenarioIDs lists the ids of GET /api/scenarios.
func scenarioIDs(t *testing.T, c *http.Client, url string) string {
	t.Helper()
	res, err := c.Get(url + "/api/scenarios")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out struct{ Scenarios []struct{ ID string } }
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, s := range out.Scenarios {
		ids = append(ids, s.ID)
	}
	return strings.Join(ids, " ")
}

// eventually waits until cond holds, failing after a generous deadline.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("%s did not happen", what)
}

func joinSession(t *testing.T, url, code, name string) *websocket.Conn {
	t.Helper()
	ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(url, "http")+"/api/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := ws.WriteJSON(map[string]any{"type": "join", "code": strings.ToLower(code), "name": name, "role": "bz"}); err != nil {
		t.Fatal(err)
	}
	var welcome map[string]any
	ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	if err := ws.ReadJSON(&welcome); err != nil || welcome["type"] != "welcome" {
		t.Fatalf("join %s: %v %v", name, welcome, err)
	}
	return ws
}

// TestServeReload: `serve --library` picks up changed files on SIGHUP and by looking at them,
// keeps a running session on the version it began with, and keeps serving the previous
// library when the new one has errors.
func TestServeReload(t *testing.T) {
	lib := copyLibrary(t)
	db := filepath.Join(t.TempDir(), "p.db")
	if code, _, stderr := paraat(t, "a long enough password\n", "user", "add", "--db", db, "anna"); code != 0 {
		t.Fatal(stderr)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb lockedBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--db", db, "--no-builtin", "--library", lib, "--reload-every", "0"},
			func(string) string { return "" }, strings.NewReader(""), &out, &errb)
	}()
	url := waitURL(t, &out, &errb, done)
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	if got := scenarioIDs(t, c, url); got != "voorbeeld" {
		t.Fatalf("scenarios %q", got)
	}
	var me struct{ CSRF string }
	post(t, c, url+"/api/login", "", `{"name":"anna","password":"a long enough password"}`, http.StatusOK, &me)
	var info struct{ ID, Code string }
	post(t, c, url+"/api/sessions", me.CSRF, `{"scenario":"voorbeeld"}`, http.StatusCreated, &info)
	first := joinSession(t, url, info.Code, "Ann")
	defer first.Close()

	// The author renames the scenario: after SIGHUP the library has the new id only.
	path := filepath.Join(lib, "voorbeeld.yaml")
	data, _ := os.ReadFile(path)
	os.WriteFile(path, []byte(strings.Replace(string(data), "\nid: voorbeeld\n", "\nid: voorbeeld-nieuw\n", 1)), 0o644)
	syscall.Kill(os.Getpid(), syscall.SIGHUP)
	eventually(t, "reload on SIGHUP", func() bool { return scenarioIDs(t, c, url) == "voorbeeld-nieuw" })

	// The running session keeps its scenario: the first participant is still there and a
	// second one joins it; new sessions use the new library.
	second := joinSession(t, url, info.Code, "Bob")
	defer second.Close()
	post(t, c, url+"/api/sessions", me.CSRF, `{"scenario":"voorbeeld-nieuw"}`, http.StatusCreated, nil)
	post(t, c, url+"/api/sessions", me.CSRF, `{"scenario":"voorbeeld"}`, http.StatusNotFound, nil)

	// A file with an error does not replace the library.
	os.WriteFile(filepath.Join(lib, "kapot.yaml"), []byte("id: kapot\ntitle: {nl: Kapot\n"), 0o644)
	syscall.Kill(os.Getpid(), syscall.SIGHUP)
	eventually(t, "a refused reload", func() bool { return strings.Contains(errb.String(), "library not reloaded") })
	if got := scenarioIDs(t, c, url); got != "voorbeeld-nieuw" {
		t.Errorf("after a broken reload: %q", got)
	}
	if !strings.Contains(errb.String(), "kapot.yaml:2:") {
		t.Errorf("the error is not reported with its position:\n%s", errb.String())
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("serve exit %d: %s", code, errb.String())
	}
}

// TestServeReloadOnChange: with --reload-every, a saved file is picked up without a signal.
func TestServeReloadOnChange(t *testing.T) {
	lib := copyLibrary(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb lockedBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--db", filepath.Join(t.TempDir(), "p.db"), "--no-builtin", "--library", lib, "--reload-every", "20ms"},
			func(string) string { return "" }, strings.NewReader(""), &out, &errb)
	}()
	url := waitURL(t, &out, &errb, done)
	c := &http.Client{Timeout: 10 * time.Second}
	data, _ := os.ReadFile(filepath.Join(lib, "voorbeeld.yaml"))
	os.WriteFile(filepath.Join(lib, "tweede.yaml"), []byte(strings.Replace(string(data), "\nid: voorbeeld\n", "\nid: tweede\n", 1)), 0o644)
	eventually(t, "reload on change", func() bool { return scenarioIDs(t, c, url) == "tweede voorbeeld" })
	cancel()
	<-done
}

// TestPlayContext: the statements an option gives as context are shown with the feedback,
// marked as not scored.
func TestPlayContext(t *testing.T) {
	lib := copyLibrary(t)
	path := filepath.Join(lib, "voorbeeld.yaml")
	data, _ := os.ReadFile(path)
	find := "            supports: [ivs-2026/zelf-gekozen-moment, ivs-2026/coalitieverband-via-eu]\n"
	os.WriteFile(path, []byte(strings.Replace(string(data), find, find+"            context: [regeerprogramma-2024/navo-twee-procent]\n", 1)), 0o644)
	const seed = "context"
	code, out, errs := paraat(t, shownNumbers(t, "eerste-stap", seed, "partners-informeren")+"\n", "play", "--lang", "en", "--seed", seed, "--no-builtin", "--library", lib, "voorbeeld")
	if code != 0 || !strings.Contains(out, "Background (not scored):\n  > “Minimaal 2% aan defensie.”") {
		t.Fatalf("exit %d: %s\n%s", code, errs, out)
	}
}

// TestPlayRole: --role shows the role's own inject text and the translated clock.
func TestPlayRole(t *testing.T) {
	lib := copyLibrary(t)
	path := filepath.Join(lib, "voorbeeld.yaml")
	data, _ := os.ReadFile(path)
	src := strings.Replace(string(data), `    clock: "T+0:00"`, `    clock: {nl: "Maandag 06:00", en: "Monday 06:00"}
    role_text:
      - roles: [def]
        text: {nl: De marine ziet het schip liggen., en: The navy sees the ship lying there.}`, 1)
	os.WriteFile(path, []byte(src), 0o644)
	code, out, errs := paraat(t, "", "play", "--lang", "en", "--role", "def", "--no-builtin", "--library", lib, "voorbeeld")
	if code != 0 || !strings.Contains(out, "--- Monday 06:00  Outage on a data cable ---\nThe navy sees the ship lying there.") {
		t.Fatalf("exit %d: %s\n%s", code, errs, out)
	}
	code, out, _ = paraat(t, "", "play", "--lang", "en", "--no-builtin", "--library", lib, "voorbeeld")
	if code != 0 || strings.Contains(out, "The navy sees") || !strings.Contains(out, "A network operator reports") {
		t.Fatalf("without a role: exit %d\n%s", code, out)
	}
	if code, _, _ := paraat(t, "", "play", "--role", "admiraal", "--no-builtin", "--library", lib, "voorbeeld"); code != 2 {
		t.Errorf("unknown role: exit %d", code)
	}
}
