package live

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paraat-nl/paraat/engine"
	"github.com/paraat-nl/paraat/internal/builtin"
	"github.com/paraat-nl/paraat/server"
	"github.com/paraat-nl/paraat/server/sqlite"
)

// recordingStore is a real store that notes how many records each append carried; while
// gate is set, an append waits for it to be closed, and says so on held.
type recordingStore struct {
	server.Store
	mu      sync.Mutex
	appends []int
	gate    chan struct{}
	held    chan struct{}
}

func (s *recordingStore) Append(ctx context.Context, session string, recs []server.Record) ([]server.Record, error) {
	s.mu.Lock()
	s.appends = append(s.appends, len(recs))
	gate := s.gate
	s.gate = nil
	s.mu.Unlock()
	if gate != nil {
		s.held <- struct{}{}
		<-gate
	}
	return s.Store.Append(ctx, session, recs)
}

// hold makes the next append wait until the returned function is called.
func (s *recordingStore) hold() (release func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gate, s.held = make(chan struct{}), make(chan struct{}, 1)
	g := s.gate
	return func() { close(g) }
}

func (s *recordingStore) sizes() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]int(nil), s.appends...)
}

// groupHub is a manager on a real SQLite store that notes its appends, and the hub of a
// shared session of the example scenario.
func groupHub(t *testing.T) (*recordingStore, *hub) {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "paraat.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	store := &recordingStore{Store: db}
	lib, diags := builtin.Library()
	if diags.Errors() > 0 {
		t.Fatal(diags.Err())
	}
	m := New(store, lib, Options{Codes: server.NewCodeGuard(nil)})
	if err := m.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Shutdown(ctx) })
	row, err := m.Create(ctx, "anna", server.CreateSession{Scenario: "voorbeeld", Scope: server.ScopeShared})
	if err != nil {
		t.Fatal(err)
	}
	h, err := m.hub(ctx, row.ID)
	if err != nil {
		t.Fatal(err)
	}
	return store, h
}

