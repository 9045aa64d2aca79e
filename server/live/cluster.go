package live

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/paraat-nl/paraat/server"
)

// Several nodes on one PostgreSQL database (docs/POSTGRES.md). Every node that has clients of a
// session runs a hub for it; exactly one of them, the holder of the session's lease, is its
// owner: it decides, appends (fenced by its lease's epoch), runs the timers. The other hubs
// are followers: they read the log as it grows (woken by NOTIFY, or by polling every
// pollEvery), publish what is new to their clients, and carry their clients' commands to the
// owner through the commands table, acknowledging them once the owner's result is in and the
// event it names has reached this node.

// pollEvery is the polling fallback: a missed notification delays an event or a command by at
// most this much, never loses it.
const pollEvery = 100 * time.Millisecond

// forwardWait bounds how long a client's command waits for the owner's result (over a
// failover too) before the client is told to send it again.
const forwardWait = 30 * time.Second

// remoteCmd is a client command carried to the owner.
type remoteCmd struct {
	Msg  server.ClientMsg `json:"msg"`
	PID  string           `json:"pid,omitempty"`
	Fac  bool             `json:"fac,omitempty"`
	Join *remoteJoin      `json:"join,omitempty"`
}

// remoteJoin is what the sender's node decided for a join: the new participant's id and the
// hash of its resume secret (the secret itself stays on that node, with its client).
type remoteJoin struct {
	PID  string `json:"pid"`
	Hash string `json:"hash"`
}

// remoteResult is the owner's answer: the frames for the sender (an ack, an error) and the
// sequence number the sender's node must have reached before it sends them.
type remoteResult struct {
	Frames [][]byte      `json:"frames,omitempty"`
	Seq    int64         `json:"seq"`
	Err    *server.Error `json:"err,omitempty"`
}

// cluster is the node's part in the cluster: nil on a single node.
type cluster struct {
	db   server.Cluster
	node string
	addr string
	ttl  time.Duration

	mu      sync.Mutex
	waiters map[int64]chan []byte // forwarded commands waiting for their result
	pollNow chan struct{}
	submits chan *submission // commands of clients here, for the submitter to insert

	notify    atomic.Bool  // LISTEN works
	forwarded atomic.Int64 // commands carried to another node's owner
	carried   atomic.Int64 // commands of other nodes' clients run here
	takeovers atomic.Int64 // sessions taken over from an expired lease
	stepDowns atomic.Int64 // sessions given up because the lease was lost
}

// ClusterOptions make a Manager one node of several on a shared database.
type ClusterOptions struct {
	DB   server.Cluster
	Node string        // this node's id, unique among the nodes
	Addr string        // where it serves, shown to operators
	TTL  time.Duration // lease time (3 s); renewed every TTL/3
}

func (m *Manager) startCluster() {
	go m.listen()
	go m.poll()
	go m.heartbeat()
	go m.submitter()
}

// submission is a command waiting to be inserted into the command table.
type submission struct {
	server.Submission
	done chan submitted
}

type submitted struct {
	id  int64
	err error
}

// maxSubmitBatch bounds how many commands one insert carries.
const maxSubmitBatch = 512

// submitter inserts the commands of this node's clients into the command table: all those
// that queued while the previous insert committed go into the next, one statement and one
// commit, as the owner's group commit does for answers. A command is acknowledged only after
// the owner's event for it is durable, as before; batching changes only how its submission is
// written.
func (m *Manager) submitter() {
	c := m.cl
	for {
		var batch []*submission
		select {
		case s := <-c.submits:
			batch = append(batch, s)
		case <-m.ctx.Done():
			return
		}
	more:
		for len(batch) < maxSubmitBatch {
			select {
			case s := <-c.submits:
				batch = append(batch, s)
			default:
				break more
			}
		}
		cmds := make([]server.Submission, len(batch))
		for i, s := range batch {
			cmds[i] = s.Submission
		}
		ctx, cancel := context.WithTimeout(m.ctx, m.opts.AppendTimeout)
		ids, err := c.db.Submit(ctx, c.node, cmds)
		cancel()
		for i, s := range batch {
			if err != nil {
				s.done <- submitted{err: err}
			} else {
				s.done <- submitted{id: ids[i]}
			}
		}
	}
}

