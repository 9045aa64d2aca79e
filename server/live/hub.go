// Package live runs live sessions over websockets: one hub goroutine per session takes its
// clients' commands, asks the session's state machine (package session) what they mean,
// appends the records to the store, and only once they are durable applies them and fans
// the changes out to the session's clients.
package live

import (
	"context"
	"errors"
	"maps"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/paraat-nl/paraat/server"
	"github.com/paraat-nl/paraat/server/live/session"
)

var (
	errStopped  = server.Errorf(server.EUnavailable, "the server is shutting down; reconnect and resume")
	errUnloaded = errors.New("the session was unloaded") // never shown: the caller loads it again
	errNotSaved = server.Errorf(server.EUnavailable, "the change could not be saved and was not made; send it again")
	errMoved    = server.Errorf(server.EUnavailable, "the session moved to another server and the change was not made; reconnect and send it again")
)

// hub is one live session: a goroutine (run) that owns the session's state and its clients.
// The state machine is package session (no I/O, no clock); this file and commands.go are the
// loop around it. The path of every change, for instance an answer:
//
//  1. The connection's reader decodes the frame and queues it (submit).
//  2. run takes it and asks the state what it means (session.State.DecideAnswer, Decide and
//     friends: pure functions of the state, the message and the time, which return the
//     records to log or a refusal).
//  3. commit appends the records to the store. Only once the store says they are durable
//     does session.State.Apply fold them in, and publish sends the events and the views
//     they change to the clients that may see them; then the sender gets its ack.
//  4. If the append fails, the outcome is unknown (a commit that timed out may have been
//     written). recover stops taking commands, waits (back-off), reloads the state from the
//     log, publishes whatever the log holds that the clients have not seen, and the waiting
//     senders are answered from the log: an ack if their records are there, an unavailable
//     error if not. Nothing is acknowledged that is not durable, and a resend is safe: the
//     store refuses a second record with the same key.
type hub struct {
	m   *Manager
	id  string
	st  *session.State
	seq atomic.Int64 // st.Seq(), readable by connection goroutines

	cmds    chan hubCmd
	clients map[*client]struct{}
	conns   map[string]int // participant id → open connections
	timer   Timer          // the earliest question deadline
	idle    Timer          // armed while nobody is connected and no deadline is pending
	stop    chan struct{}  // closed by Shutdown
	done    chan struct{}  // closed when run returns
	// unloaded is set (under m.mu) when the hub left the manager because it was idle; a call
	// that finds the hub done then loads the session again.
	unloaded bool

	// In a cluster (cluster.go): whether this node owns the session, the epoch of its lease
	// (0 while it follows), wake-ups from the database and the heartbeat, whether an append
	// was refused for a stale lease, and results of forwarded commands waiting for their event.
	owner   atomic.Bool
	epoch   atomic.Int64
	wake    chan struct{}
	lost    chan struct{}
	tryOwn  chan struct{} // the heartbeat asks a follower to take the lease if it is free
	fenced  bool
	results []*pendingResult
	// The room across nodes: the heartbeat brings the connections of the session's
	// participants on the other nodes (remote), and takes this node's (present) to publish.
	presence chan map[string]int
	remote   map[string]int
	present  atomic.Pointer[[]string]

	// answering: during an answers step, the connection of each participant whose answer the
	// ack will carry (answers); publish sends that connection neither the answer's event nor
	// the participant's view.
	answering map[string]*client

	// dirty are the clients sent something in this step, which flushSends queues.
	dirty []*client

	// afterAnswers is a command that answers taken for a next group (hub.answers) found
	// queued behind them; it runs once they are done.
	afterAnswers *hubCmd

	// holding: publish keeps the entries it is given in held until flushPublish.
	holding bool
	held    []session.Entry

	// failures counts the appends and reloads that failed since the last append that worked;
	// it sets the back-off.
	failures int

	// Indexes of clients, so that a private event (an answer, a join) costs the hub a few
	// sends instead of a pass over every client of a 5,000-participant room. Clients are
	// known by their participant's id, never by a pointer into a state that a reload replaces.
	byPart map[string][]*client // participant id → its connections
	facs   map[*client]struct{} // facilitators

	// The aggregates are rebuilt from the whole room; aggTimer holds back a rebuild until
	// aggInterval after the last one, so a burst of answers costs one. This is about CPU, not
	// about the session's time, so it uses the system clock.
	aggTimer *time.Timer
	aggLast  time.Time
	aggCost  time.Duration // what building and encoding the last aggregates took
	aggSize  int           // and how long their frame was
	aggBusy  bool          // aggregates are being encoded
	aggAgain bool          // and the room changed meanwhile
}

