package e2e

import (
	"fmt"
	"strings"
	"testing"

	"github.com/paraat-nl/paraat/engine"
	"github.com/paraat-nl/paraat/scenarios"
)

// TestTieAndShownOrder: phones show the options in the session's order, and a tied majority
// is shown as a tie, settled by the earliest answer, in the console and the debrief.
func TestTieAndShownOrder(t *testing.T) {
	e := newEnv(t)
	lib, _ := engine.Load(scenarios.FS())

	fac := e.open("facilitator", "/#/fac")
	fac.login()
	fac.prepare("shared")
	code, session := fac.create()

	join := func(name string) *tab {
		p := e.open(name, "/join/"+code)
		p.wait(`document.querySelector("#join-name")`)
		p.typeInto("#join-name", name)
		p.click(`input[data-k=role-bz]`)
		p.click(`[data-k=join]`)
		p.wait(`document.querySelector(".waiting")`)
		return p
	}
	kim, lex := join("Kim"), join("Lex")
	fac.wait(`document.querySelectorAll("tr[data-participant] .dot.on").length === 2`)
	fac.click(`[data-k=start]`)
	fac.wait(`document.querySelector("[data-k=main-eerste-stap-open]")?.disabled === false`)
	fac.click(`[data-k=main-eerste-stap-open]`)

	var want []string
	for _, o := range engine.ShownOrder(lib.Scenario("voorbeeld").Question("eerste-stap"), session) {
		want = append(want, o.ID.Value)
	}
	for _, p := range []*tab{kim, lex} {
		p.wait(`document.querySelector("section[data-question=eerste-stap] input")`)
		var got string
		p.eval(`[...document.querySelectorAll("section[data-question=eerste-stap] input")].map(i => i.value).join(",")`, &got)
		if got != strings.Join(want, ",") {
			t.Errorf("a phone shows the options as %s; the session's order is %s", got, strings.Join(want, ","))
		}
	}
	var order string
	fac.eval(`[...document.querySelectorAll(".q-panel[data-question=eerste-stap] li[data-option]")].map(li => li.dataset.option).join(",")`, &order)
	if order != strings.Join(want, ",") {
		t.Errorf("the console lists the options as %s; the session's order is %s", order, strings.Join(want, ","))
	}

	answer := func(p *tab, opt string) {
		p.click(fmt.Sprintf(`input[data-k="q-eerste-stap-%s"]`, opt))
		p.click(`[data-k="q-eerste-stap-send"]`)
		p.wait(`document.querySelector("section[data-question=eerste-stap] .status.received")`)
	}
	answer(lex, "afwachten")
	answer(kim, "direct-toeschrijven")
	fac.waitText(`.q-panel[data-question=eerste-stap] .answered`, "2 of 2")
	fac.click(`[data-k=main-eerste-stap-close]`)
	fac.waitText(`.q-panel[data-question=eerste-stap] .decision`, "Wait until the operator knows more")
	fac.waitText(`.q-panel[data-question=eerste-stap] .tie`, "tied between")
	fac.waitText(`.q-panel[data-question=eerste-stap] .tie`, "the earliest answer decided")

	fac.eval(`window.confirm = () => true`, nil)
	fac.click(`[data-k=end]`)
	fac.click(`[data-k=debrief]`)
	fac.waitText(".theme .findings .tie", "Publicly hold a state responsible")
}