// listen delivers wake-ups; if LISTEN does not work it says so and tries again later, while
// the polling carries on.
func (m *Manager) listen() {
	c := m.cl
	for m.ctx.Err() == nil {
		err := c.db.Listen(m.ctx, m.wake)
		c.notify.Store(false)
		if m.ctx.Err() != nil {
			return
		}
		wait := time.Second
		if errors.Is(err, server.ErrNoNotify) {
			m.log.Error("cross-node wake-ups do not work; nodes fall back to polling every 100 ms", "err", err)
			wait = 30 * time.Second
		} else {
			m.log.Error("listening for cross-node wake-ups", "err", err)
		}
		select {
		case <-time.After(wait):
		case <-m.ctx.Done():
		}
	}
}

// wake handles one notification payload.
func (m *Manager) wake(payload string) {
	m.cl.notify.Store(true)
	kind, name, n := server.ParseWake(payload)
	switch kind {
	case 'e':
		if h := m.loaded(name); h != nil && !h.owner.Load() && n > h.seq.Load() {
			h.poke()
		}
	case 'c':
		if h := m.loaded(name); h != nil && h.owner.Load() {
			h.poke()
		}
	case 'r':
		if name == m.cl.node {
			select {
			case m.cl.pollNow <- struct{}{}:
			default:
			}
		}
	}
}

func (m *Manager) loaded(id string) *hub {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.hubs[id]
}

func (m *Manager) hubList() (owners, followers []*hub) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, h := range m.hubs {
		if h.owner.Load() {
			owners = append(owners, h)
		} else {
			followers = append(followers, h)
		}
	}
	return owners, followers
}

// poll is the fallback for missed notifications, and fetches the results of forwarded
// commands: three small queries per pollEvery, whatever the number of sessions.
func (m *Manager) poll() {
	c := m.cl
	t := time.NewTicker(pollEvery)
	defer t.Stop()
	for {
		select {
		case <-m.ctx.Done():
			return
		case <-t.C:
		case <-c.pollNow:
		}
		ctx, cancel := context.WithTimeout(m.ctx, 5*time.Second)
		owners, followers := m.hubList()
		if len(followers) > 0 {
			ids := make([]string, len(followers))
			for i, h := range followers {
				ids[i] = h.id
			}
			if heads, err := c.db.Heads(ctx, ids); err == nil {
				for _, h := range followers {
					if heads[h.id] > h.seq.Load() {
						h.poke()
					}
				}
			}
		}
		if len(owners) > 0 {
			ids := make([]string, len(owners))
			byID := map[string]*hub{}
			for i, h := range owners {
				ids[i] = h.id
				byID[h.id] = h
			}
			if waiting, err := c.db.Waiting(ctx, ids); err == nil {
				for _, id := range waiting {
					byID[id].poke()
				}
			}
		}
		c.mu.Lock()
		ids := make([]int64, 0, len(c.waiters))
		for id := range c.waiters {
			ids = append(ids, id)
		}
		c.mu.Unlock()
		if len(ids) > 0 {
			if res, err := c.db.Results(ctx, ids); err == nil {
				c.mu.Lock()
				for id, r := range res {
					if w := c.waiters[id]; w != nil {
						w <- r
						delete(c.waiters, id)
					}
				}
				c.mu.Unlock()
			}
		}
		cancel()
	}
}

// heartbeat renews the node's leases every TTL/3; a hub whose lease is gone steps down. It
// also takes over the sessions whose owner has gone (an expired lease): a follower here
// becomes the owner, and an unended session nobody here follows is loaded, so its timers run.
func (m *Manager) heartbeat() {
	c := m.cl
	t := time.NewTicker(c.ttl / 3)
	defer t.Stop()
	for {
		ctx, cancel := context.WithTimeout(m.ctx, c.ttl)
		if leases, err := c.db.Heartbeat(ctx, c.node, c.addr, c.ttl); err != nil {
			if m.ctx.Err() == nil {
				m.log.Error("renewing leases", "err", err)
			}
		} else {
			held := map[string]int64{}
			for _, l := range leases {
				held[l.Session] = l.Epoch
			}
			owners, followers := m.hubList()
			for _, h := range owners {
				if ep := h.epoch.Load(); ep != 0 && held[h.id] != ep {
					h.lose()
				}
			}
			for _, h := range followers {
				select { // never wait for a busy hub: the renewals must go on
				case h.tryOwn <- struct{}{}:
				default:
				}
			}
			m.sharePresence(ctx, append(owners, followers...))
			if expired, err := c.db.Expired(ctx); err == nil {
				for _, id := range expired {
					if m.loaded(id) == nil {
						if _, err := m.hub(ctx, id); err != nil {
							m.log.Error("taking over session", "session", id, "err", err)
						}
					}
				}
			}
		}
		cancel()
		select {
		case <-m.ctx.Done():
			return
		case <-t.C:
		}
	}
}

