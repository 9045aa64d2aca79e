package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// axeVersion is the vendored axe-core in testdata/axe (see its README).
const axeVersion = "4.14.1"

var axeSource = sync.OnceValues(func() (string, error) {
	b, err := os.ReadFile(filepath.Join("testdata", "axe", "axe.min.js"))
	return string(b), err
})

// axeRun checks the page as it stands against WCAG 2.0 and 2.1, levels A and AA, and
// returns one readable line per violating element: the state, rule, impact, selector.
// axe is evaluated through the DevTools protocol, which the page's Content-Security-Policy
// does not govern, so the page needs no change to be checked.
const axeRun = `(async () => {
	const r = await axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}, resultTypes: ["violations"]});
	return r.violations.flatMap(v => v.nodes.map(n => v.id + " (" + (n.impact || v.impact) + "): " + n.target.map(String).join(" >> ") + " — " + v.help +
		(n.failureSummary ? " [" + n.failureSummary.replace(/\s+/g, " ") + "]" : "")));
})()`

// axeViolations runs axe-core (already injected) over the page as it stands.
func (tb *tab) axeViolations() []string {
	tb.t.Helper()
	var bad []string
	tb.eval(axeRun, &bad)
	return bad
}

// axe reports every WCAG A/AA violation axe-core finds in the page's current state; where
// the page has a language switch, in both languages, and it leaves the language as it was.
func (tb *tab) axe(state string) {
	tb.t.Helper()
	src, err := axeSource()
	if err != nil {
		tb.t.Fatalf("axe-core %s: %v", axeVersion, err)
	}
	var have bool
	tb.eval(`typeof window.axe === "object"`, &have)
	if !have {
		tb.eval(src+"\n;true", nil)
	}
	tb.e.axeStates++
	check := func() {
		var lang string
		tb.eval(`document.documentElement.lang`, &lang)
		for _, b := range tb.axeViolations() {
			tb.t.Errorf("axe: %s, %s (%s): %s", tb.name, state, lang, b)
		}
	}
	check()
	var switchable bool
	tb.eval(`!!document.querySelector("#lang")`, &switchable)
	if !switchable {
		return
	}
	var lang string
	tb.eval(`document.documentElement.lang`, &lang)
	for i := 0; i < 2; i++ {
		tb.click("#lang")
		tb.wait(fmt.Sprintf(`document.documentElement.lang !== %q`, lang))
		if i == 0 {
			check()
		}
		tb.eval(`document.documentElement.lang`, &lang)
	}
}

