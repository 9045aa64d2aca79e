package live_test

import (
	"bytes"
	"testing"

	"github.com/gorilla/websocket"
	"github.com/paraat-nl/paraat/server"
	"github.com/paraat-nl/paraat/server/live"
)

// TestOversizedFrame: a frame over 256 KiB closes its connection with 1009 before the server
// has read it whole, one between 16 and 256 KiB is refused with too_large on a connection that
// stays usable, and neither touches another participant.
func TestOversizedFrame(t *testing.T) {
	t.Parallel()
	e := newEnv(t, newStore(t), live.Options{})
	info, f := startShared(t, e)
	ann := e.join(info.Code, "Ann", "bz", "")
	big := e.join(info.Code, "Groot", "def", "")

	big.sendRaw(append(append([]byte(`{"type":"answer","id":"`), bytes.Repeat([]byte("x"), 100<<10)...), `"}`...))
	big.expectError("too_large")
	big.refused(map[string]any{"type": "start"}, "forbidden") // still reading, still answering

	// The write may fail half-way once the server has closed: what counts is the close code.
	big.c.WriteMessage(websocket.TextMessage, bytes.Repeat([]byte("x"), server.MaxFrame+1))
	if ce := big.waitClosed(); ce == nil || ce.Code != websocket.CloseMessageTooBig {
		t.Fatalf("closed with %v, want %d", ce, websocket.CloseMessageTooBig)
	}
	f.command(map[string]any{"type": "start"})
	ann.expect("world", func(m msg) bool { return m.obj("world").obj("inject").str("id") == "melding" })
}
