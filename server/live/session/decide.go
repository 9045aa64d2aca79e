package session

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/paraat-nl/paraat/engine"
	"github.com/paraat-nl/paraat/server"
)

// This file holds the decide functions: methods of State that read the state, a client's
// message and the time, and return the records to log (or a refusal with a stable error code)
// without changing anything.
//
// Every record gets a key naming the one change it makes: a command that is retried after a
// failed append is refused by the store instead of logged twice.

// CleanName validates a display name: trimmed, inner runs of white space folded, 1 to 40
// characters, no control or format characters. Escaping is the job of whoever renders it.
func CleanName(s string) (string, error) {
	if !utf8.ValidString(s) {
		return "", server.Errorf(server.EInvalid, "the name is not valid text")
	}
	for _, r := range s {
		if unicode.IsControl(r) || unicode.In(r, unicode.Cf) {
			return "", server.Errorf(server.EInvalid, "the name contains control characters")
		}
	}
	s = strings.Join(strings.Fields(s), " ")
	if s == "" {
		return "", server.Errorf(server.EInvalid, "a name is required")
	}
	if n := utf8.RuneCountInString(s); n > server.MaxNameRunes {
		return "", server.Errorf(server.EInvalid, "the name is %d characters; at most %d are allowed", n, server.MaxNameRunes)
	}
	return s, nil
}

// uniqueName returns name, or name with the first free number after it, given how many
// participants bear each name (lower case) in the log and in taken.
func (st *State) uniqueName(name string, taken map[string]int) string {
	used := func(n string) bool { k := strings.ToLower(n); return st.names[k]+taken[k] > 0 }
	if !used(name) {
		return name
	}
	for i := 2; ; i++ {
		if n := fmt.Sprintf("%s (%d)", name, i); !used(n) {
			return n
		}
	}
}

func (st *State) allowedRoles() []string {
	var ids []string
	for _, r := range server.RolesOf(st.scn, st.meta.Roles) {
		ids = append(ids, r.ID)
	}
	return ids
}

// leastUsed returns the choice with the fewest active participants in counts and extra
// (ties: listed first).
func leastUsed(choices []string, counts, extra map[string]int) string {
	best, bestN := "", -1
	for _, c := range choices {
		if n := counts[c] + extra[c]; bestN < 0 || n < bestN {
			best, bestN = c, n
		}
	}
	return best
}

// ---- hello: join, resume, watch ----

// DecideJoin decides a join. The caller draws the new participant's id and the hash of its
// resume secret. A join whose secret is already in the log is a retry: it returns that
// participant and no record, so a join sent twice makes one participant.
func (st *State) DecideJoin(m server.ClientMsg, pid, tokenHash string, now time.Time) (*Participant, []server.Record, error) {
	g := st.Joins()
	p, _, err := g.Decide(m, pid, tokenHash, now)
	return p, g.Records(), err
}

// JoinGroup decides joins that are committed together, in one append: each as if the joins
// decided before it in the group were already in the log. Names are made unique, roles and
// teams balanced over the log and the group, and a secret sent twice in one group makes one
// participant. Like every decide function it changes nothing in the state.
type JoinGroup struct {
	st                  *State
	names, roles, teams map[string]int
	tokens              map[string]int // resume secret's hash → index of its record
	recs                []server.Record
}

// Joins starts a group of joins.
func (st *State) Joins() *JoinGroup {
	return &JoinGroup{st: st, names: map[string]int{}, roles: map[string]int{}, teams: map[string]int{},
		tokens: map[string]int{}}
}

// Records are the records of the group's new participants, in the order decided.
func (g *JoinGroup) Records() []server.Record { return g.recs }

