package session

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/paraat-nl/paraat/engine"
	"github.com/paraat-nl/paraat/scenarios"
	"github.com/paraat-nl/paraat/server"
)

// TestReplayEqualsLive drives sessions with random command sequences, straight through the
// decide functions and apply (what the hub does, without the sockets), including joins and
// answers sent again with the same id, answers out of order and out of time, and deadlines
// passing. It checks the two invariants of the live core:
//
//   - no decide function ever proposes a record whose key the log already holds (so the
//     store's UNIQUE (session, key) never refuses a command the state accepted);
//   - replaying the log into a fresh state gives the live state, byte for byte: every view,
//     the aggregates and the report.
func TestReplayEqualsLive(t *testing.T) {
	lib, diags := engine.Load(scenarios.FS())
	if diags.Errors() > 0 {
		t.Fatal(diags.Err())
	}
	cases := []struct {
		scenario string
		meta     server.Meta
	}{
		{"voorbeeld", server.Meta{Lens: "ivs-2026", Scope: server.ScopeShared}},
		{"voorbeeld", server.Meta{Lens: "ivs-2026", Scope: server.ScopeTeam,
			Teams: []server.RoleView{{ID: "rood"}, {ID: "blauw"}}}},
		{"noordzee-kabel", server.Meta{Lens: "ivs-2026", Scope: server.ScopeShared}},
		{"quiz-welk-document", server.Meta{Lens: "ivs-2026", Scope: server.ScopeParticipant}},
		{"caribisch-deel", server.Meta{Lens: "ivs-2026", Scope: server.ScopeParticipant}},
	}
	for _, tc := range cases {
		for seed := range uint64(8) {
			t.Run(fmt.Sprintf("%s/%s/%d", tc.scenario, tc.meta.Scope, seed), func(t *testing.T) {
				randomSession(t, lib, tc.scenario, tc.meta, seed)
			})
		}
	}
}

func randomSession(t *testing.T, lib *engine.Library, scenario string, meta server.Meta, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 7))
	mb, _ := json.Marshal(meta)
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	row := server.SessionRow{ID: "s", Scenario: scenario, Created: t0, Expires: t0.Add(24 * time.Hour), Meta: mb}
	st, err := New(lib, row)
	if err != nil {
		t.Fatal(err)
	}
	var log []server.Record
	now := t0
	// The facilitator's aggregates keep each participant's line until a record changes it:
	// after every commit they must be what a state that never built them holds.
	fresh, err := New(lib, row)
	if err != nil {
		t.Fatal(err)
	}
	sameAggregates := func(what string) {
		t.Helper()
		x, _ := json.Marshal(st.Aggregates(nil))
		y, _ := json.Marshal(fresh.Aggregates(nil))
		fresh.aggLines = nil
		if string(x) != string(y) {
			t.Fatalf("after %s: aggregates kept between records differ from new ones:\n kept %s\n new  %s", what, x, y)
		}
	}
	commit := func(what string, recs []server.Record) {
		t.Helper()
		seen := map[string]bool{}
		for _, r := range recs {
			if _, dup := st.keys[r.Key]; dup || seen[r.Key] || r.Key == "" {
				t.Fatalf("%s proposed key %q, already Entry or empty (log of %d)", what, r.Key, len(log))
			}
			seen[r.Key] = true
		}
		for _, r := range recs {
			r.Seq = int64(len(log) + 1)
			log = append(log, r)
			st.Apply(r)
			fresh.Apply(r)
		}
		sameAggregates(what)
	}
	commit("create", []server.Record{record(now, EvCreated, "created", evData{Meta: &meta})})
	var joinIDs, answerIDs []string
	type sent struct {
		pid string
		m   server.ClientMsg
	}
	var answers []sent // every answer sent, to send again later
	pick := func(list []string) string { return list[rng.IntN(len(list))] }
	for step := range 300 {
		now = now.Add(time.Duration(rng.IntN(3_000)) * time.Millisecond)
		m := server.ClientMsg{}
		var recs []server.Record
		var err error
		what := ""
		switch x := rng.IntN(100); {
		case x < 5 || len(st.order) == 0:
			what = "join"
			id := uuid.NewString()
			if len(joinIDs) > 0 && rng.IntN(3) == 0 {
				id = pick(joinIDs) // a join sent again
			}
			joinIDs = append(joinIDs, id)
			m = server.ClientMsg{Type: server.MsgJoin, Name: pick([]string{"Ann", "Bas", "Cor"}), ID: id}
			var p *Participant
			p, recs, err = st.DecideJoin(m, fmt.Sprintf("p-%d", step), "hash-"+id, now)
			if p != nil && recs != nil {
				t.Fatalf("a join both found %s and proposed records", p.id)
			}
		case x < 15 && len(answers) > 0:
			what = "answer again"
			a := answers[rng.IntN(len(answers))]
			var rec *server.Record
			rec, _, err = st.DecideAnswer(a.pid, a.m, now)
			if rec != nil {
				recs = []server.Record{*rec}
			}
		case x < 60:
			what = "answer"
			p := st.order[rng.IntN(len(st.order))]
			wd := st.worlds[p.world]
			if wd == nil || wd.w.Current() == nil {
				continue
			}
			qs := wd.w.Current().Questions
			if len(qs) == 0 {
				continue
			}
			q := qs[rng.IntN(len(qs))]
			id := uuid.NewString()
			if len(answerIDs) > 0 && rng.IntN(5) == 0 {
				id = pick(answerIDs) // another participant's id, or another question's
			}
			answerIDs = append(answerIDs, id)
			a := randomAnswer(q, rng)
			m = server.ClientMsg{Type: server.MsgAnswer, ID: id, Question: q.ID.Value, Answer: &a}
			answers = append(answers, sent{p.id, m})
			var rec *server.Record
			rec, _, err = st.DecideAnswer(p.id, m, now)
			if rec != nil {
				recs = []server.Record{*rec}
			}
		case x < 64:
			what = "expire"
			recs = st.Expired(now)
		case x < 70 && st.solo():
			what = "next (participant)"
			p := st.order[rng.IntN(len(st.order))]
			recs, err = st.DecideNext(p.world, now)
		default:
			m = facilitatorCommand(st, rng, step > 280)
			what = m.Type
			recs, err = st.DecideFacilitator(m, now)
		}
		if err == nil && len(recs) > 0 {
			commit(what, recs)
		}
	}
	if len(log) < 20 {
		var types []string
		for _, r := range log {
			types = append(types, r.Type)
		}
		t.Fatalf("only %d records in 300 steps: %v", len(log), types)
	}
	kinds := map[string]int{}
	for _, e := range st.log {
		kinds[e.Msg.Kind]++
	}
	t.Logf("%d records; stream: %v", len(log), kinds)
	replay, err := New(lib, row)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range log {
		replay.Apply(r)
	}
	if len(st.problems) > 0 {
		t.Fatalf("the live fold refused records: %v", st.problems)
	}
	same := func(what string, a, b any) {
		t.Helper()
		x, _ := json.Marshal(a)
		y, _ := json.Marshal(b)
		if string(x) != string(y) {
			t.Fatalf("%s: live and replay differ:\n live   %s\n replay %s", what, x, y)
		}
	}
	same("session", st.SessionView(), replay.SessionView())
	for _, id := range st.worldIDs {
		same("world "+id, st.worldView(st.worlds[id], now), replay.worldView(replay.worlds[id], now))
	}
	for _, p := range st.order {
		same("me "+p.id, st.MeView(p), replay.MeView(replay.parts[p.id]))
	}
	same("aggregates", st.Aggregates(nil), replay.Aggregates(nil))
	same("report", st.Report(now), replay.Report(now))
	same("stream", st.log, replay.log)
	same("keys", st.keys, replay.keys)
}