// hubCmd is one unit of work for the hub goroutine: a function (call), a join (enterJoin) or
// a client message (submit). The hub recognises joins and answers and groups them: those
// queued together are committed in one append.
type hubCmd struct {
	f func()
	j *joinReq
	c *client
	m *server.ClientMsg
}

// joinReq is a join waiting for the hub; its outcome goes to errc.
type joinReq struct {
	c    *client
	m    server.ClientMsg
	errc chan error
}

// aggInterval is the shortest time between two aggregates messages in a small room.
const aggInterval = 100 * time.Millisecond

// maxAnswerBatch and maxJoinBatch bound how many answers or joins one append carries.
const (
	maxAnswerBatch = 512
	maxJoinBatch   = 256
)

// Back-off after a failed append or reload: doubling from backoffMin up to backoffMax.
const (
	backoffMin = 100 * time.Millisecond
	backoffMax = 10 * time.Second
)

func backoff(failures int) time.Duration {
	d := backoffMin
	for i := 1; i < failures && d < backoffMax; i++ {
		d *= 2
	}
	return min(d, backoffMax)
}

func (h *hub) run() {
	defer close(h.done)
	h.schedule()
	for {
		h.armIdle()
		var tc, ic <-chan time.Time
		var ac <-chan time.Time
		if h.timer != nil {
			tc = h.timer.C()
		}
		if h.idle != nil {
			ic = h.idle.C()
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
		case <-h.wake:
			h.sync()
		case <-h.lost:
			h.fenced = true
		case <-h.tryOwn:
			h.promote()
		case r := <-h.presence:
			h.setRemote(r)
		case <-ic:
			h.idle = nil
			if h.m.unload(h) {
				h.halt(0, "")
				h.release()
				return
			}
		case <-ac:
			h.aggTimer = nil
			h.flushAggregates()
		case <-h.stop:
			h.halt(websocket.CloseGoingAway, "server shutting down")
			h.release()
			return
		}
		h.flushSends()
		if h.fenced {
			h.stepDown()
			return
		}
	}
}

// stepDown stops a hub whose lease another node has taken: its clients are closed with 1012
// and reconnect, to this node or another, and find the session where its owner is.
func (h *hub) stepDown() {
	h.m.log.Warn("another node took over the session; stopping it here", "session", h.id)
	if h.m.cl != nil {
		h.m.cl.stepDowns.Add(1)
	}
	h.m.mu.Lock()
	if h.m.hubs[h.id] == h {
		delete(h.m.hubs, h.id)
	}
	h.unloaded = true // a caller waiting for this hub loads the session again
	h.m.mu.Unlock()
	h.halt(websocket.CloseServiceRestart, "the session moved to another server; reconnect")
}

// release gives up the lease of a session this node owns, so that another node can take it at
// once instead of after its expiry.
func (h *hub) release() {
	if h.m.cl == nil || !h.owner.Load() {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	h.m.cl.db.Release(ctx, server.Lease{Session: h.id, Node: h.m.cl.node, Epoch: h.epoch.Load()})
}

// halt stops the timers and closes every client with code (none left when unloading).
func (h *hub) halt(code int, text string) {
	h.flushSends()
	for _, t := range []Timer{h.timer, h.idle} {
		if t != nil {
			t.Stop()
		}
	}
	if h.aggTimer != nil {
		h.aggTimer.Stop()
	}
	for c := range h.clients {
		c.shut(code, text)
	}
}

// armIdle keeps the idle timer armed exactly while the hub could be unloaded: nobody is
// connected and no question deadline is pending (its timer must fire in memory).
func (h *hub) armIdle() {
	idle := len(h.clients) == 0 && h.timer == nil
	switch {
	case idle && h.idle == nil:
		h.idle = h.m.clock.NewTimer(h.m.opts.IdleTimeout)
	case !idle && h.idle != nil:
		h.idle.Stop()
		h.idle = nil
	}
}

// sleep waits d on the hub's clock; false if the hub is stopped meanwhile.
func (h *hub) sleep(d time.Duration) bool {
	t := h.m.clock.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C():
		return true
	case <-h.stop:
		return false
	}
}

