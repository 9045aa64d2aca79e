package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"image"
	"image/png"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

var updateGoldens = flag.Bool("update", false, "write the screenshot goldens of the room test anew")

// projector opens a session's projector in a browser of its own, logged in as the
// facilitator: the second window that goes on the beamer.
func (e *env) projector(session string) *tab {
	e.t.Helper()
	pj := e.open("projector", "/#/fac")
	pj.login()
	pj.wait(`document.querySelector("li[data-scenario]")`)
	pj.do(chromedp.Navigate(e.url + "/#/fac/s/" + session + "/projector"))
	return pj
}

func (tb *tab) viewport(w, h int64) {
	tb.t.Helper()
	tb.do(chromedp.EmulateViewport(w, h))
}

// inside reports the elements matching sel that do not lie wholly inside the viewport
// (at the current scroll position), or none found.
func (tb *tab) inside(sel string) []string {
	tb.t.Helper()
	var out []string
	tb.eval(fmt.Sprintf(`(() => { const els = [...document.querySelectorAll(%q)].filter(e => !e.hidden);
		if (!els.length) return ["nothing matches"];
		return els.map(e => { const r = e.getBoundingClientRect();
			return r.top >= 0 && r.left >= 0 && r.bottom <= innerHeight + 0.5 && r.right <= innerWidth + 0.5 && r.width > 0 && r.height > 0 ? "" :
				(e.className || e.tagName) + " at " + [r.left, r.top, r.right, r.bottom].map(Math.round).join(",") + " in " + innerWidth + "x" + innerHeight; }).filter(Boolean); })()`, sel), &out)
	return out
}

func (tb *tab) mustInside(sels ...string) {
	tb.t.Helper()
	for _, sel := range sels {
		if bad := tb.inside(sel); len(bad) > 0 {
			tb.t.Errorf("%s: %s outside the viewport: %v", tb.name, sel, bad)
		}
	}
}

func (tb *tab) noScroll() {
	tb.t.Helper()
	var s struct{ H, Inner, W, InnerW int }
	tb.eval(`({H: document.scrollingElement.scrollHeight, Inner: innerHeight, W: document.scrollingElement.scrollWidth, InnerW: innerWidth})`, &s)
	if s.H > s.Inner || s.W > s.InnerW {
		tb.t.Errorf("%s: the page scrolls: %dx%d content in a %dx%d window", tb.name, s.W, s.H, s.InnerW, s.Inner)
	}
}

// rawID is how ids are written: words joined by hyphens (eerste-stap, ivs-2026).
var rawID = regexp.MustCompile(`\b[a-z]+(-[a-z0-9]+)+\b`)

// prose lists the hyphenated words of the library's prose, the example's and the policy it
// quotes (counter-measures), and of the interface (self-study): they match rawID but are
// words, not ids.
func (e *env) prose() []string {
	e.t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	resp, err := c.Post(e.url+"/api/login", "application/json",
		strings.NewReader(fmt.Sprintf(`{"name":%q,"password":%q}`, facName, facPassword)))
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	words := map[string]bool{}
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case []any:
			for _, x := range v {
				walk(x)
			}
		case map[string]any:
			for k, x := range v {
				if s, ok := x.(string); ok && (k == "nl" || k == "en") {
					for _, w := range rawID.FindAllString(s, -1) {
						words[w] = true
					}
				}
				walk(x)
			}
		}
	}
	for _, u := range []string{"/api/scenarios", "/api/scenarios/voorbeeld", "/api/scenarios/voorbeeld/source"} {
		resp, err := c.Get(e.url + u)
		if err != nil {
			e.t.Fatal(err)
		}
		var v any
		json.NewDecoder(resp.Body).Decode(&v)
		resp.Body.Close()
		walk(v)
	}
	// The interface's own English compounds.
	for _, w := range []string{"self-study", "self-paced", "after-action"} {
		words[w] = true
	}
	var out []string
	for w := range words {
		out = append(out, w)
	}
	return out
}

