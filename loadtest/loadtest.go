// Package loadtest drives a paraat server with real websocket clients, the way a room full of
// phones would: it creates sessions through the HTTP API, joins participants, plays injects,
// sends bursts of answers, floods the room with broadcasts, makes everyone reconnect, and
// checks at the end that every acknowledged answer is in the session's report exactly once.
//
// It measures what the server promises: the connect rate, how long an inject takes to reach
// every participant, how long an answer takes to be acknowledged (durably stored), how many
// messages the server delivers per second and what that costs it in CPU, and how much memory
// a connection costs. Server figures come from the server's own GET /api/metrics.
package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
)

// Config is one load run.
type Config struct {
	// Target is the server's base URL, e.g. http://127.0.0.1:8080.
	Target string
	// Nodes are more base URLs of nodes of the same cluster (PostgreSQL): websocket
	// connections go round robin over Target and Nodes (a reconnect may land on another node);
	// the HTTP calls go to Target.
	Nodes []string
	// User and Password log in a facilitator who may create sessions (an admin, to read the
	// metrics from another machine).
	User, Password string
	// Scenario is played in every session; the default is the 15-question which-document
	// quiz, which gives a linear run of 15 injects.
	Scenario string
	// Participants are spread round-robin over Sessions.
	Participants, Sessions int
	// DialConcurrency bounds the connections being opened at once (default 200).
	DialConcurrency int
	// Sources is how many loopback source addresses (127.0.0.1 ...) to spread connections
	// over when the target is on loopback (default 1).
	Sources int
	// Injects is how many injects to play; each is sent with its questions opened.
	Injects int
	// Burst makes every participant answer one open question of each inject, at a random
	// moment within BurstWindow (default 1 s).
	Burst       bool
	BurstWindow time.Duration
	// Flood toggles pause and resume in every session at FloodRate commands per second per
	// session for this long: each command is a broadcast of an event and a world view.
	Flood     time.Duration
	FloodRate float64
	// Reconnect drops every participant's connection (or restarts the server, with Restart)
	// and makes them all resume with jittered backoff.
	Reconnect bool
	// Restart, when set, restarts the server for the reconnect phase instead of having the
	// clients drop their connections.
	Restart func(ctx context.Context) error
	// Crash, when set, kills the server (SIGKILL: no goodbye, no flush) at a random moment of
	// the first answer burst and starts it again on the same database. The answers acked
	// before the kill must survive it; the reconnect phase (Reconnect) then checks that every
	// participant resumes with them.
	Crash func(ctx context.Context) error
	// StoreFaults is the fraction of log appends the server fails at random (it is passed to a
	// server the tool starts as --store-faults). Clients then send again what the server
	// refused as unavailable, and the final check also compares each session's live state with
	// the replay of its log.
	StoreFaults float64
	// StudyRuns, instead of a room, starts this many self-study runs, opens each once and
	// leaves it, and measures the server's memory before, with all of them idle in memory,
	// and once the server has unloaded them (start the server with a short idle timeout).
	StudyRuns int
	// StudyRounds repeats the StudyRuns that many times on the same server (default 1).
	StudyRounds int
	// Hold keeps everyone connected this long after connecting (to watch the server).
	Hold time.Duration
	// PhaseTimeout bounds each wait for the clients (default 60 s).
	PhaseTimeout time.Duration
	// Log gets progress lines; nil: none.
	Log io.Writer
}

func (c *Config) defaults() error {
	if c.Target == "" || c.User == "" {
		return errors.New("loadtest: need a target and a facilitator account")
	}
	if c.Scenario == "" {
		c.Scenario = "quiz-welk-document"
	}
	if c.Sessions <= 0 {
		c.Sessions = 1
	}
	if c.Participants < 0 {
		return errors.New("loadtest: negative participants")
	}
	if c.DialConcurrency <= 0 {
		c.DialConcurrency = 200
	}
	if c.Sources <= 0 {
		c.Sources = 1
	}
	if c.BurstWindow <= 0 {
		c.BurstWindow = time.Second
	}
	if c.FloodRate <= 0 {
		c.FloodRate = 10
	}
	if c.PhaseTimeout <= 0 {
		c.PhaseTimeout = 60 * time.Second
	}
	if c.Log == nil {
		c.Log = io.Discard
	}
	return nil
}

type questionInfo struct {
	ID      string   `json:"id"`
	Type    string   `json:"type"`
	Roles   []string `json:"roles"`
	Options []struct {
		ID string `json:"id"`
	} `json:"options"`
}

func (q *questionInfo) askedOf(role string) bool {
	return len(q.Roles) == 0 || slices.Contains(q.Roles, role)
}