// acquire tries to make this node the session's owner; ok false if another node is.
func (m *Manager) acquire(ctx context.Context, id string) (server.Lease, bool, error) {
	l, err := m.cl.db.Acquire(ctx, id, m.cl.node, m.cl.ttl)
	if errors.Is(err, server.ErrLeased) {
		return l, false, nil
	}
	if err != nil {
		return server.Lease{}, false, err
	}
	return l, true, nil
}

// poke wakes the hub to read the log (follower) or take commands (owner).
func (h *hub) poke() {
	select {
	case h.wake <- struct{}{}:
	default:
	}
}

// lose tells the hub that its lease is gone.
func (h *hub) lose() {
	select {
	case h.lost <- struct{}{}:
	default:
	}
}

// sync is what a wake-up makes the hub do.
func (h *hub) sync() {
	if h.owner.Load() {
		h.takeCommands()
	} else {
		h.catchUp()
	}
}

// catchUp reads the log beyond what the hub has, folds it in and publishes it, then delivers
// the results of forwarded commands that the log now covers.
func (h *hub) catchUp() {
	for {
		ctx, cancel := context.WithTimeout(h.m.ctx, h.m.opts.AppendTimeout)
		recs, err := h.m.store.Events(ctx, h.id, h.st.Seq(), 1000)
		cancel()
		if err != nil {
			h.m.log.Error("reading the session's log", "session", h.id, "err", err)
			return
		}
		if len(recs) == 0 {
			break
		}
		n := len(h.st.Log())
		wasEnded := h.st.Ended()
		for _, r := range recs {
			h.st.Apply(r)
		}
		h.seq.Store(h.st.Seq())
		h.publish(h.st.Log()[n:])
		if h.st.Ended() && !wasEnded {
			for c := range h.clients {
				h.detach(c, server.CloseEnded, "session ended")
			}
		}
		if len(recs) < 1000 {
			break
		}
	}
	h.deliver()
}

// deliver sends the frames of results whose event this node has reached.
func (h *hub) deliver() {
	rest := h.results[:0]
	for _, r := range h.results {
		if r.seq > h.st.Seq() {
			rest = append(rest, r)
			continue
		}
		if _, ok := h.clients[r.c]; ok {
			for _, f := range r.frames {
				h.send(r.c, &frame{data: f, msgs: 1})
			}
		}
	}
	h.results = rest
}

// pendingResult is a forwarded command's result waiting for its event to arrive here.
type pendingResult struct {
	c      *client
	seq    int64
	frames [][]byte
}

// promote makes a follower the owner if the session's lease is free.
func (h *hub) promote() {
	if h.owner.Load() {
		return
	}
	ctx, cancel := context.WithTimeout(h.m.ctx, h.m.opts.AppendTimeout)
	defer cancel()
	l, ok, err := h.m.acquire(ctx, h.id)
	if err != nil || !ok {
		return
	}
	// Everything the old owner could write is in the log now (its appends are fenced).
	h.catchUp()
	h.epoch.Store(l.Epoch)
	h.owner.Store(true)
	h.m.cl.takeovers.Add(1)
	h.m.log.Info("took over session", "session", h.id, "epoch", l.Epoch)
	h.schedule()
	h.deliverAll()
	h.takeCommands()
}

// deliverAll delivers every waiting result: an owner's log is complete.
func (h *hub) deliverAll() {
	for _, r := range h.results {
		if _, ok := h.clients[r.c]; ok {
			for _, f := range r.frames {
				h.send(r.c, &frame{data: f, msgs: 1})
			}
		}
	}
	h.results = nil
}

// takeCommands runs the commands other nodes carried here and stores their results.
func (h *hub) takeCommands() {
	cl := h.m.cl
	for !h.fenced {
		ctx, cancel := context.WithTimeout(h.m.ctx, h.m.opts.AppendTimeout)
		cmds, err := cl.db.Take(ctx, h.id, maxAnswerBatch)
		cancel()
		if err != nil {
			h.m.log.Error("taking commands", "session", h.id, "err", err)
			return
		}
		if len(cmds) == 0 {
			return
		}
		h.runRemote(cmds)
		if len(cmds) < maxAnswerBatch {
			return
		}
	}
}

