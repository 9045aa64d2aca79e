package e2e

import (
	"io/fs"
	"strings"
	"testing"

	"github.com/paraat-nl/paraat/scenarios"
)

// TestViewer renders a library scenario for its author, with its branch graph and quoted
// citations, and checks a pasted draft with errors.
func TestViewer(t *testing.T) {
	e := newEnv(t)
	a := e.open("author", "/#/view/voorbeeld")
	a.login()
	a.waitText(".scenario-view h1", "Example: a damaged cable")
	a.wait(`document.querySelectorAll(".graph .g-node[data-inject]").length === 4`)
	a.wait(`document.querySelector(".graph .g-rule") && document.querySelector(".graph .g-end")`)
	a.waitText(".options-src .statement blockquote", "")
	a.waitText(".options-src", "ivs-2026/zelf-gekozen-moment")
	a.waitText(".diagnostics h2", "Check")

	good, err := fs.ReadFile(scenarios.FS(), "voorbeeld.yaml")
	if err != nil {
		t.Fatal(err)
	}
	bad := strings.Replace(string(good), "goto: tegenreactie", "goto: tegenreaktie", 1)
	a.do(navigate(e.url + "/#/check"))
	a.wait(`document.querySelector("#check-yaml")`)
	a.eval(`(() => { const el = document.querySelector("#check-yaml"); el.value = `+jsString(bad)+`;
		el.dispatchEvent(new Event("input")); return true; })()`, nil)
	a.click(`[data-k=check]`)
	a.waitText("#check-result .banner.error", "does not load")
	a.waitText(".wb-diag.error .wb-loc", "line")
	a.waitText(".wb-diag.error .wb-msg", "tegenreaktie")

	a.eval(`(() => { const el = document.querySelector("#check-yaml"); el.value = `+jsString(string(good))+`;
		el.dispatchEvent(new Event("input")); return true; })()`, nil)
	a.click(`[data-k=check]`)
	a.waitText("#check-result .banner.ok", "loads")
	a.wait(`document.querySelectorAll("#check-result .graph .g-node[data-inject]").length === 4`)
}
