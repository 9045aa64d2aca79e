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
	// The viewer's graph as the workbench's: arrows, labelled branches, endings of their own shape.
	var g struct{ Arrows, Endings, Labels int }
	a.eval(`(() => { const svg = document.querySelector(".graph");
		return {Arrows: [...svg.querySelectorAll("path.g-edge")].filter(p => p.getAttribute("marker-end") === "url(#g-arrow)" && svg.querySelector("marker#g-arrow path")).length,
			Endings: svg.querySelectorAll(".g-ending polygon").length, Labels: svg.querySelectorAll(".g-label").length}; })()`, &g)
	if g.Arrows < 8 || g.Endings != 3 || g.Labels < 3 {
		t.Errorf("viewer graph: %+v, want arrows, 3 six-sided endings and labels", g)
	}
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
