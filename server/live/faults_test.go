package live_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/paraat-nl/paraat/server"
	"github.com/paraat-nl/paraat/server/live"
)

// TestDeadPeer: a participant whose connection stops answering pings (it never reads, so its
// client never sends a pong) is disconnected by the server and shown as such to the
// facilitator, while the room goes on.
func TestDeadPeer(t *testing.T) {
	t.Parallel()
	e := newEnv(t, newStore(t), live.Options{PingPeriod: 50 * time.Millisecond, PongWait: 300 * time.Millisecond})
	info, f := startShared(t, e)
	ann := e.join(info.Code, "Ann", "bz", "")

	dead, err := e.dialErr(false, "")
	if err != nil {
		t.Fatal(err)
	}
	defer dead.Close()
	if err := dead.WriteJSON(map[string]any{"type": "join", "code": info.Code, "name": "Stil", "role": "def"}); err != nil {
		t.Fatal(err)
	}
	// From here on nothing reads this connection: no pongs go back.
	f.expect("aggregates", func(m msg) bool { return connected(m, "Stil") == "yes" })
	gone := f.expect("aggregates", func(m msg) bool { return connected(m, "Stil") == "no" })
	if connected(gone, "Ann") != "yes" {
		t.Fatalf("Ann was dropped too: %v", gone)
	}
	f.command(map[string]any{"type": "start"})
	ann.expect("world", func(m msg) bool { return m.obj("world").obj("inject").str("id") == "melding" })
}

// connected says whether the named participant is connected in an aggregates message.
func connected(m msg, name string) string {
	ps, _ := m.obj("aggregates")["participants"].([]any)
	for _, p := range ps {
		p := p.(map[string]any)
		if p["name"] == name {
			if p["connected"] == true {
				return "yes"
			}
			return "no"
		}
	}
	return "absent"
}

// TestFlood: a participant sending far above the rate limit gets rate_limited errors for the
// excess (or, if it does not read its errors as fast as it floods, is dropped as a slow
// consumer), nothing of it is logged, and another participant is unaffected.
func TestFlood(t *testing.T) {
	t.Parallel()
	e := newEnv(t, newStore(t), live.Options{})
	info, f := startShared(t, e)
	ann := e.join(info.Code, "Ann", "bz", "")
	bas := e.join(info.Code, "Bas", "def", "")
	f.command(map[string]any{"type": "start"})
	ann.expect("world", nil)
	before := f.seq

	const n = 3 * server.MessageBurst
	for range n {
		ann.send(map[string]any{"type": "start"}) // forbidden for a participant: refused, never logged
	}
	limited, forbidden, dropped := 0, 0, false
	for limited+forbidden < n && !dropped {
		select {
		case m := <-ann.in:
			switch m.str("code") {
			case "rate_limited":
				limited++
			case "forbidden":
				forbidden++
			}
		case <-ann.closed:
			if len(ann.in) > 0 {
				continue
			}
			if ann.closeEv == nil || ann.closeEv.Code != server.CloseSlowConsumer {
				t.Fatalf("flooder closed with %v", ann.closeEv)
			}
			dropped = true
		case <-time.After(5 * time.Second):
			t.Fatalf("%d rate_limited, %d forbidden of %d, then nothing", limited, forbidden, n)
		}
	}
	if !dropped && (limited == 0 || forbidden < server.MessageBurst/2) {
		t.Fatalf("%d rate_limited, %d forbidden of %d", limited, forbidden, n)
	}
	t.Logf("%d forbidden, %d rate_limited, dropped as a slow consumer: %v", forbidden, limited, dropped)
	// Bas is served as before, and the flood left no trace in the log.
	f.command(map[string]any{"type": "open", "question": "eerste-stap"})
	bas.expect("event", event("open"))
	if f.seq != before+1 {
		t.Fatalf("the log grew by %d events, want 1 (the open)", f.seq-before)
	}
}

// TestJoinCodeGuessing: an address that keeps giving wrong join codes is refused for a
// while, over HTTP and over the websocket, even when it then gives the right code.
func TestJoinCodeGuessing(t *testing.T) {
	t.Parallel()
	e := newEnv(t, newStore(t), live.Options{})
	info, _ := startShared(t, e)
	for i := range server.CodeFailures {
		if st := e.do("GET", fmt.Sprintf("/api/join/ZZZZ%04d", i), nil, nil); st != 404 {
			t.Fatalf("wrong code %d: %d", i, st)
		}
	}
	if st := e.do("GET", "/api/join/"+info.Code, nil, nil); st != 429 {
		t.Fatalf("the right code after %d wrong ones: %d, want 429", server.CodeFailures, st)
	}

	// HTTP and websocket count together: the websocket join is refused at once.
	c := e.dial("guesser", false, "")
	c.send(map[string]any{"type": "join", "code": info.Code, "name": "x"})
	c.expectError("rate_limited")

	// And the websocket alone.
	e2 := newEnv(t, newStore(t), live.Options{})
	info2, _ := startShared(t, e2)
	c = e2.dial("guesser", false, "")
	for i := range server.CodeFailures {
		c.send(map[string]any{"type": "join", "code": fmt.Sprintf("YYYY%04d", i), "name": "x"})
		c.expectError("not_found")
	}
	c.send(map[string]any{"type": "join", "code": info2.Code, "name": "x"})
	c.expectError("rate_limited")
}
