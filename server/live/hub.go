package live

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gorilla/websocket"
	"github.com/paraat-nl/paraat/engine"
	"github.com/paraat-nl/paraat/server"
)

var errStopped = server.Errorf(server.EUnavailable, "the server is shutting down; reconnect and resume")

// hub is one live session. Its goroutine (run) owns the state and the client set; every
// other goroutine talks to it through cmds. Every change is appended to the store first and
// applied and published only once it is durable.
type hub struct {
	m   *Manager
	id  string
	st  *state
	seq atomic.Int64 // st.seq, readable by connection goroutines

	cmds    chan hubCmd
	clients map[*client]struct{}
	conns   map[string]int // participant id → open connections
	timer   *time.Timer
	stop    chan struct{}
	done    chan struct{}

	// Indexes of clients, so that a private event (an answer, a join) costs the hub a few
	// sends instead of a pass over every client of a 5,000-participant room.
	byPart map[string][]*client // participant id → its connections
	facs   map[*client]struct{} // facilitators

	// The aggregates are rebuilt from the whole room; aggTimer holds back a rebuild until
	// aggInterval after the last one, so a burst of answers costs one.
	aggTimer *time.Timer
	aggLast  time.Time
}

// hubCmd is one unit of work for the hub goroutine: a function (call), or a client message
// (submit), which the hub can recognise and group: answers queued together are committed
// in one append.
type hubCmd struct {
	f func()
	c *client
	m *server.ClientMsg
}

// aggInterval is the shortest time between two aggregates messages.
const aggInterval = 100 * time.Millisecond

// maxAnswerBatch bounds how many answers one append carries.
const maxAnswerBatch = 512

func (h *hub) run() {
	defer close(h.done)
	h.schedule()
	for {
		var tc, ac <-chan time.Time
		if h.timer != nil {
			tc = h.timer.C
		}
		if h.aggTimer != nil {
			ac = h.aggTimer.C
		}
		select {
		case cmd := <-h.cmds:
			h.do(cmd)
		case <-tc:
			h.timer = nil
			h.expire()
			h.schedule()
		case <-ac:
			h.aggTimer = nil
			h.flushAggregates()
		case <-h.stop:
			if h.timer != nil {
				h.timer.Stop()
			}
			if h.aggTimer != nil {
				h.aggTimer.Stop()
			}
			for c := range h.clients {
				c.shut(websocket.CloseGoingAway, "server shutting down")
			}
			return
		}
	}
}

// call runs f on the hub goroutine and returns its error.
func (h *hub) call(ctx context.Context, f func() error) error {
	errc := make(chan error, 1)
	select {
	case h.cmds <- hubCmd{f: func() { errc <- f() }}:
	case <-h.stop:
		return errStopped
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-errc:
		return err
	case <-h.done:
		return errStopped
	}
}

// submit queues a client message; it blocks while the hub is busy, which slows down only
// the connection that sent it.
func (h *hub) submit(c *client, m server.ClientMsg) bool {
	select {
	case h.cmds <- hubCmd{c: c, m: &m}:
		return true
	case <-h.stop:
		return false
	}
}

func (h *hub) now() time.Time { return h.m.now() }

// commit appends records, and once they are durable applies and publishes them.
func (h *hub) commit(recs ...server.Record) ([]server.Record, error) {
	if len(recs) == 0 {
		return nil, nil
	}
	ctx, cancel := context.WithTimeout(h.m.ctx, h.m.opts.AppendTimeout)
	defer cancel()
	out, err := h.m.store.Append(ctx, h.id, recs)
	if err != nil {
		h.m.log.Error("append failed", "session", h.id, "err", err)
		// The records may or may not be durable: the log decides.
		h.reload()
		return nil, fmt.Errorf("append: %w", err)
	}
	n := len(h.st.log)
	for _, r := range out {
		h.st.apply(r)
	}
	h.seq.Store(h.st.seq)
	h.publish(h.st.log[n:])
	return out, nil
}