// answer is a valid answer of the question's type; choices are random, so that shared
// worlds take different paths.
func (q *questionInfo) answer() map[string]any {
	ids := make([]string, len(q.Options))
	for i, o := range q.Options {
		ids[i] = o.ID
	}
	switch q.Type {
	case "choice":
		return map[string]any{"option": ids[rand.IntN(len(ids))]}
	case "multi":
		return map[string]any{"options": []string{ids[rand.IntN(len(ids))]}}
	case "rank":
		rand.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
		return map[string]any{"options": ids}
	case "number":
		return map[string]any{"number": 1}
	}
	return map[string]any{"text": "Bondgenoten informeren en het onderzoek samen starten."}
}

type injectInfo struct {
	ID        string         `json:"id"`
	Questions []questionInfo `json:"questions"`
}

// session is one session of the run with its facilitator and participants.
type session struct {
	id, code string
	fac      *facilitator
	parts    []*participant
	cmdAt    atomic.Int64 // unix nanoseconds of the facilitator's last command
}

func (s *session) markSent(t time.Time) { s.cmdAt.Store(t.UnixNano()) }
func (s *session) sentAt() time.Time    { return time.Unix(0, s.cmdAt.Load()) }

// phase collects one measurement across all participants: each reports at most once.
type phase struct {
	kind string // started, inject, burst, flood
	want int
	// Latencies in nanoseconds by participant; unset is math.MinInt64. Atomics, because the
	// coordinator reads them when it stops waiting, even if a straggler is still writing.
	lat, e2e []atomic.Int64
	got      atomic.Int64
	done     chan struct{}
	doneOnce sync.Once
	opened   atomic.Int64
	allOpen  chan struct{}
	openDone sync.Once
	flood    *samples
	// floodMu guards floodMsgs: what the first participant received for the first broadcast
	// of a flood (an event and a world view), which the baseline then broadcasts.
	floodMu   sync.Mutex
	floodMsgs [][]byte
	// ready is, per participant of an inject round, the time from the facilitator's command
	// until it held the inject, its open questions and the world view showing them; msgs
	// are the messages the first ready participant received for it (the baseline sends them).
	ready     []atomic.Int64
	msgs      atomic.Pointer[[][]byte]
	readyN    atomic.Int64
	allReady  chan struct{}
	readyOnce sync.Once
}

func (ph *phase) recordReady(idx int, now, cmd time.Time, msgs [][]byte) {
	if idx >= len(ph.ready) || cmd.IsZero() {
		return
	}
	ph.ready[idx].Store(int64(now.Sub(cmd)))
	if ph.msgs.Load() == nil {
		s := make([][]byte, len(msgs))
		for i, m := range msgs {
			s[i] = slices.Clone(m)
		}
		ph.msgs.CompareAndSwap(nil, &s)
	}
	if ph.readyN.Add(1) == int64(ph.want) {
		ph.readyOnce.Do(func() { close(ph.allReady) })
	}
}

// collectReady adds the round's ready times to s and returns how many never got ready.
func (ph *phase) collectReady(s *samples) (missing int) {
	for i := range ph.ready {
		if v := ph.ready[i].Load(); v != math.MinInt64 {
			s.add(time.Duration(v))
		} else {
			missing++
		}
	}
	return missing
}

func newPhase(kind string, want int) *phase {
	ph := &phase{kind: kind, want: want, lat: make([]atomic.Int64, want), e2e: make([]atomic.Int64, want),
		ready: make([]atomic.Int64, want), done: make(chan struct{}), allOpen: make(chan struct{}), allReady: make(chan struct{}),
		flood: &samples{}}
	for i := range ph.lat {
		ph.lat[i].Store(math.MinInt64)
		ph.e2e[i].Store(math.MinInt64)
		ph.ready[i].Store(math.MinInt64)
	}
	if want == 0 {
		close(ph.done)
		close(ph.allOpen)
		close(ph.allReady)
	}
	return ph
}

func (ph *phase) record(idx int, now time.Time, from *time.Time, cmd time.Time) {
	if idx >= len(ph.lat) {
		return
	}
	if from != nil {
		ph.lat[idx].Store(int64(now.Sub(*from)))
	}
	if !cmd.IsZero() {
		ph.e2e[idx].Store(int64(now.Sub(cmd)))
	}
	if ph.got.Add(1) == int64(ph.want) {
		ph.doneOnce.Do(func() { close(ph.done) })
	}
}

func (ph *phase) collect(lat, e2e *samples) (missing int) {
	for i := range ph.lat {
		v := ph.lat[i].Load()
		if v == math.MinInt64 {
			missing++
			continue
		}
		lat.add(time.Duration(v))
		if w := ph.e2e[i].Load(); w != math.MinInt64 {
			e2e.add(time.Duration(w))
		}
	}
	return missing
}

