package live

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/paraat-nl/paraat/engine"
	"github.com/paraat-nl/paraat/server"
	"github.com/paraat-nl/paraat/server/live/session"
)

// Options tune the live layer; the zero value gives the defaults of PROTOCOL.md.
type Options struct {
	// Clock drives deadlines, back-off and unloading; nil: the system clock (with Now).
	Clock         Clock
	Now           func() time.Time // the wall time, when Clock is nil
	Logger        *slog.Logger
	QueueLen      int           // messages queued per client before it is dropped (64)
	PingPeriod    time.Duration // 25 s
	PongWait      time.Duration // 60 s
	WriteWait     time.Duration // 10 s
	HelloTimeout  time.Duration // 10 s
	AppendTimeout time.Duration // 15 s
	// IdleTimeout is how long a session stays in memory with nobody connected (10 min).
	IdleTimeout time.Duration
	// MaxSessions is how many sessions a node keeps in memory at most (10,000); beyond it a
	// join, resume or watch of another session is refused with the code overloaded.
	MaxSessions int
	// Cluster makes this node one of several on a shared PostgreSQL database; nil: alone.
	Cluster *ClusterOptions
	// Codes limits wrong join codes per address (shared with the HTTP lookup); nil: its own.
	Codes *server.CodeGuard
}

func (o *Options) defaults() {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Clock == nil {
		o.Clock = systemClock{now: o.Now}
	}
	o.Now = o.Clock.Now
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = 10 * time.Minute
	}
	if o.MaxSessions <= 0 {
		o.MaxSessions = 10000
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Codes == nil {
		o.Codes = server.NewCodeGuard(o.Now)
	}
	if o.QueueLen <= 0 {
		o.QueueLen = 64
	}
	if o.PingPeriod <= 0 {
		o.PingPeriod = 25 * time.Second
	}
	if o.PongWait <= 0 {
		o.PongWait = 60 * time.Second
	}
	if o.WriteWait <= 0 {
		o.WriteWait = 10 * time.Second
	}
	if o.HelloTimeout <= 0 {
		o.HelloTimeout = 10 * time.Second
	}
	if o.AppendTimeout <= 0 {
		o.AppendTimeout = 15 * time.Second
	}
}

// facilitatorQueueFactor is how many times longer a facilitator's queue is than a
// participant's.
const facilitatorQueueFactor = 64

// Manager owns the hubs of all live sessions. It implements server.Live.
type Manager struct {
	store server.Store
	lib   atomic.Pointer[engine.Library] // replaced by SetLibrary; hubs keep the one they began with
	opts  Options
	log   *slog.Logger
	now   func() time.Time
	clock Clock

	ctx    context.Context // cancelled by Shutdown
	cancel context.CancelFunc

	stats counters
	cl    *cluster // nil on a single node

	// codes remembers which session a join code belongs to: a session's code never changes
	// and is never given to another session, so a room joining at once looks it up once.
	codeMu sync.Mutex
	codes  map[string]string

	mu      sync.Mutex
	hubs    map[string]*hub
	closing bool
	conns   sync.WaitGroup
	open    map[*client]struct{} // every connection, so that Shutdown can close them all
	once    sync.Once
}

var _ server.Live = (*Manager)(nil)

// New returns a manager; call Start to resume the live sessions of the store.
func New(store server.Store, lib *engine.Library, opts Options) *Manager {
	opts.defaults()
	ctx, cancel := context.WithCancel(context.Background())
	m := &Manager{store: store, opts: opts, log: opts.Logger, now: opts.Now, clock: opts.Clock,
		ctx: ctx, cancel: cancel, hubs: map[string]*hub{}, open: map[*client]struct{}{}}
	m.lib.Store(lib)
	if c := opts.Cluster; c != nil {
		ttl := c.TTL
		if ttl <= 0 {
			ttl = 3 * time.Second
		}
		m.cl = &cluster{db: c.DB, node: c.Node, addr: c.Addr, ttl: ttl,
			waiters: map[int64]chan []byte{}, pollNow: make(chan struct{}, 1),
			submits: make(chan *submission)}
	}
	return m
}

