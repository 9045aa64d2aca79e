package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/paraat-nl/paraat/engine"
	"github.com/paraat-nl/paraat/scenarios"
	"github.com/paraat-nl/paraat/server"
)

// report fetches a session's report over the API, logged in as the facilitator.
func (e *env) report(id string) server.Report {
	e.t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	resp, err := c.Post(e.url+"/api/login", "application/json",
		strings.NewReader(fmt.Sprintf(`{"name":%q,"password":%q}`, facName, facPassword)))
	if err != nil || resp.StatusCode != http.StatusOK {
		e.t.Fatalf("login: %v %v", resp, err)
	}
	resp.Body.Close()
	resp, err = c.Get(e.url + "/api/sessions/" + id + "/report")
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var rep server.Report
	if err := json.NewDecoder(resp.Body).Decode(&rep); err != nil || resp.StatusCode != http.StatusOK {
		e.t.Fatalf("report: %d %v", resp.StatusCode, err)
	}
	return rep
}

// answersOf counts a participant's answers per question in a report.
func answersOf(rep server.Report, name string) map[string][]server.ReportAnswer {
	out := map[string][]server.ReportAnswer{}
	for _, a := range rep.Answers {
		if a.Name == name {
			out[a.Question] = append(out[a.Question], a)
		}
	}
	return out
}

func (tb *tab) login() {
	tb.t.Helper()
	tb.wait(`document.querySelector("#login-name")`)
	tb.typeInto("#login-name", facName)
	tb.typeInto("#login-password", facPassword)
	tb.click(`[data-k=login]`)
}