// reload rebuilds the state from the log.
func (h *hub) reload() {
	ctx, cancel := context.WithTimeout(h.m.ctx, h.m.opts.AppendTimeout)
	defer cancel()
	st, err := h.m.fold(ctx, h.id)
	if err != nil {
		h.m.log.Error("reload failed", "session", h.id, "err", err)
		return
	}
	h.st = st
	h.seq.Store(st.seq)
}

// audience reports whether a client may see a logged record.
func (c *client) sees(e logged) bool {
	if c.facilitator {
		return true
	}
	p := c.part
	return (e.world == "" || e.world == p.world) && (e.participant == "" || e.participant == p.id)
}

func changesWorld(kind string, solo bool) bool {
	switch kind {
	case evAnswer, evRubric:
		return solo
	case evJoined, evRemoved, evCreated:
		return false
	}
	return true
}

// publish sends new log entries and the views they change.
func (h *hub) publish(entries []logged) {
	st := h.st
	now := h.now()
	allWorlds := false
	worlds := map[string]bool{}
	mes := map[string]bool{}
	removed := map[string]bool{}
	for _, e := range entries {
		msg := e.msg
		msg.Sent = &now // live only: replayed events go without, so a client can tell
		pm := prepare(msg)
		if e.participant != "" {
			for _, c := range h.byPart[e.participant] {
				h.send(c, pm)
			}
			for c := range h.facs {
				h.send(c, pm)
			}
		} else {
			for c := range h.clients {
				if c.sees(e) {
					h.send(c, pm)
				}
			}
		}
		kind := e.msg.Kind
		if kind == "inject" {
			kind = evAdvance
		}
		if changesWorld(kind, st.solo()) {
			if e.world == "" {
				allWorlds = true
			} else {
				worlds[e.world] = true
			}
		}
		switch kind {
		case evAnswer, evRubric:
			mes[e.participant] = true
		case evAdvance:
			// Only in self-paced worlds can moving on decide, and so reveal, a question; such a
			// world is its one participant's, and has their id.
			if st.solo() {
				mes[e.world] = true
			}
		case evReveal:
			for _, p := range st.order {
				if p.world == e.world {
					mes[p.id] = true
				}
			}
		case evRemoved:
			removed[e.msg.Participant] = true
		}
	}
	views := map[string]*frame{}
	for c := range h.clients {
		if c.part == nil {
			continue
		}
		w := c.part.world
		if (allWorlds || worlds[w]) && st.worlds[w] != nil {
			pm := views[w]
			if pm == nil {
				pm = prepare(server.WorldMsg{Type: server.MsgWorld, Seq: st.seq, World: st.worldView(st.worlds[w], now)})
				views[w] = pm
			}
			h.send(c, pm)
		}
		if mes[c.part.id] {
			h.send(c, prepare(server.MeMsg{Type: server.MsgMe, Seq: st.seq, Me: st.meView(c.part)}))
		}
	}
	h.sendAggregates()
	for c := range h.clients {
		if c.part != nil && removed[c.part.id] {
			h.detach(c, server.CloseRemoved, "removed by the facilitator")
		}
	}
}

// sendAggregates sends the facilitators the aggregates now, or, within aggInterval of the
// last time, once that interval is over. The clock is the real one: this is about CPU.
func (h *hub) sendAggregates() {
	if len(h.facs) == 0 {
		return
	}
	if wait := aggInterval - time.Since(h.aggLast); wait > 0 {
		if h.aggTimer == nil {
			h.aggTimer = time.NewTimer(wait)
		}
		return
	}
	h.flushAggregates()
}

func (h *hub) flushAggregates() {
	if h.aggTimer != nil {
		h.aggTimer.Stop()
		h.aggTimer = nil
	}
	if len(h.facs) == 0 {
		return
	}
	h.aggLast = time.Now()
	pm := prepare(server.AggregatesMsg{Type: server.MsgAggregates, Seq: h.st.seq, Aggregates: h.st.aggregates(h.conns)})
	for c := range h.facs {
		h.send(c, pm)
	}
}

