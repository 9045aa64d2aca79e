package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/gorilla/websocket"
)

// Prefixes of the server's messages. The server encodes `type` first, so a client that only
// counts a message (a world view, the aggregates) need not parse it: parsing every view of a
// 5,000-client broadcast would cost the load tool more CPU than the server spends sending it.
var (
	prefixEvent    = []byte(`{"type":"event"`)
	prefixAck      = []byte(`{"type":"ack"`)
	prefixError    = []byte(`{"type":"error"`)
	prefixWelcome  = []byte(`{"type":"welcome"`)
	prefixSnapshot = []byte(`{"type":"snapshot"`)
	prefixWorld    = []byte(`{"type":"world"`)
)

// worldView is the part of a `world` message the tool reads to decide whether a participant
// holds everything it needs to answer: the new inject and its questions open.
type worldView struct {
	World struct {
		Inject *struct {
			ID string `json:"id"`
		} `json:"inject"`
		Questions []struct {
			State string `json:"state"`
		} `json:"questions"`
	} `json:"world"`
}

// event is the part of an `event` message the tool reads.
type event struct {
	Seq      int64      `json:"seq"`
	Kind     string     `json:"kind"`
	World    string     `json:"world"`
	Question string     `json:"question"`
	Inject   string     `json:"inject"`
	Sent     *time.Time `json:"sent"`
}

// reply is an `ack` or an `error`.
type reply struct {
	Type      string `json:"type"`
	Seq       int64  `json:"seq"`
	Ref       string `json:"ref"`
	ID        string `json:"id"`
	Duplicate bool   `json:"duplicate"`
	Code      string `json:"code"`
	Message   string `json:"message"`
}

type welcome struct {
	Type        string `json:"type"`
	Seq         int64  `json:"seq"`
	Participant string `json:"participant"`
	Token       string `json:"token"`
	Role        string `json:"role"`
	World       string `json:"world"`
}

type snapshot struct {
	Type string `json:"type"`
	Seq  int64  `json:"seq"`
	Me   *struct {
		Answers []struct {
			ID  string `json:"id"`
			Seq int64  `json:"seq"`
		} `json:"answers"`
	} `json:"me"`
}

// dialer opens websockets to the target, spreading connections over local source addresses
// when several are given: one address has only about 28,000 ephemeral ports.
type dialer struct {
	ws      []*url.URL // one per node: connections go round robin over them
	origins []string
	sources []net.IP
	next    atomic.Uint64
	nextWS  atomic.Uint64
	jar     http.CookieJar
}

func newDialer(targets []string, sources int, jar http.CookieJar) (*dialer, error) {
	d := &dialer{jar: jar}
	var u *url.URL
	for _, target := range targets {
		var err error
		u, err = url.Parse(target)
		if err != nil || u.Host == "" {
			return nil, fmt.Errorf("target %q: want http://host:port", target)
		}
		ws := *u
		ws.Scheme = "ws"
		if u.Scheme == "https" {
			ws.Scheme = "wss"
		}
		ws.Path = strings.TrimSuffix(u.Path, "/") + "/api/ws"
		d.ws = append(d.ws, &ws)
		d.origins = append(d.origins, u.Scheme+"://"+u.Host)
	}
	if ip := net.ParseIP(u.Hostname()); ip != nil && ip.IsLoopback() && ip.To4() != nil {
		for i := 1; i <= sources; i++ {
			d.sources = append(d.sources, net.IPv4(127, 0, 0, byte(i)))
		}
	}
	return d, nil
}

func (d *dialer) dial(ctx context.Context, cookies bool) (*websocket.Conn, error) {
	nd := &net.Dialer{Timeout: 10 * time.Second}
	if len(d.sources) > 1 {
		nd.LocalAddr = &net.TCPAddr{IP: d.sources[d.next.Add(1)%uint64(len(d.sources))]}
	}
	wd := websocket.Dialer{NetDialContext: nd.DialContext, HandshakeTimeout: 15 * time.Second,
		ReadBufferSize: 4096, WriteBufferSize: 1024}
	if cookies {
		wd.Jar = d.jar
	}
	// A node that refuses the connection (it is down) is skipped for the next, as a proxy
	// in front of the nodes would.
	var err error
	for range d.ws {
		i := d.nextWS.Add(1) % uint64(len(d.ws))
		h := http.Header{"Origin": {d.origins[i]}}
		var ws *websocket.Conn
		var resp *http.Response
		ws, resp, err = wd.DialContext(ctx, d.ws[i].String(), h)
		if resp != nil && resp.Body != nil {
			resp.Body.Close()
		}
		if err == nil || resp != nil || ctx.Err() != nil {
			return ws, err
		}
	}
	return nil, err
}