// call runs f on the hub goroutine and returns its error: errUnloaded if the hub was unloaded
// before it could run f.
func (h *hub) call(ctx context.Context, f func() error) error {
	errc := make(chan error, 1)
	return h.await(ctx, hubCmd{f: func() {
		err := f()
		h.flushSends() // the caller may read what f sent as soon as it returns
		errc <- err
	}}, errc)
}

// joinCall joins c on the hub, together with the other joins queued with it.
func (h *hub) joinCall(ctx context.Context, c *client, m server.ClientMsg) error {
	errc := make(chan error, 1)
	return h.await(ctx, hubCmd{j: &joinReq{c: c, m: m, errc: errc}}, errc)
}

// await queues cmd and waits for the error it sends on errc.
func (h *hub) await(ctx context.Context, cmd hubCmd, errc chan error) error {
	select {
	case h.cmds <- cmd:
	case <-h.done:
		return h.gone()
	case <-h.stop:
		return errStopped
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-errc:
		return err
	case <-h.done:
		// The hub may have run the command just before it returned.
		select {
		case err := <-errc:
			return err
		default:
			return h.gone()
		}
	}
}

func (h *hub) gone() error {
	h.m.mu.Lock()
	defer h.m.mu.Unlock()
	if h.unloaded {
		return errUnloaded
	}
	return errStopped
}

// submit queues a client message; it blocks while the hub is busy (or recovering from a
// failed append), which slows down only the connection that sent it.
func (h *hub) submit(c *client, m server.ClientMsg) bool {
	select {
	case h.cmds <- hubCmd{c: c, m: &m}:
		return true
	case <-h.stop:
		return false
	case <-h.done:
		return false
	}
}

func (h *hub) now() time.Time { return h.m.clock.Now() }

// commit appends records and, once they are durable, applies and publishes them. If the append
// fails, it recovers and the log decides: if every record's key is in the reloaded log, the
// records were committed after all and commit returns them with their seqs; otherwise it
// returns errNotSaved and the caller's command was not made.
func (h *hub) commit(recs ...server.Record) ([]server.Record, error) {
	if len(recs) == 0 {
		return nil, nil
	}
	return h.settle(h.startAppend(recs, false))
}

// appending is an append of records to the session's log, made by startAppend and finished
// by settle. At most one is under way at a time, so the log takes records in the order the
// hub decided them.
type appending struct {
	recs  []server.Record
	done  chan struct{}
	out   []server.Record
	err   error
	moved bool // not made: this node does not own the session
}

// startAppend starts appending records: on another goroutine if async, so that the hub can
// publish what it committed before while the store syncs these.
func (h *hub) startAppend(recs []server.Record, async bool) *appending {
	a := &appending{recs: recs, done: make(chan struct{})}
	if h.fenced || h.m.cl != nil && !h.owner.Load() {
		a.moved = true
		close(a.done)
		return a
	}
	ctx, cancel := context.WithTimeout(h.m.ctx, h.m.opts.AppendTimeout)
	if h.m.cl != nil {
		ctx = server.WithFence(ctx, server.Fence{Node: h.m.cl.node, Epoch: h.epoch.Load()})
	}
	h.m.stats.appends.Add(1)
	run := func() {
		defer close(a.done)
		defer cancel()
		a.out, a.err = h.m.store.Append(ctx, h.id, recs)
	}
	if async {
		go run()
	} else {
		run()
	}
	return a
}

