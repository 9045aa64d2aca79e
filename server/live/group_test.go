package live

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/paraat-nl/paraat/internal/builtin"
	"github.com/paraat-nl/paraat/server"
	"github.com/paraat-nl/paraat/server/sqlite"
)

// recordingStore is a real store that notes how many records each append carried.
type recordingStore struct {
	server.Store
	mu      sync.Mutex
	appends []int
}

func (s *recordingStore) Append(ctx context.Context, session string, recs []server.Record) ([]server.Record, error) {
	s.mu.Lock()
	s.appends = append(s.appends, len(recs))
	s.mu.Unlock()
	return s.Store.Append(ctx, session, recs)
}

func (s *recordingStore) sizes() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]int(nil), s.appends...)
}

// TestJoinsQueuedTogether holds a session's hub while joins queue behind it, and checks that
// they are committed in one append and that each participant comes out as if they had joined
// one by one: a participant each, names made unique in the order queued, a welcome each.
func TestJoinsQueuedTogether(t *testing.T) {
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

	held, release := make(chan struct{}), make(chan struct{})
	go h.call(ctx, func() error { close(held); <-release; return nil })
	<-held
	before := len(store.sizes())

	const n = 40
	clients := make([]*client, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range clients {
		clients[i] = &client{send: make(chan *frame, 8)}
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
		if len(c.send) != 2 {
			t.Errorf("join %d got %d messages, want the welcome and the snapshot", i, len(c.send))
		}
	}
	if len(names) != n {
		t.Errorf("%d distinct participants for %d joins", len(names), n)
	}
}
