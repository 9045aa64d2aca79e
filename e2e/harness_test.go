package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/paraat-nl/paraat/engine"
	"github.com/paraat-nl/paraat/internal/builtin"
	"github.com/paraat-nl/paraat/server"
	"github.com/paraat-nl/paraat/server/live"
	"github.com/paraat-nl/paraat/server/sqlite"
	"github.com/paraat-nl/paraat/web"
)

const (
	facName     = "anna"
	facPassword = "correct horse battery"
	stepTimeout = 20 * time.Second
)

// chromiumPath finds Debian's chromium. Without it the tests skip, except in CI, where a
// missing browser must not look like a pass.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"/usr/bin/chromium", "chromium", "chromium-browser"} {
		if lp, err := exec.LookPath(p); err == nil {
			return lp
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is not installed, and CI=true: the browser tests must run (apt-get install chromium)")
	}
	t.Skip("chromium is not installed: skipping the browser tests (apt-get install chromium)")
	return ""
}

// env is a running paraat server with the embedded UI and one headless browser.
type env struct {
	t     *testing.T
	url   string
	store server.Store
	root  context.Context
	words []string // hyphenated words of prose, allowed where ids are not

	axeStates int // page states checked by axe-core
}

func newEnv(t *testing.T) *env {
	t.Helper()
	return newEnvLib(t, nil)
}

// newEnvLib is newEnv serving lib instead of the built-in library (nil: the built-in one).
func newEnvLib(t *testing.T, lib *engine.Library) *env {
	t.Helper()
	exe := chromiumPath(t)
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "e2e.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	if err := store.PutUser(ctx, server.User{Name: facName, Hash: server.TestKDF.Hash(facPassword)}); err != nil {
		t.Fatal(err)
	}
	// Loaded once for all tests; as `paraat serve` does, files with errors are left out.
	if lib == nil {
		var diags *engine.Diagnostics
		lib, diags = builtin.Library()
		if lib.Scenario("voorbeeld") == nil {
			t.Fatalf("the built-in example does not load: %v", diags.Err())
		}
	}
	mgr := live.New(store, lib, live.Options{})
	if err := mgr.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		mgr.Shutdown(sctx)
	})
	srv, err := server.New(server.Config{Store: store, Library: lib, Live: mgr, Web: web.FS(), KDF: server.TestKDF})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.Headless,
		chromedp.NoSandbox, chromedp.DisableGPU, chromedp.WindowSize(1200, 900))
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	root, cancelRoot := chromedp.NewContext(alloc)
	t.Cleanup(cancelRoot)
	if err := chromedp.Do(root, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	return &env{t: t, url: hs.URL, store: store, root: root}
}

// tab is one user: a browser context of its own (cookies and localStorage apart), like a
// separate phone or laptop.
type tab struct {
	t    *testing.T
	e    *env
	name string
	ctx  context.Context

	mu   sync.Mutex
	errs []string
}

func (e *env) open(name, path string) *tab {
	e.t.Helper()
	ctx, cancel := chromedp.NewContext(e.root, chromedp.WithNewBrowserContext())
	e.t.Cleanup(cancel)
	tb := &tab{t: e.t, e: e, name: name, ctx: ctx}
	// Uncaught exceptions and Content-Security-Policy violations fail the test at the end.
	err := chromedp.Listen(ctx, func(ev any) {
		var msg string
		switch ev := ev.(type) {
		case *runtime.EventExceptionThrown:
			msg = (&chromedp.ExceptionError{ExceptionDetails: ev.ExceptionDetails}).Error()
		case *log.EventEntryAdded:
			if strings.Contains(ev.Entry.Text, "Content Security Policy") {
				msg = ev.Entry.Text
			}
		}
		if msg != "" {
			tb.mu.Lock()
			tb.errs = append(tb.errs, msg)
			tb.mu.Unlock()
		}
	})
	if err != nil {
		e.t.Fatalf("%s: %v", name, err)
	}
	e.t.Cleanup(tb.checkErrors)
	tb.do(chromedp.Navigate(e.url + path))
	return tb
}