// samples is a list of durations safe for concurrent adds.
type samples struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *samples) add(d time.Duration) {
	s.mu.Lock()
	s.d = append(s.d, d)
	s.mu.Unlock()
}

// Dist summarises latencies.
type Dist struct {
	N   int           `json:"n"`
	P50 time.Duration `json:"p50"`
	P99 time.Duration `json:"p99"`
	Max time.Duration `json:"max"`
}

func (s *samples) dist() Dist {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.d) == 0 {
		return Dist{}
	}
	d := slices.Clone(s.d)
	slices.Sort(d)
	at := func(q float64) time.Duration { return d[min(len(d)-1, int(math.Ceil(q*float64(len(d))))-1)] }
	return Dist{N: len(d), P50: at(0.50), P99: at(0.99), Max: d[len(d)-1]}
}

func (d Dist) String() string {
	if d.N == 0 {
		return "no samples"
	}
	return fmt.Sprintf("p50 %s  p99 %s  max %s  (n=%d)", ms(d.P50), ms(d.P99), ms(d.Max), d.N)
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }

type runner struct {
	crashed bool // the server was killed and started again; logins and watches are gone
	// hello is what the first participant received for its join (keepHello).
	helloMu  sync.Mutex
	hello    [][]byte
	cfg      Config
	http     *http.Client
	jar      http.CookieJar
	csrf     string
	d        *dialer
	injects  map[string]*injectInfo
	sessions []*session
	parts    []*participant
	phase    atomic.Pointer[phase]
	received atomic.Int64

	// Messages sent again after the server answered unavailable.
	retriedHellos, retriedAnswers, retriedCommands atomic.Int64
	// killedAt is when a node was killed (unix ns; 0: none), firstAckAfter the first answer
	// acknowledged after it.
	killedAt, firstAckAfter atomic.Int64

	errMu  sync.Mutex
	errs   int64
	errMsg map[string]int
}

func (r *runner) errorf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	r.errMu.Lock()
	r.errs++
	if len(r.errMsg) < 20 || r.errMsg[msg] > 0 {
		r.errMsg[msg]++
	}
	r.errMu.Unlock()
}

func (r *runner) logf(format string, args ...any) {
	fmt.Fprintf(r.cfg.Log, "%s  "+format+"\n", append([]any{time.Now().Format("15:04:05.000")}, args...)...)
}

// Run performs a load run and returns what it measured. An error means the run could not be
// carried out; what went wrong during a run that completed is counted in the report.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	jar, _ := cookiejar.New(nil)
	r := &runner{cfg: cfg, jar: jar, http: &http.Client{Jar: jar, Timeout: 60 * time.Second}, errMsg: map[string]int{}}
	d, err := newDialer(append([]string{cfg.Target}, cfg.Nodes...), cfg.Sources, jar)
	if err != nil {
		return nil, err
	}
	r.d = d
	rep := &Report{Target: cfg.Target, Participants: cfg.Participants, Sessions: cfg.Sessions}
	defer r.closeAll()

	if err := r.login(ctx); err != nil {
		return nil, err
	}
	if cfg.StudyRuns > 0 {
		if err := r.study(ctx, rep); err != nil {
			return nil, err
		}
		r.errMu.Lock()
		rep.Errors, rep.ErrorMessages = r.errs, r.errMsg
		r.errMu.Unlock()
		return rep, nil
	}
	if err := r.loadScenario(ctx); err != nil {
		return nil, err
	}
	if err := r.createSessions(ctx); err != nil {
		return nil, err
	}
	rep.Before, _ = r.metrics(ctx, true)
	if err := r.connect(ctx, rep); err != nil {
		return nil, err
	}
	rep.Connected, _ = r.metrics(ctx, true)
	rep.memory()
	if cfg.Hold > 0 {
		r.logf("holding %d connections for %s", len(r.parts), cfg.Hold)
		select {
		case <-time.After(cfg.Hold):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if cfg.Injects > 0 || cfg.Flood > 0 {
		if err := r.start(ctx); err != nil {
			return nil, err
		}
	}
	if err := r.play(ctx, rep); err != nil {
		return nil, err
	}
	if cfg.Flood > 0 {
		if err := r.flood(ctx, rep); err != nil {
			return nil, err
		}
	}
	if cfg.Reconnect {
		if err := r.reconnect(ctx, rep); err != nil {
			return nil, err
		}
	}
	if err := r.verify(ctx, rep); err != nil {
		return nil, err
	}
	rep.After, _ = r.metrics(ctx, false)
	if cfg.StoreFaults > 0 {
		f := &rep.Faults
		f.Rate = cfg.StoreFaults
		f.RetriedJoins, f.RetriedAnswers, f.RetriedCommands = r.retriedHellos.Load(), r.retriedAnswers.Load(), r.retriedCommands.Load()
		if rep.Before != nil && rep.After != nil && rep.Before.Live != nil && rep.After.Live != nil {
			f.AppendErrors = rep.After.Live.AppendErrors - rep.Before.Live.AppendErrors
		}
		r.logf("store faults: %d failed appends; sent again: %d joins, %d answers, %d commands",
			f.AppendErrors, f.RetriedJoins, f.RetriedAnswers, f.RetriedCommands)
	}
	if k, a := r.killedAt.Load(), r.firstAckAfter.Load(); k != 0 && a != 0 {
		rep.Recovery = time.Duration(a - k)
	}
	r.errMu.Lock()
	rep.Errors, rep.ErrorMessages = r.errs, r.errMsg
	r.errMu.Unlock()
	return rep, nil
}

// ---- HTTP ----

func (r *runner) do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimSuffix(r.cfg.Target, "/")+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if r.csrf != "" {
		req.Header.Set("X-CSRF-Token", r.csrf)
	}
	resp, err := r.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
		return fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, bytes.TrimSpace(b))
	}
	if out != nil {
		return json.NewDecoder(resp.Body).Decode(out)
	}
	return nil
}

