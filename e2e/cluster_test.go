package e2e

import (
	"context"
	"testing"

	"github.com/paraat-nl/paraat/server"
)

// TestAdminServers: an admin sees the servers panel on the facilitator's page (one server with
// SQLite), in Dutch and in English, without accessibility violations; a facilitator who is not
// an admin does not see it.
func TestAdminServers(t *testing.T) {
	e := newEnv(t)
	if err := e.store.PutUser(context.Background(), server.User{Name: "beheer", Admin: true, Hash: server.TestKDF.Hash(facPassword)}); err != nil {
		t.Fatal(err)
	}
	adm := e.open("admin", "/#/fac")
	adm.wait(`document.querySelector("#login-name")`)
	adm.typeInto("#login-name", "beheer")
	adm.typeInto("#login-password", facPassword)
	adm.click(`[data-k=login]`)
	adm.wait(`(() => { const el = document.querySelector("section.cluster"); return el && el.offsetParent !== null; })()`)
	want := map[string][2]string{"nl": {"Eén server", "Bereikbaar"}, "en": {"One server", "Reachable"}}
	for range 2 {
		var lang string
		adm.eval(`document.documentElement.lang`, &lang)
		w, ok := want[lang]
		if !ok {
			t.Fatalf("page language %q", lang)
		}
		adm.waitText("section.cluster", w[0])
		adm.waitText("section.cluster .cluster-state", w[1])
		adm.axe("servers panel (" + lang + ")")
		adm.click("#lang")
		adm.wait(`document.documentElement.lang !== ` + jsString(lang))
	}
	adm.checkErrors()

	fac := e.open("facilitator", "/#/fac")
	fac.login()
	fac.wait(`document.querySelector("li[data-scenario=voorbeeld]") !== null`)
	var n int
	fac.eval(`document.querySelectorAll("section.cluster").length`, &n)
	if n != 0 {
		t.Errorf("a facilitator who is not an admin sees the servers panel")
	}
	fac.checkErrors()
}