// TestJoinsQueuedTogether holds a session's hub while joins queue behind it, and checks that
// they are committed in one append and that each participant comes out as if they had joined
// one by one: a participant each, names made unique in the order queued, a welcome each.
func TestJoinsQueuedTogether(t *testing.T) {
	ctx := context.Background()
	store, h := groupHub(t)
	held, release := make(chan struct{}), make(chan struct{})
	go h.call(ctx, func() error { close(held); <-release; return nil })
	<-held
	before := len(store.sizes())

	const n = 40
	clients := make([]*client, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range clients {
		clients[i] = newClient(8)
		msg := server.ClientMsg{Type: server.MsgJoin, Name: "Ann", ID: fmt.Sprintf("00000000-0000-4000-8000-%012d", i)}
		if i == n-1 {
			msg.ID = "" // a join without an id of its own gets a resume token from the server
		}
		wg.Go(func() { errs[i] = h.joinCall(ctx, clients[i], msg) })
		for len(h.cmds) < i+1 { // queued in this order: the order of the numbered names
			time.Sleep(time.Millisecond)
		}
	}
	close(release)
	wg.Wait()

	if got := store.sizes()[before:]; len(got) != 1 || got[0] != n {
		t.Errorf("appends after the hold carried %v records, want one append of %d", got, n)
	}
	names := map[string]bool{}
	for i, c := range clients {
		if errs[i] != nil {
			t.Fatalf("join %d: %v", i, errs[i])
		}
		p := h.st.Participant(c.pid)
		if p == nil {
			t.Fatalf("join %d: no participant", i)
		}
		want := "Ann"
		if i > 0 {
			want = fmt.Sprintf("Ann (%d)", i+1)
		}
		if p.Name() != want {
			t.Errorf("join %d is named %q, want %q", i, p.Name(), want)
		}
		names[p.Name()] = true
		if types, _ := messages(t, c); fmt.Sprint(types) != "[welcome/ snapshot/]" {
			t.Errorf("join %d got %v, want the welcome and the snapshot", i, types)
		}
	}
	if len(names) != n {
		t.Errorf("%d distinct participants for %d joins", len(names), n)
	}
}

// payloads splits a queued frame value into the payloads of its websocket frames.
func payloads(f *frame) [][]byte {
	var out [][]byte
	for b := f.data; len(b) > 0; {
		n, h := int(b[1]&0x7f), 2
		switch n {
		case 126:
			n, h = int(binary.BigEndian.Uint16(b[2:])), 4
		case 127:
			n, h = int(binary.BigEndian.Uint64(b[2:])), 10
		}
		out = append(out, b[h:h+n])
		b = b[h+n:]
	}
	return out
}

// messages splits what a client's queue holds into the messages' types, and counts the
// queued frame values: a server frame is FIN, text, unmasked, with a 7, 16 or 64 bit length.
func messages(t *testing.T, c *client) (types []string, queued int) {
	t.Helper()
	fs := taken(c)
	for _, f := range fs {
		for _, p := range payloads(f) {
			var m struct{ Type, Kind, Message string }
			if err := json.Unmarshal(p, &m); err != nil {
				t.Fatalf("a queued frame does not hold JSON: %v", err)
			}
			types = append(types, m.Type+"/"+m.Kind+m.Message)
		}
	}
	return types, len(fs)
}

// taken empties a client's queue, as its writer would.
func taken(c *client) []*frame {
	var out []*frame
	for {
		var fs [maxCoalesce]*frame
		n, _ := c.take(fs[:])
		out = append(out, fs[:n]...)
		if n < len(fs) {
			return out
		}
	}
}

// TestOneFramePerStep moves a shared session on with its questions opened and checks that a
// participant gets the inject, the question opening and the new view of the world as one
// queued frame, in the order of the log, and that the facilitator gets both events; then
// that an answer comes back as one message, the ack carrying the answer as the participant's
// view now holds it, while the participant's other connection gets the event and the view.
func TestOneFramePerStep(t *testing.T) {
	ctx := context.Background()
	_, h := groupHub(t)
	p := newClient(16)
	if err := h.joinCall(ctx, p, server.ClientMsg{Type: server.MsgJoin, Name: "Ann"}); err != nil {
		t.Fatal(err)
	}
	fac := newClient(64)
	fac.facilitator = true
	run := func(m server.ClientMsg) {
		t.Helper()
		if err := h.call(ctx, func() error {
			if m.Type == "" {
				return h.watch(fac, 0)
			}
			return h.command(fac, m)
		}); err != nil {
			t.Fatalf("%s: %v", m.Type, err)
		}
	}
	run(server.ClientMsg{})
	run(server.ClientMsg{Type: server.MsgStart, Ref: "s"})
	messages(t, p)
	messages(t, fac)
	run(server.ClientMsg{Type: server.MsgNext, Open: true, Ref: "n"})

	// The example's first inject opens several questions: an open event each.
	types, queued := messages(t, p)
	shape := func(types []string, last string) bool {
		if len(types) < 3 || types[0] != "event/inject" || types[len(types)-1] != last {
			return false
		}
		for _, typ := range types[1 : len(types)-1] {
			if typ != "event/open" {
				return false
			}
		}
		return true
	}
	if queued != 1 || !shape(types, "world/") {
		t.Errorf("the participant got %v in %d queued frames, want the inject, the questions opening and the world view in one", types, queued)
	}
	// The aggregates come when they are encoded, in between or not yet.
	types, _ = messages(t, fac)
	types = slices.DeleteFunc(types, func(s string) bool { return s == "aggregates/" })
	if !shape(types, "ack/") {
		t.Errorf("the facilitator got %v, want the inject, the questions opening and the ack", types)
	}

	// A multiple-choice question the new inject opened, answered with its first option.
	var answer server.ClientMsg
	v, _ := h.st.WorldView(h.st.WorldIDs()[0], time.Now())
	for _, q := range v.Questions {
		if q.Type == "multi" && q.State == "open" && answer.Question == "" {
			answer = server.ClientMsg{Type: server.MsgAnswer, Ref: "a", ID: "00000000-0000-4000-8000-000000000001",
				Question: q.ID, Answer: &engine.Answer{Options: []string{q.Options[0].ID}}}
		}
	}
	if answer.Question == "" {
		t.Fatal("the inject opened no multiple-choice question")
	}
	other := newClient(16) // the same participant on a second device
	if err := h.call(ctx, func() error { h.attach(other, p.pid); return nil }); err != nil {
		t.Fatal(err)
	}
	if err := h.call(ctx, func() error { h.answers([]hubCmd{{c: p, m: &answer}}, false); return nil }); err != nil {
		t.Fatal(err)
	}
	fs := taken(p)
	var ack server.Ack
	if len(fs) != 1 || fs[0].msgs != 1 {
		t.Fatalf("the answer brought %d queued frames, want one with the ack", len(fs))
	}
	if err := json.Unmarshal(payloads(fs[0])[0], &ack); err != nil {
		t.Fatal(err)
	}
	if ack.Type != "ack" || ack.Mine == nil || ack.Mine.ID != answer.ID || ack.Mine.Seq != ack.Seq || ack.Mine.Score != nil {
		t.Errorf("the ack %+v does not carry the unrevealed answer", ack)
	}
	if types, _ := messages(t, other); fmt.Sprint(types) != "[event/answer me/]" {
		t.Errorf("the participant's other connection got %v, want the answer's event and the view", types)
	}
}

// TestPrepareLarge checks that a message encoded straight into its frame is framed exactly as
// prepare frames it, across the three header lengths and whatever the size hint.
func TestPrepareLarge(t *testing.T) {
	for _, n := range []int{10, 200, 70000} {
		msg := map[string]string{"type": "aggregates", "pad": strings.Repeat("x", n)}
		want := prepare(msg).data
		for _, hint := range []int{0, n / 2, 2 * n} {
			if got := prepareLarge(msg, hint); !bytes.Equal(got.data, want) || got.msgs != 1 {
				t.Errorf("%d bytes, hint %d: framed differently", n, hint)
			}
		}
	}
}

// TestAnswersWhileAppending queues answers and a command behind an answer whose append is
// under way, and checks the groups they are committed in and the order of everything: the
// answers queued before the command are the next group, decided once the first is applied
// (an answer sent again is acknowledged as a duplicate, after the first ack); the command runs
// after them; the answer queued after the command is decided after it.
func TestAnswersWhileAppending(t *testing.T) {
	ctx := context.Background()
	store, h := groupHub(t)
	ps := make([]*client, 3)
	for i := range ps {
		ps[i] = newClient(32)
		if err := h.joinCall(ctx, ps[i], server.ClientMsg{Type: server.MsgJoin, Name: fmt.Sprint("P", i), Role: "bz"}); err != nil {
			t.Fatal(err)
		}
	}
	fac := newClient(256)
	fac.facilitator = true
	run := func(m server.ClientMsg) {
		t.Helper()
		if err := h.call(ctx, func() error { return h.command(fac, m) }); err != nil {
			t.Fatalf("%s: %v", m.Type, err)
		}
	}
	if err := h.call(ctx, func() error { return h.watch(fac, 0) }); err != nil {
		t.Fatal(err)
	}
	run(server.ClientMsg{Type: server.MsgStart})
	run(server.ClientMsg{Type: server.MsgNext, Open: true})
	var q server.LiveQuestion
	v, _ := h.st.WorldView(h.st.WorldIDs()[0], time.Now())
	for _, x := range v.Questions {
		if x.Type == "multi" && x.State == "open" && q.ID == "" {
			q = x
		}
	}
	answer := func(n int) server.ClientMsg {
		return server.ClientMsg{Type: server.MsgAnswer, Ref: fmt.Sprint("r", n), ID: fmt.Sprintf("00000000-0000-4000-8000-%012d", n),
			Question: q.ID, Answer: &engine.Answer{Options: []string{q.Options[0].ID}}}
	}
	for _, c := range append(ps, fac) {
		taken(c)
	}

	release := store.hold()
	before := len(store.sizes())
	h.submit(ps[0], answer(0))
	<-store.held // the first answer's append is under way
	h.submit(ps[1], answer(1))
	h.submit(ps[0], answer(0)) // sent again
	h.submit(fac, server.ClientMsg{Type: server.MsgClose, Ref: "close", Question: q.ID})
	h.submit(ps[2], answer(2))
	for len(h.cmds) < 4 {
		time.Sleep(time.Millisecond)
	}
	release()
	if err := h.call(ctx, func() error { return nil }); err != nil { // after all of them
		t.Fatal(err)
	}

	if got := store.sizes()[before:]; len(got) != 3 || got[0] != 1 || got[1] != 1 {
		t.Errorf("appends carried %v records; want the first answer, then the second, then the close", got)
	}
	replies := func(c *client) []server.Ack {
		var out []server.Ack
		for _, f := range taken(c) {
			for _, p := range payloads(f) {
				var a server.Ack
				var e struct{ Type, Code, Ref string }
				json.Unmarshal(p, &a)
				json.Unmarshal(p, &e)
				if a.Type == "ack" || e.Type == "error" {
					if e.Type == "error" {
						a.Ref, a.Question = e.Ref, "error:"+e.Code
					}
					out = append(out, a)
				}
			}
		}
		return out
	}
	r0, r1, r2, rf := replies(ps[0]), replies(ps[1]), replies(ps[2]), replies(fac)
	if len(r0) != 2 || r0[0].Duplicate || r0[0].Mine == nil || !r0[1].Duplicate || r0[1].Seq != r0[0].Seq {
		t.Errorf("the first participant got %+v; want the ack with the answer, then a duplicate ack with the same seq", r0)
	}
	if len(r1) != 1 || r1[0].Seq <= r0[0].Seq || r1[0].Mine == nil {
		t.Errorf("the second participant got %+v; want an ack after the first answer's", r1)
	}
	if len(rf) != 1 || rf[0].Ref != "close" || rf[0].Seq <= r1[0].Seq {
		t.Errorf("the facilitator got %+v; want the close acked after the second answer", rf)
	}
	if len(r2) != 1 || r2[0].Question != "error:closed" {
		t.Errorf("the third participant got %+v; want the answer refused, the question closed before it", r2)
	}
}
