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
	p, recs, err := h.st.DecideJoin(m, "p-"+randomID(6), hash, h.now())
	if err != nil {
		return err
	}
	if p == nil {
		if _, err := h.commit(recs...); err != nil {
			return err
		}
		if p = h.st.ByToken(hash); p == nil { // the fold refused it: cannot happen
			return server.Errorf(server.EInternal, "join failed")
		}
	}
	h.attach(c, p.ID())
	h.welcome(c, token, 0)
	return nil
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
	if !c.facilitator && m.Type == server.MsgAnswer && !h.st.Ended() {
		h.answers([]hubCmd{{c: c, m: &m}})
		return nil
	}
	recs, err := h.st.Decide(session.Sender{Facilitator: c.facilitator, Participant: c.pid}, m, h.now())
	if err != nil {
		return err
	}
	out, err := h.commit(recs...)
	if err != nil {
		return err
	}
	switch m.Type {
	case server.MsgNext:
		if m.Open && !h.st.Solo() {
			if o, err := h.commit(h.st.OpenCurrent(m.World, h.now())...); err == nil && len(o) > 0 {
				out = o
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
		rec, prev, err := h.st.DecideAnswer(c.pid, *m, now)
		key := c.pid + "\x00" + m.Question
		if err == nil && rec != nil && taken[key] {
			err = server.Errorf(server.EDuplicate, "you already answered question %s", m.Question)
		}
		switch {
		case err != nil:
			h.sendErr(c, m.Ref, err)
			continue
		case prev != nil: // a re-sent answer already in the log: acked again
			h.send(c, prepare(server.Ack{Type: server.MsgAck, Seq: prev.Seq, Ref: m.Ref, ID: prev.ID, Question: prev.Question, Duplicate: true}))
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
			if s, ok := h.st.Logged(session.AnswerKey(p.m.ID)); ok && h.st.Answerer(p.m.ID) != nil && h.st.Answerer(p.m.ID).ID() == p.c.pid {
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
