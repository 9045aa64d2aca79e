package live

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"

	"github.com/paraat-nl/paraat/server"
	"github.com/paraat-nl/paraat/server/live/session"
)

// This file holds what the hub does with a client message: it asks the session's state what
// the message means (the decide functions of package session), commits the records, then
// acknowledges the sender or tells them why not.

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

// ---- hello: join, resume, watch ----

// joins adds a group of participants with one append. A client that sends an id (a UUID it
// keeps) can send the same join again, after a lost answer or a broken connection, and gets
// the same participant: the id is the participant's resume secret. Each join's outcome goes
// to its errc.
func (h *hub) joins(batch []*joinReq) {
	type pending struct {
		r           *joinReq
		token, hash string
		p           *session.Participant // already in the log; nil for a new participant
	}
	g := h.st.Joins()
	now := h.now()
	var ps []pending
	for _, r := range batch {
		var token, hash string
		if r.m.ID != "" {
			token, hash = h.id+"."+r.m.ID, hashToken(r.m.ID)
		} else {
			token, hash = newToken(h.id)
		}
		p, _, err := g.Decide(r.m, "p-"+randomID(6), hash, now)
		if err != nil {
			r.errc <- err
			continue
		}
		ps = append(ps, pending{r: r, token: token, hash: hash, p: p})
	}
	_, err := h.commit(g.Records()...)
	errs := make([]error, len(ps))
	for i, pj := range ps {
		p := pj.p
		if p == nil {
			// Decided by the log: after a failed append, the joins it holds were made.
			if p = h.st.ByToken(pj.hash); p == nil {
				errs[i] = err
				if err == nil {
					errs[i] = server.Errorf(server.EInternal, "join failed") // the fold refused it: cannot happen
				}
				continue
			}
		}
		h.attach(pj.r.c, p.ID())
		h.welcome(pj.r.c, pj.token, 0)
	}
	h.flushSends() // the welcomes are queued before the readers go on
	for i, pj := range ps {
		pj.r.errc <- errs[i]
	}
}

func (h *hub) resume(c *client, secret string, lastSeq int64) error {
	if h.m.cl != nil && !h.owner.Load() {
		h.catchUp() // a follower may not have the join yet
	}
	p := h.st.ByToken(hashToken(secret))
	if p == nil || p.Removed() {
		return server.Errorf(server.EUnauthorized, "unknown or revoked resume token")
	}
	h.attach(c, p.ID())
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
	switch {
	case cmd.f != nil:
		cmd.f()
	case cmd.j != nil:
		batch, held := h.gather(cmd, maxJoinBatch, func(c hubCmd) bool { return c.j != nil })
		joins := make([]*joinReq, len(batch))
		for i, b := range batch {
			joins[i] = b.j
		}
		h.joins(joins)
		h.then(held)
	case cmd.m.Type != server.MsgAnswer || cmd.c.pid == "":
		h.handle(cmd.c, *cmd.m)
	default:
		batch, held := h.gather(cmd, maxAnswerBatch, isAnswer)
		h.answers(batch, held == nil)
		h.schedule()
		h.then(held)
		if after := h.afterAnswers; after != nil {
			h.afterAnswers = nil
			h.do(*after)
		}
	}
}

func isAnswer(c hubCmd) bool { return c.m != nil && c.m.Type == server.MsgAnswer && c.c.pid != "" }

// gather takes first and the commands queued behind it that are of its kind (like), up to
// limit; the first of another kind is held, to run after them.
func (h *hub) gather(first hubCmd, limit int, like func(hubCmd) bool) (batch []hubCmd, held *hubCmd) {
	batch = []hubCmd{first}
	for len(batch) < limit {
		select {
		case next := <-h.cmds:
			if !like(next) {
				return batch, &next
			}
			batch = append(batch, next)
		default:
			return batch, nil
		}
	}
	return batch, nil
}