// TestAccessibility runs axe-core over every state a user reaches: the start page, login,
// library and join page; the phone at 390x844 in the lobby, during a question and after
// feedback; the console at 1366x768 in the lobby and during a question; the projector at
// 1280x720 in the lobby, question, reveal and finale; the after-action report; self-study
// and its result; the scenario viewer and the author's workbench.
func TestAccessibility(t *testing.T) {
	e := newEnv(t)

	home := e.open("visitor", "/")
	home.wait(`document.querySelector("main h1")`)
	home.axe("start page")
	// The check itself: an image without a text alternative must be found.
	home.eval(`(() => { const i = document.createElement("img"); i.id = "axe-probe"; i.src = "data:,"; document.querySelector("main").append(i); return true; })()`, nil)
	if bad := home.axeViolations(); len(bad) != 1 || !strings.HasPrefix(bad[0], "image-alt (critical): #axe-probe") {
		t.Fatalf("axe-core does not report an image without alt text: %q", bad)
	}
	home.eval(`document.querySelector("#axe-probe").remove(), true`, nil)
	home.do(navigate(e.url + "/#/join"))
	home.wait(`document.querySelector("main h1")`)
	home.axe("join page")

	fac := e.open("facilitator", "/#/fac")
	fac.viewport(1366, 768)
	fac.wait(`document.querySelector("#login-name")`)
	fac.axe("login")
	fac.login()
	fac.wait(`document.querySelector("li[data-scenario=voorbeeld]")`)
	fac.axe("library")
	fac.prepare("shared")
	fac.axe("preparing a session")
	code, session := fac.create()
	fac.axe("console, lobby")

	pj := e.projector(session)
	pj.viewport(1280, 720)
	pj.wait(`document.querySelector(".pj-qr svg path")`)
	pj.axe("projector, lobby")

	anna := e.open("Anna", "/join/"+code)
	anna.viewport(390, 844)
	anna.wait(`document.querySelector("#join-name")`)
	anna.axe("phone, join form")
	anna.typeInto("#join-name", "Anna")
	anna.click(`input[data-k=role-bz]`)
	anna.click(`[data-k=join]`)
	anna.wait(`document.querySelector(".waiting")`)
	anna.axe("phone, lobby")

	fac.click(`[data-k=start]`)
	fac.click(`[data-k=bar-open-eerste-stap]`)
	fac.wait(`document.querySelector("[data-k=bar-close-eerste-stap]")`)
	anna.wait(`document.querySelector('[data-k="q-eerste-stap-send"]')`)
	pj.wait(`document.querySelectorAll(".pj-option").length === 3`)
	fac.axe("console, question open")
	pj.axe("projector, question")
	anna.click(`input[data-k="q-eerste-stap-partners-informeren"]`)
	anna.axe("phone, question")
	anna.eval(`window.dispatchEvent(new Event("offline")), true`, nil)
	anna.wait(`document.querySelector(".conn-offline")`)
	anna.axe("phone, offline")
	anna.eval(`window.dispatchEvent(new Event("online")), true`, nil)
	anna.wait(`!document.querySelector(".conn-offline")`)
	anna.click(`[data-k="q-eerste-stap-send"]`)
	anna.wait(`document.querySelector("section[data-question=eerste-stap] .status.received")`)

	fac.click(`[data-k=bar-close-eerste-stap]`)
	fac.click(`[data-k=bar-reveal-eerste-stap]`)
	pj.wait(`document.querySelector(".pj-quote blockquote")`)
	pj.axe("projector, reveal")
	anna.wait(`document.querySelector("section[data-question=eerste-stap] .feedback details.policy")`)
	anna.eval(`(() => { for (const d of document.querySelectorAll("details")) d.open = true; return true; })()`, nil)
	anna.axe("phone, feedback")
	fac.axe("console, revealed")
	fac.click(`[data-k=pause]`)
	fac.wait(`document.querySelector("[data-k=resume]")`)
	pj.wait(`document.querySelector(".pj-paused")`)
	fac.axe("console, paused")
	pj.axe("projector, paused")
	fac.click(`[data-k=resume]`)
	fac.wait(`document.querySelector("[data-k=pause]")`)

	fac.click(`[data-k=next]`)
	fac.click(`[data-k=next]`)
	anna.wait(`document.querySelector("article.ending")`)
	fac.eval(`window.confirm = () => true`, nil)
	fac.click(`[data-k=end]`)
	anna.wait(`document.querySelector(".conn-ended")`)
	anna.axe("phone, ended")
	pj.wait(`document.querySelector(".pj-ending-title")`)
	pj.axe("projector, finale")

	fac.click(`[data-k=debrief]`)
	fac.wait(`document.querySelectorAll(".toc li").length >= 8 && document.querySelector("table.whatifs tbody tr")`)
	fac.eval(`(() => { for (const d of document.querySelectorAll("details")) d.open = true; return true; })()`, nil)
	fac.axe("after-action report")
	for _, lang := range []string{"nl", "en"} {
		fac.do(navigate(e.url + "/sessions/" + session + "/report?lang=" + lang))
		fac.wait(`document.querySelector("h1")`)
		fac.axe("printable report")
	}

	fac.do(navigate(e.url + "/#/view/voorbeeld"))
	fac.wait(`document.querySelectorAll(".graph .g-node[data-inject]").length === 4 && document.querySelector(".diagnostics h2")`)
	fac.axe("scenario viewer")
	fac.do(navigate(e.url + "/#/check"))
	fac.wait(`document.querySelector("#check-yaml")`)
	fac.axe("workbench, empty")
	good, err := os.ReadFile(filepath.Join("..", "scenarios", "voorbeeld.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	bad := strings.Replace(string(good), "goto: tegenreactie", "goto: tegenreaktie", 1)
	fac.setEditor("check-yaml", bad)
	fac.click(`[data-k=check]`)
	fac.wait(`document.querySelector("#check-result .banner.error")`)
	fac.axe("workbench, with errors")
	fac.setEditor("check-yaml", string(good))
	fac.click(`[data-k=check]`)
	fac.wait(`document.querySelector("#check-result .banner.ok") && document.querySelector("#check-result .graph")`)
	fac.axe("workbench, loaded")

	u := e.open("learner", "/#/study")
	u.viewport(390, 844)
	u.click(`li[data-scenario=voorbeeld] a.button.primary`)
	u.wait(`document.querySelector("[data-k=start]")`)
	u.axe("self-study, start")
	u.typeInto("#study-name", "Sam")
	u.click(`[data-k=start]`)
	u.wait(`document.querySelector('[data-k="q-eerste-stap-send"]')`)
	u.axe("self-study, question")
	u.click(`input[data-k="q-eerste-stap-partners-informeren"]`)
	u.click(`[data-k="q-eerste-stap-send"]`)
	u.wait(`document.querySelector("section[data-question=eerste-stap] .feedback blockquote")`)
	u.axe("self-study, feedback")
	u.click(`[data-k=next]`)
	u.wait(`document.querySelector('input[data-k="q-maatregelen-sancties"]')`)
	u.click(`input[data-k="q-maatregelen-sancties"]`)
	u.click(`input[data-k="q-maatregelen-cmx"]`)
	for _, q := range []string{"maatregelen", "prioriteiten"} {
		u.click(fmt.Sprintf(`[data-k="q-%s-send"]`, q))
		u.wait(fmt.Sprintf(`document.querySelector("section[data-question=%s] .status.received")`, q))
	}
	u.axe("self-study, ranking and number")
	u.typeInto(`input[data-k="q-bbp-doel"]`, "2.8")
	u.click(`[data-k="q-bbp-doel-send"]`)
	u.wait(`document.querySelector("section[data-question=bbp-doel] .status.received")`)
	u.typeInto(`textarea[data-k="q-toelichting"]`, "Op een zelf gekozen moment, met strategische communicatie.")
	u.click(`input[data-k="q-toelichting-item-zelf-kiezen"]`)
	u.click(`[data-k="q-toelichting-send"]`)
	u.wait(`document.querySelector("section[data-question=toelichting] .status.received")`)
	u.wait(`document.querySelector("[data-k=next]")?.disabled === false`)
	u.click(`[data-k=next]`)
	u.wait(`document.querySelector("article.ending h2")`)
	u.click(`[data-k=finish]`)
	u.wait(`document.querySelectorAll(".review-item").length === 5`)
	u.eval(`(() => { for (const d of document.querySelectorAll("details")) d.open = true; return true; })()`, nil)
	u.axe("self-study, result")
	t.Logf("axe-core %s: %d page states checked", axeVersion, e.axeStates)
}