// Start replays the log of every facilitated session that has not ended and resumes it: its
// timers run again and questions whose deadline passed while the server was down are closed.
// Self-study runs have no timers; each is loaded when its learner comes back. Sessions nobody
// connects to are unloaded again after IdleTimeout.
func (m *Manager) Start(ctx context.Context) error {
	if m.cl != nil {
		defer m.startCluster()
	}
	rows, err := m.store.Sessions(ctx, "")
	if err != nil {
		return fmt.Errorf("listing sessions: %w", err)
	}
	for _, row := range rows {
		if row.Ended {
			continue
		}
		if meta, err := server.ParseMeta(row.Meta); err == nil && meta.Study {
			continue
		}
		if m.cl != nil {
			// In a cluster, a node resumes only the sessions it can own; the others run
			// elsewhere (or are taken over when their lease expires).
			if _, ok, err := m.acquire(ctx, row.ID); err != nil || !ok {
				continue
			}
		}
		if _, err := m.hub(ctx, row.ID); err != nil {
			m.log.Error("resuming session", "session", row.ID, "err", err)
		}
	}
	return nil
}

// fold reads a session's log and folds it into a state.
func (m *Manager) fold(ctx context.Context, id string) (*session.State, error) {
	row, err := m.store.Session(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("session %s: %w", id, err)
	}
	st, err := session.New(m.lib.Load(), row)
	if err != nil {
		return nil, err
	}
	recs, err := m.store.Events(ctx, id, 0, 0)
	if err != nil {
		return nil, fmt.Errorf("session %s: events: %w", id, err)
	}
	for _, r := range recs {
		st.Apply(r)
	}
	for _, p := range st.Problems() {
		m.log.Warn("replaying session log", "session", id, "problem", p)
	}
	return st, nil
}

// hub returns the running hub of a session, loading it from the log when needed.
func (m *Manager) hub(ctx context.Context, id string) (*hub, error) {
	m.mu.Lock()
	if m.closing {
		m.mu.Unlock()
		return nil, errStopped
	}
	if h := m.hubs[id]; h != nil {
		m.mu.Unlock()
		return h, nil
	}
	m.mu.Unlock()
	// In a cluster, take the lease first if it is free, then read the log: the old owner's
	// appends are fenced off from here on, so the log read is complete.
	var lease server.Lease
	owner := m.cl == nil
	if m.cl != nil {
		var err error
		if lease, owner, err = m.acquire(ctx, id); err != nil {
			return nil, err
		}
	}
	st, err := m.fold(ctx, id)
	if err != nil {
		if owner && m.cl != nil {
			m.cl.db.Release(ctx, lease)
		}
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closing {
		return nil, errStopped
	}
	if h := m.hubs[id]; h != nil { // loaded meanwhile
		if owner && m.cl != nil && h.epoch.Load() != lease.Epoch {
			// Its lease is ours now: the hub's appends would be refused.
			h.lose()
		}
		return h, nil
	}
	if len(m.hubs) >= m.opts.MaxSessions {
		return nil, server.Errorf(server.EOverloaded, "this server already runs %d live sessions, its maximum; try again later", m.opts.MaxSessions)
	}
	h := &hub{m: m, id: id, st: st, cmds: make(chan hubCmd, 64), clients: map[*client]struct{}{},
		conns: map[string]int{}, stop: make(chan struct{}), done: make(chan struct{}),
		byPart: map[string][]*client{}, facs: map[*client]struct{}{},
		wake: make(chan struct{}, 1), lost: make(chan struct{}, 1), tryOwn: make(chan struct{}, 1),
		presence: make(chan map[string]int, 1)}
	h.seq.Store(st.Seq())
	h.owner.Store(owner)
	if m.cl != nil && owner {
		h.epoch.Store(lease.Epoch)
	}
	m.hubs[id] = h
	go h.run()
	return h, nil
}

// unload takes an idle hub out of the manager, unless a command is waiting for it; true if
// it did. A connection that still holds the hub gets errUnloaded and loads the session again.
func (m *Manager) unload(h *hub) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(h.cmds) > 0 || m.hubs[h.id] != h {
		return false
	}
	delete(m.hubs, h.id)
	if len(m.hubs) == 0 {
		m.hubs = map[string]*hub{} // a map never shrinks; one that held thousands would stay that size
	}
	h.unloaded = true
	m.stats.unloaded.Add(1)
	return true
}

// shutdownGrace is how long Shutdown lets the writers deliver their close frames before it
// closes the connections that have not finished (a peer that stopped reading).
const shutdownGrace = time.Second