// noRawIDs fails the test when the visible text shows an id or an enum: rawID (join codes
// and the words of prose aside), role:ID, true or false.
func (tb *tab) noRawIDs(where string) {
	tb.t.Helper()
	if tb.e.words == nil {
		tb.e.words = tb.e.prose()
	}
	var text string
	tb.eval(`document.body.innerText`, &text)
	ok := map[string]bool{}
	for _, w := range tb.e.words {
		ok[w] = true
	}
	code := regexp.MustCompile(`^[A-Z0-9]{4}-[A-Z0-9]{4}$`)
	var hits []string
	for _, w := range rawID.FindAllString(text, -1) {
		if !ok[w] && !code.MatchString(w) {
			hits = append(hits, w)
		}
	}
	hits = append(hits, regexp.MustCompile(`\b(role:[a-z]+|true|false)\b`).FindAllString(text, -1)...)
	if len(hits) > 0 {
		tb.t.Errorf("%s (%s): raw ids in the visible text: %v", tb.name, where, hits)
	}
}

// golden compares a screenshot with testdata/golden/name.png: it passes when at most 3% of
// the pixels differ by more than 48 in a colour channel (fonts anti-alias differently from
// one machine to the next); -update writes the golden.
func golden(t *testing.T, name string, shot []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name+".png")
	if *updateGoldens {
		os.MkdirAll(filepath.Dir(path), 0o755)
		if err := os.WriteFile(path, shot, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("no golden %s (run with -update): %v", path, err)
	}
	a, err1 := png.Decode(bytes.NewReader(want))
	b, err2 := png.Decode(bytes.NewReader(shot))
	if err1 != nil || err2 != nil {
		t.Fatalf("decoding %s: %v %v", name, err1, err2)
	}
	if a.Bounds() != b.Bounds() {
		t.Fatalf("%s: size %v, golden %v", name, b.Bounds(), a.Bounds())
	}
	diff, total := 0, 0
	r := a.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			total++
			if far(a, b, x, y) {
				diff++
			}
		}
	}
	if frac := float64(diff) / float64(total); frac > 0.03 {
		got := filepath.Join(os.TempDir(), "paraat-"+name+".png")
		os.WriteFile(got, shot, 0o644)
		t.Errorf("%s: %.1f%% of the pixels differ from the golden (this run's picture: %s)", name, frac*100, got)
	}
}

func far(a, b image.Image, x, y int) bool {
	r1, g1, b1, _ := a.At(x, y).RGBA()
	r2, g2, b2, _ := b.At(x, y).RGBA()
	d := func(p, q uint32) bool { p, q = p>>8, q>>8; return p > q+48 || q > p+48 }
	return d(r1, r2) || d(g1, g2) || d(b1, b2)
}

// keep writes a screenshot to $PARAAT_SHOTS, when set, to look at by eye.
func (tb *tab) keep(name string) {
	if dir := os.Getenv("PARAAT_SHOTS"); dir != "" {
		os.WriteFile(filepath.Join(dir, name+".png"), tb.screenshot(), 0o644)
	}
}

func (tb *tab) screenshot() []byte {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	b, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		tb.t.Fatal(err)
	}
	return b
}

// hideVarying hides what differs from run to run (join code, QR, timer, dates) before a
// screenshot, keeping the layout, and puts the options, which every session shuffles with
// its own random id, in one order. Through rules added to the page's stylesheet (the
// Content-Security-Policy allows no inline style), which a live update leaves alone.
const hideVarying = `(() => { const sh = document.styleSheets[0];
	sh.insertRule(".pj-code, .pj-qr svg, .pj-timer, .pj-code-small, .overview dd.date, .pj-url { visibility: hidden !important; }", sh.cssRules.length);
	const ids = [...new Set([...document.querySelectorAll(".pj-option")].map(o => o.dataset.option))].sort();
	ids.forEach((id, i) => sh.insertRule(".pj-option[data-option=" + CSS.escape(id) + "] { order: " + i + "; }", sh.cssRules.length));
	return true; })()`