func (r *runner) login(ctx context.Context) error {
	r.csrf = ""
	var me struct{ CSRF string }
	if err := r.do(ctx, "POST", "/api/login", map[string]string{"name": r.cfg.User, "password": r.cfg.Password}, &me); err != nil {
		return fmt.Errorf("logging in as %s: %w", r.cfg.User, err)
	}
	r.csrf = me.CSRF
	return nil
}

func (r *runner) loadScenario(ctx context.Context) error {
	var det struct {
		Injects []*injectInfo `json:"injects"`
	}
	if err := r.do(ctx, "GET", "/api/scenarios/"+r.cfg.Scenario, nil, &det); err != nil {
		return err
	}
	r.injects = map[string]*injectInfo{}
	for _, in := range det.Injects {
		r.injects[in.ID] = in
	}
	return nil
}

// metrics reads the server's metrics; gc asks it to collect garbage first. A server that
// refuses (not local, not an admin) gives no server figures, not a failed run.
func (r *runner) metrics(ctx context.Context, gc bool) (*Metrics, error) {
	path := "/api/metrics"
	if gc {
		path += "?gc=1"
	}
	var m Metrics
	if err := r.do(ctx, "GET", path, nil, &m); err != nil {
		r.logf("no server metrics: %v", err)
		return nil, err
	}
	return &m, nil
}

func (r *runner) createSessions(ctx context.Context) error {
	for i := range r.cfg.Sessions {
		var info struct{ ID, Code string }
		if err := r.do(ctx, "POST", "/api/sessions", map[string]any{"scenario": r.cfg.Scenario, "scope": "shared"}, &info); err != nil {
			return fmt.Errorf("creating session %d: %w", i+1, err)
		}
		s := &session{id: info.ID, code: info.Code}
		s.fac = &facilitator{sess: s, run: r, waiting: map[string]chan reply{}}
		if err := s.fac.connect(ctx); err != nil {
			return err
		}
		r.sessions = append(r.sessions, s)
	}
	r.logf("%d sessions of %s created", len(r.sessions), r.cfg.Scenario)
	return nil
}

// connect joins every participant, DialConcurrency at a time.
func (r *runner) connect(ctx context.Context, rep *Report) error {
	n := r.cfg.Participants
	r.parts = make([]*participant, n)
	for i := range n {
		s := r.sessions[i%len(r.sessions)]
		p := &participant{idx: i, sess: s, run: r, acked: map[string]int64{}, sent: map[string]time.Time{},
			asked: map[string]*questionInfo{}, opened: map[string]bool{}, waitDup: map[string]chan reply{},
			answers: map[string]any{}, byRef: map[string]string{}, retries: map[string]int{}, joinID: uuid.NewString()}
		r.parts[i] = p
		s.parts = append(s.parts, p)
	}
	r.logf("connecting %d participants", n)
	var lat samples
	var failed atomic.Int64
	sem := make(chan struct{}, r.cfg.DialConcurrency)
	var wg sync.WaitGroup
	start := time.Now()
	for _, p := range r.parts {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			t0 := time.Now()
			for try := 0; ; try++ {
				_, err := p.hello(ctx, false)
				if err == nil {
					break
				}
				if try == 2 || ctx.Err() != nil {
					failed.Add(1)
					r.errorf("joining: %v", err)
					return
				}
				time.Sleep(time.Duration(100*(try+1)) * time.Millisecond)
			}
			lat.add(time.Since(t0))
		}()
	}
	wg.Wait()
	el := time.Since(start)
	rep.Connect = ConnectReport{Joined: n - int(failed.Load()), Failed: int(failed.Load()), Elapsed: el, Latency: lat.dist()}
	if el > 0 {
		rep.Connect.PerSecond = float64(rep.Connect.Joined) / el.Seconds()
	}
	r.logf("%d joined in %s (%.0f/s)", rep.Connect.Joined, el.Round(time.Millisecond), rep.Connect.PerSecond)
	r.helloMu.Lock()
	rep.Connect.Messages = r.hello
	r.helloMu.Unlock()
	if failed.Load() > 0 && failed.Load() == int64(n) {
		return errors.New("no participant could join")
	}
	return nil
}