// participant is one simulated participant: one websocket, one reader goroutine.
type participant struct {
	idx  int
	sess *session
	run  *runner

	wmu sync.Mutex // writes: the coordinator answers while the reader reads
	ws  *websocket.Conn

	id, token, role string
	joinID          string // sent with the join, so that a retried join gives the same participant
	lastSeq         atomic.Int64
	received        atomic.Int64 // messages read
	closed          chan struct{}

	// Set by the reader, read by the coordinator after a phase.
	mu      sync.Mutex
	acked   map[string]int64         // answer id → seq of its ack
	sent    map[string]time.Time     // answer id → when it was sent, until acked
	asked   map[string]*questionInfo // answer id → its question
	answers map[string]any           // answer id → the answer sent, to send again after unavailable
	byRef   map[string]string        // ref of an answer → its id (an error names only the ref)
	retries map[string]int           // answer id → times sent again
	inject  string                   // the world's current inject
	opened  map[string]bool          // questions of the current inject opened for this world
	waitDup map[string]chan reply

	// Only the reader goroutine touches these.
	lastInject *phase
	lastOpen   *phase
	ready      readiness
}

// readiness follows one participant through an inject round until it holds everything it
// needs to act: the inject event, every question opened, and a world view showing both.
type readiness struct {
	ph             *phase
	inject, world  bool
	opens          int
	sizes          []int
	msgs           [][]byte
	injectID       string
	recorded, seen bool
}

// keepHello keeps what the first participant received for its join (the welcome and the
// snapshot): the baseline sends the same after the ack of a join.
func (p *participant) keepHello(resume bool, data []byte) {
	if resume || p.idx != 0 {
		return
	}
	p.run.helloMu.Lock()
	if len(p.run.hello) < 2 {
		p.run.hello = append(p.run.hello, bytes.Clone(data))
	}
	p.run.helloMu.Unlock()
}

// decodeAsParticipant decodes a message as a participant must to know what it holds, and
// nothing else: the baseline's clients do this same work on the same bytes, so that the
// clients' share of the shared cores is the same in both runs.
func decodeAsParticipant(data []byte) {
	switch {
	case bytes.HasPrefix(data, prefixWelcome):
		var w welcome
		json.Unmarshal(data, &w)
	case bytes.HasPrefix(data, prefixSnapshot):
		var s snapshot
		json.Unmarshal(data, &s)
	case bytes.HasPrefix(data, prefixEvent):
		var e event
		json.Unmarshal(data, &e)
	case bytes.HasPrefix(data, prefixWorld):
		var w worldView
		json.Unmarshal(data, &w)
	}
}

// track is called by the reader for every message during an inject round.
func (p *participant) track(ph *phase, data []byte, now time.Time) {
	r := &p.ready
	if r.ph != ph {
		*r = readiness{ph: ph}
	}
	if r.recorded {
		return
	}
	r.sizes = append(r.sizes, len(data))
	r.msgs = append(r.msgs, data)
	need := 1
	switch {
	case bytes.HasPrefix(data, prefixEvent):
		var e event
		if json.Unmarshal(data, &e) != nil {
			return
		}
		switch e.Kind {
		case "inject":
			r.inject, r.injectID = true, e.Inject
		case "open":
			r.opens++
		}
	case bytes.HasPrefix(data, prefixWorld) && r.inject:
		var w worldView
		if json.Unmarshal(data, &w) != nil || w.World.Inject == nil || w.World.Inject.ID != r.injectID {
			return
		}
		open := 0
		for _, q := range w.World.Questions {
			if q.State == "open" {
				open++
			}
		}
		r.world = open == len(w.World.Questions) && open > 0
	}
	p.mu.Lock()
	if in := p.run.injects[r.injectID]; in != nil {
		need = len(in.Questions)
	}
	p.mu.Unlock()
	if r.inject && r.world && r.opens >= need {
		r.recorded = true
		ph.recordReady(p.idx, now, p.sess.sentAt(), r.msgs)
	}
}