// send queues a message for a client; a client whose queue is full is dropped, never waited for.
func (h *hub) send(c *client, pm *frame) {
	if !c.enqueue(pm) {
		if code, _ := c.closeInfo(); code == server.CloseSlowConsumer {
			h.m.stats.dropped.Add(1)
		}
		h.m.log.Info("dropping slow client", "session", h.id)
		h.detach(c, server.CloseSlowConsumer, "slow consumer")
	}
}

func (h *hub) attach(c *client) {
	h.clients[c] = struct{}{}
	if c.part != nil {
		h.conns[c.part.id]++
		h.byPart[c.part.id] = append(h.byPart[c.part.id], c)
	}
	if c.facilitator {
		h.facs[c] = struct{}{}
	}
	h.sendAggregates()
}

func (h *hub) detach(c *client, code int, text string) {
	c.shut(code, text)
	if _, ok := h.clients[c]; !ok {
		return
	}
	delete(h.clients, c)
	delete(h.facs, c)
	if c.part != nil {
		h.conns[c.part.id]--
		if h.conns[c.part.id] <= 0 {
			delete(h.conns, c.part.id)
		}
		// A new slice, not an edit in place: publish may be ranging over the old one.
		var rest []*client
		for _, o := range h.byPart[c.part.id] {
			if o != c {
				rest = append(rest, o)
			}
		}
		if len(rest) == 0 {
			delete(h.byPart, c.part.id)
		} else {
			h.byPart[c.part.id] = rest
		}
		h.sendAggregates()
	}
}

func (h *hub) sendErr(c *client, ref string, err error) {
	e := server.ErrorOf(err)
	if e.Code == server.EInternal {
		h.m.log.Error("internal error", "session", h.id, "err", err)
	}
	h.send(c, prepare(server.ErrorMsg{Type: server.MsgError, Seq: h.st.seq, Ref: ref, Code: e.Code, Message: e.Message}))
}

func (h *hub) ack(c *client, ref string, seq int64) {
	h.send(c, prepare(server.Ack{Type: server.MsgAck, Seq: seq, Ref: ref}))
}

// welcome sends the welcome, the snapshot and the missed log entries.
func (h *hub) welcome(c *client, token string, lastSeq int64) {
	st := h.st
	w := server.Welcome{Type: server.MsgWelcome, Seq: st.seq, V: server.ProtocolVersion, Session: h.id,
		Token: token, Facilitator: c.facilitator}
	if p := c.part; p != nil {
		w.Participant, w.Name, w.Role, w.Team, w.World = p.id, p.name, p.role, p.team, p.world
	}
	h.send(c, prepare(w))
	h.send(c, prepare(h.snapshot(c)))
	if lastSeq > 0 {
		for _, e := range st.log {
			if e.msg.Seq > lastSeq && c.sees(e) {
				h.send(c, prepare(e.msg))
			}
		}
	}
}

func (h *hub) snapshot(c *client) server.Snapshot {
	st := h.st
	now := h.now()
	s := server.Snapshot{Type: server.MsgSnapshot, Seq: st.seq, Session: st.sessionView()}
	if c.facilitator {
		s.Worlds = []server.WorldView{}
		for _, id := range st.worldIDs {
			s.Worlds = append(s.Worlds, st.worldView(st.worlds[id], now))
		}
		ag := st.aggregates(h.conns)
		s.Aggregates = &ag
		return s
	}
	if wd := st.worlds[c.part.world]; wd != nil {
		v := st.worldView(wd, now)
		s.World = &v
	}
	me := st.meView(c.part)
	s.Me = &me
	return s
}

// ---- hello ----

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

