package live_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/paraat-nl/paraat/engine"
	"github.com/paraat-nl/paraat/scenarios"
	"github.com/paraat-nl/paraat/server"
	"github.com/paraat-nl/paraat/server/live"
)

// TestShownOrderAndTie: every screen of a session lists the options in the order seeded by
// the session's id (so does the scenario detail the console reads, given that seed), and a
// tied majority is settled by the earliest answer and shown as a tie in the world view and
// the report, where the console reads it.
func TestShownOrderAndTie(t *testing.T) {
	lib, diags := engine.Load(scenarios.FS())
	if diags.Errors() > 0 {
		t.Fatal(diags.Err())
	}
	e := newEnv(t, newStore(t), live.Options{})
	info := e.create(server.CreateSession{Scenario: "voorbeeld", Scope: "shared"})
	f := e.watch(info.ID)
	ann := e.join(info.Code, "Ann", "bz", "")
	bas := e.join(info.Code, "Bas", "def", "")
	f.command(map[string]any{"type": "start"})
	f.command(map[string]any{"type": "open", "question": "eerste-stap"})
	var want []string
	for _, o := range engine.ShownOrder(lib.Scenario("voorbeeld").Question("eerste-stap"), info.ID) {
		want = append(want, o.ID.Value)
	}
	for _, c := range []*wsClient{ann, bas} {
		w := c.expect("world", func(m msg) bool {
			qs, _ := m.obj("world")["questions"].([]any)
			return len(qs) == 1 && qs[0].(map[string]any)["state"] == "open"
		})
		var got []string
		for _, o := range msg(w.obj("world")["questions"].([]any)[0].(map[string]any))["options"].([]any) {
			got = append(got, o.(map[string]any)["id"].(string))
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s sees the options as %v; the session's order is %v", c.name, got, want)
		}
	}
	// Bas answers first: his option wins the tie, whichever is listed first in the file.
	if m := bas.answer(uuid.NewString(), "eerste-stap", map[string]any{"option": "afwachten"}); m.str("type") != "ack" {
		t.Fatal(m)
	}
	if m := ann.answer(uuid.NewString(), "eerste-stap", map[string]any{"option": "direct-toeschrijven"}); m.str("type") != "ack" {
		t.Fatal(m)
	}
	f.command(map[string]any{"type": "close", "question": "eerste-stap"})
	w := bas.expect("world", func(m msg) bool {
		return msg(m.obj("world")["questions"].([]any)[0].(map[string]any)).str("state") == "closed"
	})
	q := msg(w.obj("world")["questions"].([]any)[0].(map[string]any))
	tie := q.obj("tie")
	if q.obj("decision").str("option") != "afwachten" || tie == nil || tie.str("rule") != engine.TieEarliestAnswer {
		t.Fatalf("decision %v, tie %v", q.obj("decision"), tie)
	}
	var rep server.Report
	if st := e.do("GET", "/api/sessions/"+info.ID+"/report", nil, &rep); st != 200 {
		t.Fatalf("report: %d", st)
	}
	d := rep.Worlds[0].Decisions[0]
	if d.Tie == nil || !slices.Equal(d.Tie.Options, []string{"afwachten", "direct-toeschrijven"}) {
		t.Errorf("report decision %+v: want the tie afwachten, direct-toeschrijven", d)
	}
	if html := e.get("/sessions/" + info.ID + "/report"); !strings.Contains(html, "settled by the earliest answer") {
		t.Error("the printed report does not show the tie")
	}
	if rep.PolicyPath == nil || len(rep.PolicyPath.Steps) == 0 {
		t.Errorf("the policy path has no steps: %+v", rep.PolicyPath)
	}
	var detail server.ScenarioDetail
	if st := e.do("GET", "/api/scenarios/voorbeeld?seed="+info.ID, nil, &detail); st != 200 {
		t.Fatalf("scenario: %d", st)
	}
	var got []string
	for _, o := range detail.Injects[0].Questions[0].Options {
		got = append(got, o.ID)
	}
	if !slices.Equal(got, want) {
		t.Errorf("the scenario detail with the session's seed lists %v, want %v", got, want)
	}
}