// hello sends join or resume and reads the welcome and the snapshot. A join refused as
// unavailable (the server could not save it) is sent again, with the same id, a few times.
func (p *participant) hello(ctx context.Context, resume bool) (snapshot, error) {
	for try := 1; ; try++ {
		s, err := p.hello1(ctx, resume)
		if err == nil || !strings.HasPrefix(err.Error(), "unavailable:") || try == maxRetries {
			return s, err
		}
		p.run.retriedHellos.Add(1)
		time.Sleep(retryDelay())
	}
}

// maxRetries bounds how often a client sends a message again after unavailable.
const maxRetries = 20

func retryDelay() time.Duration { return 50*time.Millisecond + rand.N(200*time.Millisecond) }

func (p *participant) hello1(ctx context.Context, resume bool) (snapshot, error) {
	ws, err := p.run.d.dial(ctx, false)
	if err != nil {
		return snapshot{}, err
	}
	var msg map[string]any
	if resume {
		msg = map[string]any{"type": "resume", "token": p.token, "last_seq": p.lastSeq.Load()}
	} else {
		msg = map[string]any{"type": "join", "code": p.sess.code, "name": fmt.Sprintf("deelnemer %d", p.idx), "lang": "nl", "id": p.joinID}
	}
	ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if err := ws.WriteJSON(msg); err != nil {
		ws.Close()
		return snapshot{}, err
	}
	ws.SetReadDeadline(time.Now().Add(30 * time.Second))
	var w welcome
	var s snapshot
	for s.Type == "" {
		_, data, err := ws.ReadMessage()
		if err != nil {
			ws.Close()
			return snapshot{}, err
		}
		switch {
		case bytes.HasPrefix(data, prefixWelcome):
			if err := json.Unmarshal(data, &w); err != nil {
				ws.Close()
				return snapshot{}, err
			}
			p.keepHello(resume, data)
		case bytes.HasPrefix(data, prefixSnapshot):
			if err := json.Unmarshal(data, &s); err != nil {
				ws.Close()
				return snapshot{}, err
			}
			p.keepHello(resume, data)
		case bytes.HasPrefix(data, prefixError):
			var r reply
			json.Unmarshal(data, &r)
			ws.Close()
			return snapshot{}, fmt.Errorf("%s: %s", r.Code, r.Message)
		}
	}
	ws.SetReadDeadline(time.Time{})
	if resume && w.Participant != p.id {
		ws.Close()
		return snapshot{}, fmt.Errorf("resumed as %q, not %q", w.Participant, p.id)
	}
	if !resume {
		p.id, p.token, p.role = w.Participant, w.Token, w.Role
	}
	if s.Seq > p.lastSeq.Load() {
		p.lastSeq.Store(s.Seq)
	}
	p.wmu.Lock()
	p.ws = ws
	p.wmu.Unlock()
	p.closed = make(chan struct{})
	go p.read(ws, p.closed)
	return s, nil
}

func (p *participant) send(v any) error {
	p.wmu.Lock()
	defer p.wmu.Unlock()
	if p.ws == nil {
		return errors.New("not connected")
	}
	p.ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
	return p.ws.WriteJSON(v)
}

// read is the connection's reader; it ends when the connection does.
func (p *participant) read(ws *websocket.Conn, closed chan struct{}) {
	defer close(closed)
	defer ws.Close()
	for {
		_, data, err := ws.ReadMessage()
		if err != nil {
			return
		}
		now := time.Now()
		p.received.Add(1)
		p.run.received.Add(1)
		if ph := p.run.phase.Load(); ph != nil && ph.kind == "inject" {
			p.track(ph, data, now)
		} else if ph != nil && ph.kind == "flood" && p.idx == 0 && (bytes.HasPrefix(data, prefixEvent) || bytes.HasPrefix(data, prefixWorld)) {
			ph.floodMu.Lock()
			if len(ph.floodMsgs) < 2 {
				ph.floodMsgs = append(ph.floodMsgs, bytes.Clone(data))
			}
			ph.floodMu.Unlock()
		}
		switch {
		case bytes.HasPrefix(data, prefixEvent):
			var e event
			if json.Unmarshal(data, &e) != nil {
				p.run.errorf("undecodable event")
				continue
			}
			p.lastSeq.Store(e.Seq)
			p.onEvent(e, now)
		case bytes.HasPrefix(data, prefixAck), bytes.HasPrefix(data, prefixError):
			var r reply
			if json.Unmarshal(data, &r) != nil {
				p.run.errorf("undecodable reply")
				continue
			}
			p.onReply(r, now)
		}
	}
}