// Decide decides one join of the group. A retry of a participant already in the log returns
// that participant; a new participant (or a retry of one decided earlier in the group)
// returns the index of its record in Records.
func (g *JoinGroup) Decide(m server.ClientMsg, pid, tokenHash string, now time.Time) (*Participant, int, error) {
	st := g.st
	if p := st.byToken[tokenHash]; p != nil {
		if p.removed {
			return nil, -1, server.Errorf(server.EUnauthorized, "you were removed from this session")
		}
		return p, -1, nil
	}
	if i, ok := g.tokens[tokenHash]; ok {
		return nil, i, nil
	}
	if st.ended {
		return nil, -1, server.Errorf(server.EExpired, "the session has ended")
	}
	if st.meta.Study {
		return nil, -1, server.Errorf(server.EForbidden, "a self-study run cannot be joined")
	}
	if !st.row.Expires.IsZero() && now.After(st.row.Expires) {
		return nil, -1, server.Errorf(server.EExpired, "the join code has expired")
	}
	name, err := CleanName(m.Name)
	if err != nil {
		return nil, -1, err
	}
	name = st.uniqueName(name, g.names)
	roles := st.allowedRoles()
	role := m.Role
	switch {
	case role != "" && !contains(roles, role):
		return nil, -1, server.Errorf(server.EInvalid, "role %q is not part of this session", role)
	case role == "" && len(roles) > 0:
		role = leastUsed(roles, st.roles, g.roles)
	}
	var teams []string
	for _, t := range st.meta.Teams {
		teams = append(teams, t.ID)
	}
	team := m.Team
	switch {
	case team != "" && !contains(teams, team):
		return nil, -1, server.Errorf(server.EInvalid, "team %q is not part of this session", team)
	case team == "" && st.meta.Scope == server.ScopeTeam:
		team = leastUsed(teams, st.teams, g.teams)
	}
	g.names[strings.ToLower(name)]++
	if role != "" {
		g.roles[role]++
	}
	if team != "" {
		g.teams[team]++
	}
	g.tokens[tokenHash] = len(g.recs)
	g.recs = append(g.recs, JoinRecord(now, pid, name, role, team, tokenHash))
	return nil, len(g.recs) - 1, nil
}

// JoinRecord is the record of a participant's join; tokenHash is the hash of their resume secret.
func JoinRecord(now time.Time, pid, name, role, team, tokenHash string) server.Record {
	return record(now, EvJoined, "join:"+tokenHash, evData{Participant: pid, Name: name, Role: role, Team: team, TokenHash: tokenHash})
}

// ---- decide functions ----

// AnswerKey is the key of the record of the answer with the client's answer id.
func AnswerKey(id string) string { return "answer:" + id }

// DecideAnswer decides what an answer of participant pid means: a record to log, the answer
// already in the log (a resend, to acknowledge again), or a refusal.
func (st *State) DecideAnswer(pid string, m server.ClientMsg, now time.Time) (*server.Record, *AnswerRef, error) {
	p := st.parts[pid]
	if p == nil {
		return nil, nil, server.Errorf(server.EUnauthorized, "unknown participant")
	}
	if prev := st.answers[m.ID]; prev != nil {
		if prev != p {
			return nil, nil, server.Errorf(server.EDuplicate, "answer id %s was already used", m.ID)
		}
		for i := range p.answers {
			if a := p.answers[i]; a.ID == m.ID {
				return nil, &a, nil
			}
		}
	}
	switch {
	case st.ended:
		return nil, nil, server.Errorf(server.EClosed, "the session has ended")
	case !st.started:
		return nil, nil, server.Errorf(server.EClosed, "the session has not started")
	case st.paused:
		return nil, nil, server.Errorf(server.EClosed, "the session is paused")
	}
	q, err := st.question(m.Question)
	if err != nil {
		return nil, nil, err
	}
	wd := st.worlds[p.world]
	if wd == nil {
		return nil, nil, server.Errorf(server.EClosed, "your world has not started")
	}
	switch st.questionState(wd, q) {
	case "pending":
		return nil, nil, server.Errorf(server.EClosed, "question %s is not open yet", q.ID.Value)
	case "closed":
		return nil, nil, server.Errorf(server.EClosed, "question %s is not open", q.ID.Value)
	}
	if dl := wd.opened[q.ID.Value]; !dl.IsZero() && !now.Before(dl) {
		return nil, nil, server.Errorf(server.EClosed, "time is up for question %s", q.ID.Value)
	}
	if !q.AskedOf(p.role) && !(st.solo() && p.role == "") {
		return nil, nil, server.Errorf(server.EForbidden, "question %s is not asked of role %q", q.ID.Value, p.role)
	}
	if wd.w.Response(p.id, q.ID.Value) != nil {
		return nil, nil, server.Errorf(server.EDuplicate, "you already answered question %s", q.ID.Value)
	}
	if err := wd.w.Validate(q, m.Answer); err != nil {
		return nil, nil, err
	}
	a := *m.Answer
	rec := record(now, EvAnswer, AnswerKey(m.ID), evData{Participant: p.id, World: wd.id, Question: q.ID.Value,
		Answer: &a, ID: m.ID, AtMS: st.atMS(now)})
	return &rec, nil, nil
}