// runRemote runs carried commands: answers together in one append, as local ones.
func (h *hub) runRemote(cmds []server.Command) {
	type job struct {
		cmd   server.Command
		proxy *client
		res   remoteResult
	}
	jobs := make([]*job, 0, len(cmds))
	var answers []hubCmd
	joins, joined := h.st.Joins(), map[*job]string{} // new participants: the hash of their secret
	for _, cmd := range cmds {
		j := &job{cmd: cmd}
		jobs = append(jobs, j)
		var rc remoteCmd
		if err := json.Unmarshal(cmd.Body, &rc); err != nil {
			j.res.Err = server.Errorf(server.EInvalid, "a command could not be read")
			continue
		}
		h.m.cl.carried.Add(1)
		if rc.Join != nil {
			p, _, err := joins.Decide(rc.Msg, rc.Join.PID, rc.Join.Hash, h.now())
			switch {
			case err != nil:
				j.res.Err = server.ErrorOf(err)
			case p == nil:
				joined[j] = rc.Join.Hash
			}
			continue
		}
		j.proxy = newClient(16)
		j.proxy.proxy, j.proxy.pid, j.proxy.facilitator = true, rc.PID, rc.Fac
		if p := h.st.Participant(rc.PID); p != nil {
			j.proxy.world = p.World()
		}
		switch {
		case rc.Msg.Type == server.MsgAnswer && !rc.Fac:
			// An answer is safe to run again: its key makes a second append a duplicate.
			m := rc.Msg
			answers = append(answers, hubCmd{c: j.proxy, m: &m})
		case cmd.Taken:
			// An owner took this command and stopped before it answered: it may have been
			// made. Running it again could make it twice.
			j.res.Err = server.Errorf(server.EUnavailable, "the server that ran the session stopped during this command; check the session before sending it again")
		default:
			h.handle(j.proxy, rc.Msg)
		}
	}
	if len(joined) > 0 {
		// The joins go in one append; after a failed one, the log says which were made.
		_, err := h.commit(joins.Records()...)
		for j, hash := range joined {
			if err != nil && h.st.ByToken(hash) == nil {
				j.res.Err = server.ErrorOf(err)
			}
		}
	}
	if len(answers) > 0 {
		h.answers(answers, false)
		h.schedule()
	}
	if h.fenced {
		return // the next owner runs them
	}
	ctx, cancel := context.WithTimeout(h.m.ctx, h.m.opts.AppendTimeout)
	defer cancel()
	done := make([]server.Command, len(jobs))
	results := make([][]byte, len(jobs))
	for i, j := range jobs {
		j.res.Seq = h.st.Seq()
		if j.proxy != nil {
			var fs [16]*frame
			n, _ := j.proxy.take(fs[:])
			for _, f := range fs[:n] {
				j.res.Frames = append(j.res.Frames, f.data)
			}
		}
		done[i] = j.cmd
		results[i], _ = json.Marshal(j.res)
	}
	if err := h.m.cl.db.Complete(ctx, done, results); err != nil {
		h.m.log.Error("storing the results of commands", "session", h.id, "err", err)
	}
}

// forward carries a client's command to the session's owner and, once the owner's result is
// in and this node has the event it names, sends the client the ack or error. It runs on the
// connection's reader, so one connection has one command in flight; false if the hub stopped.
func (m *Manager) forward(ctx context.Context, h *hub, c *client, msg server.ClientMsg) bool {
	rc := remoteCmd{Msg: msg, PID: c.pid, Fac: c.facilitator}
	res, err := m.carry(ctx, h.id, rc)
	if err != nil {
		m.refuse(c, h, msg.Ref, err)
		return true
	}
	if res.Err != nil {
		m.refuse(c, h, msg.Ref, res.Err)
		return true
	}
	err = h.call(ctx, func() error {
		h.results = append(h.results, &pendingResult{c: c, seq: res.Seq, frames: res.Frames})
		if h.owner.Load() {
			h.deliverAll()
		} else {
			h.catchUp()
		}
		return nil
	})
	return err == nil
}