func (h *hub) join(c *client, m server.ClientMsg) error {
	st := h.st
	if st.ended {
		return server.Errorf(server.EExpired, "the session has ended")
	}
	if st.meta.Study {
		return server.Errorf(server.EForbidden, "a self-study run cannot be joined")
	}
	if !st.row.Expires.IsZero() && h.now().After(st.row.Expires) {
		return server.Errorf(server.EExpired, "the join code has expired")
	}
	name, err := CleanName(m.Name)
	if err != nil {
		return err
	}
	name = st.uniqueName(name)
	roles := st.allowedRoles()
	role := m.Role
	switch {
	case role != "" && !contains(roles, role):
		return server.Errorf(server.EInvalid, "role %q is not part of this session", role)
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
		return server.Errorf(server.EInvalid, "team %q is not part of this session", team)
	case team == "" && st.meta.Scope == server.ScopeTeam:
		team = st.leastUsed(teams, func(p *participant) string { return p.team })
	}
	id := "p-" + randomID(6)
	token, hash := newToken(h.id)
	if _, err := h.commit(record(h.now(), evJoined, evData{Participant: id, Name: name, Role: role, Team: team, TokenHash: hash})); err != nil {
		return err
	}
	c.part = st.parts[id]
	if c.part == nil { // the fold refused it: cannot happen
		return server.Errorf(server.EInternal, "join failed")
	}
	h.attach(c)
	h.welcome(c, token, 0)
	return nil
}

func (h *hub) resume(c *client, secret string, lastSeq int64) error {
	p := h.st.byToken[hashToken(secret)]
	if p == nil || p.removed {
		return server.Errorf(server.EUnauthorized, "unknown or revoked resume token")
	}
	c.part = p
	h.attach(c)
	h.welcome(c, "", lastSeq)
	return nil
}

func (h *hub) watch(c *client, lastSeq int64) error {
	c.facilitator = true
	h.attach(c)
	h.welcome(c, "", lastSeq)
	return nil
}

// ---- commands ----