// settle waits for an append and, once its records are durable, applies and publishes them.
// If it failed, it recovers and the log decides, as commit says.
func (h *hub) settle(a *appending) ([]server.Record, error) {
	<-a.done
	if a.moved {
		return nil, errMoved
	}
	recs, out, err := a.recs, a.out, a.err
	if errors.Is(err, server.ErrFenced) {
		// Another node owns the session: nothing was written, and nothing more may be.
		h.fenced = true
		return nil, errMoved
	}
	if err == nil {
		h.failures = 0
		n := len(h.st.Log())
		for _, r := range out {
			h.st.Apply(r)
		}
		h.seq.Store(h.st.Seq())
		h.publish(h.st.Log()[n:])
		return out, nil
	}
	h.m.stats.appendErrors.Add(1)
	h.m.log.Error("append failed; reloading the session from its log", "session", h.id, "err", err)
	if !h.recover() {
		return nil, errStopped
	}
	found := make([]server.Record, 0, len(recs))
	for _, r := range recs {
		seq, ok := h.st.Logged(r.Key)
		if r.Key == "" || !ok {
			return nil, errNotSaved
		}
		r.Seq = seq
		found = append(found, r)
	}
	h.failures = 0 // the records are durable: the store works
	return found, nil
}

// recover replaces the state with the log's after a failed append. It takes no commands
// meanwhile, and waits before each attempt, twice as long after every failure in a row, so a
// store that keeps failing sees one attempt per back-off period, never a hot loop. What the
// log holds beyond what the clients saw (records whose append reported an error but were
// committed) is published. False if the hub was stopped first.
func (h *hub) recover() bool {
	h.flushSends() // the step's refusals and acks do not wait out the back-off
	for {
		h.failures++
		if !h.sleep(backoff(h.failures)) {
			return false
		}
		ctx, cancel := context.WithTimeout(h.m.ctx, h.m.opts.AppendTimeout)
		st, err := h.m.fold(ctx, h.id)
		cancel()
		if err != nil {
			h.m.log.Error("reloading the session failed", "session", h.id, "err", err)
			continue
		}
		old := h.st
		h.st = st
		h.seq.Store(st.Seq())
		if len(st.Log()) > len(old.Log()) {
			h.publish(st.Log()[len(old.Log()):])
		}
		return true
	}
}

// sees reports whether a client may see a logged record.
func (c *client) sees(e session.Entry) bool {
	if c.facilitator {
		return true
	}
	return (e.World == "" || e.World == c.world) && (e.Participant == "" || e.Participant == c.pid)
}

func changesWorld(kind string, solo bool) bool {
	switch kind {
	case session.EvAnswer, session.EvRubric:
		return solo
	case session.EvJoined, session.EvRemoved, session.EvCreated:
		return false
	}
	return true
}