// facilitatorCommand picks a command with arguments that are often, not always, valid.
func facilitatorCommand(st *State, rng *rand.Rand, late bool) server.ClientMsg {
	types := []string{server.MsgStart, server.MsgNext, server.MsgOpen, server.MsgOpen, server.MsgOpen, server.MsgClose,
		server.MsgClose, server.MsgDecide, server.MsgReveal, server.MsgRubric, server.MsgPause, server.MsgResumeSession,
		server.MsgResumeSession, server.MsgRemove, server.MsgEnd}
	typ := types[rng.IntN(len(types))]
	if typ == server.MsgEnd && !late {
		typ = server.MsgResumeSession // an end finishes the session: only near the end
	}
	if typ == server.MsgRemove && rng.IntN(3) > 0 {
		typ = server.MsgOpen
	}
	m := server.ClientMsg{Type: typ}
	if len(st.worldIDs) > 0 && rng.IntN(3) == 0 {
		m.World = st.worldIDs[rng.IntN(len(st.worldIDs))]
	}
	var q *engine.Question
	for _, id := range st.worldIDs {
		if in := st.worlds[id].w.Current(); in != nil && len(in.Questions) > 0 {
			q = in.Questions[rng.IntN(len(in.Questions))]
		}
	}
	if q == nil && len(st.scn.Injects) > 0 && len(st.scn.Injects[0].Questions) > 0 {
		q = st.scn.Injects[0].Questions[0]
	}
	if q != nil {
		m.Question = q.ID.Value
		a := randomAnswer(q, rng)
		m.Answer = &a
		for _, it := range q.Rubric {
			if rng.IntN(2) == 0 {
				m.Items = append(m.Items, it.ID.Value)
			}
		}
	}
	if typ == server.MsgOpen && rng.IntN(2) == 0 {
		m.Question = ""
		m.TimeLimitMS = int64(rng.IntN(60_000))
	}
	if len(st.order) > 0 {
		m.Participant = st.order[rng.IntN(len(st.order))].id
	}
	return m
}

// randomAnswer gives an answer of the question's shape, mostly valid.
func randomAnswer(q *engine.Question, rng *rand.Rand) engine.Answer {
	var ids []string
	for _, o := range q.Options {
		ids = append(ids, o.ID.Value)
	}
	switch q.Type {
	case engine.Choice:
		if len(ids) > 0 {
			return engine.Answer{Option: ids[rng.IntN(len(ids))]}
		}
	case engine.Multi:
		var a engine.Answer
		for _, id := range ids {
			if rng.IntN(2) == 0 {
				a.Options = append(a.Options, id)
			}
		}
		if len(a.Options) == 0 && len(ids) > 0 {
			a.Options = ids[:1]
		}
		return a
	case engine.Rank:
		rng.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
		return engine.Answer{Options: ids}
	case engine.Number:
		n := float64(rng.IntN(10))
		return engine.Answer{Number: &n}
	}
	return engine.Answer{Text: "Eigen moment kiezen."}
}