// TestSession plays scenarios/voorbeeld.yaml as a facilitator and three participants in
// two teams, from login and join to the debrief, including a reload in the middle of a
// question and an answer that was stored but never sent.
func TestSession(t *testing.T) {
	e := newEnv(t)
	lib, _ := engine.Load(scenarios.FS())

	// The facilitator logs in, prepares a team session of the example and opens the lobby.
	fac := e.open("facilitator", "/#/fac")
	fac.login()
	fac.prepare("team")
	code, session := fac.create()
	if len(code) != 9 || code[4] != '-' {
		t.Fatalf("join code %q", code)
	}
	fac.waitText(".join-url", "/join/"+code)
	fac.wait(`document.querySelector(".join-block .qr svg path")?.getAttribute("d").length > 100`)

	// Three participants join with the link, each in a browser of their own.
	hostile := `<img src=x onerror="window.pwned=1">Eve`
	join := func(name, role, team string) *tab {
		p := e.open(name, "/join/"+code)
		p.wait(`document.querySelector("#join-name")`)
		p.typeInto("#join-name", name)
		p.click(`input[data-k=role-` + role + `]`)
		p.click(`input[data-k=team-` + team + `]`)
		p.click(`[data-k=join]`)
		p.wait(`document.querySelector(".waiting")`)
		return p
	}
	anna := join("Anna", "bz", "rood")
	bram := join("Bram", "def", "rood")
	eve := join(hostile, "bz", "blauw")
	eve.waitText(".me-name", hostile)

	fac.wait(`document.querySelectorAll("tr[data-participant] .dot.on").length === 3`)
	fac.waitText(".pname", hostile)
	var pwned bool
	fac.eval(`!!window.pwned || !!document.querySelector("img[src=x]")`, &pwned)
	if pwned {
		t.Fatal("a participant's name was rendered as markup")
	}

	// The projector window shows the code large, and counts who joined.
	pj := e.projector(session)
	pj.waitText(".pj-code", code)
	pj.waitText(".pj-count", "3")

	// Start: every world shows its first inject; the facilitator opens the first question.
	fac.click(`[data-k=start]`)
	fac.wait(`document.querySelector("[data-k=rood-eerste-stap-open]")?.disabled === false`)
	fac.click(`[data-k=rood-eerste-stap-open]`)
	fac.click(`[data-k=blauw-eerste-stap-open]`)
	for _, p := range []*tab{anna, bram, eve} {
		p.wait(`document.querySelector("#inject-title")`)
		p.waitText(".clock", "T+0:00")
		p.wait(`document.querySelector("section[data-question=eerste-stap] .countdown")?.textContent`)
	}

	answer := func(p *tab, q, opt string) {
		p.click(fmt.Sprintf(`input[data-k="q-%s-%s"]`, q, opt))
		p.click(fmt.Sprintf(`[data-k="q-%s-send"]`, q))
		p.wait(fmt.Sprintf(`document.querySelector("section[data-question=%s] .status.received")`, q))
	}
	answer(anna, "eerste-stap", "partners-informeren")

	// The projector shows both teams side by side, each with its question, bars and timer,
	// on one screen.
	pj.wait(`document.querySelectorAll(".pj-world").length === 2 && document.querySelectorAll(".pj-option").length === 6`)
	pj.waitText(`.pj-world[data-world=rood] .pj-answered`, "1 of 2")
	for _, vp := range [][2]int64{{1920, 1080}, {1280, 720}} {
		pj.viewport(vp[0], vp[1])
		pj.mustInside(".pj-world h2", ".pj-prompt", ".pj-option", ".pj-timer", ".pj-answered")
		pj.noScroll()
	}
	pj.keep("projector-teams")
	answer(eve, "eerste-stap", "afwachten")

	// Bram answers and reloads at once, before or after the acknowledgement: either way the
	// answer is there once after the reload.
	bram.click(`input[data-k="q-eerste-stap-partners-informeren"]`)
	bram.eval(`document.querySelector('[data-k="q-eerste-stap-send"]').click(), true`, nil)
	bram.do(chromedp.Reload())
	bram.wait(`document.querySelector("section[data-question=eerste-stap] .status.received")`)
	bram.waitText("section[data-question=eerste-stap] .your-answer", "Inform allies")

	fac.waitText(`section[data-world=rood] .q-panel[data-question=eerste-stap] li[data-option=partners-informeren] .bar-value`, "2 (100%)")
	fac.waitText(`section[data-world=blauw] .q-panel[data-question=eerste-stap] .answered`, "1 of 1")
	for _, w := range []string{"rood", "blauw"} {
		fac.click(`[data-k=` + w + `-eerste-stap-close]`)
		fac.wait(`document.querySelector("[data-k=` + w + `-eerste-stap-reveal]")`)
		fac.click(`[data-k=` + w + `-eerste-stap-reveal]`)
	}
	fac.waitText(`section[data-world=rood] .decision`, "Inform allies")

	// The feedback quotes the policy, with its source and section.
	quote := lib.Corpus.Statement("ivs-2026/zelf-gekozen-moment").Quote
	anna.waitText("section[data-question=eerste-stap] .feedback blockquote", quote[:40])
	anna.waitText("section[data-question=eerste-stap] .feedback .source", "section")
	anna.waitText("section[data-question=eerste-stap] .score-line", "of 10 points")
	anna.waitText(".score .total", "(100%)")
	eve.waitText("section[data-question=eerste-stap] .feedback", "proactive")

	// The next inject opens all its questions at once.
	fac.click(`[data-k=nextOpen]`)
	for _, p := range []*tab{anna, bram, eve} {
		p.waitText("#inject-title", "The investigation")
	}
	anna.click(`input[data-k="q-maatregelen-sancties"]`)
	anna.click(`input[data-k="q-maatregelen-cmx"]`)
	anna.click(`[data-k="q-maatregelen-send"]`)
	anna.wait(`document.querySelector("section[data-question=maatregelen] .status.received")`)
	anna.typeInto(`input[data-k="q-bbp-doel"]`, "2,8")
	anna.click(`[data-k="q-bbp-doel-send"]`)
	anna.wait(`document.querySelector("section[data-question=bbp-doel] .status.received")`)
	anna.typeInto(`textarea[data-k="q-toelichting"]`, "We kiezen zelf het moment.")
	anna.click(`[data-k="q-toelichting-send"]`)
	anna.wait(`document.querySelector("section[data-question=toelichting] .status.received")`)
	// A question for another role is shown, not asked.
	anna.waitText("section[data-question=prioriteiten]", "Defence")

	// Bram ranks with the keyboard: "exercise with allies" up to the first place.
	const place = `[...document.querySelectorAll("section[data-question=prioriteiten] .rank-item")].findIndex(li => li.dataset.id === "oefenen")`
	var at int
	bram.eval(place, &at)
	if at == 0 { // already first as offered: down and back up, so that the keys are used
		bram.do(chromedp.Focus(chromedp.CSS(`[data-k="rank-prioriteiten-oefenen-down"]`)), chromedp.KeyEvent("\r"))
		bram.wait(place + " === 1")
		at = 1
	}
	for ; at > 0; at-- {
		bram.do(chromedp.Focus(chromedp.CSS(`[data-k="rank-prioriteiten-oefenen-up"]`)), chromedp.KeyEvent("\r"))
		bram.wait(fmt.Sprintf("%s === %d", place, at-1))
	}
	bram.waitText("section[data-question=prioriteiten] .rank-item:first-child .rank-text", "Exercise with allies")
	bram.click(`[data-k="q-prioriteiten-send"]`)
	bram.wait(`document.querySelector("section[data-question=prioriteiten] .status.received")`)

	// An answer stored on the device but never sent (the page died first) is sent after
	// the reload, with its id.
	const lostID = "0b4e9a52-7a51-4d8c-9a61-3f0c8d1e2a77"
	bram.eval(fmt.Sprintf(`(() => { const p = JSON.parse(localStorage.getItem("paraat.part"));
		localStorage.setItem("paraat.pending." + p.session, JSON.stringify({"bbp-doel": {id: %q, answer: {number: 2}}})); return true; })()`, lostID), nil)
	bram.do(chromedp.Reload())
	bram.wait(`document.querySelector("section[data-question=bbp-doel] .status.received")`)
	bram.waitText("section[data-question=bbp-doel] .your-answer", "2")

	eve.click(`input[data-k="q-maatregelen-sancties"]`)
	eve.click(`[data-k="q-maatregelen-send"]`)
	eve.wait(`document.querySelector("section[data-question=maatregelen] .status.received")`)
	eve.typeInto(`textarea[data-k="q-toelichting"]`, `<b>bold</b> claim`)
	eve.click(`[data-k="q-toelichting-send"]`)
	eve.wait(`document.querySelector("section[data-question=toelichting] .status.received")`)

	// Pause and resume reach the participants.
	fac.click(`[data-k=pause]`)
	anna.wait(`document.querySelector(".banner.paused")`)
	fac.click(`[data-k=resume]`)
	anna.wait(`!document.querySelector(".banner.paused")`)

	// The facilitator scores Anna's free text with the rubric and decides for the room.
	fac.waitText(`section[data-world=rood] .text-answer`, "We kiezen zelf het moment.")
	fac.waitText(`section[data-world=blauw] .text-answer .free-text`, "<b>bold</b> claim")
	fac.eval(`(() => { const li = [...document.querySelectorAll("section[data-world=rood] .text-answer")].find(x => x.textContent.includes("Anna"));
		li.querySelector("input[type=checkbox]").click(); li.querySelector("button").click(); return true; })()`, nil)
	fac.waitText(`section[data-world=rood] .text-answer .badge.good`, "2 of 3")
	fac.typeInto(`[data-k=rood-toelichting-decide-text]`, "Samen en op ons moment.")
	fac.click(`[data-k=rood-toelichting-decide]`)
	fac.waitText(`section[data-world=rood] .q-panel[data-question=toelichting] .decision`, "Samen en op ons moment.")
	fac.wait(`document.querySelectorAll("section.world-card .gauge .meter[role=meter]").length === 4`)

	// On to the endings, then the end of the session.
	fac.click(`[data-k=next]`)
	anna.wait(`document.querySelector("article.ending")`)
	eve.wait(`document.querySelector("article.ending")`)
	fac.eval(`window.confirm = () => true`, nil)
	fac.click(`[data-k=end]`)
	for _, p := range []*tab{anna, bram, eve} {
		p.waitText(".notice", "ended")
	}

	// The debrief: each world's path, the decisions side by side, the lenses, the quotes.
	fac.click(`[data-k=debrief]`)
	fac.wait(`document.querySelectorAll(".world-path").length === 2`)
	fac.waitText(".theme .findings", "Team red")
	fac.waitText(".theme .findings", "Team blue")
	fac.waitText(".theme .findings", "Inform allies")
	fac.waitText("table.lenses tbody", "Policy path")
	fac.waitText(".answer-item blockquote", quote[:40])
	fac.wait(`document.querySelectorAll(".world-path .path-list li").length >= 4`)
	var csvLines int
	fac.eval(`fetch(document.querySelector(".exports a[download]").href).then(r => r.text()).then(s => s.trim().split("\n").length)`, &csvLines)

	rep := e.report(session)
	if len(rep.Answers) != 10 || csvLines != 11 {
		t.Errorf("%d answers in the report and %d CSV lines, want 10 and 11", len(rep.Answers), csvLines)
	}
	for _, name := range []string{"Anna", "Bram", hostile} {
		for q, as := range answersOf(rep, name) {
			if len(as) != 1 {
				t.Errorf("%s answered %s %d times", name, q, len(as))
			}
		}
	}
	b := answersOf(rep, "Bram")
	if p := b["prioriteiten"]; len(p) != 1 || len(p[0].Answer.Options) != 3 || p[0].Answer.Options[0] != "oefenen" {
		t.Errorf("Bram's ranking: %+v", p)
	}
	if len(b["eerste-stap"]) != 1 || b["eerste-stap"][0].Answer.Option != "partners-informeren" {
		t.Errorf("Bram's answer to eerste-stap after the reload: %+v", b["eerste-stap"])
	}
	if len(b["bbp-doel"]) != 1 || b["bbp-doel"][0].ID != lostID {
		t.Errorf("the answer stored before the reload: %+v", b["bbp-doel"])
	}
	a := answersOf(rep, "Anna")
	if len(a["bbp-doel"]) != 1 || a["bbp-doel"][0].Answer.Number == nil || *a["bbp-doel"][0].Answer.Number != 2.8 {
		t.Errorf("Anna's number (typed with a decimal comma): %+v", a["bbp-doel"])
	}
	if tl := a["toelichting"]; len(tl) != 1 || tl[0].Score.Pending || tl[0].Score.Points <= 0 || strings.Join(tl[0].Answer.Items, ",") != "zelf-kiezen" {
		t.Errorf("Anna's scored free text: %+v", a["toelichting"])
	}
}