// publish sends new log entries and the views they change. While the hub holds its
// publishing (a command that commits twice, such as moving on and opening the questions), the
// entries wait and go out together.
func (h *hub) publish(entries []session.Entry) {
	if h.holding {
		h.held = append(h.held, entries...)
		return
	}
	st := h.st
	now := h.now()
	allWorlds, private := false, false
	worlds := map[string]bool{}
	mes := map[string]bool{}
	// The participants whose view changed only by answers their own ack will carry.
	byAck := map[string]bool{}
	removed := map[string]bool{}
	// Each entry is encoded once, when the first client that may see it is found: an answer
	// whose sender's ack carries it, with no facilitator watching, is never encoded.
	frames := make([]*frame, len(entries))
	encoded := func(i int) *frame {
		if frames[i] == nil {
			msg := entries[i].Msg
			msg.Sent = &now // live only: replayed events go without, so a client can tell
			frames[i] = prepare(msg)
		}
		return frames[i]
	}
	for _, e := range entries {
		private = private || e.Participant != ""
		kind := e.Msg.Kind
		if kind == "inject" {
			kind = session.EvAdvance
		}
		if changesWorld(kind, st.Solo()) {
			if e.World == "" {
				allWorlds = true
			} else {
				worlds[e.World] = true
			}
		}
		switch kind {
		case session.EvAnswer:
			if h.answering[e.Participant] != nil && !mes[e.Participant] {
				byAck[e.Participant] = true
			}
			mes[e.Participant] = true
		case session.EvRubric:
			mes[e.Participant] = true
			delete(byAck, e.Participant) // a score changed: the whole view
		case session.EvAdvance:
			// Only in self-paced worlds can moving on decide, and so reveal, a question; such a
			// world is its one participant's, and has their id.
			if st.Solo() {
				mes[e.World] = true
				delete(byAck, e.World)
			}
		case session.EvReveal:
			for _, p := range st.Participants() {
				if p.World() == e.World {
					mes[p.ID()] = true
					delete(byAck, p.ID())
				}
			}
		case session.EvRemoved:
			removed[e.Msg.Participant] = true
		}
	}
	// A world's new view, built and encoded once for all its participants.
	views := map[string]*frame{}
	view := func(c *client) *frame {
		if c.pid == "" || c.world == "" || !(allWorlds || worlds[c.world]) || !st.HasWorld(c.world) {
			return nil
		}
		pm := views[c.world]
		if pm == nil {
			v, _ := st.WorldView(c.world, now)
			pm = prepare(server.WorldMsg{Type: server.MsgWorld, Seq: st.Seq(), World: v})
			views[c.world] = pm
		}
		return pm
	}
	if private {
		// Entries for one participant (an answer, a rubric score) go to that participant and
		// the facilitators only: a burst of answers costs a few sends each, not a pass over
		// the room.
		for i, e := range entries {
			if e.Participant != "" {
				for _, c := range h.byPart[e.Participant] {
					if e.Msg.Kind == session.EvAnswer && c == h.answering[e.Participant] {
						continue // its ack carries the answer
					}
					h.send(c, encoded(i))
				}
				for c := range h.facs {
					h.send(c, encoded(i))
				}
				continue
			}
			for c := range h.clients {
				if c.sees(e) {
					h.send(c, encoded(i))
				}
			}
		}
		if allWorlds || len(worlds) > 0 {
			for c := range h.clients {
				if pm := view(c); pm != nil {
					h.send(c, pm)
				}
			}
		}
	} else {
		// Entries for a whole world or the whole room (an inject, its questions opening): each
		// client gets, in one frame, the entries it may see and its world's new view, and the
		// clients of one world share that frame.
		bundles := map[string]*frame{}
		for c := range h.clients {
			key := c.world
			if c.facilitator {
				key = "\x00" // facilitators see every entry
			}
			b, ok := bundles[key]
			if !ok {
				var parts []*frame
				for i, e := range entries {
					if c.sees(e) {
						parts = append(parts, encoded(i))
					}
				}
				if pm := view(c); pm != nil {
					parts = append(parts, pm)
				}
				b = joinFrames(parts)
				bundles[key] = b
			}
			if b != nil {
				h.send(c, b)
			}
		}
	}
	for pid := range mes {
		p, cs := st.Participant(pid), h.byPart[pid]
		if p == nil || len(cs) == 0 {
			continue
		}
		var pm *frame
		for _, c := range cs {
			if byAck[pid] && c == h.answering[pid] {
				continue
			}
			if pm == nil {
				pm = prepare(server.MeMsg{Type: server.MsgMe, Seq: st.Seq(), Me: st.MeView(p)})
			}
			h.send(c, pm)
		}
	}
	h.sendAggregates()
	for pid := range removed {
		for _, c := range h.byPart[pid] {
			h.detach(c, server.CloseRemoved, "removed by the facilitator")
		}
	}
}

// holdPublish makes publish keep what it is given until flushPublish sends it, in one go.
func (h *hub) holdPublish() { h.holding = true }

func (h *hub) flushPublish() {
	h.holding = false
	held := h.held
	h.held = nil
	if len(held) > 0 {
		h.publish(held)
	}
}

// sendAggregates sends the facilitators the aggregates now, or, within aggGap of the last
// time, once that gap is over.
func (h *hub) sendAggregates() {
	if len(h.facs) == 0 {
		return
	}
	if h.aggBusy {
		h.aggAgain = true
		return
	}
	if wait := h.aggGap() - time.Since(h.aggLast); wait > 0 {
		if h.aggTimer == nil {
			h.aggTimer = time.NewTimer(wait)
		}
		return
	}
	h.flushAggregates()
}