func (p *participant) onEvent(e event, now time.Time) {
	switch e.Kind {
	case "started", "inject":
		p.mu.Lock()
		if e.Kind == "inject" {
			p.inject = e.Inject
		}
		clear(p.opened)
		p.mu.Unlock()
		ph := p.run.phase.Load()
		if ph == nil || ph.kind != e.Kind || p.lastInject == ph {
			return
		}
		p.lastInject = ph
		ph.record(p.idx, now, e.Sent, p.sess.sentAt())
	case "open":
		p.mu.Lock()
		p.opened[e.Question] = true
		n := len(p.opened)
		need := 1
		if in := p.run.injects[p.inject]; in != nil {
			need = len(in.Questions)
		}
		p.mu.Unlock()
		ph := p.run.phase.Load()
		if ph == nil || ph.kind != "inject" || p.lastOpen == ph || n < need {
			return
		}
		p.lastOpen = ph
		ph.opened.Add(1)
		if ph.opened.Load() == int64(ph.want) {
			ph.openDone.Do(func() { close(ph.allOpen) })
		}
	case "paused", "resumed":
		if ph := p.run.phase.Load(); ph != nil && ph.kind == "flood" && e.Sent != nil {
			ph.flood.add(now.Sub(*e.Sent))
		}
	}
}

func (p *participant) onReply(r reply, now time.Time) {
	if k := p.run.killedAt.Load(); k != 0 && r.Type == "ack" && r.ID != "" && now.UnixNano() > k {
		p.run.firstAckAfter.CompareAndSwap(0, now.UnixNano())
	}
	if r.ID == "" && r.Type == "error" && r.Code == "unavailable" {
		p.mu.Lock()
		r.ID = p.byRef[r.Ref]
		p.mu.Unlock()
	}
	if r.ID == "" {
		if r.Type == "error" {
			p.run.errorf("error %s: %s", r.Code, r.Message)
		}
		return
	}
	p.mu.Lock()
	if ch := p.waitDup[r.ID]; ch != nil {
		delete(p.waitDup, r.ID)
		p.mu.Unlock()
		ch <- r
		return
	}
	if r.Type == "error" && r.Code == "unavailable" && p.answers[r.ID] != nil && p.retries[r.ID] < maxRetries {
		// Not saved, and the server says so: send the same answer again, same id.
		p.retries[r.ID]++
		a, q := p.answers[r.ID], p.asked[r.ID]
		p.mu.Unlock()
		p.run.retriedAnswers.Add(1)
		time.AfterFunc(retryDelay(), func() {
			if err := p.send(map[string]any{"type": "answer", "id": r.ID, "question": q.ID, "answer": a, "ref": r.ID[:8]}); err != nil {
				p.run.errorf("sending an answer again: %v", err)
			}
		})
		return
	}
	t0, ok := p.sent[r.ID]
	delete(p.sent, r.ID)
	if r.Type == "ack" {
		if prev, seen := p.acked[r.ID]; seen && prev != r.Seq {
			p.mu.Unlock()
			p.run.errorf("answer %s acked twice with seq %d and %d", r.ID, prev, r.Seq)
			return
		}
		p.acked[r.ID] = r.Seq
	}
	p.mu.Unlock()
	if r.Type == "error" {
		p.run.errorf("answer refused: %s: %s", r.Code, r.Message)
	}
	if ok && r.Type == "ack" {
		if ph := p.run.phase.Load(); ph != nil && ph.kind == "burst" {
			ph.record(p.idx, now, &t0, time.Time{})
		}
	}
}

// answer sends an answer to the first open question asked of the participant's role.
func (p *participant) answer(q *questionInfo) {
	id := uuid.NewString()
	a := q.answer()
	msg := map[string]any{"type": "answer", "id": id, "question": q.ID, "answer": a, "ref": id[:8]}
	p.mu.Lock()
	p.sent[id] = time.Now()
	p.asked[id] = q
	p.answers[id] = a
	p.byRef[id[:8]] = id
	p.mu.Unlock()
	if err := p.send(msg); err != nil {
		p.run.errorf("sending an answer: %v", err)
		p.mu.Lock()
		delete(p.sent, id)
		p.mu.Unlock()
	}
}