// Sender is who sent a command: a facilitator, or the participant with the id.
type Sender struct {
	Facilitator bool
	Participant string
}

// Decide decides a command sent after the hello: the records to log, or a refusal with a
// stable error code. It reads the state and changes nothing; now is the time of the command.
// A join is decided by DecideJoin, and the hub decides participants' answers with
// DecideAnswer, which also finds an answer already in the log (to acknowledge it again);
// Decide refuses such an answer as a duplicate.
func (st *State) Decide(from Sender, m server.ClientMsg, now time.Time) ([]server.Record, error) {
	switch {
	case m.Type == server.MsgJoin || m.Type == server.MsgResume || m.Type == server.MsgWatch:
		return nil, server.Errorf(server.EConflict, "this connection has already joined; open a new one")
	case st.ended && m.Type != server.MsgEnd:
		// An ended session is frozen: its log is the record the report is built from.
		return nil, server.Errorf(server.EClosed, "the session has ended")
	case !from.Facilitator && m.Type == server.MsgAnswer:
		rec, _, err := st.DecideAnswer(from.Participant, m, now)
		if err != nil {
			return nil, err
		}
		if rec == nil {
			return nil, server.Errorf(server.EDuplicate, "answer %s is already in the log", m.ID)
		}
		return []server.Record{*rec}, nil
	case !from.Facilitator && m.Type == server.MsgNext:
		if !st.solo() {
			return nil, server.Errorf(server.EForbidden, "only the facilitator moves this session on")
		}
		world := ""
		if p := st.parts[from.Participant]; p != nil {
			world = p.world
		}
		return st.DecideNext(world, now)
	case !from.Facilitator:
		return nil, server.Errorf(server.EForbidden, "only the facilitator can %s", m.Type)
	}
	return st.DecideFacilitator(m, now)
}

// DecideFacilitator decides a facilitator's command.
func (st *State) DecideFacilitator(m server.ClientMsg, now time.Time) ([]server.Record, error) {
	switch m.Type {
	case server.MsgAnswer:
		return nil, server.Errorf(server.EForbidden, "the facilitator does not answer")
	case server.MsgStart:
		return st.decideStart(now)
	case server.MsgNext:
		return st.DecideNext(m.World, now)
	case server.MsgOpen:
		return st.decideOpen(m, now)
	case server.MsgClose:
		return st.decideClose(m, now)
	case server.MsgDecide:
		return st.decideDecide(m, now)
	case server.MsgReveal:
		return st.decideReveal(m, now)
	case server.MsgRubric:
		return st.decideRubric(m, now)
	case server.MsgPause:
		if err := st.running(); err != nil {
			return nil, err
		}
		return []server.Record{record(now, EvPaused, "paused#"+strconv.Itoa(st.pauses), evData{})}, nil
	case server.MsgResumeSession:
		if st.ended || !st.paused {
			return nil, server.Errorf(server.EConflict, "the session is not paused")
		}
		return []server.Record{record(now, EvResumed, "resumed#"+strconv.Itoa(st.pauses),
			evData{PausedMS: max(now.Sub(st.pausedAt), 0).Milliseconds()})}, nil
	case server.MsgRemove:
		p := st.parts[m.Participant]
		if p == nil || p.removed {
			return nil, server.Errorf(server.ENotFound, "no participant %q", m.Participant)
		}
		return []server.Record{record(now, EvRemoved, "removed:"+p.id, evData{Participant: p.id})}, nil
	case server.MsgEnd:
		if st.ended {
			return nil, server.Errorf(server.EConflict, "the session has already ended")
		}
		return []server.Record{record(now, EvEnded, "ended", evData{})}, nil
	}
	return nil, server.Errorf(server.EBadJSON, "unknown message type %q", m.Type)
}

func (st *State) running() error {
	switch {
	case st.ended:
		return server.Errorf(server.EClosed, "the session has ended")
	case !st.started:
		return server.Errorf(server.EConflict, "the session has not started")
	case st.paused:
		return server.Errorf(server.EConflict, "the session is paused")
	}
	return nil
}

func (st *State) atMS(now time.Time) int64 { return st.activeAt(now).Milliseconds() }

// targets returns the worlds a command applies to: one named world, or all.
func (st *State) targets(id string) ([]*world, error) {
	if id != "" {
		wd := st.worlds[id]
		if wd == nil {
			return nil, server.Errorf(server.ENotFound, "no world %q", id)
		}
		return []*world{wd}, nil
	}
	var out []*world
	for _, id := range st.worldIDs {
		out = append(out, st.worlds[id])
	}
	return out, nil
}

