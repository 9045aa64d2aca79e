package e2e

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/paraat-nl/paraat/scenarios"
)

// setEditor puts text in one of the workbench's editors as if typed.
func (tb *tab) setEditor(id, text string) {
	tb.t.Helper()
	tb.wait(fmt.Sprintf(`document.querySelector(%q) !== null`, "#"+id))
	tb.eval(fmt.Sprintf(`(() => { const el = document.querySelector(%q); el.value = %s;
		el.dispatchEvent(new Event("input")); return true; })()`, "#"+id, jsString(text)), nil)
}

type rect struct{ Left, Right, Top, Bottom float64 }

func (tb *tab) rect(sel string) rect {
	tb.t.Helper()
	var r rect
	tb.eval(fmt.Sprintf(`(() => { const b = document.querySelector(%q).getBoundingClientRect();
		return {Left: b.left, Right: b.right, Top: b.top, Bottom: b.bottom}; })()`, sel), &r)
	return r
}

// TestWorkbench: the check page as an author's workbench. Diagnostics sit beside the text,
// which has line numbers; a click on a diagnostic moves the editor to its line; the graph
// draws arrows, labels its branches and draws endings in a shape of their own; the draft's
// tests run and show passed and failed; and the draft plays to an ending. Nothing is saved.
func TestWorkbench(t *testing.T) {
	e := newEnv(t)
	a := e.open("author", "/#/check")
	a.login()
	a.eval(`(() => { if (document.documentElement.lang !== "en") document.querySelector("#lang").click(); return true; })()`, nil)
	a.wait(`document.documentElement.lang === "en"`)

	good, err := fs.ReadFile(scenarios.FS(), "voorbeeld.yaml")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(good), "\n")
	bad := strings.Replace(string(good), "goto: tegenreactie", "goto: tegenreaktie", 1)
	badLine := 0
	for i, l := range strings.Split(bad, "\n") {
		if strings.Contains(l, "tegenreaktie") {
			badLine = i + 1
			break
		}
	}
	a.setEditor("check-yaml", bad)
	a.click(`[data-k=check]`)
	a.waitText("#check-result .banner.error", "does not load")
	sel := fmt.Sprintf(`.wb-diag.error .wb-jump[data-line="%d"]`, badLine)
	a.wait(fmt.Sprintf(`document.querySelector(%q) !== null`, sel))
	a.waitText(sel, fmt.Sprintf("line %d", badLine))
	a.waitText("#wb-diags .wb-count", "1 error, 0 warnings")
	a.waitText(".wb-diag.error .wb-code-info summary", "unknown") // the code, with its title from paraat explain

	// Line numbers: one per line, the gutter left of the text and level with it.
	var gutter struct {
		N     int
		First string
		Last  string
	}
	a.eval(`(() => { const g = document.querySelector("#check-yaml").parentElement.querySelector(".wb-gutter");
		return {N: g.children.length, First: g.children[0].textContent, Last: g.lastElementChild.textContent}; })()`, &gutter)
	if gutter.N != len(lines) || gutter.First != "1" || gutter.Last != fmt.Sprint(len(lines)) {
		t.Errorf("gutter %+v for %d lines", gutter, len(lines))
	}
	text, gut, diags := a.rect("#check-yaml"), a.rect(".wb-gutter"), a.rect("#wb-diags")
	if !(gut.Right <= text.Left+1 && gut.Top < text.Bottom && text.Top < gut.Bottom) {
		t.Errorf("gutter %+v not left of the text %+v", gut, text)
	}
	// Beside: right of the editor, overlapping it vertically.
	if !(diags.Left >= text.Right && diags.Top < text.Bottom && text.Top < diags.Bottom) {
		t.Errorf("diagnostics %+v not beside the text %+v", diags, text)
	}

	// A click on the diagnostic selects its line and scrolls the editor and the gutter to it.
	a.click(sel)
	var at struct {
		Start, End   int
		Line         string
		Focused      bool
		NumTop, NumB float64
		Top, Bottom  float64
		Marked       string
	}
	a.eval(fmt.Sprintf(`(() => { const ta = document.querySelector("#check-yaml");
		const g = ta.parentElement.querySelector(".wb-gutter"); const n = g.children[%d - 1].getBoundingClientRect();
		const b = ta.getBoundingClientRect(); const m = g.querySelector(".wb-at");
		return {Start: ta.selectionStart, End: ta.selectionEnd, Line: ta.value.slice(ta.selectionStart, ta.selectionEnd),
			Focused: document.activeElement === ta, NumTop: n.top, NumB: n.bottom, Top: b.top, Bottom: b.bottom, Marked: m ? m.textContent : ""}; })()`, badLine), &at)
	if !strings.Contains(at.Line, "tegenreaktie") || !at.Focused {
		t.Errorf("after the click the editor selects %q (focused %v), want line %d", at.Line, at.Focused, badLine)
	}
	if at.Marked != fmt.Sprint(badLine) || at.NumTop < at.Top || at.NumB > at.Bottom {
		t.Errorf("line number %s at %v–%v, editor %v–%v: the line is not in view", at.Marked, at.NumTop, at.NumB, at.Top, at.Bottom)
	}

	// The good draft: the graph with arrows, labels and endings of their own shape.
	a.setEditor("check-yaml", string(good))
	a.click(`[data-k=check]`)
	a.waitText("#check-result .banner.ok", "loads")
	a.wait(`document.querySelectorAll("#check-scenario .graph .g-node[data-inject]").length === 4`)
	var g struct {
		Arrows, Marked, Endings, EndingRects, Labels int
		LabelText                                    []string
		MaxInjectRight, MinEndingLeft                float64
	}
	a.eval(`(() => { const svg = document.querySelector("#check-scenario .graph");
		const injects = [...svg.querySelectorAll(".g-node[data-inject]")].map(n => n.getBoundingClientRect());
		const endings = [...svg.querySelectorAll(".g-ending")];
		return {Arrows: svg.querySelectorAll("marker path").length,
			Marked: [...svg.querySelectorAll("path.g-edge")].filter(p => p.getAttribute("marker-end") === "url(#g-arrow)").length,
			Endings: endings.filter(n => n.querySelector("polygon")).length,
			EndingRects: endings.filter(n => n.querySelector("rect")).length,
			Labels: svg.querySelectorAll(".g-label").length,
			LabelText: [...svg.querySelectorAll(".g-label")].map(l => l.textContent),
			MaxInjectRight: Math.max(...injects.map(b => b.right)),
			MinEndingLeft: Math.min(...endings.map(n => n.getBoundingClientRect().left))}; })()`, &g)
	if g.Arrows != 1 || g.Marked < 8 {
		t.Errorf("arrows: %d marker(s), %d edges with the arrow marker", g.Arrows, g.Marked)
	}
	if g.Endings != 3 || g.EndingRects != 0 {
		t.Errorf("endings: %d drawn as polygons, %d as boxes; want 3 and 0", g.Endings, g.EndingRects)
	}
	if g.MinEndingLeft <= g.MaxInjectRight {
		t.Errorf("endings start at x=%v, left of the injects' right edge %v", g.MinEndingLeft, g.MaxInjectRight)
	}
	if !strings.Contains(strings.Join(g.LabelText, "|"), "Publicly hold") || !strings.Contains(strings.Join(g.LabelText, "|"), "otherwise") {
		t.Errorf("edge labels %q: want the option that leads there and the default branch", g.LabelText)
	}

	// The tests run and show passed and failed.
	a.click(`[data-k=tests]`)
	a.wait(`document.querySelectorAll("#wb-tests .wb-test.pass").length === 4`)
	a.waitText("#wb-tests .banner.ok", "4 of 4 tests passed")
	a.setEditor("check-yaml", strings.Replace(string(good), "      ending: rommelig", "      ending: gecoordineerd", 1))
	a.click(`[data-k=tests]`)
	a.wait(`document.querySelectorAll("#wb-tests .wb-test.fail").length === 1 && document.querySelectorAll("#wb-tests .wb-test.pass").length === 3`)
	a.waitText("#wb-tests .wb-test.fail .badge.bad", "failed")
	a.waitText("#wb-tests .wb-test.fail", "Muddled")

	// The draft plays to an ending, one answer at a time, with the score and the quotes.
	a.setEditor("check-yaml", string(good))
	a.click(`[data-k=play]`)
	a.wait(`document.querySelector("#wb-player .inject h3") !== null`)
	a.waitText("#wb-player .clock", "T+0:00")
	for step := 0; ; step++ {
		if step > 20 {
			t.Fatal("no ending after 20 answers")
		}
		var state string
		a.eval(`(() => {
			if (document.querySelector("#wb-player .wb-ending")) return "ended";
			const f = document.querySelector("#wb-player form.answer");
			if (!f) return "waiting";
			const radio = f.querySelector("input[type=radio]");
			if (radio) radio.click();
			const box = f.querySelector("input[type=checkbox]");
			if (box) box.click();
			const num = f.querySelector("input[inputmode=decimal]");
			if (num) { num.value = "3"; num.dispatchEvent(new Event("input")); }
			const text = f.querySelector("textarea");
			if (text) { text.value = "Eerst de partners informeren."; text.dispatchEvent(new Event("input")); }
			f.querySelector("button[type=submit]").click();
			return "answered"; })()`, &state)
		if state == "ended" {
			break
		}
		// The server has scored one more answer, and the page is not waiting for it.
		a.wait(fmt.Sprintf(`(() => { const p = document.querySelector("#wb-player");
			return p && p.getAttribute("aria-busy") === "false" && (p.dataset.answers === "%d" || p.querySelector(".wb-ending") !== null); })()`, step+1))
	}
	a.waitText("#wb-player .wb-ending h3", "")
	a.waitText("#wb-player .total", "Score:")
	var visible string
	a.eval(`document.querySelector("#wb-player").innerText`, &visible)
	for _, id := range []string{"eerste-stap", "partners-informeren", "gecoordineerd", "rommelig", "melding", "onderzoek"} {
		if strings.Contains(visible, id) {
			t.Errorf("the player shows the raw id %q:\n%s", id, visible)
		}
	}

	// A policy layer uploaded as a file: a statement that takes a built-in id without
	// overrides: is an error in the layer, and its diagnostic opens the layer at the line.
	dir := t.TempDir()
	policy := filepath.Join(dir, "mijn-beleid.yaml")
	if err := os.WriteFile(policy, []byte("lens: ivs-2026\nsource: eigen.txt\nkind: cabinet\ntitle: {nl: Eigen, en: Own}\nstatements:\n  - id: navo-cmx\n    section: \"1\"\n    quote: \"Een eigen zin.\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	a.do(chromedp.SetUploadFiles(`[data-k=check-policy-file]`, []string{policy}))
	a.wait(`document.querySelector("#check-policy").value.includes("navo-cmx")`)
	a.click(`[data-k=check]`)
	a.waitText(`.wb-diag.error .wb-loc`, "policy layer, line 6")
	a.eval(`(() => { document.querySelector(".wb-policy").open = false; return true; })()`, nil)
	a.click(`.wb-diag.error .wb-jump[data-file="draft-policy.yaml"]`)
	a.wait(`document.querySelector(".wb-policy").open && document.activeElement === document.querySelector("#check-policy")`)
	var sel2 string
	a.eval(`(() => { const ta = document.querySelector("#check-policy"); return ta.value.slice(ta.selectionStart, ta.selectionEnd); })()`, &sel2)
	if !strings.Contains(sel2, "navo-cmx") {
		t.Errorf("the policy editor selects %q, want the line of the statement", sel2)
	}
}
