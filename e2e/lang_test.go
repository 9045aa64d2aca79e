package e2e

import "testing"

// TestLanguageSwitch switches the interface and the scenario texts between Dutch and
// English, and keeps the choice across a reload.
func TestLanguageSwitch(t *testing.T) {
	e := newEnv(t)
	u := e.open("learner", "/#/study")
	// Start from English whatever the browser prefers, through the switch itself.
	var lang string
	u.eval(`document.documentElement.lang`, &lang)
	if lang == "nl" {
		u.click("#lang")
	}
	u.wait(`document.documentElement.lang === "en"`)
	u.waitText("#nav", "Self-study")
	u.waitText("li[data-scenario=voorbeeld] h2", "Example: a damaged cable")

	u.click("#lang")
	u.wait(`document.documentElement.lang === "nl"`)
	u.waitText("#nav", "Zelfstudie")
	u.waitText("#lang", "English")
	u.waitText("li[data-scenario=voorbeeld] h2", "Voorbeeld: een beschadigde kabel")
	u.waitText("main h1", "Zelfstudie")

	// The choice survives a reload, and applies to every page.
	u.do(reload())
	u.waitText("#nav", "Zelfstudie")
	u.waitText("li[data-scenario=voorbeeld] h2", "Voorbeeld: een beschadigde kabel")
	u.do(navigate(e.url + "/#/join"))
	u.waitText("main h1", "Meedoen")
	u.waitText("label", "Deelnamecode")

	u.click("#lang")
	u.waitText("main h1", "Join")
	u.waitText("label", "Join code")
	var stored string
	u.eval(`localStorage.getItem("paraat.lang")`, &stored)
	if stored != `"en"` {
		t.Errorf("stored language %q, want \"en\"", stored)
	}
}