func (r *runner) eachSession(ctx context.Context, f func(s *session) error) error {
	errc := make(chan error, len(r.sessions))
	for _, s := range r.sessions {
		go func() { errc <- f(s) }()
	}
	var errs []error
	for range r.sessions {
		if err := <-errc; err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (r *runner) start(ctx context.Context) error {
	ph := newPhase("started", len(r.parts))
	r.phase.Store(ph)
	defer r.phase.Store(nil)
	if err := r.eachSession(ctx, func(s *session) error { return s.fac.command(ctx, map[string]any{"type": "start"}) }); err != nil {
		return err
	}
	r.wait(ctx, ph.done, "the start")
	return nil
}

// wait waits for a phase to complete, at most PhaseTimeout; a timeout is reported by what
// is missing from the phase, not as an error.
func (r *runner) wait(ctx context.Context, done <-chan struct{}, what string) bool {
	select {
	case <-done:
		return true
	case <-ctx.Done():
	case <-time.After(r.cfg.PhaseTimeout):
		r.logf("timed out waiting for %s", what)
	}
	return false
}

// play sends the injects, each with its questions opened, and the answer bursts.
func (r *runner) play(ctx context.Context, rep *Report) error {
	var fan, e2e, ack, ready samples
	for i := range r.cfg.Injects {
		ph := newPhase("inject", len(r.parts))
		r.phase.Store(ph)
		err := r.eachSession(ctx, func(s *session) error {
			if r.cfg.StoreFaults > 0 {
				// Two commands, each sent again if refused: with "open": true, a failure of the
				// second append would leave the inject shown and its questions unopened.
				if err := s.fac.command(ctx, map[string]any{"type": "next"}); err != nil {
					return err
				}
				return s.fac.command(ctx, map[string]any{"type": "open"})
			}
			return s.fac.command(ctx, map[string]any{"type": "next", "open": true})
		})
		if err != nil {
			r.phase.Store(nil)
			if strings.Contains(err.Error(), "closed") { // the playthrough has ended
				r.logf("the scenario ended after %d injects", i)
				break
			}
			return err
		}
		r.wait(ctx, ph.done, "an inject")
		r.wait(ctx, ph.allOpen, "the questions to open")
		r.wait(ctx, ph.allReady, "every participant to hold the inject, its open questions and its world view")
		r.phase.Store(nil)
		missing := ph.collect(&fan, &e2e)
		rep.Injects.NotReady += ph.collectReady(&ready)
		if ms := ph.msgs.Load(); ms != nil {
			rep.Injects.Messages = *ms
			rep.Injects.Frames = rep.Injects.Frames[:0]
			for _, m := range *ms {
				rep.Injects.Frames = append(rep.Injects.Frames, len(m))
			}
		}
		rep.Injects.Rounds++
		rep.Injects.Missing += missing
		if r.cfg.Burst {
			if err := r.burst(ctx, &ack, rep); err != nil {
				return err
			}
		}
	}
	rep.Injects.FanOut, rep.Injects.EndToEnd, rep.Injects.Ready = fan.dist(), e2e.dist(), ready.dist()
	rep.Answers.Ack = ack.dist()
	if m, err := r.metrics(ctx, false); err == nil {
		rep.Memory.RSSPeak = m.RSSPeak
	}
	if rep.Injects.Rounds > 0 {
		r.logf("inject fan-out %s", rep.Injects.FanOut)
	}
	if rep.Answers.Sent > 0 {
		r.logf("answer acks %s", rep.Answers.Ack)
	}
	return nil
}

// burst has every participant answer one open question at a random moment within the
// burst window, and waits for the acks.
func (r *runner) burst(ctx context.Context, ack *samples, rep *Report) error {
	type job struct {
		p *participant
		q *questionInfo
	}
	var jobs []job
	for _, p := range r.parts {
		p.mu.Lock()
		var q *questionInfo
		if in := r.injects[p.inject]; in != nil {
			for i := range in.Questions {
				if p.opened[in.Questions[i].ID] && in.Questions[i].askedOf(p.role) && q == nil {
					q = &in.Questions[i]
				}
			}
		}
		p.mu.Unlock()
		if q != nil {
			jobs = append(jobs, job{p, q})
		}
	}
	ph := newPhase("burst", len(r.parts))
	ph.want = len(jobs)
	if ph.want == 0 {
		return nil
	}
	r.phase.Store(ph)
	defer r.phase.Store(nil)
	before, _ := r.metrics(ctx, false)
	start := time.Now()
	for _, j := range jobs {
		time.AfterFunc(rand.N(r.cfg.BurstWindow), func() { j.p.answer(j.q) })
	}
	if r.cfg.Crash != nil && !r.crashed {
		// Answers in flight at the kill get no ack; those are allowed to be lost (or stored
		// without an ack). Everything acked before it must be in the log afterwards.
		time.Sleep(rand.N(r.cfg.BurstWindow))
		r.logf("killing the server (SIGKILL) in the middle of the burst")
		r.crashed = true
		r.killedAt.Store(time.Now().UnixNano())
		if err := r.cfg.Crash(ctx); err != nil {
			return fmt.Errorf("crash and restart: %w", err)
		}
		rep.Crashed = true
		rep.KilledNode = len(r.cfg.Nodes) > 0
		select {
		case <-ph.done:
		case <-time.After(r.cfg.BurstWindow):
		}
	} else {
		r.wait(ctx, ph.done, "the answer acks")
	}
	el := time.Since(start)
	after, _ := r.metrics(ctx, false)
	missing := ph.collect(ack, &samples{})
	rep.Answers.Sent += len(jobs)
	rep.Answers.Acked += len(jobs) - missing
	rep.Answers.Bursts++
	rep.Answers.Elapsed += el
	if before != nil && after != nil && before.Live != nil && after.Live != nil {
		rep.Answers.Stored += after.Live.AnswersStored - before.Live.AnswersStored
		rep.Answers.Appends += after.Live.Appends - before.Live.Appends
	}
	if before != nil && after != nil {
		rep.Answers.CPU += time.Duration(after.CPUUserMS+after.CPUSystemMS-before.CPUUserMS-before.CPUSystemMS) * time.Millisecond
		rep.Answers.Alloc += after.TotalAlloc - before.TotalAlloc
	}
	if rep.Answers.Elapsed > 0 {
		rep.Answers.PerSecond = float64(rep.Answers.Acked) / rep.Answers.Elapsed.Seconds()
	}
	return nil
}

// flood toggles pause and resume in every session for the configured time.
func (r *runner) flood(ctx context.Context, rep *Report) error {
	ph := newPhase("flood", 0)
	r.phase.Store(ph)
	defer r.phase.Store(nil)
	r.logf("flooding: %.0f broadcasts/s in each of %d sessions for %s", r.cfg.FloodRate, len(r.sessions), r.cfg.Flood)
	before, _ := r.metrics(ctx, false)
	recv0 := r.received.Load()
	start := time.Now()
	var commands atomic.Int64
	err := r.eachSession(ctx, func(s *session) error {
		every := time.Duration(float64(time.Second) / r.cfg.FloodRate)
		next := time.Now()
		paused := false
		for time.Since(start) < r.cfg.Flood || paused {
			typ := "pause"
			if paused {
				typ = "resume_session"
			}
			if err := s.fac.command(ctx, map[string]any{"type": typ}); err != nil {
				return err
			}
			paused = !paused
			commands.Add(1)
			next = next.Add(every)
			time.Sleep(time.Until(next))
		}
		return nil
	})
	el := time.Since(start)
	// Let the last broadcasts arrive before counting.
	time.Sleep(200 * time.Millisecond)
	recv := r.received.Load() - recv0
	after, _ := r.metrics(ctx, false)
	if err != nil {
		return err
	}
	f := &rep.Flood
	f.Duration, f.Broadcasts, f.Received = el, commands.Load(), recv
	f.ReceivedPerSecond = float64(recv) / el.Seconds()
	f.Rate = r.cfg.FloodRate
	ph.floodMu.Lock()
	f.Messages = ph.floodMsgs
	ph.floodMu.Unlock()
	f.Latency = ph.flood.dist()
	if before != nil && after != nil {
		wall := after.Time.Sub(before.Time).Seconds()
		cpu := float64((after.CPUUserMS+after.CPUSystemMS)-(before.CPUUserMS+before.CPUSystemMS)) / 1000
		f.ServerCores = cpu / wall
		if before.Live != nil && after.Live != nil {
			sent := after.Live.MessagesSent - before.Live.MessagesSent
			f.SentPerSecond = float64(sent) / wall
			if w := after.Live.Writes - before.Live.Writes; w > 0 {
				f.MessagesPerWrite = float64(sent) / float64(w)
			}
			f.SlowConsumers = after.Live.SlowConsumers - before.Live.SlowConsumers
		}
	}
	r.logf("flood: %.0f messages/s received, server %.0f sent/s on %.2f cores", f.ReceivedPerSecond, f.SentPerSecond, f.ServerCores)
	return nil
}

// reconnect drops every connection at once (or restarts the server) and has every
// participant resume, then checks that each got back its acknowledged answers and that
// re-sending one is acknowledged as a duplicate.
func (r *runner) reconnect(ctx context.Context, rep *Report) error {
	rc := &rep.Reconnect
	rc.Clients = len(r.parts)
	start := time.Now()
	if r.cfg.Restart != nil || r.crashed {
		rc.Restarted = true
		if !r.crashed {
			r.logf("restarting the server")
			if err := r.cfg.Restart(ctx); err != nil {
				return fmt.Errorf("restarting the server: %w", err)
			}
		}
		// Logins live in the server's memory: log in again and watch again.
		if err := r.login(ctx); err != nil {
			return err
		}
		for _, s := range r.sessions {
			if err := s.fac.connect(ctx); err != nil {
				return err
			}
		}
	}
	if !rc.Restarted || len(r.cfg.Nodes) > 0 {
		// With several nodes only the killed node's connections broke: the others are
		// dropped too, so that everyone resumes (on whichever node) and is checked.
		r.logf("dropping %d connections", len(r.parts))
		for _, p := range r.parts {
			p.drop()
		}
	}
	for _, p := range r.parts {
		if p.closed != nil {
			<-p.closed
		}
	}
	dropped := time.Now()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var took, tries samples
	rctx, cancel := context.WithTimeout(ctx, r.cfg.PhaseTimeout)
	defer cancel()
	for _, p := range r.parts {
		if p.id == "" {
			continue // never joined
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, n, err := p.reconnect(rctx, 250*time.Millisecond, 4*time.Second)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				rc.Failed++
				r.errorf("resuming: %v", err)
				return
			}
			took.add(time.Since(dropped))
			tries.add(time.Duration(n))
			rc.Resumed++
			// Every acknowledged answer must be in the snapshot, with its sequence number.
			p.mu.Lock()
			defer p.mu.Unlock()
			have := map[string]int64{}
			if s.Me != nil {
				for _, a := range s.Me.Answers {
					have[a.ID] = a.Seq
				}
			}
			for id, seq := range p.acked {
				if have[id] != seq {
					rc.StateLost++
					r.errorf("after resuming, answer %s is missing from the snapshot", id)
					return
				}
			}
		}()
	}
	wg.Wait()
	rc.Elapsed = time.Since(start)
	rc.Time = took.dist()
	td := tries.dist()
	rc.TriesP50, rc.TriesMax = int(td.P50), int(td.Max)
	r.logf("%d of %d resumed; all within %s", rc.Resumed, rc.Clients, rc.Time.Max.Round(time.Millisecond))
	// Re-send one acknowledged answer per participant: it must come back as a duplicate.
	var dmu sync.Mutex
	for _, p := range r.parts {
		p.mu.Lock()
		var id string
		var seq int64
		for i, s := range p.acked {
			id, seq = i, s
			break
		}
		q := p.asked[id]
		p.mu.Unlock()
		if q == nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := p.resend(ctx, id, seq, q)
			dmu.Lock()
			defer dmu.Unlock()
			if err != nil {
				rc.ResendFailed++
				r.errorf("%v", err)
				return
			}
			rc.ResendOK++
		}()
	}
	wg.Wait()
	return nil
}