func (tb *tab) checkErrors() {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	for _, m := range tb.errs {
		tb.t.Errorf("%s: page error: %s", tb.name, m)
	}
}

// do runs actions with a time limit; on failure it reports what the page showed.
func (tb *tab) do(actions ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		tb.t.Fatalf("%s: %v\npage %s:\n%s", tb.name, err, tb.location(), tb.text())
	}
}

func (tb *tab) text() string {
	ctx, cancel := context.WithTimeout(tb.ctx, 5*time.Second)
	defer cancel()
	s, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
	return s
}

func (tb *tab) location() string {
	ctx, cancel := context.WithTimeout(tb.ctx, 5*time.Second)
	defer cancel()
	s, _ := chromedp.Run(ctx, chromedp.Location())
	return s
}

// eval evaluates JavaScript in the page and decodes its JSON result into v.
func (tb *tab) eval(js string, v any) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[[]byte](js, chromedp.EvalAwaitPromise))
	if err != nil {
		tb.t.Fatalf("%s: %s: %v\npage:\n%s", tb.name, js, err, tb.text())
	}
	if v != nil {
		if err := json.Unmarshal(raw, v); err != nil {
			tb.t.Fatalf("%s: %s: decoding %s: %v", tb.name, js, raw, err)
		}
	}
}

// wait waits until the JavaScript condition holds.
func (tb *tab) wait(cond string) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](cond, chromedp.WithPollingTimeout(stepTimeout), chromedp.WithPollingInterval(50*time.Millisecond))); err != nil {
		tb.t.Fatalf("%s: waiting for %s: %v\npage %s:\n%s", tb.name, cond, err, tb.location(), tb.text())
	}
}

// waitText waits until an element matching sel contains text.
func (tb *tab) waitText(sel, text string) {
	tb.t.Helper()
	tb.wait(fmt.Sprintf(`[...document.querySelectorAll(%q)].some(e => e.textContent.includes(%q))`, sel, text))
}

// click clicks an enabled element. The click runs inside the page, at once after the
// element is found: a live view re-renders whenever the server sends something, and a
// click through the protocol could aim at a node that has just been replaced.
func (tb *tab) click(sel string) {
	tb.t.Helper()
	tb.wait(fmt.Sprintf(`(() => { const el = document.querySelector(%q); if (!el || el.disabled) return false; el.click(); return true; })()`, sel))
}

// typeInto focuses a field and types into it with key events; the page keeps the focus on
// the same field across re-renders, so typing goes on into the new one.
func (tb *tab) typeInto(sel, text string) {
	tb.t.Helper()
	tb.wait(fmt.Sprintf(`(() => { const el = document.querySelector(%q); if (!el) return false; el.focus(); return document.activeElement === el; })()`, sel))
	tb.do(chromedp.KeyEvent(text))
}

// prepare opens the example from the facilitator's library, with scope ("shared", "team"
// or "participant"), up to the create button.
func (tb *tab) prepare(scope string) {
	tb.t.Helper()
	tb.click(`li[data-scenario=voorbeeld] a.button.primary`)
	tb.wait(`document.querySelector(".graph .g-node[data-inject=melding]") && document.querySelector("[data-k=create]")`)
	tb.click(`input[data-k=scope-` + scope + `]`)
}

// create creates the prepared session and returns its join code and id, in the lobby.
func (tb *tab) create() (code, session string) {
	tb.t.Helper()
	tb.click(`[data-k=create]`)
	tb.wait(`/^#\/fac\/s\/[^/]+$/.test(location.hash) && document.querySelector(".join-code")`)
	var hash string
	tb.eval(`document.querySelector(".join-code").textContent`, &code)
	tb.eval(`location.hash`, &hash)
	return code, strings.TrimPrefix(hash, "#/fac/s/")
}

// jsString quotes s for JavaScript.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func reload() chromedp.Action[chromedp.Void] { return chromedp.Reload() }

func navigate(url string) chromedp.Action[chromedp.Void] { return chromedp.Navigate(url) }