// resend sends an already acknowledged answer again and checks that the server acks it as a
// duplicate with the same sequence number.
func (p *participant) resend(ctx context.Context, id string, seq int64, q *questionInfo) error {
	ch := make(chan reply, 1)
	p.mu.Lock()
	p.waitDup[id] = ch
	p.mu.Unlock()
	if err := p.send(map[string]any{"type": "answer", "id": id, "question": q.ID, "answer": q.answer()}); err != nil {
		return err
	}
	select {
	case r := <-ch:
		switch {
		case r.Type != "ack":
			return fmt.Errorf("re-sent answer refused: %s %s", r.Code, r.Message)
		case !r.Duplicate || r.Seq != seq:
			return fmt.Errorf("re-sent answer acked as new (duplicate %v, seq %d, first seq %d)", r.Duplicate, r.Seq, seq)
		}
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(10 * time.Second):
		return errors.New("no ack for a re-sent answer")
	}
}

func (p *participant) drop() {
	p.wmu.Lock()
	ws := p.ws
	p.ws = nil
	p.wmu.Unlock()
	if ws != nil {
		ws.NetConn().Close() // abrupt, like a phone losing its network
	}
}

// reconnect resumes with full-jitter exponential backoff: the first try comes at a random
// moment within base, each next one within twice the previous window, up to limit. Spread
// like this, a room that lost the server at once comes back as a trickle, not a stampede.
func (p *participant) reconnect(ctx context.Context, base, limit time.Duration) (snapshot, int, error) {
	window := base
	var last error
	for try := 1; ; try++ {
		select {
		case <-time.After(rand.N(window)):
		case <-ctx.Done():
			return snapshot{}, try, fmt.Errorf("%w (last error: %v)", ctx.Err(), last)
		}
		s, err := p.hello(ctx, true)
		if err == nil {
			return s, try, nil
		}
		last = err
		window = min(2*window, limit)
	}
}

// facilitator is the logged-in facilitator of one session, connected with `watch`.
type facilitator struct {
	sess *session
	run  *runner

	wmu  sync.Mutex
	ws   *websocket.Conn
	refs atomic.Int64

	mu      sync.Mutex
	waiting map[string]chan reply
}

func (f *facilitator) connect(ctx context.Context) error {
	ws, err := f.run.d.dial(ctx, true)
	if err != nil {
		return fmt.Errorf("facilitator websocket: %w", err)
	}
	if err := ws.WriteJSON(map[string]any{"type": "watch", "session": f.sess.id}); err != nil {
		ws.Close()
		return err
	}
	f.wmu.Lock()
	f.ws = ws
	f.wmu.Unlock()
	go f.read(ws)
	return nil
}

func (f *facilitator) read(ws *websocket.Conn) {
	defer ws.Close()
	for {
		_, data, err := ws.ReadMessage()
		if err != nil {
			f.mu.Lock()
			for ref, ch := range f.waiting {
				ch <- reply{Type: "error", Code: "closed", Message: err.Error()}
				delete(f.waiting, ref)
			}
			f.mu.Unlock()
			return
		}
		if !bytes.HasPrefix(data, prefixAck) && !bytes.HasPrefix(data, prefixError) {
			continue
		}
		var r reply
		if json.Unmarshal(data, &r) != nil || r.Ref == "" {
			continue
		}
		f.mu.Lock()
		ch := f.waiting[r.Ref]
		delete(f.waiting, r.Ref)
		f.mu.Unlock()
		if ch != nil {
			ch <- r
		}
	}
}

// command sends a facilitator command and waits for its ack; a command refused as
// unavailable (not saved, so not made) is sent again a few times.
func (f *facilitator) command(ctx context.Context, msg map[string]any) error {
	for try := 1; ; try++ {
		err := f.command1(ctx, msg)
		if err == nil || !strings.Contains(err.Error(), ": unavailable: ") || try == maxRetries {
			return err
		}
		f.run.retriedCommands.Add(1)
		time.Sleep(retryDelay())
	}
}

func (f *facilitator) command1(ctx context.Context, msg map[string]any) error {
	ref := fmt.Sprint("f", f.refs.Add(1))
	msg["ref"] = ref
	ch := make(chan reply, 1)
	f.mu.Lock()
	f.waiting[ref] = ch
	f.mu.Unlock()
	f.wmu.Lock()
	f.sess.markSent(time.Now())
	f.ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
	err := f.ws.WriteJSON(msg)
	f.wmu.Unlock()
	if err != nil {
		return err
	}
	select {
	case r := <-ch:
		if r.Type != "ack" {
			return fmt.Errorf("%s: %s: %s", msg["type"], r.Code, r.Message)
		}
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(30 * time.Second):
		return fmt.Errorf("%s: no ack within 30s", msg["type"])
	}
}