func (h *hub) then(held *hubCmd) {
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
	if !c.facilitator && m.Type == server.MsgAnswer && !h.st.Ended() {
		h.answers([]hubCmd{{c: c, m: &m}}, false)
		return nil
	}
	recs, err := h.st.Decide(session.Sender{Facilitator: c.facilitator, Participant: c.pid}, m, h.now())
	if err != nil {
		return err
	}
	if m.Type == server.MsgNext && m.Open && !h.st.Solo() {
		// Moving on and opening the new questions are two appends; the room gets the inject,
		// its questions open and the new view together, in one frame per world.
		h.holdPublish()
		out, err := h.commit(recs...)
		if err == nil {
			if o, err := h.commit(h.st.OpenCurrent(m.World, h.now())...); err == nil && len(o) > 0 {
				out = o
			}
		}
		h.flushPublish()
		if err != nil {
			return err
		}
		h.ack(c, m.Ref, out[len(out)-1].Seq)
		return nil
	}
	out, err := h.commit(recs...)
	if err != nil {
		return err
	}
	switch m.Type {
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
//
// With more, answers that queued up meanwhile are taken as the next group, up to the first
// other command (which then runs after them): once a group is durable and applied, the next
// group is decided and its append started before the first group is published and acked, so
// that the store syncs the one while the hub sends the other.
func (h *hub) answers(batch []hubCmd, more bool) {
	g := h.decideAnswers(batch)
	g.replyEarly(h)
	if len(g.recs) == 0 {
		return
	}
	a := h.startAppend(g.recs, false)
	for {
		h.answering = g.answering
		h.holdPublish()
		out, err := h.settle(a)
		var next *answerGroup
		if more && err == nil {
			if batch := h.moreAnswers(); len(batch) > 0 {
				if next = h.decideAnswers(batch); len(next.recs) > 0 {
					a = h.startAppend(next.recs, true)
				}
			}
		}
		h.flushPublish()
		h.ackAnswers(g, out, err)
		if next != nil {
			next.replyEarly(h) // after the acks of the answers before them
		}
		h.answering = nil
		h.flushSends()
		if next == nil || len(next.recs) == 0 {
			return
		}
		g = next
	}
}

// moreAnswers takes the participants' answers queued on the hub, up to the first other
// command, which is kept to run after them (afterAnswers).
func (h *hub) moreAnswers() []hubCmd {
	if h.afterAnswers != nil {
		return nil
	}
	var batch []hubCmd
	for len(batch) < maxAnswerBatch {
		select {
		case next := <-h.cmds:
			if !isAnswer(next) {
				h.afterAnswers = &next
				return batch
			}
			batch = append(batch, next)
		default:
			return batch
		}
	}
	return batch
}

// answerGroup is a group of answers decided together: the records to append and, per
// answer to acknowledge, its sender and where its record is.
type answerGroup struct {
	recs []server.Record
	ps   []pendingAnswer
	// early are the replies decided with the group (refusals, acks of answers already in
	// the log), sent by replyEarly: after the acks of the group before, if there was one.
	early []earlyReply
	// answering: the connection of each participant whose answer its ack will carry.
	answering map[string]*client
}

type earlyReply struct {
	c *client
	f *frame
}

func (g *answerGroup) replyEarly(h *hub) {
	for _, r := range g.early {
		h.send(r.c, r.f)
	}
	g.early = nil
}

type pendingAnswer struct {
	c   *client
	m   *server.ClientMsg
	rec int // index of its record; the record of an earlier answer with the same id if dup
	dup bool
}

// decideAnswers decides a group of answers: the records to append, and the refusals and acks
// of answers already in the log, kept for replyEarly.
func (h *hub) decideAnswers(batch []hubCmd) *answerGroup {
	now := h.now()
	g := &answerGroup{}
	var owners []string
	ids := map[string]int{}    // answer id → index of its record in this group
	taken := map[string]bool{} // participant and question answered in this group
	for _, b := range batch {
		c, m := b.c, b.m
		if _, ok := h.clients[c]; !ok && !c.proxy {
			continue // dropped meanwhile
		}
		if i, ok := ids[m.ID]; ok {
			if owners[i] != c.pid {
				g.early = append(g.early, earlyReply{c, h.errFrame(m.Ref, server.Errorf(server.EDuplicate, "answer id %s was already used", m.ID))})
			} else {
				g.ps = append(g.ps, pendingAnswer{c: c, m: m, rec: i, dup: true})
			}
			continue
		}
		rec, prev, err := h.st.DecideAnswer(c.pid, *m, now)
		key := c.pid + "\x00" + m.Question
		if err == nil && rec != nil && taken[key] {
			err = server.Errorf(server.EDuplicate, "you already answered question %s", m.Question)
		}
		switch {
		case err != nil:
			g.early = append(g.early, earlyReply{c, h.errFrame(m.Ref, err)})
			continue
		case prev != nil: // a re-sent answer already in the log: acked again
			g.early = append(g.early, earlyReply{c, prepare(server.Ack{Type: server.MsgAck, Seq: prev.Seq, Ref: m.Ref, ID: prev.ID, Question: prev.Question, Duplicate: true})})
			continue
		}
		taken[key] = true
		ids[m.ID] = len(g.recs)
		g.ps = append(g.ps, pendingAnswer{c: c, m: m, rec: len(g.recs)})
		g.recs = append(g.recs, *rec)
		owners = append(owners, c.pid)
	}
	if len(g.recs) == 0 {
		return g
	}
	// Where an answer changes nothing in its participant's view but the answer itself (not in
	// self-study, where an answer can be revealed at once), the ack carries it: the sender
	// gets one message back, not the answer's event, their view and the ack.
	if !h.st.Solo() {
		g.answering = make(map[string]*client, len(g.ps))
		for _, p := range g.ps {
			if !p.dup {
				g.answering[p.c.pid] = p.c
			}
		}
	}
	return g
}

// ackAnswers acknowledges a group's answers once their append settled (out, err).
func (h *hub) ackAnswers(g *answerGroup, out []server.Record, err error) {
	if err == nil {
		h.m.stats.answers.Add(int64(len(out)))
	}
	for _, p := range g.ps {
		seq := int64(0)
		switch {
		case err == nil:
			seq = out[p.rec].Seq
		case errors.Is(err, errNotSaved):
			// Some records of the append are not in the log, so none is (an append is atomic),
			// unless another writer logged this very answer: the log decides, per answer.
			if s, ok := h.st.Logged(session.AnswerKey(p.m.ID)); ok && h.st.Answerer(p.m.ID) != nil && h.st.Answerer(p.m.ID).ID() == p.c.pid {
				seq = s
			}
		}
		if seq == 0 {
			h.sendErr(p.c, p.m.Ref, err)
			continue
		}
		ack := server.Ack{Type: server.MsgAck, Seq: seq, Ref: p.m.Ref, ID: p.m.ID, Question: p.m.Question, Duplicate: p.dup}
		if g.answering[p.c.pid] == p.c && !p.dup {
			part := h.st.Participant(p.c.pid)
			if mine, ok := h.st.NewAnswer(part, p.m.ID); ok {
				ack.Mine = &mine
			} else {
				// Revealed already: the whole view, with the score and the total.
				h.send(p.c, prepare(server.MeMsg{Type: server.MsgMe, Seq: h.st.Seq(), Me: h.st.MeView(part)}))
			}
		}
		h.send(p.c, prepare(ack))
	}
}
