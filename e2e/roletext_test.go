package e2e

import (
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/paraat-nl/paraat/engine"
	"github.com/paraat-nl/paraat/internal/builtin"
	"github.com/paraat-nl/paraat/scenarios"
)

// TestRoleTextAndClock: in a live session each participant reads the inject text written for
// their own role, and the clock label in their own language.
func TestRoleTextAndClock(t *testing.T) {
	base, _ := builtin.Library()
	src, err := fs.ReadFile(scenarios.FS(), "voorbeeld.yaml")
	if err != nil {
		t.Fatal(err)
	}
	roleText := `    role_text:
      - roles: [def]
        text:
          nl: De marine meldt een vrachtschip met uitgeworpen anker boven de kabel.
          en: The navy reports a cargo ship with its anchor down above the cable.
    questions:`
	yaml := strings.Replace(string(src), `    clock: "T+0:00"`, `    clock: {nl: "Dag 1 08:00", en: "Day 1 08:00"}`, 1)
	yaml = strings.Replace(yaml, "    questions:", roleText, 1)
	diags := &engine.Diagnostics{}
	lib := engine.LoadScenarios(fstest.MapFS{"voorbeeld.yaml": {Data: []byte(yaml)}}, []string{"voorbeeld.yaml"}, base.Corpus, diags)
	if lib.Scenario("voorbeeld") == nil {
		t.Fatalf("the scenario with a role text does not load: %v", diags.Err())
	}
	e := newEnvLib(t, lib)

	fac := e.open("facilitator", "/#/fac")
	fac.login()
	fac.click(`li[data-scenario=voorbeeld] a.button.primary`)
	fac.click(`[data-k=create]`)
	fac.wait(`document.querySelector(".join-code")`)
	var code string
	fac.eval(`document.querySelector(".join-code").textContent`, &code)

	join := func(name, role, lang string) *tab {
		p := e.open(name, "/join/"+code)
		p.eval(`(() => { if (document.documentElement.lang !== `+jsString(lang)+`) document.querySelector("#lang").click(); return true; })()`, nil)
		p.wait(`document.documentElement.lang === ` + jsString(lang))
		p.wait(`document.querySelector("#join-name")`)
		p.typeInto("#join-name", name)
		p.click(`input[data-k=role-` + role + `]`)
		p.click(`[data-k=join]`)
		p.wait(`document.querySelector(".waiting")`)
		return p
	}
	anna := join("Anna", "bz", "nl")
	bram := join("Bram", "def", "en")
	fac.click(`[data-k=start]`)

	anna.wait(`document.querySelector("#inject-title")`)
	anna.waitText(".inject .clock", "Dag 1 08:00")
	anna.waitText(".inject .inject-text", "Een netbeheerder meldt")
	bram.wait(`document.querySelector("#inject-title")`)
	bram.waitText(".inject .clock", "Day 1 08:00")
	bram.waitText(".inject .inject-text", "The navy reports a cargo ship")
	var other bool
	bram.eval(`document.querySelector(".inject .inject-text").textContent.includes("network operator")`, &other)
	if other {
		t.Error("Defence reads the common text instead of its own")
	}
}