// TestRoom runs a session as it runs in a room: the console on a 1366x768 laptop, the
// projector at 1920x1080 and 1280x720, participants on 390x844 phones, one of whom loses
// the network while sending.
func TestRoom(t *testing.T) {
	e := newEnv(t)

	fac := e.open("facilitator", "/#/fac")
	fac.viewport(1366, 768)
	fac.login()
	fac.wait(`document.querySelector("li[data-scenario=voorbeeld]")`)
	fac.noRawIDs("library")
	fac.prepare("shared")
	fac.noRawIDs("preparing a session")
	code, session := fac.create()
	fac.mustInside(`[data-k=start]`)

	// The projector in its own window: the lobby with the code and the QR, no scrolling.
	pj := e.projector(session)
	pj.viewport(1920, 1080)
	pj.waitText(".pj-code", code)
	pj.wait(`document.querySelector(".pj-qr svg path")`)
	pj.mustInside(".pj-code", ".pj-qr svg", ".pj-count")
	pj.noScroll()
	pj.noRawIDs("lobby")
	pj.keep("projector-lobby")

	phone := func(name, role string) *tab {
		p := e.open(name, "/join/"+code)
		p.viewport(390, 844)
		p.wait(`document.querySelector("#join-name")`)
		p.typeInto("#join-name", name)
		p.click(`input[data-k=role-` + role + `]`)
		p.click(`[data-k=join]`)
		p.wait(`document.querySelector(".waiting")`)
		return p
	}
	anna := phone("Anna", "bz")
	anna.noRawIDs("lobby")
	bram := phone("Bram", "def")
	pj.waitText(".pj-count", "2")

	// Start, and open the first question from the action bar.
	fac.click(`[data-k=start]`)
	fac.wait(`document.querySelector("[data-k=bar-open-eerste-stap]")?.disabled === false`)
	fac.mustInside(`[data-k=bar-open-eerste-stap]`, `[data-k=pause]`, `[data-k=next]`)
	fac.noRawIDs("console")
	anna.wait(`document.querySelector("#inject-title")`)
	fac.click(`[data-k=bar-open-eerste-stap]`)
	fac.wait(`document.querySelector("[data-k=bar-close-eerste-stap]")`)
	fac.wait(`/\d:\d\d/.test(document.querySelector(".actionbar .bar-timer")?.textContent)`)
	fac.mustInside(`[data-k=bar-close-eerste-stap]`, `.actionbar .bar-timer`, `[data-k=pause]`)
	// Scrolled to the bottom, the bar is still there.
	fac.eval(`window.scrollTo(0, document.body.scrollHeight), true`, nil)
	fac.mustInside(`[data-k=bar-close-eerste-stap]`, `.actionbar .bar-timer`)
	fac.waitText(`.q-panel[data-question=eerste-stap] .missing`, "Anna")
	fac.eval(`window.scrollTo(0, 0), true`, nil)
	fac.keep("console")

	// The projector shows the question: prompt, every option, timer and bars on screen.
	pj.wait(`document.querySelectorAll(".pj-option").length === 3 && /\d:\d\d/.test(document.querySelector(".pj-timer")?.textContent)`)
	for _, vp := range [][2]int64{{1920, 1080}, {1280, 720}} {
		pj.viewport(vp[0], vp[1])
		pj.mustInside(".pj-prompt", ".pj-option", ".pj-option .pj-bar", ".pj-timer", ".pj-answered")
		pj.noScroll()
	}
	pj.noRawIDs("question")
	pj.keep("projector-question")

	// Anna answers. Bram's phone loses the network just as he sends: the page says so, the
	// tap (twice, impatiently) is queued, and it arrives once when the network is back.
	anna.click(`input[data-k="q-eerste-stap-partners-informeren"]`)
	anna.click(`[data-k="q-eerste-stap-send"]`)
	anna.wait(`document.querySelector("section[data-question=eerste-stap] .status.received")`)
	bram.click(`input[data-k="q-eerste-stap-afwachten"]`)
	var before, during float64
	bram.eval(`document.querySelector('[data-k="q-eerste-stap-send"]').getBoundingClientRect().top`, &before)
	bram.eval(`window.dispatchEvent(new Event("offline")), true`, nil)
	bram.wait(`document.querySelector(".conn-offline")`)
	bram.eval(`document.querySelector('[data-k="q-eerste-stap-send"]').getBoundingClientRect().top`, &during)
	if before != during {
		t.Errorf("the Send button moved from y=%v to y=%v when the connection dropped", before, during)
	}
	bram.eval(`(() => { const b = document.querySelector('[data-k="q-eerste-stap-send"]'); b.click(); b.click(); return true; })()`, nil)
	bram.wait(`document.querySelector("section[data-question=eerste-stap] .status.sending")`)
	bram.waitText(".conn-offline", "your answer waits here")
	bram.keep("phone-offline")
	bram.eval(`window.dispatchEvent(new Event("online")), true`, nil)
	bram.wait(`document.querySelector("section[data-question=eerste-stap] .status.received")`)
	pj.waitText(`.pj-answered`, "2")

	// Close, reveal: the projector highlights the policy answer and quotes the passage.
	fac.click(`[data-k=bar-close-eerste-stap]`)
	fac.click(`[data-k=bar-reveal-eerste-stap]`)
	pj.wait(`document.querySelector(".pj-option.policy[data-option=partners-informeren]") && document.querySelector(".pj-quote blockquote")`)
	pj.waitText(".pj-decision", "Inform allies")
	pj.mustInside(".pj-option", ".pj-quote blockquote")
	pj.noScroll()
	pj.noRawIDs("reveal")
	pj.eval(hideVarying, nil)
	golden(t, "projector-reveal-1280x720", pj.screenshot())

	// Feedback on the phone: the score, the passage folded, within two screens.
	anna.wait(`document.querySelector("section[data-question=eerste-stap] .feedback details.policy")`)
	var fb float64
	anna.eval(`document.querySelector("section[data-question=eerste-stap] .feedback").getBoundingClientRect().height`, &fb)
	if fb > 2*844 {
		t.Errorf("the feedback is %v px tall on a 844 px phone", fb)
	}
	anna.noRawIDs("phone")
	anna.keep("phone-feedback")

	// The next inject, then to the end: the projector shows the finale.
	fac.click(`[data-k=next]`)
	anna.waitText("#inject-title", "")
	fac.click(`[data-k=next]`)
	anna.wait(`document.querySelector("article.ending")`)
	fac.eval(`window.confirm = () => true`, nil)
	fac.click(`[data-k=end]`)
	anna.wait(`document.querySelector(".conn-ended")`)
	anna.wait(`!document.querySelector(".conn-offline")`)
	pj.wait(`document.querySelector(".pj-ending-title")`)
	pj.mustInside(".pj-ending-title", ".pj-score")
	pj.noScroll()
	pj.keep("projector-finale")
	anna.keep("phone-ended")
	if n := len(pj.inside(".pj-top")); n != 1 {
		t.Errorf("the top 5 shows although it is off by default")
	}

	// The report: sections with a table of contents, what-ifs, no raw ids, in both languages.
	fac.click(`[data-k=debrief]`)
	fac.wait(`document.querySelectorAll(".toc li").length >= 8 && document.querySelector("table.whatifs tbody tr")`)
	fac.eval(`(() => { for (const d of document.querySelectorAll("details")) d.open = true; return true; })()`, nil)
	fac.noRawIDs("report, English")
	fac.click(`#lang`)
	fac.waitText("h1", "Evaluatieverslag")
	fac.eval(`(() => { for (const d of document.querySelectorAll("details")) d.open = true; return true; })()`, nil)
	fac.noRawIDs("report, Dutch")
	fac.click(`#lang`)
	fac.waitText("h1", "After-action report")
	fac.typeInto(`[data-k=plan-0-owner]`, "NCTV")

	// The printed report: A4, without the controls.
	fac.viewport(794, 1123)
	fac.eval(`(() => { for (const d of document.querySelectorAll("details")) d.open = true; return true; })()`, nil)
	fac.do(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"})
		return err
	}))
	fac.wait(`getComputedStyle(document.querySelector(".toc")).display === "none"`)
	fac.eval(`window.scrollTo(0, 0), true`, nil)
	fac.eval(hideVarying, nil)
	golden(t, "report-print-a4", fac.screenshot())

	// The printable report the server writes (and `paraat report --format html`): named,
	// in both languages.
	fac.do(chromedp.Navigate(e.url + "/sessions/" + session + "/report?lang=nl"))
	fac.waitText("h1", "Evaluatieverslag")
	fac.waitText("h2", "Verbeterplan")
	fac.noRawIDs("printable report, Dutch")
	fac.keep("printable-nl")
	fac.do(chromedp.Navigate(e.url + "/sessions/" + session + "/report?lang=en"))
	fac.waitText("h1", "After-action report")
	fac.waitText("blockquote", "zelf kiezen")
	fac.noRawIDs("printable report, English")

	rep := e.report(session)
	if as := answersOf(rep, "Bram")["eerste-stap"]; len(as) != 1 || as[0].Answer.Option != "afwachten" {
		t.Errorf("Bram's answer sent during the drop: %+v", as)
	}
}
