package live

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/paraat-nl/paraat/engine"
	"github.com/paraat-nl/paraat/server"
)

// This file holds what the hub does with a client message: the decide functions, methods of
// state that read the state, the message and the time and return the records to log (or a
// refusal) without changing anything, and the hub's side (commit, then ack or error).
//
// Every record gets a key naming the one change it makes (record keys in state.go): a command
// that is retried after a failed append is refused by the store instead of logged twice.

// ---- identities ----

func randomID(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func hashToken(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// newToken returns a resume token "session.secret" and the hash of the secret kept in the log.
func newToken(session string) (token, hash string) {
	b := make([]byte, 24)
	rand.Read(b)
	secret := base64.RawURLEncoding.EncodeToString(b)
	return session + "." + secret, hashToken(secret)
}

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

func (st *state) uniqueName(name string) string {
	taken := map[string]bool{}
	for _, p := range st.order {
		if !p.removed {
			taken[strings.ToLower(p.name)] = true
		}
	}
	if !taken[strings.ToLower(name)] {
		return name
	}
	for i := 2; ; i++ {
		n := fmt.Sprintf("%s (%d)", name, i)
		if !taken[strings.ToLower(n)] {
			return n
		}
	}
}

func (st *state) allowedRoles() []string {
	var ids []string
	for _, r := range server.RolesOf(st.scn, st.meta.Roles) {
		ids = append(ids, r.ID)
	}
	return ids
}

// leastUsed returns the choice with the fewest active participants (ties: listed first).
func (st *state) leastUsed(choices []string, of func(*participant) string) string {
	best, bestN := "", -1
	for _, c := range choices {
		n := 0
		for _, p := range st.order {
			if !p.removed && of(p) == c {
				n++
			}
		}
		if bestN < 0 || n < bestN {
			best, bestN = c, n
		}
	}
	return best
}

// ---- hello: join, resume, watch ----

// decideJoin decides a join. The caller draws the new participant's id and the hash of its
// resume secret. A join whose secret is already in the log is a retry: it returns that
// participant and no record, so a join sent twice makes one participant.
func (st *state) decideJoin(m server.ClientMsg, pid, tokenHash string, now time.Time) (*participant, []server.Record, error) {
	if p := st.byToken[tokenHash]; p != nil {
		if p.removed {
			return nil, nil, server.Errorf(server.EUnauthorized, "you were removed from this session")
		}
		return p, nil, nil
	}
	if st.ended {
		return nil, nil, server.Errorf(server.EExpired, "the session has ended")
	}
	if st.meta.Study {
		return nil, nil, server.Errorf(server.EForbidden, "a self-study run cannot be joined")
	}
	if !st.row.Expires.IsZero() && now.After(st.row.Expires) {
		return nil, nil, server.Errorf(server.EExpired, "the join code has expired")
	}
	name, err := CleanName(m.Name)
	if err != nil {
		return nil, nil, err
	}
	name = st.uniqueName(name)
	roles := st.allowedRoles()
	role := m.Role
	switch {
	case role != "" && !contains(roles, role):
		return nil, nil, server.Errorf(server.EInvalid, "role %q is not part of this session", role)
	case role == "" && len(roles) > 0:
		role = st.leastUsed(roles, func(p *participant) string { return p.role })
	}
	var teams []string
	for _, t := range st.meta.Teams {
		teams = append(teams, t.ID)
	}
	team := m.Team
	switch {
	case team != "" && !contains(teams, team):
		return nil, nil, server.Errorf(server.EInvalid, "team %q is not part of this session", team)
	case team == "" && st.meta.Scope == server.ScopeTeam:
		team = st.leastUsed(teams, func(p *participant) string { return p.team })
	}
	return nil, []server.Record{joinRecord(now, pid, name, role, team, tokenHash)}, nil
}

func joinRecord(now time.Time, pid, name, role, team, tokenHash string) server.Record {
	return record(now, evJoined, "join:"+tokenHash, evData{Participant: pid, Name: name, Role: role, Team: team, TokenHash: tokenHash})
}

// join adds a participant. A client that sends an id (a UUID it keeps) can send the same join
// again, after a lost answer or a broken connection, and gets the same participant: the id is
// the participant's resume secret.
func (h *hub) join(c *client, m server.ClientMsg) error {
	var token, hash string
	if m.ID != "" {
		token, hash = h.id+"."+m.ID, hashToken(m.ID)
	} else {
		token, hash = newToken(h.id)
	}
	p, recs, err := h.st.decideJoin(m, "p-"+randomID(6), hash, h.now())
	if err != nil {
		return err
	}
	if p == nil {
		if _, err := h.commit(recs...); err != nil {
			return err
		}
		if p = h.st.byToken[hash]; p == nil { // the fold refused it: cannot happen
			return server.Errorf(server.EInternal, "join failed")
		}
	}
	h.attach(c, p.id)
	h.welcome(c, token, 0)
	return nil
}

func (h *hub) resume(c *client, secret string, lastSeq int64) error {
	if h.m.cl != nil && !h.owner.Load() {
		h.catchUp() // a follower may not have the join yet
	}
	p := h.st.byToken[hashToken(secret)]
	if p == nil || p.removed {
		return server.Errorf(server.EUnauthorized, "unknown or revoked resume token")
	}
	h.attach(c, p.id)
	h.welcome(c, "", lastSeq)
	return nil
}

func (h *hub) watch(c *client, lastSeq int64) error {
	c.facilitator = true
	h.attach(c, "")
	h.welcome(c, "", lastSeq)
	return nil
}

// ---- the hub's side ----

// do runs one unit of work. A participant's answer takes with it every answer already
// queued behind it, and they are committed in one append: one fsync for a burst, instead of
// one each while the rest of the room waits.
func (h *hub) do(cmd hubCmd) {
	if cmd.f != nil {
		cmd.f()
		return
	}
	if cmd.m.Type != server.MsgAnswer || cmd.c.pid == "" {
		h.handle(cmd.c, *cmd.m)
		return
	}
	batch := []hubCmd{cmd}
	var held *hubCmd
gather:
	for len(batch) < maxAnswerBatch {
		select {
		case next := <-h.cmds:
			if next.f == nil && next.m.Type == server.MsgAnswer && next.c.pid != "" {
				batch = append(batch, next)
				continue
			}
			held = &next // runs after the answers that were queued before it
			break gather
		default:
			break gather
		}
	}
	h.answers(batch)
	h.schedule()
	if held != nil {
		h.do(*held)
	}
}

func (h *hub) handle(c *client, m server.ClientMsg) {
	if _, ok := h.clients[c]; !ok && !c.proxy {
		return // dropped meanwhile
	}
	if err := h.command(c, m); err != nil {
		h.sendErr(c, m.Ref, err)
	}
	h.schedule()
}

// command decides a command other than an answer, commits its records and acknowledges it.
func (h *hub) command(c *client, m server.ClientMsg) error {
	st, now := h.st, h.now()
	var recs []server.Record
	var err error
	switch {
	case m.Type == server.MsgJoin || m.Type == server.MsgResume || m.Type == server.MsgWatch:
		return server.Errorf(server.EConflict, "this connection has already joined; open a new one")
	case st.ended && m.Type != server.MsgEnd:
		// An ended session is frozen: its log is the record the report is built from.
		return server.Errorf(server.EClosed, "the session has ended")
	case !c.facilitator && m.Type == server.MsgAnswer:
		h.answers([]hubCmd{{c: c, m: &m}})
		return nil
	case !c.facilitator && m.Type == server.MsgNext:
		if !st.solo() {
			return server.Errorf(server.EForbidden, "only the facilitator moves this session on")
		}
		recs, err = st.decideNext(c.world, now)
	case !c.facilitator:
		return server.Errorf(server.EForbidden, "only the facilitator can %s", m.Type)
	default:
		recs, err = st.decideFacilitator(m, now)
	}
	if err != nil {
		return err
	}
	out, err := h.commit(recs...)
	if err != nil {
		return err
	}
	switch m.Type {
	case server.MsgNext:
		if m.Open && !h.st.solo() {
			if ws, err := h.st.targets(m.World); err == nil {
				if o, err := h.commit(h.st.openRecords(ws, "", 0, h.now())...); err == nil && len(o) > 0 {
					out = o
				}
			}
		}
	case server.MsgEnd:
		ctx, cancel := context.WithTimeout(h.m.ctx, h.m.opts.AppendTimeout)
		defer cancel()
		if err := h.m.store.EndSession(ctx, h.id); err != nil && !errors.Is(err, server.ErrNotFound) {
			h.m.log.Error("end session", "session", h.id, "err", err)
		}
		h.ack(c, m.Ref, out[len(out)-1].Seq)
		for c := range h.clients {
			h.detach(c, server.CloseEnded, "session ended")
		}
		return nil
	}
	h.ack(c, m.Ref, out[len(out)-1].Seq)
	return nil
}

// answers checks a group of answers, appends the accepted ones in one go and acknowledges
// each once they are durable. Answers of one group are checked as if committed one by one:
// a second answer to the same question is refused, a re-sent id is acked as a duplicate. If
// the append fails, each sender is answered from the reloaded log.
func (h *hub) answers(batch []hubCmd) {
	type pending struct {
		c   *client
		m   *server.ClientMsg
		rec int // index of its record; the record of an earlier answer with the same id if dup
		dup bool
	}
	now := h.now()
	var recs []server.Record
	var owners []string
	var ps []pending
	ids := map[string]int{}    // answer id → index of its record in this group
	taken := map[string]bool{} // participant and question answered in this group
	for _, b := range batch {
		c, m := b.c, b.m
		if _, ok := h.clients[c]; !ok && !c.proxy {
			continue // dropped meanwhile
		}
		if i, ok := ids[m.ID]; ok {
			if owners[i] != c.pid {
				h.sendErr(c, m.Ref, server.Errorf(server.EDuplicate, "answer id %s was already used", m.ID))
			} else {
				ps = append(ps, pending{c: c, m: m, rec: i, dup: true})
			}
			continue
		}
		rec, prev, err := h.st.decideAnswer(c.pid, *m, now)
		key := c.pid + "\x00" + m.Question
		if err == nil && rec != nil && taken[key] {
			err = server.Errorf(server.EDuplicate, "you already answered question %s", m.Question)
		}
		switch {
		case err != nil:
			h.sendErr(c, m.Ref, err)
			continue
		case prev != nil: // a re-sent answer already in the log: acked again
			h.send(c, prepare(server.Ack{Type: server.MsgAck, Seq: prev.seq, Ref: m.Ref, ID: prev.id, Question: prev.question, Duplicate: true}))
			continue
		}
		taken[key] = true
		ids[m.ID] = len(recs)
		ps = append(ps, pending{c: c, m: m, rec: len(recs)})
		recs = append(recs, *rec)
		owners = append(owners, c.pid)
	}
	if len(recs) == 0 {
		return
	}
	out, err := h.commit(recs...)
	if err == nil {
		h.m.stats.answers.Add(int64(len(out)))
	}
	for _, p := range ps {
		seq := int64(0)
		switch {
		case err == nil:
			seq = out[p.rec].Seq
		case errors.Is(err, errNotSaved):
			// Some records of the append are not in the log, so none is (an append is atomic),
			// unless another writer logged this very answer: the log decides, per answer.
			if s, ok := h.st.keys[answerKey(p.m.ID)]; ok && h.st.answers[p.m.ID] != nil && h.st.answers[p.m.ID].id == p.c.pid {
				seq = s
			}
		}
		if seq == 0 {
			h.sendErr(p.c, p.m.Ref, err)
			continue
		}
		h.send(p.c, prepare(server.Ack{Type: server.MsgAck, Seq: seq, Ref: p.m.Ref, ID: p.m.ID,
			Question: p.m.Question, Duplicate: p.dup}))
	}
}

// ---- decide functions ----

func answerKey(id string) string { return "answer:" + id }

// decideAnswer decides what an answer of participant pid means: a record to log, the answer
// already in the log (a resend, to acknowledge again), or a refusal.
func (st *state) decideAnswer(pid string, m server.ClientMsg, now time.Time) (*server.Record, *answerRef, error) {
	p := st.parts[pid]
	if p == nil {
		return nil, nil, server.Errorf(server.EUnauthorized, "unknown participant")
	}
	if prev := st.answers[m.ID]; prev != nil {
		if prev != p {
			return nil, nil, server.Errorf(server.EDuplicate, "answer id %s was already used", m.ID)
		}
		for i := range p.answers {
			if a := &p.answers[i]; a.id == m.ID {
				return nil, a, nil
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
	rec := record(now, evAnswer, answerKey(m.ID), evData{Participant: p.id, World: wd.id, Question: q.ID.Value,
		Answer: &a, ID: m.ID, AtMS: st.atMS(now)})
	return &rec, nil, nil
}

// decideFacilitator decides a facilitator's command.
func (st *state) decideFacilitator(m server.ClientMsg, now time.Time) ([]server.Record, error) {
	switch m.Type {
	case server.MsgAnswer:
		return nil, server.Errorf(server.EForbidden, "the facilitator does not answer")
	case server.MsgStart:
		return st.decideStart(now)
	case server.MsgNext:
		return st.decideNext(m.World, now)
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
		return []server.Record{record(now, evPaused, "paused#"+strconv.Itoa(st.pauses), evData{})}, nil
	case server.MsgResumeSession:
		if st.ended || !st.paused {
			return nil, server.Errorf(server.EConflict, "the session is not paused")
		}
		return []server.Record{record(now, evResumed, "resumed#"+strconv.Itoa(st.pauses),
			evData{PausedMS: max(now.Sub(st.pausedAt), 0).Milliseconds()})}, nil
	case server.MsgRemove:
		p := st.parts[m.Participant]
		if p == nil || p.removed {
			return nil, server.Errorf(server.ENotFound, "no participant %q", m.Participant)
		}
		return []server.Record{record(now, evRemoved, "removed:"+p.id, evData{Participant: p.id})}, nil
	case server.MsgEnd:
		if st.ended {
			return nil, server.Errorf(server.EConflict, "the session has already ended")
		}
		return []server.Record{record(now, evEnded, "ended", evData{})}, nil
	}
	return nil, server.Errorf(server.EBadJSON, "unknown message type %q", m.Type)
}

func (st *state) running() error {
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

func (st *state) atMS(now time.Time) int64 { return st.activeAt(now).Milliseconds() }

// targets returns the worlds a command applies to: one named world, or all.
func (st *state) targets(id string) ([]*world, error) {
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

func (st *state) question(id string) (*engine.Question, error) {
	q := st.scn.Question(id)
	if q == nil {
		return nil, server.Errorf(server.ENotFound, "unknown question %q", id)
	}
	return q, nil
}

// wq is the key part naming a question of a world.
func wq(world, question string) string { return world + "/" + question }

func (st *state) decideStart(now time.Time) ([]server.Record, error) {
	switch {
	case st.ended:
		return nil, server.Errorf(server.EClosed, "the session has ended")
	case st.started:
		return nil, server.Errorf(server.EConflict, "the session has already started")
	case st.meta.Scope == server.ScopeTeam && len(st.meta.Teams) == 0:
		return nil, server.Errorf(server.EConflict, "a team session needs teams")
	}
	return []server.Record{record(now, evStarted, "started", evData{})}, nil
}

// decideNext moves worlds on. The key names the step a world moves on from, so a retried
// "next" cannot skip an inject.
func (st *state) decideNext(worldID string, now time.Time) ([]server.Record, error) {
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
			recs = append(recs, record(now, evAdvance, key, evData{World: wd.id, AtMS: at}))
		}
	}
	if len(recs) == 0 {
		return nil, server.Errorf(server.EClosed, "the playthrough has ended")
	}
	return recs, nil
}

// openRecords opens a question (or every question of the current inject) in the worlds.
func (st *state) openRecords(ws []*world, qid string, limit time.Duration, now time.Time) []server.Record {
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
			recs = append(recs, record(now, evOpen, "open:"+wq(wd.id, q.ID.Value), d))
		}
	}
	return recs
}

func (st *state) decideOpen(m server.ClientMsg, now time.Time) ([]server.Record, error) {
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

func closeRecord(now time.Time, world, question string, at int64) server.Record {
	return record(now, evClose, "close:"+wq(world, question), evData{World: world, Question: question, AtMS: at})
}

func (st *state) decideClose(m server.ClientMsg, now time.Time) ([]server.Record, error) {
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

// expired returns the records that close the questions whose deadline has passed at now.
func (st *state) expired(now time.Time) []server.Record {
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

func (st *state) decideDecide(m server.ClientMsg, now time.Time) ([]server.Record, error) {
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
		recs = append(recs, record(now, evDecide, "decide:"+wq(wd.id, q.ID.Value),
			evData{World: wd.id, Question: q.ID.Value, Answer: &a, AtMS: at}))
	}
	if len(recs) == 0 {
		return nil, refusal
	}
	return recs, nil
}

func (st *state) decideReveal(m server.ClientMsg, now time.Time) ([]server.Record, error) {
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
			recs = append(recs, record(now, evReveal, "reveal:"+wq(wd.id, q.ID.Value), evData{World: wd.id, Question: q.ID.Value}))
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
func (st *state) decideRubric(m server.ClientMsg, now time.Time) ([]server.Record, error) {
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
	return []server.Record{record(now, evRubric, "rubric:"+p.id+"/"+q.ID.Value+"#"+strconv.Itoa(n),
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