func (st *State) question(id string) (*engine.Question, error) {
	q := st.scn.Question(id)
	if q == nil {
		return nil, server.Errorf(server.ENotFound, "unknown question %q", id)
	}
	return q, nil
}

// wq is the key part naming a question of a world.
func wq(world, question string) string { return world + "/" + question }

func (st *State) decideStart(now time.Time) ([]server.Record, error) {
	switch {
	case st.ended:
		return nil, server.Errorf(server.EClosed, "the session has ended")
	case st.started:
		return nil, server.Errorf(server.EConflict, "the session has already started")
	case st.meta.Scope == server.ScopeTeam && len(st.meta.Teams) == 0:
		return nil, server.Errorf(server.EConflict, "a team session needs teams")
	}
	return []server.Record{record(now, EvStarted, "started", evData{})}, nil
}

// DecideNext moves worlds on. The key names the step a world moves on from, so a retried
// "next" cannot skip an inject.
func (st *State) DecideNext(worldID string, now time.Time) ([]server.Record, error) {
	if err := st.running(); err != nil {
		return nil, err
	}
	ws, err := st.targets(worldID)
	if err != nil {
		return nil, err
	}
	var recs []server.Record
	at := st.atMS(now)
	for _, wd := range ws {
		if !wd.w.Done() {
			key := "advance:" + wd.id + "@" + strconv.Itoa(len(wd.w.Path()))
			recs = append(recs, record(now, EvAdvance, key, evData{World: wd.id, AtMS: at}))
		}
	}
	if len(recs) == 0 {
		return nil, server.Errorf(server.EClosed, "the playthrough has ended")
	}
	return recs, nil
}

// openRecords opens a question (or every question of the current inject) in the worlds.
func (st *State) openRecords(ws []*world, qid string, limit time.Duration, now time.Time) []server.Record {
	var recs []server.Record
	for _, wd := range ws {
		in := wd.w.Current()
		if in == nil {
			continue
		}
		for _, q := range in.Questions {
			if qid != "" && q.ID.Value != qid || st.questionState(wd, q) != "pending" {
				continue
			}
			d := evData{World: wd.id, Question: q.ID.Value}
			tl := limit
			if tl == 0 {
				tl = q.TimeLimit.Duration
			}
			if tl > 0 {
				dl := now.Add(tl).UTC()
				d.Deadline = &dl
			}
			recs = append(recs, record(now, EvOpen, "open:"+wq(wd.id, q.ID.Value), d))
		}
	}
	return recs
}

func (st *State) decideOpen(m server.ClientMsg, now time.Time) ([]server.Record, error) {
	if err := st.running(); err != nil {
		return nil, err
	}
	if st.solo() {
		return nil, server.Errorf(server.EConflict, "questions of self-paced worlds open by themselves")
	}
	if m.Question != "" {
		if _, err := st.question(m.Question); err != nil {
			return nil, err
		}
	}
	ws, err := st.targets(m.World)
	if err != nil {
		return nil, err
	}
	recs := st.openRecords(ws, m.Question, time.Duration(m.TimeLimitMS)*time.Millisecond, now)
	if len(recs) == 0 {
		return nil, server.Errorf(server.EClosed, "no question to open: not part of the current inject, already open or closed")
	}
	return recs, nil
}

// OpenCurrent returns the records that open every pending question of the current inject in
// a world ("": every world), with their own time limits; none if the world is unknown.
func (st *State) OpenCurrent(worldID string, now time.Time) []server.Record {
	ws, err := st.targets(worldID)
	if err != nil {
		return nil
	}
	return st.openRecords(ws, "", 0, now)
}

func closeRecord(now time.Time, world, question string, at int64) server.Record {
	return record(now, EvClose, "close:"+wq(world, question), evData{World: world, Question: question, AtMS: at})
}

func (st *State) decideClose(m server.ClientMsg, now time.Time) ([]server.Record, error) {
	if err := st.running(); err != nil {
		return nil, err
	}
	q, err := st.question(m.Question)
	if err != nil {
		return nil, err
	}
	ws, err := st.targets(m.World)
	if err != nil {
		return nil, err
	}
	var recs []server.Record
	at := st.atMS(now)
	for _, wd := range ws {
		if wd.w.IsOpen(q.ID.Value) {
			recs = append(recs, closeRecord(now, wd.id, q.ID.Value, at))
		}
	}
	if len(recs) == 0 {
		return nil, server.Errorf(server.EClosed, "question %s is not open", q.ID.Value)
	}
	return recs, nil
}

