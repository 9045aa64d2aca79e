package live_test

import (
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/paraat-nl/paraat/server"
	"github.com/paraat-nl/paraat/server/live"
)

// TestSlowConsumer: a participant that stops reading is dropped with 4008 once the kernel's
// buffers and its queue are full, while another participant of the same room receives
// every message of every broadcast, and the facilitator sees the slow one disconnected.
// The slow one then reads what was queued for it, gets the close code, and resumes.
func TestSlowConsumer(t *testing.T) {
	t.Parallel()
	e := newEnv(t, newStore(t), live.Options{QueueLen: 8})
	// The largest world views of the library, so that fewer broadcasts fill the buffers.
	info := e.create(server.CreateSession{Scenario: "noordzee-kabel", Scope: "shared"})
	f := e.watch(info.ID)
	ann := e.join(info.Code, "Ann", "", "")
	slowConn, err := e.dialErr(false, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := slowConn.WriteJSON(map[string]any{"type": "join", "code": info.Code, "name": "Traag"}); err != nil {
		t.Fatal(err)
	}
	// From here on nothing reads slowConn until the server has given up on it.
	f.expect("aggregates", func(m msg) bool { return connected(m, "Traag") == "yes" })
	f.command(map[string]any{"type": "start"})
	ann.expect("world", nil)

	// Pause and resume the session until the server drops the slow participant: each
	// command sends every participant an event and a new world view. Every command must
	// reach Ann. A facilitator connection may send 40 commands at once (the rate limit);
	// after that the next one takes over.
	const maxCommands = 5000
	dropped, paused, n := false, false, 0
	for ; !dropped; n++ {
		if n == maxCommands {
			t.Fatalf("Traag was not dropped after %d broadcasts", n)
		}
		typ := "pause"
		if paused {
			typ = "resume_session"
		}
		ref := uuid.NewString()
		f.send(map[string]any{"type": typ, "ref": ref})
		for acked := false; !acked; {
			select {
			case m := <-f.in:
				switch {
				case m.str("type") == "aggregates" && connected(m, "Traag") == "no":
					if connected(m, "Ann") != "yes" {
						t.Fatalf("Ann was dropped too: %v", m)
					}
					dropped = true
				case m.str("code") == "rate_limited": // carries no ref: the message was not read
					f.c.Close()
					f = e.watch(info.ID)
					f.send(map[string]any{"type": typ, "ref": ref})
				case m.str("ref") != ref:
				case m.str("type") == "ack":
					acked, paused = true, !paused
				default:
					t.Fatalf("%s: %v", typ, m)
				}
			case <-f.closed:
				t.Fatalf("the facilitator was closed (%v) after %d commands", f.closeEv, n)
			case <-time.After(10 * time.Second):
				t.Fatalf("no ack for command %d", n)
			}
		}
		kind := "paused"
		if !paused {
			kind = "resumed"
		}
		ann.expect("event", event(kind))
		ann.expect("world", func(m msg) bool { return m.obj("world").str("id") != "" })
	}

	t.Logf("dropped after %d broadcasts", n)

	// Reading at last, the slow participant gets what was queued before it was dropped,
	// then the close code that tells it to resume.
	slow := e.wrap("Traag", slowConn)
	wel := slow.expect("welcome", nil)
	for {
		select {
		case <-slow.in:
			continue
		case <-slow.closed:
		}
		if len(slow.in) == 0 {
			break
		}
	}
	if slow.closeEv == nil || slow.closeEv.Code != server.CloseSlowConsumer {
		t.Fatalf("the slow consumer was closed with %v, want %d", slow.closeEv, server.CloseSlowConsumer)
	}
	again := e.dial("Traag again", false, "")
	again.send(map[string]any{"type": "resume", "token": wel.str("token")})
	again.expect("welcome", func(m msg) bool { return m.str("participant") == wel.str("participant") })
	again.expect("snapshot", nil)
	f.expect("aggregates", func(m msg) bool { return connected(m, "Traag") == "yes" })
}

// TestNoHello: a connection that completes the upgrade and then says nothing is closed with
// 4009 and holds nothing of the server's.
func TestNoHello(t *testing.T) {
	t.Parallel()
	e := newEnv(t, newStore(t), live.Options{HelloTimeout: 200 * time.Millisecond})
	c := e.dial("mute", false, "")
	if ce := c.waitClosed(); ce == nil || ce.Code != server.CloseNoHello {
		t.Fatalf("closed with %v, want %d", ce, server.CloseNoHello)
	}
}