// verify reads every session's report and checks that every acknowledged answer is in it
// exactly once.
func (r *runner) verify(ctx context.Context, rep *Report) error {
	x := &rep.ExactlyOnce
	for _, s := range r.sessions {
		var report struct {
			Answers []struct {
				ID          string `json:"id"`
				Participant string `json:"participant"`
			} `json:"answers"`
		}
		if err := r.do(ctx, "GET", "/api/sessions/"+s.id+"/report", nil, &report); err != nil {
			return fmt.Errorf("report of %s: %w", s.id, err)
		}
		count := map[string]int{}
		owner := map[string]string{}
		for _, a := range report.Answers {
			count[a.ID]++
			owner[a.ID] = a.Participant
		}
		x.InReport += len(report.Answers)
		acked := map[string]bool{}
		for _, p := range s.parts {
			p.mu.Lock()
			for id := range p.acked {
				acked[id] = true
				x.Acked++
				switch {
				case count[id] == 0:
					x.Missing++
				case count[id] > 1:
					x.Doubled++
				case owner[id] != p.id:
					x.WrongOwner++
				}
			}
			p.mu.Unlock()
		}
		for id, n := range count {
			if !acked[id] {
				x.Unacked += n // stored, but the ack never arrived: allowed, and re-sent it would be acked
			}
		}
	}
	for _, s := range r.sessions {
		if err := r.compareLive(ctx, s, x); err != nil {
			return err
		}
	}
	x.OK = x.Missing == 0 && x.Doubled == 0 && x.WrongOwner == 0 && x.LiveDiffers == 0
	r.logf("exactly once: %d acked, %d in the reports, %d missing, %d doubled", x.Acked, x.InReport, x.Missing, x.Doubled)
	return nil
}