// aggGap is the shortest time between two aggregates: aggInterval, or twenty times what
// building and encoding the last one took, so that in a large room the overview never takes
// more than a twentieth of the session's time from the answers.
func (h *hub) aggGap() time.Duration { return max(aggInterval, 20*h.aggCost) }

// flushAggregates builds the overview on the hub and leaves encoding it, which in a large room
// costs as much again, to another goroutine: the overview is a new value that shares nothing
// with the state. The frame comes back to the hub to be sent; until then no other is built.
func (h *hub) flushAggregates() {
	if h.aggTimer != nil {
		h.aggTimer.Stop()
		h.aggTimer = nil
	}
	if len(h.facs) == 0 {
		return
	}
	start := time.Now()
	h.aggLast = start
	msg := server.AggregatesMsg{Type: server.MsgAggregates, Seq: h.st.Seq(), Aggregates: h.st.Aggregates(h.connected())}
	built := time.Since(start)
	h.aggBusy = true
	hint := h.aggSize
	go func() {
		t := time.Now()
		pm := prepareLarge(msg, hint)
		encoded := time.Since(t)
		deliver := func() {
			h.aggBusy = false
			h.aggCost, h.aggSize = built+encoded, len(pm.data)
			for c := range h.facs {
				h.send(c, pm)
			}
			if h.aggAgain {
				h.aggAgain = false
				h.sendAggregates()
			}
		}
		select {
		case h.cmds <- hubCmd{f: deliver}:
		case <-h.done:
		case <-h.stop:
		}
	}()
}

// send queues a message for a client. What one client is sent in one step of the hub goes
// out together, as one queued frame (flushSends): an answer's event, the participant's new
// view and the ack cost the connection's writer one wake-up and one write. A proxy's messages
// are queued at once: the owner collects them within the step.
func (h *hub) send(c *client, pm *frame) {
	if c.proxy {
		h.enqueue(c, pm)
		return
	}
	if len(c.pending) == 0 {
		h.dirty = append(h.dirty, c)
	}
	c.pending = append(c.pending, pm)
}

// flushSends queues what the step sent each client.
func (h *hub) flushSends() {
	for _, c := range h.dirty {
		if len(c.pending) > 0 {
			f := joinFrames(c.pending)
			c.pending = nil
			h.enqueue(c, f)
		}
	}
	clear(h.dirty)
	h.dirty = h.dirty[:0]
}

// enqueue queues a frame for a client; a client whose queue is full is dropped, never waited
// for.
func (h *hub) enqueue(c *client, pm *frame) {
	if !c.enqueue(pm) {
		if code, _ := c.closeInfo(); code == server.CloseSlowConsumer {
			h.m.stats.dropped.Add(1)
		}
		h.m.log.Info("dropping slow client", "session", h.id)
		h.detach(c, server.CloseSlowConsumer, "slow consumer")
	}
}

// attach adds a client as participant pid ("" for a facilitator).
func (h *hub) attach(c *client, pid string) {
	c.pid = pid
	h.clients[c] = struct{}{}
	if p := h.st.Participant(pid); p != nil {
		c.world = p.World()
		h.conns[pid]++
		h.byPart[pid] = append(h.byPart[pid], c)
	}
	if c.facilitator {
		h.facs[c] = struct{}{}
	}
	h.sendAggregates()
}

func (h *hub) detach(c *client, code int, text string) {
	if len(c.pending) > 0 { // what it was sent before it goes, such as the ack of an end
		c.enqueue(joinFrames(c.pending))
		c.pending = nil
	}
	c.shut(code, text)
	if _, ok := h.clients[c]; !ok {
		return
	}
	delete(h.clients, c)
	delete(h.facs, c)
	if c.pid != "" {
		h.conns[c.pid]--
		if h.conns[c.pid] <= 0 {
			delete(h.conns, c.pid)
		}
		// A new slice, not an edit in place: publish may be ranging over the old one.
		var rest []*client
		for _, o := range h.byPart[c.pid] {
			if o != c {
				rest = append(rest, o)
			}
		}
		if len(rest) == 0 {
			delete(h.byPart, c.pid)
		} else {
			h.byPart[c.pid] = rest
		}
		h.sendAggregates()
	}
}