// Expired returns the records that close the questions whose deadline has passed at now.
func (st *State) Expired(now time.Time) []server.Record {
	if st.paused || st.ended {
		return nil
	}
	at := st.atMS(now)
	var recs []server.Record
	for _, id := range st.worldIDs {
		wd := st.worlds[id]
		for _, q := range wd.w.Open("") {
			if dl, ok := wd.opened[q.ID.Value]; ok && !dl.IsZero() && !now.Before(dl) {
				recs = append(recs, closeRecord(now, id, q.ID.Value, at))
			}
		}
	}
	return recs
}

func (st *State) decideDecide(m server.ClientMsg, now time.Time) ([]server.Record, error) {
	if err := st.running(); err != nil {
		return nil, err
	}
	q, err := st.question(m.Question)
	if err != nil {
		return nil, err
	}
	ws, err := st.targets(m.World)
	if err != nil {
		return nil, err
	}
	var recs []server.Record
	at := st.atMS(now)
	var refusal error
	for _, wd := range ws {
		w := wd.w
		switch {
		case w.Done() || w.Current() != q.Inject():
			refusal = server.Errorf(server.EClosed, "question %s is not part of the current inject", q.ID.Value)
			continue
		case w.Decision(q.ID.Value) != nil:
			refusal = server.Errorf(server.EDuplicate, "question %s is already decided", q.ID.Value)
			continue
		}
		if err := w.Validate(q, m.Answer); err != nil {
			return nil, err
		}
		a := *m.Answer
		recs = append(recs, record(now, EvDecide, "decide:"+wq(wd.id, q.ID.Value),
			evData{World: wd.id, Question: q.ID.Value, Answer: &a, AtMS: at}))
	}
	if len(recs) == 0 {
		return nil, refusal
	}
	return recs, nil
}

func (st *State) decideReveal(m server.ClientMsg, now time.Time) ([]server.Record, error) {
	if !st.started {
		return nil, server.Errorf(server.EConflict, "the session has not started")
	}
	q, err := st.question(m.Question)
	if err != nil {
		return nil, err
	}
	ws, err := st.targets(m.World)
	if err != nil {
		return nil, err
	}
	var recs []server.Record
	open := false
	for _, wd := range ws {
		if wd.w.IsOpen(q.ID.Value) {
			open = true
			continue
		}
		shown := false
		for _, s := range wd.w.Path() {
			shown = shown || s.Inject == q.Inject().ID.Value
		}
		if shown && !wd.revealed[q.ID.Value] {
			recs = append(recs, record(now, EvReveal, "reveal:"+wq(wd.id, q.ID.Value), evData{World: wd.id, Question: q.ID.Value}))
		}
	}
	if len(recs) == 0 {
		if open {
			return nil, server.Errorf(server.EConflict, "question %s is still open; close it first", q.ID.Value)
		}
		return nil, server.Errorf(server.EConflict, "question %s has nothing to reveal", q.ID.Value)
	}
	return recs, nil
}

// decideRubric marks a text answer. A mark may be changed: the key counts the marks so far.
func (st *State) decideRubric(m server.ClientMsg, now time.Time) ([]server.Record, error) {
	p := st.parts[m.Participant]
	if p == nil {
		return nil, server.Errorf(server.ENotFound, "no participant %q", m.Participant)
	}
	q, err := st.question(m.Question)
	if err != nil {
		return nil, err
	}
	if q.Type != engine.Free {
		return nil, server.Errorf(server.EInvalid, "question %s is not a text question", q.ID.Value)
	}
	wd := st.worlds[p.world]
	if wd == nil || wd.w.Response(p.id, q.ID.Value) == nil {
		return nil, server.Errorf(server.ENotFound, "%s has not answered question %s", p.name, q.ID.Value)
	}
	items := m.Items
	if items == nil {
		items = []string{}
	}
	for _, it := range items {
		if q.Item(it) == nil {
			return nil, server.Errorf(server.EInvalid, "question %s has no rubric item %q", q.ID.Value, it)
		}
	}
	n := st.rubrics[p.id+"/"+q.ID.Value]
	return []server.Record{record(now, EvRubric, "rubric:"+p.id+"/"+q.ID.Value+"#"+strconv.Itoa(n),
		evData{World: wd.id, Participant: p.id, Question: q.ID.Value, Answer: &engine.Answer{Items: items}, AtMS: st.atMS(now)})}, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