// compareLive compares a session's live state (a new watch's snapshot: the server's memory)
// with the replay of its log (the report, folded from the log): every participant's total
// and answers, every world's path and total must be equal.
func (r *runner) compareLive(ctx context.Context, s *session, x *ExactlyOnce) error {
	ws, err := r.d.dial(ctx, true)
	if err != nil {
		return err
	}
	defer ws.Close()
	if err := ws.WriteJSON(map[string]any{"type": "watch", "session": s.id}); err != nil {
		return err
	}
	type total = map[string]any
	var snap struct {
		Type       string `json:"type"`
		Aggregates struct {
			Participants []struct {
				ID       string   `json:"id"`
				Total    total    `json:"total"`
				Answered []string `json:"answered"`
			} `json:"participants"`
			Worlds []struct {
				ID    string   `json:"id"`
				Path  []string `json:"path"`
				Total total    `json:"total"`
			} `json:"worlds"`
		} `json:"aggregates"`
	}
	ws.SetReadDeadline(time.Now().Add(30 * time.Second))
	for snap.Type != "snapshot" {
		_, data, err := ws.ReadMessage()
		if err != nil {
			return fmt.Errorf("watching %s: %w", s.id, err)
		}
		if bytes.HasPrefix(data, prefixSnapshot) {
			if err := json.Unmarshal(data, &snap); err != nil {
				return err
			}
		}
	}
	var report struct {
		Participants []struct {
			ID    string `json:"id"`
			Total total  `json:"total"`
		} `json:"participants"`
		Worlds []struct {
			ID   string `json:"id"`
			Path []struct {
				Inject string `json:"inject"`
			} `json:"path"`
			Total total `json:"total"`
		} `json:"worlds"`
		Answers []struct {
			Participant string `json:"participant"`
		} `json:"answers"`
	}
	if err := r.do(ctx, "GET", "/api/sessions/"+s.id+"/report", nil, &report); err != nil {
		return fmt.Errorf("report of %s: %w", s.id, err)
	}
	same := func(a, b any) bool {
		x, _ := json.Marshal(a)
		y, _ := json.Marshal(b)
		return bytes.Equal(x, y)
	}
	answered := map[string]int{}
	for _, a := range report.Answers {
		answered[a.Participant]++
	}
	replayed := map[string]total{}
	for _, p := range report.Participants {
		replayed[p.ID] = p.Total
	}
	for _, p := range snap.Aggregates.Participants {
		if !same(p.Total, replayed[p.ID]) || len(p.Answered) != answered[p.ID] {
			x.LiveDiffers++
			r.errorf("session %s, participant %s: live %v (%d answers), replayed %v (%d answers)", s.id, p.ID,
				p.Total, len(p.Answered), replayed[p.ID], answered[p.ID])
		}
	}
	if len(snap.Aggregates.Participants) != len(report.Participants) {
		x.LiveDiffers++
		r.errorf("session %s: %d participants live, %d replayed", s.id, len(snap.Aggregates.Participants), len(report.Participants))
	}
	paths := map[string][]string{}
	totals := map[string]total{}
	for _, w := range report.Worlds {
		paths[w.ID] = []string{}
		for _, st := range w.Path {
			paths[w.ID] = append(paths[w.ID], st.Inject)
		}
		totals[w.ID] = w.Total
	}
	for _, w := range snap.Aggregates.Worlds {
		if p, ok := paths[w.ID]; !ok || !same(w.Path, p) || !same(w.Total, totals[w.ID]) {
			x.LiveDiffers++
			r.errorf("session %s, world %s: live and replayed path or total differ", s.id, w.ID)
		}
	}
	x.Compared++
	return nil
}

func (r *runner) closeAll() {
	for _, p := range r.parts {
		if p != nil {
			p.drop()
		}
	}
	for _, s := range r.sessions {
		s.fac.wmu.Lock()
		if s.fac.ws != nil {
			s.fac.ws.Close()
		}
		s.fac.wmu.Unlock()
	}
}