// carry submits a command and waits for its result.
func (m *Manager) carry(ctx context.Context, session string, rc remoteCmd) (remoteResult, error) {
	c := m.cl
	body, _ := json.Marshal(rc)
	sub := &submission{Submission: server.Submission{Session: session, Body: body}, done: make(chan submitted, 1)}
	var id int64
	var err error
	select {
	case c.submits <- sub:
		r := <-sub.done
		id, err = r.id, r.err
	case <-ctx.Done():
		err = ctx.Err()
	case <-m.ctx.Done():
		err = m.ctx.Err()
	}
	if err != nil {
		m.log.Error("carrying a command to the session's owner", "session", session, "err", err)
		return remoteResult{}, errNotSaved
	}
	c.forwarded.Add(1)
	w := make(chan []byte, 1)
	c.mu.Lock()
	c.waiters[id] = w
	c.mu.Unlock()
	select {
	case c.pollNow <- struct{}{}:
	default:
	}
	t := time.NewTimer(forwardWait)
	defer t.Stop()
	var b []byte
	select {
	case b = <-w:
	case <-t.C:
	case <-ctx.Done():
	case <-m.ctx.Done():
	}
	if b == nil {
		c.mu.Lock()
		delete(c.waiters, id)
		c.mu.Unlock()
		return remoteResult{}, server.Errorf(server.EUnavailable, "the server running the session did not answer in time; send it again")
	}
	var res remoteResult
	if err := json.Unmarshal(b, &res); err != nil {
		return remoteResult{}, fmt.Errorf("a command's result could not be read: %w", err)
	}
	return res, nil
}

// remoteJoin joins a participant through the owner: this node draws the id and the resume
// secret, the owner decides and logs the join, and this node welcomes the client once the
// join has reached it.
func (m *Manager) joinRemote(ctx context.Context, h *hub, c *client, msg server.ClientMsg) error {
	var token, hash string
	if msg.ID != "" {
		token, hash = h.id+"."+msg.ID, hashToken(msg.ID)
	} else {
		token, hash = newToken(h.id)
	}
	res, err := m.carry(ctx, h.id, remoteCmd{Msg: msg, Join: &remoteJoin{PID: "p-" + randomID(6), Hash: hash}})
	if err != nil {
		return err
	}
	if res.Err != nil {
		return res.Err
	}
	return h.call(ctx, func() error {
		if h.st.Seq() < res.Seq {
			h.catchUp()
		}
		p := h.st.ByToken(hash)
		if p == nil {
			return server.Errorf(server.EUnavailable, "the join has not reached this server yet; send it again")
		}
		if p.Removed() {
			return server.Errorf(server.EUnauthorized, "you were removed from this session")
		}
		h.attach(c, p.ID())
		h.welcome(c, token, 0)
		return nil
	})
}

// ClusterStatus is this node's view of the cluster, for the admin view and /api/metrics.
func (m *Manager) ClusterStatus(ctx context.Context) *server.ClusterStatus {
	c := m.cl
	if c == nil {
		return nil
	}
	owners, followers := m.hubList()
	st := &server.ClusterStatus{Node: c.node, Owned: len(owners), Followed: len(followers), Notify: c.notify.Load(),
		Forwarded: c.forwarded.Load(), Carried: c.carried.Load(), Takeovers: c.takeovers.Load(), StepDowns: c.stepDowns.Load()}
	nodes, leases, err := c.db.Cluster(ctx, 3*c.ttl)
	if err != nil {
		st.Error = "the cluster's tables could not be read"
		return st
	}
	now := time.Now()
	for _, n := range nodes {
		st.Nodes = append(st.Nodes, server.NodeStatus{ID: n.ID, Addr: n.Addr, Started: n.Started, Seen: n.Seen,
			Alive: now.Sub(n.Seen) < c.ttl})
	}
	for _, l := range leases {
		st.Leases = append(st.Leases, server.LeaseStatus{Session: l.Session, Node: l.Node, Epoch: l.Epoch, Expires: l.Expires, Expired: l.Expires.Before(now)})
	}
	return st
}

// sharePresence publishes which participants are connected here, for every session this node
// serves, and hands each hub the connections of its participants on the other nodes, so that
// a console anywhere counts the whole room.
func (m *Manager) sharePresence(ctx context.Context, hubs []*hub) {
	c := m.cl
	present := make(map[string][]string, len(hubs))
	ids := make([]string, 0, len(hubs))
	for _, h := range hubs {
		ids = append(ids, h.id)
		if p := h.present.Load(); p != nil {
			present[h.id] = *p
		} else {
			present[h.id] = nil
		}
	}
	if err := c.db.Publish(ctx, c.node, present); err != nil {
		if m.ctx.Err() == nil {
			m.log.Error("publishing presence", "err", err)
		}
		return
	}
	remote, err := c.db.Presence(ctx, c.node, ids, c.ttl)
	if err != nil {
		if m.ctx.Err() == nil {
			m.log.Error("reading presence", "err", err)
		}
		return
	}
	for _, h := range hubs {
		select { // never wait for a busy hub
		case h.presence <- remote[h.id]:
		default:
		}
	}
}