// do runs one unit of work. A participant's answer takes with it every answer already
// queued behind it, and they are committed in one append: one fsync for a burst, instead of
// one each while the rest of the room waits.
func (h *hub) do(cmd hubCmd) {
	if cmd.f != nil {
		cmd.f()
		return
	}
	if cmd.m.Type != server.MsgAnswer || cmd.c.part == nil {
		h.handle(cmd.c, *cmd.m)
		return
	}
	batch := []hubCmd{cmd}
	var held *hubCmd
gather:
	for len(batch) < maxAnswerBatch {
		select {
		case next := <-h.cmds:
			if next.f == nil && next.m.Type == server.MsgAnswer && next.c.part != nil {
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
	if _, ok := h.clients[c]; !ok {
		return // dropped meanwhile
	}
	if err := h.dispatch(c, m); err != nil {
		h.sendErr(c, m.Ref, err)
	}
	h.schedule()
}

func (h *hub) dispatch(c *client, m server.ClientMsg) error {
	switch m.Type {
	case server.MsgJoin, server.MsgResume, server.MsgWatch:
		return server.Errorf(server.EConflict, "this connection has already joined; open a new one")
	}
	// An ended session is frozen: its log is the record the report is built from.
	if h.st.ended && m.Type != server.MsgEnd {
		return server.Errorf(server.EClosed, "the session has ended")
	}
	if c.part != nil {
		switch m.Type {
		case server.MsgAnswer:
			h.answers([]hubCmd{{c: c, m: &m}})
			return nil
		case server.MsgNext:
			if !h.st.solo() {
				return server.Errorf(server.EForbidden, "only the facilitator moves this session on")
			}
			return h.next(c, m, c.part.world)
		}
		return server.Errorf(server.EForbidden, "only the facilitator can %s", m.Type)
	}
	switch m.Type {
	case server.MsgAnswer:
		return server.Errorf(server.EForbidden, "the facilitator does not answer")
	case server.MsgStart:
		return h.start(c, m)
	case server.MsgNext:
		return h.next(c, m, m.World)
	case server.MsgOpen:
		return h.open(c, m)
	case server.MsgClose:
		return h.closeQ(c, m)
	case server.MsgDecide:
		return h.decide(c, m)
	case server.MsgReveal:
		return h.reveal(c, m)
	case server.MsgRubric:
		return h.rubric(c, m)
	case server.MsgPause:
		return h.pause(c, m)
	case server.MsgResumeSession:
		return h.resumeSession(c, m)
	case server.MsgRemove:
		return h.remove(c, m)
	case server.MsgEnd:
		return h.end(c, m)
	}
	return server.Errorf(server.EBadJSON, "unknown message type %q", m.Type)
}

func (h *hub) running() error {
	st := h.st
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

func (h *hub) atMS() int64 { return h.st.activeAt(h.now()).Milliseconds() }

// targets returns the worlds a command applies to: one named world, or all.
func (h *hub) targets(id string) ([]*world, error) {
	if id != "" {
		wd := h.st.worlds[id]
		if wd == nil {
			return nil, server.Errorf(server.ENotFound, "no world %q", id)
		}
		return []*world{wd}, nil
	}
	var out []*world
	for _, id := range h.st.worldIDs {
		out = append(out, h.st.worlds[id])
	}
	return out, nil
}

func (h *hub) question(id string) (*engine.Question, error) {
	q := h.st.scn.Question(id)
	if q == nil {
		return nil, server.Errorf(server.ENotFound, "unknown question %q", id)
	}
	return q, nil
}

// answers checks a group of answers, appends the accepted ones in one go and acknowledges
// each once they are durable. Answers of one group are checked as if committed one by one:
// a second answer to the same question is refused, a re-sent id is acked as a duplicate.
func (h *hub) answers(batch []hubCmd) {
	type pending struct {
		c   *client
		m   *server.ClientMsg
		rec int // index of its record; the record of an earlier answer with the same id if dup
		dup bool
	}
	var recs []server.Record
	var owners []*participant
	var ps []pending
	ids := map[string]int{}    // answer id → index of its record in this group
	taken := map[string]bool{} // participant and question answered in this group
	for _, b := range batch {
		c, m := b.c, b.m
		if _, ok := h.clients[c]; !ok {
			continue // dropped meanwhile
		}
		if i, ok := ids[m.ID]; ok {
			if owners[i] != c.part {
				h.sendErr(c, m.Ref, server.Errorf(server.EDuplicate, "answer id %s was already used", m.ID))
			} else {
				ps = append(ps, pending{c: c, m: m, rec: i, dup: true})
			}
			continue
		}
		rec, err := h.checkAnswer(c, *m)
		key := c.part.id + "\x00" + m.Question
		if err == nil && rec != nil && taken[key] {
			err = server.Errorf(server.EDuplicate, "you already answered question %s", m.Question)
		}
		if err != nil {
			h.sendErr(c, m.Ref, err)
			continue
		}
		if rec == nil {
			continue // a re-sent answer already in the log: acked again
		}
		taken[key] = true
		ids[m.ID] = len(recs)
		ps = append(ps, pending{c: c, m: m, rec: len(recs)})
		recs = append(recs, *rec)
		owners = append(owners, c.part)
	}
	if len(recs) == 0 {
		return
	}
	out, err := h.commit(recs...)
	if err == nil {
		h.m.stats.answers.Add(int64(len(out)))
	}
	for _, p := range ps {
		if err != nil {
			h.sendErr(p.c, p.m.Ref, err)
			continue
		}
		h.send(p.c, prepare(server.Ack{Type: server.MsgAck, Seq: out[p.rec].Seq, Ref: p.m.Ref, ID: p.m.ID,
			Question: p.m.Question, Duplicate: p.dup}))
	}
}

// checkAnswer decides whether an answer can be taken and returns its record. A re-sent answer
// that is already in the log is acknowledged again here, and gets no record.
func (h *hub) checkAnswer(c *client, m server.ClientMsg) (*server.Record, error) {
	st := h.st
	p := c.part
	if prev := st.answers[m.ID]; prev != nil {
		if prev != p {
			return nil, server.Errorf(server.EDuplicate, "answer id %s was already used", m.ID)
		}
		for _, a := range p.answers {
			if a.id == m.ID {
				h.send(c, prepare(server.Ack{Type: server.MsgAck, Seq: a.seq, Ref: m.Ref, ID: a.id, Question: a.question, Duplicate: true}))
				return nil, nil
			}
		}
	}
	if st.ended {
		return nil, server.Errorf(server.EClosed, "the session has ended")
	}
	if !st.started {
		return nil, server.Errorf(server.EClosed, "the session has not started")
	}
	if st.paused {
		return nil, server.Errorf(server.EClosed, "the session is paused")
	}
	q, err := h.question(m.Question)
	if err != nil {
		return nil, err
	}
	wd := st.worlds[p.world]
	if wd == nil {
		return nil, server.Errorf(server.EClosed, "your world has not started")
	}
	switch st.questionState(wd, q) {
	case "pending":
		return nil, server.Errorf(server.EClosed, "question %s is not open yet", q.ID.Value)
	case "closed":
		return nil, server.Errorf(server.EClosed, "question %s is not open", q.ID.Value)
	}
	if dl := wd.opened[q.ID.Value]; !dl.IsZero() && !h.now().Before(dl) {
		return nil, server.Errorf(server.EClosed, "time is up for question %s", q.ID.Value)
	}
	if !q.AskedOf(p.role) && !(st.solo() && p.role == "") {
		return nil, server.Errorf(server.EForbidden, "question %s is not asked of role %q", q.ID.Value, p.role)
	}
	if wd.w.Response(p.id, q.ID.Value) != nil {
		return nil, server.Errorf(server.EDuplicate, "you already answered question %s", q.ID.Value)
	}
	if err := wd.w.Validate(q, m.Answer); err != nil {
		return nil, err
	}
	a := *m.Answer
	rec := record(h.now(), evAnswer, evData{Participant: p.id, World: wd.id, Question: q.ID.Value,
		Answer: &a, ID: m.ID, AtMS: h.atMS()})
	return &rec, nil
}

func (h *hub) start(c *client, m server.ClientMsg) error {
	st := h.st
	if st.ended {
		return server.Errorf(server.EClosed, "the session has ended")
	}
	if st.started {
		return server.Errorf(server.EConflict, "the session has already started")
	}
	if st.meta.Scope == server.ScopeTeam && len(st.meta.Teams) == 0 {
		return server.Errorf(server.EConflict, "a team session needs teams")
	}
	out, err := h.commit(record(h.now(), evStarted, evData{}))
	if err != nil {
		return err
	}
	h.ack(c, m.Ref, out[len(out)-1].Seq)
	return nil
}

func (h *hub) next(c *client, m server.ClientMsg, worldID string) error {
	if err := h.running(); err != nil {
		return err
	}
	ws, err := h.targets(worldID)
	if err != nil {
		return err
	}
	var recs []server.Record
	now, at := h.now(), h.atMS()
	for _, wd := range ws {
		if !wd.w.Done() {
			recs = append(recs, record(now, evAdvance, evData{World: wd.id, AtMS: at}))
		}
	}
	if len(recs) == 0 {
		return server.Errorf(server.EClosed, "the playthrough has ended")
	}
	out, err := h.commit(recs...)
	if err != nil {
		return err
	}
	if m.Open && !h.st.solo() {
		if o, err := h.commit(h.openRecords(ws, "", 0)...); err == nil && len(o) > 0 {
			out = o
		}
	}
	h.ack(c, m.Ref, out[len(out)-1].Seq)
	return nil
}

// openRecords opens a question (or every question of the current inject) in the worlds.
func (h *hub) openRecords(ws []*world, qid string, limit time.Duration) []server.Record {
	var recs []server.Record
	now := h.now()
	for _, wd := range ws {
		in := wd.w.Current()
		if in == nil {
			continue
		}
		for _, q := range in.Questions {
			if qid != "" && q.ID.Value != qid || h.st.questionState(wd, q) != "pending" {
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
			recs = append(recs, record(now, evOpen, d))
		}
	}
	return recs
}

func (h *hub) open(c *client, m server.ClientMsg) error {
	if err := h.running(); err != nil {
		return err
	}
	if h.st.solo() {
		return server.Errorf(server.EConflict, "questions of self-paced worlds open by themselves")
	}
	if m.Question != "" {
		if _, err := h.question(m.Question); err != nil {
			return err
		}
	}
	ws, err := h.targets(m.World)
	if err != nil {
		return err
	}
	recs := h.openRecords(ws, m.Question, time.Duration(m.TimeLimitMS)*time.Millisecond)
	if len(recs) == 0 {
		return server.Errorf(server.EClosed, "no question to open: not part of the current inject, already open or closed")
	}
	out, err := h.commit(recs...)
	if err != nil {
		return err
	}
	h.ack(c, m.Ref, out[len(out)-1].Seq)
	return nil
}

func (h *hub) closeQ(c *client, m server.ClientMsg) error {
	if err := h.running(); err != nil {
		return err
	}
	q, err := h.question(m.Question)
	if err != nil {
		return err
	}
	ws, err := h.targets(m.World)
	if err != nil {
		return err
	}
	var recs []server.Record
	now, at := h.now(), h.atMS()
	for _, wd := range ws {
		if wd.w.IsOpen(q.ID.Value) {
			recs = append(recs, record(now, evClose, evData{World: wd.id, Question: q.ID.Value, AtMS: at}))
		}
	}
	if len(recs) == 0 {
		return server.Errorf(server.EClosed, "question %s is not open", q.ID.Value)
	}
	out, err := h.commit(recs...)
	if err != nil {
		return err
	}
	h.ack(c, m.Ref, out[len(out)-1].Seq)
	return nil
}

func (h *hub) decide(c *client, m server.ClientMsg) error {
	if err := h.running(); err != nil {
		return err
	}
	q, err := h.question(m.Question)
	if err != nil {
		return err
	}
	ws, err := h.targets(m.World)
	if err != nil {
		return err
	}
	var recs []server.Record
	now, at := h.now(), h.atMS()
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
			return err
		}
		a := *m.Answer
		recs = append(recs, record(now, evDecide, evData{World: wd.id, Question: q.ID.Value, Answer: &a, AtMS: at}))
	}
	if len(recs) == 0 {
		return refusal
	}
	out, err := h.commit(recs...)
	if err != nil {
		return err
	}
	h.ack(c, m.Ref, out[len(out)-1].Seq)
	return nil
}

func (h *hub) reveal(c *client, m server.ClientMsg) error {
	st := h.st
	if !st.started {
		return server.Errorf(server.EConflict, "the session has not started")
	}
	q, err := h.question(m.Question)
	if err != nil {
		return err
	}
	ws, err := h.targets(m.World)
	if err != nil {
		return err
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
			recs = append(recs, record(h.now(), evReveal, evData{World: wd.id, Question: q.ID.Value}))
		}
	}
	if len(recs) == 0 {
		if open {
			return server.Errorf(server.EConflict, "question %s is still open; close it first", q.ID.Value)
		}
		return server.Errorf(server.EConflict, "question %s has nothing to reveal", q.ID.Value)
	}
	out, err := h.commit(recs...)
	if err != nil {
		return err
	}
	h.ack(c, m.Ref, out[len(out)-1].Seq)
	return nil
}

func (h *hub) rubric(c *client, m server.ClientMsg) error {
	st := h.st
	p := st.parts[m.Participant]
	if p == nil {
		return server.Errorf(server.ENotFound, "no participant %q", m.Participant)
	}
	q, err := h.question(m.Question)
	if err != nil {
		return err
	}
	if q.Type != engine.Free {
		return server.Errorf(server.EInvalid, "question %s is not a text question", q.ID.Value)
	}
	wd := st.worlds[p.world]
	if wd == nil || wd.w.Response(p.id, q.ID.Value) == nil {
		return server.Errorf(server.ENotFound, "%s has not answered question %s", p.name, q.ID.Value)
	}
	items := m.Items
	if items == nil {
		items = []string{}
	}
	for _, it := range items {
		if q.Item(it) == nil {
			return server.Errorf(server.EInvalid, "question %s has no rubric item %q", q.ID.Value, it)
		}
	}
	out, err := h.commit(record(h.now(), evRubric, evData{World: wd.id, Participant: p.id, Question: q.ID.Value,
		Answer: &engine.Answer{Items: items}, AtMS: h.atMS()}))
	if err != nil {
		return err
	}
	h.ack(c, m.Ref, out[0].Seq)
	return nil
}

func (h *hub) pause(c *client, m server.ClientMsg) error {
	if err := h.running(); err != nil {
		return err
	}
	out, err := h.commit(record(h.now(), evPaused, evData{}))
	if err != nil {
		return err
	}
	h.ack(c, m.Ref, out[0].Seq)
	return nil
}

func (h *hub) resumeSession(c *client, m server.ClientMsg) error {
	st := h.st
	if st.ended || !st.paused {
		return server.Errorf(server.EConflict, "the session is not paused")
	}
	now := h.now()
	out, err := h.commit(record(now, evResumed, evData{PausedMS: max(now.Sub(st.pausedAt), 0).Milliseconds()}))
	if err != nil {
		return err
	}
	h.ack(c, m.Ref, out[0].Seq)
	return nil
}

func (h *hub) remove(c *client, m server.ClientMsg) error {
	p := h.st.parts[m.Participant]
	if p == nil || p.removed {
		return server.Errorf(server.ENotFound, "no participant %q", m.Participant)
	}
	out, err := h.commit(record(h.now(), evRemoved, evData{Participant: p.id}))
	if err != nil {
		return err
	}
	h.ack(c, m.Ref, out[0].Seq)
	return nil
}

func (h *hub) end(c *client, m server.ClientMsg) error {
	if h.st.ended {
		return server.Errorf(server.EConflict, "the session has already ended")
	}
	ctx, cancel := context.WithTimeout(h.m.ctx, h.m.opts.AppendTimeout)
	defer cancel()
	out, err := h.commit(record(h.now(), evEnded, evData{}))
	if err != nil {
		return err
	}
	if err := h.m.store.EndSession(ctx, h.id); err != nil && !errors.Is(err, server.ErrNotFound) {
		h.m.log.Error("end session", "session", h.id, "err", err)
	}
	h.ack(c, m.Ref, out[0].Seq)
	for c := range h.clients {
		h.detach(c, server.CloseEnded, "session ended")
	}
	return nil
}

// ---- timers ----

// schedule arms the timer for the earliest deadline of an open question.
func (h *hub) schedule() {
	if h.timer != nil {
		h.timer.Stop()
		h.timer = nil
	}
	st := h.st
	if st.paused || st.ended || !st.started {
		return
	}
	var first time.Time
	for _, wd := range st.worlds {
		for q, dl := range wd.opened {
			if !dl.IsZero() && wd.w.IsOpen(q) && (first.IsZero() || dl.Before(first)) {
				first = dl
			}
		}
	}
	if first.IsZero() {
		return
	}
	h.timer = time.NewTimer(max(first.Sub(h.now()), 0))
}

// expire closes the questions whose deadline has passed.
func (h *hub) expire() {
	st := h.st
	if st.paused || st.ended {
		return
	}
	now, at := h.now(), h.atMS()
	var recs []server.Record
	for _, id := range st.worldIDs {
		wd := st.worlds[id]
		for _, q := range wd.w.Open("") {
			if dl, ok := wd.opened[q.ID.Value]; ok && !dl.IsZero() && !now.Before(dl) {
				recs = append(recs, record(now, evClose, evData{World: id, Question: q.ID.Value, AtMS: at}))
			}
		}
	}
	if _, err := h.commit(recs...); err != nil {
		h.m.log.Error("closing expired questions", "session", h.id, "err", err)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
