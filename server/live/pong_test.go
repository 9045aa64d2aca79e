package live_test

import (
	"testing"
	"time"

	"github.com/paraat-nl/paraat/server/live"
)

// TestPongsKeepConnectionsOpen: the server's socket answers pongs itself (server/wsconn.go),
// before the websocket library sees them; each must still move the read deadline, so that
// clients that answer pings stay connected through many pong waits, participant and
// facilitator alike.
func TestPongsKeepConnectionsOpen(t *testing.T) {
	t.Parallel()
	const pongWait = 150 * time.Millisecond
	e := newEnv(t, newStore(t), live.Options{PingPeriod: 20 * time.Millisecond, PongWait: pongWait})
	info, f := startShared(t, e)
	ann := e.join(info.Code, "Ann", "bz", "")
	time.Sleep(4 * pongWait) // no messages from either client: only their pongs
	f.command(map[string]any{"type": "start"})
	ann.expect("world", func(m msg) bool { return m.obj("world").obj("inject").str("id") == "melding" })
}