// Shutdown stops every hub and closes every connection with a close frame (1001), then waits
// for the connections to finish. A connection that has not finished within shutdownGrace, or
// by ctx's deadline if that is sooner, is closed without waiting for the peer. It returns
// ctx's error only if a connection's goroutines are still running at the deadline. It is safe
// to call more than once.
func (m *Manager) Shutdown(ctx context.Context) error {
	m.once.Do(func() {
		m.mu.Lock()
		m.closing = true
		for _, h := range m.hubs {
			close(h.stop)
		}
		m.mu.Unlock()
	})
	defer m.cancel()
	m.mu.Lock()
	for c := range m.open {
		c.shut(websocket.CloseGoingAway, "server shutting down") // those in no hub yet
	}
	m.mu.Unlock()
	done := make(chan struct{})
	go func() { m.conns.Wait(); close(done) }()
	grace := time.NewTimer(shutdownGrace)
	defer grace.Stop()
	force := grace.C
	if dl, ok := ctx.Deadline(); ok {
		// Leave half of what remains to the forced close.
		if half := time.Until(dl) / 2; half < shutdownGrace {
			grace.Reset(max(half, 0))
		}
	}
	for {
		select {
		case <-done:
			return nil
		case <-force:
			force = nil
			m.mu.Lock()
			for c := range m.open {
				c.ws.NetConn().Close() // unblocks its writer and its reader
			}
			m.mu.Unlock()
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (m *Manager) track(c *client) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closing {
		return false
	}
	m.conns.Add(1)
	m.open[c] = struct{}{}
	return true
}

func (m *Manager) untrack(c *client) {
	m.mu.Lock()
	delete(m.open, c)
	m.mu.Unlock()
	m.conns.Done()
}

// Create stores a new session and its first event.
func (m *Manager) Create(ctx context.Context, owner string, req server.CreateSession) (server.SessionRow, error) {
	scn := m.lib.Load().Scenario(req.Scenario)
	if scn == nil {
		return server.SessionRow{}, server.Errorf(server.ENotFound, "no scenario %q", req.Scenario)
	}
	meta := server.Meta{Lens: req.Lens, Scope: req.Scope, Roles: req.Roles, Teams: req.Teams}
	if meta.Lens == "" {
		meta.Lens = scn.Lens.Value
	}
	if m.lib.Load().Corpus.Lens(meta.Lens) == nil {
		return server.SessionRow{}, server.Errorf(server.EInvalid, "no lens %q", meta.Lens)
	}
	switch meta.Scope {
	case "":
		meta.Scope = server.ScopeShared
	case server.ScopeShared, server.ScopeTeam, server.ScopeParticipant:
	default:
		return server.SessionRow{}, server.Errorf(server.EInvalid, "scope must be shared, team or participant, not %q", meta.Scope)
	}
	for _, r := range meta.Roles {
		if scn.Role(r) == nil {
			return server.SessionRow{}, server.Errorf(server.EInvalid, "scenario %s has no role %q", scn.ID.Value, r)
		}
	}
	if meta.Scope == server.ScopeTeam {
		if len(meta.Teams) == 0 {
			for _, t := range scn.Teams {
				meta.Teams = append(meta.Teams, server.RoleView{ID: t.ID.Value, Name: server.T(t.Name)})
			}
		}
		if len(meta.Teams) < 1 {
			return server.SessionRow{}, server.Errorf(server.EInvalid, "a team session needs at least one team")
		}
	} else {
		meta.Teams = nil
	}
	seen := map[string]bool{}
	for _, t := range meta.Teams {
		if !validID(t.ID) || seen[t.ID] {
			return server.SessionRow{}, server.Errorf(server.EInvalid, "team id %q must be unique, lowercase letters, digits and dashes", t.ID)
		}
		seen[t.ID] = true
		if _, err := session.CleanName(t.Name.NL + t.Name.EN); err != nil {
			return server.SessionRow{}, server.Errorf(server.EInvalid, "team %s needs a name", t.ID)
		}
	}
	exp := time.Duration(req.ExpiresInMS) * time.Millisecond
	switch {
	case exp == 0:
		exp = 24 * time.Hour
	case exp < time.Minute || exp > 7*24*time.Hour:
		return server.SessionRow{}, server.Errorf(server.EInvalid, "expires_in_ms must be between a minute and 7 days")
	}
	return m.create(ctx, owner, scn, meta, exp, nil)
}

func (m *Manager) create(ctx context.Context, owner string, scn *engine.Scenario, meta server.Meta, exp time.Duration,
	more func(id string) []server.Record) (server.SessionRow, error) {
	mb, _ := jsonMarshal(meta)
	now := m.now().UTC()
	var row server.SessionRow
	var err error
	for range 5 {
		row = server.SessionRow{ID: newSessionID(), Code: server.NewCode(), Owner: owner, Scenario: scn.ID.Value,
			Created: now, Expires: now.Add(exp), Meta: mb}
		if err = m.store.CreateSession(ctx, row); !errors.Is(err, server.ErrConflict) {
			break
		}
	}
	if err != nil {
		return server.SessionRow{}, fmt.Errorf("creating session: %w", err)
	}
	recs := []server.Record{session.CreatedRecord(now, meta)}
	if more != nil {
		recs = append(recs, more(row.ID)...)
	}
	if _, err := m.store.Append(ctx, row.ID, recs); err != nil {
		return server.SessionRow{}, fmt.Errorf("creating session: %w", err)
	}
	return row, nil
}

// Study starts a self-study run: a session of one self-paced participant, already started.
func (m *Manager) Study(ctx context.Context, req server.StudyRequest) (server.StudyStart, error) {
	scn := m.lib.Load().Scenario(req.Scenario)
	if scn == nil {
		return server.StudyStart{}, server.Errorf(server.ENotFound, "no scenario %q", req.Scenario)
	}
	lens := req.Lens
	if lens == "" {
		lens = scn.Lens.Value
	}
	if m.lib.Load().Corpus.Lens(lens) == nil {
		return server.StudyStart{}, server.Errorf(server.EInvalid, "no lens %q", lens)
	}
	name := req.Name
	if strings.TrimSpace(name) == "" {
		name = "learner"
	}
	name, err := session.CleanName(name)
	if err != nil {
		return server.StudyStart{}, err
	}
	meta := server.Meta{Lens: lens, Scope: server.ScopeParticipant, Study: true}
	pid := "p-" + randomID(6)
	var token string
	row, err := m.create(ctx, "", scn, meta, time.Minute, func(id string) []server.Record {
		var hash string
		token, hash = newToken(id)
		now := m.now().UTC()
		return []server.Record{
			session.JoinRecord(now, pid, name, "", "", hash),
			session.StartedRecord(now),
		}
	})
	if err != nil {
		return server.StudyStart{}, err
	}
	return server.StudyStart{Session: row.ID, Participant: pid, Token: token}, nil
}

// Report computes the after-action report of a session.
func (m *Manager) Report(ctx context.Context, id string) (*server.Report, error) {
	return BuildReport(ctx, m.store, m.lib.Load(), id, m.now())
}

// StudyReport computes the report of a self-study run identified by its token.
func (m *Manager) StudyReport(ctx context.Context, token string) (*server.Report, error) {
	sid, secret, ok := strings.Cut(token, ".")
	if !ok {
		return nil, server.Errorf(server.EUnauthorized, "unknown resume token")
	}
	st, err := m.fold(ctx, sid)
	if err != nil {
		if errors.Is(err, server.ErrNotFound) {
			return nil, server.Errorf(server.EUnauthorized, "unknown resume token")
		}
		return nil, err
	}
	// Only a self-study run's report is given for its token: a participant of a live session
	// sees feedback when the facilitator reveals it, and the report is the facilitator's.
	if st.ByToken(hashToken(secret)) == nil || !st.Study() {
		return nil, server.Errorf(server.EUnauthorized, "unknown resume token")
	}
	return st.Report(m.now()), nil
}

// hello handles the first message of a connection.
func (m *Manager) hello(ctx context.Context, c *client, msg server.ClientMsg, user *server.User) (*hub, error) {
	switch msg.Type {
	case server.MsgJoin:
		right, err := m.opts.Codes.Try(server.ClientAddr(ctx, c.ws.RemoteAddr().String()))
		if err != nil {
			return nil, err
		}
		code := server.NormalizeCode(msg.Code)
		if code == "" {
			return nil, server.Errorf(server.ENotFound, "no session with code %q", truncate(msg.Code, 20))
		}
		id, err := m.sessionByCode(ctx, code)
		if errors.Is(err, server.ErrNotFound) {
			return nil, server.Errorf(server.ENotFound, "no session with code %s", server.FormatCode(code))
		}
		right()
		if err != nil {
			return nil, err
		}
		return m.enterJoin(ctx, id, c, msg)
	case server.MsgResume:
		sid, secret, ok := strings.Cut(msg.Token, ".")
		bad := server.Errorf(server.EUnauthorized, "unknown or revoked resume token")
		if !ok || sid == "" || secret == "" {
			return nil, bad
		}
		h, err := m.enter(ctx, sid, func(h *hub) error { return h.resume(c, secret, msg.LastSeq) })
		if errors.Is(err, server.ErrNotFound) {
			return nil, bad
		}
		return h, err
	case server.MsgWatch:
		if user == nil {
			return nil, server.Errorf(server.EUnauthorized, "log in as a facilitator first")
		}
		row, err := m.store.Session(ctx, msg.Session)
		if errors.Is(err, server.ErrNotFound) {
			return nil, server.Errorf(server.ENotFound, "no session %q", truncate(msg.Session, 40))
		}
		if err != nil {
			return nil, err
		}
		if row.Owner != user.Name && !user.Admin {
			return nil, server.Errorf(server.EForbidden, "only the session's facilitator can watch it")
		}
		return m.enter(ctx, row.ID, func(h *hub) error { return h.watch(c, msg.LastSeq) })
	}
	return nil, server.Errorf(server.EUnauthorized, "send join, resume or watch first")
}

// maxCodes bounds the codes remembered; past it the memory starts again.
const maxCodes = 4096

// sessionByCode returns the id of the session with the join code.
func (m *Manager) sessionByCode(ctx context.Context, code string) (string, error) {
	m.codeMu.Lock()
	id, ok := m.codes[code]
	m.codeMu.Unlock()
	if ok {
		return id, nil
	}
	row, err := m.store.SessionByCode(ctx, code)
	if err != nil {
		return "", err
	}
	m.codeMu.Lock()
	if m.codes == nil || len(m.codes) >= maxCodes {
		m.codes = map[string]string{}
	}
	m.codes[code] = row.ID
	m.codeMu.Unlock()
	return row.ID, nil
}

// enter runs a hello on the session's hub, loading the session from its log if it is not in
// memory; if the hub is unloaded just then, it loads the session again.
func (m *Manager) enter(ctx context.Context, id string, hello func(*hub) error) (*hub, error) {
	for {
		h, err := m.hub(ctx, id)
		if err != nil {
			return nil, err
		}
		if err := h.call(ctx, func() error { return hello(h) }); !errors.Is(err, errUnloaded) {
			return h, err
		}
	}
}

// enterJoin joins on the owner's hub here, or through the owner when this node follows.
func (m *Manager) enterJoin(ctx context.Context, id string, c *client, msg server.ClientMsg) (*hub, error) {
	for {
		h, err := m.hub(ctx, id)
		if err != nil {
			return nil, err
		}
		if m.cl == nil || h.owner.Load() {
			err = h.joinCall(ctx, c, msg)
		} else {
			err = m.joinRemote(ctx, h, c, msg)
		}
		if !errors.Is(err, errUnloaded) {
			return h, err
		}
	}
}

// Serve runs a websocket connection: this goroutine reads, another writes.
func (m *Manager) Serve(ctx context.Context, ws *websocket.Conn, user *server.User) {
	// A facilitator gets every event of the room (an answer burst of 5,000 is 5,000 events) and
	// the aggregates: its queue is longer. Only a logged-in user can watch.
	queue := m.opts.QueueLen
	if user != nil {
		queue *= facilitatorQueueFactor
	}
	c := newClient(queue)
	c.ws, c.stats = ws, &m.stats
	if !m.track(c) {
		ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseGoingAway, "server shutting down"),
			time.Now().Add(time.Second))
		ws.Close()
		return
	}
	defer m.untrack(c)
	m.stats.conns.Add(1)
	m.stats.connsTotal.Add(1)
	defer m.stats.conns.Add(-1)
	wdone := make(chan struct{})
	go func() { c.writePump(m.opts); close(wdone) }()
	m.readPump(ctx, c, user)
	<-wdone
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

func validID(s string) bool {
	if s == "" || len(s) > 40 {
		return false
	}
	for i, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' && i > 0) {
			return false
		}
	}
	return true
}
