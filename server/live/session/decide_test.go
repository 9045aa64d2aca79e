package session_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/paraat-nl/paraat/engine"
	"github.com/paraat-nl/paraat/internal/builtin"
	"github.com/paraat-nl/paraat/server"
	"github.com/paraat-nl/paraat/server/live/session"
)

// TestDecideApply walks a shared session through its commands on the package's own API:
// each step decides a command at a given time, checks the refusal's code or the records'
// types and keys, and applies the records it got, as the hub does once they are durable.
func TestDecideApply(t *testing.T) {
	lib, diags := builtin.Library()
	if diags.Errors() > 0 {
		t.Fatal(diags.Err())
	}
	meta := server.Meta{Lens: "ivs-2026", Scope: server.ScopeShared}
	mb, _ := json.Marshal(meta)
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	row := server.SessionRow{ID: "s", Scenario: "voorbeeld", Created: t0, Expires: t0.Add(time.Hour), Meta: mb}
	st, err := session.New(lib, row)
	if err != nil {
		t.Fatal(err)
	}
	var log []server.Record
	apply := func(recs []server.Record) {
		for _, r := range recs {
			r.Seq = int64(len(log) + 1)
			log = append(log, r)
			st.Apply(r)
		}
	}
	apply([]server.Record{session.CreatedRecord(t0, meta)})

	fac := session.Sender{Facilitator: true}
	ann := session.Sender{Participant: "p-ann"}
	choice := func(id, option string) server.ClientMsg {
		return server.ClientMsg{Type: server.MsgAnswer, ID: id, Question: "eerste-stap", Answer: &engine.Answer{Option: option}}
	}
	join := func(now time.Time) ([]server.Record, error) {
		p, recs, err := st.DecideJoin(server.ClientMsg{Type: server.MsgJoin, Name: "  Ann  "}, "p-ann", "hash-ann", now)
		if p != nil && len(recs) > 0 {
			t.Fatal("a join both found a participant and proposed records")
		}
		return recs, err
	}
	steps := []struct {
		name string
		at   time.Duration // since t0
		do   func(now time.Time) ([]server.Record, error)
		code server.ErrorCode // the refusal's code, or "" for records
		want []string         // type/key of each record
	}{
		{"a participant's command before joining", 0, func(now time.Time) ([]server.Record, error) {
			return st.Decide(ann, choice("a1", "afwachten"), now)
		}, server.EUnauthorized, nil},
		{"join", time.Second, join, "", []string{"joined/join:hash-ann"}},
		{"the same join again finds the participant", 2 * time.Second, join, "", nil},
		{"a participant cannot start", 3 * time.Second, func(now time.Time) ([]server.Record, error) {
			return st.Decide(ann, server.ClientMsg{Type: server.MsgStart}, now)
		}, server.EForbidden, nil},
		{"an answer before the start", 4 * time.Second, func(now time.Time) ([]server.Record, error) {
			return st.Decide(ann, choice("a1", "afwachten"), now)
		}, server.EClosed, nil},
		{"the facilitator does not answer", 5 * time.Second, func(now time.Time) ([]server.Record, error) {
			return st.Decide(fac, choice("f1", "afwachten"), now)
		}, server.EForbidden, nil},
		{"start", 10 * time.Second, func(now time.Time) ([]server.Record, error) {
			return st.Decide(fac, server.ClientMsg{Type: server.MsgStart}, now)
		}, "", []string{"started/started"}},
		{"start again", 11 * time.Second, func(now time.Time) ([]server.Record, error) {
			return st.Decide(fac, server.ClientMsg{Type: server.MsgStart}, now)
		}, server.EConflict, nil},
		{"a participant cannot move a shared world on", 12 * time.Second, func(now time.Time) ([]server.Record, error) {
			return st.Decide(ann, server.ClientMsg{Type: server.MsgNext}, now)
		}, server.EForbidden, nil},
		{"an answer to a question of the first inject not yet opened", 14 * time.Second, func(now time.Time) ([]server.Record, error) {
			return st.Decide(ann, choice("a1", "afwachten"), now)
		}, server.EClosed, nil},
		{"open the question (90 s)", 20 * time.Second, func(now time.Time) ([]server.Record, error) {
			return st.Decide(fac, server.ClientMsg{Type: server.MsgOpen, Question: "eerste-stap"}, now)
		}, "", []string{"open/open:main/eerste-stap"}},
		{"open it again", 21 * time.Second, func(now time.Time) ([]server.Record, error) {
			return st.Decide(fac, server.ClientMsg{Type: server.MsgOpen, Question: "eerste-stap"}, now)
		}, server.EClosed, nil},
		{"an answer with an unknown option", 25 * time.Second, func(now time.Time) ([]server.Record, error) {
			return st.Decide(ann, choice("a1", "geen-optie"), now)
		}, server.EInvalid, nil},
		{"answer", 30 * time.Second, func(now time.Time) ([]server.Record, error) {
			return st.Decide(ann, choice("a1", "partners-informeren"), now)
		}, "", []string{"answer/answer:a1"}},
		{"the same answer again is in the log", 31 * time.Second, func(now time.Time) ([]server.Record, error) {
			rec, prev, err := st.DecideAnswer("p-ann", choice("a1", "partners-informeren"), now)
			if rec != nil || err != nil || prev == nil || prev.ID != "a1" || prev.Question != "eerste-stap" || prev.Seq == 0 {
				t.Fatalf("a resent answer: record %v, logged %+v, error %v", rec, prev, err)
			}
			return st.Decide(ann, choice("a1", "partners-informeren"), now)
		}, server.EDuplicate, nil},
		{"a second answer to the question", 32 * time.Second, func(now time.Time) ([]server.Record, error) {
			return st.Decide(ann, choice("a2", "afwachten"), now)
		}, server.EDuplicate, nil},
		{"nothing expires before the deadline", 109 * time.Second, func(now time.Time) ([]server.Record, error) {
			return st.Expired(now), nil
		}, "", nil},
		{"the deadline closes the question", 110 * time.Second, func(now time.Time) ([]server.Record, error) {
			return st.Expired(now), nil
		}, "", []string{"close/close:main/eerste-stap"}},
		{"next moves on from the first inject", 115 * time.Second, func(now time.Time) ([]server.Record, error) {
			return st.Decide(fac, server.ClientMsg{Type: server.MsgNext}, now)
		}, "", []string{"advance/advance:main@1"}},
		{"pause", 120 * time.Second, func(now time.Time) ([]server.Record, error) {
			return st.Decide(fac, server.ClientMsg{Type: server.MsgPause}, now)
		}, "", []string{"paused/paused#0"}},
		{"pause again", 121 * time.Second, func(now time.Time) ([]server.Record, error) {
			return st.Decide(fac, server.ClientMsg{Type: server.MsgPause}, now)
		}, server.EConflict, nil},
		{"resume", 130 * time.Second, func(now time.Time) ([]server.Record, error) {
			return st.Decide(fac, server.ClientMsg{Type: server.MsgResumeSession}, now)
		}, "", []string{"resumed/resumed#1"}},
		{"remove an unknown participant", 131 * time.Second, func(now time.Time) ([]server.Record, error) {
			return st.Decide(fac, server.ClientMsg{Type: server.MsgRemove, Participant: "p-nobody"}, now)
		}, server.ENotFound, nil},
		{"end", 140 * time.Second, func(now time.Time) ([]server.Record, error) {
			return st.Decide(fac, server.ClientMsg{Type: server.MsgEnd}, now)
		}, "", []string{"ended/ended"}},
		{"an ended session is frozen", 141 * time.Second, func(now time.Time) ([]server.Record, error) {
			return st.Decide(fac, server.ClientMsg{Type: server.MsgNext}, now)
		}, server.EClosed, nil},
		{"end again", 142 * time.Second, func(now time.Time) ([]server.Record, error) {
			return st.Decide(fac, server.ClientMsg{Type: server.MsgEnd}, now)
		}, server.EConflict, nil},
		{"a hello after the hello", 143 * time.Second, func(now time.Time) ([]server.Record, error) {
			return st.Decide(fac, server.ClientMsg{Type: server.MsgWatch}, now)
		}, server.EConflict, nil},
	}
	for _, s := range steps {
		seq := st.Seq()
		recs, err := s.do(t0.Add(s.at))
		if st.Seq() != seq {
			t.Fatalf("%s: deciding changed the state", s.name)
		}
		if s.code != "" {
			if err == nil || server.ErrorOf(err).Code != s.code || len(recs) > 0 {
				t.Fatalf("%s: got %d records and error %v, want a refusal %s", s.name, len(recs), err, s.code)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		var got []string
		for _, r := range recs {
			got = append(got, r.Type+"/"+r.Key)
			if !r.Time.Equal(t0.Add(s.at)) {
				t.Errorf("%s: record time %v, want the time passed in", s.name, r.Time)
			}
		}
		if len(got) != len(s.want) {
			t.Fatalf("%s: records %v, want %v", s.name, got, s.want)
		}
		for i := range got {
			if got[i] != s.want[i] {
				t.Fatalf("%s: records %v, want %v", s.name, got, s.want)
			}
		}
		apply(recs)
	}

	// What Apply made of the log.
	if len(st.Problems()) > 0 {
		t.Fatalf("the fold refused records: %v", st.Problems())
	}
	p := st.Participant("p-ann")
	if p == nil || p.Name() != "Ann" || p.World() != "main" || p.Removed() || st.ByToken("hash-ann") != p {
		t.Fatalf("participant: %+v", p)
	}
	if seq, ok := st.Logged(session.AnswerKey("a1")); !ok || st.Answerer("a1") != p || seq == 0 {
		t.Fatalf("answer a1: logged %v at %d by %v", ok, seq, st.Answerer("a1"))
	}
	if me := st.MeView(p); len(me.Answers) != 1 || me.Answers[0].ID != "a1" {
		t.Fatalf("Ann's answers: %+v", me.Answers)
	}
	decided := 0
	for _, e := range st.Log() {
		if e.Msg.Kind == session.EvDecided {
			decided++
			if e.World != "main" || e.Msg.Question != "eerste-stap" || e.Msg.Answer == nil || e.Msg.Answer.Option != "partners-informeren" {
				t.Fatalf("decided event: %+v", e.Msg)
			}
		}
	}
	if decided != 1 {
		t.Fatalf("%d decided events, want 1 (the close)", decided)
	}
	if !st.Ended() || !st.NextDeadline().IsZero() {
		t.Fatalf("ended %v, next deadline %v", st.Ended(), st.NextDeadline())
	}
	// A replay of the log is the same state.
	replay, err := session.New(lib, row)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range log {
		replay.Apply(r)
	}
	end := t0.Add(time.Hour)
	x, _ := json.Marshal(st.Report(end))
	y, _ := json.Marshal(replay.Report(end))
	if string(x) != string(y) {
		t.Fatalf("replay differs:\n live   %s\n replay %s", x, y)
	}
}

// TestJoinNamesAndRoles: a join takes a name no active participant has (case aside) and the
// least used role; a removed participant frees its name and its role.
func TestJoinNamesAndRoles(t *testing.T) {
	lib, diags := builtin.Library()
	if diags.Errors() > 0 {
		t.Fatal(diags.Err())
	}
	meta := server.Meta{Lens: "ivs-2026", Scope: server.ScopeShared}
	mb, _ := json.Marshal(meta)
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	st, err := session.New(lib, server.SessionRow{ID: "s", Scenario: "voorbeeld", Created: t0, Expires: t0.Add(time.Hour), Meta: mb})
	if err != nil {
		t.Fatal(err)
	}
	seq := int64(0)
	apply := func(recs []server.Record) {
		for _, r := range recs {
			seq++
			r.Seq = seq
			st.Apply(r)
		}
	}
	apply([]server.Record{session.CreatedRecord(t0, meta)})
	join := func(id, name string) *session.Participant {
		t.Helper()
		_, recs, err := st.DecideJoin(server.ClientMsg{Type: server.MsgJoin, Name: name}, id, "hash-"+id, t0)
		if err != nil {
			t.Fatal(err)
		}
		apply(recs)
		return st.Participant(id)
	}
	for _, tc := range []struct{ id, name, wantName, wantRole string }{
		{"p1", "Ann", "Ann", "bz"},
		{"p2", "ann", "ann (2)", "def"},
		{"p3", "Ann (2)", "Ann (2) (2)", "bz"},
		{"p4", "Bob", "Bob", "def"},
	} {
		if p := join(tc.id, tc.name); p.Name() != tc.wantName || p.Role() != tc.wantRole {
			t.Errorf("join %s as %q: %q in %s, want %q in %s", tc.id, tc.name, p.Name(), p.Role(), tc.wantName, tc.wantRole)
		}
	}
	recs, err := st.Decide(session.Sender{Facilitator: true}, server.ClientMsg{Type: server.MsgRemove, Participant: "p1"}, t0)
	if err != nil {
		t.Fatal(err)
	}
	apply(recs)
	if p := join("p5", "ANN"); p.Name() != "ANN" || p.Role() != "bz" {
		t.Errorf("after removing Ann: %q in %s, want ANN in bz", p.Name(), p.Role())
	}
}

// TestJoinGroup decides joins in one group, as the hub does for joins queued together, and
// checks that every participant comes out as if the joins had been committed one by one:
// names made unique, roles and teams balanced over the log and the group, and a secret sent
// twice in the group making one participant.
func TestJoinGroup(t *testing.T) {
	lib, diags := builtin.Library()
	if diags.Errors() > 0 {
		t.Fatal(diags.Err())
	}
	meta := server.Meta{Lens: "ivs-2026", Scope: server.ScopeTeam,
		Teams: []server.RoleView{{ID: "rood"}, {ID: "blauw"}}}
	mb, _ := json.Marshal(meta)
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	newState := func() *session.State {
		st, err := session.New(lib, server.SessionRow{ID: "s", Scenario: "voorbeeld", Created: t0, Expires: t0.Add(time.Hour), Meta: mb})
		if err != nil {
			t.Fatal(err)
		}
		st.Apply(withSeq(session.CreatedRecord(t0, meta), 1))
		return st
	}
	type join struct {
		id, name, role, team string
		secret               string // the hash of the resume secret; the id's when empty
	}
	joins := []join{
		{id: "p1", name: "Ann"},
		{id: "p2", name: "ann"},
		{id: "p3", name: "Bob", role: "bz"},
		{id: "p4", name: "Cas", team: "rood"},
		{id: "p5", name: "Ann"},
		{id: "p6", name: "Ann (again)", secret: "p2"}, // the join of p2, sent again
		{id: "p7", name: "Dirk"},
		{id: "p8", name: "   "},
	}
	hash := func(j join) string {
		if j.secret != "" {
			return "hash-" + j.secret
		}
		return "hash-" + j.id
	}
	msg := func(j join) server.ClientMsg {
		return server.ClientMsg{Type: server.MsgJoin, Name: j.name, Role: j.role, Team: j.team}
	}
	describe := func(p *session.Participant) string {
		return p.ID() + " " + p.Name() + " " + p.Role() + " " + p.Team()
	}

	// One by one: each join decided and applied before the next.
	one := newState()
	var want []string
	for i, j := range joins {
		p, recs, err := one.DecideJoin(msg(j), j.id, hash(j), t0)
		if err != nil {
			want = append(want, "refused "+string(server.ErrorOf(err).Code))
			continue
		}
		for _, r := range recs {
			one.Apply(withSeq(r, int64(i+2)))
		}
		if p == nil {
			p = one.ByToken(hash(j))
		}
		want = append(want, describe(p))
	}

	// As one group: decided together, applied together.
	st := newState()
	g := st.Joins()
	idx := make([]int, len(joins))
	var got []string
	for i, j := range joins {
		p, n, err := g.Decide(msg(j), j.id, hash(j), t0)
		idx[i] = n
		switch {
		case err != nil:
			got = append(got, "refused "+string(server.ErrorOf(err).Code))
		case p != nil:
			t.Fatalf("join %s found a participant in a log that has none", j.id)
		default:
			got = append(got, "")
		}
	}
	for i, r := range g.Records() {
		st.Apply(withSeq(r, int64(i+2)))
	}
	for i, j := range joins {
		if got[i] == "" {
			got[i] = describe(st.ByToken(hash(j)))
			if rec := g.Records()[idx[i]]; st.Participant(got[i][:2]) == nil || rec.Key != "join:"+hash(j) {
				t.Errorf("join %s: index %d names record %s", j.id, idx[i], rec.Key)
			}
		}
	}
	if len(g.Records()) != 6 {
		t.Errorf("the group holds %d records, want 6 (eight joins, one sent twice, one refused)", len(g.Records()))
	}
	for i := range joins {
		if got[i] != want[i] {
			t.Errorf("join %s: grouped %q, one by one %q", joins[i].id, got[i], want[i])
		}
	}

	// A join sent again once its group is in the log finds the participant.
	if p, n, err := st.Joins().Decide(msg(joins[1]), "p9", hash(joins[1]), t0); err != nil || p == nil || p.ID() != "p2" || n != -1 {
		t.Errorf("a retry after the commit: %v, %d, %v; want p2", p, n, err)
	}
}

func withSeq(r server.Record, seq int64) server.Record {
	r.Seq = seq
	return r
}