func (h *hub) sendErr(c *client, ref string, err error) {
	h.send(c, h.errFrame(ref, err))
}

func (h *hub) errFrame(ref string, err error) *frame {
	e := server.ErrorOf(err)
	if e.Code == server.EInternal {
		h.m.log.Error("internal error", "session", h.id, "err", err)
	}
	return prepare(server.ErrorMsg{Type: server.MsgError, Seq: h.st.Seq(), Ref: ref, Code: e.Code, Message: e.Message})
}

func (h *hub) ack(c *client, ref string, seq int64) {
	h.send(c, prepare(server.Ack{Type: server.MsgAck, Seq: seq, Ref: ref}))
}

// welcome sends the welcome, the snapshot and the missed log entries.
func (h *hub) welcome(c *client, token string, lastSeq int64) {
	st := h.st
	w := server.Welcome{Type: server.MsgWelcome, Seq: st.Seq(), V: server.ProtocolVersion, Session: h.id,
		Token: token, Facilitator: c.facilitator}
	if p := st.Participant(c.pid); p != nil {
		w.Participant, w.Name, w.Role, w.Team, w.World = p.ID(), p.Name(), p.Role(), p.Team(), p.World()
	}
	h.send(c, prepare(w))
	h.send(c, prepare(h.snapshot(c)))
	if lastSeq > 0 {
		for _, e := range st.Log() {
			if e.Msg.Seq > lastSeq && c.sees(e) {
				h.send(c, prepare(e.Msg))
			}
		}
	}
}

func (h *hub) snapshot(c *client) server.Snapshot {
	st := h.st
	now := h.now()
	s := server.Snapshot{Type: server.MsgSnapshot, Seq: st.Seq(), Session: st.SessionView()}
	if c.facilitator {
		s.Worlds = []server.WorldView{}
		for _, id := range st.WorldIDs() {
			v, _ := st.WorldView(id, now)
			s.Worlds = append(s.Worlds, v)
		}
		ag := st.Aggregates(h.connected())
		s.Aggregates = &ag
		return s
	}
	p := st.Participant(c.pid)
	if v, ok := st.WorldView(p.World(), now); ok {
		s.World = &v
	}
	me := st.MeView(p)
	s.Me = &me
	return s
}

// ---- timers ----

// schedule arms the timer for the earliest deadline of an open question.
func (h *hub) schedule() {
	if h.timer != nil {
		h.timer.Stop()
		h.timer = nil
	}
	if h.m.cl != nil && !h.owner.Load() {
		return // a follower runs no timers: the owner does
	}
	first := h.st.NextDeadline()
	if first.IsZero() {
		return
	}
	h.timer = h.m.clock.NewTimer(max(first.Sub(h.now()), 0))
}

// expire closes the questions whose deadline has passed. If the store fails, commit has
// already waited out its back-off, so a deadline that stays due is retried at that pace.
func (h *hub) expire() {
	if _, err := h.commit(h.st.Expired(h.now())...); err != nil {
		h.m.log.Error("closing expired questions", "session", h.id, "err", err)
	}
}

// connected counts each participant's connections in the whole room: on this node and, in a
// cluster, on the others as they last published them.
func (h *hub) connected() map[string]int {
	if len(h.remote) == 0 {
		return h.conns
	}
	all := make(map[string]int, len(h.conns)+len(h.remote))
	for p, n := range h.conns {
		all[p] = n
	}
	for p, n := range h.remote {
		all[p] += n
	}
	return all
}

// setRemote takes the other nodes' connections from the heartbeat, sends the facilitators new
// aggregates if they changed, and leaves this node's connections for the heartbeat to publish.
func (h *hub) setRemote(r map[string]int) {
	ids := make([]string, 0, len(h.conns))
	for p, n := range h.conns {
		for range n {
			ids = append(ids, p)
		}
	}
	h.present.Store(&ids)
	if maps.Equal(r, h.remote) {
		return
	}
	h.remote = r
	h.sendAggregates()
}
